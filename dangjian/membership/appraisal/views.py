"""Pages of the annual appraisal of members (民主评议党员)."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dangjian.core.access import CHANGE, VIEW, allowed, restrict
from dangjian.core.actors import ActorRequest
from dangjian.core.validators import parse_id, parse_year
from dangjian.core.views import submit
from dangjian.membership.appraisal import selectors as appraisal_selectors
from dangjian.membership.appraisal import services as appraisal_services
from dangjian.membership.forms import AppraisalForm
from dangjian.membership.models import Appraisal
from dangjian.membership.roster import selectors
from dangjian.orgs.models import Organization, OrgKind


@require_http_methods(["GET", "POST"])
def appraisal(request: ActorRequest) -> HttpResponse:
    """民主评议 sheet of one branch for one year: each member's self-assessment, peer votes and
    the branch's grade, with the check that 优秀 stays within a third."""
    branches = restrict(
        Organization.objects.filter(kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)), request.actor, VIEW
    ).order_by("path")
    organization = None
    if (org_id := parse_id(request.GET.get("org") or request.POST.get("org"))) is not None:
        organization = branches.filter(pk=org_id).first()
    organization = organization or branches.first()
    if organization is None:
        raise Http404
    asked = parse_year(request.GET.get("year") or request.POST.get("year"), last=request.actor.today.year + 1)
    if asked is not None:
        year = asked
    else:  # the latest year appraised, or this year
        latest = Appraisal.objects.filter(organization=organization).order_by("-year").values_list("year", flat=True)
        year = latest.first() or timezone.localdate().year
    form, editing = None, None
    member_pk = request.POST.get("member") or request.GET.get("member")
    if (editing_pk := parse_id(member_pk)) is not None:
        editing = selectors.member_for(actor=request.actor, pk=int(editing_pk))
        if editing.organization_id != organization.pk or not allowed(request.actor, CHANGE, editing):
            raise Http404
        current = editing.appraisals.filter(year=year).first()
        initial = (
            {
                f: getattr(current, f)
                for f in (
                    "self_assessment",
                    "votes_excellent",
                    "votes_qualified",
                    "votes_basic",
                    "votes_unqualified",
                    "grade",
                    "grade_note",
                )
            }
            if current
            else {}
        )
        form = AppraisalForm(request.POST or None, initial=initial)
        saved = submit(
            request,
            form,
            lambda data: appraisal_services.appraisal_save(
                actor=request.actor, member=editing, year=year, data=data, confirm_excess=data["confirm_excess"]
            ),
            success=_("The appraisal of %(name)s has been saved.") % {"name": editing.person.name},
        )
        if saved:
            return redirect(f"{request.path}?org={organization.pk}&year={year}")
    elif request.method == "POST":
        raise Http404
    context = {
        "branches": branches[:300],
        "organization": organization,
        "year": year,
        "sheet": appraisal_selectors.appraisal_sheet(actor=request.actor, organization=organization, year=year),
        "form": form,
        "editing": editing,
        "can_change": allowed(request.actor, CHANGE, organization),
    }
    return render(request, "membership/appraisal.html", context)
