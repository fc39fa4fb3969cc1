"""The workbench and the organisation/region overviews: pages that combine several apps."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from dangjian.accounts.roles import STAFF_ROLES, Role
from dangjian.core.access import scope_for
from dangjian.core.conf import config
from dangjian.core.notifications import inbox as notifications_inbox
from dangjian.core.notifications import mark_read
from dangjian.core.views import is_htmx
from dangjian.dashboard import selectors as dashboard_selectors
from dangjian.orgs import selectors as org_selectors
from dangjian.people import selectors as people_selectors
from dangjian.servicedesk import request_selectors


@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    """Each role's home: to-dos first, then key figures that link to the records behind them."""
    scope = scope_for(request.user)
    today = timezone.localdate()
    numbers = config()
    context: dict[str, object] = {
        "today": today,
        "is_staff_role": scope.superuser or scope.has_role(*STAFF_ROLES),
        "role_labels": [Role(role).label for role in sorted(scope.roles)],
    }
    if context["is_staff_role"]:
        context.update(dashboard_selectors.workbench_figures(user=request.user))
        context.update(dashboard_selectors.membership_todos(user=request.user))
        context["service"] = dashboard_selectors.service_todos(user=request.user)
        context["term_reminders"] = list(
            org_selectors.term_reminders(user=request.user, today=today, within_days=numbers.term_reminder_days)[:10]
        )
        context["probation_due"] = list(
            people_selectors.probation_due(user=request.user, today=today, within_days=numbers.probation_reminder_days)[
                :10
            ]
        )
    context["notifications"] = list(notifications_inbox(user=request.user, unread_only=True, limit=5))
    if scope.person_id:
        me = people_selectors.person_for(user=request.user, pk=scope.person_id)
        context["me"] = me
        context["my_member"] = getattr(me, "member", None)
        context["my_requests"] = dashboard_selectors.own_service_requests(user=request.user)
        context["my_assigned"] = request_selectors.queue_counts(user=request.user)["mine"]
        context["my_sites"] = list(org_selectors.sites_for_region(user=request.user, region=me.region)[:2])
    if scope.has_role(Role.PARTNER_LIAISON):
        context["my_units"] = list(org_selectors.units(user=request.user))
    return render(request, "dashboard/workbench.html", context)


def _nodes(children: list, counts: dict[str, int]) -> list[dict[str, object]]:
    return [{"node": child, "count": counts.get(child.path, 0)} for child in children]


@require_GET
def org_tree(request: HttpRequest) -> HttpResponse:
    """The party organisation tree from the user's top nodes, two levels open, deeper on demand.
    A fixed number of queries: children and member counts of all top nodes at once."""
    user = request.user
    roots = list(org_selectors.org_roots(user=user))
    root_counts = people_selectors.member_counts(user=user, parents=roots, level=0)
    children = org_selectors.children_of(user=user, parents=roots)
    child_counts = people_selectors.member_counts(user=user, parents=roots)
    branches = [
        {"node": root, "count": root_counts.get(root.path, 0), "children": _nodes(children[root.pk], child_counts)}
        for root in roots
    ]
    return render(request, "dashboard/org_tree.html", {"branches": branches, "today": timezone.localdate()})


@require_GET
@vary_on_headers("HX-Request")
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    org = org_selectors.organization_for(user=user, pk=pk)
    children = org_selectors.org_children(user=user, parent=org)
    context = {
        "org": org,
        "children": _nodes(children, people_selectors.member_counts(user=user, parents=[org])),
        "today": timezone.localdate(),
    }
    if is_htmx(request):
        return render(request, "dashboard/org_tree.html#children", context)
    context.update(
        {
            "ancestors": org_selectors.ancestors(user=user, node=org),
            "member_total": people_selectors.member_counts(user=user, parents=[org], level=0).get(org.path, 0),
            "seats": people_selectors.committee(user=user, organization=org),
            "sites": org.sites.all(),
        }
    )
    return render(request, "dashboard/org_detail.html", context)


@require_GET
def region_tree(request: HttpRequest) -> HttpResponse:
    user = request.user
    roots = list(org_selectors.region_roots(user=user))
    children = org_selectors.children_of(user=user, parents=roots)
    counts = people_selectors.resident_counts(user=user, parents=roots)
    branches = [{"node": root, "children": _nodes(children[root.pk], counts)} for root in roots]
    return render(request, "dashboard/region_tree.html", {"branches": branches})


@require_GET
def region_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    region = org_selectors.region_for(user=user, pk=pk)
    children = org_selectors.region_children(user=user, parent=region)
    context = {
        "region": region,
        "ancestors": org_selectors.ancestors(user=user, node=region),
        "children": _nodes(children, people_selectors.resident_counts(user=user, parents=[region])),
        "sites": org_selectors.sites_in(user=user, region=region),
        "organizations": org_selectors.organizations_serving(user=user, region=region),
    }
    return render(request, "dashboard/region_detail.html", context)


@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    rows = list(notifications_inbox(user=request.user, limit=200))
    return render(request, "dashboard/notifications.html", {"rows": rows, "unread": any(not n.read_at for n in rows)})


@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    mark_read(user=request.user)
    return redirect("dashboard:notifications")
