"""Pages of care for members in difficulty (关怀帮扶)."""

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.access import CHANGE, allowed
from dangjian.core.actors import ActorRequest
from dangjian.core.views import Outcome, hand_over, perform, submit
from dangjian.membership import phrases as membership_phrases
from dangjian.membership.care import selectors as care_selectors
from dangjian.membership.care import services as care_services
from dangjian.membership.forms import CareCaseForm, CareVisitForm
from dangjian.membership.models import CareCase
from dangjian.membership.roster import selectors
from dangjian.phrases import selectors as phrase_selectors


@require_GET
def care(request: ActorRequest) -> HttpResponse:
    """The hardship register and the old and sick members due for a visit."""
    context = {
        "register": list(care_selectors.care_cases(actor=request.actor)[:300]),
        "due": list(care_selectors.visits_due(actor=request.actor, limit=100)),
        "interval": care_selectors.VISIT_INTERVAL_DAYS,
    }
    return render(request, "membership/care.html", context)


@require_http_methods(["GET", "POST"])
def member_care(request: ActorRequest, pk: int) -> HttpResponse:
    member = selectors.member_for(actor=request.actor, pk=pk)
    can_change = allowed(request.actor, CHANGE, member)
    today = timezone.localdate()
    case_form = CareCaseForm(initial={"registered_on": today})
    # Who visited and when are known: the signed-in worker, today (still changeable).
    worker = selectors.signed_in_name(actor=request.actor) if can_change else ""
    visit_form = CareVisitForm(initial={"visited_on": today, "visitors": worker})
    if request.method == "POST":
        if not can_change:
            raise Http404
        action = request.POST.get("action")
        done: Outcome[Any]
        if action == "case":
            case_form = CareCaseForm(request.POST)
            done = submit(
                request,
                case_form,
                lambda data: care_services.care_register(actor=request.actor, member=member, **data),
                success=_("The member is on the hardship register."),
            )
        elif action == "visit":
            visit_form = CareVisitForm(request.POST)
            done = submit(
                request,
                visit_form,
                lambda data: care_services.care_visit(actor=request.actor, member=member, data=data),
                success=_("The visit has been recorded."),
            )
        elif action == "end":
            case = CareCase.objects.filter(member=member, pk=request.POST.get("case") or 0).first()
            if case is None:
                raise Http404
            # A button's small form: a refusal (already closed) as a message. (It went onto the
            # unbound visit form before, which raised AttributeError: a 500.)
            done = perform(
                request,
                lambda: care_services.care_end(
                    actor=request.actor, case=case, ended_on=today, reason=request.POST.get("reason", "")
                ),
                success=_("The case has been closed."),
            )
        else:
            raise Http404
        if done:
            return redirect("membership:member_care", pk=member.pk)
    record = care_selectors.member_care(member=member)
    may_request = care_selectors.may_open_requests(actor=request.actor)
    phrase_selectors.offer_under(visit_form, "note", actor=request.actor, key=membership_phrases.CARE_NOTE)
    context = {
        "member": member,
        "record": record,
        "visits": [{"visit": visit, "to_request": may_request} for visit in record["visits"]],
        "case_form": case_form,
        "visit_form": visit_form,
        "can_change": can_change,
    }
    return render(request, "membership/member_care.html", context)


@require_POST
def visit_to_request(request: ActorRequest, pk: int) -> HttpResponse:
    """转为诉求: the desk opens with the visit's member and need, handed over in the session (a
    note about someone's health stays out of addresses and logs)."""
    visit = care_selectors.visit_for_request(actor=request.actor, pk=pk)
    token = hand_over(request, care_selectors.request_intake(visit=visit))
    return redirect(f"{reverse('servicedesk:desk')}?{urlencode({'from': token})}")
