"""Writes for the care of members (困难党员 register, visits and support) and the annual
democratic appraisal (民主评议) with the check that 优秀 stays within a third of the branch."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.access import CHANGE, allowed
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.core.events import EventAction, record_event
from dangjian.membership.models import Appraisal, CareCase, CareVisit, Grade, Hardship
from dangjian.people.models import Member, MembershipStatus


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
        record_event(actor=actor, action=EventAction.CREATED, target=member,
                     changes={"care_case": [None, Hardship(hardship).label.__str__()]})  # fmt: skip
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
        record_event(actor=actor, action=EventAction.STATUS_CHANGED, target=case.member, reason=reason,
                     changes={"care_case_ended": [None, ended_on.isoformat()]})  # fmt: skip
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
            member=member, visited_on=visited, visitors=data["visitors"].strip()[:200],
            occasion=(data.get("occasion") or "").strip()[:100], money=money, goods=(data.get("goods") or "").strip()[:200],
            note=(data.get("note") or "").strip(), recorded_by=actor.user,
        )  # fmt: skip
        record_event(actor=actor, action=EventAction.CREATED, target=member,
                     changes={"care_visit": [None, f"{visited.isoformat()} {visit.occasion}".strip()]})  # fmt: skip
    return visit


def excellent_limit(members: int) -> int:
    numerator, denominator = config().excellent_share  # 优秀 normally ≤ 1/3 of members
    return members * numerator // denominator


def appraisal_save(
    *, actor: Actor, member: Member, year: int, data: dict[str, Any], confirm_excess: bool = False
) -> Appraisal:
    """Save a member's appraisal for ``year``. A grade of 优秀 that would make more than a third
    of the branch's appraised members 优秀 is refused unless the branch confirms it with a note
    (the rule says "normally")."""
    if not allowed(actor, CHANGE, member):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    grade = data.get("grade") or ""
    if grade and grade not in Grade.values:
        errors["grade"] = [_("Choose a grade.")]
    if not 2000 <= int(year) <= timezone.localdate().year:
        errors["year"] = [_("Choose this year or an earlier one.")]
    votes = {
        key: int(data.get(key) or 0)
        for key in ("votes_excellent", "votes_qualified", "votes_basic", "votes_unqualified")
    }
    if any(v < 0 for v in votes.values()):
        errors["votes_excellent"] = [_("Votes cannot be negative.")]
    note = (data.get("grade_note") or "").strip()
    if grade == Grade.UNQUALIFIED and not note:
        errors["grade_note"] = [_("An unqualified grade needs the reasons, as discussed by the branch.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        branch_members = Member.objects.filter(organization_id=member.organization_id, status=MembershipStatus.NORMAL)
        appraisal, _created = Appraisal.objects.select_for_update().get_or_create(
            member=member, year=year, defaults={"organization_id": member.organization_id}
        )
        if grade == Grade.EXCELLENT and appraisal.grade != Grade.EXCELLENT:
            others = Appraisal.objects.filter(
                organization_id=member.organization_id, year=year, grade=Grade.EXCELLENT
            ).exclude(pk=appraisal.pk)
            limit = excellent_limit(branch_members.count())
            if others.count() + 1 > limit and not (confirm_excess and note):
                raise ValidationError(
                    {
                        "grade": [
                            _(
                                "More than a third of the branch would be graded excellent (%(n)d of at most %(limit)d). Confirm with a note if the branch decided so."
                            )
                            % {"n": others.count() + 1, "limit": limit}
                        ]
                    }
                )
        before = appraisal.grade
        appraisal.self_assessment = (data.get("self_assessment") or "").strip()
        for key, value in votes.items():
            setattr(appraisal, key, value)
        appraisal.grade, appraisal.grade_note = grade, note[:200]
        appraisal.save()
        if before != grade:
            record_event(actor=actor, action=EventAction.UPDATED, target=member,
                         changes={f"appraisal_{year}": [before, grade]}, reason=note)  # fmt: skip
    return appraisal
