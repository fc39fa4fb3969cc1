"""The workbench and the organisation/region overviews: pages that combine several apps."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from dangjian.accounts.roles import STAFF_ROLES, Role
from dangjian.core.access import scope_for
from dangjian.orgs import selectors as org_selectors
from dangjian.people import selectors as people_selectors


@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    """Each role's home: to-dos first, then key figures that link to the records behind them."""
    scope = scope_for(request.user)
    today = timezone.localdate()
    config = settings.DANGJIAN
    context: dict[str, object] = {
        "today": today,
        "is_staff_role": scope.superuser or scope.has_role(*STAFF_ROLES),
        "role_labels": [Role(role).label for role in sorted(scope.roles)],
    }
    if context["is_staff_role"]:
        context["figures"] = people_selectors.key_figures(user=request.user)
        context["tag_counts"] = people_selectors.tag_counts(user=request.user)
        context["term_reminders"] = list(
            org_selectors.term_reminders(user=request.user, today=today, within_days=config["TERM_REMINDER_DAYS"])[:10]
        )
        context["probation_due"] = list(
            people_selectors.probation_due(
                user=request.user, today=today, within_days=config["PROBATION_REMINDER_DAYS"]
            )[:10]
        )
    if scope.person_id:
        me = people_selectors.person_for(user=request.user, pk=scope.person_id)
        context["me"] = me
        context["my_member"] = getattr(me, "member", None)
        context["my_sites"] = list(org_selectors.sites_for_region(user=request.user, region=me.region)[:2])
    if scope.has_role(Role.PARTNER_LIAISON):
        context["my_units"] = list(org_selectors.units(user=request.user))
    return render(request, "dashboard/workbench.html", context)


@require_GET
def org_tree(request: HttpRequest) -> HttpResponse:
    """The party organisation tree from the user's top nodes, two levels open, deeper on demand."""
    roots = list(org_selectors.org_roots(user=request.user))
    root_counts = people_selectors.member_count_under(user=request.user, orgs=roots)
    branches = []
    for root in roots:
        children = org_selectors.org_children(user=request.user, parent=root)
        counts = people_selectors.member_counts(user=request.user, parent=root)
        branches.append(
            {"node": root, "count": root_counts.get(root.path, 0),
             "children": [{"node": c, "count": counts.get(c.path, 0)} for c in children]}
        )  # fmt: skip
    return render(request, "dashboard/org_tree.html", {"branches": branches, "today": timezone.localdate()})


@require_GET
@vary_on_headers("HX-Request")
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = org_selectors.organization_for(user=request.user, pk=pk)
    children = org_selectors.org_children(user=request.user, parent=org)
    counts = people_selectors.member_counts(user=request.user, parent=org)
    context = {
        "org": org,
        "children": [{"node": c, "count": counts.get(c.path, 0)} for c in children],
        "today": timezone.localdate(),
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "dashboard/org_tree.html#children", context)
    context.update(
        {
            "ancestors": org_selectors.ancestors(user=request.user, node=org),
            "member_total": people_selectors.member_count_under(user=request.user, orgs=[org]).get(org.path, 0),
            "seats": people_selectors.committee(user=request.user, organization=org),
            "sites": org.sites.all(),
        }
    )
    return render(request, "dashboard/org_detail.html", context)


@require_GET
def region_tree(request: HttpRequest) -> HttpResponse:
    roots = list(org_selectors.region_roots(user=request.user))
    branches = []
    for root in roots:
        children = org_selectors.region_children(user=request.user, parent=root)
        counts = people_selectors.resident_counts(user=request.user, parent=root)
        branches.append({"node": root, "children": [{"node": c, "count": counts.get(c.path, 0)} for c in children]})
    return render(request, "dashboard/region_tree.html", {"branches": branches})


@require_GET
def region_detail(request: HttpRequest, pk: int) -> HttpResponse:
    region = org_selectors.region_for(user=request.user, pk=pk)
    children = org_selectors.region_children(user=request.user, parent=region)
    counts = people_selectors.resident_counts(user=request.user, parent=region)
    context = {
        "region": region,
        "ancestors": org_selectors.ancestors(user=request.user, node=region),
        "children": [{"node": c, "count": counts.get(c.path, 0)} for c in children],
        "sites": org_selectors.sites_in(user=request.user, region=region),
        "organizations": org_selectors.organizations_serving(user=request.user, region=region),
    }
    return render(request, "dashboard/region_detail.html", context)
