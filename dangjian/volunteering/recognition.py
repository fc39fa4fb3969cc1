"""评先树优 (recognition): a community nominates an exemplary person with its reasons and the evidence
the platform already holds (hours served, requests handled, activities attended, wishes
fulfilled); the street reviews it; an approved nomination is shown on the public pages only once
the person has agreed, and disappears when they take their consent back.

The evidence is read when the nomination is made and kept with it, so that the street reviews what
the community saw; the nomination's page shows it beside the reasons.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from dangjian.activities.models import SignUp, SignUpState
from dangjian.core.access import CHANGE, CREATE, VIEW, allowed, restrict
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.core.notifications import notify
from dangjian.orgs.models import Region, RegionLevel
from dangjian.people.models import Person
from dangjian.servicedesk.models import RequestState, ServiceRequest
from dangjian.volunteering.models import Nomination, NominationState, RecordState, ServiceRecord, Wish, WishState
from dangjian.volunteering.services import day_bounds, home_communities, one_line

DONE_REQUESTS = (RequestState.HANDLED, RequestState.VISITED, RequestState.CLOSED)


def evidence_of(person: Person, year: int) -> dict[str, Any]:
    """What the platform holds of a person's service in a year: verified hours and records,
    requests they handled as a volunteer, activities they came to, wishes they fulfilled."""
    low, high = day_bounds(dt.date(year, 1, 1), dt.date(year, 12, 31))
    served = ServiceRecord.objects.filter(
        person=person, state=RecordState.VERIFIED, started_at__gte=low, started_at__lt=high
    ).aggregate(records=Count("id"), minutes=Sum("minutes"))
    return {
        "year": year,
        "records": served["records"] or 0,
        "minutes": served["minutes"] or 0,
        "requests": ServiceRequest.objects.filter(
            assignee_person=person, state__in=DONE_REQUESTS, handled_at__gte=low, handled_at__lt=high
        ).count(),
        "activities": SignUp.objects.filter(
            person=person,
            state=SignUpState.CONFIRMED,
            checked_in_at__isnull=False,
            activity__starts_at__gte=low,
            activity__starts_at__lt=high,
        ).count(),
        "wishes": Wish.objects.filter(
            claimer=person, state=WishState.CONFIRMED, confirmed_at__gte=low, confirmed_at__lt=high
        ).count(),
    }


def _street_of(community: Region) -> Region | None:
    parent = Region.objects.filter(pk=community.parent_id).first() if community.parent_id else None
    return parent if parent is not None and parent.level == RegionLevel.STREET else None


def may_review(*, actor: Actor, nomination: Nomination) -> bool:
    """The street reviews: change right over the community's street (not the community's own), and
    never the one who nominated or the one nominated."""
    if actor.user_id is not None and actor.user_id == nomination.nominated_by_id:
        return False
    if actor.person_id is not None and actor.person_id == nomination.person_id:
        return False
    street = _street_of(nomination.community)
    return street is not None and allowed(actor, CHANGE, street)


def nominate(
    *, actor: Actor, community: Region, person: Person, title: str, reasons: str, year: int | None = None
) -> Nomination:
    """The community nominates someone who lives or serves there, for a year (this year by default)."""
    if not allowed(actor, CREATE, community) or community.level != RegionLevel.COMMUNITY:
        raise PermissionDenied
    if not allowed(actor, VIEW, person) and community.pk not in home_communities(person):
        raise PermissionDenied
    year = year or actor.today.year
    title, reasons = one_line(title, 120), (reasons or "").strip()[:4000]
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Say what the person is nominated as (e.g. outstanding volunteer).")]
    if len(reasons) < 10:
        errors["reasons"] = [_("Give the reasons: the deeds, in a few sentences.")]
    if not actor.today.year - 1 <= year <= actor.today.year:
        errors["year"] = [_("Nominate for this year or last year.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            nomination = Nomination.objects.create(
                community=community,
                person=person,
                title=title,
                reasons=reasons,
                evidence=evidence_of(person, year),
                year=year,
                nominated_by_id=actor.user_id,
            )
            record_event(
                actor=actor,
                action=EventAction.CREATED,
                target=nomination,
                changes={"title": [None, title], "person": [None, person.name], "year": [None, year]},
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("%(name)s is nominated as %(title)s for %(year)s already.")
            % {"name": person.name, "title": title, "year": year}
        ) from exc
    return nomination


def nomination_review(*, actor: Actor, nomination: Nomination, approve: bool, note: str = "") -> Nomination:
    """The street approves or does not approve (with a note, which the community reads). An approved
    nomination asks the person for their consent to be shown publicly."""
    if not may_review(actor=actor, nomination=nomination):
        raise PermissionDenied
    note = one_line(note, 300)
    if not approve and not note:
        raise ValidationError({"note": [_("Say why it is not approved; the community reads it.")]})
    state = NominationState.APPROVED if approve else NominationState.REJECTED
    with transaction.atomic():
        updated = Nomination.objects.filter(pk=nomination.pk, state=NominationState.SUBMITTED).update(
            state=state, reviewed_by_id=actor.user_id, reviewed_at=actor.now, review_note=note, version=F("version") + 1
        )
        if not updated:
            raise ValidationError(_("This nomination is no longer waiting for review."))
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=nomination,
            changes={"state": [NominationState.SUBMITTED, state]},
            reason=note,
        )
        user_id = Person.objects.filter(pk=nomination.person_id).values_list("user_id", flat=True).first()
        if approve and user_id:
            notify(
                recipients=[user_id],
                kind="nomination_approved",
                key=f"nomination-approved-{nomination.pk}",
                params={"title": nomination.title, "year": nomination.year},
                url=reverse("volunteering:nomination", args=[nomination.pk]),
            )
    nomination.refresh_from_db()
    return nomination


def nomination_consent(*, actor: Actor, nomination: Nomination, consent: bool, note: str = "") -> Nomination:
    """The person agrees to be shown on the public pages (or takes it back, which hides them at
    once). Only someone without an account agrees in writing, and the community records it with a
    note saying so; whoever has an account answers themselves."""
    own = nomination.person_id == actor.person_id
    if not own and not allowed(actor, CHANGE, nomination):
        raise PermissionDenied
    if not own and Person.objects.filter(pk=nomination.person_id, user__isnull=False).exists():
        # Someone with an account answers for themselves: the staff never answer over them.
        raise ValidationError(_("%(name)s answers on the platform themselves.") % {"name": nomination.person.name})
    note = one_line(note, 200)
    if not own and not note:
        raise ValidationError({"note": [_("Say how the person gave their answer (e.g. signed consent form).")]})
    if nomination.state != NominationState.APPROVED:
        raise ValidationError(_("Only an approved nomination is shown publicly."))
    moment = actor.now if consent else None
    with transaction.atomic():
        Nomination.objects.filter(pk=nomination.pk).update(consent_at=moment, version=F("version") + 1)
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=nomination,
            changes={
                "consent": [nomination.consent_at is not None, consent],
                "via": [None, "self" if own else "staff"],
            },
            reason=note,
        )
    nomination.consent_at = moment
    return nomination


def nomination_withdraw(*, actor: Actor, nomination: Nomination, reason: str) -> Nomination:
    """The community takes a nomination back (before or after review); it leaves the public pages."""
    if not allowed(actor, CHANGE, nomination):
        raise PermissionDenied
    reason = one_line(reason, 200)
    if not reason:
        raise ValidationError({"reason": [_("Say why the nomination is withdrawn.")]})
    with transaction.atomic():
        updated = (
            Nomination.objects.filter(pk=nomination.pk)
            .filter(state__in=(NominationState.SUBMITTED, NominationState.APPROVED))
            .update(state=NominationState.WITHDRAWN, version=F("version") + 1)
        )
        if not updated:
            raise ValidationError(_("This nomination can no longer be withdrawn."))
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=nomination,
            changes={"state": [nomination.state, NominationState.WITHDRAWN]},
            reason=reason,
        )
    nomination.state = NominationState.WITHDRAWN
    return nomination


# -- Reads ----------------------------------------------------------------------------------------


def nominations_for(*, actor: Actor) -> QuerySet[Nomination]:
    """The nominations of the actor's area (communities see theirs; streets those to review)."""
    return (
        restrict(Nomination.objects.all(), actor, VIEW)
        .select_related("community", "person", "community__parent")
        .order_by("-year", "state", "-created_at")
    )


def nominations_to_review(*, actor: Actor) -> QuerySet[Nomination]:
    """Submitted nominations of the communities of the streets the actor may change (the street's
    review: never a community's own)."""
    streets = restrict(Region.objects.filter(level=RegionLevel.STREET), actor, CHANGE)
    return Nomination.objects.filter(state=NominationState.SUBMITTED, community__parent__in=streets)


def nomination_for(*, actor: Actor, pk: int) -> Nomination:
    from django.http import Http404

    nomination = (
        Nomination.objects.select_related("community", "person", "nominated_by", "reviewed_by").filter(pk=pk).first()
    )
    if nomination is None:
        raise Http404
    if allowed(actor, VIEW, nomination) or nomination.person_id == actor.person_id:
        return nomination
    raise Http404


def my_nominations(*, actor: Actor) -> list[Nomination]:
    """The actor's own approved nominations (to agree to being shown, or take it back)."""
    if actor.person_id is None:
        return []
    return list(
        Nomination.objects.filter(person_id=actor.person_id, state=NominationState.APPROVED).select_related("community")
    )


def honours(*, community: Region | None = None, limit: int = 100) -> list[Nomination]:
    """The public roll (光荣榜): approved nominations whose person agreed, newest year first. Only
    the name, the title, the community, the year and the reasons: no figures side by side (no
    ranking of people, DESIGN.md)."""
    rows = Nomination.objects.filter(state=NominationState.APPROVED, consent_at__isnull=False)
    if community is not None:
        rows = rows.filter(community__path__startswith=community.path)
    return list(rows.select_related("community", "person").order_by("-year", "community__path", "title")[:limit])
