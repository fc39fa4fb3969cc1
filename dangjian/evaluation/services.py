"""Writes of the evaluation (docs/evaluation.md): plans and their revisions, the experts'
judgements, publication, and runs (computed in the background, ``start_run``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core import indicators as registry
from dangjian.core.access import CONFIGURE, VIEW, allowed, restrict
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.core.jobs import job_progress, job_running, job_start, job_succeeded, need_record, need_right, run_job
from dangjian.core.models import Job
from dangjian.core.notifications import notify
from dangjian.evaluation import defaults, mcdm, scoring
from dangjian.evaluation.models import (
    Flag,
    FlagState,
    Judgement,
    Objective,
    PeriodKind,
    Plan,
    PlanGroup,
    PlanLeaf,
    PlanState,
    Result,
    Run,
)
from dangjian.orgs.models import Region, RegionLevel

if TYPE_CHECKING:
    from dangjian.accounts.models import User

RUN_KIND = "evaluation_run"
SENSITIVITY_STEP = 0.20  # each first-level weight moved by ±20 %


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The period of ``kind`` that holds ``day``: [start, end)."""
    months = {PeriodKind.QUARTER: 3, PeriodKind.HALF: 6, PeriodKind.YEAR: 12}[PeriodKind(kind)]
    first = (day.month - 1) // months * months + 1
    start = dt.date(day.year, first, 1)
    last = first + months
    end = dt.date(day.year + (last - 1) // 12, (last - 1) % 12 + 1, 1)
    return start, end


def frozen(plan: Plan, today: dt.date) -> bool:
    """A published plan is frozen once its period has started (and a replaced one for good)."""
    return plan.state == PlanState.SUPERSEDED or (plan.state == PlanState.PUBLISHED and today >= plan.start)


def _may_configure(actor: Actor, region: Region) -> User:
    """The acting user, when they may configure the street or district ``region``."""
    if (
        actor.user is None
        or region.level not in (RegionLevel.STREET, RegionLevel.DISTRICT)
        or not allowed(actor, CONFIGURE, region)
    ):
        raise PermissionDenied
    return actor.user


def _locked(plan: Plan) -> Plan:
    return Plan.objects.select_for_update().get(pk=plan.pk)


@transaction.atomic
def create_plan(*, actor: Actor, region: Region, kind: str, start: dt.date) -> Plan:
    """A draft plan of the default tree (defaults.py) with every registered leaf the region's
    communities can be measured by, for the period of ``kind`` that starts at ``start``."""
    user = _may_configure(actor, region)
    if kind not in PeriodKind.values:
        raise ValidationError({"kind": _("Choose a quarter, a half-year or a year.")})
    if not 2000 <= start.year <= 9998:
        raise ValidationError({"start": _("Choose a year between 2000 and 9998.")})
    first, end = period_bounds(kind, start)
    if first != start:
        raise ValidationError({"start": _("A period starts on the first day of its quarter, half-year or year.")})
    if Plan.objects.filter(region=region, start=start, end=end).exists():
        raise ValidationError(
            {"start": _("This area already has a plan for this period; open it and change it there.")}
        )
    try:
        with transaction.atomic():
            plan = Plan.objects.create(
                region=region, kind=kind, start=start, end=end, created_by=user, cutoffs=defaults.CUTOFFS
            )
    except IntegrityError as exc:  # drafted at the same moment by someone else
        raise ValidationError(
            {"start": _("This area already has a plan for this period; open it and change it there.")}
        ) from exc
    for order, (code, _name, weight) in enumerate(defaults.GROUPS):
        PlanGroup.objects.create(plan=plan, code=code, weight=weight, order=order)
    for order, indicator in enumerate(i for i in registry.indicators() if i.unit == "community"):
        weight, floor, target, min_sample = defaults.LEAVES.get(indicator.code, defaults.DEFAULT_LEAF)
        PlanLeaf.objects.create(
            plan=plan,
            group=indicator.group,
            code=indicator.code,
            weight=weight,
            floor=floor,
            target=target,
            min_sample=min_sample,
            order=order,
        )
    record_event(actor=actor, action=EventAction.CREATED, target=plan)
    return plan


def _editable(actor: Actor, plan: Plan) -> Plan:
    _may_configure(actor, plan.region)
    plan = _locked(plan)
    if plan.state != PlanState.DRAFT:
        raise ValidationError(
            _("This plan has been published and can no longer be changed; make a new revision with its reason.")
        )
    return plan


@transaction.atomic
def update_leaf(
    *, actor: Actor, leaf: PlanLeaf, weight: float, floor: float, target: float, min_sample: int
) -> PlanLeaf:
    plan = _editable(actor, leaf.plan)
    indicator = registry.indicator(leaf.code) if leaf.code in {i.code for i in registry.indicators()} else None
    errors = {}
    if not weight > 0:
        errors["weight"] = _("A weight is a number above 0.")
    if floor == target:
        errors["target"] = _("The target must differ from the floor.")
    elif indicator is not None and (target > floor) != (indicator.direction == registry.HIGHER_IS_BETTER):
        errors["target"] = (
            _("For this indicator higher is better: the target must lie above the floor.")
            if indicator.direction == registry.HIGHER_IS_BETTER
            else _("For this indicator lower is better: the target must lie below the floor.")
        )
    if min_sample < 1:
        errors["min_sample"] = _("The minimum sample is at least 1.")
    if errors:
        raise ValidationError(errors)
    before = {"weight": leaf.weight, "floor": leaf.floor, "target": leaf.target, "min_sample": leaf.min_sample}
    leaf.weight, leaf.floor, leaf.target, leaf.min_sample = weight, floor, target, min_sample
    leaf.save()
    after = {"weight": weight, "floor": floor, "target": target, "min_sample": min_sample}
    record_event(
        actor=actor,
        action=EventAction.UPDATED,
        target=plan,
        changes={f"{leaf.code}.{k}": [before[k], v] for k, v in after.items() if before[k] != v},
    )
    return leaf


def _level_items(plan: Plan, level: str) -> list[str]:
    if level == "":
        return list(plan.groups.values_list("code", flat=True))
    return list(plan.leaves.filter(group=level).values_list("code", flat=True))


@transaction.atomic
def record_judgement(*, actor: Actor, plan: Plan, level: str, expert: str, matrix: list[list[float]]) -> mcdm.AHPResult:
    """One expert's comparisons of a level (the groups, or one group's leaves): refused when not a
    reciprocal matrix on Saaty's scale or when CR ≥ 0.10 (with the comparisons to revisit)."""
    plan = _editable(actor, plan)
    assert actor.user is not None  # _editable checked it
    items = _level_items(plan, level)
    expert = (expert or "").strip()
    if not expert:
        raise ValidationError({"expert": _("Name the expert whose judgement this is.")})
    if len(items) < 2:
        raise ValidationError(_("This level has fewer than two items: there is nothing to compare."))
    if len(matrix) != len(items) or any(len(row) != len(items) for row in matrix):
        raise ValidationError(_("Compare every pair of the %(n)s items.") % {"n": len(items)})
    try:
        result = mcdm.ahp(matrix, method=plan.ahp_method, ri=plan.ri_table)
    except mcdm.MCDMError as exc:
        raise ValidationError(_("The comparisons cannot be used: %(why)s") % {"why": exc}) from exc
    if not result.consistent:
        pairs = "; ".join(
            f"{items[p.row]} : {items[p.column]} = {p.given:g} (≈ {p.implied:.2f})" for p in result.worst_pairs
        )
        raise ValidationError(
            _("The comparisons are not consistent enough (CR %(cr).3f, must be below 0.10). Revisit first: %(pairs)s")
            % {"cr": result.cr, "pairs": pairs}
        )
    Judgement.objects.update_or_create(
        plan=plan, level=level, expert=expert, defaults={"items": items, "matrix": matrix, "created_by": actor.user}
    )
    record_event(
        actor=actor,
        action=EventAction.UPDATED,
        target=plan,
        changes={f"judgement {level or '*'} {expert}": [None, round(result.cr, 4)]},
    )
    return result


@transaction.atomic
def apply_judgements(*, actor: Actor, plan: Plan, level: str) -> mcdm.AHPResult:
    """The level's weights from its experts' judgements combined by geometric mean (refused when
    the combination is not consistent)."""
    plan = _editable(actor, plan)
    items = _level_items(plan, level)
    judgements = [j for j in plan.judgements.filter(level=level) if j.items == items]
    if not judgements:
        raise ValidationError(_("No expert has compared this level's items yet."))
    result = mcdm.ahp(mcdm.combine_judgements([j.matrix for j in judgements]), method=plan.ahp_method, ri=plan.ri_table)
    if not result.consistent:
        raise ValidationError(
            _("The experts' combined comparisons are not consistent enough (CR %(cr).3f).") % {"cr": result.cr}
        )
    rows = plan.groups if level == "" else plan.leaves.filter(group=level)
    for code, weight in zip(items, result.weights, strict=True):
        rows.filter(code=code).update(weight=weight)
    record_event(
        actor=actor,
        action=EventAction.UPDATED,
        target=plan,
        changes={f"weights {level or '*'}": [None, [round(w, 4) for w in result.weights]]},
    )
    return result


@transaction.atomic
def publish_plan(*, actor: Actor, plan: Plan) -> Plan:
    """Publish a draft to the evaluated units. A first revision only before its period starts;
    a later one (a correction, with its reason) replaces the revision before it at once."""
    plan = _editable(actor, plan)
    if plan.previous_id is None and actor.today >= plan.start:
        raise ValidationError(_("A plan is published before its period starts; this period has begun."))
    if not plan.leaves.exists():
        raise ValidationError(_("The plan has no indicator."))
    if plan.previous_id is not None:
        Plan.objects.filter(pk=plan.previous_id).update(state=PlanState.SUPERSEDED)
    plan.state = PlanState.PUBLISHED
    plan.published_at = actor.now
    plan.published_by = actor.user
    plan.save()
    _tell_communities(
        plan,
        kind="evaluation_plan_published",
        key=f"evaluation-plan:{plan.pk}",
        url=reverse("evaluation:plan", args=[plan.pk]),
    )
    record_event(
        actor=actor, action=EventAction.STATUS_CHANGED, target=plan, changes={"state": [PlanState.DRAFT, plan.state]}
    )
    return plan


@transaction.atomic
def revise_plan(*, actor: Actor, plan: Plan, reason: str) -> Plan:
    """A new draft revision of a published plan, a copy of it, with the reason for the change."""
    user = _may_configure(actor, plan.region)
    plan = _locked(plan)
    reason = (reason or "").strip()
    if plan.state != PlanState.PUBLISHED:
        raise ValidationError(_("Only the published revision of a plan can be revised."))
    if hasattr(plan, "next"):
        raise ValidationError(_("A new revision of this plan is already being prepared."))
    if len(reason) < 4:
        raise ValidationError({"reason": _("Say why the plan changes (at least a few words).")})
    fields = {
        f: getattr(plan, f)
        for f in ("region", "kind", "start", "end", "alpha", "objective", "ri_table", "ahp_method", "cutoffs")
    }
    new = Plan.objects.create(**fields, revision=plan.revision + 1, previous=plan, reason=reason, created_by=user)
    PlanGroup.objects.bulk_create(
        PlanGroup(plan=new, code=g.code, weight=g.weight, order=g.order) for g in plan.groups.all()
    )
    PlanLeaf.objects.bulk_create(
        PlanLeaf(
            plan=new,
            group=x.group,
            code=x.code,
            weight=x.weight,
            floor=x.floor,
            target=x.target,
            min_sample=x.min_sample,
            order=x.order,
        )
        for x in plan.leaves.all()
    )
    Judgement.objects.bulk_create(
        Judgement(plan=new, level=j.level, expert=j.expert, items=j.items, matrix=j.matrix, created_by=j.created_by)
        for j in plan.judgements.all()
    )
    record_event(actor=actor, action=EventAction.CREATED, target=new, reason=reason)
    return new


# -- Runs ------------------------------------------------------------------------------------------


def _tell_communities(plan: Plan, *, kind: str, key: str, url: str) -> None:
    """Tell the secretaries and staff of the communities a plan evaluates (once per ``key``)."""
    grants = RoleGrant.objects.active().filter(
        role__in=(Role.COMMUNITY_SECRETARY, Role.COMMUNITY_STAFF),
        region__path__startswith=plan.region.path,
        region__level=RegionLevel.COMMUNITY,
    )
    notify(
        recipients=list(grants.values_list("user_id", flat=True)),
        kind=kind,
        key=key,
        params={
            "area": plan.region.name,
            "start": f"{plan.start:%Y-%m-%d}",
            "end": f"{plan.last_day:%Y-%m-%d}",
            "revision": plan.revision,
        },
        url=url,
    )


def start_run(*, actor: Actor, plan: Plan) -> Job:
    """Compute the plan's results in the background (its file: the results as a workbook)."""
    _may_configure(actor, plan.region)
    if plan.state != PlanState.PUBLISHED:
        raise ValidationError(_("Only a published plan is run."))
    if actor.today < plan.start:
        raise ValidationError(_("The period has not started yet: there is nothing to evaluate."))
    if Job.objects.filter(kind=RUN_KIND, params__plan=plan.pk, finished_at__isnull=True).exists():
        raise ValidationError(_("This plan is being computed already; its results follow shortly."))
    with transaction.atomic():
        return job_start(
            actor=actor,
            kind=RUN_KIND,
            label=_("Evaluation of %(region)s, %(start)s–%(end)s")
            % {
                "region": plan.region.name,
                "start": f"{plan.start:%Y-%m-%d}",
                "end": f"{plan.last_day:%Y-%m-%d}",
            },
            params={"plan": plan.pk},
            task=run_plan_task,
        )


def _fingerprint(plan: Plan, inputs: dict[str, Any]) -> str:
    leaves = [[x.code, x.weight, x.floor, x.target, x.min_sample] for x in plan.leaves.all()]
    groups = [[g.code, g.weight] for g in plan.groups.all()]
    payload = {
        "plan": [plan.pk, plan.revision, plan.alpha, plan.objective, plan.cutoffs],
        "groups": groups,
        "leaves": leaves,
        "inputs": inputs,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _usable(row: list | None, min_sample: int) -> bool:
    return row is not None and row[0] is not None and row[1] >= min_sample and (row[3] is None or row[3] > 0)


def _objective(method: str, matrix: list[list[float]], types: list[int]) -> dict:
    return mcdm.entropy(matrix, types) if method == Objective.ENTROPY else mcdm.critic(matrix, types)


def weigh(plan: Plan, leaves: list[PlanLeaf], units: list[int], inputs: dict[str, Any], method: str) -> dict[str, Any]:
    """Each group's leaf weights: the experts' (normalised), the data's, and their combination (α,
    each data weight held to [0.5, 2] × the experts').

    The data weigh the leaves usable (measured, enough sample) in at least half of the units, over
    the units where all of those are usable (entropy or CRITIC); a leaf usable in fewer units keeps
    its experts' weight on the data side too. The experts' weights alone where the data cannot
    weigh (fewer than two such leaves or three such units)."""
    out: dict[str, Any] = {}
    for group in sorted({x.group for x in leaves}):
        members = [x for x in leaves if x.group == group]
        total = sum(x.weight for x in members)
        expert = [x.weight / total for x in members]
        entry: dict[str, Any] = {
            "codes": [x.code for x in members],
            "ahp": expert,
            "combined": expert,
            "method": "none",
        }
        usable = {x.code: [u for u in units if _usable(inputs[str(u)].get(x.code), x.min_sample)] for x in members}
        weighed = [i for i, x in enumerate(members) if len(usable[x.code]) * 2 >= len(units) and usable[x.code]]
        rows = [
            [inputs[str(u)][members[i].code][0] for i in weighed]
            for u in units
            if all(u in usable[members[i].code] for i in weighed)
        ]
        entry["units"] = len(rows)
        entry["weighed"] = [members[i].code for i in weighed]
        if method != Objective.NONE and len(weighed) >= 2 and len(rows) >= 3:
            types = [1 if members[i].target > members[i].floor else -1 for i in weighed]
            table = _objective(method, rows, types)
            share = sum(expert[i] for i in weighed)
            objective = expert[:]  # a leaf the data cannot weigh keeps its experts' weight
            for k, i in enumerate(weighed):
                objective[i] = table["weights"][k] * share
            combined = mcdm.combine(expert, objective, alpha=plan.alpha)
            full = {key: [None] * len(members) for key in ("entropy", "divergence", "sigma", "information")}
            for key in full:
                if key in table:
                    for k, i in enumerate(weighed):
                        full[key][i] = table[key][k]
            entry.update(
                method=method,
                objective=objective,
                table={key: values for key, values in full.items() if key in table},
                bounded=combined["bounded_objective"],
                combined=combined["weights"],
            )
        out[group] = entry
    return out


def _score_all(
    plan: Plan,
    leaves: list[PlanLeaf],
    units: list[int],
    inputs: dict[str, Any],
    weights: dict[str, Any],
    group_weights: dict[str, float],
) -> dict[int, scoring.UnitScore]:
    local = {code: w for entry in weights.values() for code, w in zip(entry["codes"], entry["combined"], strict=True)}
    cutoffs = [(name, float(cut)) for name, cut in plan.cutoffs] or scoring.DEFAULT_CUTOFFS
    out = {}
    for unit in units:
        row = inputs[str(unit)]
        out[unit] = scoring.score_unit(
            [
                scoring.LeafInput(
                    code=x.code,
                    group=x.group,
                    weight=local[x.code],
                    floor=x.floor,
                    target=x.target,
                    min_sample=x.min_sample,
                    value=(row.get(x.code) or [None])[0],
                    sample=(row.get(x.code) or [None, 0])[1],
                    numerator=(row.get(x.code) or [None, 0, None])[2],
                    denominator=(row.get(x.code) or [None, 0, None, None])[3],
                )
                for x in leaves
            ],
            group_weights,
            cutoffs=cutoffs,
        )
    return out


def measure_plan(
    *, actor: Actor, plan: Plan, on_leaf: Callable[[int], object] | None = None
) -> tuple[list[int], dict[str, Any]]:
    """The communities of the plan's area the actor may see, and each leaf's measured value for
    each of them (read through the owning app's indicator, with the actor's scope)."""
    units = list(
        restrict(
            Region.objects.filter(path__startswith=plan.region.path, level=RegionLevel.COMMUNITY).exclude(
                closed_on__lte=plan.start
            ),
            actor,
            VIEW,
        )
        .order_by("path")
        .values_list("pk", flat=True)
    )
    inputs: dict[str, Any] = {str(u): {} for u in units}
    known = {i.code for i in registry.indicators()}
    codes = [leaf.code for leaf in plan.leaves.all() if leaf.code in known]
    measured_all: dict[str, dict[int, Any]] = {}
    for n, code in enumerate(codes, start=1):
        if code not in measured_all:  # the indicators read together are measured together
            together = registry.indicator(code).together
            family = [c for c in codes if together is not None and registry.indicator(c).together is together]
            measured_all.update(registry.measure_together(actor, plan.start, plan.end, units, family or [code]))
        for unit, m in measured_all.get(code, {}).items():
            if str(unit) in inputs:
                value = None if m.value is None else float(m.value)
                inputs[str(unit)][code] = [value, m.sample, m.numerator, m.denominator]
        if on_leaf:
            on_leaf(n)
    return units, inputs


def _changes(before: Run | None, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    if before is None:
        return []
    out = []
    for unit, row in inputs.items():
        old_row = before.inputs.get(unit, {})
        for code in sorted(set(row) | set(old_row)):
            if row.get(code) != old_row.get(code):
                out.append({"unit": int(unit), "code": code, "before": old_row.get(code), "now": row.get(code)})
    return out


def compute_run(
    *, actor: Actor, plan: Plan, job: Job | None = None, on_leaf: Callable[[int], object] | None = None
) -> Run:
    """Measure, weigh, score and store every community's result for the plan (the run's inputs,
    fingerprint, weighting numbers, sensitivity, and what changed since the plan's last run)."""
    user = _may_configure(actor, plan.region)
    started = actor.now
    leaves = list(plan.leaves.all())
    units, inputs = measure_plan(actor=actor, plan=plan, on_leaf=on_leaf)
    group_weights = {g.code: g.weight for g in plan.groups.all()}
    weights = weigh(plan, leaves, units, inputs, plan.objective)
    scores = _score_all(plan, leaves, units, inputs, weights, group_weights)
    sensitivity = _sensitivity(plan, leaves, units, inputs, weights, group_weights, scores)
    topsis = _topsis(units, scores, group_weights)
    before = plan.runs.filter(finished_at__isnull=False).order_by("-finished_at").first()
    with transaction.atomic():
        run = Run.objects.create(
            plan=plan,
            job=job,
            created_by=user,
            started_at=started,
            inputs=inputs,
            fingerprint=_fingerprint(plan, inputs),
            weights={"groups": weights, "group_weights": group_weights, "topsis": topsis},
            changes=_changes(before, inputs),
        )
        Result.objects.bulk_create(
            Result(
                run=run,
                unit_id=unit,
                total=s.total,
                low=s.low,
                high=s.high,
                tier=s.tier,
                stable=all(t == s.tier for t in sensitivity[unit].values()),
                groups=s.groups,
                group_weights=s.group_weights,
                leaves=[_leaf_json(x) for x in s.leaves],
                weak=s.weak,
                sensitivity=sensitivity[unit],
            )
            for unit, s in scores.items()
        )
        _store_flags(actor, run, units, before)
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
        if actor.today >= plan.end:  # the period's results (not provisional ones): once per plan
            _tell_communities(
                plan,
                kind="evaluation_results",
                key=f"evaluation-results:{plan.pk}",
                url=reverse("evaluation:run", args=[run.pk]),
            )
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=run,
            changes={"fingerprint": [None, run.fingerprint[:12]], "units": [None, len(units)]},
        )
    return run


EVIDENCE_LIMIT = 500


def _store_flags(actor: Actor, run: Run, units: list[int], before: Run | None) -> None:
    """Every registered check over the run's communities and period; a finding the run before
    also had, with the same records, keeps what its reviewer recorded."""
    earlier = {(f.unit_id, f.code): f for f in before.flags.all()} if before is not None else {}
    rows = []
    for check in registry.checks():
        for unit, finding in check.detect(actor, run.plan.start, run.plan.end, units).items():
            evidence = finding.evidence[:EVIDENCE_LIMIT]
            flag = Flag(
                run=run,
                unit_id=unit,
                code=check.code,
                count=finding.count,
                base=finding.base,
                detail=finding.detail,
                evidence=evidence,
            )
            old = earlier.get((unit, check.code))
            if old is not None and old.evidence == evidence and old.state != FlagState.OPEN:
                flag.state, flag.note, flag.reviewed_by_id, flag.reviewed_at = (
                    old.state,
                    old.note,
                    old.reviewed_by_id,
                    old.reviewed_at,
                )
            rows.append(flag)
    Flag.objects.bulk_create(rows)


@transaction.atomic
def review_flag(*, actor: Actor, flag: Flag, state: str, note: str) -> Flag:
    """What the area's admin found when they looked: a problem, or explained (with what)."""
    _may_configure(actor, flag.run.plan.region)
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    note = (note or "").strip()
    if state not in (FlagState.CONFIRMED, FlagState.EXPLAINED):
        raise ValidationError({"state": _("Say whether it is a problem or explained.")})
    if len(note) < 4:
        raise ValidationError({"note": _("Say what you found (at least a few words).")})
    before = flag.state
    flag.state, flag.note, flag.reviewed_by, flag.reviewed_at = state, note[:500], actor.user, actor.now
    flag.save()
    record_event(
        actor=actor, action=EventAction.STATUS_CHANGED, target=flag, changes={"state": [before, state]}, reason=note
    )
    return flag


def _leaf_json(x: scoring.LeafScore) -> dict[str, Any]:
    return {
        "code": x.code,
        "group": x.group,
        "status": x.status,
        "value": x.value,
        "sample": x.sample,
        "numerator": x.numerator,
        "denominator": x.denominator,
        "score": x.score,
        "low": x.low,
        "high": x.high,
        "local_weight": x.local_weight,
        "global_weight": x.global_weight,
        "move": x.move,
    }


def _sensitivity(plan, leaves, units, inputs, weights, group_weights, scores) -> dict[int, dict[str, str]]:
    """Each unit's tier when one first-level weight moves by ±20 % (the others renormalised), and
    with the other data weighting (entropy ↔ CRITIC)."""
    out: dict[int, dict[str, str]] = {u: {} for u in units}
    for code in group_weights:
        for sign, label in ((1, "+"), (-1, "−")):
            moved = {g: w * (1 + sign * SENSITIVITY_STEP) if g == code else w for g, w in group_weights.items()}
            for unit, s in _score_all(plan, leaves, units, inputs, weights, moved).items():
                out[unit][f"{code}{label}20%"] = s.tier
    if plan.objective != Objective.NONE:
        other = Objective.CRITIC if plan.objective == Objective.ENTROPY else Objective.ENTROPY
        alt = weigh(plan, leaves, units, inputs, other)
        for unit, s in _score_all(plan, leaves, units, inputs, alt, group_weights).items():
            out[unit][str(other)] = s.tier
    return out


def _topsis(
    units: list[int], scores: dict[int, scoring.UnitScore], group_weights: dict[str, float]
) -> dict[str, float]:
    """TOPSIS closeness of the units scored in every group, on their group scores (a diagnostic,
    relative to this set of units)."""
    codes = [g for g, w in group_weights.items() if w > 0]
    complete = [u for u in units if all(scores[u].groups.get(g) is not None for g in codes)]
    if len(complete) < 2 or not codes:
        return {}
    matrix = [[scores[u].groups[g] or 0.0 for g in codes] for u in complete]
    if any(all(row[j] == 0 for row in matrix) for j in range(len(codes))):
        return {}
    result = mcdm.topsis(matrix, [group_weights[g] for g in codes], [1] * len(codes))
    return {str(u): c for u, c in zip(complete, result["closeness"], strict=True)}


def _work(job: Job, actor: Actor) -> None:
    from dangjian.evaluation.reports import run_workbook

    plan = Plan.objects.select_related("region").get(pk=job.params["plan"])
    if not allowed(actor, CONFIGURE, plan.region):
        raise PermissionDenied
    total = plan.leaves.count()
    job_running(job, total=total)
    run = compute_run(actor=actor, plan=plan, job=job, on_leaf=lambda n: job_progress(job, n, every=1))
    content = run_workbook(run)
    job_succeeded(
        job,
        file_name=f"evaluation-{plan.region.code}-{plan.start:%Y%m}-v{plan.revision}.xlsx",
        content=content,
        result={"run": run.pk, "units": run.results.count(), "changes": len(run.changes)},
        needs=[need_right(VIEW), need_record(CONFIGURE, plan.region)],
    )


@task()
def run_plan_task(job_id: int) -> None:
    run_job(job_id, _work)
