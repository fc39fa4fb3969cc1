"""Writes of care for members in difficulty (关怀帮扶)."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.access import CHANGE, allowed
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.membership.models import CareCase, CareVisit, Hardship
from dangjian.people.models import Member


def care_register(*, actor: Actor, member: Member, hardship: str, description: str, registered_on: dt.date) -> CareCase:
    if not allowed(actor, CHANGE, member):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if hardship not in Hardship.values:
        errors["hardship"] = [_("Choose the kind of hardship.")]
    if registered_on > timezone.localdate():
        errors["registered_on"] = [_("This date is in the future.")]
    if CareCase.objects.filter(member=member, hardship=hardship, ended_on__isnull=True).exists():
        errors["hardship"] = [_("This member is already on the register for this hardship.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = CareCase.objects.create(
            member=member, hardship=hardship, description=(description or "").strip(), registered_on=registered_on
        )
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=member,
            changes={"care_case": [None, Hardship(hardship).label.__str__()]},
        )
    return case


def care_end(*, actor: Actor, case: CareCase, ended_on: dt.date, reason: str) -> CareCase:
    if not allowed(actor, CHANGE, case):
        raise PermissionDenied
    if case.ended_on is not None:
        raise ValidationError({"ended_on": [_("This case is already closed.")]})
    if ended_on < case.registered_on:
        raise ValidationError({"ended_on": [_("The end cannot come before the registration.")]})
    with transaction.atomic():
        closed = CareCase.objects.filter(pk=case.pk, ended_on__isnull=True).update(
            ended_on=ended_on, updated_at=timezone.now()
        )
        if not closed:  # someone closed it meanwhile
            raise ValidationError({"ended_on": [_("This case is already closed.")]})
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=case.member,
            reason=reason,
            changes={"care_case_ended": [None, ended_on.isoformat()]},
        )
        case.refresh_from_db()
    return case


def care_visit(*, actor: Actor, member: Member, data: dict[str, Any]) -> CareVisit:
    """Record a visit or support, as it happened."""
    if not allowed(actor, CHANGE, member):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    visited = data.get("visited_on")
    if visited is None:
        errors["visited_on"] = [_("Enter the date of the visit.")]
    elif visited > timezone.localdate():
        errors["visited_on"] = [_("This date is in the future.")]
    if not (data.get("visitors") or "").strip():
        errors["visitors"] = [_("Say who visited.")]
    money = data.get("money")
    if money not in (None, ""):
        try:
            money = Decimal(str(money)).quantize(Decimal("0.01"))
        except InvalidOperation:
            errors["money"] = [_("Enter an amount in yuan, e.g. 500.")]
        else:
            if money < 0:
                errors["money"] = [_("The amount cannot be negative.")]
    else:
        money = None
    if errors:
        raise ValidationError(errors)
    assert visited is not None  # "visited_on" is in errors when missing
    with transaction.atomic():
        visit = CareVisit.objects.create(
            member=member,
            visited_on=visited,
            visitors=data["visitors"].strip()[:200],
            occasion=(data.get("occasion") or "").strip()[:100],
            money=money,
            goods=(data.get("goods") or "").strip()[:200],
            note=(data.get("note") or "").strip(),
            recorded_by=actor.user,
        )
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=member,
            changes={"care_visit": [None, f"{visited.isoformat()} {visit.occasion}".strip()]},
        )
    return visit
