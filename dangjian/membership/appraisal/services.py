"""Writes of the annual appraisal of members (民主评议党员)."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.access import CHANGE, allowed
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.core.events import EventAction, record_event
from dangjian.membership.models import Appraisal, Grade
from dangjian.people.models import Member, MembershipStatus


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
            record_event(
                actor=actor,
                action=EventAction.UPDATED,
                target=member,
                changes={f"appraisal_{year}": [before, grade]},
                reason=note,
            )
    return appraisal
