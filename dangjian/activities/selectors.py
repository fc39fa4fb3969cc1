"""Reads of activities: the organisers' list of their area's activities, the activities a resident
or member may join (published activities are a notice board of their community: anyone who lives
there, or belongs to the organising party organisation, sees them), one activity, its sign-ups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from dangjian.activities import services
from dangjian.activities.models import Activity, ActivityStatus, Audience, Feedback, Series, SignUp, SignUpState
from dangjian.activities.services import FEEDBACK_DAYS, may_sign_up_self
from dangjian.core.access import CHANGE, VIEW, allowed, restrict
from dangjian.core.actors import Actor
from dangjian.core.paging import PrimaryKeyPaginator
from dangjian.people.models import MembershipStatus, Person

PER_PAGE = 25


def _counted(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    return activities.annotate(
        confirmed=Count("sign_ups", filter=Q(sign_ups__state=SignUpState.CONFIRMED)),
        waitlisted=Count("sign_ups", filter=Q(sign_ups__state=SignUpState.WAITLISTED)),
        came=Count("sign_ups", filter=Q(sign_ups__checked_in_at__isnull=False, sign_ups__state=SignUpState.CONFIRMED)),
    )


@dataclass(frozen=True)
class ActivityFilters:
    when: str = "upcoming"  # upcoming | past | "" (all)
    series: Series | None = None


def activities_page(*, actor: Actor, filters: ActivityFilters, number: Any) -> Page:
    """The activities of the actor's area (organisers, secretaries, admins), with their numbers of
    confirmed, waitlisted and come; upcoming first by start, past newest first."""
    activities = restrict(Activity.objects.all(), actor, VIEW)
    if filters.when == "upcoming":
        activities = activities.filter(ends_at__gt=actor.now)
    elif filters.when == "past":
        activities = activities.filter(ends_at__lte=actor.now)
    if filters.series is not None:
        activities = activities.filter(series=filters.series)
    ordering = ("starts_at", "id") if filters.when == "upcoming" else ("-starts_at", "-id")
    page = PrimaryKeyPaginator(activities.order_by(*ordering), PER_PAGE).get_page(number)
    keys = [activity.pk for activity in page.object_list]
    page.object_list = list(
        _counted(Activity.objects.filter(pk__in=keys)).select_related("series", "region").order_by(*ordering)
    )
    return page


def series_choices(*, actor: Actor) -> QuerySet[Series]:
    return restrict(Series.objects.all(), actor, VIEW).select_related("region").order_by("name")


def open_to_me(*, actor: Actor, limit: int = 50) -> list[Activity]:
    """Published activities not yet over that the actor's own person may join: of the community
    or street they live in, or of their party organisation or one above it (members only: for
    members in good standing), soonest first, each with ``mine``: their sign-up or None."""
    person = own_person(actor=actor)
    if person is None:
        return []
    member = getattr(person, "member", None)
    in_standing = member is not None and member.status == MembershipStatus.NORMAL
    where = Q(pk__in=[])
    if person.region_id:
        where |= Q(region__path__in=[*person.region.ancestor_paths(), person.region.path])
    if member is not None and in_standing:
        org = member.organization
        where |= Q(organization__path__in=[*org.ancestor_paths(), org.path])
    activities = Activity.objects.filter(where, status=ActivityStatus.PUBLISHED, ends_at__gt=actor.now)
    if not in_standing:
        activities = activities.exclude(audience=Audience.MEMBERS)
    rows = list(_counted(activities).select_related("series", "region").order_by("starts_at", "id")[:limit])
    mine = {
        row.activity_id: row
        for row in SignUp.objects.filter(
            person=person, activity__in=rows, state__in=(SignUpState.CONFIRMED, SignUpState.WAITLISTED)
        )
    }
    for activity in rows:
        activity.mine = mine.get(activity.pk)  # type: ignore[attr-defined]  # for the template
    return rows


def my_sign_ups(*, actor: Actor, limit: int = 20) -> list[SignUp]:
    """The actor's own sign-ups of activities not yet over, soonest first."""
    if actor.person_id is None:
        return []
    rows = (
        restrict(SignUp.objects.filter(person_id=actor.person_id, activity__ends_at__gt=actor.now), actor, VIEW)
        .exclude(state=SignUpState.CANCELLED)
        .select_related("activity")
        .order_by("activity__starts_at", "id")
    )
    return list(rows[:limit])


def activity_for(*, actor: Actor, pk: int) -> Activity:
    """One activity: for whoever may see it in their area, may join it, or has signed up to it."""
    activity = (
        Activity.objects.select_related("series", "region", "organization", "booking__room__site").filter(pk=pk).first()
    )
    if activity is None:
        raise Http404
    if allowed(actor, VIEW, activity) or may_sign_up_self(actor=actor, activity=activity):
        return activity
    if actor.person_id and SignUp.objects.filter(activity=activity, person_id=actor.person_id).exists():
        return activity
    raise Http404


def may_organise(*, actor: Actor, activity: Activity) -> bool:
    return allowed(actor, CHANGE, activity)


def sign_ups_of(*, actor: Actor, activity: Activity) -> list[SignUp]:
    """The activity's sign-ups the actor may see (the organiser: all), confirmed first in order of
    signing up, then the waitlist, then the cancelled."""
    order = {SignUpState.CONFIRMED: 0, SignUpState.WAITLISTED: 1, SignUpState.CANCELLED: 2}
    rows = list(
        restrict(SignUp.objects.filter(activity=activity), actor, VIEW)
        .select_related("person")
        .order_by("created_at", "id")
    )
    rows.sort(key=lambda row: order.get(row.state, 3))
    return rows


def own_sign_up(*, actor: Actor, activity: Activity) -> SignUp | None:
    if actor.person_id is None:
        return None
    return (
        SignUp.objects.filter(activity=activity, person_id=actor.person_id)
        .exclude(state=SignUpState.CANCELLED)
        .order_by("-created_at")
        .first()
    )


def waitlist_position(sign_up: SignUp) -> int:
    """1 for the first on the waitlist."""
    return (
        SignUp.objects.filter(activity_id=sign_up.activity_id, state=SignUpState.WAITLISTED)
        .filter(Q(created_at__lt=sign_up.created_at) | Q(created_at=sign_up.created_at, id__lt=sign_up.pk))
        .count()
        + 1
    )


def counts_of(*, activity: Activity) -> dict[str, int]:
    """How many are confirmed, on the waitlist and have come (one query)."""
    row: dict[str, int] | None = (
        _counted(Activity.objects.filter(pk=activity.pk)).values("confirmed", "waitlisted", "came").first()  # type: ignore[misc]  # annotated
    )
    return row or {"confirmed": 0, "waitlisted": 0, "came": 0}


def own_person(*, actor: Actor) -> Person | None:
    """The actor's own person (to sign themselves up), or None."""
    return services.own_person(actor=actor)


FEEDBACK_MINIMUM = 3  # fewer ratings than this are not shown: one person's could be told apart


def feedback_summary(*, actor: Actor, activity: Activity) -> dict[str, Any]:
    """For the organiser: how many rated and, once rating has closed (FEEDBACK_DAYS after the end:
    a summary that changed with each rating would give each one away by difference) and from
    FEEDBACK_MINIMUM ratings on, the average and the comments — in the order of their text, not of
    their time, and without names."""
    rows = list(restrict(Feedback.objects.filter(activity=activity), actor, VIEW).values_list("score", "comment"))
    closes = activity.ends_at + dt.timedelta(days=FEEDBACK_DAYS)
    summary: dict[str, Any] = {
        "count": len(rows),
        "closes": closes,
        "closed": actor.now > closes,
        "shown": actor.now > closes and len(rows) >= FEEDBACK_MINIMUM,
        "minimum": FEEDBACK_MINIMUM,
    }
    if summary["shown"]:
        summary["average"] = round(sum(score for score, _comment in rows) / len(rows), 1)
        summary["comments"] = sorted(comment for _score, comment in rows if comment)
    return summary


def own_feedback(*, actor: Actor, activity: Activity) -> Feedback | None:
    if actor.person_id is None:
        return None
    return Feedback.objects.filter(activity=activity, sign_up__person_id=actor.person_id).first()
