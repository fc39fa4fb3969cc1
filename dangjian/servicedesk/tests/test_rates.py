"""The service desk's measures (docs/rates.md): the arithmetic, each measure on hand-built
requests, what is left out, the repeat window, 样本不足, percentiles, scope, and that every
figure equals the number of requests its drill-down lists."""

import datetime as dt
import itertools
import math
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.accounts.roles import Role
from dangjian.core.conf import override
from dangjian.servicedesk import sla
from dangjian.servicedesk.models import Callback, Rating, ServiceCategory, ServiceRequest
from dangjian.servicedesk.rates import rollups
from dangjian.servicedesk.rates import rules as rates
from dangjian.servicedesk.rates import selectors as rs
from dangjian.servicedesk.requests import lifecycle
from tests.factories import as_actor, make_user

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=TZ)
# The rates are worked out for 2026-Q4 as seen on NOW; requests are made on that day too.
pytestmark = pytest.mark.clock(NOW.isoformat())
Q4 = rates.parse_period("2026-Q4", today=NOW.date())
_tokens = itertools.count(1)


def at(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def make(world, *, region=None, submitted=None, category="legal-advice", **fields) -> ServiceRequest:
    """A request row with chosen fields (every NOT NULL field filled); due in 1 hour / 5 days."""
    region = region or world.grid_a1
    community = {
        world.grid_a1.pk: world.community_a,
        world.grid_a2.pk: world.community_a,
        world.grid_b1.pk: world.community_b,
    }.get(region.pk, region)
    submitted = submitted or at(10, 10)
    values = {
        "category": ServiceCategory.objects.get(code=category),
        "channel": "desk",
        "description": "楼道灯坏了",
        "region": region,
        "community": community,
        "level": "community",
        "token": f"rates-{next(_tokens)}",
        "submitted_at": submitted,
        "response_due_at": submitted + dt.timedelta(hours=1),
        "resolution_due_at": submitted + dt.timedelta(days=5),
    }
    values.update(fields)
    req = ServiceRequest.objects.create(**values)
    # written as a row: count its days (and its repeats') as the state machine would
    day = timezone.localdate(req.submitted_at)
    rollups.refresh(req.community_id, day, day + dt.timedelta(days=rollups.FOLLOWING))
    return req


def table(user, *, node=None, level="", period=Q4, measure="response", now=NOW):
    """The rates table as the page shows it. The requests of these tests are written as rows
    (not through the state machine), so the daily counts are counted again first; where the page
    reads them, the same figures counted from the requests must agree, unit by unit."""
    rollups.rebuild()
    cohort, _choices = rs.build_cohort(actor=as_actor(user, now=now), period=period, node_id=node, level=level)
    result = rs.rates_table(cohort, measure=measure)
    if rs.from_days(cohort):
        keys = [int(u.key) for u in cohort.units]
        by_unit, total = rs._figures(cohort, cohort.requests(), cohort.group(), keys, days=False)
        nonzero = lambda counts: {k: v for k, v in counts.items() if v}  # noqa: E731
        assert {str(k): nonzero(f.counts) for k, f in by_unit.items()} == {
            row.unit.key: nonzero(row.figures.counts) for row in result.rows
        }
        assert nonzero(total.counts) == nonzero(result.total.figures.counts)
    return cohort, result, {row.unit.key: row for row in result.rows}


def proportion(figures, measure):
    p = figures.proportion(measure)
    return (p.numerator, p.denominator)


# --- arithmetic ---------------------------------------------------------------------------------


def _wilson_by_hand(k, n, z=1.96):
    p = k / n
    return (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [(8, 10, 0.4902), (10, 10, 0.7225), (0, 10, 0.0), (1, 1, 0.2065), (95, 100, 0.8882), (50, 100, 0.4038)],
)
def test_wilson_lower_bound_matches_hand_worked_values(successes, n, expected):
    assert rates.wilson_lower_bound(successes, n) == pytest.approx(expected, abs=5e-5)
    assert rates.wilson_lower_bound(successes, n) == pytest.approx(max(0.0, _wilson_by_hand(successes, n)))


def test_wilson_without_cases_and_the_upper_bound():
    assert rates.wilson_lower_bound(0, 0) is None
    assert rates.wilson_upper_bound(0, 0) is None
    # The interval is symmetric: the upper bound of k/n is 1 − the lower bound of (n−k)/n.
    assert rates.wilson_upper_bound(2, 10) == pytest.approx(1 - rates.wilson_lower_bound(8, 10))
    assert rates.wilson_lower_bound(8, 10, z=2.576) < rates.wilson_lower_bound(8, 10)
    with pytest.raises(ValueError):
        rates.wilson_lower_bound(11, 10)


def test_percentile_interpolates_like_percentile_cont():
    assert rates.percentile([4, 1, 3, 2], 0.5) == 2.5
    assert rates.percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert rates.percentile([0.62], 0.9) == 0.62
    assert rates.percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert rates.percentile([], 0.5) is None
    assert rates.percentiles([4, 1, 3, 2], (0.5, 0.9)) == [2.5, pytest.approx(3.7)]
    with pytest.raises(ValueError):
        rates.percentile([1], 1.5)


def test_periods_parse_and_are_local_dates():
    today = dt.date(2026, 11, 28)
    assert rates.parse_period("", today=today).key == "2026-Q4"
    assert rates.parse_period(None, today=today) == rates.quarter_of(today)
    october = rates.parse_period("2026-10", today=today)
    assert (october.start, october.end, october.kind) == (dt.date(2026, 10, 1), dt.date(2026, 11, 1), "month")
    assert rates.parse_period("2026-Q1", today=today).end == dt.date(2026, 4, 1)
    assert rates.parse_period("2025", today=today).end == dt.date(2026, 1, 1)
    custom = rates.parse_period("", today=today, first="2026-01-05", last="2026-02-10")
    assert (custom.start, custom.end, custom.key) == (
        dt.date(2026, 1, 5),
        dt.date(2026, 2, 11),
        "2026-01-05~2026-02-10",
    )
    assert rates.parse_period(custom.key, today=today) == custom
    for nonsense in ("2026-13", "1999", "abc", "2026-Q5", "2026-02-30~2026-03-01"):
        assert rates.parse_period(nonsense, today=today) is None, nonsense
    assert rates.parse_period("", today=today, first="2026-03-01", last="2026-02-01") is None
    # Asia/Shanghai: the quarter starts at 2026-09-30 16:00 UTC.
    start, end = rates.parse_period("2026-Q4", today=today).bounds()
    assert start.astimezone(dt.UTC) == dt.datetime(2026, 9, 30, 16, tzinfo=dt.UTC)
    assert end.astimezone(dt.UTC) == dt.datetime(2026, 12, 31, 16, tzinfo=dt.UTC)
    # The kind-and-value form of the query string (bench/servicedesk.py uses it).
    assert rates.period_from_query({"period": "quarter", "quarter": "2026Q3"}, today=today).key == "2026-Q3"
    assert rates.period_from_query({"period": "month", "month": "2026-02"}, today=today).key == "2026-02"
    assert rates.period_from_query({"period": "year", "year": "2025"}, today=today).key == "2025"
    both = {"period": "custom", "from": "2026-01-05", "to": "2026-02-10"}
    assert rates.period_from_query(both, today=today) == custom
    assert rates.period_from_query({"period": "quarter"}, today=today) is None
    assert rates.period_from_query({}, today=today).key == "2026-Q4"
    months = rates.trend_months(rates.parse_period("2026-Q4", today=today))
    assert [m.key for m in months[:2]] == ["2026-01", "2026-02"] and months[-1].key == "2026-12"


# --- the measures on hand-built requests -----------------------------------------------------------


def test_response_rate(world):
    t = at(10, 10)
    make(world, submitted=t, first_response_at=t + dt.timedelta(minutes=30))  # on time: counted
    make(world, submitted=t, first_response_at=t + dt.timedelta(hours=1))  # exactly at the deadline: counted
    make(world, submitted=t, first_response_at=t + dt.timedelta(hours=2), response_breached=True)  # late
    # Contacted in time but flagged late (the flag is sticky, e.g. the deadline moved): not counted.
    make(world, submitted=t, first_response_at=t + dt.timedelta(minutes=5), response_breached=True)
    make(world, submitted=t)  # nobody called, open, deadline passed: fell due, not counted
    make(world, submitted=NOW - dt.timedelta(minutes=10))  # deadline still ahead: not yet due
    # Withdrawn before the deadline, never contacted: no response ever fell due.
    make(world, submitted=t, state="closed", close_reason="withdrawn", closed_at=t + dt.timedelta(minutes=10))
    _cohort, result, rows = table(world.users.secretary)
    assert proportion(rows[str(world.grid_a1.pk)].figures, "response") == (2, 5)
    assert proportion(result.total.figures, "response") == (2, 5)
    assert result.total.figures.total == 7


def test_resolution_rate(world):
    make(world, outcome="resolved", outcome_source="resident")
    make(world, outcome="resolved", outcome_source="callback")
    make(world, outcome="unresolved", outcome_source="resident")
    make(world, state="closed", close_reason="no_answer")  # nobody confirmed: neither
    make(world)
    _cohort, result, _rows = table(world.users.secretary)
    assert proportion(result.total.figures, "resolution") == (2, 3)


def test_satisfaction_rate_and_distribution(world):
    for score in (5, 5, 4, 3, 1):
        Rating.objects.create(request=make(world), score=score, source="resident")
    make(world)  # not rated
    _cohort, result, _rows = table(world.users.secretary)
    assert proportion(result.total.figures, "satisfaction") == (3, 5)
    assert result.total.figures.scores == [1, 0, 1, 1, 2]


def test_on_time_rate_counts_open_and_overdue_as_late(world):
    t = at(10, 10)
    due = t + dt.timedelta(days=5)
    make(world, submitted=t, handled_at=due - dt.timedelta(hours=1), state="handled")  # on time
    make(world, submitted=t, handled_at=due, state="visited")  # at the deadline: on time
    make(world, submitted=t, handled_at=due + dt.timedelta(hours=1), resolution_breached=True, state="closed")
    make(world, submitted=t, handled_at=due - dt.timedelta(hours=1), resolution_breached=True, state="handled")
    make(world, submitted=t, state="in_progress")  # open and overdue: late
    make(world, submitted=NOW - dt.timedelta(days=1), state="in_progress")  # open, not yet due: left out
    # On hold before its deadline: the deadline moves on resume, so it is not late yet.
    make(world, submitted=t, state="suspended", paused_since=t + dt.timedelta(days=1))
    # On hold but already late when it stopped (flagged): late.
    make(world, submitted=t, state="suspended", paused_since=due + dt.timedelta(days=1), resolution_breached=True)
    make(world, submitted=t, state="closed", close_reason="withdrawn", closed_at=t + dt.timedelta(days=1))
    make(
        world,
        submitted=t,
        state="closed",
        close_reason="withdrawn",
        closed_at=due + dt.timedelta(days=1),
        resolution_breached=True,
    )
    _cohort, result, _rows = table(world.users.secretary)
    assert proportion(result.total.figures, "on_time") == (2, 7)


def test_excluded_classifications_duplicates_and_other_periods_are_left_out(world):
    counted = make(world, outcome="resolved")
    make(
        world,
        outcome="resolved",
        classification="untrue",
        classification_note="核实不属实",
        classified_by=world.users.staff,
    )  # not signed off yet: still counted
    make(
        world,
        outcome="unresolved",
        classification="unreasonable",
        classification_note="无理诉求",
        classified_by=world.users.staff,
        signed_off_by=world.users.secretary,
        signed_off_at=at(10, 20),
    )
    make(  # merged and signed off
        world,
        outcome="unresolved",
        unresolved_at=at(10, 11),
        state="closed",
        close_reason="duplicate",
        duplicate_of=counted,
        classification="duplicate",
        classification_note="重复",
        classified_by=world.users.staff,
        signed_off_by=world.users.secretary,
        signed_off_at=at(10, 20),
    )
    make(world, submitted=at(9, 30, 23, 59), outcome="unresolved", unresolved_at=at(10, 2))  # before the quarter
    make(world, submitted=at(10, 1, 0, 0), outcome="resolved")  # its first minute
    make(world, submitted=at(1, 1, 0, 0, year=2027), outcome="unresolved", unresolved_at=at(1, 2, year=2027))
    _cohort, result, _rows = table(world.users.secretary)
    assert result.total.figures.total == 3
    assert proportion(result.total.figures, "resolution") == (3, 3)


def test_the_measures_from_the_lifecycle(world):
    """Requests taken in and moved through servicedesk/lifecycle.py with explicit times."""
    staff, secretary = world.users.staff, world.users.secretary
    category = ServiceCategory.objects.get(code="legal-advice")  # 8 business hours / 5 business days

    def submit(when, **extra):
        return lifecycle.request_submit(
            actor=as_actor(staff, now=when),
            channel="desk",
            category=category,
            description="咨询遗产继承",
            region=world.grid_a1,
            requester=world.zhang,
            **extra,
        )

    monday = at(10, 12, 9)  # a working Monday
    good = submit(monday, address="1号楼")
    lifecycle.request_accept(actor=as_actor(staff, now=monday + dt.timedelta(hours=1)), req=good)
    lifecycle.request_dispatch(
        actor=as_actor(staff, now=monday + dt.timedelta(hours=2)), req=good, kind="staff", user=staff
    )
    lifecycle.request_handle(actor=as_actor(staff, now=monday + dt.timedelta(days=1)), req=good, result="已解答")
    good.refresh_from_db()
    lifecycle.request_confirm(
        actor=as_actor(world.users.admin, now=monday + dt.timedelta(days=1, hours=2)),
        req=good,
        resolved=True,
        score=5,
        token=good.token,
    )
    slow = submit(monday + dt.timedelta(minutes=5))  # never touched
    lifecycle.sweep(actor=as_actor(now=NOW))
    _cohort, result, _rows = table(secretary)
    figures = result.total.figures
    assert proportion(figures, "response") == (1, 2)
    assert proportion(figures, "resolution") == (1, 1)
    assert proportion(figures, "satisfaction") == (1, 1)
    assert proportion(figures, "on_time") == (1, 2)
    good.refresh_from_db()
    slow.refresh_from_db()
    assert slow.resolution_breached and slow.response_breached
    target = sla.target_seconds(category.resolution_target, category.resolution_unit)
    assert figures.handled == 1
    assert figures.p50 == pytest.approx(good.handle_seconds / target)


def test_a_pause_does_not_make_a_request_late(world):
    """Found while building the rates (resuming compared with the deadline from before the pause)
    and fixed in lifecycle._mark_breaches meanwhile: kept, since the on-time rate depends on it."""
    staff = world.users.staff
    category = ServiceCategory.objects.get(code="legal-advice")  # 5 business days
    monday = at(10, 12, 9)
    req = lifecycle.request_submit(
        actor=as_actor(staff, now=monday),
        channel="desk",
        category=category,
        description="咨询",
        region=world.grid_a1,
        requester=world.zhang,
    )
    lifecycle.request_dispatch(
        actor=as_actor(staff, now=monday + dt.timedelta(hours=1)), req=req, kind="staff", user=staff
    )
    lifecycle.request_suspend(actor=as_actor(staff, now=monday + dt.timedelta(hours=2)), req=req, note="等待提供材料")
    # Two weeks on hold: the old deadline passes while the clock is stopped.
    lifecycle.request_resume(actor=as_actor(staff, now=at(10, 26, 9)), req=req)
    req.refresh_from_db()
    assert req.resolution_due_at > at(10, 26, 9)
    assert not req.resolution_breached
    lifecycle.request_handle(actor=as_actor(staff, now=at(10, 26, 10)), req=req, result="已办结")
    _cohort, result, _rows = table(world.users.secretary)
    assert proportion(result.total.figures, "on_time") == (1, 1)


# --- repeats ------------------------------------------------------------------------------------


def test_repeat_rate_window_edges(world):
    first = at(9, 25, 10)  # before the quarter: looked back to, not counted itself
    make(world, submitted=first, address="和平路1号")
    make(world, submitted=first + dt.timedelta(days=30), address=" 和平路1号 ")  # day 30: a repeat
    make(world, submitted=at(10, 1, 10), address="和平路2号")
    make(world, submitted=at(11, 1, 10, 1), address="和平路2号")  # day 31 (and a minute): not a repeat
    make(world, submitted=at(10, 5, 10), address="和平路3号")
    make(world, submitted=at(10, 6, 10), address="和平路3号", category="sanitation")  # another service
    make(world, submitted=at(10, 7, 10), address="")  # no address: not in the rate
    make(world, submitted=at(10, 8, 10), address="   ")
    cohort, result, _rows = table(world.users.secretary, measure="repeat")
    assert proportion(result.total.figures, "repeat") == (1, 5)
    repeats = list(rs.drilldown(cohort, measure="repeat", part="numerator"))
    assert [r.submitted_at for r in repeats] == [first + dt.timedelta(days=30)]


def test_a_merged_duplicate_is_still_the_earlier_request(world):
    """Until issue #15 a merged duplicate was never the earlier request, so merging a resident's
    first report stopped the next from counting as a repeat; now a merge (signed off here, so
    out of the rates itself) still makes the next report of its place a repeat."""
    original = make(world, submitted=at(10, 2), address="和平路5号")
    make(
        world,
        submitted=at(10, 12),
        address="和平路5号",
        state="closed",
        close_reason="duplicate",
        duplicate_of=original,
        classification="duplicate",
        classification_note="重复",
        classified_by=world.users.staff,
        signed_off_by=world.users.secretary,
        signed_off_at=at(10, 13),
    )
    later = make(world, submitted=at(11, 8), address="和平路5号")  # 37 days after the original, 27 after the duplicate
    cohort, result, _rows = table(world.users.secretary, measure="repeat")
    assert proportion(result.total.figures, "repeat") == (1, 2)
    assert [r.pk for r in rs.drilldown(cohort, measure="repeat", part="numerator")] == [later.pk]


# --- percentiles, ranking, sample size -----------------------------------------------------------


def test_p50_and_p90_of_time_over_target(world):
    category = ServiceCategory.objects.get(code="legal-advice")
    target = sla.target_seconds(category.resolution_target, category.resolution_unit)
    ratios = [0.1, 0.5, 0.62, 0.8, 1.0, 1.5, 3.0]
    for ratio in ratios:
        make(world, handled_at=at(10, 12), handle_seconds=round(ratio * target), state="handled")
    make(world, region=world.grid_a2, handled_at=at(10, 12), handle_seconds=target // 2, state="handled")
    make(world)  # not handled: not in the percentiles
    cohort, result, rows = table(world.users.secretary, measure="p90")
    a1 = rows[str(world.grid_a1.pk)].figures
    assert a1.handled == 7
    assert a1.p50 == pytest.approx(0.8, abs=1e-4)
    assert a1.p90 == pytest.approx(rates.percentile(ratios, 0.9), abs=1e-4)
    assert result.total.figures.handled == 8
    assert result.total.figures.p50 == pytest.approx(rates.percentile([*ratios, 0.5], 0.5), abs=1e-4)
    listed = list(rs.drilldown(cohort, measure="p90", part="denominator", unit=str(world.grid_a1.pk)))
    assert [round(r.ratio, 2) for r in listed] == sorted(ratios, reverse=True)


def test_units_are_ranked_by_the_lower_bound_and_small_ones_are_not(world, settings):
    settings.DANGJIAN = override(RATES_MIN_SAMPLE=3)
    t = at(10, 10)
    for _i in range(3):  # A1: 3 of 3 — rate 100%, lower bound 0.44
        make(world, submitted=t, first_response_at=t)
    for i in range(20):  # A2: 19 of 20 — rate 95%, lower bound 0.76
        make(
            world,
            region=world.grid_a2,
            submitted=t,
            first_response_at=t if i else t + dt.timedelta(hours=2),
            response_breached=not i,
        )
    for _i in range(2):  # at the community: 2 of 2, below the minimum sample
        make(world, region=world.community_a, submitted=t, first_response_at=t)
    _cohort, result, rows = table(world.users.secretary)
    order = [row.unit.key for row in result.rows]
    assert order == [str(world.grid_a2.pk), str(world.grid_a1.pk), str(world.community_a.pk)]
    assert [row.rank for row in result.rows] == [1, 2, None]
    small = rows[str(world.community_a.pk)].figures
    assert not small.enough("response") and proportion(small, "response") == (2, 2)


def test_the_page_says_too_few_to_rank_and_shows_the_counts(world, client, settings):
    import time_machine

    settings.DANGJIAN = override(RATES_MIN_SAMPLE=20)
    for _i in range(3):
        make(world, first_response_at=at(10, 10, 9, 30))
    client.force_login(world.users.secretary)
    with time_machine.travel(NOW, tick=False):
        body = client.get("/services/rates/", {"period": "2026-Q4", "level": "grid"}).content.decode()
    assert "Too few to rank" in body or "样本不足" in body
    assert ">3</a>/<a" in body  # 3 of 3 still shown


# --- scope ----------------------------------------------------------------------------------------


def test_an_outsider_does_not_see_another_communitys_figures(world):
    make(world, outcome="resolved")
    make(world, region=world.grid_b1, outcome="unresolved")
    cohort, result, rows = table(world.users.outsider)
    assert cohort.node == world.community_b
    assert set(rows) == {str(world.grid_b1.pk), str(world.community_b.pk)}
    assert proportion(result.total.figures, "resolution") == (0, 1)
    with pytest.raises(rs.OutOfScope):
        rs.build_cohort(actor=as_actor(world.users.outsider), period=Q4, node_id=world.community_a.pk)
    with pytest.raises(rs.OutOfScope):
        rs.build_cohort(actor=as_actor(world.users.resident), period=Q4)
    # The street admin sees both communities, as rows of the street.
    _cohort, result, rows = table(world.users.admin)
    assert set(rows) == {str(world.community_a.pk), str(world.community_b.pk)}
    assert proportion(rows[str(world.community_a.pk)].figures, "resolution") == (1, 1)
    assert proportion(result.total.figures, "resolution") == (1, 2)


def test_a_district_admin_chooses_streets_communities_or_grids(world):
    district = make_user("district_admin", Role.DISTRICT_ADMIN, world.district)
    make(world, outcome="resolved")
    make(world, region=world.community_a, outcome="unresolved")
    make(world, region=world.grid_b1, outcome="resolved")
    cohort, result, rows = table(district)
    assert (cohort.node, cohort.level) == (world.district, "street")
    assert proportion(rows[str(world.street.pk)].figures, "resolution") == (2, 3)
    _cohort, _result, rows = table(district, level="community")
    assert proportion(rows[str(world.community_a.pk)].figures, "resolution") == (1, 2)
    # Grids are one street away (asking for them at the district gives the first level).
    assert table(district, level="grid")[0].level == "street"
    _cohort, result, rows = table(district, node=world.street.pk, level="grid")
    assert proportion(rows[str(world.community_a.pk)].figures, "resolution") == (0, 1)  # taken at the community
    assert rows[str(world.community_a.pk)].unit.at_community
    assert proportion(rows[str(world.grid_b1.pk)].figures, "resolution") == (1, 1)
    assert "红钢城社区 · 第一网格" in {row.unit.label for row in result.rows}


def test_ratings_stay_anonymous_to_a_branch_that_handled_the_request(world):
    """A branch secretary sees the requests dispatched to the branch, but not how they were rated."""
    req = make(world, assignee_kind="branch", assignee_organization=world.branch_a1, outcome="resolved")
    Rating.objects.create(request=req, score=2, source="resident")
    cohort, result, _rows = table(world.users.branch)
    assert cohort.node == world.community_a
    assert result.total.figures.total == 1 and proportion(result.total.figures, "resolution") == (1, 1)
    assert proportion(result.total.figures, "satisfaction") == (0, 0)
    assert list(rs.drilldown(cohort, measure="satisfaction", part="denominator")) == []
    _cohort, result, _rows = table(world.users.secretary)
    assert proportion(result.total.figures, "satisfaction") == (0, 1)


# --- figures equal their drill-downs ----------------------------------------------------------------


def _varied(world):
    """A bit of everything, in both grids, at the community and in community B."""
    t = at(10, 12)
    for i, region in enumerate([world.grid_a1, world.grid_a2, world.community_a, world.grid_b1] * 3):
        req = make(
            world,
            region=region,
            submitted=t + dt.timedelta(days=i),
            address=f"和平路{i % 4}号",
            first_response_at=t + dt.timedelta(days=i, minutes=30 + 20 * i),
            response_breached=30 + 20 * i > 60,
            handled_at=t + dt.timedelta(days=i + 1 + i % 6) if i % 5 else None,
            handle_seconds=(i + 1) * 9000 if i % 5 else None,
            resolution_breached=bool(i % 5) and 1 + i % 6 > 5,
            outcome=["resolved", "unresolved", ""][i % 3] if i % 5 else "",
            unresolved_at=t + dt.timedelta(days=i + 2) if i % 5 and i % 3 == 1 else None,
            unresolved_source="callback" if i % 5 and i % 3 == 1 else "",
            state="visited" if i % 5 else "in_progress",
        )
        if i % 2:
            Rating.objects.create(request=req, score=1 + i % 5, source="resident")
        if i % 5 and i % 4 != 3:  # the callback sample: reached or not, resolved or not
            Callback.objects.create(
                request=req, done_at=t + dt.timedelta(days=i + 2), answered=i % 4 != 2, resolved=i % 3 != 1
            )
    rollups.rebuild()


@pytest.mark.parametrize("role", ["admin", "secretary"])
def test_every_figure_equals_the_number_of_requests_behind_it(world, client, role):
    import time_machine

    _varied(world)
    user = getattr(world.users, role)
    client.force_login(user)
    level = "grid"
    cohort, result, _rows = table(user, level=level)
    checks = 0
    with time_machine.travel(NOW, tick=False):
        for row in [*result.rows, result.total]:
            unit = row.unit.key if row.unit else ""
            figures = row.figures
            expected = {
                ("all", "denominator", None): figures.total,
                ("p50", "denominator", None): figures.handled,
                ("p90", "denominator", None): figures.handled,
            }
            for measure in rs.RATE_MEASURES:
                p = figures.proportion(measure)
                expected[(measure, "numerator", None)] = p.numerator
                expected[(measure, "denominator", None)] = p.denominator
            for score, n in zip(rs.SCORES, figures.scores, strict=True):
                expected[("satisfaction", "denominator", score)] = n
            satisfaction = figures.proportion("satisfaction")
            expected[("satisfaction", rs.UNSATISFIED, None)] = satisfaction.denominator - satisfaction.numerator
            for (measure, part, score), n in expected.items():
                query = {
                    "node": cohort.node.pk,
                    "level": level,
                    "period": "2026-Q4",
                    "measure": measure,
                    "part": part,
                    "unit": unit,
                    "score": score or "",
                }
                response = client.get("/services/rates/requests/", query)
                assert response.status_code == 200
                assert response.context["page"].paginator.count == n, (unit, measure, part, score)
                checks += 1
    assert checks > 50
    assert result.total.figures.total == (12 if role == "admin" else 9)


@pytest.mark.parametrize("role", ["admin", "secretary"])
def test_figures_from_the_daily_counts_equal_figures_from_the_requests(world, monkeypatch, role):
    """The table and every count measure's trend, read from the daily counts, equal the same
    figures counted from the requests: with requests open and overdue now (added to the counts)
    and ratings of requests the user handles (which the user may not see: taken out)."""
    _varied(world)
    user = getattr(world.users, role)
    rated = ServiceRequest.objects.filter(rating__isnull=False, community=world.community_a).order_by("pk")[:2]
    ServiceRequest.objects.filter(pk__in=[r.pk for r in rated]).update(assignee_user=user)
    _cohort, result, _rows = table(user, level="grid")  # compares the table's figures itself
    assert result.total.figures.counts["satisfaction_den"] > 0
    cohort, _choices = rs.build_cohort(actor=as_actor(user, now=NOW), period=Q4, level="grid")
    assert rs.from_days(cohort)
    for measure in rs.RATE_MEASURES:
        for unit in ["", str(world.grid_a1.pk)]:
            read = [
                (p.period.key, proportion(p.figures, measure)) for p in rs.trend(cohort, measure=measure, unit=unit)
            ]
            with monkeypatch.context() as patch:
                patch.setattr(rs, "from_days", lambda cohort: False)
                counted = [
                    (p.period.key, proportion(p.figures, measure)) for p in rs.trend(cohort, measure=measure, unit=unit)
                ]
            assert read == counted, (measure, unit)
            assert unit or any(n for _key, (_k, n) in read), measure


def test_a_trend_point_equals_its_drilldown(world, client):
    import time_machine

    make(world, submitted=at(9, 15), first_response_at=at(9, 15, 9, 30))
    make(world, submitted=at(10, 15), first_response_at=at(10, 15, 12))
    make(world, submitted=at(10, 16), first_response_at=at(10, 16, 9, 10))
    cohort, _choices = rs.build_cohort(actor=as_actor(world.users.secretary, now=NOW), period=Q4)
    points = {p.period.key: p.figures for p in rs.trend(cohort, measure="response")}
    assert len(points) == 12
    assert proportion(points["2026-09"], "response") == (1, 1)
    assert proportion(points["2026-10"], "response") == (1, 2)
    assert proportion(points["2026-11"], "response") == (0, 0)
    client.force_login(world.users.secretary)
    with time_machine.travel(NOW, tick=False):
        response = client.get(
            "/services/rates/requests/", {"period": "2026-10", "measure": "response", "part": "numerator"}
        )
    assert response.context["page"].paginator.count == 1


def test_the_table_runs_a_fixed_number_of_queries(world):
    from dangjian.accounts.models import User
    from dangjian.orgs.models import Region
    from dangjian.orgs.trees import TreeBuilder

    _varied(world)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            user = User.objects.get(pk=world.users.admin.pk)  # a fresh scope, as in a new request
            cohort, _choices = rs.build_cohort(actor=as_actor(user, now=NOW), period=Q4, level="grid")
            rs.rates_table(cohort, measure="p90")
            rs.trend(cohort, measure="repeat")
        return len(queries)

    before = count()
    builder = TreeBuilder(Region)
    builder.child_count[world.community_a.path] = 2
    grids = [builder.add(world.community_a, name=f"新网格{i}", code=f"NEW{i}", level="grid") for i in range(8)]
    builder.save()
    for grid in grids:
        make(world, region=grid, community=world.community_a, first_response_at=at(10, 10), address="新路")
    assert count() == before
    # user 1, scope 2, nodes 2, the scope's region ids 1; the daily counts 1, the requests overdue
    # now 1, the requests the user handles 1; targets 1, handling times 1; the trend's denominators
    # 1 and repeats 1.
    assert before <= 13


# --- pages ----------------------------------------------------------------------------------------


def test_the_page_shows_the_table_charts_and_links(world, client):
    import time_machine

    _varied(world)
    client.force_login(world.users.secretary)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/services/rates/", {"level": "grid", "measure": "satisfaction"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "vendor/echarts/echarts.min.js" in body and 'id="rates-data"' in body
    assert "/services/rates/requests/?" in body
    rows = response.context["rows"]
    assert {row["label"] for row in rows} >= {"第一网格", "第二网格"}
    assert response.context["period"].key == "2026-Q4"


def test_a_district_gets_its_trend_after_the_table(world, client):
    import time_machine

    district = make_user("district_admin", Role.DISTRICT_ADMIN, world.district)
    make(world, submitted=at(10, 15), first_response_at=at(10, 15, 9, 30))
    client.force_login(district)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/services/rates/")
        assert page.context["lazy_trend"] and "months" not in page.context
        body = page.content.decode()
        assert 'hx-get="/services/rates/?' in body and "show=trend" in body
        fragment = client.get("/services/rates/", {"show": "trend"}, headers={"HX-Request": "true"})
        whole = client.get("/services/rates/", {"show": "trend"})
    assert fragment.status_code == 200 and not fragment.content.decode().lstrip().startswith("<!DOCTYPE")
    import json
    import re

    data = re.search(r'id="rates-trend-data" type="application/json">(.*?)</script>', fragment.content.decode(), re.S)
    assert [m["n"] for m in json.loads(data[1])["points"]][-3:] == [1, 0, 0]
    assert "HX-Request" in fragment["Vary"]
    assert not whole.context["lazy_trend"] and len(whole.context["months"]) == 12


def test_names_are_escaped(world, client):
    import time_machine

    evil = "<script>alert(1)</script>"
    ServiceCategory.objects.filter(code="legal-advice").update(name=evil)
    type(world.grid_a1).objects.filter(pk=world.grid_a1.pk).update(name=evil)
    req = make(world, first_response_at=at(10, 10, 9, 5), handled_at=at(10, 11), handle_seconds=3600)
    client.force_login(world.users.secretary)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/services/rates/", {"level": "grid"}).content.decode()
        listed = client.get("/services/rates/requests/", {"measure": "all", "part": "denominator"}).content.decode()
        export = client.post("/services/rates/export/", {"level": "grid"})
    for body in (page, listed):
        assert evil not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body or "\\u003Cscript\\u003E" in body
    assert f"/services/requests/{req.pk}/" in listed
    assert export.status_code == 200


def test_export_opens_in_openpyxl_and_has_the_numbers(world, client):
    import io

    import openpyxl
    import time_machine

    from dangjian.core.models import Event

    _varied(world)
    _cohort, result, rows = table(world.users.secretary, level="grid")
    client.force_login(world.users.secretary)
    with time_machine.travel(NOW, tick=False):
        response = client.post("/services/rates/export/", {"level": "grid", "period": "2026-Q4"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    headers, body = values[0], values[1:]
    assert len(body) == len(result.rows) + 1
    by_label = {line[0]: dict(zip(headers, line, strict=False)) for line in body}
    a1 = rows[str(world.grid_a1.pk)].figures
    line = by_label["第一网格"]
    # Columns: unit, requests, then per rate: counted, out of (n), rate, lower bound (response first).
    assert (line[headers[1]], line[headers[2]], line[headers[3]]) == (a1.total, *proportion(a1, "response"))
    assert line[headers[4]] == pytest.approx(a1.proportion("response").rate, abs=1e-4)
    assert line[headers[5]] == pytest.approx(a1.proportion("response").lower, abs=1e-4)
    assert body[-1][1] == result.total.figures.total
    event = Event.objects.get(action="exported")
    assert event.actor == world.users.secretary and event.changes["rates"] == [None, "2026-Q4"]


def test_staff_may_look_but_not_export(world, client):
    client.force_login(world.users.staff)
    assert client.get("/services/rates/").status_code == 200
    assert client.post("/services/rates/export/").status_code == 404


def test_the_classified_list_puts_pending_sign_offs_first(world, client):
    import time_machine

    make(
        world,
        classification="untrue",
        classification_note="已核实不属实",
        classified_by=world.users.staff,
        signed_off_by=world.users.secretary,
        signed_off_at=at(10, 20),
    )
    pending = make(
        world,
        submitted=at(10, 5),
        classification="not_our_remit",
        classification_note="属区级事权",
        classified_by=world.users.staff,
    )
    make(world)  # not classified
    make(
        world,
        region=world.grid_b1,
        classification="untrue",
        classification_note="B社区",
        classified_by=world.users.outsider,
    )
    client.force_login(world.users.secretary)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/services/rates/classified/")
    assert response.status_code == 200
    items = response.context["items"]
    assert items[0].pk == pending.pk and len(items) == 2
    body = response.content.decode()
    assert "已核实不属实" in body and "属区级事权" in body and "B社区" not in body
    assert "secretary_a" in body and "staff_a" in body


def test_unknown_measures_units_and_nodes_are_404(world, client):
    client.force_login(world.users.secretary)
    assert client.get("/services/rates/requests/", {"measure": "bogus", "part": "numerator"}).status_code == 404
    assert client.get("/services/rates/requests/", {"measure": "response", "unit": "999999"}).status_code == 404
    assert client.get("/services/rates/requests/", {"measure": "response", "score": "4"}).status_code == 404
    assert client.get("/services/rates/", {"node": world.community_b.pk}).status_code == 404
    assert client.get("/services/rates/", {"node": "x"}).status_code == 404
    # A period that makes no sense falls back to the current quarter with a message.
    assert client.get("/services/rates/", {"period": "2026-13"}).status_code == 200


def test_the_dissatisfied_list_is_every_rating_under_4_the_worst_first(world, client):
    """The rates page's "dissatisfied (1–3)" figure opens its requests, the lowest score first."""
    for score in (3, 5, 1, 2, 4, 3):
        Rating.objects.create(request=make(world), score=score, source="resident")
    rollups.rebuild()
    client.force_login(world.users.secretary)
    import time_machine

    with time_machine.travel(NOW, tick=False):
        page = client.get("/services/rates/", {"period": "2026-Q4", "measure": "satisfaction"})
        total = page.context["total"]["unsatisfied"]
        assert total["n"] == 4
        listed = client.get(total["url"])
    assert listed.status_code == 200 and listed.context["page"].paginator.count == 4
    assert [item.rating.score for item in listed.context["items"]] == [1, 2, 3, 3]
    # Only satisfaction has such a part: another measure's answers 404, not 500.
    assert client.get("/services/rates/requests/", {"measure": "response", "part": "unsatisfied"}).status_code == 404
