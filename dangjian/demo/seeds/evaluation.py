"""Evaluation (issue #13): the demo street's quarterly plans as its admin would keep them — three
experts' comparisons of the five groups, published a week before each quarter — with the last two
quarters evaluated (computed a few days after each ended), the current quarter's plan frozen, and
the next quarter's drafted. The service desk's quality profiles (seeds/servicedesk.py) make the
first community strong and the fourth weak, and the results say so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core.actors import Actor
from dangjian.demo.seeding import SeedContext
from dangjian.evaluation import services
from dangjian.evaluation.models import Plan

ORDER = 80  # after every app whose records it reads

# Three experts' comparisons of the groups A–E (the upper triangle, row by row: A:B, A:C, A:D,
# A:E, B:C, B:D, B:E, C:D, C:E, D:E); combined by geometric mean they give about
# 0.41, 0.18, 0.15, 0.16, 0.10 (CR 0.001), close to DESIGN.md §6's defaults.
EXPERTS = {
    "街道党工委 李书记": [2, 3, 3, 4, 1, 1, 2, 1, 2, 2],
    "区委组织部 王科长": [2, 2, 3, 4, 2, 1, 2, 1, 1, 2],
    "高校专家 陈教授": [3, 3, 2, 4, 1, 1, 2, 1, 2, 1],
}


def _matrix(upper: Sequence[float]) -> list[list[float]]:
    n = 5
    a = [[1.0] * n for _ in range(n)]
    k = 0
    for i in range(n):
        for j in range(i + 1, n):
            a[i][j], a[j][i] = float(upper[k]), 1 / upper[k]
            k += 1
    return a


def _quarter(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _shift(start: dt.date, quarters: int) -> dt.date:
    months = start.year * 12 + start.month - 1 + 3 * quarters
    return dt.date(months // 12, months % 12 + 1, 1)


def _at(day: dt.date, hour: int = 10) -> Actor:
    return Actor.for_user(
        User.objects.get(username="street"),
        via="seed",
        now=timezone.make_aware(dt.datetime.combine(day, dt.time(hour))),
    )


def _plan(street, start: dt.date) -> Plan:
    actor = _at(start - dt.timedelta(days=7))
    plan = services.create_plan(actor=actor, region=street, kind="quarter", start=start)
    for expert, upper in EXPERTS.items():
        services.record_judgement(actor=actor, plan=plan, level="", expert=expert, matrix=_matrix(upper))
    services.apply_judgements(actor=actor, plan=plan, level="")
    return plan


def _batch_closures(community, start: dt.date, end: dt.date, size: int = 6) -> int:
    """The gaming pattern the checks should find: in the quarter, one handler of ``community``
    marks ``size`` requests handled within half a minute (a day's work closed at once at its end).
    The requests chosen were handled that day by that handler, on time; each handled time moves
    later within the day (its business time with it), never past its deadline or its next step."""
    from collections import defaultdict

    from django.db.models import F, Min

    from dangjian.servicedesk.models import RequestState, RequestStep, ServiceRequest

    low = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    high = timezone.make_aware(dt.datetime.combine(end, dt.time.min))
    rows = (
        ServiceRequest.objects.filter(
            community=community["region"],
            handled_at__gte=low,
            handled_at__lt=high,
            assignee_user__isnull=False,
            resolution_breached=False,
        )
        .order_by("handled_at")
        .values_list("pk", "assignee_user_id", "handled_at", "resolution_due_at")
    )
    days: dict[tuple[int, dt.date], list[tuple[int, dt.datetime, dt.datetime]]] = defaultdict(list)
    for pk, handler, handled, due in rows:
        if handled is not None and handler is not None:
            days[(handler, timezone.localdate(handled))].append((pk, handled, due))
    for group in days.values():
        if len(group) < size:
            continue
        chosen = group[-size:]
        base = chosen[-1][1] - dt.timedelta(seconds=6 * (size - 1))
        moments = [base + dt.timedelta(seconds=6 * i) for i in range(size)]
        after = dict(
            RequestStep.objects.filter(request_id__in=[pk for pk, _h, _d in chosen], at__gt=F("request__handled_at"))
            .values_list("request_id")
            .annotate(first=Min("at"))
        )
        if any(
            m < h or m > d or (pk in after and m >= after[pk]) for (pk, h, d), m in zip(chosen, moments, strict=True)
        ):
            continue
        for (pk, handled, _due), moment in zip(chosen, moments, strict=True):
            moved = int((moment - handled).total_seconds())
            ServiceRequest.objects.filter(pk=pk).update(handled_at=moment, handle_seconds=F("handle_seconds") + moved)
            RequestStep.objects.filter(request_id=pk, new_state=RequestState.HANDLED).update(at=moment)
        return size
    return 0


def seed(ctx: SeedContext) -> None:
    if not User.objects.filter(username="street").exists():
        return
    street = ctx.shared["communities"][0]["street"]
    current = _quarter(ctx.today)
    if ctx.shared["communities"]:
        last = _shift(current, -1)
        moved = _batch_closures(ctx.shared["communities"][0], last, current)
        ctx.log(f"evaluation: {moved} requests of {ctx.shared['communities'][0]['region'].name} closed in one burst")
    for back in (2, 1):
        start = _shift(current, -back)
        plan = services.publish_plan(actor=_at(start - dt.timedelta(days=7)), plan=_plan(street, start))
        end = _shift(start, 1)
        services.compute_run(actor=_at(end + dt.timedelta(days=3)), plan=plan)
        ctx.log(f"evaluation: {start:%Y-%m} quarter evaluated")
    services.publish_plan(actor=_at(current - dt.timedelta(days=7)), plan=_plan(street, current))
    _plan(street, _shift(current, 1))  # next quarter's, still a draft
