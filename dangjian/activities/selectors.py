"""Reads of activities: the organisers' list of their area's activities, the activities a resident
or member may join (published activities are a notice board of their community: anyone who lives
there, or belongs to the organising party organisation, sees them), one activity, its sign-ups;
the public list of upcoming activities open to everyone; the people an organiser may sign up as
walk-ins; and the evidence the evaluation reads (participation per unit, with the records behind
every figure) and its audit flag (check-ins marked in bursts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Page
from django.db.models import Count, F, Min, Q, QuerySet
from django.http import Http404

from dangjian.activities import services
from dangjian.activities.models import Activity, ActivityStatus, Audience, Feedback, Series, SignUp, SignUpState
from dangjian.activities.services import FEEDBACK_DAYS, may_sign_up_self
from dangjian.core.access import CHANGE, VIEW, allowed, restrict
from dangjian.core.actors import Actor
from dangjian.core.paging import PrimaryKeyPaginator
from dangjian.core.validators import parse_id
from dangjian.orgs.models import Organization, Region, RegionLevel
from dangjian.people.models import MembershipStatus, Person, PersonStatus
from dangjian.people.selectors import find_people

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


# -- Walk-ins -------------------------------------------------------------------------------------

WALK_IN_LIMIT = 10  # people shown for one search: a name narrows it further


def walk_in_candidates(*, actor: Actor, activity: Activity, query: str, limit: int = WALK_IN_LIMIT) -> list[Person]:
    """For the organiser signing up someone who walks in: the people the actor may see whose
    name (or pinyin, or the last four digits of their mobile: people.selectors.search_branches)
    matches ``query``, active, in pinyin order; each with ``signed_up``: their live sign-up of the
    activity or None. Nobody for an empty query or for someone who does not organise it."""
    if not may_organise(actor=actor, activity=activity):
        return []
    people = find_people(actor=actor, query=query, limit=limit)
    live = {
        row.person_id: row
        for row in SignUp.objects.filter(
            activity=activity, person__in=people, state__in=(SignUpState.CONFIRMED, SignUpState.WAITLISTED)
        )
    }
    for person in people:
        person.signed_up = live.get(person.pk)  # type: ignore[attr-defined]  # for the template
    return people


def walk_in_person(*, actor: Actor, pk: Any) -> Person | None:
    """The person chosen from the walk-in search, if the actor may see them (else None)."""
    if (key := parse_id(pk)) is None:
        return None
    return Person.objects.restrict(actor, VIEW).filter(pk=key, status=PersonStatus.ACTIVE).first()


# -- The public list ------------------------------------------------------------------------------

PUBLIC_LIMIT = 60


def public_communities() -> QuerySet[Region]:
    """The open communities, for the public list's filter."""
    return Region.objects.filter(level=RegionLevel.COMMUNITY, closed_on=None).order_by("path")


def public_community(value: Any) -> Region | None:
    """The community a visitor chose on the public list; None for anything else (ignored)."""
    if (key := parse_id(value)) is None:
        return None
    return public_communities().filter(pk=key).first()


def public_upcoming(*, actor: Actor, community: Region | None = None, limit: int = PUBLIC_LIMIT) -> list[Activity]:
    """The public notice board of activities (for anyone, signed in or not): published, open to
    everyone (Audience.EVERYONE), not yet over, soonest first; of one community (and of its
    street, which its residents may join too) or of all. Each with ``confirmed`` and
    ``waitlisted`` counts and ``places_left`` (None: no limit). Nothing about any person.

    Deliberately not through the access layer: these activities are public notices, and only
    their notice's fields (title, series, community, time, place, places) reach the page."""
    activities = Activity.objects.filter(
        status=ActivityStatus.PUBLISHED, audience=Audience.EVERYONE, ends_at__gt=actor.now
    )
    if community is not None:
        activities = activities.filter(region__path__in=[*community.ancestor_paths(), community.path])
    rows = list(_counted(activities).select_related("series", "region").order_by("starts_at", "id")[:limit])
    for activity in rows:
        confirmed = activity.confirmed  # type: ignore[attr-defined]  # annotated
        activity.places_left = max(activity.capacity - confirmed, 0) if activity.capacity else None  # type: ignore[attr-defined]
    return rows


# -- Evidence for the evaluation ------------------------------------------------------------------

# The figures of ``activity_participation``; each names the records behind it
# (``activity_participation_records``).
PARTICIPATION_MEASURES = ("activities", "confirmed", "attended", "people")
Unit = Region | Organization


@dataclass(frozen=True)
class Participation:
    unit: Unit
    activities: int  # held in the period: not called off, ended within it
    confirmed: int  # confirmed sign-ups of those activities
    attended: int  # of which checked in
    people: int  # distinct people who attended

    @property
    def attendance_rate(self) -> float | None:
        """Checked in ÷ confirmed; None without any confirmed sign-up."""
        return self.attended / self.confirmed if self.confirmed else None


def _unit_q(unit: Unit, prefix: str = "") -> Q:
    """A Region unit (a community or street; any level works) holds the activities that take
    place in its area: a street its own and its communities'. An Organization unit holds the
    activities that it or an organisation under it organised (an activity without an organising
    organisation belongs to no Organization unit)."""
    if isinstance(unit, Organization):
        return Q(**{f"{prefix}organization__path__startswith": unit.path})
    if isinstance(unit, Region):
        return Q(**{f"{prefix}region__path__startswith": unit.path})
    raise TypeError(f"not a unit: {unit!r}")


def _held(actor: Actor, start: dt.datetime, end: dt.datetime) -> QuerySet[Activity]:
    """The activities the actor may see that were held in [start, end): not called off and over
    by the period's end (and by now)."""
    return restrict(
        Activity.objects.exclude(status=ActivityStatus.CANCELLED).filter(
            ends_at__gte=start, ends_at__lt=end, ends_at__lte=actor.now
        ),
        actor,
        VIEW,
    ).order_by()


def _confirmed(actor: Actor, held: QuerySet[Activity]) -> QuerySet[SignUp]:
    return restrict(
        SignUp.objects.filter(state=SignUpState.CONFIRMED, activity__in=held.values("pk")), actor, VIEW
    ).order_by()


ATTENDED = Q(checked_in_at__isnull=False)


def activity_participation(
    *, actor: Actor, units: Sequence[Unit], start: dt.datetime, end: dt.datetime
) -> list[Participation]:
    """Per unit (in the order given; see ``_unit_q`` for what Regions and Organizations hold), the
    participation in activities held in [start, end): the activities, their confirmed sign-ups,
    those checked in, the distinct people who came, and the attendance rate. Only what the actor
    may see is counted (activities and sign-ups both through the access layer). Two queries,
    whatever the number of units (one conditional count per unit and measure).
    ``activity_participation_records`` lists the records behind each figure."""
    if not units:
        return []
    held = _held(actor, start, end)
    activities = held.aggregate(**{f"a{n}": Count("pk", filter=_unit_q(unit)) for n, unit in enumerate(units)})
    sign_ups: dict[str, Count] = {}
    for n, unit in enumerate(units):
        where = _unit_q(unit, "activity__")
        sign_ups[f"c{n}"] = Count("pk", filter=where)
        sign_ups[f"t{n}"] = Count("pk", filter=where & ATTENDED)
        sign_ups[f"p{n}"] = Count("person_id", filter=where & ATTENDED, distinct=True)
    counted = _confirmed(actor, held).aggregate(**sign_ups)
    return [
        Participation(
            unit=unit,
            activities=activities[f"a{n}"],
            confirmed=counted[f"c{n}"],
            attended=counted[f"t{n}"],
            people=counted[f"p{n}"],
        )
        for n, unit in enumerate(units)
    ]


def activity_participation_records(
    *, actor: Actor, unit: Unit, start: dt.datetime, end: dt.datetime, measure: str
) -> QuerySet[Activity] | QuerySet[SignUp]:
    """The records behind one figure of ``activity_participation`` — its count is the figure:
    ``activities`` → the Activity rows; ``confirmed`` and ``attended`` → the SignUp rows;
    ``people`` → one SignUp per person who came (the earliest made of their attended sign-ups).
    Ordered for a list; Http404 for an unknown measure."""
    held = _held(actor, start, end)
    if measure == "activities":
        return held.filter(_unit_q(unit)).select_related("region", "series").order_by("ends_at", "id")
    if measure not in PARTICIPATION_MEASURES:
        raise Http404
    sign_ups = _confirmed(actor, held).filter(_unit_q(unit, "activity__"))
    if measure == "attended":
        sign_ups = sign_ups.filter(ATTENDED)
    elif measure == "people":
        attended = sign_ups.filter(ATTENDED)
        firsts = attended.values("person_id").annotate(first=Min("pk")).values("first")
        sign_ups = attended.filter(pk__in=firsts)
    return sign_ups.select_related("activity", "person").order_by("activity__ends_at", "activity_id", "id")


# -- Audit flag: check-ins marked in bursts -------------------------------------------------------


@dataclass(frozen=True)
class CheckInBurst:
    organiser: Any  # the user who marked them (SignUp.checked_in_by)
    activity: Activity
    count: int
    first_at: dt.datetime
    last_at: dt.datetime


def check_in_bursts(
    *, actor: Actor, start: dt.datetime, end: dt.datetime, threshold: int = 10, seconds: int = 60
) -> list[CheckInBurst]:
    """Organisers who marked at least ``threshold`` people as come within ``seconds`` at one
    activity, among the check-ins in [start, end) the actor may see: a sign of marking a list in
    bulk rather than people at the door. People checking themselves in by the code are left out
    (each marks only themselves). Overlapping windows make one burst, from its first check-in to
    its last; bursts of one organiser at one activity that do not overlap are separate rows.
    A flag for people to look at; it changes nothing by itself. Newest first."""
    threshold = max(threshold, 2)
    marks = (
        restrict(
            SignUp.objects.filter(checked_in_at__gte=start, checked_in_at__lt=end, checked_in_by__isnull=False).exclude(
                checked_in_by_id=F("person__user_id")
            ),
            actor,
            VIEW,
        )
        .order_by("checked_in_by_id", "activity_id", "checked_in_at", "id")
        .values_list("checked_in_by_id", "activity_id", "checked_in_at")
    )
    window = dt.timedelta(seconds=seconds)
    groups: dict[tuple[int, int], list[dt.datetime]] = {}
    for user_id, activity_id, moment in marks:
        groups.setdefault((user_id, activity_id), []).append(moment)
    found: list[tuple[int, int, int, dt.datetime, dt.datetime]] = []
    for (user_id, activity_id), moments in groups.items():
        burst: list[int] | None = None  # [first index, last index]
        left = 0
        for right, moment in enumerate(moments):
            while moment - moments[left] > window:
                left += 1
            if right - left + 1 < threshold:
                continue
            if burst is not None and left <= burst[1]:
                burst[1] = right
            else:
                if burst is not None:
                    found.append((user_id, activity_id, *_span(moments, burst)))
                burst = [left, right]
        if burst is not None:
            found.append((user_id, activity_id, *_span(moments, burst)))
    if not found:
        return []
    users = get_user_model().objects.in_bulk({row[0] for row in found})
    activities = Activity.objects.in_bulk({row[1] for row in found})
    rows = [
        CheckInBurst(organiser=users[u], activity=activities[a], count=count, first_at=first, last_at=last)
        for u, a, count, first, last in found
    ]
    return sorted(rows, key=lambda row: (row.first_at, row.activity.pk), reverse=True)


def _span(moments: list[dt.datetime], burst: list[int]) -> tuple[int, dt.datetime, dt.datetime]:
    return burst[1] - burst[0] + 1, moments[burst[0]], moments[burst[1]]
