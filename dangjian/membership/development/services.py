"""Every write to the development of new members: start, record a step (with people, dates,
opinion and attachment), stop. The approval step creates the probationary Member (joined on the
date of the branch meeting); the approval of full membership makes them a full member from the
end of the probation year."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.access import CHANGE, restrict
from dangjian.core.actors import Actor
from dangjian.core.calendar import add_years
from dangjian.core.events import EventAction, record_event
from dangjian.core.uploads import check_upload
from dangjian.membership.development import rules as development
from dangjian.membership.models import Candidate, CandidateStatus, DevelopmentStep, PlacementReason
from dangjian.membership.roster.services import member_create
from dangjian.orgs.models import Organization, OrgKind
from dangjian.people.models import Member, MemberCategory, MembershipStatus, MemberStage, Person

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


def _may_change(actor: Actor, organization: Organization) -> bool:
    return restrict(Organization.objects.filter(pk=organization.pk), actor, CHANGE).exists()


def candidate_start(*, actor: Actor, person: Person, organization: Organization, applied_on: dt.date) -> Candidate:
    """Record an application for membership: the first of the 25 steps."""
    if not _may_change(actor, organization):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if organization.kind not in (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH):
        errors["organization"] = [_("Applications are made to a party branch.")]
    if Member.objects.filter(person=person).exclude(status=MembershipStatus.TRANSFERRED_OUT).exists():
        errors["person"] = [_("This person is already a party member.")]
    if applied_on > timezone.localdate():
        errors["applied_on"] = [_("This date is in the future.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            candidate = Candidate.objects.create(person=person, organization=organization)
            DevelopmentStep.objects.create(
                candidate=candidate,
                code="application",
                done_on=applied_on,
                recorded_by=actor.user,
            )
            record_event(
                actor=actor,
                action=EventAction.CREATED,
                target=candidate,
                changes={"organization": [None, organization.name], "application": [None, applied_on.isoformat()]},
            )
    except IntegrityError as exc:
        raise ValidationError({"person": [_("This person's development is already in progress.")]}) from exc
    return candidate


def _check_attachment(upload: Any) -> str | None:
    return check_upload(upload, max_bytes=ATTACHMENT_MAX_BYTES)


def step_record(
    *,
    actor: Actor,
    candidate: Candidate,
    code: str,
    data: dict[str, Any],
    attachment: Any = None,
) -> DevelopmentStep:
    """Record (or correct) one step as it happened. The rules' warnings do not block: they are
    shown with the candidate. Recording ``approval`` creates the probationary member;
    ``full_approval`` makes them a full member."""
    today = actor.today
    if not _may_change(actor, candidate.organization):
        raise PermissionDenied
    step = development.STEP_BY_CODE.get(code)
    errors: dict[str, list[str]] = {}
    if step is None:
        raise ValidationError({"code": [_("Unknown step.")]})
    if candidate.status != CandidateStatus.ACTIVE and code not in ("archived",):
        errors["done_on"] = [_("The development has ended; nothing more can be recorded.")]
    done_on = data.get("done_on")
    if done_on is None:
        errors["done_on"] = [_("Enter the date.")]
    elif done_on > today:
        errors["done_on"] = [_("This date is in the future.")]
    start, end = data.get("publicity_from"), data.get("publicity_to")
    if step.publicity and (start or end) and not (start and end and start <= end):
        errors["publicity_to"] = [_("Enter when the public notice began and ended (the end not before the start).")]
    people = list(data.get("people") or [])
    if step.people and not people:
        errors["people"] = [_("Choose the members.")]
    if step.code == "approval" and not _has(candidate, "branch_meeting"):
        errors["done_on"] = [_("Record the branch meeting that admitted the candidate first.")]
    if step.code == "full_approval":
        if candidate.member is None:  # read without a query while member_id is None
            errors["done_on"] = [_("The candidate is not a probationary member yet (record the approval first).")]
        elif done_on and done_on < add_years(candidate.member.joined_on, 1):
            errors["done_on"] = [
                _("The probation year ends on %(date)s; full membership cannot be approved before.")
                % {"date": add_years(candidate.member.joined_on, 1).isoformat()}
            ]
    if step.code == "branch_meeting" and candidate.member is not None and done_on != candidate.member.joined_on:
        errors["done_on"] = [
            _("The member has been admitted from this meeting; correct the date in the member's record instead.")
        ]
    attachment_error = _check_attachment(attachment)
    if attachment_error:
        errors["attachment"] = [attachment_error]
    if errors:
        raise ValidationError(errors)
    assert done_on is not None  # "done_on" is in errors when missing
    with transaction.atomic():
        locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
        record, created = DevelopmentStep.objects.get_or_create(
            candidate=locked, code=code, defaults={"done_on": done_on}
        )
        before = {"done_on": str(record.done_on), "responsible": record.responsible, "opinion": record.opinion}
        record.done_on = done_on
        record.responsible = (data.get("responsible") or "").strip()[:100]
        record.opinion = (data.get("opinion") or "").strip()
        record.publicity_from, record.publicity_to = (start, end) if step.publicity else (None, None)
        record.hours = data.get("hours") if step.hours else None
        record.recorded_by = actor.user
        if attachment is not None:
            record.attachment = attachment
        if not created:
            record.version = F("version") + 1
        record.save()
        if step.people:
            record.people.set(people)
        after = {"done_on": str(done_on), "responsible": record.responsible, "opinion": record.opinion}
        if code == "approval" and locked.member_id is None:
            _admit(actor, locked)
        if code == "full_approval":
            _make_full(actor, locked, done_on)
        _refresh_stage(locked)
        record_event(
            actor=actor,
            action=EventAction.CREATED if created else EventAction.UPDATED,
            target=locked,
            reason=str(step.label),
            changes={
                f"{code}:{k}": [None if created else before[k], v]
                for k, v in after.items()
                if created or before[k] != v
            },
        )
        record.refresh_from_db()
    return record


def _has(candidate: Candidate, code: str) -> bool:
    return candidate.steps.filter(code=code).exists()


def _admit(actor: Actor, candidate: Candidate) -> None:
    """The higher committee approved: a probationary member from the branch meeting's date."""
    meeting = candidate.steps.get(code="branch_meeting").done_on
    applied = candidate.steps.filter(code="application").values_list("done_on", flat=True).first()
    member = member_create(
        actor=actor,
        person=candidate.person,
        organization=candidate.organization,
        check_scope=False,
        reason=PlacementReason.JOINED,
        data={
            "stage": MemberStage.PROBATIONARY,
            "category": MemberCategory.OTHER,
            "joined_on": meeting,
            "applied_on": applied,
        },
    )
    candidate.member = member
    candidate.save(update_fields=["member", "updated_at"])


def _make_full(actor: Actor, candidate: Candidate, approved_on: dt.date) -> None:
    """Full membership counts from the end of the probation year (预备期满之日)."""
    member = candidate.member
    assert member is not None
    full_on = add_years(member.joined_on, 1)
    if member.stage != MemberStage.FULL:
        Member.objects.filter(pk=member.pk).update(
            stage=MemberStage.FULL, full_on=full_on, version=F("version") + 1, updated_at=timezone.now()
        )
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=member,
            changes={"stage": [MemberStage.PROBATIONARY, MemberStage.FULL], "full_on": [None, full_on.isoformat()]},
        )
    candidate.status = CandidateStatus.ADMITTED


def _refresh_stage(candidate: Candidate) -> None:
    done = {code: development.StepRecord(day) for code, day in candidate.steps.values_list("code", "done_on")}
    candidate.stage = min(development.current_stage(done), 5)
    candidate.save(update_fields=["stage", "status", "updated_at"])


def candidate_stop(*, actor: Actor, candidate: Candidate, reason: str) -> Candidate:
    """Stop the development (the person withdrew, or was not admitted), with the reason."""
    if not _may_change(actor, candidate.organization):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for stopping.")]})
    if candidate.status != CandidateStatus.ACTIVE:
        raise ValidationError({"reason": [_("The development has already ended.")]})
    if candidate.member_id is not None:
        raise ValidationError(
            {"reason": [_("The candidate is already a probationary member; change the membership status instead.")]}
        )
    with transaction.atomic():
        Candidate.objects.filter(pk=candidate.pk).update(
            status=CandidateStatus.STOPPED, stopped_reason=reason[:200], updated_at=timezone.now()
        )
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=candidate,
            reason=reason,
            changes={"status": [CandidateStatus.ACTIVE, CandidateStatus.STOPPED]},
        )
        candidate.refresh_from_db()
    return candidate
