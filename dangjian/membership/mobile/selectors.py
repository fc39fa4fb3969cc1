"""Reads of members away from their organisation."""

from django.db.models import QuerySet

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.membership.models import (
    CommunityReport,
    MobileRecord,
)
from dangjian.people.models import Member, MembershipStatus


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


def may_report(*, actor: Actor) -> bool:
    """双报到 applies to party members in good standing (their own report) and to those who see
    the communities' reports (staff confirming them): the menu offers it, and the page opens,
    exactly for them."""
    if actor.scope.sees_trees:
        return True
    person_id = actor.scope.person_id
    return person_id is not None and Member.objects.filter(person_id=person_id, status=MembershipStatus.NORMAL).exists()
