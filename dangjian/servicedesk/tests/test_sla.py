"""Business time on the Chinese calendar, worked out by hand (service hours 08:30–12:00 and
14:00–17:30: 7 business hours a day)."""

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from dangjian.core.calendar import forget_overrides
from dangjian.servicedesk.sla import business_seconds, day_seconds, due_at, pauses_from_history, target_seconds

ZONE = ZoneInfo("Asia/Shanghai")
H = 3600


def at(day: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day} {time}").replace(tzinfo=ZONE)


def test_the_calendar_facts_these_examples_rest_on():
    holidays = [dt.date(2026, 9, 25), *(dt.date(2026, 10, d) for d in range(1, 8))]
    assert not any(chinese_calendar.is_workday(d) for d in holidays)  # 中秋, 国庆
    assert chinese_calendar.is_workday(dt.date(2026, 10, 10))  # a Saturday: 调休 make-up day
    assert chinese_calendar.is_workday(dt.date(2026, 10, 8))
    assert day_seconds() == 7 * H and target_seconds(2, "days") == 14 * H and target_seconds(3, "hours") == 3 * H


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at("2026-11-24", "09:00"), 2, at("2026-11-24", "11:00")),  # within a morning
        (at("2026-11-24", "11:00"), 2, at("2026-11-24", "15:00")),  # over lunch
        (at("2026-11-25", "17:00"), 2, at("2026-11-26", "10:00")),  # over a night
        (at("2026-11-27", "17:00"), 1, at("2026-11-30", "09:00")),  # Friday evening to Monday
        (at("2026-11-28", "10:00"), 1, at("2026-11-30", "09:30")),  # received on a Saturday
        (at("2026-09-30", "16:30"), 7, at("2026-10-08", "16:30")),  # over the National Day week
        (at("2026-10-09", "17:00"), 1, at("2026-10-10", "09:00")),  # the 调休 Saturday counts
        (at("2026-09-24", "17:00"), 1, at("2026-09-28", "09:00")),  # 中秋 Friday does not
        (at("2026-11-24", "12:30"), 1, at("2026-11-24", "15:00")),  # received during lunch
    ],
)
def test_due_at_and_back(start, hours, due):
    assert due_at(start, hours * H) == due
    assert business_seconds(start, due) == hours * H


def test_pauses_stop_the_clock():
    start = at("2026-11-23", "09:00")  # Monday
    pauses = [(at("2026-11-23", "10:00"), at("2026-11-24", "10:00"))]  # waiting for the requester
    # 1 h on Monday; Tuesday 10:00–12:00 and 14:00–17:30 (5.5 h); Wednesday 08:30–09:00.
    assert due_at(start, 7 * H, pauses) == at("2026-11-25", "09:00")
    assert business_seconds(start, at("2026-11-25", "09:00"), pauses) == 7 * H
    assert business_seconds(start, at("2026-11-24", "10:00"), pauses) == 1 * H
    # Overlapping and unordered pauses count once.
    doubled = [pauses[0], (at("2026-11-23", "11:00"), at("2026-11-23", "15:00"))]
    assert due_at(start, 7 * H, doubled) == at("2026-11-25", "09:00")


def test_an_admins_correction_moves_the_deadline():
    start = at("2026-09-30", "16:30")
    forget_overrides({dt.date(2026, 10, 8): False})  # say the holiday were extended by a day
    assert due_at(start, 7 * H) == at("2026-10-09", "16:30")
    forget_overrides({})
    assert due_at(start, 7 * H) == at("2026-10-08", "16:30")


def test_pauses_are_rebuilt_from_the_state_history():
    history = [
        (at("2026-11-23", "09:00"), "accepted"),
        (at("2026-11-23", "10:00"), "suspended"),
        (at("2026-11-24", "10:00"), "in_progress"),
        (at("2026-11-25", "11:00"), "suspended"),
        (at("2026-11-25", "11:30"), "suspended"),  # a second entry in the same pause
    ]
    now = at("2026-11-26", "09:00")
    assert pauses_from_history(history, {"suspended"}, now) == [
        (at("2026-11-23", "10:00"), at("2026-11-24", "10:00")),
        (at("2026-11-25", "11:00"), now),  # still waiting: the pause runs to now
    ]


def test_nothing_between_and_zero_targets():
    moment = at("2026-11-24", "09:00")
    assert business_seconds(moment, moment) == 0
    assert business_seconds(moment, at("2026-11-23", "09:00")) == 0
    assert due_at(moment, 0) == moment
    assert business_seconds(at("2026-10-01", "00:00"), at("2026-10-07", "23:59")) == 0  # a holiday week
