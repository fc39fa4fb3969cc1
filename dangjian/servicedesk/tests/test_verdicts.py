"""Issue #15, the three rates that cannot be bent (docs/rates.md, "Verdicts, reopenings and
merges"): a requester's "not resolved" always counts, a reopening turns the original's verdict
into "not resolved", a merge leaves the rates only with a second person's sign-off and only
within one community, and the 回访解决率 is the callback sample's alone. Every request here goes
through the state machine (lifecycle.py), the figures are read the way the rates page reads them
(from the daily counts the transitions keep) and checked against a count from the requests."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.roles import Role
from dangjian.accounts.services import grant_role
from dangjian.core.conf import config, override
from dangjian.servicedesk.models import (
    Callback,
    CloseReason,
    HandlingLevel,
    Outcome,
    RequestState,
    ServiceRequest,
    UnresolvedSource,
)
from dangjian.servicedesk.rates import rollups
from dangjian.servicedesk.rates import rules as rates
from dangjian.servicedesk.rates import selectors as rs
from dangjian.servicedesk.requests import lifecycle as lc
from dangjian.servicedesk.requests import selectors as request_selectors
from dangjian.servicedesk.tests.test_lifecycle import LATER, MON_9, advance, at, fresh, reach, submit
from tests.factories import APPOINTED_ON, as_actor, make_user
from tests.url_access_base import beyond_user

pytestmark = pytest.mark.django_db

S = RequestState
NOW = at("2026-11-28", "10:00")
Q4 = rates.parse_period("2026-Q4", today=NOW.date())


@pytest.fixture(autouse=True)
def daily_counts_kept():
    """Every write of these tests keeps the rates' daily counts equal to a fresh count."""
    yield
    assert rollups.reconcile() == []


def figures(world, *, user=None, now=NOW):
    """The whole node's figures as the page shows them (the secretary of community A: from the
    daily counts), and the same figures counted from the requests."""
    actor = as_actor(user or world.users.secretary, now=now)
    cohort, _choices = rs.build_cohort(actor=actor, period=Q4, node_id=world.community_a.pk)
    shown = rs.rates_table(cohort, measure="resolution").total.figures
    keys = [int(u.key) for u in cohort.units]
    _by_unit, counted = rs._figures(cohort, cohort.requests(), cohort.group(), keys, days=False)
    nonzero = lambda counts: {k: v for k, v in counts.items() if v}  # noqa: E731
    assert nonzero(shown.counts) == nonzero(counted.counts)
    return shown, cohort


def rate(found, measure):
    p = found.proportion(measure)
    return (p.numerator, p.denominator)


def listed(cohort, measure, part="denominator"):
    return set(rs.drilldown(cohort, measure=measure, part=part).values_list("pk", flat=True))


# --- a requester's "not resolved" ------------------------------------------------------------------


def test_not_resolved_then_handled_again_and_confirmed_counts_once_as_not_resolved(world):
    req = reach(world, S.HANDLED)
    req = advance(world, req, "reject", "handle", "confirm", start=LATER)
    assert (req.state, req.outcome) == (S.VISITED, Outcome.RESOLVED)  # the request's latest answer
    assert (req.unresolved_at, req.unresolved_source) == (LATER, UnresolvedSource.RESIDENT)
    found, cohort = figures(world)
    assert rate(found, "resolution") == (0, 1)
    assert listed(cohort, "resolution") == {req.pk} and listed(cohort, "resolution", "numerator") == set()


def test_a_second_not_resolved_keeps_the_first_moment(world):
    req = advance(world, reach(world, S.HANDLED), "reject", "handle", "reject", start=LATER)
    assert fresh(req).unresolved_at == LATER


def test_not_resolved_and_then_no_answer_still_counts(world):
    req = advance(world, reach(world, S.HANDLED), "reject", "handle", start=LATER)
    lc.sweep(actor=as_actor(now=at("2026-12-02", "10:00")))
    closed = fresh(req)
    assert (closed.close_reason, closed.outcome) == (CloseReason.NO_ANSWER, "")
    found, _cohort = figures(world, now=at("2026-12-02", "10:00"))
    assert rate(found, "resolution") == (0, 1)


# --- reopening ---------------------------------------------------------------------------------


def test_a_reopening_turns_the_originals_verdict_into_not_resolved(world):
    original = reach(world, S.VISITED)
    found, _cohort = figures(world)
    assert rate(found, "resolution") == (1, 1)
    moment = at("2026-11-25", "10:00")
    again = lc.request_reopen(actor=as_actor(world.users.resident, now=moment), req=original, note="灯又不亮了")
    original = fresh(original)
    assert (original.unresolved_at, original.unresolved_source) == (moment, UnresolvedSource.REOPENED)
    assert original.outcome == Outcome.RESOLVED  # what the requester said then stays on record
    step = original.steps.order_by("-id").first()
    assert (step.action, step.note) == ("reopen", f"{again.number}: 灯又不亮了")
    found, cohort = figures(world)
    assert rate(found, "resolution") == (0, 1)  # the new request has no verdict yet
    assert listed(cohort, "resolution") == {original.pk}
    assert found.total == 2


# --- merging -------------------------------------------------------------------------------------


def _late_duplicate(world):
    """The original, and a second report of it nobody answered by its deadline (11:00)."""
    original = reach(world, S.IN_PROGRESS, address="临江苑3栋")
    copy = submit(world, now=MON_9 + dt.timedelta(minutes=1), address="临江苑3栋")
    return original, copy


def test_an_unsigned_merge_leaves_the_request_in_every_rate_and_a_signed_one_removes_it(world):
    original, copy = _late_duplicate(world)
    merged = lc.request_merge(
        actor=as_actor(world.users.staff, now=LATER), req=copy, original=original, note="同一户反映同一盏灯"
    )
    assert (merged.close_reason, merged.classification, merged.classified_by) == (
        CloseReason.DUPLICATE,
        "duplicate",
        world.users.staff,
    )
    assert merged.response_breached  # merged past its deadline: the flag stays
    found, cohort = figures(world)
    assert found.total == 2
    assert rate(found, "response") == (1, 2)  # the merged request was never answered in time
    assert copy.pk in listed(cohort, "response") and copy.pk in listed(cohort, "repeat", "numerator")
    assert rate(found, "repeat") == (1, 2)  # a merged request is a repeat of the one it joins

    with pytest.raises(PermissionDenied):  # staff may merge but not sign off (the secretary's right)
        lc.request_sign_off(actor=as_actor(world.users.staff, now=LATER), req=merged)
    lc.request_sign_off(actor=as_actor(world.users.secretary, now=LATER), req=merged, note="核实为同一诉求")
    found, cohort = figures(world)
    assert found.total == 1
    assert rate(found, "response") == (1, 1)
    assert copy.pk not in listed(cohort, rs.ALL)


def test_a_signed_off_merge_still_makes_the_next_report_a_repeat(world):
    """Merging a resident's first report must not stop the second from counting as a repeat."""
    first = submit(world, address="临江苑3栋")
    second = submit(world, now=MON_9 + dt.timedelta(hours=1), address="临江苑3栋")
    lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=first, original=second, note="重复反映")
    lc.request_sign_off(actor=as_actor(world.users.secretary, now=LATER), req=fresh(first))
    found, cohort = figures(world)
    assert found.total == 1
    assert listed(cohort, "repeat", "numerator") == {second.pk}


def test_a_merge_across_communities_is_refused(world):
    theirs = submit(world, actor=world.users.admin, channel="desk", region=world.grid_b1, requester=world.wang)
    mine = submit(world)
    with pytest.raises(ValidationError) as err:
        lc.request_merge(actor=as_actor(world.users.admin, now=LATER), req=mine, original=theirs, note="同一件事")
    assert err.value.message_dict["original"] == [f"只能并入本社区的诉求；{theirs.number} 属于其他社区。"]
    assert fresh(mine).state == S.SUBMITTED and fresh(mine).duplicate_of is None


def test_a_merge_needs_a_reason(world):
    original, copy = submit(world), submit(world)
    with pytest.raises(ValidationError) as err:
        lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=copy, original=original, note="  ")
    assert set(err.value.message_dict) == {"note"}
    assert fresh(copy).state == S.SUBMITTED


def test_the_secretary_who_merged_cannot_sign_the_merge_off(world):
    original, copy = submit(world), submit(world)
    merged = lc.request_merge(
        actor=as_actor(world.users.secretary, now=LATER), req=copy, original=original, note="重复"
    )
    assert not lc.may(as_actor(world.users.secretary, now=LATER), merged, "sign_off")
    with pytest.raises(ValidationError):
        lc.request_sign_off(actor=as_actor(world.users.secretary, now=LATER), req=merged)
    assert lc.may(as_actor(world.users.admin, now=LATER), merged, "sign_off")
    lc.request_sign_off(actor=as_actor(world.users.admin, now=LATER), req=merged)
    assert fresh(copy).excluded


def test_a_merge_not_signed_off_can_be_undone(world):
    original = submit(world)
    copy = reach(world, S.IN_PROGRESS)
    lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=copy, original=original, note="重复")
    undone = lc.request_unmerge(actor=as_actor(world.users.secretary, now=LATER), req=fresh(copy), note="不是同一盏灯")
    assert (undone.state, undone.close_reason, undone.duplicate_of, undone.classification, undone.closed_at) == (
        S.IN_PROGRESS,
        "",
        None,
        "",
        None,
    )
    lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=undone, original=original, note="确是重复")
    lc.request_sign_off(actor=as_actor(world.users.secretary, now=LATER), req=fresh(copy))
    with pytest.raises(ValidationError):
        lc.request_unmerge(actor=as_actor(world.users.secretary, now=LATER), req=fresh(copy), note="再撤销")


def test_a_merge_is_not_classified_away(world):
    original, copy = submit(world), submit(world)
    with pytest.raises(ValidationError):
        lc.request_classify(
            actor=as_actor(world.users.staff, now=LATER), req=copy, classification="duplicate", note="重复"
        )
    lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=copy, original=original, note="重复")
    with pytest.raises(ValidationError):  # withdrawing "the classification" would hide the merge
        lc.request_classify(actor=as_actor(world.users.staff, now=LATER), req=fresh(copy), classification="", note="")
    assert fresh(copy).classification == "duplicate"


def test_merges_of_overdue_requests_and_many_in_a_day_are_flagged(world, settings):
    settings.DANGJIAN = override(BULK_MERGES=3)
    original, late = _late_duplicate(world)
    staff = as_actor(world.users.staff, now=LATER)
    lc.request_merge(actor=staff, req=late, original=original, note="重复")
    in_time = [submit(world, now=LATER - dt.timedelta(minutes=i + 1)) for i in range(2)]
    for req in in_time:
        lc.request_merge(actor=staff, req=req, original=original, note="重复")
    cohort, _choices = rs.build_cohort(actor=as_actor(world.users.secretary, now=NOW), period=Q4)
    flags = rs.merge_flags(cohort)
    assert [r.pk for r in flags.overdue] == [late.pk]
    assert len(flags.bulk) == 1
    assert flags.bulk[0].user == world.users.staff
    assert {r.pk for r in flags.bulk[0].requests} == {late.pk, *(r.pk for r in in_time)}
    settings.DANGJIAN = override(BULK_MERGES=4)
    assert rs.merge_flags(cohort).bulk == []


def test_the_audit_page_lists_merges_and_their_flags(world, client):
    original, late = _late_duplicate(world)
    lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=late, original=original, note="重复<b>反映</b>")
    client.force_login(world.users.secretary)
    page = client.get(reverse("servicedesk:rates:classified"), {"period": "2026-Q4", "node": world.community_a.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert late.number in html and original.number in html
    assert "重复&lt;b&gt;反映&lt;/b&gt;" in html and "<b>反映</b>" not in html
    flagged = html.split('id="flags-h"')[1]
    assert late.number in flagged


# --- the callback sample --------------------------------------------------------------------------


def test_the_callback_resolution_rate_is_a_hand_count_of_the_callback_sample(world):
    """Five handled requests are all sampled. The requester confirms two on their own first (one
    of them the callback then finds not resolved); the callers reach four and miss one."""
    handled = [reach(world, S.HANDLED, description=f"第{i}件") for i in range(5)]
    advance(world, handled[0], "confirm", start=LATER)
    advance(world, handled[1], "confirm", start=LATER)
    assert lc.callbacks_sample(actor=as_actor(now=LATER + dt.timedelta(hours=1)), rate=1.0) == 5
    caller = as_actor(world.users.admin, now=LATER + dt.timedelta(hours=2))  # the street
    answers = {0: True, 1: False, 2: True, 3: False}  # request index → resolved, says the requester
    for index, resolved in answers.items():
        lc.request_callback(actor=caller, req=fresh(handled[index]), answered=True, resolved=resolved, note="电话回访")
    lc.request_callback(actor=caller, req=fresh(handled[4]), answered=False, note="无人接听")
    with pytest.raises(PermissionDenied):  # a callback is made once
        lc.request_callback(actor=caller, req=fresh(handled[1]), answered=True, resolved=True)

    sample = Callback.objects.filter(request__in=handled, answered=True)
    by_hand = (sample.filter(resolved=True).count(), sample.count())
    found, cohort = figures(world, now=LATER + dt.timedelta(hours=3))
    assert by_hand == (2, 4)
    assert rate(found, "callback") == by_hand
    assert listed(cohort, "callback", "numerator") == {handled[0].pk, handled[2].pk}
    # The 解决率: 0 confirmed and called resolved; 1 confirmed but called not resolved; 2 called
    # resolved; 3 called not resolved; 4 not reached, no answer yet.
    assert rate(found, "resolution") == (2, 4)
    assert fresh(handled[1]).unresolved_source == UnresolvedSource.CALLBACK


def test_the_rates_page_shows_the_callback_rate_beside_the_resolution_rate(world, client):
    req = reach(world, S.HANDLED)
    lc.callbacks_sample(actor=as_actor(now=LATER), rate=1.0)
    lc.request_callback(actor=as_actor(world.users.admin, now=LATER), req=fresh(req), answered=True, resolved=True)
    client.force_login(world.users.secretary)
    html = client.get(reverse("servicedesk:rates:index"), {"period": "2026-Q4"}).content.decode()
    header = html.split('id="table-h"')[1].split("</thead>")[0]
    assert header.index("解决率") < header.index("回访解决率") < header.index("满意率")


def test_the_integrity_check_finds_what_the_state_machine_cannot_write(world):
    """rates/integrity.py, which the demo's data must pass: a request written around the state
    machine with a requester's "not resolved" as its outcome, and a merge across communities."""
    from dangjian.servicedesk.rates import integrity

    good = reach(world, S.VISITED)
    assert integrity.problems() == {}
    bad = reach(world, S.HANDLED)
    type(bad).objects.filter(pk=bad.pk).update(state=S.VISITED, outcome="unresolved", outcome_source="resident")
    elsewhere = submit(world, actor=world.users.admin, channel="desk", region=world.grid_b1, requester=world.wang)
    type(bad).objects.filter(pk=elsewhere.pk).update(
        state=S.CLOSED, close_reason="duplicate", duplicate_of=good, classification="duplicate"
    )
    assert integrity.problems() == {
        "unresolved_outcome": [bad.pk],
        "resident_unresolved_outcome": [bad.pk],
        "merge_across": [elsewhere.pk],
    }
    rollups.rebuild()  # the rows were written around the state machine


def test_a_merge_waits_on_the_workbench_of_whoever_may_sign_it_off(world, client):
    # Two days before the clock's now (the suite runs at several instants): the to-do looks back
    # from the oldest waiting request to today.
    then = timezone.now() - dt.timedelta(days=2)
    original, copy = submit(world, now=then), submit(world, now=then + dt.timedelta(minutes=1))
    lc.request_merge(
        actor=as_actor(world.users.staff, now=then + dt.timedelta(hours=1)), req=copy, original=original, note="重复"
    )
    assert rs.sign_offs_waiting(actor=as_actor(world.users.staff)) == (0, "")  # may merge, not sign off
    assert rs.sign_offs_waiting(actor=as_actor(world.users.outsider)) == (0, "")  # community B's secretary
    count, query = rs.sign_offs_waiting(actor=as_actor(world.users.secretary))
    assert count == 1 and "waiting=1" in query
    client.force_login(world.users.secretary)
    workbench = client.get(reverse("dashboard:workbench")).content.decode()
    assert "1 件分类或合并待你复核" in workbench
    listed = client.get(f"{reverse('servicedesk:rates:classified')}?{query}").content.decode()
    assert "待你复核 1 件" in listed and copy.number in listed
    lc.request_sign_off(actor=as_actor(world.users.secretary, now=then + dt.timedelta(hours=2)), req=fresh(copy))
    assert rs.sign_offs_waiting(actor=as_actor(world.users.secretary)) == (0, "")
    assert "待你复核" not in client.get(reverse("dashboard:workbench")).content.decode()


def test_a_merge_not_signed_off_stops_no_clock(world):
    """Merged an hour before its first-response deadline and never signed off: once the deadlines
    pass it counts late in the response and on-time rates (flagged by the sweep as if open);
    signed off, it leaves them."""
    original = reach(world, S.IN_PROGRESS)
    copy = submit(world, now=MON_9 + dt.timedelta(minutes=1))
    merged = lc.request_merge(
        actor=as_actor(world.users.staff, now=MON_9 + dt.timedelta(minutes=30)),
        req=copy,
        original=original,
        note="重复",
    )
    assert not merged.response_breached
    later = at("2026-11-27", "10:00")  # both deadlines of the copy have passed
    found, cohort = figures(world, now=later)
    assert copy.pk in listed(cohort, "response") and copy.pk not in listed(cohort, "response", "numerator")
    assert copy.pk in listed(cohort, "on_time") and copy.pk not in listed(cohort, "on_time", "numerator")
    lc.sweep(actor=as_actor(now=later))
    flagged = fresh(copy)
    assert flagged.response_breached and flagged.resolution_breached and flagged.state == S.CLOSED
    assert figures(world, now=later)[0].counts == found.counts  # the same figures, now settled
    lc.request_sign_off(actor=as_actor(world.users.secretary, now=later), req=flagged)
    found, cohort = figures(world, now=later)
    assert copy.pk not in listed(cohort, "response") | listed(cohort, "on_time")


def test_a_merge_into_a_withdrawn_request_is_refused(world):
    gone = submit(world)
    lc.request_withdraw(actor=as_actor(world.users.resident, now=LATER), req=gone, note="不需要了")
    copy = submit(world)
    with pytest.raises(ValidationError) as err:
        lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=copy, original=fresh(gone), note="重复")
    assert gone.number in err.value.message_dict["original"][0]
    assert fresh(copy).state == S.SUBMITTED


def test_reopening_a_request_withdrawn_before_handling_turns_no_verdict(world):
    req = submit(world)
    lc.request_withdraw(actor=as_actor(world.users.resident, now=LATER), req=req, note="先不用了")
    lc.request_reopen(actor=as_actor(world.users.resident, now=LATER), req=fresh(req), note="还是需要")
    assert fresh(req).unresolved_at is None


def test_undoing_a_merge_of_a_request_on_hold_puts_it_back_on_hold(world):
    original = submit(world)
    held = reach(world, S.SUSPENDED)
    lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=held, original=original, note="重复")
    undone = lc.request_unmerge(actor=as_actor(world.users.staff, now=LATER), req=fresh(held), note="不是重复")
    assert (undone.state, undone.paused_since) == (S.SUSPENDED, LATER)


def test_a_callback_after_the_no_answer_close_gives_the_verdict_and_keeps_it_closed(world):
    req = reach(world, S.HANDLED)
    lc.callbacks_sample(actor=as_actor(now=LATER), rate=1.0)
    lc.sweep(actor=as_actor(now=at("2026-12-02", "10:00")))
    assert fresh(req).close_reason == CloseReason.NO_ANSWER
    called = lc.request_callback(
        actor=as_actor(world.users.admin, now=at("2026-12-02", "11:00")),
        req=fresh(req),
        answered=True,
        resolved=False,
        note="居民说灯还是不亮",
    )
    assert (called.state, called.outcome, called.unresolved_source) == (S.CLOSED, Outcome.UNRESOLVED, "callback")


def test_the_migration_applies_the_rules_to_requests_recorded_before(world):
    """servicedesk 0006's data step, on rows as the code before it wrote them."""
    import importlib

    from django.apps import apps

    from dangjian.servicedesk.models import ServiceRequest

    migration = importlib.import_module("dangjian.servicedesk.migrations.0006_verdicts_and_merges")
    rejected = advance(world, reach(world, S.HANDLED), "reject", "handle", "confirm", start=LATER)
    withdrawn = submit(world)
    lc.request_withdraw(actor=as_actor(world.users.resident, now=LATER), req=withdrawn, note="先不用了")
    lc.request_reopen(actor=as_actor(world.users.resident, now=LATER), req=fresh(withdrawn), note="还是需要")
    original = submit(world)
    merged, proposed = submit(world), submit(world)
    for req in (merged, proposed):
        lc.request_merge(actor=as_actor(world.users.staff, now=LATER), req=req, original=original, note="重复")
    # as the code before 0006 left them: no verdict kept, merges without a classification (or
    # with one proposed before the merge and never signed off)
    ServiceRequest.objects.update(unresolved_at=None, unresolved_source="")
    ServiceRequest.objects.filter(pk=merged.pk).update(classification="", classification_note="", classified_by=None)
    ServiceRequest.objects.filter(pk=proposed.pk).update(classification="untrue", classification_note="不属实")
    migration.forward(apps, None)
    assert (fresh(rejected).unresolved_source, fresh(rejected).unresolved_at) == ("resident", LATER)
    assert fresh(withdrawn).unresolved_at is None  # withdrawn before handling: no verdict to turn
    for req in (merged, proposed):
        after = fresh(req)
        assert (after.classification, after.classified_by, after.signed_off_at) == (
            "duplicate",
            world.users.staff,
            None,
        )
    rollups.rebuild()


# --- who calls back, and how often a requester is tried (DESIGN.md §5: "which no one inside the
# handling unit can influence") -------------------------------------------------------------------


def _sampled_handled(world, **kw):
    req = reach(world, S.HANDLED, **kw)
    Callback.objects.create(request=req, sampled_at=LATER)
    return fresh(req)


def test_only_someone_outside_the_handling_unit_calls_back(world):
    req = _sampled_handled(world)
    u = world.users
    # Inside community A (its staff and secretary handled nothing here), out of scope (B's
    # secretary), or not staff at all: none may make the call.
    for user in (u.staff, u.secretary, u.branch, u.outsider, u.liaison, u.resident):
        actor = as_actor(user, now=LATER)
        assert not lc.may(actor, req, "callback")
        assert req not in request_selectors.callbacks_due(actor=actor)
        with pytest.raises(PermissionDenied):
            lc.request_callback(actor=actor, req=req, answered=True, resolved=True)
    # A street admin who also holds a post in community A is inside it; one with a post in
    # community B is not inside A.
    inside = make_user("street_and_a", Role.DISTRICT_ADMIN, world.street)
    grant_role(actor=as_actor(None), user=inside, role=Role.COMMUNITY_STAFF, node=world.grid_a2, starts_on=APPOINTED_ON)
    elsewhere = make_user("street_and_b", Role.DISTRICT_ADMIN, world.street)
    grant_role(
        actor=as_actor(None), user=elsewhere, role=Role.COMMUNITY_STAFF, node=world.community_b, starts_on=APPOINTED_ON
    )
    assert not lc.may(as_actor(inside, now=LATER), req, "callback")
    assert request_selectors.callbacks_due(actor=as_actor(inside, now=LATER)) == []
    assert lc.may(as_actor(elsewhere, now=LATER), req, "callback")
    assert request_selectors.callbacks_due(actor=as_actor(elsewhere, now=LATER)) == [req]
    # The street calls back a community's request.
    assert request_selectors.callbacks_due(actor=as_actor(u.admin, now=LATER)) == [req]
    done = lc.request_callback(actor=as_actor(u.admin, now=LATER), req=req, answered=True, resolved=True)
    assert Callback.objects.get(request=done).caller == u.admin


def test_a_request_handled_at_the_street_is_called_back_from_the_district(world):
    req = _sampled_handled(world)
    ServiceRequest.objects.filter(pk=req.pk).update(level=HandlingLevel.STREET)  # escalated (吹哨)
    req = fresh(req)
    street = as_actor(world.users.admin, now=LATER)
    district = as_actor(beyond_user("district", world), now=LATER)
    assert not lc.may(street, req, "callback") and request_selectors.callbacks_due(actor=street) == []
    assert lc.may(district, req, "callback") and request_selectors.callbacks_due(actor=district) == [req]
    with pytest.raises(PermissionDenied):
        lc.request_callback(actor=street, req=req, answered=True, resolved=True)
    lc.request_callback(actor=district, req=req, answered=True, resolved=True)


def test_a_requester_not_reached_is_tried_once_a_day_and_given_up_after_the_set_tries(world):
    """Two sampled requests: one reached on the second day, one not reached on three days
    (CALLBACK_ATTEMPTS, default 3), which then counts as not reached in the 回访接通率 and
    is never in the 回访解决率."""
    reached, missed = _sampled_handled(world, description="第一件"), _sampled_handled(world, description="第二件")
    assert config().callback_attempts == 3
    day = lambda n, hour="10:00": at(f"2026-11-{23 + n:02d}", hour)  # noqa: E731 (Monday 23rd on)
    street = world.users.admin

    for n in (1, 2, 3):
        caller = as_actor(street, now=day(n))
        assert missed in request_selectors.callbacks_due(actor=caller)
        done = lc.request_callback(actor=caller, req=fresh(missed), answered=False, note=f"第{n}次无人接听")
        assert Callback.objects.get(request=done).attempts == n
        if n == 1:
            lc.request_callback(actor=caller, req=fresh(reached), answered=False, note="无人接听")
            # Tried today: not listed again today, and a second try today is refused with its reason.
            later_today = as_actor(street, now=day(n, "16:00"))
            assert request_selectors.callbacks_due(actor=later_today) == []
            assert not lc.may(later_today, fresh(missed), "callback")
            with pytest.raises(ValidationError) as err:
                lc.request_callback(actor=later_today, req=fresh(missed), answered=False)
            assert "请改天再打" in err.value.messages[0]
        if n == 2:
            lc.request_callback(actor=caller, req=fresh(reached), answered=True, resolved=False, note="接通")

    given_up = Callback.objects.get(request=missed)
    assert (given_up.answered, given_up.given_up_at) == (False, day(3))
    after = as_actor(street, now=day(4))
    assert request_selectors.callbacks_due(actor=after) == []
    assert not lc.may(after, fresh(missed), "callback")
    with pytest.raises(PermissionDenied):  # given up: no more tries, as once reached
        lc.request_callback(actor=after, req=fresh(missed), answered=True, resolved=True)

    found, cohort = figures(world, now=day(4))
    assert rate(found, "reach") == (1, 2)  # reached one of the two finished callbacks
    assert listed(cohort, "reach") == {reached.pk, missed.pk}
    assert listed(cohort, "reach", "numerator") == {reached.pk}
    assert rate(found, "callback") == (0, 1)  # the given-up case is not in the 回访解决率


def test_the_rates_page_shows_the_reach_rate_and_its_list(world, client):
    req = _sampled_handled(world)
    for n in (1, 2, 3):
        lc.request_callback(
            actor=as_actor(world.users.admin, now=at(f"2026-11-{23 + n}", "10:00")), req=fresh(req), answered=False
        )
    client.force_login(world.users.secretary)
    url = reverse("servicedesk:rates:index")
    html = client.get(url, {"period": "2026-Q4", "measure": "reach", "node": world.community_a.pk}).content.decode()
    assert "回访接通率" in html
    listing = client.get(
        reverse("servicedesk:rates:requests"),
        {"period": "2026-Q4", "measure": "reach", "part": "denominator", "node": world.community_a.pk},
    ).content.decode()
    assert req.number in listing
