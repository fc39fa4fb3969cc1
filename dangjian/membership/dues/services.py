"""Every write to dues: yearly assessment (核定), the branch's yearly confirmation, payments with
receipts, and voiding a mistaken payment. Atomic, permission-checked, evented; nothing deleted."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.access import CHANGE, allowed, restrict
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.membership.dues import rules as dues
from dangjian.membership.models import DuesAssessment, DuesKind, DuesPayment, PaymentMethod
from dangjian.membership.roster.services import next_number
from dangjian.orgs.models import Organization
from dangjian.people.models import Member, MembershipStatus

MAX_MONTHS_PER_PAYMENT = 24


def _decimal(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(dues.CENT)
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Enter an amount in yuan, e.g. 5400 or 81.00."))
        return None
    if number < 0:
        errors.setdefault(field, []).append(_("The amount cannot be negative."))
        return None
    return number


def dues_assess(
    *,
    actor: Actor,
    member: Member,
    year: int,
    kind: str,
    base: Any = None,
    monthly: Any = None,
    reduction_reason: str = "",
    reduction_approved_by: str = "",
) -> DuesAssessment:
    """Set (or correct) a member's monthly dues for ``year`` from the base by the rules. A lower
    amount than the rules give is a reduction: it needs a reason and the approving committee."""
    today = actor.today
    if not allowed(actor, CHANGE, member):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if kind not in DuesKind.values:
        errors["kind"] = [_("Choose how the dues are calculated.")]
    if not 2000 <= int(year) <= today.year + 1:
        errors["year"] = [_("Choose a year between 2000 and next year.")]
    base_amount = _decimal(base, "base", errors) or Decimal("0")
    if kind in (DuesKind.WAGE, DuesKind.PENSION) and base_amount <= 0 and "base" not in errors:
        errors["base"] = [_("Enter the monthly salary or pension after tax.")]
    wanted = _decimal(monthly, "monthly", errors)
    if errors:
        raise ValidationError(errors)
    rate, standard = dues.standard_monthly(kind, base_amount, member.category)
    if kind == DuesKind.FIXED and wanted is not None:
        low, high = dues.rules()["fixed_range"]
        if not low <= wanted <= high:
            raise ValidationError(
                {"monthly": [_("A fixed amount is between %(low)s and %(high)s yuan.") % {"low": low, "high": high}]}
            )
        standard = wanted
    amount = standard if wanted is None else wanted
    reduction_reason, reduction_approved_by = reduction_reason.strip(), reduction_approved_by.strip()
    if amount > standard:
        raise ValidationError({"monthly": [_("The amount is more than the rules give (%(n)s).") % {"n": standard}]})
    if amount < standard and not (reduction_reason and reduction_approved_by):
        raise ValidationError(
            {
                "reduction_reason": [
                    _(
                        "Paying less than the standard %(n)s yuan is a reduction: give the reason and who approved it (the branch discussed it, the higher committee approved)."
                    )
                    % {"n": standard}
                ]
            }
        )
    with transaction.atomic():
        assessment, created = DuesAssessment.objects.select_for_update().get_or_create(
            member=member,
            year=year,
            defaults={"kind": kind, "base": base_amount, "rate": rate, "standard": standard, "monthly": amount},
        )
        before = {"kind": assessment.kind, "base": str(assessment.base), "monthly": str(assessment.monthly)}
        assessment.kind, assessment.base, assessment.rate = kind, base_amount, rate
        assessment.standard, assessment.monthly = standard, amount
        assessment.reduction_reason = reduction_reason if amount < standard else ""
        assessment.reduction_approved_by = reduction_approved_by if amount < standard else ""
        assessment.confirmed_on = today
        if not created:
            assessment.version += 1
        assessment.save()
        after = {"kind": kind, "base": str(base_amount), "monthly": str(amount)}
        record_event(
            actor=actor,
            action=EventAction.CREATED if created else EventAction.UPDATED,
            target=member,
            reason=assessment.reduction_reason,
            changes={"dues_year": [None, year]}
            | {f"dues_{k}": [None if created else before[k], v] for k, v in after.items() if created or before[k] != v},
        )
    return assessment


def dues_confirm_year(*, actor: Actor, organization: Organization, year: int) -> int:
    """The branch's yearly confirmation: every member of ``organization`` (and below) in good
    standing without an assessment for ``year`` gets last year's basis and base, recalculated by
    the rules (a reduction is not carried over: it is approved for one year). Returns how many."""
    if not restrict(Organization.objects.filter(pk=organization.pk), actor, CHANGE).exists():
        raise PermissionDenied
    if not 2000 <= year <= actor.today.year + 1:  # a typo (year 0 wrote assessments for year 0)
        raise ValidationError({"year": [_("Choose this year or next year.")]})
    members = restrict(
        Member.objects.filter(organization__path__startswith=organization.path, status=MembershipStatus.NORMAL),
        actor,
        CHANGE,
    ).exclude(dues_assessments__year=year)
    today = timezone.localdate()
    created = []
    with transaction.atomic():
        previous = {
            a.member_id: a
            for a in DuesAssessment.objects.filter(member__in=members, year__lt=year).order_by("member_id", "year")
        }
        for member in members.only("pk", "category"):
            last = previous.get(member.pk)
            kind = last.kind if last else dues.default_kind(member.category)
            base = last.base if last else Decimal("0")
            if kind != DuesKind.FIXED and base <= 0:
                continue  # a salary or pension must be entered for this member first
            rate, standard = dues.standard_monthly(kind, base, member.category)
            if last and kind == DuesKind.FIXED:
                standard = last.standard
            created.append(
                DuesAssessment(
                    member=member,
                    year=year,
                    kind=kind,
                    base=base,
                    rate=rate,
                    standard=standard,
                    monthly=standard,
                    confirmed_on=today,
                )
            )
        DuesAssessment.objects.bulk_create(created, batch_size=1000)
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=organization,
            changes={"dues_confirmed_year": [None, year], "dues_confirmed_members": [None, len(created)]},
        )
    return len(created)


def dues_record_payment(
    *,
    actor: Actor,
    member: Member,
    months: list[dt.date],
    method: str,
    paid_on: dt.date | None = None,
    paid_by: Member | None = None,
    note: str = "",
) -> str:
    """Record that ``member``'s dues for ``months`` were paid (one receipt). Each month is paid at
    that year's assessed amount; a month already paid is refused. Returns the receipt number."""
    today = actor.today
    if not allowed(actor, CHANGE, member):
        raise PermissionDenied
    paid_on = paid_on or today
    errors: dict[str, list[str]] = {}
    months = sorted({dues.month_start(m) for m in months})
    if not months:
        errors["months"] = [_("Choose at least one month.")]
    elif len(months) > MAX_MONTHS_PER_PAYMENT:
        errors["months"] = [_("At most 24 months can be paid at once.")]
    if method not in PaymentMethod.values:
        errors["method"] = [_("Choose how the dues were paid.")]
    if method == PaymentMethod.PROXY and (paid_by is None or paid_by.pk == member.pk):
        errors["paid_by"] = [_("Choose the member who paid on this member's behalf.")]
    if paid_on > today:
        errors["paid_on"] = [_("This date is in the future.")]
    first_due = dues.month_start(member.joined_on)
    if member.status != MembershipStatus.NORMAL:
        ended = member.placements.order_by("-ended_on").values_list("ended_on", flat=True).first()
        if ended is None or (months and months[-1] > dues.month_start(ended)):
            errors.setdefault("months", []).append(
                _("The member is no longer in good standing; only months before the change can be recorded.")
            )
    if months and months[0] < first_due:
        errors.setdefault("months", []).append(
            _("Dues are due from the month the member joined (%(month)s).") % {"month": f"{first_due:%Y-%m}"}
        )
    if months and months[-1] > dues.add_months(dues.month_start(today), 12):
        errors.setdefault("months", []).append(_("Dues can be paid at most a year in advance."))
    if errors:
        raise ValidationError(errors)
    assessed = {
        a.year: a.monthly
        for a in DuesAssessment.objects.filter(member=member, year__lte=months[-1].year).order_by("year")
    }
    amounts: dict[dt.date, Decimal] = {}
    for month in months:
        years = [y for y in assessed if y <= month.year]
        if not years:
            raise ValidationError(
                {"months": [_("The dues for %(year)s have not been assessed yet.") % {"year": month.year}]}
            )
        amounts[month] = assessed[max(years)]
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        taken = set(
            DuesPayment.objects.filter(member=locked, month__in=months, voided_on__isnull=True).values_list(
                "month", flat=True
            )
        )
        if taken:
            raise ValidationError(
                {
                    "months": [
                        _("Already paid: %(months)s.") % {"months": "、".join(f"{m:%Y-%m}" for m in sorted(taken))}
                    ]
                }
            )
        organization = locked.organization
        # Numbered per organisation and year: two cashiers never get the same number.
        receipt = next_number(organization, paid_on.year, DuesPayment.objects.all(), "receipt_number", 5)
        DuesPayment.objects.bulk_create(
            [
                DuesPayment(
                    member=locked,
                    organization=organization,
                    month=month,
                    amount=amounts[month],
                    method=method,
                    paid_by=paid_by if method == PaymentMethod.PROXY else None,
                    paid_on=paid_on,
                    receipt_number=receipt,
                    recorded_by=actor.user,
                    note=note.strip()[:200],
                )
                for month in months
            ]
        )
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=member,
            changes={
                "dues_paid": [None, "、".join(f"{m:%Y-%m}" for m in months)],
                "dues_amount": [None, str(sum(amounts.values()))],
                "receipt_number": [None, receipt],
            },
        )
    return receipt


def dues_void_payment(*, actor: Actor, payment: DuesPayment, reason: str) -> DuesPayment:
    """Void a mistaken payment (it stays on record, marked void, with the reason)."""
    if not allowed(actor, CHANGE, payment):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for voiding this payment.")]})
    with transaction.atomic():
        updated = DuesPayment.objects.filter(pk=payment.pk, voided_on__isnull=True).update(
            voided_on=timezone.localdate(), void_reason=reason[:200], updated_at=timezone.now()
        )
        if not updated:
            raise ValidationError({"reason": [_("This payment has already been voided.")]})
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=payment.member,
            reason=reason,
            changes={
                "dues_voided": [f"{payment.month:%Y-%m} {payment.amount}", None],
                "receipt_number": [payment.receipt_number, None],
            },
        )
        payment.refresh_from_db()
    return payment
