"""Writes for mobile members (流动党员) and in-service members reporting to their community
(在职党员双报到). Atomic, permission-checked, evented."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.access import CHANGE, allowed, restrict
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.membership.models import (
    CommunityReport,
    MobileDirection,
    MobileRecord,
    ReportState,
    ServiceCategory,
)
from dangjian.orgs.models import Organization, Region, RegionLevel
from dangjian.people.models import Member, MembershipStatus, Person


def mobile_register(*, actor: Actor, person: Person, organization: Organization, data: dict[str, Any]) -> MobileRecord:
    """Register a member leaving for elsewhere (direction out: one of ours) or staying here
    from elsewhere (direction in: registered with the organisation that will look after them)."""
    if not restrict(Organization.objects.filter(pk=organization.pk), actor, CHANGE).exists():
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    direction = data.get("direction")
    member = Member.objects.filter(person=person, status=MembershipStatus.NORMAL).first()
    if direction == MobileDirection.OUT and (member is None or not allowed(actor, CHANGE, member)):
        errors["person"] = [_("Only a member of your organisations in good standing can be registered as away.")]
    if direction not in MobileDirection.values:
        errors["direction"] = [_("Choose the direction.")]
    if not (data.get("place") or "").strip():
        errors["place"] = [_("Say where the member went (or came from).")]
    started = data.get("started_on")
    if started is None:
        errors["started_on"] = [_("Enter since when.")]
    elif started > timezone.localdate():
        errors["started_on"] = [_("This date is in the future.")]
    back = data.get("expected_return_on")
    if back and started and back < started:
        errors["expected_return_on"] = [_("The return cannot come before the departure.")]
    if errors:
        raise ValidationError(errors)
    assert direction is not None and started is not None  # each is in errors when missing
    try:
        with transaction.atomic():
            record = MobileRecord.objects.create(
                person=person,
                direction=direction,
                organization=organization,
                place=data["place"].strip()[:200],
                other_organization=(data.get("other_organization") or "").strip()[:200],
                contact_note=(data.get("contact_note") or "").strip()[:200],
                reason=(data.get("reason") or "").strip()[:100],
                started_on=started,
                expected_return_on=back,
            )
            record_event(
                actor=actor,
                action=EventAction.CREATED,
                target=record,
                changes={
                    "direction": [None, direction],
                    "place": [None, record.place],
                    "started_on": [None, started.isoformat()],
                },
            )
    except IntegrityError as exc:
        raise ValidationError({"person": [_("This member already has an open mobile record; end it first.")]}) from exc
    return record


def mobile_end(*, actor: Actor, record: MobileRecord, ended_on: dt.date | None, note: str) -> MobileRecord:
    """The member came back (or moved on): the record is closed, kept in the history."""
    if not allowed(actor, CHANGE, record):
        raise PermissionDenied
    ended_on = ended_on or timezone.localdate()
    if record.ended_on is not None:
        raise ValidationError({"ended_on": [_("This record is already closed.")]})
    if ended_on < record.started_on:
        raise ValidationError({"ended_on": [_("The end cannot come before the start.")]})
    with transaction.atomic():
        closed = MobileRecord.objects.filter(pk=record.pk, ended_on__isnull=True).update(
            ended_on=ended_on, end_note=(note or "").strip()[:200], updated_at=timezone.now()
        )
        if not closed:  # someone closed it meanwhile
            raise ValidationError({"ended_on": [_("This record is already closed.")]})
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=record,
            reason=note,
            changes={"ended_on": [None, ended_on.isoformat()]},
        )
        record.refresh_from_db()
    return record


def _own_person(actor: Actor) -> Person | None:
    person_id = actor.scope.person_id
    return Person.objects.filter(pk=person_id).first() if person_id else None


def report_register(*, actor: Actor, community: Region, workplace: str, categories: list[str]) -> CommunityReport:
    """A party member (with a login) reports to the community where they live (member side)."""
    today = actor.today
    person = _own_person(actor)
    errors: dict[str, list[str]] = {}
    if person is None or not Member.objects.filter(person=person, status=MembershipStatus.NORMAL).exists():
        raise PermissionDenied
    if community.level != RegionLevel.COMMUNITY:
        errors["community"] = [_("Choose a community.")]
    if not (workplace or "").strip():
        errors["workplace"] = [_("Name your workplace and its party organisation.")]
    unknown = [c for c in categories if c not in ServiceCategory.values]
    if not categories or unknown:
        errors["categories"] = [_("Choose at least one kind of service you can offer.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            report = CommunityReport.objects.create(
                person=person,
                community=community,
                workplace=workplace.strip()[:200],
                categories=sorted(categories),
                registered_on=today,
            )
            record_event(
                actor=actor,
                action=EventAction.CREATED,
                target=report,
                changes={"community": [None, community.name], "categories": [None, "、".join(sorted(categories))]},
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"community": [_("You have already reported to a community; revoke that report first.")]}
        ) from exc
    return report


def _community_may_change(actor: Actor, report: CommunityReport) -> bool:
    return restrict(Region.objects.filter(pk=report.community_id), actor, CHANGE).exists()


def report_confirm(*, actor: Actor, report: CommunityReport) -> CommunityReport:
    today = actor.today
    if not _community_may_change(actor, report):
        raise PermissionDenied
    with transaction.atomic():
        updated = CommunityReport.objects.filter(pk=report.pk, state=ReportState.REGISTERED).update(
            state=ReportState.CONFIRMED, confirmed_on=today, updated_at=timezone.now()
        )
        if not updated:
            raise ValidationError(_("This report is no longer waiting for confirmation."))
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=report,
            changes={"state": [ReportState.REGISTERED, ReportState.CONFIRMED]},
        )
        report.refresh_from_db()
    return report


def report_revoke(*, actor: Actor, report: CommunityReport, reason: str) -> CommunityReport:
    """Revoked by the member (moved away) or by the community, with the reason."""
    today = actor.today
    own = _own_person(actor)
    if not (own is not None and own.pk == report.person_id) and not _community_may_change(actor, report):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason (e.g. moved house).")]})
    with transaction.atomic():
        old = report.state
        updated = (
            CommunityReport.objects.filter(pk=report.pk)
            .exclude(state=ReportState.REVOKED)
            .update(
                state=ReportState.REVOKED,
                revoked_on=today,
                revoke_reason=reason[:200],
                updated_at=timezone.now(),
            )
        )
        if not updated:
            raise ValidationError(_("This report has already been revoked."))
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=report,
            reason=reason,
            changes={"state": [old, ReportState.REVOKED]},
        )
        report.refresh_from_db()
    return report
