"""Where requests sit in the trees (see dangjian.core.access).

A request sits in its grid (or community): staff whose grant covers it see it. A branch it is
dispatched to sees it through the organisation tree; the volunteer or staff member handling it
sees it as its ``assignee_user``; the requester sees their own (``requester``). Everyone else
does not learn it exists. What each may *do* is checked by servicedesk/lifecycle.py.
"""

from django.db.models import Q

from dangjian.core.access import Rule, register
from dangjian.core.actors import Actor
from dangjian.core.crypto import register_column
from dangjian.core.models import PATH_STEP
from dangjian.servicedesk.models import (
    REQUEST_PHONE_PURPOSE,
    Callback,
    HandlingLevel,
    Rating,
    ReceptionBooking,
    ReceptionSession,
    RequestAttachment,
    RequestDay,
    RequestStep,
    ServiceRequest,
)

register(
    ServiceRequest,
    Rule(
        region_path="region__path",
        org_path="assignee_organization__path",
        person="requester_id",
        user="assignee_user_id",
    ),
)
_VIA_REQUEST = Rule(
    region_path="request__region__path",
    org_path="request__assignee_organization__path",
    person="request__requester_id",
    user="request__assignee_user_id",
)
register(RequestStep, _VIA_REQUEST)
register(RequestAttachment, _VIA_REQUEST)
register(Callback, _VIA_REQUEST)
# Ratings are anonymous to the handler: only region scopes (the reviewers above the handler)
# and the requester see them, never the assignee through the "own records" branch.
register(
    Rating,
    Rule(region_path="request__region__path", person="request__requester_id"),
)
# A reception sits in its community; a booking with its reception, and its resident sees it.
register(ReceptionSession, Rule(region_path="community__path"))
register(ReceptionBooking, Rule(region_path="session__community__path", person="person_id"))
# The rates' daily counts (figures, no person): with the grid or community they count.
register(RequestDay, Rule(region_path="region__path"))

# The contact numbers of requests and bookings (key rotation: core.crypto.rotate_column).
register_column(ServiceRequest, "phone", purpose=REQUEST_PHONE_PURPOSE)
register_column(ReceptionBooking, "phone")


def outside_handling_unit(actor: Actor) -> Q:
    """The requests whose handling unit ``actor`` works outside and above (DESIGN.md §5: the
    回访 "no one inside the handling unit can influence"). The handling unit is the request's
    community, or its street for a request handled at the street. The user's right to change the
    request must come from a grant above that unit (a street or district admin), and they may hold
    no role inside it: not at the unit or below, nor at a party organisation or resident unit of
    it. A superuser stands outside every unit."""
    from dangjian.core.access import CHANGE
    from dangjian.orgs.models import Organization, Region, ResidentUnit

    scope = actor.scope
    if scope.superuser:
        return Q()
    above = Q(pk__in=[])
    for path in scope.nodes(CHANGE).region_paths:
        depth = len(path) // PATH_STEP
        above |= Q(community__path__startswith=path) & (
            Q(community__depth__gt=depth) & ~Q(level=HandlingLevel.STREET)
            | Q(community__depth__gt=depth + 1, level=HandlingLevel.STREET)
        )
    # The regions the user holds a role in, and those above them: a handling unit among them is
    # one the user works inside. Organisations and resident units sit in a region (a community's
    # party committee or branch in the community; a grid's unit in the grid, whose parent is the
    # community). One sub-select, no query of its own.
    nodes = scope.held
    inside = {path[:end] for path in nodes.region_paths for end in range(PATH_STEP, len(path) + 1, PATH_STEP)}
    regions = Q(path__in=sorted(inside))
    if nodes.org_paths:
        held = Organization.objects.filter(path__in=nodes.org_paths)
        regions |= Q(pk__in=held.values("region_id")) | Q(pk__in=held.values("region__parent_id"))
    if nodes.unit_ids:
        held_units = ResidentUnit.objects.filter(pk__in=nodes.unit_ids)
        regions |= Q(pk__in=held_units.values("region_id")) | Q(pk__in=held_units.values("region__parent_id"))
    inside_ids = Region.objects.filter(regions).values("pk")
    return (
        above
        & ~Q(community_id__in=inside_ids, level__in=[HandlingLevel.GRID, HandlingLevel.COMMUNITY])
        & ~Q(community__parent_id__in=inside_ids, level=HandlingLevel.STREET)
    )
