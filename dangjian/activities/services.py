"""Every write to activities: publish and cancel an activity (with its room booked through
``orgs.services.book_room``), sign up — confirmed while places last, then on the waitlist —,
cancel a sign-up (the earliest waitlisted person is confirmed and told), check in by the
organiser's QR code or be marked from the list.

Places are counted under the activity's row lock: two people taking the last place at the same
moment cannot both get it (tests/activities test_concurrency on PostgreSQL). Nothing is deleted:
a cancelled activity or sign-up is a state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.activities.models import (
    LIVE_STATES,
    Activity,
    ActivityStatus,
    Audience,
    Feedback,
    Series,
    SignUp,
    SignUpState,
)
from dangjian.core.access import CHANGE, CREATE, VIEW, allowed
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.core.notifications import notify
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Organization, Region, RegionLevel, Room
from dangjian.people.models import MembershipStatus, Person

CHECK_IN_SALT = "dangjian.activities.check-in"
CHECK_IN_SECONDS = 90  # a code on the organiser's screen (renewed every minute) is good for 90 seconds
CHECK_IN_EARLY = dt.timedelta(minutes=30)  # check-in opens half an hour before the start


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def activity_create(
    *,
    actor: Actor,
    region: Region,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    audience: str = Audience.EVERYONE,
    sign_up_opens_at: dt.datetime | None = None,
    sign_up_closes_at: dt.datetime | None = None,
    series: Series | None = None,
    organization: Organization | None = None,
    room: Room | None = None,
    place: str = "",
    description: str = "",
) -> Activity:
    """Publish an activity of a community (or street) in the actor's create scope. Its place is a
    room of a service site — booked in the same transaction, refused when taken — or a place
    named in words. Sign-up opens now (or at ``sign_up_opens_at``) and closes at the start (or
    at ``sign_up_closes_at``, not after the end)."""
    if not allowed(actor, CREATE, region):
        raise PermissionDenied
    if organization is not None and not allowed(actor, VIEW, organization):
        raise PermissionDenied
    if series is not None and not allowed(actor, VIEW, series):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    title = " ".join(title.split())
    if not title:
        errors.setdefault("title", []).append(_("Give the activity a title."))
    if region.level not in (RegionLevel.COMMUNITY, RegionLevel.STREET) or region.closed_on is not None:
        errors.setdefault("region", []).append(_("Choose an open community or street."))
    if ends_at <= starts_at:
        errors.setdefault("ends_at", []).append(_("The end must come after the start."))
    if starts_at <= actor.now:
        errors.setdefault("starts_at", []).append(_("An activity is published before it starts."))
    if capacity < 0:
        errors.setdefault("capacity", []).append(_("The number of places cannot be negative."))
    opens = sign_up_opens_at or actor.now
    closes = sign_up_closes_at or starts_at
    if ends_at > starts_at and closes > ends_at:
        errors.setdefault("sign_up_closes_at", []).append(_("Sign-up closes at the end of the activity at the latest."))
    if closes <= opens:
        errors.setdefault("sign_up_closes_at", []).append(_("Sign-up must close after it opens."))
    place = " ".join(place.split())[:200]
    if room is None and not place:
        errors.setdefault("place", []).append(_("Choose a room or say where it takes place."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        booking = None
        if room is not None:
            booking = org_services.book_room(
                actor=actor, room=room, starts_at=starts_at, ends_at=ends_at, purpose=title
            )
        activity = Activity.objects.create(
            title=title,
            series=series,
            region=region,
            organization=organization,
            description=description.strip(),
            booking=booking,
            place=place or (f"{room.site.name} {room.name}" if room is not None else ""),
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            audience=audience,
            sign_up_opens_at=opens,
            sign_up_closes_at=closes,
            created_by_id=actor.user_id,
        )
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=activity,
            changes={
                "title": [None, title],
                "starts_at": [None, _when(starts_at)],
                "place": [None, activity.place],
                "capacity": [None, capacity],
            },
        )
    return activity


def activity_cancel(*, actor: Actor, activity: Activity, reason: str) -> Activity:
    """Call an activity off: its room is freed, everyone signed up is told; the sign-ups stay."""
    if not allowed(actor, CHANGE, activity):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the activity is called off; the people signed up are told.")})
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        if locked.status == ActivityStatus.CANCELLED:
            return locked
        Activity.objects.filter(pk=locked.pk).update(status=ActivityStatus.CANCELLED, version=F("version") + 1)
        if locked.booking is not None:  # the organiser's right over the activity frees its room
            org_services.release_booking(actor=actor, booking=locked.booking, reason=reason)
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=locked,
            changes={"status": [ActivityStatus.PUBLISHED, ActivityStatus.CANCELLED]},
            reason=reason.strip(),
        )
        users = SignUp.objects.filter(activity=locked, state__in=LIVE_STATES).values_list("person__user_id", flat=True)
        params = {"title": locked.title, "when": _when(locked.starts_at), "reason": reason.strip()[:200]}
        url = reverse("activities:detail", args=[locked.pk])
        recipients = [user for user in users if user]
        notify(
            recipients=recipients,
            kind="activity_cancelled",
            key=f"activity-cancelled-{locked.pk}",
            params=params,
            url=url,
        )
    activity.status = ActivityStatus.CANCELLED
    return activity


# -- Signing up -----------------------------------------------------------------------------------


def may_sign_up_self(*, actor: Actor, activity: Activity) -> bool:
    """Whether the actor's own person may sign up: the activity is in the community (or street) they
    live in, or organised by their party organisation (or one above it); members only: they are
    a member in good standing."""
    person = own_person(actor=actor)
    if person is None:
        return False
    home = person.region.path if person.region_id else ""
    member = getattr(person, "member", None)
    member_path = member.organization.path if member is not None and member.status == MembershipStatus.NORMAL else ""
    if activity.audience == Audience.MEMBERS and not member_path:
        return False
    in_area = bool(home) and home.startswith(activity.region.path)
    org = activity.organization
    in_org = org is not None and bool(member_path) and member_path.startswith(org.path)
    return in_area or in_org


def own_person(*, actor: Actor) -> Person | None:
    """The actor's own person, with their home grid and party organisation loaded, or None."""
    if actor.person_id is None:
        return None
    return Person.objects.select_related("region", "member__organization").filter(pk=actor.person_id).first()


def _organises(actor: Actor, activity: Activity) -> bool:
    return allowed(actor, CHANGE, activity)


def sign_up(*, actor: Actor, activity: Activity, person: Person) -> SignUp:
    """Sign ``person`` up: confirmed while places last, then on the waitlist (in order of signing
    up). Oneself within the sign-up window; the organiser (change right over the activity) also
    for someone they may see, until the activity ends (a walk-in). Refused: a cancelled or past
    activity, members only for a non-member, signed up already."""
    organiser = _organises(actor, activity) and allowed(actor, VIEW, person)
    if not organiser and not (person.pk == actor.person_id and may_sign_up_self(actor=actor, activity=activity)):
        raise PermissionDenied
    now = actor.now
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        if locked.status == ActivityStatus.CANCELLED:
            raise ValidationError(_("This activity has been called off."), code="cancelled")
        if now >= (locked.ends_at if organiser else locked.sign_up_closes_at):
            raise ValidationError(_("Sign-up for this activity has closed."), code="closed")
        if not organiser and now < locked.sign_up_opens_at:
            raise ValidationError(
                _("Sign-up opens at %(when)s.") % {"when": _when(locked.sign_up_opens_at)}, code="not_open"
            )
        if locked.audience == Audience.MEMBERS and not _member_in_good_standing(person):
            raise ValidationError(_("This activity is for party members."), code="members")
        existing = SignUp.objects.filter(activity=locked, person=person, state__in=LIVE_STATES).first()
        if existing is not None:
            message = (
                _("%(name)s is signed up already.")
                if existing.state == SignUpState.CONFIRMED
                else _("%(name)s is on the waitlist already.")
            )
            raise ValidationError(message % {"name": person.name}, code="twice")
        has_place = _has_place(locked)
        state = SignUpState.CONFIRMED if has_place else SignUpState.WAITLISTED
        try:
            with transaction.atomic():
                row = SignUp.objects.create(
                    activity=locked,
                    person=person,
                    state=state,
                    signed_up_by_id=actor.user_id,
                    confirmed_at=now if has_place else None,
                    created_at=now,
                )
        except IntegrityError as exc:  # the same person, the same moment, twice
            raise ValidationError(_("%(name)s is signed up already.") % {"name": person.name}, code="twice") from exc
        record_event(actor=actor, action=EventAction.CREATED, target=row, changes={"state": [None, state]})
    return row


def walk_in_open(*, actor: Actor, activity: Activity) -> bool:
    """Whether the organiser may still sign someone up as a walk-in (``sign_up`` decides): the
    activity is not called off and has not ended."""
    return activity.status == ActivityStatus.PUBLISHED and actor.now < activity.ends_at


def _has_place(activity: Activity) -> bool:
    """Whether a newcomer gets a place now: one is free and nobody is waiting for it (the waitlist
    comes first). Read under the activity's row lock."""
    if SignUp.objects.filter(activity=activity, state=SignUpState.WAITLISTED).exists():
        return False
    return (
        activity.capacity == 0
        or SignUp.objects.filter(activity=activity, state=SignUpState.CONFIRMED).count() < activity.capacity
    )


def _member_in_good_standing(person: Person) -> bool:
    member = getattr(person, "member", None)
    return member is not None and member.status == MembershipStatus.NORMAL


def sign_up_cancel(*, actor: Actor, sign_up: SignUp, reason: str = "") -> SignUp:
    """Give a place up (oneself, or the organiser for someone). A confirmed place that frees before
    the activity starts goes to the earliest person on the waitlist, who is told."""
    activity = sign_up.activity
    if sign_up.person_id != actor.person_id and not _organises(actor, activity):
        raise PermissionDenied
    now = actor.now
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        row = SignUp.objects.select_for_update().get(pk=sign_up.pk)
        if row.state not in LIVE_STATES:
            return row
        was = row.state
        SignUp.objects.filter(pk=row.pk).update(state=SignUpState.CANCELLED, cancelled_at=now, version=F("version") + 1)
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=row,
            changes={"state": [was, SignUpState.CANCELLED]},
            reason=reason.strip(),
        )
        if was == SignUpState.CONFIRMED and now < locked.ends_at and locked.status == ActivityStatus.PUBLISHED:
            _promote_next(actor, locked)
        row.state, row.cancelled_at = SignUpState.CANCELLED, now
    return row


def _promote_next(actor: Actor, activity: Activity) -> SignUp | None:
    confirmed = SignUp.objects.filter(activity=activity, state=SignUpState.CONFIRMED).count()
    if activity.capacity and confirmed >= activity.capacity:
        return None
    nxt = (
        SignUp.objects.select_for_update()
        .filter(activity=activity, state=SignUpState.WAITLISTED)
        .select_related("person")
        .order_by("created_at", "id")
        .first()
    )
    if nxt is None:
        return None
    SignUp.objects.filter(pk=nxt.pk).update(
        state=SignUpState.CONFIRMED, confirmed_at=actor.now, version=F("version") + 1
    )
    record_event(
        actor=actor,
        action=EventAction.STATUS_CHANGED,
        target=nxt,
        changes={"state": [SignUpState.WAITLISTED, SignUpState.CONFIRMED]},
        reason=_("A place came free"),
    )
    if nxt.person.user_id:
        params = {"title": activity.title, "when": _when(activity.starts_at)}
        url = reverse("activities:detail", args=[activity.pk])
        user_id = nxt.person.user_id
        notify(
            recipients=[user_id],
            kind="activity_promoted",
            key=f"activity-promoted-{nxt.pk}",
            params=params,
            url=url,
        )
    return nxt


# -- Checking in ----------------------------------------------------------------------------------


def check_in_code(*, actor: Actor, activity: Activity) -> str:
    """The code the organiser shows (as a QR code) for people to check themselves in: the activity
    and the moment, signed with the site's key; good for CHECK_IN_SECONDS from ``actor.now``."""
    if not _organises(actor, activity):
        raise PermissionDenied
    return signing.dumps({"a": activity.pk, "t": int(actor.now.timestamp())}, salt=CHECK_IN_SALT, compress=False)


def check_in(*, actor: Actor, activity: Activity, code: str) -> SignUp:
    """Check oneself in with the code the organiser shows: a confirmed sign-up is marked as come
    (again: nothing changes); someone not signed up takes a free place if there is one. Refused:
    an expired or forged code, outside the activity's time, on the waitlist, no place."""
    try:
        value = signing.loads(code, salt=CHECK_IN_SALT)
    except signing.BadSignature:
        raise ValidationError(_("This is not a check-in code of this activity."), code="bad") from None
    if not isinstance(value, dict) or value.get("a") != activity.pk or not isinstance(value.get("t"), int):
        raise ValidationError(_("This is not a check-in code of this activity."), code="bad")
    age = actor.now.timestamp() - value["t"]
    if age > CHECK_IN_SECONDS or age < -60:  # a minute's grace for the clocks of two servers
        raise ValidationError(_("This code has expired; scan the code shown now."), code="expired")
    person = own_person(actor=actor)
    if person is None:
        raise PermissionDenied
    now = actor.now
    if activity.status == ActivityStatus.CANCELLED:
        raise ValidationError(_("This activity has been called off."), code="cancelled")
    if not (activity.starts_at - CHECK_IN_EARLY <= now < activity.ends_at):
        raise ValidationError(_("Check-in is open from half an hour before the start until the end."), code="not_now")
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        row = SignUp.objects.filter(activity=locked, person=person, state__in=LIVE_STATES).first()
        if row is not None and row.state == SignUpState.WAITLISTED:
            raise ValidationError(_("You are on the waitlist; please ask the organiser."), code="waitlisted")
        if row is None:
            if not may_sign_up_self(actor=actor, activity=locked):
                raise ValidationError(
                    _("This activity is not open to you; please ask the organiser."), code="not_yours"
                )
            if not _has_place(locked):
                raise ValidationError(_("All places are taken; please ask the organiser."), code="full")
            row = SignUp.objects.create(
                activity=locked,
                person=person,
                state=SignUpState.CONFIRMED,
                signed_up_by_id=actor.user_id,
                confirmed_at=now,
            )
            record_event(actor=actor, action=EventAction.CREATED, target=row, changes={"state": [None, row.state]})
        if row.checked_in_at is None:
            SignUp.objects.filter(pk=row.pk).update(checked_in_at=now, checked_in_by_id=actor.user_id)
            row.checked_in_at = now
            record_event(
                actor=actor, action=EventAction.UPDATED, target=row, changes={"checked_in_at": [None, _when(now)]}
            )
    return row


def mark_attended(*, actor: Actor, sign_up: SignUp, attended: bool) -> SignUp:
    """The organiser marks from the list who came (or takes a mark back)."""
    if not _organises(actor, sign_up.activity):
        raise PermissionDenied
    if sign_up.activity.status == ActivityStatus.CANCELLED:
        raise ValidationError(_("This activity has been called off."))
    if sign_up.state != SignUpState.CONFIRMED:
        raise ValidationError(_("Only a confirmed place can be marked as come."))
    if actor.now < sign_up.activity.starts_at - CHECK_IN_EARLY:
        raise ValidationError(_("Check-in is open from half an hour before the start until the end."))
    moment = actor.now if attended else None
    if (sign_up.checked_in_at is not None) == attended:
        return sign_up
    with transaction.atomic():
        SignUp.objects.filter(pk=sign_up.pk).update(
            checked_in_at=moment, checked_in_by_id=actor.user_id if attended else None
        )
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=sign_up,
            changes={"checked_in_at": [_shown(sign_up.checked_in_at), _shown(moment)]},
        )
        sign_up.checked_in_at = moment
    return sign_up


def _shown(moment: Any) -> str | None:
    return _when(moment) if moment else None


# -- After the activity ---------------------------------------------------------------------------

FEEDBACK_DAYS = 14  # participants may rate an activity this long after it ends


def feedback_give(*, actor: Actor, activity: Activity, score: int, comment: str = "") -> Feedback:
    """A participant (their own confirmed sign-up, marked as come) rates the activity 1–5 with an
    optional comment, once, from its start until FEEDBACK_DAYS after its end. The organiser never
    sees who gave which."""
    person_id = actor.person_id
    if person_id is None:
        raise PermissionDenied
    row = SignUp.objects.filter(activity=activity, person_id=person_id, state=SignUpState.CONFIRMED).first()
    if row is None or row.checked_in_at is None:
        raise ValidationError(_("Only those who came can rate the activity."), code="not_there")
    if not (activity.starts_at <= actor.now <= activity.ends_at + dt.timedelta(days=FEEDBACK_DAYS)):
        raise ValidationError(
            _("An activity is rated from its start until %(days)s days after its end.") % {"days": FEEDBACK_DAYS},
            code="not_now",
        )
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("Choose from one to five stars.")})
    comment = comment.strip()[:1000]
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(
                sign_up=row, activity=activity, score=score, comment=comment, created_at=actor.now
            )
    except IntegrityError as exc:
        raise ValidationError(_("You have rated this activity already; thank you."), code="twice") from exc
    return feedback


def activity_record_outcome(*, actor: Actor, activity: Activity, outcome: str) -> Activity:
    """The organiser records what came of the activity (once it has started; changed later too)."""
    if not _organises(actor, activity):
        raise PermissionDenied
    if actor.now < activity.starts_at:
        raise ValidationError({"outcome": _("The outcome is recorded once the activity has started.")})
    outcome = outcome.strip()[:4000]
    if not outcome:
        raise ValidationError({"outcome": _("Say what came of the activity.")})
    with transaction.atomic():
        Activity.objects.filter(pk=activity.pk).update(outcome=outcome, version=F("version") + 1)
        record_event(
            actor=actor, action=EventAction.UPDATED, target=activity, changes={"outcome": [activity.outcome, outcome]}
        )
        activity.outcome = outcome
    return activity


def move_activities(
    *, actor: Actor, source: Organization, target: Organization, day: dt.date, reason: str
) -> dict[str, int]:
    """An organisation merged into another (orgs.services.merge_organization): its activities not
    yet over are organised by ``target`` from now on (their members moved there); past ones stay
    as they were."""
    moved = Activity.objects.filter(organization=source, ends_at__gt=actor.now).update(
        organization=target, version=F("version") + 1
    )
    return {"activities": moved}
