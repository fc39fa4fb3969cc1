"""The rates' daily counts (servicedesk/rates/rollups.py, RequestDay): kept by the state machine,
checked and repaired by the nightly command, and read by the rates page only for a user who sees
every request of the node. (test_lifecycle.py checks after each of its tests that the counts equal
a fresh count; test_rates.py that the page's figures from them equal the figures from the
requests.)"""

import datetime as dt
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from dangjian.servicedesk.models import RequestDay, ServiceCategory, ServiceRequest
from dangjian.servicedesk.rates import definitions, rollups
from dangjian.servicedesk.rates import rules as rates
from dangjian.servicedesk.rates import selectors as rs
from dangjian.servicedesk.requests import lifecycle as lc
from tests.factories import as_actor

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()


def at(month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=TZ)


def category(code: str = "legal-advice") -> ServiceCategory:
    """The catalogue's entry (made here too: a test in a real transaction starts from a flushed
    database, without the catalogue the migrations wrote)."""
    return ServiceCategory.objects.get_or_create(
        code=code,
        defaults={
            "family": "convenience",
            "name": "法律咨询",
            "response_target": 1,
            "response_unit": "days",
            "resolution_target": 5,
            "resolution_unit": "days",
        },
    )[0]


def submit(world, when, *, address="和平路1号", region=None, code="legal-advice") -> ServiceRequest:
    return lc.request_submit(
        actor=as_actor(world.users.admin, now=when),
        channel="desk",
        category=category(code),
        description="楼道灯坏了",
        region=region or world.grid_a1,
        contact_name="钱七",
        phone="13855555678",
        address=address,
    )


def stored(region, day) -> dict[str, int]:
    row = RequestDay.objects.filter(region=region, day=day).first()
    return {name: getattr(row, name) for name in RequestDay.FIGURES} if row else {}


def test_a_submission_is_counted_on_its_day_in_its_grid(world):
    submit(world, at(10, 5))
    submit(world, at(10, 5, 16), address="")
    row = stored(world.grid_a1, dt.date(2026, 10, 5))
    assert (row["total"], row["repeat_den"], row["repeat_num"]) == (2, 1, 0)
    assert RequestDay.objects.get(region=world.grid_a1).community_id == world.community_a.pk


def test_a_day_is_the_local_day_of_submission(world):
    submit(world, dt.datetime(2026, 10, 5, 23, 30, tzinfo=dt.UTC))  # 07:30 on the 6th in Shanghai
    assert list(RequestDay.objects.values_list("day", flat=True)) == [dt.date(2026, 10, 6)]


def test_a_merge_counts_on_its_day_until_signed_off_and_keeps_the_repeat_after_it(world):
    """A merged request stays in the rates, as a repeat, until its sign-off; then it leaves its day.
    The request 9 days after it stays a repeat throughout (the resident came twice: docs/rates.md),
    where before issue #15 merging the first report silently unmade the repeat that followed it."""
    other = submit(world, at(10, 1), address="建设路8号")
    first = submit(world, at(10, 5))
    later = submit(world, at(10, 14))
    assert stored(world.grid_a1, dt.date(2026, 10, 14))["repeat_num"] == 1
    merged = lc.request_merge(
        actor=as_actor(world.users.staff, now=at(10, 20)), req=first, original=other, note="重复反映"
    )
    assert stored(world.grid_a1, dt.date(2026, 10, 14))["repeat_num"] == 1
    day = stored(world.grid_a1, dt.date(2026, 10, 5))
    assert (day["total"], day["repeat_den"], day["repeat_num"]) == (1, 1, 1)  # a repeat of the one it joins
    lc.request_sign_off(actor=as_actor(world.users.secretary, now=at(10, 21)), req=merged)
    assert stored(world.grid_a1, dt.date(2026, 10, 5)) == {}  # signed off: it leaves its day
    assert stored(world.grid_a1, dt.date(2026, 10, 14))["repeat_num"] == 1
    assert rollups.reconcile() == []
    assert later.pk


def test_a_transfer_moves_the_request_to_the_other_communitys_counts(world):
    req = submit(world, at(10, 5))
    lc.request_transfer(
        actor=as_actor(world.users.staff, now=at(10, 5, 10)), req=req, region=world.grid_b1, note="地址在钢花村"
    )
    assert stored(world.grid_a1, dt.date(2026, 10, 5)) == {}
    assert stored(world.grid_b1, dt.date(2026, 10, 5))["total"] == 1
    assert rollups.reconcile() == []


def test_a_request_recorded_with_an_earlier_moment_makes_the_later_one_a_repeat(world):
    """Intake adds a new request to its day; one recorded with a moment before requests already
    there (a paper form typed in later) is compared with them too: the later one becomes a repeat."""
    submit(world, at(10, 14))
    assert stored(world.grid_a1, dt.date(2026, 10, 14))["repeat_num"] == 0
    submit(world, at(10, 5))
    assert stored(world.grid_a1, dt.date(2026, 10, 14))["repeat_num"] == 1
    assert rollups.reconcile() == []


def test_the_nightly_check_reports_and_repairs_what_differs(world, capsys):
    submit(world, at(10, 5))
    submit(world, at(10, 6))
    RequestDay.objects.filter(day=dt.date(2026, 10, 5)).update(total=7, response_den=3)
    RequestDay.objects.filter(day=dt.date(2026, 10, 6)).delete()
    with pytest.raises(CommandError, match="2 daily count row"):
        call_command("servicedesk_rollups", "--all", "--check-only")
    assert stored(world.grid_a1, dt.date(2026, 10, 5))["total"] == 7  # nothing repaired
    call_command("servicedesk_rollups", "--all")
    out = capsys.readouterr().out
    assert "'total': [7, 1]" in out and "'response_den': [3, 0]" in out
    assert "'total': [0, 1]" in out
    assert "checked: 2 row(s) differed" in out
    assert rollups.reconcile() == []
    call_command("servicedesk_rollups", "--all", "--check-only")  # clean now: no error
    assert "checked: 0 row(s) differed" in capsys.readouterr().out


def test_the_nightly_check_looks_back_the_days_asked(world, capsys):
    today = timezone.localdate()
    submit(world, dt.datetime.combine(today - dt.timedelta(days=100), dt.time(9), tzinfo=TZ))
    RequestDay.objects.update(total=5)
    call_command("servicedesk_rollups", "--days", "90")
    assert "checked: 0 row(s) differed" in capsys.readouterr().out  # older than 90 days
    call_command("servicedesk_rollups", "--days", "101")
    assert "checked: 1 row(s) differed" in capsys.readouterr().out
    assert RequestDay.objects.get().total == 1


def test_rebuild_counts_every_day_again(world, capsys):
    submit(world, at(10, 5))
    submit(world, at(11, 5), region=world.grid_b1)
    RequestDay.objects.all().delete()
    call_command("servicedesk_rollups", "--rebuild")
    assert "rebuilt: 2 rows" in capsys.readouterr().out
    assert rollups.reconcile() == []


def test_the_sweep_counts_its_breaches(world):
    req = submit(world, at(10, 5))
    lc.sweep(actor=as_actor(None, now=at(11, 30)))
    req.refresh_from_db()
    assert req.response_breached and req.resolution_breached
    row = stored(world.grid_a1, dt.date(2026, 10, 5))
    assert (row["response_den"], row["response_num"], row["on_time_den"], row["on_time_num"]) == (1, 0, 1, 0)
    assert rollups.reconcile() == []


def test_the_page_reads_the_counts_only_for_who_sees_the_whole_node(world):
    submit(world, at(10, 5))
    period = rates.quarter_of(dt.date(2026, 10, 1))
    covering, _ = rs.build_cohort(actor=as_actor(world.users.secretary, now=at(11, 1)), period=period)
    assert rs.from_days(covering)
    branch, _ = rs.build_cohort(actor=as_actor(world.users.branch, now=at(11, 1)), period=period)
    assert not rs.from_days(branch)  # a branch sees requests through the organisation tree only


def test_the_counts_are_read_not_the_requests(world, django_assert_max_num_queries):
    """The page's figures follow the daily counts: a row changed by hand shows (which is what the
    nightly check is for), so the figures are not counted from the requests behind its back."""
    submit(world, at(10, 5))
    RequestDay.objects.update(total=40)
    period = rates.quarter_of(dt.date(2026, 10, 1))
    cohort, _ = rs.build_cohort(actor=as_actor(world.users.secretary, now=at(11, 1)), period=period)
    assert rs.rates_table(cohort).total.figures.total == 40


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL (SQLite writes one at a time)")
@pytest.mark.django_db(transaction=True)
def test_two_writers_in_one_community_at_once_leave_the_right_counts(world, monkeypatch):
    """Two requests of one community submitted at the same moment from two connections: each
    recount waits for the other's lock and then sees its committed request. (Each count is made
    slow so that, without the lock, both would count before either wrote.)"""
    settled = definitions.settled

    def slow(*args, **kwargs):  # judging a repeat, inside the community's lock
        if args[:2] == ("repeat", "numerator"):
            time.sleep(0.5)
        return settled(*args, **kwargs)

    monkeypatch.setattr(definitions, "settled", slow)
    category()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def submit_one(hour: int) -> None:
        try:
            barrier.wait()
            submit(world, at(10, 5, hour))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit_one, args=(hour,)) for hour in (9, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    row = stored(world.grid_a1, dt.date(2026, 10, 5))
    assert (row["total"], row["repeat_den"], row["repeat_num"]) == (2, 2, 1)
    assert rollups.reconcile() == []
