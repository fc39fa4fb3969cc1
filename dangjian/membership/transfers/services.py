"""The transfer of a member's organisational relationship (组织关系接转), in one module.

States (DESIGN.md §5): 申请 applied → 审批中 reviewing → 已转出 sent → 已接收 received, and
退回 returned / 撤销 cancelled. Who may do what:

* apply, submit, cancel: the sending side (CHANGE on the member);
* approve (which issues the letter: serial number, 党费交至, validity) or return while under
  review: the approving committee of the sending side (CHANGE on that committee);
* accept or return once sent: the receiving side (CHANGE on the receiving organisation); for a
  transfer out of the system, the sending side records the receipt (回执) from outside.

The member's organisation changes only when the receiver accepts; until then the sending side
stays responsible. Each transition locks the transfer row, checks the state it expects (so a
transfer cannot be accepted twice) and records a step and an event.
"""

import base64
import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from dangjian.core import crypto
from dangjian.core.access import CHANGE, UNMASK, allowed, restrict
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.core.events import EventAction, record_event
from dangjian.core.versioning import StaleEdit
from dangjian.membership.models import (
    DuesPayment,
    PlacementReason,
    Transfer,
    TransferKind,
    TransferState,
    TransferStep,
)
from dangjian.membership.roster.services import member_change_status, member_create, member_move, next_number
from dangjian.membership.transfers import letters
from dangjian.orgs.models import Organization, OrgKind
from dangjian.people.models import Member, MembershipStatus, Person

APPROVING_KINDS = (OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE)

logger = logging.getLogger(__name__)


def approving_organization(organization: Organization) -> Organization:
    """The party committee that approves transfers out of ``organization`` (its nearest
    committee, itself if it is one)."""
    paths = [*organization.ancestor_paths(), organization.path]
    committees = Organization.objects.filter(path__in=paths, kind__in=APPROVING_KINDS).order_by("-path")
    return committees.first() or organization


def dues_paid_until(member: Member | None) -> dt.date | None:
    if member is None:
        return None
    return (
        DuesPayment.objects.filter(member=member, voided_on__isnull=True).aggregate(last=Max("month"))["last"] or None
    )


def _step(
    transfer: Transfer, actor: Actor, action: str, old: str, organization: Organization | None, note: str
) -> None:
    TransferStep.objects.create(
        transfer=transfer,
        action=action,
        old_state=old,
        new_state=transfer.state,
        organization=organization,
        note=note[:500],
        decided_by=actor.user,
    )
    record_event(
        actor=actor,
        action=EventAction.STATUS_CHANGED,
        target=transfer,
        reason=note,
        changes={"state": [old, transfer.state]},
    )


def transfer_apply(
    *,
    actor: Actor,
    member: Member,
    to_organization: Organization | None = None,
    external_organization: str = "",
    external_contact: str = "",
    reason: str,
) -> Transfer:
    """Open a transfer for ``member``, to an organisation in the system or outside it."""
    if not allowed(actor, CHANGE, member):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    external_organization = (external_organization or "").strip()
    if not reason:
        errors["reason"] = [_("Give the reason (e.g. moved house, new employer).")]
    if member.status != MembershipStatus.NORMAL:
        errors["member"] = [_("Only a member in good standing can be transferred.")]
    if to_organization is None and not external_organization:
        errors["to_organization"] = [_("Choose the receiving organisation, or name the one outside the system.")]
    if to_organization is not None and to_organization.pk == member.organization_id:
        errors["to_organization"] = [_("The member already belongs to this organisation.")]
    if to_organization is not None and to_organization.kind == OrgKind.GROUP:
        errors["to_organization"] = [_("Transfer to a branch, not to a party group.")]
    if errors:
        raise ValidationError(errors)
    kind = TransferKind.INTERNAL if to_organization is not None else TransferKind.OUTGOING
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                member=member,
                person_id=member.person_id,
                kind=kind,
                from_organization_id=member.organization_id,
                to_organization=to_organization,
                external_organization="" if to_organization else external_organization,
                external_contact=(external_contact or "").strip()[:200],
                reason=reason[:200],
                approving_organization=approving_organization(member.organization),
            )
            _step(transfer, actor, "apply", TransferState.APPLIED, member.organization, reason)
    except IntegrityError as exc:
        raise ValidationError({"member": [_("This member already has a transfer in progress.")]}) from exc
    return transfer


def transfer_register_incoming(
    *,
    actor: Actor,
    person: Person,
    to_organization: Organization,
    external_organization: str,
    serial_number: str,
    data: dict[str, Any],
    reason: str = "",
) -> Transfer:
    """Register a letter from an organisation outside the system for ``person`` (registered
    first as a resident); accepting it creates the membership in ``to_organization``."""
    if not restrict(Organization.objects.filter(pk=to_organization.pk), actor, CHANGE).exists():
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if Member.objects.filter(person=person).exists():
        errors["person"] = [_("This person is already recorded as a party member.")]
    if not (external_organization or "").strip():
        errors["external_organization"] = [_("Name the organisation the letter comes from.")]
    if not data.get("joined_on"):
        errors["joined_on"] = [_("Enter the date the member joined, as the letter says.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                person=person,
                kind=TransferKind.INCOMING,
                state=TransferState.SENT,
                to_organization=to_organization,
                external_organization=external_organization.strip()[:200],
                serial_number=(serial_number or "")[:32],
                reason=(reason or _("Transfer in from outside the system"))[:200],
                stage=data.get("stage") or "",
                category=data.get("category") or "",
                joined_on=data.get("joined_on"),
                full_on=data.get("full_on"),
                dues_paid_until=data.get("dues_paid_until"),
                valid_until=data.get("valid_until"),
            )
            _step(transfer, actor, "register", TransferState.SENT, to_organization, transfer.reason)
    except IntegrityError as exc:
        raise ValidationError({"person": [_("This person already has a transfer in progress.")]}) from exc
    return transfer


def _locked(transfer: Transfer, expected: tuple[str, ...]) -> Transfer:
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.state not in expected:
        raise StaleEdit(
            _("This transfer is now “%(state)s”; the action is no longer possible. Reload the page.")
            % {"state": locked.get_state_display()}
        )
    return locked


def _may_send(actor: Actor, transfer: Transfer) -> bool:
    return transfer.member is not None and allowed(actor, CHANGE, transfer.member)


def _may_approve(actor: Actor, transfer: Transfer) -> bool:
    org = transfer.approving_organization
    return org is not None and restrict(Organization.objects.filter(pk=org.pk), actor, CHANGE).exists()


def _may_receive(actor: Actor, transfer: Transfer) -> bool:
    org = transfer.to_organization
    return org is not None and restrict(Organization.objects.filter(pk=org.pk), actor, CHANGE).exists()


def transfer_actions(*, actor: Actor, transfer: Transfer) -> list[str]:
    """What ``actor`` may do with ``transfer`` now (for the buttons on its page)."""
    actions = []
    if transfer.state == TransferState.APPLIED and _may_send(actor, transfer):
        actions += ["submit", "cancel"]
    if transfer.state == TransferState.REVIEWING:
        if _may_approve(actor, transfer):
            actions += ["approve", "return"]
        if _may_send(actor, transfer):
            actions.append("cancel")
    if transfer.state == TransferState.SENT:
        if transfer.kind == TransferKind.OUTGOING and _may_send(actor, transfer):
            actions += ["receipt", "cancel"]
        elif transfer.kind != TransferKind.OUTGOING:
            if _may_receive(actor, transfer):
                actions += ["accept", "return"]
            if _may_send(actor, transfer):
                actions.append("cancel")  # e.g. the letter expired or was lost
    return actions


def transfer_submit(*, actor: Actor, transfer: Transfer, note: str = "") -> Transfer:
    if not _may_send(actor, transfer):
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(transfer, (TransferState.APPLIED,))
        locked.state = TransferState.REVIEWING
        locked.save(update_fields=["state", "updated_at"])
        _step(locked, actor, "submit", TransferState.APPLIED, locked.from_organization, note)
    return locked


def transfer_approve(*, actor: Actor, transfer: Transfer, note: str = "") -> Transfer:
    """The sending committee approves: the letter is issued (serial number, dues paid until,
    valid for TRANSFER_LETTER_DAYS, core/conf.py) and the transfer is sent."""
    today = actor.today
    if not _may_approve(actor, transfer):
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(transfer, (TransferState.REVIEWING,))
        committee = locked.approving_organization
        assert committee is not None
        locked.serial_number = next_number(committee, today.year, Transfer.objects.all(), "serial_number", 4)
        locked.dues_paid_until = dues_paid_until(locked.member)
        locked.issued_on, locked.valid_until = today, today + dt.timedelta(days=config().transfer_letter_days)
        locked.state = TransferState.SENT
        locked.save(
            update_fields=["serial_number", "dues_paid_until", "issued_on", "valid_until", "state", "updated_at"]
        )
        _step(locked, actor, "approve", TransferState.REVIEWING, committee, note)
        # The letter is drawn once, in the background, and kept (transfer_letter serves it).
        transaction.on_commit(lambda: store_transfer_letters.enqueue(locked.pk))
    return locked


def transfer_return(*, actor: Actor, transfer: Transfer, note: str) -> Transfer:
    """Send the transfer back (退回) with the reason: by the approving committee while under
    review, or by the receiving side once sent. The member stays where they are."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say why the transfer is returned.")]})
    if transfer.state == TransferState.REVIEWING:
        permitted, organization = _may_approve(actor, transfer), transfer.approving_organization
    else:
        permitted, organization = _may_receive(actor, transfer), transfer.to_organization
    if not permitted:
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(
            transfer, (transfer.state,) if transfer.state in (TransferState.REVIEWING, TransferState.SENT) else ()
        )
        old = locked.state
        locked.state = TransferState.RETURNED
        locked.save(update_fields=["state", "updated_at"])
        _step(locked, actor, "return", old, organization, note)
    return locked


def transfer_cancel(*, actor: Actor, transfer: Transfer, note: str = "") -> Transfer:
    """The sending side withdraws the transfer (撤销) before it is received."""
    if not _may_send(actor, transfer):
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(transfer, (TransferState.APPLIED, TransferState.REVIEWING, TransferState.SENT))
        old = locked.state
        locked.state = TransferState.CANCELLED
        locked.save(update_fields=["state", "updated_at"])
        _step(locked, actor, "cancel", old, locked.from_organization, note)
    return locked


def _check_acceptance_date(transfer: Transfer, effective_on: dt.date) -> None:
    """Acceptance cannot predate the letter, and an expired letter must be issued again."""
    if transfer.issued_on and effective_on < transfer.issued_on:
        raise ValidationError(
            {
                "effective_on": [
                    _("The member cannot be received before the letter was issued (%(date)s).")
                    % {"date": transfer.issued_on.isoformat()}
                ]
            }
        )
    if transfer.valid_until and effective_on > transfer.valid_until:
        raise ValidationError(
            {
                "effective_on": [
                    _("The letter expired on %(date)s; the sending side must withdraw it and issue a new one.")
                    % {"date": transfer.valid_until.isoformat()}
                ]
            }
        )


def transfer_accept(
    *, actor: Actor, transfer: Transfer, effective_on: dt.date | None = None, note: str = ""
) -> Transfer:
    """The receiving side accepts: from ``effective_on`` the member belongs to the receiving
    organisation (a member from outside the system is created). Only once."""
    if not _may_receive(actor, transfer):
        raise PermissionDenied
    effective_on = effective_on or timezone.localdate()
    if effective_on > timezone.localdate():
        raise ValidationError({"effective_on": [_("This date is in the future.")]})
    with transaction.atomic():
        locked = _locked(transfer, (TransferState.SENT,))
        if locked.kind == TransferKind.OUTGOING:
            raise PermissionDenied
        _check_acceptance_date(locked, effective_on)
        assert locked.to_organization is not None
        if locked.kind == TransferKind.INCOMING:
            member = member_create(
                actor=actor,
                person=locked.person,
                organization=locked.to_organization,
                check_scope=False,
                reason=PlacementReason.TRANSFERRED,
                started_on=effective_on,
                data={
                    "stage": locked.stage,
                    "category": locked.category,
                    "joined_on": locked.joined_on,
                    "full_on": locked.full_on,
                },
            )
            locked.member = member
        else:
            assert locked.member is not None
            member_move(
                actor=actor,
                member=locked.member,
                organization=locked.to_organization,
                effective_on=effective_on,
                reason=_("Transfer %(serial)s received") % {"serial": locked.serial_number},
                check_scope=False,
            )
        locked.state, locked.effective_on = TransferState.RECEIVED, effective_on
        locked.save(update_fields=["state", "effective_on", "member", "updated_at"])
        _step(locked, actor, "accept", TransferState.SENT, locked.to_organization, note)
    return locked


def transfer_record_receipt(
    *, actor: Actor, transfer: Transfer, effective_on: dt.date | None = None, note: str = ""
) -> Transfer:
    """A transfer out of the system: the sending side records the receipt (回执) returned by
    the receiving organisation; the member then leaves the system's roster from that date."""
    if not _may_send(actor, transfer):
        raise PermissionDenied
    effective_on = effective_on or timezone.localdate()
    with transaction.atomic():
        locked = _locked(transfer, (TransferState.SENT,))
        if locked.kind != TransferKind.OUTGOING or locked.member is None:
            raise PermissionDenied
        member_change_status(
            actor=actor,
            member=locked.member,
            status=MembershipStatus.TRANSFERRED_OUT,
            effective_on=effective_on,
            reason=_("Transferred to %(org)s (letter %(serial)s); receipt returned.")
            % {"org": locked.external_organization, "serial": locked.serial_number},
            via_transfer=True,
        )
        locked.state, locked.effective_on = TransferState.RECEIVED, effective_on
        locked.save(update_fields=["state", "effective_on", "updated_at"])
        _step(locked, actor, "receipt", TransferState.SENT, locked.from_organization, note)
    return locked


# --- the letter as issued --------------------------------------------------------------------------


def _letter_field(full: bool) -> str:
    return "letter_full" if full else "letter"


def _read_letter(transfer: Transfer, full: bool) -> bytes | None:
    """The stored letter, or None when none is stored or it cannot be read (the file was lost,
    or it was encrypted under a key since retired): then it is drawn again."""
    stored = getattr(transfer, _letter_field(full))
    if not stored.name:
        return None
    try:
        with default_storage.open(stored.name, "rb") as handle:
            data = handle.read()
        return base64.b64decode(crypto.decrypt(data.decode("ascii"))) if full else data
    except (OSError, ValueError) as exc:
        logger.warning("transfer %s: stored letter %s unreadable (%s); drawing it again", transfer.pk, stored.name, exc)
        return None


def _draw_letter(transfer: Transfer, full: bool) -> bytes:
    person = transfer.person
    id_number = crypto.decrypt(person.id_number_encrypted) if full else person.id_number_masked
    issued = transfer.issued_on or timezone.localdate()
    # The letter says what was true on the day it was issued (the age too), whenever it is printed.
    return letters.render_letter(transfer, id_number=id_number or "—", issued_on=issued, today=issued)


def _keep_letter(transfer: Transfer, full: bool, content: bytes) -> None:
    """Store ``content`` as the transfer's letter, unless another request stored one meanwhile."""
    field = _letter_field(full)
    old = getattr(transfer, field).name or ""
    data = crypto.encrypt(base64.b64encode(content).decode("ascii")).encode("ascii") if full else content
    suffix = "-full.pdf.enc" if full else ".pdf"
    path = getattr(transfer, field).field.generate_filename(transfer, f"letter-{transfer.serial_number}{suffix}")
    name = default_storage.save(path, ContentFile(data))
    if Transfer.objects.filter(pk=transfer.pk, **{field: old}).update(**{field: name}):
        if old and old != name:
            default_storage.delete(old)
        setattr(transfer, field, name)
    else:  # stored by another request in between: theirs is the same letter
        default_storage.delete(name)


def transfer_letter(*, actor: Actor, transfer: Transfer) -> tuple[bytes, bool]:
    """The introduction letter of an issued transfer as ``actor`` may read it, and whether it
    carries the full ID number (for a user who may unmask it; masked for anyone else).

    Each version is drawn once (0.8–1.0 s) and stored, the full one encrypted at rest; every
    later view reads it from storage. A letter issued before letters were stored is drawn and
    stored on its first view. The caller found the transfer through the access layer and logs
    the printing. Raises ``letters.FontMissing`` when it must be drawn and no font is installed."""
    if not transfer.serial_number or transfer.from_organization_id is None:
        raise ValidationError(_("This transfer has no letter."))
    full = allowed(actor, UNMASK, transfer.person)
    content = _read_letter(transfer, full)
    if content is None:
        content = _draw_letter(transfer, full)
        _keep_letter(transfer, full, content)
    return content, full


def transfer_store_letters(*, actor: Actor, transfer: Transfer) -> None:
    """Draw and store both versions of an issued transfer's letter now (after the approval, in
    the background), so that no one waits for the drawing. Nothing without a Chinese font."""
    if not actor.system or not transfer.serial_number or transfer.from_organization_id is None:
        raise PermissionDenied
    for full in (False, True):
        if _read_letter(transfer, full) is None:
            try:
                content = _draw_letter(transfer, full)
            except letters.FontMissing:
                logger.warning("transfer %s: no Chinese font, the letter is drawn when first viewed", transfer.pk)
                return
            _keep_letter(transfer, full, content)


@task()
def store_transfer_letters(transfer_id: int) -> None:
    """What the worker runs after an approval: store the letter's two versions."""
    transfer = (
        Transfer.objects.select_related(
            "person", "member", "from_organization", "to_organization", "approving_organization"
        )
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is not None and transfer.serial_number and transfer.from_organization_id is not None:
        transfer_store_letters(actor=Actor.for_system(via="job"), transfer=transfer)
