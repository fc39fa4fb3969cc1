"""Pages of members away from their organisation."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.core.access import CHANGE, restrict
from dangjian.core.actors import ActorRequest
from dangjian.core.forms import offered
from dangjian.core.views import form_errors_to_messages, perform, submit
from dangjian.membership.forms import MobileForm, ReportForm
from dangjian.membership.mobile import selectors as mobile_selectors
from dangjian.membership.mobile import services as mobile_services
from dangjian.membership.models import CommunityReport, MobileRecord
from dangjian.people.models import Member, MembershipStatus


@require_http_methods(["GET", "POST"])
def mobile_list(request: ActorRequest) -> HttpResponse:
    """Mobile members now away or staying here, and the form to register one."""
    form = MobileForm(request.POST or None, actor=request.actor)
    can_register = offered(form, "organization").exists()
    if request.method == "POST" and not can_register:
        raise Http404
    registered = submit(
        request,
        form,
        lambda data: mobile_services.mobile_register(
            actor=request.actor, person=data["person"], organization=data["organization"], data=data
        ),
        success=_("The mobile member has been registered."),
    )
    if registered:
        return redirect("membership:mobile")
    show_all = request.GET.get("all") == "1"
    context = {
        "records": mobile_selectors.mobile_records(actor=request.actor, open_only=not show_all)[:300],
        "form": form if can_register else None,
        "show_all": show_all,
        "today": timezone.localdate(),
    }
    return render(request, "membership/mobile_list.html", context)


@require_POST
def mobile_end(request: ActorRequest, pk: int) -> HttpResponse:
    record = restrict(MobileRecord.objects.all(), request.actor, CHANGE).filter(pk=pk).first()
    if record is None:
        raise Http404
    perform(
        request,
        lambda: mobile_services.mobile_end(
            actor=request.actor, record=record, ended_on=timezone.localdate(), note=request.POST.get("note", "")
        ),
        success=_("The record has been closed."),
    )
    return redirect("membership:mobile")


@require_http_methods(["GET", "POST"])
def reports(request: ActorRequest) -> HttpResponse:
    """双报到: a member's own report (register, revoke) and, for community staff, the reports
    to their communities (confirm, revoke)."""
    scope = request.actor.scope
    if not mobile_selectors.may_report(actor=request.actor):
        raise Http404  # 双报到 is for party members (and the staff who confirm their reports)
    mine = list(mobile_selectors.my_reports(actor=request.actor, person_id=scope.person_id))
    current = next((r for r in mine if r.state != "revoked"), None)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "register":
        if form.is_valid():
            data = form.cleaned_data
            registered = perform(
                request,
                lambda: mobile_services.report_register(
                    actor=request.actor,
                    community=data["community"],
                    workplace=data["workplace"],
                    categories=data["categories"],
                ),
                form=form,
                success=_("You have reported to the community; it will confirm shortly."),
            )
            if registered:
                return redirect("membership:reports")
            # Also as messages: the form is not shown again when a report exists (e.g. a second
            # report from another tab).
            form_errors_to_messages(request, form)
    elif request.method == "POST":
        report = CommunityReport.objects.filter(pk=request.POST.get("report") or 0).first()
        if report is None:
            raise Http404
        action = request.POST.get("action")
        if action == "confirm":
            perform(
                request, lambda: mobile_services.report_confirm(actor=request.actor, report=report), success=_("Done.")
            )
        elif action == "revoke":
            perform(
                request,
                lambda: mobile_services.report_revoke(
                    actor=request.actor, report=report, reason=request.POST.get("reason", "")
                ),
                success=_("Done."),
            )
        else:
            raise Http404
        return redirect("membership:reports")
    incoming = list(mobile_selectors.community_reports(actor=request.actor)[:300]) if scope.sees_trees else []
    is_member = (
        scope.person_id is not None
        and Member.objects.filter(person_id=scope.person_id, status=MembershipStatus.NORMAL).exists()
    )
    context = {
        "mine": mine,
        "current": current,
        "form": form if is_member and current is None else None,
        "incoming": incoming,
        "can_confirm": scope.can(CHANGE),
    }
    return render(request, "membership/reports.html", context)
