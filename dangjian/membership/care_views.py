"""Pages for mobile members, community reports (双报到), care of members and democratic appraisal."""

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.access import CHANGE, VIEW, allowed, restrict
from dangjian.core.actors import ActorRequest
from dangjian.core.forms import offered
from dangjian.core.views import Outcome, form_errors_to_messages, perform, submit
from dangjian.membership import care_selectors, care_services, mobile_services, selectors
from dangjian.membership.forms import AppraisalForm, CareCaseForm, CareVisitForm, MobileForm, ReportForm
from dangjian.membership.models import Appraisal, CareCase, CommunityReport, MobileRecord
from dangjian.orgs.models import Organization, OrgKind
from dangjian.people.models import Member, MembershipStatus


@require_http_methods(["GET", "POST"])
def mobile_list(request: ActorRequest) -> HttpResponse:
    """Mobile members now away or staying here, and the form to register one."""
    form = MobileForm(request.POST or None, actor=request.actor)
    can_register = offered(form, "organization").exists()
    if request.method == "POST" and not can_register:
        raise Http404
    registered = submit(
        request, form,
        lambda data: mobile_services.mobile_register(
            actor=request.actor, person=data["person"], organization=data["organization"], data=data
        ),
        success=_("The mobile member has been registered."),
    )  # fmt: skip
    if registered:
        return redirect("membership:mobile")
    show_all = request.GET.get("all") == "1"
    context = {
        "records": care_selectors.mobile_records(actor=request.actor, open_only=not show_all)[:300],
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
    )  # fmt: skip
    return redirect("membership:mobile")


@require_http_methods(["GET", "POST"])
def reports(request: ActorRequest) -> HttpResponse:
    """双报到: a member's own report (register, revoke) and, for community staff, the reports
    to their communities (confirm, revoke)."""
    scope = request.actor.scope
    mine = list(care_selectors.my_reports(actor=request.actor, person_id=scope.person_id))
    current = next((r for r in mine if r.state != "revoked"), None)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "register":
        if form.is_valid():
            data = form.cleaned_data
            registered = perform(
                request,
                lambda: mobile_services.report_register(
                    actor=request.actor, community=data["community"], workplace=data["workplace"],
                    categories=data["categories"],
                ),
                form=form,
                success=_("You have reported to the community; it will confirm shortly."),
            )  # fmt: skip
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
            )  # fmt: skip
        else:
            raise Http404
        return redirect("membership:reports")
    incoming = list(care_selectors.community_reports(actor=request.actor)[:300]) if scope.sees_trees else []
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


@require_GET
def care(request: ActorRequest) -> HttpResponse:
    """The hardship register and the old and sick members due for a visit."""
    context = {
        "register": list(care_selectors.care_register(actor=request.actor)[:300]),
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
    visit_form = CareVisitForm(initial={"visited_on": today})
    if request.method == "POST":
        if not can_change:
            raise Http404
        action = request.POST.get("action")
        done: Outcome[Any]
        if action == "case":
            case_form = CareCaseForm(request.POST)
            done = submit(
                request, case_form,
                lambda data: care_services.care_register(actor=request.actor, member=member, **data),
                success=_("The member is on the hardship register."),
            )  # fmt: skip
        elif action == "visit":
            visit_form = CareVisitForm(request.POST)
            done = submit(
                request, visit_form,
                lambda data: care_services.care_visit(actor=request.actor, member=member, data=data),
                success=_("The visit has been recorded."),
            )  # fmt: skip
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
            )  # fmt: skip
        else:
            raise Http404
        if done:
            return redirect("membership:member_care", pk=member.pk)
    context = {
        "member": member,
        "record": care_selectors.member_care(member=member),
        "case_form": case_form,
        "visit_form": visit_form,
        "can_change": can_change,
    }
    return render(request, "membership/member_care.html", context)


@require_http_methods(["GET", "POST"])
def appraisal(request: ActorRequest) -> HttpResponse:
    """民主评议 sheet of one branch for one year: each member's self-assessment, peer votes and
    the branch's grade, with the check that 优秀 stays within a third."""
    branches = restrict(
        Organization.objects.filter(kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)), request.actor, VIEW
    ).order_by("path")
    organization = None
    if str(request.GET.get("org") or request.POST.get("org") or "").isdigit():
        organization = branches.filter(pk=request.GET.get("org") or request.POST.get("org")).first()
    organization = organization or branches.first()
    if organization is None:
        raise Http404
    year_text = str(request.GET.get("year") or request.POST.get("year") or "")
    if year_text.isdigit():
        year = int(year_text)
    else:  # the latest year appraised, or this year
        latest = Appraisal.objects.filter(organization=organization).order_by("-year").values_list("year", flat=True)
        year = latest.first() or timezone.localdate().year
    form, editing = None, None
    member_pk = request.POST.get("member") or request.GET.get("member")
    if member_pk and str(member_pk).isdigit():
        editing = selectors.member_for(actor=request.actor, pk=int(member_pk))
        if editing.organization_id != organization.pk or not allowed(request.actor, CHANGE, editing):
            raise Http404
        current = editing.appraisals.filter(year=year).first()
        initial = (
            {f: getattr(current, f) for f in ("self_assessment", "votes_excellent", "votes_qualified", "votes_basic",
                                              "votes_unqualified", "grade", "grade_note")}
            if current else {}
        )  # fmt: skip
        form = AppraisalForm(request.POST or None, initial=initial)
        saved = submit(
            request, form,
            lambda data: care_services.appraisal_save(
                actor=request.actor, member=editing, year=year, data=data, confirm_excess=data["confirm_excess"]
            ),
            success=_("The appraisal of %(name)s has been saved.") % {"name": editing.person.name},
        )  # fmt: skip
        if saved:
            return redirect(f"{request.path}?org={organization.pk}&year={year}")
    elif request.method == "POST":
        raise Http404
    context = {
        "branches": branches[:300],
        "organization": organization,
        "year": year,
        "sheet": care_selectors.appraisal_sheet(actor=request.actor, organization=organization, year=year),
        "form": form,
        "editing": editing,
        "can_change": allowed(request.actor, CHANGE, organization),
    }
    return render(request, "membership/appraisal.html", context)
