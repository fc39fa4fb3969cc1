"""Reads of members away from their organisation."""

from django.db.models import QuerySet

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.membership.models import (
    CommunityReport,
    MobileRecord,
)


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
