"""Reads of the evaluation: the plans a user may see (their area's, and the published plans that
evaluate a community they hold a role in), a run's results for the overview and the scorecard,
and the records behind a number (the owning app's own list, through its indicator)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.core import indicators as registry
from dangjian.core.access import CONFIGURE, VIEW, allowed, restrict, scope_of
from dangjian.core.actors import Actor
from dangjian.core.models import PATH_STEP
from dangjian.core.validators import parse_id
from dangjian.evaluation.defaults import GROUP_NAMES
from dangjian.evaluation.models import Flag, FlagState, Plan, PlanState, Result, Run
from dangjian.orgs.models import Region


def _above_held(actor: Actor) -> Q:
    """The published plans of an area above (or at) a region the user holds a role in."""
    paths = {p[:end] for p in scope_of(actor).held.region_paths for end in range(PATH_STEP, len(p) + 1, PATH_STEP)}
    if not paths:
        return Q(pk__in=[])
    return Q(region__path__in=paths, state__in=[PlanState.PUBLISHED, PlanState.SUPERSEDED])


def plans(*, actor: Actor) -> QuerySet[Plan]:
    """Plans the user may see: those of their area (drafts included), and the published ones that
    evaluate them."""
    own = restrict(Plan.objects.all(), actor, VIEW).values("pk")
    return (
        Plan.objects.filter(Q(pk__in=own) | _above_held(actor))
        .select_related("region")
        .order_by("-start", "region__path", "-revision")
    )


def plan_for(*, actor: Actor, pk: int) -> Plan:
    if parse_id(pk) is None:  # beyond what the database holds: no such plan
        raise Http404
    plan = plans(actor=actor).filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


def may_manage(*, actor: Actor, plan: Plan) -> bool:
    return allowed(actor, CONFIGURE, plan.region)


def latest_run(plan: Plan) -> Run | None:
    return plan.runs.filter(finished_at__isnull=False).order_by("-finished_at").first()


def latest_runs(plan_ids: list[int]) -> dict[int, Run]:
    """Each plan's latest finished run, in one query."""
    found: dict[int, Run] = {}
    for run in Run.objects.filter(plan_id__in=plan_ids, finished_at__isnull=False).order_by("plan_id", "-finished_at"):
        found.setdefault(run.plan_id, run)
    return found


def revisions(*, actor: Actor, plan: Plan) -> list[Plan]:
    """The revisions of a plan's area and period the user may see (a draft revision is its area's
    admins' only)."""
    return list(
        plans(actor=actor).filter(region_id=plan.region_id, start=plan.start, end=plan.end).order_by("revision")
    )


def run_for(*, actor: Actor, pk: int) -> Run:
    """A run of a plan the user may see (its results are then read through ``results``)."""
    if parse_id(pk) is None:
        raise Http404
    run = Run.objects.select_related("plan", "plan__region").filter(pk=pk, finished_at__isnull=False).first()
    if run is None or not plans(actor=actor).filter(pk=run.plan_id).exists():
        raise Http404
    return run


def results(*, actor: Actor, run: Run) -> QuerySet[Result]:
    """The run's results of the communities the user may see."""
    return restrict(run.results.all(), actor, VIEW).select_related("unit").order_by("unit__path")


def result_for(*, actor: Actor, run: Run, unit_id: int) -> Result:
    if parse_id(unit_id) is None:
        raise Http404
    result = results(actor=actor, run=run).filter(unit_id=unit_id).first()
    if result is None:
        raise Http404
    return result


def previous_totals(*, actor: Actor, run: Run, count: int = 4) -> list[tuple[Plan, dict[int, float | None]]]:
    """The trend: the totals of the same area's earlier periods of the same kind (their plans'
    latest runs), oldest first, for the communities the user may see."""
    plan = run.plan
    earlier = (
        plans(actor=actor)
        .filter(region_id=plan.region_id, kind=plan.kind, start__lt=plan.start, state=PlanState.PUBLISHED)
        .order_by("-start")[:count]
    )
    out = []
    for other in reversed(list(earlier)):
        last = latest_run(other)
        if last is not None:
            out.append((other, dict(results(actor=actor, run=last).values_list("unit_id", "total"))))
    return out


@dataclass(frozen=True)
class LeafView:
    code: str
    name: Any
    formula: Any
    direction: int
    unit_kind: str  # "rate" or "value"
    data: dict

    @property
    def is_rate(self) -> bool:
        return self.unit_kind == "rate"


def leaf_views(plan: Plan, result: Result) -> list[LeafView]:
    specs = {x.code: x for x in plan.leaves.all()}
    out = []
    for leaf in result.leaves:
        try:
            indicator = registry.indicator(leaf["code"])
            name, formula, direction = indicator.name, indicator.formula, indicator.direction
        except KeyError:
            name, formula, direction = leaf["code"], "", 1
        spec = specs.get(leaf["code"])
        data = {
            **leaf,
            "floor": spec.floor if spec else None,
            "target": spec.target if spec else None,
            "min_sample": spec.min_sample if spec else None,
        }
        out.append(
            LeafView(
                leaf["code"], name, formula, direction, "rate" if leaf["denominator"] is not None else "value", data
            )
        )
    return out


def group_names() -> dict[str, Any]:
    return dict(GROUP_NAMES)


def records(*, actor: Actor, run: Run, unit_id: int, code: str, part: str) -> QuerySet:
    """The records behind one number of a scorecard: the owning app's list for that community and
    period (``registry.Indicator.records``, through the access layer)."""
    if part not in registry.PARTS or not run.plan.leaves.filter(code=code).exists():
        raise Http404
    result_for(actor=actor, run=run, unit_id=unit_id)  # the scorecard must be the user's to see
    try:
        indicator = registry.indicator(code)
    except KeyError as exc:
        raise Http404 from exc
    return indicator.records(actor, run.plan.start, run.plan.end, unit_id, part)


def region_choices(*, actor: Actor) -> QuerySet[Region]:
    """The streets and districts where the user may make plans."""
    return restrict(Region.objects.filter(level__in=["street", "district"]), actor, CONFIGURE).order_by("path")


def flags(*, actor: Actor, run: Run) -> QuerySet[Flag]:
    """The checks' findings of the run: the area's admins' only (CONFIGURE at the plan's area)."""
    return (
        restrict(run.flags.all(), actor, CONFIGURE).select_related("unit", "reviewed_by").order_by("unit__path", "code")
    )


def flag_counts(*, actor: Actor, run: Run) -> dict[int, int]:
    """Per community, the findings not yet looked at."""
    counts: dict[int, int] = {}
    for unit_id in flags(actor=actor, run=run).filter(state=FlagState.OPEN).values_list("unit_id", flat=True):
        counts[unit_id] = counts.get(unit_id, 0) + 1
    return counts


def flag_evidence(*, actor: Actor, flag: Flag, limit: int = 20) -> list[Any]:
    """The first records behind a finding, through the owning app's check (and the access layer)."""
    try:
        check = registry.check(flag.code)
    except KeyError:
        return []
    return list(check.records(actor, flag.evidence[:limit]))
