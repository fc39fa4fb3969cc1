"""Reads of care for members in difficulty (关怀帮扶)."""

import datetime as dt
from typing import Any

from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.http import Http404

from dangjian.core.access import CREATE, VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.calendar import add_years
from dangjian.membership.models import (
    CareCase,
    CareVisit,
)
from dangjian.orgs.models import Organization
from dangjian.people.models import Member, MembershipStatus

VISIT_INTERVAL_DAYS = 183  # old and sick members are visited at least every half year


OLD_AGE = 80


def care_cases(*, actor: Actor, organization: Organization | None = None) -> QuerySet[Member]:
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


def visits_due_count(*, actor: Actor) -> int:
    today = actor.today
    return _due_for_a_visit(actor, today).count()


def visits_due(*, actor: Actor, limit: int | None = None) -> QuerySet[Member]:
    """Old (80 and over) and sick members not visited for half a year: the reminder list, the
    never visited first."""
    today = actor.today
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


def may_open_requests(*, actor: Actor) -> bool:
    """Whether the user may record a service request at the desk (the desk's own rule: staff
    pages for users with a tree scope, and the right to create)."""
    return actor.scope.sees_trees and actor.scope.can(CREATE)


def visit_for_request(*, actor: Actor, pk: int) -> CareVisit:
    """A visit the worker may see and turn into a service request ("转为诉求"); Http404 for any
    other, or for a worker who may not record requests."""
    if not may_open_requests(actor=actor):
        raise Http404
    visit = restrict(CareVisit.objects.select_related("member"), actor, VIEW).filter(pk=pk).first()
    if visit is None:
        raise Http404
    return visit


def request_intake(*, visit: CareVisit) -> dict[str, str]:
    """What the service desk starts from when a visit becomes a request: the member as the
    requester and what the visit found they need (carried, not typed again)."""
    found = {"person": str(visit.member.person_id)}
    if need := (visit.note or "").strip():
        found["description"] = need[:2000]
    return found
