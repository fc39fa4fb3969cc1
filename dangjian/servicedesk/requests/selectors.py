"""Reads of service requests and their whole life."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.core.paginator import Page
from django.db.models import Count, F, Q, QuerySet, Value, prefetch_related_objects
from django.http import Http404
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.paging import PrimaryKeyPaginator
from dangjian.orgs.models import Region, RegionLevel
from dangjian.people.services import PHONE_PURPOSE
from dangjian.servicedesk import sla
from dangjian.servicedesk.models import (
    CALLBACK_CLOSE_REASONS,
    DONE_STATES,
    OPEN_STATES,
    REQUEST_PHONE_PURPOSE,
    AssigneeKind,
    Outcome,
    Rating,
    RequestState,
    RequestStep,
    ServiceCategory,
    ServiceRequest,
    parse_request_number,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations


class _Labelled(TypedDict):  # what steps adds to each RequestStep
    label: StrOrPromise


QUEUE_VIEWS = ("open", "mine", "overdue", "due_soon", "new", "handled", "finished", "all")


ACTIVE_STATES = tuple(s for s in OPEN_STATES if s != RequestState.SUSPENDED)


@dataclass
class QueueFilters:
    view: str = "open"
    category: ServiceCategory | None = None
    region: Region | None = None
    q: str = ""


def due_soon_until(now: dt.datetime) -> dt.datetime:
    """ "Soon" is within half a business day of now."""
    return sla.due_at(now, sla.day_seconds() // 2)


def _number_filter(text: str) -> Q | None:
    """A request number as residents quote it (2026-0001234, 1234) finds that request."""
    found = parse_request_number(text)
    return Q(pk=found[1]) if found is not None else None


def _mine(actor: Actor) -> Q:
    """Requests that are the actor's to handle: assigned to them, to an organisation they hold a
    role in (a branch and its secretary), or to the grid they work in."""
    nodes = actor.scope.nodes(VIEW)
    q = Q(assignee_user_id=actor.user_id) if actor.user_id else Q(pk__in=[])
    for path in nodes.org_paths:
        q |= Q(assignee_organization__path__startswith=path)
    if nodes.region_paths:
        q |= Q(assignee_kind=AssigneeKind.GRID, assignee_region__path__in=nodes.region_paths)
    return q


def queue(*, actor: Actor, filters: QueueFilters) -> QuerySet[ServiceRequest]:
    """The requests the user may see, as the staff queue shows them: open ones by deadline."""
    now = actor.now
    qs = restrict(ServiceRequest.objects.all(), actor, VIEW)
    view = filters.view if filters.view in QUEUE_VIEWS else "open"
    if view == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif view == "mine":
        qs = qs.filter(_mine(actor), state__in=OPEN_STATES)
    elif view == "overdue":
        qs = qs.filter(state__in=ACTIVE_STATES, resolution_due_at__lt=now)
    elif view == "due_soon":
        qs = qs.filter(state__in=ACTIVE_STATES, resolution_due_at__gte=now, resolution_due_at__lt=due_soon_until(now))
    elif view == "new":
        qs = qs.filter(state__in=(RequestState.SUBMITTED, RequestState.RETURNED, RequestState.ESCALATED))
    elif view == "handled":
        qs = qs.filter(state=RequestState.HANDLED)
    elif view == "finished":
        qs = qs.filter(state__in=(RequestState.VISITED, RequestState.CLOSED))
    if filters.category is not None:
        qs = qs.filter(category=filters.category)
    if filters.region is not None:
        qs = qs.filter(**_region_filter(filters.region))
    text = " ".join((filters.q or "").split())
    if text:
        by_number = _number_filter(text)
        qs = qs.filter(by_number if by_number is not None else Q(description__contains=text))
    return qs


@dataclass(frozen=True)
class RegionChoice:
    pk: int
    name: str
    level: str


def queue_region_choices(*, actor: Actor) -> list[RegionChoice]:
    """What the queue may be narrowed to: the communities and their grids; for a scope over
    several streets (a district's thousand grids would be a list nobody reads) the streets and
    their communities. Plain rows from one query."""
    rows = [
        RegionChoice(*row)
        for row in restrict(Region.objects.all(), actor, VIEW)
        .filter(level__in=[RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.GRID])
        .order_by("path")
        .values_list("pk", "name", "level")
    ]
    several = sum(1 for r in rows if r.level == RegionLevel.STREET) > 1
    wanted = (RegionLevel.STREET, RegionLevel.COMMUNITY) if several else (RegionLevel.COMMUNITY, RegionLevel.GRID)
    return [r for r in rows if r.level in wanted]


def _region_filter(region: Region) -> dict[str, Any]:
    if region.level == RegionLevel.GRID:
        return {"region": region}
    if region.level == RegionLevel.COMMUNITY:
        return {"community": region}
    return {"community__path__startswith": region.path}


# The same order as ("-id"), but no index serves it: PostgreSQL sorts a community's few
# thousand matches instead of walking the whole primary key backwards (core.paging chooses).
FINISHED_SORT_ORDERING = ((F("id") + Value(0)).desc(),)


# Small tables only: with the people table joined twice (requester, volunteer) the page query has
# more joins than PostgreSQL reorders (join_collapse_limit 8) and it joined every request before
# keeping 25 (18 s at district scale). The volunteer's name comes in one more query.
QUEUE_RELATED = ("category", "region", "community", "assignee_user", "assignee_organization", "assignee_region")


def queue_page(*, actor: Actor, filters: QueueFilters, number: Any, per_page: int = 25) -> Page:
    """A page of the queue with what its rows show preloaded (a constant number of queries).
    Open work is ordered by its resolution deadline (a small partial index of open requests
    serves it), finished work newest first."""
    qs = queue(actor=actor, filters=filters).select_related(*QUEUE_RELATED)
    if filters.view in ("finished", "all"):
        # Counted up to 100,000: enough for the paginator to choose between walking the primary
        # key (a street or district: most requests are finished) and sorting (a community's few
        # thousand), without counting a district's million on every page.
        paginator = PrimaryKeyPaginator(
            qs.order_by("-id"), per_page, sort_ordering=FINISHED_SORT_ORDERING, count_limit=100_000
        )
    else:
        paginator = PrimaryKeyPaginator(qs.order_by("resolution_due_at", "id"), per_page)
    page = paginator.get_page(number)
    prefetch_related_objects(list(page.object_list), "assignee_person")  # on the rows the queryset now caches
    return page


def queue_counts(*, actor: Actor) -> dict[str, int]:
    """How many requests are new, overdue, due soon, mine and waiting for confirmation: one query."""
    now = actor.now
    qs = restrict(ServiceRequest.objects.filter(state__in=(*OPEN_STATES, RequestState.HANDLED)), actor, VIEW)
    return qs.aggregate(
        new=Count("pk", filter=Q(state__in=(RequestState.SUBMITTED, RequestState.RETURNED, RequestState.ESCALATED))),
        overdue=Count("pk", filter=Q(state__in=ACTIVE_STATES, resolution_due_at__lt=now)),
        due_soon=Count(
            "pk",
            filter=Q(state__in=ACTIVE_STATES, resolution_due_at__gte=now, resolution_due_at__lt=due_soon_until(now)),
        ),
        mine=Count("pk", filter=Q(_mine(actor), state__in=OPEN_STATES)),
        handled=Count("pk", filter=Q(state=RequestState.HANDLED)),
    )


def request_for(*, actor: Actor, pk: int) -> ServiceRequest:
    """One request the user may see, or 404 (it does not exist for them)."""
    req = (
        restrict(ServiceRequest.objects.all(), actor, VIEW)
        .select_related(
            "category",
            "region",
            "community",
            "requester",
            "assignee_user",
            "assignee_person",
            "assignee_organization",
            "assignee_region",
            "reopened_from",
            "duplicate_of",
            "classified_by",
            "signed_off_by",
            "submitted_by",
        )
        .filter(pk=pk)
        .first()
    )
    if req is None:
        raise Http404
    return req


def request_by_token(token: str) -> ServiceRequest:
    """The request a tracking link points at (residents without an account), or 404."""
    if not token or len(token) > 40:
        raise Http404
    req = ServiceRequest.objects.select_related("category", "community", "region").filter(token=token).first()
    if req is None:
        raise Http404
    return req


def request_by_number_and_phone(*, year: int | None, pk: int, phone: str) -> ServiceRequest | None:
    """The request with this number whose contact number (left with it, or the requester's on
    record) is ``phone``; None when either does not match — the caller says the same in both
    cases, so that the lookup does not tell which numbers exist."""
    left = crypto.search_hash(phone, purpose=REQUEST_PHONE_PURPOSE)
    on_record = crypto.search_hash(phone, purpose=PHONE_PURPOSE)
    qs = ServiceRequest.objects.filter(Q(phone_hash=left) | Q(requester__phone_hash=on_record), pk=pk)
    req = qs.only("pk", "token", "submitted_at").first()
    if req is None or (year is not None and req.submitted_at.year != year):  # as ``number`` writes it
        return None
    return req


def steps(req: ServiceRequest, *, public_only: bool) -> list[WithAnnotations[RequestStep, _Labelled]]:
    """The history of a request, each step with its ``label`` in the reader's language."""
    from dangjian.servicedesk.requests.lifecycle import ACTION_LABELS

    qs = req.steps.select_related("actor").order_by("at", "id")
    if public_only:
        qs = qs.filter(is_public=True)
    rows = cast("list[WithAnnotations[RequestStep, _Labelled]]", list(qs))
    for step in rows:
        step.label = ACTION_LABELS.get(step.action, step.action)
    return rows


def rating_for(*, actor: Actor, req: ServiceRequest) -> Rating | None:
    """The rating, unless the user handled the request: ratings are anonymous to the handler."""
    from dangjian.servicedesk.requests.lifecycle import handled_by

    if handled_by(actor, req):
        return None
    return restrict(Rating.objects.filter(request=req), actor, VIEW).first()


def own_requests(*, actor: Actor) -> QuerySet[ServiceRequest]:
    """A resident's own requests, newest first."""
    person_id = actor.scope.person_id
    if not person_id:
        return ServiceRequest.objects.none()
    return ServiceRequest.objects.filter(requester_id=person_id).select_related("category").order_by("-submitted_at")


def public_cases() -> QuerySet[ServiceRequest]:
    """What may be shown publicly (the board, Open311 without a key): finished, confirmed resolved,
    shown with the requester's consent and a summary by staff, never a classified case."""
    return ServiceRequest.objects.filter(
        is_public=True, outcome=Outcome.RESOLVED, state__in=DONE_STATES, classification=""
    ).exclude(public_summary="")


def public_board(*, community: Region | None = None, limit: int = 50) -> QuerySet[ServiceRequest]:
    """Finished cases the requester agreed to show, with the summary staff wrote without names,
    numbers or addresses. Nothing else of the request leaves the desk."""
    qs = public_cases()
    if community is not None:
        qs = qs.filter(community=community)
    return qs.select_related("category", "community").order_by("-outcome_at")[:limit]


def callback_to_make(now: dt.datetime | None = None, *, tried_today: bool = False) -> Q:
    """Sampled requests whose callback is still to make: not yet reached nor given up, not tried
    already today (one try a day: a requester out today may be in tomorrow; ``tried_today``
    includes those, for request_callback to refuse with its reason), and not withdrawn, merged or
    classified since. The state a callback is made in is the lifecycle's (TRANSITIONS)."""
    today = dt.datetime.combine(
        timezone.localdate(now or timezone.now()), dt.time.min, tzinfo=timezone.get_default_timezone()
    )
    tried = Q(callback__answered=False) if tried_today else Q(callback__answered=False, callback__done_at__lt=today)
    return (
        Q(callback__isnull=False, callback__given_up_at__isnull=True)
        & (Q(callback__done_at__isnull=True) | tried)
        & (~Q(state=RequestState.CLOSED) | Q(close_reason__in=CALLBACK_CLOSE_REASONS))
    )


def _callbacks_for(actor: Actor) -> QuerySet[ServiceRequest]:
    from dangjian.servicedesk.access import outside_handling_unit

    return (
        restrict(
            ServiceRequest.objects.filter(
                callback_to_make(actor.now),
                outside_handling_unit(actor),
                state__in=[RequestState.HANDLED, RequestState.VISITED, RequestState.CLOSED],
            ),
            actor,
            VIEW,
        )
        .exclude(assignee_user_id=actor.user_id)
        # Not requests this user reported handled (one sub-select: an exclude() across the steps
        # would drop every request where the user did anything and someone handled it).
        .exclude(pk__in=RequestStep.objects.filter(action="handle", actor_id=actor.user_id).values("request_id"))
    )


def callbacks_due(*, actor: Actor, limit: int = 50) -> list[ServiceRequest]:
    """Sampled requests waiting for a callback that this user may make (not their own work)."""
    qs = (
        _callbacks_for(actor).select_related("category", "community", "region", "callback").order_by("handled_at", "id")
    )
    return list(qs[:limit])


def callbacks_due_count(*, actor: Actor) -> int:
    """The number the workbench shows: the same requests as the list."""
    return _callbacks_for(actor).count()
