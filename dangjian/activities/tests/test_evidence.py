"""The evidence the evaluation reads from activities: participation per unit (activities held,
confirmed sign-ups, check-ins, distinct people, attendance rate), each figure equal to the list of
records it opens and counting nothing beyond the reader's scope; and the audit flag of check-ins
marked in bursts. Times are fixed: everything is done by actors at given moments."""

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from dangjian.activities import services
from dangjian.activities.models import Activity, SignUp
from dangjian.activities.selectors import (
    PARTICIPATION_MEASURES,
    activity_participation,
    activity_participation_records,
    check_in_bursts,
)
from tests.factories import as_actor, make_person, make_user

pytestmark = pytest.mark.django_db

BASE = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))  # a Monday morning
MARCH = (timezone.make_aware(dt.datetime(2026, 3, 1)), timezone.make_aware(dt.datetime(2026, 4, 1)))


def _at(user, moment):
    return as_actor(user, now=moment)


def _held(world, user, region, title, *, day, organization=None, capacity=0):
    """An activity published a week before and held on March ``day`` (two hours from 9:00)."""
    starts = BASE + dt.timedelta(days=day - 2)
    return services.activity_create(
        actor=_at(user, starts - dt.timedelta(days=7)),
        region=region,
        title=title,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=capacity,
        place="会议室",
        organization=organization,
    )


def _sign_up(user, activity, person, *, came=False):
    organiser = _at(user, activity.starts_at - dt.timedelta(days=1))
    row = services.sign_up(actor=organiser, activity=activity, person=person)
    if came:
        services.mark_attended(actor=_at(user, activity.starts_at), sign_up=row, attended=True)
    return row


@pytest.fixture
def held(world):
    """Community A: a talk (branch A1's) with 张三 and 李四 come, 赵六 confirmed but absent, 钱七
    waiting (capacity 3); a tea party with 张三 come again and 钱七 come but given up after. A
    called-off one and one held in April. Community B: a clinic with 王五 come, 孙八 absent."""
    staff, outsider = world.users.staff, world.users.outsider
    talk = _held(world, staff, world.community_a, "讲座", day=5, organization=world.branch_a1, capacity=3)
    for person, came in ((world.zhang, True), (world.li, True), (world.zhao, False)):
        _sign_up(staff, talk, person, came=came)
    _sign_up(staff, talk, world.qian)  # waitlisted
    tea = _held(world, staff, world.community_a, "茶话会", day=12)
    _sign_up(staff, tea, world.zhang, came=True)
    gave_up = _sign_up(staff, tea, world.qian, came=True)
    services.sign_up_cancel(actor=_at(staff, tea.ends_at + dt.timedelta(minutes=5)), sign_up=gave_up)
    called_off = _held(world, staff, world.community_a, "取消的", day=20)
    _sign_up(staff, called_off, world.li)
    services.activity_cancel(actor=_at(staff, called_off.starts_at), activity=called_off, reason="下雨")
    april = _held(world, staff, world.community_a, "四月的", day=33)
    _sign_up(staff, april, world.zhang, came=True)
    clinic = _held(world, outsider, world.community_b, "义诊", day=9)
    _sign_up(outsider, clinic, world.wang, came=True)
    _sign_up(outsider, clinic, world.sun)
    return {"talk": talk, "tea": tea, "clinic": clinic}


def _figures(row):
    return (row.activities, row.confirmed, row.attended, row.people)


def test_participation_per_community_street_and_organisation(world, held):
    admin = _at(world.users.admin, BASE + dt.timedelta(days=60))
    units = [world.community_a, world.community_b, world.street, world.branch_a1, world.branch_b1, world.grid_a1]
    rows = activity_participation(actor=admin, units=units, start=MARCH[0], end=MARCH[1])
    assert [row.unit for row in rows] == units
    assert [_figures(row) for row in rows] == [
        (2, 4, 3, 2),  # A: talk + tea; 张三, 李四, 赵六 + 张三 confirmed; 张三 twice and 李四 came
        (1, 2, 1, 1),
        (3, 6, 4, 3),  # the street: both communities
        (1, 3, 2, 2),  # branch A1 organised the talk
        (0, 0, 0, 0),
        (0, 0, 0, 0),  # no activity takes place in a grid
    ]
    assert rows[0].attendance_rate == 3 / 4 and rows[4].attendance_rate is None


def test_every_figure_equals_the_length_of_its_records(world, held):
    units = [world.community_a, world.community_b, world.street, world.branch_a1, world.committee_a]
    for user in (world.users.admin, world.users.staff, world.users.outsider, world.users.branch):
        actor = _at(user, BASE + dt.timedelta(days=60))
        for row in activity_participation(actor=actor, units=units, start=MARCH[0], end=MARCH[1]):
            for measure in PARTICIPATION_MEASURES:
                records = activity_participation_records(
                    actor=actor, unit=row.unit, start=MARCH[0], end=MARCH[1], measure=measure
                )
                assert len(list(records)) == getattr(row, measure), (user.username, row.unit.name, measure)
    people = activity_participation_records(
        actor=_at(world.users.admin, BASE + dt.timedelta(days=60)),
        unit=world.community_a,
        start=MARCH[0],
        end=MARCH[1],
        measure="people",
    )
    assert sorted(row.person.name for row in people) == ["张三", "李四"]
    assert all(isinstance(row, SignUp) and row.checked_in_at for row in people)
    with pytest.raises(Http404):
        activity_participation_records(
            actor=_at(world.users.admin, BASE), unit=world.street, start=MARCH[0], end=MARCH[1], measure="x"
        )


def test_out_of_scope_records_are_not_counted(world, held):
    later = BASE + dt.timedelta(days=60)
    units = [world.community_a, world.community_b, world.street]
    staff = activity_participation(actor=_at(world.users.staff, later), units=units, start=MARCH[0], end=MARCH[1])
    assert [_figures(row) for row in staff] == [(2, 4, 3, 2), (0, 0, 0, 0), (2, 4, 3, 2)]
    outsider = activity_participation(actor=_at(world.users.outsider, later), units=units, start=MARCH[0], end=MARCH[1])
    assert [_figures(row) for row in outsider] == [(0, 0, 0, 0), (1, 2, 1, 1), (1, 2, 1, 1)]
    # A resident sees their own sign-ups, not the activities: nothing is held for them.
    resident = activity_participation(actor=_at(world.users.resident, later), units=units, start=MARCH[0], end=MARCH[1])
    assert [_figures(row) for row in resident] == [(0, 0, 0, 0)] * 3


def test_only_activities_over_within_the_period_and_by_now(world, held):
    admin = _at(world.users.admin, BASE + dt.timedelta(days=60))
    first_week = (MARCH[0], MARCH[0] + dt.timedelta(days=7))
    (row,) = activity_participation(actor=admin, units=[world.community_a], start=first_week[0], end=first_week[1])
    assert _figures(row) == (1, 3, 2, 2)  # the talk only
    # Read during the tea party: it is not over yet.
    during = _at(world.users.admin, held["tea"].starts_at + dt.timedelta(minutes=30))
    (row,) = activity_participation(actor=during, units=[world.community_a], start=MARCH[0], end=MARCH[1])
    assert _figures(row) == (1, 3, 2, 2)
    assert activity_participation(actor=admin, units=[], start=MARCH[0], end=MARCH[1]) == []


def test_participation_costs_two_queries_for_any_number_of_units(world, held, django_assert_num_queries):
    admin = _at(world.users.admin, BASE + dt.timedelta(days=60))
    activity_participation(actor=admin, units=[world.community_a], start=MARCH[0], end=MARCH[1])  # the scope
    units = [world.community_a, world.community_b, world.street, world.branch_a1, world.committee_a, world.working]
    with django_assert_num_queries(2):
        activity_participation(actor=admin, units=units, start=MARCH[0], end=MARCH[1])


# -- check-ins marked in bursts -------------------------------------------------------------------


def _crowd(world, activity, count):
    people = [make_person(world.users.admin, world.grid_a1, f"居民{n}") for n in range(count)]
    return [_sign_up(world.users.staff, activity, person) for person in people]


def _mark(user, row, moment):
    services.mark_attended(actor=_at(user, moment), sign_up=row, attended=True)


def test_ten_marked_within_a_minute_are_flagged(world):
    activity = _held(world, world.users.staff, world.community_a, "邻居节", day=5)
    rows = _crowd(world, activity, 14)
    start = activity.starts_at
    for n, row in enumerate(rows[:10]):  # ten in 54 seconds
        _mark(world.users.staff, row, start + dt.timedelta(seconds=6 * n))
    for n, row in enumerate(rows[10:12]):  # two more, later
        _mark(world.users.staff, row, start + dt.timedelta(minutes=20 + n))
    for n, row in enumerate(rows[12:]):  # the secretary marks two at once: few
        _mark(world.users.secretary, row, start + dt.timedelta(seconds=n))
    admin = _at(world.users.admin, BASE + dt.timedelta(days=60))
    (burst,) = check_in_bursts(actor=admin, start=MARCH[0], end=MARCH[1])
    assert (burst.organiser, burst.activity, burst.count) == (world.users.staff, activity, 10)
    assert (burst.first_at, burst.last_at) == (start, start + dt.timedelta(seconds=54))
    # A stricter window (30 seconds) finds no ten; a lower threshold finds the secretary's two as well.
    assert check_in_bursts(actor=admin, start=MARCH[0], end=MARCH[1], seconds=30) == []
    low = check_in_bursts(actor=admin, start=MARCH[0], end=MARCH[1], threshold=2, seconds=6)
    assert sorted((row.organiser.username, row.count) for row in low) == [("secretary_a", 2), ("staff_a", 10)]
    # Outside the period, or out of scope: nothing.
    assert check_in_bursts(actor=admin, start=MARCH[1], end=MARCH[1] + dt.timedelta(days=30)) == []
    outsider = _at(world.users.outsider, BASE + dt.timedelta(days=60))
    assert check_in_bursts(actor=outsider, start=MARCH[0], end=MARCH[1]) == []


@pytest.mark.clock("2026-06-17T10:00:00+08:00")  # the year the checks page reads holds March
def test_the_volunteering_checks_page_shows_the_burst(world, client):
    from django.urls import reverse

    activity = _held(world, world.users.staff, world.community_a, "邻居节", day=5)
    for n, row in enumerate(_crowd(world, activity, 10)):
        _mark(world.users.staff, row, activity.starts_at + dt.timedelta(seconds=6 * n))
    client.force_login(world.users.secretary)
    page = client.get(reverse("volunteering:checks")).content.decode()
    section = page[page.index('id="burst-h"') :]
    assert "邻居节" in section and "10" in section
    client.force_login(world.users.outsider)
    page = client.get(reverse("volunteering:checks")).content.decode()
    assert "邻居节" not in page[page.index('id="burst-h"') :]


def test_separate_bursts_are_separate_rows_and_overlapping_windows_one(world):
    activity = _held(world, world.users.staff, world.community_a, "邻居节", day=5)
    rows = _crowd(world, activity, 25)
    start = activity.starts_at
    # 15 marked one every 5 seconds (70 seconds in all: windows of a minute overlap), then after
    # ten minutes 10 more in 9 seconds.
    for n, row in enumerate(rows[:15]):
        _mark(world.users.staff, row, start + dt.timedelta(seconds=5 * n))
    for n, row in enumerate(rows[15:]):
        _mark(world.users.staff, row, start + dt.timedelta(minutes=10, seconds=n))
    admin = _at(world.users.admin, BASE + dt.timedelta(days=60))
    bursts = check_in_bursts(actor=admin, start=MARCH[0], end=MARCH[1])
    assert [(b.count, b.first_at, b.last_at) for b in bursts] == [
        (10, start + dt.timedelta(minutes=10), start + dt.timedelta(minutes=10, seconds=9)),
        (15, start, start + dt.timedelta(seconds=70)),
    ]


def test_people_checking_themselves_in_are_not_a_burst(world):
    activity = _held(world, world.users.staff, world.community_a, "邻居节", day=5)
    start = activity.starts_at
    code = services.check_in_code(actor=_at(world.users.staff, start), activity=activity)
    for n in range(4):
        person = make_person(world.users.admin, world.grid_a1, f"居民{n}")
        user = make_user(f"resident{n}", None, person=person)
        services.check_in(actor=_at(user, start + dt.timedelta(seconds=n)), activity=activity, code=code)
    assert SignUp.objects.filter(checked_in_at__isnull=False).count() == 4
    admin = _at(world.users.admin, BASE + dt.timedelta(days=60))
    assert check_in_bursts(actor=admin, start=MARCH[0], end=MARCH[1], threshold=2) == []
    assert Activity.objects.count() == 1
