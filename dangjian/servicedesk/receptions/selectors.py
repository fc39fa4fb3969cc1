"""Reads of receptions by party representatives (党代表接待)."""

from __future__ import annotations

import datetime as dt
import operator
from functools import reduce
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dangjian.core.access import CREATE, VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.orgs.models import Region, RegionLevel
from dangjian.people.models import MembershipStatus, MemberStage, Person
from dangjian.servicedesk.models import (
    ReceptionBooking,
    ReceptionSession,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _Places(TypedDict):  # what upcoming_receptions adds to each ReceptionSession
    booked: int  # annotated by the query
    left: int


def upcoming_receptions(
    *, now: dt.datetime | None = None, limit: int = 30
) -> list[WithAnnotations[ReceptionSession, _Places]]:
    """Receptions residents may book: public notices (who, when, where, places left)."""
    now = now or timezone.now()
    rows = cast(
        "list[WithAnnotations[ReceptionSession, _Places]]",
        list(
            ReceptionSession.objects.filter(cancelled_at__isnull=True, starts_at__gt=now)
            .select_related("community", "representative")
            .annotate(booked=Count("bookings", filter=Q(bookings__cancelled_at__isnull=True)))
            .order_by("starts_at")[:limit]
        ),
    )
    for session in rows:
        session.left = max(0, session.slots - session.booked)
    return rows


def receptions_for(*, actor: Actor, limit: int = 100) -> list[ReceptionSession]:
    """The receptions of the user's communities, latest first, with their booking counts."""
    return list(
        restrict(ReceptionSession.objects.all(), actor, VIEW)
        .select_related("community", "representative")
        .annotate(
            booked=Count("bookings", filter=Q(bookings__cancelled_at__isnull=True)),
            raised=Count("bookings", filter=Q(bookings__request__isnull=False)),
        )
        .order_by("-starts_at")[:limit]
    )


def reception_for(*, actor: Actor, pk: int) -> ReceptionSession:
    session = (
        restrict(ReceptionSession.objects.all(), actor, VIEW)
        .select_related("community", "representative")
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise Http404
    return session


def bookings(session: ReceptionSession) -> list[ReceptionBooking]:
    return list(session.bookings.select_related("person", "request").order_by("cancelled_at", "booked_at", "id"))


def own_bookings(*, actor: Actor) -> list[ReceptionBooking]:
    person_id = actor.scope.person_id
    if not person_id:
        return []
    return list(
        ReceptionBooking.objects.filter(person_id=person_id)
        .select_related("session", "session__representative", "session__community", "request")
        .order_by("-session__starts_at")[:20]
    )


REPRESENTATIVE_CHOICES = 500  # the most a drop-down offers


def representative_choices(*, actor: Actor) -> QuerySet[Person]:
    """Who may receive residents: full members in good standing living in a community where the
    actor may schedule receptions, by pinyin (at most REPRESENTATIVE_CHOICES). A queryset the form
    can validate a choice against (a sliced one refused every choice)."""
    communities = restrict(Region.objects.filter(level=RegionLevel.COMMUNITY), actor, CREATE)
    paths = list(communities.values_list("path", flat=True))
    if not paths:
        return Person.objects.none()
    under = reduce(operator.or_, (Q(region__path__startswith=path) for path in paths))
    eligible = restrict(
        Person.objects.filter(under, member__status=MembershipStatus.NORMAL, member__stage=MemberStage.FULL),
        actor,
        VIEW,
    ).order_by("name_pinyin", "pk")
    return Person.objects.filter(pk__in=eligible.values("pk")[:REPRESENTATIVE_CHOICES]).order_by("name_pinyin", "pk")
