"""Evaluation pages (docs/evaluation.md): the plans, a plan with its tree and its runs, the experts'
judgements, a run's overview of its communities, a community's scorecard, the records behind
each number, and the method with every intermediate number."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import indicators as registry
from dangjian.core.access import EXPORT
from dangjian.core.actors import ActorRequest
from dangjian.core.events import EventAction, record_event
from dangjian.core.validators import parse_id
from dangjian.core.views import perform, submit
from dangjian.evaluation import mcdm, reports, selectors, services
from dangjian.evaluation.defaults import GROUP_NAMES
from dangjian.evaluation.forms import JudgementForm, LeafForm, PlanForm, ReasonForm
from dangjian.evaluation.models import FlagState, Plan, PlanState, Run
from dangjian.evaluation.reports import run_workbook
from dangjian.evaluation.scoring import INSUFFICIENT, MISSING
from dangjian.evaluation.upward import headers as upward_headers
from dangjian.evaluation.upward import shown as upward_shown
from dangjian.evaluation.upward import upward_rows, upward_workbook
from dangjian.membership.transfers.letters import FontMissing


def _names() -> dict[str, Any]:
    return {i.code: i.name for i in registry.indicators()}


@require_http_methods(["GET", "POST"])
def index(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    if not actor.scope.sees_trees:
        raise Http404
    may_plan = selectors.region_choices(actor=actor).exists()
    form = PlanForm(request.POST or None, actor=actor) if may_plan else None
    if request.method == "POST":
        if form is None:
            raise Http404
        made = submit(
            request,
            form,
            lambda data: services.create_plan(actor=actor, **data),
            success=_("The plan is drafted from the default tree; check its floors and targets, then publish it."),
        )
        if made.value is not None:
            return redirect("evaluation:plan", pk=made.value.pk)
    plans = list(selectors.plans(actor=actor)[:60])
    runs = {p.pk: selectors.latest_run(p) for p in plans}
    context = {
        "plans": [(p, runs[p.pk]) for p in plans],
        "form": form,
        "pending": registry.pending(),
        "groups": GROUP_NAMES,
    }
    return render(request, "evaluation/index.html", context)


def _plan_context(request: ActorRequest, plan: Plan, **extra: Any) -> dict[str, Any]:
    actor = request.actor
    manages = selectors.may_manage(actor=actor, plan=plan)
    draft = plan.state == PlanState.DRAFT and manages
    names = _names()
    leaves = list(plan.leaves.all())
    groups = list(plan.groups.all())
    return {
        "plan": plan,
        "manages": manages,
        "draft": draft,
        "frozen": services.frozen(plan, actor.today),
        "groups": [(g, GROUP_NAMES.get(g.code, g.code), [x for x in leaves if x.group == g.code]) for g in groups],
        "names": names,
        "indicators": {i.code: i for i in registry.indicators()},
        "leaf_forms": {
            x.pk: LeafForm(
                initial={"weight": x.weight, "floor": x.floor, "target": x.target, "min_sample": x.min_sample},
                prefix=f"l{x.pk}",
            )
            for x in leaves
        }
        if draft
        else {},
        "pending": registry.pending(),
        "runs": list(plan.runs.filter(finished_at__isnull=False).order_by("-finished_at")[:10]) if manages else [],
        "latest": selectors.latest_run(plan),
        "revisions": selectors.revisions(actor=actor, plan=plan),
        "reason_form": ReasonForm()
        if manages and plan.state == PlanState.PUBLISHED and not hasattr(plan, "next")
        else None,
        "judgements": list(plan.judgements.all()) if manages else [],
        "may_run": manages and plan.state == PlanState.PUBLISHED and actor.today >= plan.start,
        **extra,
    }


@require_GET
def plan_detail(request: ActorRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_for(actor=request.actor, pk=pk)
    return render(request, "evaluation/plan_detail.html", _plan_context(request, plan))


def _managed_plan(request: ActorRequest, pk: int) -> Plan:
    plan = selectors.plan_for(actor=request.actor, pk=pk)
    if not selectors.may_manage(actor=request.actor, plan=plan):
        raise Http404
    return plan


@require_POST
def leaf_update(request: ActorRequest, pk: int, leaf: int) -> HttpResponse:
    plan = _managed_plan(request, pk)
    row = plan.leaves.filter(pk=leaf).first()
    if row is None:
        raise Http404
    form = LeafForm(request.POST, prefix=f"l{row.pk}")
    done = submit(
        request, form, lambda data: services.update_leaf(actor=request.actor, leaf=row, **data), success=_("Saved.")
    )
    if not done.ok and request.method == "POST":
        context = _plan_context(request, plan)
        context["leaf_forms"][row.pk] = form
        return render(request, "evaluation/plan_detail.html", context, status=400)
    return redirect(reverse("evaluation:plan", args=[plan.pk]) + f"#leaf-{row.pk}")


@require_POST
def plan_publish(request: ActorRequest, pk: int) -> HttpResponse:
    plan = _managed_plan(request, pk)
    perform(
        request,
        lambda: services.publish_plan(actor=request.actor, plan=plan),
        success=_("Published: the communities it evaluates can read it now."),
    )
    return redirect("evaluation:plan", pk=plan.pk)


@require_POST
def plan_revise(request: ActorRequest, pk: int) -> HttpResponse:
    plan = _managed_plan(request, pk)
    form = ReasonForm(request.POST)
    made = submit(
        request,
        form,
        lambda data: services.revise_plan(actor=request.actor, plan=plan, reason=data["reason"]),
        success=_("A new revision is drafted; the published one holds until this one is published."),
    )
    if made.value is not None:
        return redirect("evaluation:plan", pk=made.value.pk)
    return render(request, "evaluation/plan_detail.html", _plan_context(request, plan, reason_form=form), status=400)


@require_POST
def plan_run(request: ActorRequest, pk: int) -> HttpResponse:
    plan = _managed_plan(request, pk)
    started = perform(request, lambda: services.start_run(actor=request.actor, plan=plan))
    if started.value is None:
        return redirect("evaluation:plan", pk=plan.pk)
    return redirect("jobs:detail", pk=started.value.pk)


def _level(plan: Plan, level: str) -> tuple[str, list[str], dict[str, Any]]:
    if level == "groups":
        return (
            "",
            list(plan.groups.values_list("code", flat=True)),
            {code: f"{code} {name}" for code, name in GROUP_NAMES.items()},
        )
    if level not in GROUP_NAMES:
        raise Http404
    return level, list(plan.leaves.filter(group=level).values_list("code", flat=True)), _names()


@require_http_methods(["GET", "POST"])
def judgements(request: ActorRequest, pk: int, level: str) -> HttpResponse:
    """The AHP workshop of one level: each expert's comparisons (CR shown as they are typed, the
    pair furthest from the priorities pointed out), and the level's weights from all of them."""
    plan = _managed_plan(request, pk)
    code, items, labels = _level(plan, level)
    form = JudgementForm(request.POST or None, items=items, labels=labels)
    status = 200
    if request.method == "POST":
        if plan.state != PlanState.DRAFT:
            raise Http404
        if request.POST.get("apply"):
            perform(
                request,
                lambda: services.apply_judgements(actor=request.actor, plan=plan, level=code),
                success=_("The level's weights are now the experts' combined judgement."),
            )
            return redirect(reverse("evaluation:judgements", args=[plan.pk, level]))
        done = submit(
            request,
            form,
            lambda data: services.record_judgement(
                actor=request.actor, plan=plan, level=code, expert=data["expert"], matrix=data["matrix"]
            ),
            success=_("The judgement is kept."),
        )
        if done.ok:
            return redirect(reverse("evaluation:judgements", args=[plan.pk, level]))
        status = 400
    kept = [
        (j, mcdm.ahp(j.matrix, method=plan.ahp_method, ri=plan.ri_table))
        for j in plan.judgements.filter(level=code)
        if j.items == items
    ]
    combined = None
    if kept:
        combined = mcdm.ahp(
            mcdm.combine_judgements([j.matrix for j, _r in kept]), method=plan.ahp_method, ri=plan.ri_table
        )
    context = {
        "plan": plan,
        "level": level,
        "items": [(c, labels.get(c, c)) for c in items],
        "form": form,
        "kept": kept,
        "combined": list(zip([labels.get(c, c) for c in items], combined.weights, strict=True)) if combined else None,
        "combined_result": combined,
        "ri": mcdm.RI_TABLES[plan.ri_table].get(len(items), 0),
        "draft": plan.state == PlanState.DRAFT,
    }
    return render(request, "evaluation/judgements.html", context, status=status)


def _trend(request: ActorRequest, run: Run) -> list[tuple[Plan, dict[int, float | None]]]:
    return selectors.previous_totals(actor=request.actor, run=run)


def _counted(row: list | None) -> str:
    """An input as the changes list shows it: numerator/denominator, or the value and its sample."""
    if not row:
        return "—"
    value, sample, numerator, denominator = row
    if denominator is not None:
        return f"{numerator}/{denominator}"
    return "—" if value is None else f"{value:.3g} (n={sample})"


@require_GET
def run_overview(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    run = selectors.run_for(actor=actor, pk=pk)
    results = list(selectors.results(actor=actor, run=run))
    if len(results) == 1 and not selectors.may_manage(actor=actor, plan=run.plan):
        return redirect("evaluation:scorecard", pk=run.pk, unit=results[0].unit_id)
    trend = _trend(request, run)
    names = _names()
    rows = []
    for r in results:
        rows.append(
            {
                "result": r,
                "groups": [(code, r.groups.get(code)) for code in GROUP_NAMES],
                "trend": [t.get(r.unit_id) for _p, t in trend],
                "weak": [names.get(code, code) for code in r.weak],
            }
        )
    units = {r.unit_id: r.unit.name for r in results}
    changes = [
        {
            "unit": units[c["unit"]],
            "name": names.get(c["code"], c["code"]),
            "before": _counted(c["before"]),
            "now": _counted(c["now"]),
        }
        for c in run.changes
        if c["unit"] in units
    ]
    context = {
        "run": run,
        "plan": run.plan,
        "rows": rows,
        "changes": changes[:200],
        "group_codes": list(GROUP_NAMES),
        "trend_plans": [p for p, _t in trend],
        "provisional": timezone.localdate(run.started_at) < run.plan.end,
        "may_export": actor.can(EXPORT),
        "cutoffs": run.plan.cutoffs,
        "flag_counts": selectors.flag_counts(actor=actor, run=run)
        if selectors.may_manage(actor=actor, plan=run.plan)
        else None,
    }
    return render(request, "evaluation/run_overview.html", context)


@require_GET
def scorecard(request: ActorRequest, pk: int, unit: int) -> HttpResponse:
    actor = request.actor
    run = selectors.run_for(actor=actor, pk=pk)
    result = selectors.result_for(actor=actor, run=run, unit_id=unit)
    views = selectors.leaf_views(run.plan, result)
    by_code = {v.code: v for v in views}
    trend = [(p, t.get(unit)) for p, t in _trend(request, run)]
    context = {
        "run": run,
        "plan": run.plan,
        "result": result,
        "groups": [
            (
                code,
                name,
                result.groups.get(code),
                result.group_weights.get(code),
                [v for v in views if v.data["group"] == code],
            )
            for code, name in GROUP_NAMES.items()
        ],
        "weak": [by_code[c] for c in result.weak if c in by_code],
        "left_out": [v for v in views if v.data["status"] in (MISSING, INSUFFICIENT)],
        "pending": registry.pending(),
        "trend": trend,
        "sensitivity": sorted(result.sensitivity.items()),
        "manages": selectors.may_manage(actor=actor, plan=run.plan),
        "provisional": timezone.localdate(run.started_at) < run.plan.end,
        "may_export": actor.can(EXPORT),
    }
    return render(request, "evaluation/scorecard.html", context)


# How a record of each kind behind a number is shown (the owning app's page it opens, if any).
_RELATED = {
    "servicedesk.servicerequest": ("category",),
    "volunteering.servicerecord": ("person",),
    "volunteering.claim": ("post", "person", "unit"),
    "membership.communityreport": ("person",),
    "people.member": ("person", "organization"),
    "membership.candidate": ("person", "organization"),
}


def _row(obj: Any) -> dict[str, Any]:
    label = obj._meta.label_lower
    if label == "servicedesk.servicerequest":
        return {
            "text": str(obj),
            "when": obj.submitted_at,
            "handled": obj.handled_at,
            "state": obj.get_state_display(),
            "url": reverse("servicedesk:request", args=[obj.pk]),
        }
    if label == "people.person":
        return {"text": obj.name, "url": reverse("people:detail", args=[obj.pk])}
    if label == "volunteering.servicerecord":
        return {  # the page of the person's time bank
            "text": f"{obj.person.name} · {obj.description}",
            "when": obj.started_at,
            "state": obj.get_state_display(),
            "url": reverse("volunteering:bank", args=[obj.person_id]),
        }
    if label == "volunteering.claim":
        who = obj.person.name if obj.person_id else (obj.unit.name if obj.unit_id else "")
        return {
            "text": f"{obj.post.title} · {who}",
            "when": obj.post.starts_at,
            "state": obj.get_state_display(),
            "url": reverse("volunteering:post", args=[obj.post_id]),
        }
    if label == "people.member":
        return {
            "text": f"{obj.person.name} · {obj.organization.name}",
            "url": reverse("membership:detail", args=[obj.pk]),
        }
    if label == "membership.candidate":
        return {
            "text": f"{obj.person.name} · {obj.organization.name}",
            "state": obj.get_status_display(),
            "url": reverse("membership:candidate", args=[obj.pk]),
        }
    if label == "membership.communityreport":
        return {
            "text": f"{obj.person.name} · {obj.workplace}",
            "when": obj.confirmed_on,
            "state": obj.get_state_display(),
        }
    return {"text": str(obj)}


@require_GET
def records(request: ActorRequest, pk: int, unit: int, code: str, part: str) -> HttpResponse:
    actor = request.actor
    run = selectors.run_for(actor=actor, pk=pk)
    result = selectors.result_for(actor=actor, run=run, unit_id=unit)
    rows = selectors.records(actor=actor, run=run, unit_id=unit, code=code, part=part)
    rows = rows.select_related(*_RELATED.get(rows.model._meta.label_lower, ()))
    page = Paginator(rows, 50).get_page(parse_id(request.GET.get("page")) or 1)
    leaf = next((x for x in result.leaves if x["code"] == code), None)
    context = {
        "run": run,
        "result": result,
        "code": code,
        "name": _names().get(code, code),
        "part": part,
        "page": page,
        "rows": [_row(obj) for obj in page.object_list],
        "stored": None if leaf is None else leaf["numerator" if part == "numerator" else "denominator"],
    }
    return render(request, "evaluation/records.html", context)


@require_GET
def method(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    run = selectors.run_for(actor=actor, pk=pk)
    plan = run.plan
    names = _names()
    manages = selectors.may_manage(actor=actor, plan=plan)
    groups = []
    for code, entry in sorted(run.weights.get("groups", {}).items()):
        groups.append(
            {
                "code": code,
                "name": GROUP_NAMES.get(code, code),
                "rows": list(
                    zip(
                        [names.get(c, c) for c in entry["codes"]],
                        entry["ahp"],
                        entry.get("objective") or [None] * len(entry["codes"]),
                        entry.get("bounded") or [None] * len(entry["codes"]),
                        entry["combined"],
                        strict=True,
                    )
                ),
                "entry": entry,
            }
        )
    judgement_rows = []
    for j in plan.judgements.all():
        result = mcdm.ahp(j.matrix, method=plan.ahp_method, ri=plan.ri_table)
        labels = [f"{c}" if j.level == "" else names.get(c, c) for c in j.items]
        judgement_rows.append(
            {"judgement": j, "labels": labels, "result": result, "rows": list(zip(labels, j.matrix, strict=True))}
        )
    results = {str(r.unit_id): r for r in selectors.results(actor=actor, run=run)}
    topsis = [(results[u].unit, c) for u, c in run.weights.get("topsis", {}).items() if u in results]
    context = {
        "run": run,
        "plan": plan,
        "group_weights": [
            (code, GROUP_NAMES.get(code, code), w) for code, w in run.weights.get("group_weights", {}).items()
        ],
        "groups": groups,
        "judgements": judgement_rows,
        "manages": manages,
        "topsis": sorted(topsis, key=lambda t: t[0].path),
        "leaves": [(x, names.get(x.code, x.code)) for x in plan.leaves.all()],
        "cutoffs": plan.cutoffs,
    }
    return render(request, "evaluation/method.html", context)


@require_http_methods(["GET", "POST"])
def flags(request: ActorRequest, pk: int) -> HttpResponse:
    """The checks' findings of a run, for the area's admins: each with its records and what the
    reviewer found. They never change a score."""
    actor = request.actor
    run = selectors.run_for(actor=actor, pk=pk)
    if not selectors.may_manage(actor=actor, plan=run.plan):
        raise Http404
    found = selectors.flags(actor=actor, run=run)
    if request.method == "POST":
        flag = found.filter(pk=parse_id(request.POST.get("flag")) or 0).first()
        if flag is None:
            raise Http404
        done = perform(
            request,
            lambda: services.review_flag(
                actor=actor, flag=flag, state=request.POST.get("state", ""), note=request.POST.get("note", "")
            ),
            success=_("Recorded."),
        )
        if done.ok:
            return redirect(reverse("evaluation:flags", args=[run.pk]) + f"#flag-{flag.pk}")
    checks = {c.code: c for c in registry.checks()}
    rows = [
        {
            "flag": f,
            "check": checks.get(f.code),
            "records": [_row(r) for r in selectors.flag_evidence(actor=actor, flag=f)],
        }
        for f in found
    ]
    context = {"run": run, "plan": run.plan, "rows": rows, "checks": list(checks.values()), "states": FlagState}
    return render(request, "evaluation/flags.html", context, status=400 if request.method == "POST" else 200)


@require_GET
def upward(request: ActorRequest) -> HttpResponse:
    """The quarterly statistics a street or the district sends up, filled from the records (its
    admins; ``?format=xlsx`` downloads it, an export event)."""
    actor = request.actor
    regions = list(selectors.region_choices(actor=actor))
    if not regions:
        raise Http404
    region = next((r for r in regions if r.pk == parse_id(request.GET.get("region"))), regions[0])
    current = services.period_bounds("quarter", actor.today)[0]
    quarters = [current]
    for _i in range(7):
        quarters.append(services.period_bounds("quarter", quarters[-1] - dt.timedelta(days=1))[0])
    asked = request.GET.get("period", "")
    start = next((q for q in quarters if q.isoformat() == asked), quarters[1])
    end = services.period_bounds("quarter", start)[1]
    rows, total = upward_rows(actor=actor, region=region, start=start, end=end)
    if request.GET.get("format") == "xlsx":
        if not actor.can(EXPORT):
            raise Http404
        title = _("Quarterly statistics")
        content = upward_workbook(rows, total, title)
        record_event(
            actor=actor, action=EventAction.EXPORTED, target=region, changes={"upward": [None, f"{start:%Y-%m-%d}"]}
        )
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="quarterly-{region.code}-{start:%Y%m}.xlsx"'
        return response
    context = {
        "regions": regions,
        "region": region,
        "quarters": quarters,
        "start": start,
        "last": end - dt.timedelta(days=1),
        "headers": upward_headers(),
        "rows": [upward_shown(r) for r in rows],
        "total": upward_shown(total),
        "may_export": actor.can(EXPORT),
        "over": actor.today >= end,
    }
    return render(request, "evaluation/upward.html", context)


@require_GET
def run_pdf(request: ActorRequest, pk: int) -> HttpResponse:
    """The period's evaluation as a PDF: a street's (all its communities) for its admins, a
    community's own for its secretary (``?unit=`` for one community). An export: an event."""
    actor = request.actor
    run = selectors.run_for(actor=actor, pk=pk)
    if not actor.can(EXPORT):
        raise Http404
    results = selectors.results(actor=actor, run=run)
    unit = parse_id(request.GET.get("unit"))
    if unit is not None:
        results = results.filter(unit_id=unit)
    rows = list(results)
    if not rows:
        raise Http404
    try:
        content = reports.run_pdf(run, rows, group_names=GROUP_NAMES, today=actor.today)
    except FontMissing as exc:
        messages.error(request, str(exc))
        return redirect("evaluation:run", pk=run.pk)
    record_event(
        actor=actor,
        action=EventAction.EXPORTED,
        target=run,
        changes={"format": [None, "pdf"], "units": [None, len(rows)]},
    )
    name = f"evaluation-{run.plan.region.code}-{run.plan.start:%Y%m}" + (f"-{rows[0].unit.code}" if unit else "")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@require_GET
def run_export(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    run = selectors.run_for(actor=actor, pk=pk)
    if not actor.can(EXPORT) or not selectors.may_manage(actor=actor, plan=run.plan):
        raise Http404
    content = run_workbook(run)
    record_event(actor=actor, action=EventAction.EXPORTED, target=run, changes={"format": [None, "xlsx"]})
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    plan = run.plan
    response["Content-Disposition"] = (
        f'attachment; filename="evaluation-{plan.region.code}-{plan.start:%Y%m}-v{plan.revision}.xlsx"'
    )
    return response
