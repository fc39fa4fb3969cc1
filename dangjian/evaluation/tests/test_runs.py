"""Plans (drafts, publication before the period, revisions), runs (every number from the owning
app's indicator, stored with a fingerprint, reproducible, changes named) and who may do what."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core import indicators as registry
from dangjian.evaluation import scoring, selectors, services
from dangjian.evaluation.models import PlanState, Result, Run
from dangjian.servicedesk.models import RequestState
from dangjian.servicedesk.tests.test_lifecycle import LATER, advance, reach
from tests.factories import as_actor

S = RequestState
BEFORE = dt.date(2026, 9, 20)  # the plan is made and published before 2026-Q4 starts
START = dt.date(2026, 10, 1)
AFTER = dt.date(2027, 1, 5)


def admin(world, day=BEFORE):
    return as_actor(world.users.admin, today=day)


def published_plan(world, *, min_sample=1):
    plan = services.create_plan(actor=admin(world), region=world.street, kind="quarter", start=START)
    for leaf in plan.leaves.all():
        services.update_leaf(
            actor=admin(world),
            leaf=leaf,
            weight=leaf.weight,
            floor=leaf.floor,
            target=leaf.target,
            min_sample=min_sample,
        )
    return services.publish_plan(actor=admin(world), plan=plan)


def some_requests(world):
    advance(world, reach(world, S.HANDLED, description="楼道灯坏了", address="一栋"), "confirm", start=LATER)
    advance(world, reach(world, S.HANDLED, description="又坏了", address="一栋"), "reject", start=LATER)
    reach(world, S.DISPATCHED, description="水管漏水")


def test_a_new_plan_has_the_default_tree_with_every_registered_community_leaf(world):
    plan = services.create_plan(actor=admin(world), region=world.street, kind="quarter", start=START)
    assert (plan.start, plan.end, plan.state, plan.revision) == (START, dt.date(2027, 1, 1), PlanState.DRAFT, 1)
    assert [g.code for g in plan.groups.all()] == ["A", "B", "C", "D", "E"]
    assert sum(g.weight for g in plan.groups.all()) == pytest.approx(1)
    codes = set(plan.leaves.values_list("code", flat=True))
    assert {f"servicedesk.{m}" for m in ("response", "on_time", "resolution", "satisfaction", "repeat", "p90")} <= codes
    assert {"volunteering.participation", "volunteering.hours", "volunteering.concentration"} <= codes
    # A leaf no module answers yet is not in the plan: it is listed as waiting (待接入).
    pending = {p.code for p in registry.pending()}
    assert "meetings.on_time" in pending and not codes & pending
    with pytest.raises(ValidationError):  # one plan per area and period
        services.create_plan(actor=admin(world), region=world.street, kind="quarter", start=START)
    with pytest.raises(ValidationError):  # a quarter starts on its first day
        services.create_plan(actor=admin(world), region=world.street, kind="quarter", start=dt.date(2027, 2, 1))


def test_only_the_area_admin_makes_and_changes_plans(world):
    with pytest.raises(PermissionDenied):
        services.create_plan(
            actor=as_actor(world.users.secretary, today=BEFORE), region=world.street, kind="quarter", start=START
        )
    with pytest.raises(PermissionDenied):  # plans are for a street or district, not a community
        services.create_plan(actor=admin(world), region=world.community_a, kind="quarter", start=START)
    plan = services.create_plan(actor=admin(world), region=world.street, kind="quarter", start=START)
    leaf = plan.leaves.get(code="servicedesk.response")
    with pytest.raises(PermissionDenied):
        services.update_leaf(
            actor=as_actor(world.users.secretary), leaf=leaf, weight=1, floor=0.5, target=0.9, min_sample=5
        )


def test_a_target_on_the_wrong_side_of_the_floor_is_refused_with_the_reason(world):
    plan = services.create_plan(actor=admin(world), region=world.street, kind="quarter", start=START)
    with pytest.raises(ValidationError) as higher:
        services.update_leaf(
            actor=admin(world),
            leaf=plan.leaves.get(code="servicedesk.response"),
            weight=1,
            floor=0.9,
            target=0.5,
            min_sample=5,
        )
    assert "目标值必须高于" in str(higher.value)
    with pytest.raises(ValidationError) as lower:
        services.update_leaf(
            actor=admin(world),
            leaf=plan.leaves.get(code="servicedesk.repeat"),
            weight=1,
            floor=0.05,
            target=0.3,
            min_sample=5,
        )
    assert "目标值必须低于" in str(lower.value)
    with pytest.raises(ValidationError):
        services.update_leaf(
            actor=admin(world),
            leaf=plan.leaves.get(code="servicedesk.repeat"),
            weight=0,
            floor=0.3,
            target=0.05,
            min_sample=0,
        )


def test_published_before_the_period_frozen_from_its_start_and_changed_only_by_a_revision(world):
    plan = services.create_plan(actor=admin(world), region=world.street, kind="quarter", start=START)
    with pytest.raises(ValidationError):  # too late for a first publication
        services.publish_plan(actor=admin(world, START), plan=plan)
    plan = services.publish_plan(actor=admin(world), plan=plan)
    assert plan.state == PlanState.PUBLISHED and not services.frozen(plan, BEFORE) and services.frozen(plan, START)
    with pytest.raises(ValidationError):  # published: no more changes in place
        services.update_leaf(actor=admin(world), leaf=plan.leaves.first(), weight=1, floor=0, target=1, min_sample=1)
    with pytest.raises(ValidationError):
        services.revise_plan(actor=admin(world, START), plan=plan, reason="")
    second = services.revise_plan(actor=admin(world, START), plan=plan, reason="P90 目标按新的服务时限调整")
    assert (second.revision, second.previous_id, second.state) == (2, plan.pk, PlanState.DRAFT)
    assert second.leaves.count() == plan.leaves.count()
    services.update_leaf(
        actor=admin(world, START),
        leaf=second.leaves.get(code="servicedesk.p90"),
        weight=0.1,
        floor=2.5,
        target=1.0,
        min_sample=30,
    )
    services.publish_plan(actor=admin(world, START), plan=second)  # a correction, published at once
    plan.refresh_from_db()
    assert plan.state == PlanState.SUPERSEDED and plan.leaves.get(code="servicedesk.p90").floor == 2.0


def test_a_run_before_the_period_is_refused(world):
    plan = published_plan(world)
    with pytest.raises(ValidationError):
        services.start_run(actor=admin(world), plan=plan)


def test_a_run_scores_every_community_from_the_owning_apps_numbers(world):
    plan = published_plan(world)
    some_requests(world)
    actor = admin(world, AFTER)
    run = services.compute_run(actor=actor, plan=plan)
    results = {r.unit_id: r for r in run.results.all()}
    assert set(results) == {world.community_a.pk, world.community_b.pk}
    # Every input is the indicator's own number.
    for code in ("servicedesk.response", "servicedesk.resolution", "servicedesk.on_time"):
        measured = registry.indicator(code).measure(actor, plan.start, plan.end, [world.community_a.pk])[
            world.community_a.pk
        ]
        assert run.inputs[str(world.community_a.pk)][code] == [
            measured.value,
            measured.sample,
            measured.numerator,
            measured.denominator,
        ]
    a = results[world.community_a.pk]
    resolution = next(x for x in a.leaves if x["code"] == "servicedesk.resolution")
    assert (resolution["numerator"], resolution["denominator"]) == (1, 2)  # one confirmed, one rejected
    assert resolution["score"] == pytest.approx(scoring.leaf_score(0.5, 0.6, 0.95))  # 0: below the floor
    # The stored result is the scoring of the stored inputs with the stored weights.
    assert a.total == pytest.approx(sum(x["global_weight"] * x["score"] for x in a.leaves if x["status"] == "ok"))
    assert sum(x["global_weight"] for x in a.leaves) == pytest.approx(1)
    assert a.tier and a.low <= a.total <= a.high
    # Community B has no request: group A is left out for it, never scored as zero.
    b = results[world.community_b.pk]
    assert b.groups.get("A") is None and all(x["status"] != "ok" for x in b.leaves if x["group"] == "A")
    # The records behind each number are the indicator's list.
    listed = selectors.records(
        actor=actor, run=run, unit_id=world.community_a.pk, code="servicedesk.resolution", part="denominator"
    )
    assert listed.count() == 2


def test_recomputing_gives_the_same_fingerprint_or_names_what_changed(world):
    plan = published_plan(world)
    some_requests(world)
    actor = admin(world, AFTER)
    first = services.compute_run(actor=actor, plan=plan)
    again = services.compute_run(actor=actor, plan=plan)
    assert again.fingerprint == first.fingerprint and again.changes == []
    assert [(r.unit_id, r.total, r.tier) for r in again.results.all()] == [
        (r.unit_id, r.total, r.tier) for r in first.results.all()
    ]
    reach(world, S.DISPATCHED, description="电梯坏了")  # a record of the period added afterwards
    third = services.compute_run(actor=actor, plan=plan)
    assert third.fingerprint != first.fingerprint
    changed = {(c["unit"], c["code"]) for c in third.changes}
    assert (world.community_a.pk, "servicedesk.on_time") in changed or (
        world.community_a.pk,
        "servicedesk.response",
    ) in changed
    assert all(c["unit"] == world.community_a.pk for c in third.changes)
    # The overview lists them for the area's admin.
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(world.users.admin)
    page = client.get(reverse("evaluation:run", args=[third.pk])).content.decode()
    assert "与上次计算相比的变化" in page and "响应率" in page
    assert "<section" not in page.split("</title>")[0]  # the list is in the page, not its title


def test_a_community_sees_its_own_scorecard_and_the_published_plan_not_the_others(world):
    plan = published_plan(world)
    run = services.compute_run(actor=admin(world, AFTER), plan=plan)
    secretary = as_actor(world.users.secretary, today=AFTER)
    assert list(selectors.plans(actor=secretary)) == [plan]
    assert [r.unit_id for r in selectors.results(actor=secretary, run=run)] == [world.community_a.pk]
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.result_for(actor=secretary, run=run, unit_id=world.community_b.pk)
    with pytest.raises(Http404):
        selectors.records(
            actor=secretary, run=run, unit_id=world.community_b.pk, code="servicedesk.response", part="numerator"
        )
    # A draft is its area's admins' only.
    draft = services.create_plan(actor=admin(world), region=world.street, kind="quarter", start=dt.date(2027, 1, 1))
    assert draft not in selectors.plans(actor=secretary) and draft in selectors.plans(actor=admin(world))
    assert Run.objects.count() == 1 and Result.objects.count() == 2


def test_sensitivity_and_topsis_are_kept_with_the_run(world):
    plan = published_plan(world)
    some_requests(world)
    run = services.compute_run(actor=admin(world, AFTER), plan=plan)
    a = run.results.get(unit=world.community_a)
    assert set(a.sensitivity) >= {"A+20%", "A−20%", "B+20%", "critic"}
    assert a.stable == all(t == a.tier for t in a.sensitivity.values())


def test_weighing_a_group_by_the_data_within_the_experts_bounds():
    from dangjian.evaluation import mcdm
    from dangjian.evaluation.models import Plan, PlanLeaf

    plan = Plan(alpha=0.6)
    leaves = [
        PlanLeaf(group="A", code="x", weight=0.5, floor=0, target=1, min_sample=10),
        PlanLeaf(group="A", code="y", weight=0.3, floor=1, target=0, min_sample=10),  # lower is better
        PlanLeaf(group="A", code="z", weight=0.2, floor=0, target=1, min_sample=10),  # measured in one unit only
    ]
    values = {1: (0.9, 0.2), 2: (0.7, 0.4), 3: (0.5, 0.1), 4: (0.8, 0.3)}
    inputs = {str(u): {"x": [x, 50, None, None], "y": [y, 50, None, None]} for u, (x, y) in values.items()}
    inputs["1"]["z"] = [0.5, 50, None, None]
    entry = services.weigh(plan, leaves, [1, 2, 3, 4], inputs, "entropy")["A"]
    assert entry["weighed"] == ["x", "y"] and entry["units"] == 4
    data = mcdm.entropy([list(v) for v in values.values()], [1, -1])["weights"]
    # x and y share the experts' 0.8 by the data; z keeps its 0.2 on the data side.
    assert entry["objective"] == pytest.approx([data[0] * 0.8, data[1] * 0.8, 0.2])
    expected = mcdm.combine([0.5, 0.3, 0.2], entry["objective"], alpha=0.6)["weights"]
    assert entry["combined"] == pytest.approx(expected) and sum(entry["combined"]) == pytest.approx(1)
    # Two units are too few for the data: the experts' weights alone.
    few = services.weigh(plan, leaves, [1, 2], {k: inputs[k] for k in ("1", "2")}, "entropy")["A"]
    assert few["method"] == "none" and few["combined"] == pytest.approx([0.5, 0.3, 0.2])


def test_a_plan_being_computed_is_not_started_twice(world):
    start = dt.date(world.today.year, (world.today.month - 1) // 3 * 3 + 1, 1)
    before = as_actor(world.users.admin, today=start - dt.timedelta(days=1))
    plan = services.publish_plan(
        actor=before, plan=services.create_plan(actor=before, region=world.street, kind="quarter", start=start)
    )
    services.start_run(actor=as_actor(world.users.admin), plan=plan)  # queued: the worker has not run it
    with pytest.raises(ValidationError) as twice:
        services.start_run(actor=as_actor(world.users.admin), plan=plan)
    assert "正在计算" in " ".join(twice.value.messages)
    with pytest.raises(PermissionDenied):  # nor computed by someone who may not configure the street
        services.compute_run(actor=as_actor(world.users.secretary), plan=plan)


def test_the_communities_are_told_when_the_plan_is_published_and_when_results_are_in(world):
    from dangjian.core.models import Notification

    plan = published_plan(world)
    told = set(
        Notification.objects.filter(kind="evaluation_plan_published").values_list("recipient__username", flat=True)
    )
    assert told == {"secretary_a", "staff_a", "secretary_b"}
    services.compute_run(actor=admin(world, dt.date(2026, 11, 20)), plan=plan)  # provisional: nobody told
    assert not Notification.objects.filter(kind="evaluation_results").exists()
    services.compute_run(actor=admin(world, AFTER), plan=plan)
    services.compute_run(actor=admin(world, AFTER), plan=plan)  # computed again: told once
    results = Notification.objects.filter(kind="evaluation_results")
    assert sorted(results.values_list("recipient__username", flat=True)) == ["secretary_a", "secretary_b", "staff_a"]
