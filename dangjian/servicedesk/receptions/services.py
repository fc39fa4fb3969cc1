"""党代表接访: reception sessions with a party representative, residents' bookings, and turning
what is raised there into requests. Writes only; reads are in request_selectors."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import crypto
from dangjian.core.access import CHANGE, CREATE, VIEW, allowed
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.core.validators import validate_mobile
from dangjian.orgs.models import Region, RegionLevel
from dangjian.people.models import Person
from dangjian.servicedesk.models import ReceptionBooking, ReceptionSession, ServiceCategory, ServiceRequest
from dangjian.servicedesk.requests import lifecycle

RECEPTION_CATEGORY = "deputy-reception"
MAX_SLOTS = 200


def session_create(
    *,
    actor: Actor,
    community: Region | None,
    representative: Person | None,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    place: str,
    slots: int | None,
    note: str = "",
) -> ReceptionSession:
    """Schedule a reception in a community where the actor may create records."""
    errors: dict[str, list[str]] = {}
    if community is None or community.level != RegionLevel.COMMUNITY:
        errors["community"] = [_("Choose the community.")]
    elif not allowed(actor, CREATE, community):
        raise PermissionDenied
    if representative is None:
        errors["representative"] = [_("Choose the party representative.")]
    if starts_at is None:
        errors["starts_at"] = [_("Enter when it starts.")]
    elif starts_at < timezone.now() - dt.timedelta(hours=1):
        errors["starts_at"] = [_("A reception is scheduled in the future.")]
    if ends_at is None or (starts_at and ends_at <= starts_at):
        errors["ends_at"] = [_("It must end after it starts.")]
    if not (place or "").strip():
        errors["place"] = [_("Say where it takes place.")]
    if not slots or not 1 <= slots <= MAX_SLOTS:
        errors["slots"] = [_("Offer between 1 and %(max)d places.") % {"max": MAX_SLOTS}]
    if errors:
        raise ValidationError(errors)
    # each of these is in errors when missing
    assert community is not None and representative is not None and slots is not None
    assert starts_at is not None and ends_at is not None
    with transaction.atomic():
        session = ReceptionSession.objects.create(
            community=community,
            representative=representative,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place.strip()[:100],
            slots=slots,
            note=(note or "").strip()[:300],
            created_by=actor.user,
        )
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=session,
            changes={"starts_at": [None, starts_at.isoformat()], "place": [None, session.place]},
        )
    return session


def session_cancel(*, actor: Actor, session: ReceptionSession, reason: str) -> ReceptionSession:
    if not allowed(actor, CHANGE, session):
        raise PermissionDenied
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why it is cancelled (those who booked will see it).")]})
    with transaction.atomic():
        updated = ReceptionSession.objects.filter(pk=session.pk, cancelled_at__isnull=True).update(
            cancelled_at=timezone.now(), note=reason.strip()[:300]
        )
        if not updated:
            raise ValidationError(_("This reception is already cancelled."), code="state")
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=session,
            reason=reason,
            changes={"cancelled": [False, True]},
        )
    session.refresh_from_db()
    return session


def booking_create(
    *,
    actor: Actor,
    session: ReceptionSession,
    topic: str,
    contact_name: str = "",
    phone: str = "",
) -> ReceptionBooking:
    """Book a place: a resident with an account books for themself; without one, a mobile
    number is required. Places are counted under a lock on the session, so the last place
    cannot be booked twice."""
    now = actor.now
    errors: dict[str, list[str]] = {}
    topic = (topic or "").strip()
    if len(topic) < 2:
        errors["topic"] = [_("Say in a few words what you want to raise.")]
    elif len(topic) > 500:
        errors["topic"] = [_("Keep it under 500 characters; you can say more at the reception.")]
    person_id = actor.scope.person_id if actor.is_authenticated else None
    number = ""
    if person_id is None:
        try:
            number = validate_mobile(phone)
        except ValidationError as exc:
            errors["phone"] = [
                _("Leave a mobile number so that we can reach you.") if exc.code == "required" else exc.messages[0]
            ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            locked = ReceptionSession.objects.select_for_update().get(pk=session.pk)
            if locked.cancelled_at or locked.starts_at <= now:
                raise ValidationError(_("This reception can no longer be booked."), code="closed")
            taken = locked.bookings.filter(cancelled_at__isnull=True).count()
            if taken >= locked.slots:
                raise ValidationError(_("All places are booked. Try another reception."), code="full")
            booking = ReceptionBooking.objects.create(
                session=locked,
                person_id=person_id,
                contact_name=(contact_name or "").strip()[:50],
                topic=topic,
                booked_at=now,
                **crypto.protected("phone", number, model=ReceptionBooking),
            )
            record_event(
                actor=actor, action=EventAction.CREATED, target=booking, changes={"session": [None, str(locked)]}
            )
    except IntegrityError as exc:
        raise ValidationError(_("You have already booked a place at this reception."), code="twice") from exc
    return booking


def booking_cancel(*, actor: Actor, booking: ReceptionBooking) -> ReceptionBooking:
    own = booking.person_id and booking.person_id == actor.scope.person_id
    if not (own or allowed(actor, CHANGE, booking.session)):
        raise PermissionDenied
    with transaction.atomic():
        updated = ReceptionBooking.objects.filter(
            pk=booking.pk, cancelled_at__isnull=True, request__isnull=True
        ).update(cancelled_at=timezone.now())
        if not updated:
            raise ValidationError(_("This booking cannot be cancelled any more."), code="state")
        record_event(
            actor=actor, action=EventAction.STATUS_CHANGED, target=booking, changes={"cancelled": [False, True]}
        )
    booking.refresh_from_db()
    return booking


def booking_raise(
    *, actor: Actor, booking: ReceptionBooking, description: str, category: ServiceCategory | None = None
) -> ServiceRequest:
    """At the reception: what the resident raised becomes a request (channel reception), linked
    to the booking, in the session's community, for the resident who booked."""
    session = booking.session
    if not allowed(actor, CHANGE, session):
        raise PermissionDenied
    if booking.request_id:
        raise ValidationError(_("This booking has already become a request."), code="state")
    if booking.cancelled_at:
        raise ValidationError(_("This booking was cancelled."), code="state")
    category = category or ServiceCategory.objects.filter(code=RECEPTION_CATEGORY).first()
    requester = Person.objects.filter(pk=booking.person_id).first() if booking.person_id else None
    phone = crypto.decrypt(booking.phone_encrypted) if booking.phone_encrypted else ""
    contact_name = booking.contact_name
    if requester is not None and not allowed(actor, VIEW, requester):
        # Someone from elsewhere: recorded with their own name and number, as at the desk.
        phone = phone or (crypto.decrypt(requester.phone_encrypted) if requester.phone_encrypted else "")
        contact_name = contact_name or requester.name
        requester = None
    with transaction.atomic():
        req = lifecycle.request_submit(
            actor=actor,
            channel="reception",
            category=category,
            description=description or booking.topic,
            region=requester.region
            if requester and requester.region.path.startswith(session.community.path)
            else session.community,
            requester=requester,
            contact_name=contact_name,
            phone=phone if requester is None else "",
        )
        updated = ReceptionBooking.objects.filter(pk=booking.pk, request__isnull=True).update(request=req)
        if not updated:
            raise ValidationError(_("This booking has already become a request."), code="state")
    booking.request = req
    return req
