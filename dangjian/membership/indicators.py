"""Membership's evaluation indicators (DESIGN.md §6): what the roster and the dues book can answer
now, per community. 党费按期缴纳率: the share of the community's members due for the whole period
who paid every month of it on time. Dues are paid monthly or, with the branch's consent, quarterly
(党费收缴规定): a month is on time when paid by the end of its quarter."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Sequence
from functools import reduce

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.indicators import HIGHER_IS_BETTER, Indicator, Measured, register
from dangjian.membership.dues.rules import add_months, month_start
from dangjian.membership.models import DuesAssessment
from dangjian.orgs.models import Region, RegionLevel
from dangjian.people.models import Member, MembershipStatus


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first days of the months that start in [start, end)."""
    months, month = [], month_start(start)
    if month < start:
        month = add_months(month, 1)
    while month < end:
        months.append(month)
        month = add_months(month, 1)
    return months


def dues_due(*, actor: Actor, community: Region, start: dt.date, end: dt.date) -> QuerySet[Member]:
    """Members in good standing of the community's party organisations, members before the period
    started and assessed for its year: those who owe every month of it."""
    assessed = DuesAssessment.objects.filter(member=OuterRef("pk"), year=start.year)
    return restrict(
        Member.objects.filter(
            status=MembershipStatus.NORMAL,
            organization__region__path__startswith=community.path,
            joined_on__lt=month_start(start),
        ).filter(Exists(assessed)),
        actor,
        VIEW,
    )


def _quarter_after(month: dt.date) -> dt.date:
    """The first day of the quarter after the one ``month`` lies in."""
    return add_months(dt.date(month.year, (month.month - 1) // 3 * 3 + 1, 1), 3)


def dues_on_time(*, actor: Actor, community: Region, start: dt.date, end: dt.date) -> QuerySet[Member]:
    """Of ``dues_due``, those who paid each month of the period by the end of its quarter (a voided
    payment does not count)."""
    months = _months(start, end)
    if not months:
        return Member.objects.none()
    on_time = reduce(
        operator.or_, (Q(dues_payments__month=m, dues_payments__paid_on__lt=_quarter_after(m)) for m in months)
    )
    return (
        dues_due(actor=actor, community=community, start=start, end=end)
        .annotate(
            paid=Count("dues_payments__month", filter=on_time & Q(dues_payments__voided_on__isnull=True), distinct=True)
        )
        .filter(paid__gte=len(months))
    )


def _communities(actor: Actor, unit_ids: Sequence[int]) -> list[Region]:
    return list(restrict(Region.objects.filter(pk__in=list(unit_ids), level=RegionLevel.COMMUNITY), actor, VIEW))


def _measure(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Measured]:
    out = {}
    for community in _communities(actor, unit_ids):
        due = dues_due(actor=actor, community=community, start=start, end=end).count()
        paid = dues_on_time(actor=actor, community=community, start=start, end=end).count() if due else 0
        out[community.pk] = Measured.rate(paid, due)
    return out


def _records(actor: Actor, start: dt.date, end: dt.date, unit_id: int, part: str) -> QuerySet:
    community = restrict(Region.objects.filter(pk=unit_id, level=RegionLevel.COMMUNITY), actor, VIEW).first()
    if community is None:
        return Member.objects.none()
    pick = dues_on_time if part == "numerator" else dues_due
    return pick(actor=actor, community=community, start=start, end=end).order_by("pk")


def register_indicators() -> None:
    register(
        Indicator(
            code="membership.dues_on_time",
            group="C",
            name=_("Party dues paid on time"),
            formula=_("Members in good standing of the community's party organisations, assessed for the year and members before the period, who paid every month of it by the end of its quarter ÷ those members."),
            unit="community",
            direction=HIGHER_IS_BETTER,
            app="membership",
            measure=_measure,
            records=_records,
        )
    )  # fmt: skip
