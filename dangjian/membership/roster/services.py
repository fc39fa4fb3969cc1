"""Every write to party membership: enrolment, edits, 党籍 status and moves between
organisations. Each function is atomic, checks permission through the access layer, validates
with Chinese messages (ValidationError keyed by field) and records an Event. Members are never
deleted: their status changes, with the date it took effect and the reason."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dangjian.core.access import CHANGE, CREATE, allowed, restrict
from dangjian.core.actors import Actor
from dangjian.core.calendar import add_years
from dangjian.core.events import EventAction, record_event
from dangjian.core.versioning import refuse_stale, versioned_update
from dangjian.membership.models import (
    ACTIVE_TRANSFER_STATES,
    Candidate,
    CandidateStatus,
    MobileRecord,
    Placement,
    PlacementReason,
    StatusChange,
    Transfer,
)
from dangjian.orgs.models import Organization
from dangjian.people.models import Member, MemberCategory, MembershipStatus, MemberStage, Person, Tag

ADULT_AGE = 18


def next_number(organization: Organization, year: int, queryset: models.QuerySet, field: str, digits: int) -> str:
    """The next number ``{organisation code}-{year}-{sequence}`` among ``field`` of ``queryset``
    (receipts, letters), taken under a lock on the organisation row so that two people never
    get the same number. Call inside a transaction."""
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    prefix = f"{organization.code}-{year}-"
    last = (
        queryset.filter(**{f"{field}__startswith": prefix}).order_by(f"-{field}").values_list(field, flat=True).first()
    )
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:0{digits}d}"


MEMBER_FIELDS = ("stage", "category", "applied_on", "joined_on", "full_on")


def member_date_errors(
    *,
    birth_date: dt.date | None,
    stage: str,
    applied_on: dt.date | None,
    joined_on: dt.date | None,
    full_on: dt.date | None,
    today: dt.date | None = None,
) -> dict[str, list[str]]:
    """The impossible combinations of a member's dates, as messages keyed by field (empty if fine).
    Shared by the edit form and the import, so both refuse the same things. An empty ``stage``
    (an import cell left blank) skips the checks that depend on the stage."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if joined_on is None:
        add("joined_on", _("Enter the date the member joined (the branch meeting that admitted them)."))
    for field, value in (("applied_on", applied_on), ("joined_on", joined_on), ("full_on", full_on)):
        if value and value > today:
            add(field, _("This date is in the future."))
    if joined_on and birth_date and joined_on < add_years(birth_date, ADULT_AGE):
        add(
            "joined_on",
            _("The member would have joined before turning 18 (born %(birth)s).") % {"birth": birth_date.isoformat()},
        )
    if applied_on and joined_on and applied_on > joined_on:
        add("applied_on", _("The application cannot come after joining."))
    if stage == MemberStage.FULL and full_on is None:
        add("full_on", _("A full member needs the date of full membership."))
    if stage == MemberStage.PROBATIONARY and full_on is not None:
        add("full_on", _("A probationary member has no date of full membership yet; leave it empty."))
    if full_on and joined_on and full_on < add_years(joined_on, 1):
        add("full_on", _("Full membership comes at least a year after joining (the probation year)."))
    return errors


def _display(member: Member) -> dict[str, Any]:
    return {
        "stage": member.stage,
        "category": member.category,
        "applied_on": member.applied_on.isoformat() if member.applied_on else "",
        "joined_on": member.joined_on.isoformat() if member.joined_on else "",
        "full_on": member.full_on.isoformat() if member.full_on else "",
    }


def _specialties(values: Iterable[Tag | int]) -> list[Tag]:
    return list(Tag.objects.filter(pk__in=[v.pk if isinstance(v, Tag) else v for v in values]))


def _check_organization(actor: Actor, organization: Organization | None, action: str) -> dict[str, list[str]]:
    if organization is None:
        return {"organization": [_("Choose the party organisation.")]}
    if not restrict(Organization.objects.filter(pk=organization.pk), actor, action).exists():
        return {"organization": [_("You cannot manage members of this organisation.")]}
    return {}


def member_create(
    *,
    actor: Actor,
    person: Person,
    organization: Organization,
    data: dict[str, Any],
    reason: str = PlacementReason.RECORDED,
    check_scope: bool = True,
    started_on: dt.date | None = None,
) -> Member:
    """Record the party membership of ``person`` in ``organization`` (e.g. from paper records or
    an import). The placement history starts on the date of joining, or on ``started_on`` (a
    member transferred in from outside the system belongs here from the acceptance)."""
    errors: dict[str, list[str]] = {}
    if check_scope:
        errors.update(_check_organization(actor, organization, CREATE))
    if Member.objects.filter(person=person).exists():
        errors.setdefault("person", []).append(_("This person is already recorded as a party member."))
    stage = data.get("stage") or MemberStage.FULL
    category = data.get("category") or MemberCategory.OTHER
    if category not in MemberCategory.values:
        errors.setdefault("category", []).append(_("Choose a valid category."))
    for field, messages in member_date_errors(
        birth_date=person.birth_date,
        stage=stage,
        applied_on=data.get("applied_on"),
        joined_on=data.get("joined_on"),
        full_on=data.get("full_on"),
    ).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        member = Member.objects.create(
            person=person,
            organization=organization,
            stage=stage,
            category=category,
            applied_on=data.get("applied_on"),
            joined_on=data["joined_on"],
            full_on=data.get("full_on"),
        )
        if data.get("specialties"):
            member.specialties.set(_specialties(data["specialties"]))
        Placement.objects.create(
            member=member, organization=organization, started_on=started_on or data["joined_on"], reason=reason
        )
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=member,
            changes={
                "organization": [None, organization.name],
                **{k: [None, v] for k, v in _display(member).items() if v},
            },
        )
    return member


def member_update(
    *,
    actor: Actor,
    member: Member,
    data: dict[str, Any],
    expected_version: int,
    reason: str = "",
) -> Member:
    """Change a member's stage, category, dates or specialties. Refused if someone saved the
    member since ``expected_version`` was read, and if the dates are impossible."""
    if not allowed(actor, CHANGE, member):
        raise PermissionDenied
    before = _display(member)
    specialties_before = sorted(member.specialties.values_list("name", flat=True))
    for field in MEMBER_FIELDS:
        if field in data:
            setattr(member, field, data[field])
    errors: dict[str, list[str]] = {}
    if member.category not in MemberCategory.values:
        errors["category"] = [_("Choose a valid category.")]
    if member.stage not in MemberStage.values:
        errors["stage"] = [_("Choose a valid stage.")]
    date_errors = member_date_errors(
        birth_date=member.person.birth_date,
        stage=member.stage,
        applied_on=member.applied_on,
        joined_on=member.joined_on,
        full_on=member.full_on,
    )
    errors.update(date_errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        versioned_update(member, expected_version=expected_version, **{f: getattr(member, f) for f in MEMBER_FIELDS})
        after = _display(member)
        changes: dict[str, Any] = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if "specialties" in data:
            member.specialties.set(_specialties(data["specialties"]))
            specialties_after = sorted(t.name for t in member.specialties.all())
            if specialties_after != specialties_before:
                changes["specialties"] = ["、".join(specialties_before), "、".join(specialties_after)]
        # The placement history starts when the member joined.
        if "joined_on" in changes:
            first = member.placements.order_by("started_on", "pk").first()
            if first is not None and (first.ended_on is None or first.ended_on >= member.joined_on):
                Placement.objects.filter(pk=first.pk).update(started_on=member.joined_on)
        if changes:
            record_event(actor=actor, action=EventAction.UPDATED, target=member, changes=changes, reason=reason)
    return member


# Which 党籍 changes are possible from which status.
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    MembershipStatus.NORMAL: (MembershipStatus.SUSPENDED, MembershipStatus.LEFT, MembershipStatus.DECEASED),
    MembershipStatus.SUSPENDED: (MembershipStatus.NORMAL, MembershipStatus.LEFT, MembershipStatus.DECEASED),
    MembershipStatus.LEFT: (MembershipStatus.NORMAL,),
    MembershipStatus.DECEASED: (),
    MembershipStatus.TRANSFERRED_OUT: (),
}


def member_change_status(
    *,
    actor: Actor,
    member: Member,
    status: str,
    effective_on: dt.date | None,
    reason: str,
    via_transfer: bool = False,
) -> Member:
    """Change a member's 党籍 status (停止党籍, 出党, 死亡, or 恢复 back to normal) from
    ``effective_on``. The member stops counting in their organisation from that date (and counts
    again from a restoration). A reason is required."""
    today = actor.today
    if not allowed(actor, CHANGE, member):
        raise PermissionDenied
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    possible = STATUS_TRANSITIONS.get(member.status, ())
    if via_transfer:  # only a transfer out of the system, once its receipt is back, sets this
        possible = (MembershipStatus.TRANSFERRED_OUT,) if member.status == MembershipStatus.NORMAL else ()
    if status not in possible:
        errors["status"] = [
            _("A member whose status is “%(old)s” cannot be changed to “%(new)s”.")
            % {"old": member.get_status_display(), "new": MembershipStatus(status).label}
            if status in MembershipStatus.values
            else _("Choose a valid status.")
        ]
    if effective_on is None:
        errors["effective_on"] = [_("Enter the date the change took effect.")]
    elif effective_on > today:
        errors["effective_on"] = [_("This date is in the future.")]
    elif effective_on < member.joined_on:
        errors["effective_on"] = [_("The change cannot take effect before the member joined.")]
    else:
        previous = member.status_changes.order_by("-effective_on").values_list("effective_on", flat=True).first()
        if previous is not None and effective_on < previous:
            errors["effective_on"] = [
                _("The change cannot take effect before the previous change of status (%(date)s).")
                % {"date": previous.isoformat()}
            ]
    if not reason:
        errors["reason"] = [_("Give the reason and the decision it rests on (e.g. the branch meeting's resolution).")]
    if errors:
        raise ValidationError(errors)
    assert effective_on is not None
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        refuse_stale(current=locked.status, expected=member.status)
        open_placement = locked.placements.filter(ended_on__isnull=True).first()
        if status == MembershipStatus.NORMAL:
            last = locked.placements.order_by("-started_on", "-pk").first()
            if last is not None and last.ended_on and effective_on < last.ended_on:
                raise ValidationError({"effective_on": [_("The restoration cannot come before the status changed.")]})
            if open_placement is None:
                Placement.objects.create(
                    member=locked,
                    organization_id=locked.organization_id,
                    started_on=effective_on,
                    reason=PlacementReason.RESTORED,
                )
        elif open_placement is not None:
            if effective_on < open_placement.started_on:
                raise ValidationError(
                    {"effective_on": [_("The change cannot take effect before the member's current placement began.")]}
                )
            open_placement.ended_on = effective_on
            open_placement.save(update_fields=["ended_on"])
        StatusChange.objects.create(
            member=locked,
            old_status=locked.status,
            new_status=status,
            effective_on=effective_on,
            reason=reason,
            recorded_by=actor.user,
        )
        Member.objects.filter(pk=locked.pk).update(status=status, version=F("version") + 1, updated_at=timezone.now())
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=member,
            reason=reason,
            changes={"status": [member.status, status], "effective_on": [None, effective_on.isoformat()]},
        )
        member.refresh_from_db()
    return member


def member_move(
    *,
    actor: Actor,
    member: Member,
    organization: Organization,
    effective_on: dt.date,
    reason: str,
    placement_reason: str = PlacementReason.TRANSFERRED,
    check_scope: bool = True,
) -> Member:
    """Move a member to ``organization`` from ``effective_on`` (the receiving side's acceptance
    of a transfer, or a reorganisation). The old placement ends the day the new one starts.
    The actor must manage both the member and the receiving organisation (a transfer's
    acceptance checks its own rules and passes ``check_scope=False``)."""
    if check_scope and (not allowed(actor, CHANGE, member) or _check_organization(actor, organization, CHANGE)):
        raise PermissionDenied
    if organization.pk == member.organization_id:
        raise ValidationError({"organization": [_("The member already belongs to this organisation.")]})
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        current = locked.placements.filter(ended_on__isnull=True).first()
        if current is not None:
            if effective_on < current.started_on:
                raise ValidationError(
                    {"effective_on": [_("The move cannot take effect before the member's current placement began.")]}
                )
            current.ended_on = effective_on
            current.save(update_fields=["ended_on"])
        if locked.status == MembershipStatus.NORMAL:
            Placement.objects.create(
                member=locked, organization=organization, started_on=effective_on, reason=placement_reason
            )
        old_name = locked.organization.name
        Member.objects.filter(pk=locked.pk).update(
            organization=organization, version=F("version") + 1, updated_at=timezone.now()
        )
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=member,
            reason=reason,
            changes={"organization": [old_name, organization.name], "effective_on": [None, effective_on.isoformat()]},
        )
        member.refresh_from_db()
    return member


def merge_members(
    *, actor: Actor, source: Organization, target: Organization, day: dt.date, reason: str
) -> dict[str, int]:
    """The membership records of an organisation merged into another (orgs.services.
    merge_organization): its members in good standing or suspended move to ``target`` from ``day``
    (a placement "organisations merged"), its candidates in progress and its open mobile-member
    records go with them. Refused while a transfer of membership from, to or through it is in
    progress (finish or cancel it first: the letter names the organisation)."""
    transfers = Transfer.objects.filter(
        Q(from_organization=source) | Q(to_organization=source) | Q(approving_organization=source),
        state__in=ACTIVE_TRANSFER_STATES,
    ).count()
    if transfers:
        raise ValidationError(
            ngettext(
                "%(n)s transfer of membership through it is in progress; finish or cancel it first.",
                "%(n)s transfers of membership through it are in progress; finish or cancel them first.",
                transfers,
            )
            % {"n": transfers}
        )
    members = list(
        Member.objects.filter(
            organization=source, status__in=(MembershipStatus.NORMAL, MembershipStatus.SUSPENDED)
        ).select_related("organization")
    )
    for member in members:
        member_move(
            actor=actor,
            member=member,
            organization=target,
            effective_on=day,
            reason=reason,
            placement_reason=PlacementReason.MERGED,
            check_scope=False,
        )
    candidates = list(Candidate.objects.filter(organization=source, status=CandidateStatus.ACTIVE))
    Candidate.objects.filter(pk__in=[c.pk for c in candidates]).update(organization=target, updated_at=timezone.now())
    for candidate in candidates:
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=candidate,
            changes={"organization": [source.name, target.name]},
            reason=reason,
        )
    mobile = MobileRecord.objects.filter(organization=source, ended_on__isnull=True).update(organization=target)
    return {"members": len(members), "candidates": len(candidates), "mobile_records": mobile}
