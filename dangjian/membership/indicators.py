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
from dangjian.core.calendar import add_years
from dangjian.core.indicators import HIGHER_IS_BETTER, Indicator, Measured, register
from dangjian.membership.care.selectors import OLD_AGE, VISIT_INTERVAL_DAYS
from dangjian.membership.development import rules as development_rules
from dangjian.membership.dues.rules import add_months, month_start
from dangjian.membership.models import (
    Candidate,
    CareCase,
    CareVisit,
    CommunityReport,
    DevelopmentStep,
    DuesAssessment,
)
from dangjian.orgs.models import Region, RegionLevel
from dangjian.people.models import Member, MemberCategory, MembershipStatus


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


def dual_registration(
    *, actor: Actor, community: Region, start: dt.date, end: dt.date
) -> tuple[QuerySet[Member], QuerySet[Member]]:
    """(在职党员 living in the community at the period's end — members in good standing, employed,
    whose party organisation is elsewhere —, those of them whose 双报到 report to it held then)."""
    last = end - dt.timedelta(days=1)
    living = restrict(
        Member.objects.filter(
            status=MembershipStatus.NORMAL,
            category=MemberCategory.EMPLOYED,
            person__region__path__startswith=community.path,
        ).exclude(organization__region__path__startswith=community.path),
        actor,
        VIEW,
    )
    held = CommunityReport.objects.filter(
        person=OuterRef("person_id"), community=community, confirmed_on__isnull=False, confirmed_on__lte=last
    ).filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=last))
    return living, living.filter(Exists(held))


def care_visits(
    *, actor: Actor, community: Region, start: dt.date, end: dt.date
) -> tuple[QuerySet[Member], QuerySet[Member]]:
    """(Members of the community's organisations to be visited at the period's end — 80 or over,
    or on the hardship register —, those of them visited within the half-year before it)."""
    last = end - dt.timedelta(days=1)
    sick = CareCase.objects.filter(member=OuterRef("pk"), registered_on__lte=last).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=last)
    )
    due = restrict(
        Member.objects.filter(
            status=MembershipStatus.NORMAL, organization__region__path__startswith=community.path
        ).filter(Q(person__birth_date__lte=add_years(last, -OLD_AGE)) | Exists(sick)),
        actor,
        VIEW,
    )
    recent = CareVisit.objects.filter(
        member=OuterRef("pk"), visited_on__gt=last - dt.timedelta(days=VISIT_INTERVAL_DAYS), visited_on__lte=last
    )
    return due, due.filter(Exists(recent))


def development_on_time(
    *, actor: Actor, community: Region, start: dt.date, end: dt.date
) -> tuple[QuerySet[Candidate], QuerySet[Candidate]]:
    """(Candidates of the community's organisations with a deadline of the procedure due in the
    period — development.rules.deadlines —, those who met every such deadline)."""
    candidates = restrict(Candidate.objects.filter(organization__region__path__startswith=community.path), actor, VIEW)
    codes = {"application", "talk", "pre_review", "branch_meeting", "approval", "full_approval", "archived"}
    dates: dict[int, dict[str, dt.date]] = {}
    for candidate, code, done_on in DevelopmentStep.objects.filter(
        candidate__in=candidates.values("pk"), code__in=codes
    ).values_list("candidate_id", "code", "done_on"):
        dates.setdefault(candidate, {})[code] = done_on
    due, met = [], []
    for candidate, recorded in dates.items():
        falling = [(step, day, done) for step, day, done in development_rules.deadlines(recorded) if start <= day < end]
        if falling:
            due.append(candidate)
            if all(done is not None and done <= day for _step, day, done in falling):
                met.append(candidate)
    return candidates.filter(pk__in=due), candidates.filter(pk__in=met)


def _communities(actor: Actor, unit_ids: Sequence[int]) -> list[Region]:
    return list(restrict(Region.objects.filter(pk__in=list(unit_ids), level=RegionLevel.COMMUNITY), actor, VIEW))


def _measure(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Measured]:
    out = {}
    for community in _communities(actor, unit_ids):
        due = dues_due(actor=actor, community=community, start=start, end=end).count()
        paid = dues_on_time(actor=actor, community=community, start=start, end=end).count() if due else 0
        out[community.pk] = Measured.rate(paid, due)
    return out


def _pairs(pick):
    def measure(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Measured]:
        out = {}
        for community in _communities(actor, unit_ids):
            denominator, numerator = pick(actor=actor, community=community, start=start, end=end)
            due = denominator.count()
            out[community.pk] = Measured.rate(numerator.count() if due else 0, due)
        return out

    def records(actor: Actor, start: dt.date, end: dt.date, unit_id: int, part: str) -> QuerySet:
        community = restrict(Region.objects.filter(pk=unit_id, level=RegionLevel.COMMUNITY), actor, VIEW).first()
        if community is None:
            return Member.objects.none()
        denominator, numerator = pick(actor=actor, community=community, start=start, end=end)
        return (numerator if part == "numerator" else denominator).order_by("pk")

    return measure, records


def _records(actor: Actor, start: dt.date, end: dt.date, unit_id: int, part: str) -> QuerySet:
    community = restrict(Region.objects.filter(pk=unit_id, level=RegionLevel.COMMUNITY), actor, VIEW).first()
    if community is None:
        return Member.objects.none()
    pick = dues_on_time if part == "numerator" else dues_due
    return pick(actor=actor, community=community, start=start, end=end).order_by("pk")


def register_indicators() -> None:
    leaves = [
        ("dual_registration", "B", _("In-service members reporting to the community"), _("In-service members (employed, organised elsewhere) living in the community whose report to it held at the period's end ÷ those members."), dual_registration),
        ("care_visits", "C", _("Care visits on time"), _("Members of the community's organisations aged 80 or over or on the hardship register at the period's end who were visited in the half-year before it ÷ those members."), care_visits),
        ("development_on_time", "C", _("Development of new members on time"), _("Candidates of the community's organisations who met every deadline of the procedure falling in the period (talk, branch meeting, approval, archiving) ÷ candidates with such a deadline."), development_on_time),
    ]  # fmt: skip
    for code, group, name, formula, pick in leaves:
        measure, records = _pairs(pick)
        register(
            Indicator(
                code=f"membership.{code}",
                group=group,
                name=name,
                formula=formula,
                unit="community",
                direction=HIGHER_IS_BETTER,
                app="membership",
                measure=measure,
                records=records,
            )
        )
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
