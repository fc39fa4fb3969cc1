"""Reads for the APIs, each already scoped: through the access layer for a known user, the
public board (DESIGN.md principle 6) for everyone else."""

from __future__ import annotations

from django.db.models import QuerySet

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.orgs.models import Region, RegionLevel
from dangjian.servicedesk.models import ServiceCategory, ServiceRequest
from dangjian.servicedesk.requests import selectors as request_selectors


def public_board() -> QuerySet[ServiceRequest]:
    """Cases the requester agreed to show, that staff summarised without personal details and
    that the requester (or a callback) confirmed resolved."""
    return request_selectors.public_cases()


def visible_requests(*, actor: Actor) -> QuerySet[ServiceRequest]:
    """The requests ``user`` may see in full (none for anonymous callers)."""
    return restrict(ServiceRequest.objects.all(), actor, VIEW)


def active_categories() -> QuerySet[ServiceCategory]:
    return (
        ServiceCategory.objects.filter(is_active=True)
        .prefetch_related("skills")
        .order_by("family", "sort_order", "name")
    )


def region_by_code(code: str) -> Region | None:
    """A community or grid by its code (regions are not secret: their names are on the doors)."""
    return Region.objects.filter(code=code, level__in=[RegionLevel.COMMUNITY, RegionLevel.GRID]).first()


def single_region_in_scope(*, actor: Actor, action: str) -> Region | None:
    """Where ``user`` may ``action`` when that is exactly one community: the community itself
    if the grant covers it, else the one grid the grant is at. None when it is ambiguous."""
    rows = list(
        restrict(Region.objects.filter(level__in=[RegionLevel.COMMUNITY, RegionLevel.GRID]), actor, action)
        .order_by("path")
        .values_list("pk", "level", "parent_id")[:1001]
    )
    communities = {pk if level == RegionLevel.COMMUNITY else parent for pk, level, parent in rows}
    if len(communities) != 1 or len(rows) > 1000:
        return None
    community_rows = [pk for pk, level, _parent in rows if level == RegionLevel.COMMUNITY]
    if community_rows:
        return Region.objects.get(pk=community_rows[0])
    if len(rows) == 1:
        return Region.objects.get(pk=rows[0][0])
    return None
