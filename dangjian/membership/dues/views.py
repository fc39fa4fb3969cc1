"""Dues pages: the monthly bill, a member's dues, arrears, receipts. Parse → selector/service → render."""

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from dangjian.core.access import CHANGE, EXPORT, VIEW, allowed, restrict
from dangjian.core.actors import ActorRequest
from dangjian.core.forms import offered
from dangjian.core.validators import parse_id, parse_year
from dangjian.core.views import is_htmx, perform, submit
from dangjian.membership.dues import exports as dues_exports
from dangjian.membership.dues import rules as dues
from dangjian.membership.dues import selectors as dues_selectors
from dangjian.membership.dues import services as dues_services
from dangjian.membership.forms import DuesAssessForm, DuesBillForm, DuesPaymentForm, VoidForm
from dangjian.membership.models import DuesPayment
from dangjian.membership.roster import selectors
from dangjian.orgs.models import Organization

BILL_PAGE_SIZE = 100


def _bill_params(request: ActorRequest) -> tuple[DuesBillForm, Organization | None, dt.date]:
    form = DuesBillForm(request.GET or None, actor=request.actor)
    organization, month = None, dues.month_start(timezone.localdate())
    if form.is_bound and form.is_valid():
        organization = form.cleaned_data["org"]
        month = form.cleaned_data["month"] or month
    if organization is None:
        organization = offered(form, "org").first()
    return form, organization, month


@require_GET
def dues_bill(request: ActorRequest) -> HttpResponse:
    """The monthly bill of an organisation: totals by the organisations below it and each
    member's amount due and payment."""
    form, organization, month = _bill_params(request)
    if organization is None:
        raise Http404
    rows = dues_selectors.bill_rows(actor=request.actor, organization=organization, month=month)
    page = Paginator(rows, BILL_PAGE_SIZE).get_page(request.GET.get("page"))
    groups = dues_selectors.bill_by_organization(actor=request.actor, organization=organization, month=month)
    totals = dues_selectors.BillTotals()
    for _org, group in groups:
        totals.merge(group)
    context = {
        "form": form,
        "organization": organization,
        "month": month,
        "page": page,
        "groups": groups if len(groups) > 1 or (groups and groups[0][0] != organization) else [],
        "totals": totals,
        "query": urlencode({"org": str(organization.pk), "month": f"{month:%Y-%m}"}),
        "can_change": allowed(request.actor, CHANGE, organization),
        "can_export": request.actor.scope.can(EXPORT),
        "previous": dues.add_months(month, -1),
        "next": dues.add_months(month, 1),
    }
    return render(request, "membership/dues_bill.html", context)


@require_GET
def dues_arrears(request: ActorRequest) -> HttpResponse:
    form, organization, _month = _bill_params(request)
    if organization is None:
        raise Http404
    rows = dues_selectors.arrears(actor=request.actor, organization=organization)
    threshold = dues.rules()["arrears_alert_months"]
    context = {
        "form": form,
        "organization": organization,
        "rows": rows[:500],
        "count": len(rows),
        "alerts": sum(1 for row in rows if row.months >= threshold),
        "threshold": threshold,
    }
    return render(request, "membership/dues_arrears.html", context)


@require_GET
@vary_on_headers("HX-Request")
def dues_find(request: ActorRequest) -> HttpResponse:
    """Find a member by name or pinyin initials and go to their dues (the workbench's 党费 box:
    an htmx partial there, a plain page without JavaScript)."""
    if not dues_selectors.may_record_dues(actor=request.actor):
        raise Http404
    text = request.GET.get("q", "")[:50]
    context = {"q": text, "found": dues_selectors.members_for_dues(actor=request.actor, q=text)}
    if is_htmx(request):
        return render(request, "membership/dues_find.html#found", context)
    return render(request, "membership/dues_find.html", context)


PAYABLE_MONTHS = 60
SHOWN_MONTHS = 12


@require_http_methods(["GET", "POST"])
def member_dues(request: ActorRequest, pk: int) -> HttpResponse:
    """A member's dues: the assessment per year, the last 24 months, paying and voiding."""
    member = selectors.member_for(actor=request.actor, pk=pk)
    can_change = allowed(request.actor, CHANGE, member)
    today = timezone.localdate()
    # Months owed since longer than a year ago are paid from here too (the oldest is ticked): the
    # form reads five years back; the table shows the last twelve months.
    record = dues_selectors.member_dues(member=member, months=PAYABLE_MONTHS, today=today)
    unpaid = [
        (f"{row['month']:%Y-%m}", date_format(row["month"], "YEAR_MONTH_FORMAT"))
        for row in record["months"]
        if row["payment"] is None and row["due"] is not None
    ]
    record = {**record, "months": record["months"][-SHOWN_MONTHS:]}
    latest = record["assessments"][0] if record["assessments"] else None
    assess_form = DuesAssessForm(
        initial={
            "year": today.year,
            "kind": latest.kind if latest else dues.default_kind(member.category),
            "base": latest.base if latest else None,
        }
    )
    # The worker only confirms: the oldest unpaid month is ticked, paid today, in cash (the form's default).
    pay_form = DuesPaymentForm(
        member=member, unpaid=unpaid, initial={"paid_on": today, "months": [unpaid[0][0]] if unpaid else []}
    )
    if request.method == "POST":
        if not can_change:
            raise Http404
        action = request.POST.get("action")
        if action == "assess":
            assess_form = DuesAssessForm(request.POST)
            assessed = submit(
                request,
                assess_form,
                lambda data: dues_services.dues_assess(
                    actor=request.actor,
                    member=member,
                    year=data["year"],
                    kind=data["kind"],
                    base=data["base"],
                    monthly=data["monthly"],
                    reduction_reason=data["reduction_reason"],
                    reduction_approved_by=data["reduction_approved_by"],
                ),
                success=_("The dues have been assessed."),
            )
            if assessed:
                return redirect("membership:member_dues", pk=member.pk)
        elif action == "pay":
            pay_form = DuesPaymentForm(request.POST, member=member, unpaid=unpaid)
            paid = submit(
                request,
                pay_form,
                lambda data: dues_services.dues_record_payment(
                    actor=request.actor,
                    member=member,
                    months=data["months"],
                    method=data["method"],
                    paid_on=data["paid_on"],
                    paid_by=data["paid_by"],
                    note=data["note"],
                ),
            )
            if paid.value is not None:
                messages.success(request, _("Payment recorded; receipt %(number)s.") % {"number": paid.value})
                # Messages are plain text: the page it lands on offers the receipt to print.
                url = reverse("membership:member_dues", args=[member.pk])
                return redirect(f"{url}?{urlencode({'receipt': paid.value})}")
        else:
            raise Http404
    context = {
        "member": member,
        "record": record,
        "receipt": dues_selectors.member_receipt(member=member, number=request.GET.get("receipt", "")),
        "assess_form": assess_form,
        "pay_form": pay_form,
        "can_change": can_change,
        "void_form": VoidForm(),
    }
    return render(request, "membership/member_dues.html", context)


@require_POST
def dues_void(request: ActorRequest, pk: int) -> HttpResponse:
    payment = restrict(DuesPayment.objects.select_related("member"), request.actor, CHANGE).filter(pk=pk).first()
    if payment is None:
        raise Http404
    form = VoidForm(request.POST)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        perform(
            request,
            lambda: dues_services.dues_void_payment(actor=request.actor, payment=payment, reason=reason),
            success=_("The payment has been voided."),
        )
    else:
        messages.error(request, _("Give the reason for voiding this payment."))
    return redirect("membership:member_dues", pk=payment.member_id)


@require_POST
def dues_confirm_year(request: ActorRequest) -> HttpResponse:
    organization = (
        restrict(Organization.objects.all(), request.actor, CHANGE)
        .filter(pk=parse_id(request.POST.get("org")) or 0)
        .first()
    )
    year = parse_year(request.POST.get("year"), first=2000, last=request.actor.today.year + 1)
    if organization is None or year is None:
        raise Http404
    confirmed = perform(
        request, lambda: dues_services.dues_confirm_year(actor=request.actor, organization=organization, year=year)
    )
    assert confirmed.value is not None  # the confirmation has no validation errors: only a 404
    messages.success(
        request,
        _("%(n)d members' dues for %(year)s were confirmed from last year's basis.")
        % {"n": confirmed.value, "year": year},
    )
    return redirect(f"{reverse('membership:dues_bill')}?{urlencode({'org': organization.pk, 'month': f'{year}-01'})}")


@require_GET
def dues_receipt(request: ActorRequest, number: str) -> HttpResponse:
    """A printable receipt: the months one payment covered."""
    rows = list(
        restrict(DuesPayment.objects.filter(receipt_number=number), request.actor, VIEW)
        .select_related("member__person", "organization", "paid_by__person", "recorded_by")
        .order_by("month")
    )
    if not rows:
        raise Http404
    context = {"rows": rows, "first": rows[0], "total": sum(r.amount for r in rows), "number": number}
    return render(request, "membership/dues_receipt.html", context)


@require_POST
def dues_export(request: ActorRequest) -> HttpResponse:
    """Start the .xlsx export of a month's bill; the job page shows its progress."""
    organization = (
        restrict(Organization.objects.all(), request.actor, VIEW)
        .filter(pk=parse_id(request.POST.get("org")) or 0)
        .first()
    )
    month = dues.parse_month(request.POST.get("month", ""))
    if organization is None or month is None:
        raise Http404
    started = perform(
        request,
        lambda: dues_exports.dues_bill_export_start(actor=request.actor, organization=organization, month=month),
    )
    assert started.value is not None  # the export has no validation errors: only a 404
    return redirect("jobs:detail", pk=started.value.pk)
