"""Transfer pages: list, open (to a branch in the system or outside), register an incoming
letter, the transfer's page with the actions the user may take, and the letter as a PDF."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core.actors import ActorRequest
from dangjian.core.events import EventAction, record_event
from dangjian.core.forms import offered
from dangjian.core.views import perform, submit
from dangjian.membership.forms import IncomingTransferForm, TransferActionForm, TransferForm
from dangjian.membership.models import TransferState
from dangjian.membership.roster import selectors
from dangjian.membership.transfers import letters
from dangjian.membership.transfers import selectors as transfer_selectors
from dangjian.membership.transfers import services as transfer_services


@require_GET
def transfer_list(request: ActorRequest) -> HttpResponse:
    state = request.GET.get("state", "active")
    direction = request.GET.get("direction", "")
    transfers = transfer_selectors.transfer_list(actor=request.actor, state=state, direction=direction)
    page = Paginator(transfers, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "state": state,
        "direction": direction,
        "states": [("active", _("In progress")), *TransferState.choices, ("", _("All"))],
        "query": f"state={state}&direction={direction}",
        "to_accept": transfer_selectors.incoming_to_accept(actor=request.actor).count(),
        "to_approve": transfer_selectors.awaiting_approval(actor=request.actor).count(),
    }
    return render(request, "membership/transfer_list.html", context)


@require_http_methods(["GET", "POST"])
def transfer_new(request: ActorRequest, pk: int) -> HttpResponse:
    """Open a transfer for a member (from the member's page)."""
    member = selectors.member_for(actor=request.actor, pk=pk, action="change")
    form = TransferForm(request.POST or None)
    opened = submit(
        request,
        form,
        lambda data: transfer_services.transfer_apply(
            actor=request.actor,
            member=member,
            to_organization=data["to_organization"],
            external_organization=data["external_organization"],
            external_contact=data["external_contact"],
            reason=data["reason"],
        ),
        success=_("The transfer has been opened. Submit it for approval when it is ready."),
    )
    if opened.value is not None:
        return redirect("membership:transfer_detail", pk=opened.value.pk)
    return render(request, "membership/transfer_form.html", {"form": form, "member": member})


@require_http_methods(["GET", "POST"])
def transfer_incoming(request: ActorRequest) -> HttpResponse:
    """Register a letter received from an organisation outside the system."""
    form = IncomingTransferForm(request.POST or None, actor=request.actor)
    if not offered(form, "to_organization").exists():
        raise Http404
    registered = submit(
        request,
        form,
        lambda data: transfer_services.transfer_register_incoming(
            actor=request.actor,
            person=data["person"],
            to_organization=data["to_organization"],
            external_organization=data["external_organization"],
            serial_number=data["serial_number"],
            data=data,
        ),
        success=_("The letter has been registered; accept it to record the member."),
    )
    if registered.value is not None:
        return redirect("membership:transfer_detail", pk=registered.value.pk)
    return render(request, "membership/transfer_incoming.html", {"form": form})


@require_http_methods(["GET", "POST"])
def transfer_detail(request: ActorRequest, pk: int) -> HttpResponse:
    transfer = transfer_selectors.transfer_for(actor=request.actor, pk=pk)
    actions = transfer_services.transfer_actions(actor=request.actor, transfer=transfer)
    form = TransferActionForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in actions:
            messages.error(request, _("This action is not possible (any more). Reload the page."))
            return redirect("membership:transfer_detail", pk=transfer.pk)
        if form.is_valid():
            note, day = form.cleaned_data["note"], form.cleaned_data["effective_on"]
            handlers = {
                "submit": lambda: transfer_services.transfer_submit(actor=request.actor, transfer=transfer, note=note),
                "approve": lambda: transfer_services.transfer_approve(
                    actor=request.actor, transfer=transfer, note=note
                ),
                "return": lambda: transfer_services.transfer_return(actor=request.actor, transfer=transfer, note=note),
                "cancel": lambda: transfer_services.transfer_cancel(actor=request.actor, transfer=transfer, note=note),
                "accept": lambda: transfer_services.transfer_accept(
                    actor=request.actor, transfer=transfer, effective_on=day, note=note
                ),
                "receipt": lambda: transfer_services.transfer_record_receipt(
                    actor=request.actor, transfer=transfer, effective_on=day, note=note
                ),
            }
            if perform(request, handlers[action], success=_("Done.")):
                return redirect("membership:transfer_detail", pk=transfer.pk)
    context = {
        "transfer": transfer,
        "steps": list(transfer_selectors.transfer_steps(transfer=transfer)),
        "actions": actions,
        "form": form,
        "has_letter": bool(transfer.serial_number) and transfer.from_organization_id is not None,
    }
    return render(request, "membership/transfer_detail.html", context)


@require_GET
def transfer_letter(request: ActorRequest, pk: int) -> HttpResponse:
    """The introduction letter as a PDF, as it was issued (stored, not drawn again); the full ID
    number is printed only for a user who may unmask it, and every printing is recorded."""
    transfer = transfer_selectors.transfer_for(actor=request.actor, pk=pk)
    if not transfer.serial_number or transfer.from_organization_id is None:
        raise Http404
    try:
        content, full = transfer_services.transfer_letter(actor=request.actor, transfer=transfer)
    except letters.FontMissing as exc:
        messages.error(request, str(exc))
        return redirect("membership:transfer_detail", pk=transfer.pk)
    record_event(
        actor=request.actor,
        action=EventAction.EXPORTED,
        target=transfer,
        changes={"letter": [None, transfer.serial_number], "full_numbers": [None, full]},
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="letter-{transfer.serial_number}.pdf"'
    return response
