"""Reads for mobile members, community reports, care of members and democratic appraisal."""

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.calendar import add_years
from dangjian.membership.models import (
    Appraisal,
    CareCase,
    CareVisit,
    CommunityReport,
    Grade,
    MobileRecord,
)
from dangjian.orgs.models import Organization
from dangjian.people.models import Member, MembershipStatus

VISIT_INTERVAL_DAYS = 183  # old and sick members are visited at least every half year
OLD_AGE = 80


def mobile_records(*, actor: Actor, open_only: bool = True, direction: str = "") -> QuerySet[MobileRecord]:
    qs = restrict(MobileRecord.objects.all(), actor, VIEW)
    if open_only:
        qs = qs.filter(ended_on__isnull=True)
    if direction:
        qs = qs.filter(direction=direction)
    return qs.select_related("person", "organization").order_by("-started_on", "-pk")


def community_reports(*, actor: Actor, state: str = "") -> QuerySet[CommunityReport]:
    qs = restrict(CommunityReport.objects.all(), actor, VIEW)
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("person", "community").order_by("state", "-registered_on", "-pk")


def my_reports(*, actor: Actor, person_id: int | None) -> QuerySet[CommunityReport]:
    if person_id is None:
        return CommunityReport.objects.none()
    return restrict(CommunityReport.objects.filter(person_id=person_id), actor, VIEW).select_related("community")


def care_register(*, actor: Actor, organization: Organization | None = None) -> QuerySet[Member]:
    """Members on the hardship register (open cases), with their last visit."""
    cases = restrict(CareCase.objects.filter(ended_on__isnull=True), actor, VIEW)
    members = Member.objects.filter(pk__in=cases.values("member_id"), status=MembershipStatus.NORMAL)
    if organization is not None:
        members = members.filter(organization__path__startswith=organization.path)
    return (
        members.annotate(last_visit=Max("care_visits__visited_on"))
        .select_related("person", "organization")
        .prefetch_related("care_cases")
        .order_by(F("last_visit").asc(nulls_first=True), "person__name_pinyin")
    )


def _due_for_a_visit(actor: Actor, today: dt.date) -> QuerySet[Member]:
    since = today - dt.timedelta(days=VISIT_INTERVAL_DAYS)
    recent = CareVisit.objects.filter(member=OuterRef("pk"), visited_on__gte=since)
    sick = CareCase.objects.filter(member=OuterRef("pk"), ended_on__isnull=True)
    members = restrict(Member.objects.filter(status=MembershipStatus.NORMAL), actor, VIEW)
    return members.filter(Q(person__birth_date__lte=add_years(today, -OLD_AGE)) | Exists(sick)).exclude(Exists(recent))


def visits_due_count(*, actor: Actor, today: dt.date | None = None) -> int:
    return _due_for_a_visit(actor, today or timezone.localdate()).count()


def visits_due(*, actor: Actor, today: dt.date | None = None, limit: int | None = None) -> QuerySet[Member]:
    """Old (80 and over) and sick members not visited for half a year: the reminder list, the
    never visited first."""
    today = today or timezone.localdate()
    qs = (
        _due_for_a_visit(actor, today)
        .annotate(last_visit=Max("care_visits__visited_on"))
        .select_related("person", "organization")
        .order_by(F("last_visit").asc(nulls_first=True), "person__birth_date")
    )
    return qs[:limit] if limit else qs


def member_care(*, member: Member) -> dict[str, Any]:
    return {
        "cases": list(member.care_cases.order_by("-registered_on")),
        "visits": list(member.care_visits.select_related("recorded_by").order_by("-visited_on")[:20]),
    }


def appraisal_sheet(*, actor: Actor, organization: Organization, year: int) -> dict[str, Any]:
    """The branch's members in good standing with their appraisal for ``year`` and the 优秀
    check (at most a third)."""
    members = list(
        restrict(Member.objects.filter(organization=organization, status=MembershipStatus.NORMAL), actor, VIEW)
        .select_related("person")
        .order_by("person__name_pinyin")
    )
    appraisals = {a.member_id: a for a in Appraisal.objects.filter(member__in=members, year=year)}
    counts = dict(
        Appraisal.objects.filter(organization=organization, year=year).exclude(grade="").values_list("grade")
        .annotate(n=Count("pk")).order_by()
    )  # fmt: skip
    from dangjian.membership.care_services import excellent_limit

    limit = excellent_limit(len(members))
    return {
        "rows": [(m, appraisals.get(m.pk)) for m in members],
        "counts": [(g, label, counts.get(g, 0)) for g, label in Grade.choices],
        "graded": sum(counts.values()),
        "excellent_limit": limit,
        "over_limit": counts.get(Grade.EXCELLENT, 0) > limit,
    }
