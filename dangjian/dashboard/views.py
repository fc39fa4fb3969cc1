"""The workbench and the organisation/region overviews: pages that combine several apps."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from dangjian.accounts.roles import STAFF_ROLES, Role
from dangjian.core.access import CONFIGURE, allowed, allowed_loaded
from dangjian.core.actors import ActorRequest
from dangjian.core.conf import config
from dangjian.core.notifications import grouped as notice_groups
from dangjian.core.notifications import inbox as notifications_inbox
from dangjian.core.notifications import mark_read
from dangjian.core.views import is_htmx, submit
from dangjian.dashboard import selectors as dashboard_selectors
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs import services as tree_services
from dangjian.orgs.forms import (
    CloseForm,
    MergeForm,
    MoveForm,
    NewOrganizationForm,
    NewRegionForm,
    OrganizationForm,
    RenameForm,
    ResidentUnitForm,
    RoomForm,
    ServiceSiteForm,
)
from dangjian.orgs.models import REGION_LEVEL_ORDER, Organization, OrgKind, Region, RegionLevel
from dangjian.people import selectors as people_selectors
from dangjian.people import services as people_services
from dangjian.people.forms import TermForm
from dangjian.servicedesk.requests import selectors as request_selectors
from dangjian.volunteering import selectors as volunteering_selectors


@login_not_required
@require_GET
def workbench(request: ActorRequest) -> HttpResponse:
    """Each role's home: to-dos first, then key figures that link to the records behind them.
    A visitor who is not signed in gets the public front page: ask for help, follow a request,
    the services and their time limits, what the community has resolved, and the sign-in."""
    if not request.user.is_authenticated:
        return render(request, "servicedesk/portal/home.html", {"login_url": resolve_url(settings.LOGIN_URL)})
    scope = request.actor.scope
    today = request.actor.today
    numbers = config()
    context: dict[str, object] = {
        "today": today,
        "is_staff_role": scope.superuser or scope.has_role(*STAFF_ROLES),
        "role_labels": [Role(role).label for role in sorted(scope.roles)],
    }
    if context["is_staff_role"]:
        context.update(dashboard_selectors.workbench_figures(actor=request.actor))
        context.update(dashboard_selectors.membership_todos(actor=request.actor))
        context.update(dashboard_selectors.workbench_entries(actor=request.actor))
        context["service"] = dashboard_selectors.service_todos(actor=request.actor)
        context["volunteering"] = volunteering_selectors.staff_todos(actor=request.actor)
        context["term_reminders"] = list(
            org_selectors.term_reminders(actor=request.actor, within_days=numbers.term_reminder_days)[:10]
        )
        context["probation_due"] = list(
            people_selectors.probation_due(actor=request.actor, within_days=numbers.probation_reminder_days)[:10]
        )
    context["notifications"] = notice_groups(notifications_inbox(actor=request.actor, unread_only=True, limit=100))[:5]
    if scope.person_id:
        me = people_selectors.person_for(actor=request.actor, pk=scope.person_id)
        context["me"] = me
        context["my_member"] = getattr(me, "member", None)
        context["my_requests"] = dashboard_selectors.own_service_requests(actor=request.actor)
        context["my_assigned"] = request_selectors.queue_counts(actor=request.actor)["mine"]
        context["my_sites"] = list(org_selectors.sites_for_region(actor=request.actor, region=me.region)[:2])
        context["number_views"] = people_selectors.number_views(actor=request.actor)
    if scope.has_role(Role.PARTNER_LIAISON):
        context["my_units"] = list(org_selectors.units(actor=request.actor))
    return render(request, "dashboard/workbench.html", context)


def _nodes(children: list, counts: dict[str, int]) -> list[dict[str, object]]:
    return [{"node": child, "count": counts.get(child.path, 0)} for child in children]


@require_GET
def org_tree(request: ActorRequest) -> HttpResponse:
    """The party organisation tree from the user's top nodes, two levels open, deeper on demand.
    A fixed number of queries: children and member counts of all top nodes at once."""
    actor = request.actor
    roots = list(org_selectors.org_roots(actor=actor))
    root_counts = people_selectors.member_counts(actor=actor, parents=roots, level=0)
    children = org_selectors.children_of(actor=actor, parents=roots)
    child_counts = people_selectors.member_counts(actor=actor, parents=roots)
    branches = [
        {"node": root, "count": root_counts.get(root.path, 0), "children": _nodes(children[root.pk], child_counts)}
        for root in roots
    ]
    return render(request, "dashboard/org_tree.html", {"branches": branches, "today": timezone.localdate()})


@require_GET
@vary_on_headers("HX-Request")
def org_detail(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    org = org_selectors.organization_for(actor=actor, pk=pk)
    children = org_selectors.org_children(actor=actor, parent=org)
    context = {
        "org": org,
        "children": _nodes(children, people_selectors.member_counts(actor=actor, parents=[org])),
        "today": timezone.localdate(),
    }
    if is_htmx(request):
        return render(request, "dashboard/org_tree.html#children", context)
    seats, former = people_selectors.committee(actor=actor, organization=org)
    context.update(
        {
            "ancestors": org_selectors.ancestors(actor=actor, node=org),
            "member_total": people_selectors.member_counts(actor=actor, parents=[org], level=0).get(org.path, 0),
            "seats": seats,
            "former_committees": former,
            "sites": org.sites.all(),
            "may_configure": allowed_loaded(actor, CONFIGURE, org),
        }
    )
    return render(request, "dashboard/org_detail.html", context)


@require_GET
def region_tree(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    roots = list(org_selectors.region_roots(actor=actor))
    children = org_selectors.children_of(actor=actor, parents=roots)
    counts = people_selectors.resident_counts(actor=actor, parents=roots)
    branches = [{"node": root, "children": _nodes(children[root.pk], counts)} for root in roots]
    return render(request, "dashboard/region_tree.html", {"branches": branches})


@require_GET
def region_detail(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    region = org_selectors.region_for(actor=actor, pk=pk)
    children = org_selectors.region_children(actor=actor, parent=region)
    context = {
        "region": region,
        "ancestors": org_selectors.ancestors(actor=actor, node=region),
        "children": _nodes(children, people_selectors.resident_counts(actor=actor, parents=[region])),
        "sites": org_selectors.sites_in(actor=actor, region=region),
        "organizations": org_selectors.organizations_serving(actor=actor, region=region),
        "may_configure": allowed_loaded(actor, CONFIGURE, region),
        "units": list(org_selectors.units_in(actor=actor, region=region)[:100]),
    }
    return render(request, "dashboard/region_detail.html", context)


@require_GET
def notifications(request: ActorRequest) -> HttpResponse:
    rows = list(notifications_inbox(actor=request.actor, limit=500))
    context = {"groups": notice_groups(rows), "unread": any(not n.read_at for n in rows)}
    return render(request, "dashboard/notifications.html", context)


@require_POST
def notifications_read(request: ActorRequest) -> HttpResponse:
    mark_read(actor=request.actor)
    return redirect("dashboard:notifications")


# Tree administration: the district or street admin (configure right over the node).


def _manage(request: ActorRequest, node: Region | Organization) -> HttpResponse:
    """Rename (and for an organisation: flags, 换届 term), add a node below, or move the node with
    its subtree. Each form posts its ``action``; errors show on the form that was sent."""
    actor = request.actor
    if not allowed(actor, CONFIGURE, node):
        raise Http404
    is_org = isinstance(node, Organization)
    action = request.POST.get("action") if request.method == "POST" else None
    bound = request.POST if request.method == "POST" else None
    edit_initial = {"name": node.name}
    if isinstance(node, Organization):
        edit_initial |= {
            field: getattr(node, field)
            for field in ("is_joint", "is_temporary", "is_functional", "term_started_on", "term_ends_on")
        }
    edit_form = (OrganizationForm if is_org else RenameForm)(
        bound if action == "edit" else None, initial=edit_initial, prefix="edit"
    )
    child_level = _level_below(node) if isinstance(node, Region) else None
    add_form: Any = None
    if isinstance(node, Organization) and node.kind != OrgKind.GROUP:
        add_form = NewOrganizationForm(bound if action == "add" else None, actor=actor, parent=node, prefix="add")
    elif child_level:
        add_form = NewRegionForm(bound if action == "add" else None, prefix="add")
    move_form = MoveForm(bound if action == "move" else None, actor=actor, node=node, prefix="move")
    close_form = CloseForm(bound if action == "close" else None, prefix="close")
    term_form: Any = None
    merge_form: Any = None
    if isinstance(node, Organization) and node.closed_on is None:
        merge_form = MergeForm(bound if action == "merge" else None, actor=actor, node=node, prefix="merge")
    if isinstance(node, Organization) and node.kind != OrgKind.GROUP and node.closed_on is None:
        term_form = TermForm(bound if action == "term" else None, actor=actor, organization=node, prefix="term")
    done: Any = None
    if action == "edit":
        data_of = (lambda data: {k: data[k] for k in edit_initial}) if is_org else (lambda data: {"name": data["name"]})
        done = submit(
            request,
            edit_form,
            lambda data: tree_services.update_node(actor=actor, node=node, data=data_of(data), reason=data["reason"]),
            success=_("The changes have been saved."),
        )
    elif action == "add" and add_form is not None:
        if isinstance(node, Organization):
            done = submit(
                request,
                add_form,
                lambda data: tree_services.add_organization(
                    actor=actor,
                    parent=node,
                    name=data["name"],
                    code=data["code"],
                    kind=data["kind"],
                    region=data["region"],
                    is_joint=data["is_joint"],
                    is_temporary=data["is_temporary"],
                    is_functional=data["is_functional"],
                ),
                success=_("%(name)s has been added.") % {"name": request.POST.get("add-name", "")},
            )
        else:
            done = submit(
                request,
                add_form,
                lambda data: tree_services.add_region(
                    actor=actor, parent=node, name=data["name"], code=data["code"], level=str(child_level)
                ),
                success=_("%(name)s has been added.") % {"name": request.POST.get("add-name", "")},
            )
    elif action == "move":
        done = submit(
            request,
            move_form,
            lambda data: tree_services.move_node(
                actor=actor, node=node, new_parent=data["new_parent"], reason=data["reason"]
            ),
            success=_("Moved. Figures on dates before today still count it where it was."),
        )
    elif action == "term" and term_form is not None:
        done = submit(
            request,
            term_form,
            lambda data: people_services.record_term(
                actor=actor,
                organization=node,  # type: ignore[arg-type]
                started_on=data["started_on"],
                ends_on=data["ends_on"],
                secretary=data["secretary"],
                deputies=data["deputies"],
                members=data["members"],
                reason=data["reason"],
            ),
            success=_("The new committee is recorded; the former one's seats ended on the day of the election."),
        )
    elif action == "merge" and merge_form is not None:
        merged = submit(
            request,
            merge_form,
            lambda data: tree_services.merge_organization(
                actor=actor,
                source=node,  # type: ignore[arg-type]
                target=data["target"],
                reason=data["reason"],
            ),
        )
        if merged:
            target = merge_form.cleaned_data["target"]
            messages.success(request, _merged_text(target.name, merged.value or {}))
            return redirect("dashboard:org_detail", pk=target.pk)
    elif action == "close":
        done = submit(
            request,
            close_form,
            lambda data: tree_services.close_node(actor=actor, node=node, reason=data["reason"]),
            success=_("Dissolved. Its records and history are kept.")
            if is_org
            else _("Retired. Its records and history are kept."),
        )
    if done:
        detail = "dashboard:org_detail" if is_org else "dashboard:region_detail"
        return redirect(detail, pk=node.pk)
    context = {
        "node": node,
        "is_org": is_org,
        "ancestors": org_selectors.ancestors(actor=actor, node=node),
        "edit_form": edit_form,
        "add_form": add_form,
        "child_level": RegionLevel(child_level).label if child_level else "",
        "move_form": move_form,
        "close_form": close_form,
        "term_form": term_form,
        "merge_form": merge_form,
    }
    return render(request, "dashboard/node_manage.html", context)


def _merged_text(target: str, moved: dict[str, int]) -> str:
    parts = [
        text % {"n": moved[what]}
        for what, text in (
            ("members", ngettext("%(n)s member", "%(n)s members", moved.get("members", 0))),
            (
                "organizations",
                ngettext("%(n)s organisation below", "%(n)s organisations below", moved.get("organizations", 0)),
            ),
            ("candidates", ngettext("%(n)s candidate", "%(n)s candidates", moved.get("candidates", 0))),
            ("sites", ngettext("%(n)s service site", "%(n)s service sites", moved.get("sites", 0))),
        )
        if moved.get(what)
    ]
    if not parts:
        return _("Merged into %(target)s; it had nothing to move. It is dissolved and kept with its history.") % {
            "target": target
        }
    return _("Merged into %(target)s: %(moved)s moved there. It is dissolved and kept with its history.") % {
        "target": target,
        "moved": pgettext("enumeration", ", ").join(parts),
    }


def _level_below(region: Region) -> str | None:
    levels = [str(each) for each in REGION_LEVEL_ORDER]
    index = levels.index(region.level)
    return levels[index + 1] if index + 1 < len(levels) else None


@require_http_methods(["GET", "POST"])
def org_manage(request: ActorRequest, pk: int) -> HttpResponse:
    return _manage(request, org_selectors.organization_for(actor=request.actor, pk=pk))


@require_http_methods(["GET", "POST"])
def region_manage(request: ActorRequest, pk: int) -> HttpResponse:
    return _manage(request, org_selectors.region_for(actor=request.actor, pk=pk))


# Service sites, rooms and resident units of an area (configure right over the area).


def _configured_region(request: ActorRequest, pk: int) -> Region:
    region = org_selectors.region_for(actor=request.actor, pk=pk)
    if not allowed_loaded(request.actor, CONFIGURE, region):
        raise Http404
    return region


_SITE_FIELDS = ("name", "organization", "address", "phone", "opening_hours")
_ROOM_FIELDS = ("name", "capacity", "equipment", "opening_hours", "is_bookable")
_UNIT_FIELDS = ("name", "kind", "address", "contact_phone")


@require_http_methods(["GET", "POST"])
def site_new(request: ActorRequest, pk: int) -> HttpResponse:
    region = _configured_region(request, pk)
    form = ServiceSiteForm(request.POST or None, actor=request.actor, region=region)
    saved = submit(
        request,
        form,
        lambda data: tree_services.save_site(
            actor=request.actor, region=region, data={k: data[k] for k in _SITE_FIELDS}
        ),
        success=_("The service site has been saved. Add its rooms below."),
    )
    if saved.value is not None:
        return redirect("dashboard:site_manage", pk=saved.value.pk)
    return render(
        request, "dashboard/record_form.html", {"form": form, "region": region, "title": _("New service site")}
    )


@require_http_methods(["GET", "POST"])
def site_manage(request: ActorRequest, pk: int) -> HttpResponse:
    """A service site: its details, and its rooms (add one, change one)."""
    site = org_selectors.site_for(actor=request.actor, pk=pk)
    region = _configured_region(request, site.region_id)
    actor = request.actor
    action = request.POST.get("action") if request.method == "POST" else None
    site_form = ServiceSiteForm(
        request.POST if action == "site" else None,
        actor=actor,
        region=region,
        initial={field: getattr(site, field) for field in _SITE_FIELDS},
        prefix="site",
    )
    room_form = RoomForm(request.POST if action == "room" and not request.POST.get("room") else None, prefix="room")
    rooms = list(site.rooms.order_by("name"))
    room_forms = {
        room.pk: RoomForm(
            request.POST if action == "room" and request.POST.get("room") == str(room.pk) else None,
            initial={field: getattr(room, field) for field in _ROOM_FIELDS},
            prefix=f"room{room.pk}",
        )
        for room in rooms
    }
    done: Any = None
    if action == "site":
        done = submit(
            request,
            site_form,
            lambda data: tree_services.save_site(
                actor=actor, region=region, site=site, data={k: data[k] for k in _SITE_FIELDS}
            ),
            success=_("The changes have been saved."),
        )
    elif action == "room":
        chosen = request.POST.get("room")
        room = next((each for each in rooms if str(each.pk) == chosen), None)
        if chosen and room is None:
            raise Http404
        form = room_forms[room.pk] if room is not None else room_form
        done = submit(
            request,
            form,
            lambda data: tree_services.save_room(
                actor=actor, site=site, room=room, data={k: data[k] for k in _ROOM_FIELDS}
            ),
            success=_("The room has been saved."),
        )
    if done:
        return redirect("dashboard:site_manage", pk=site.pk)
    context = {
        "site": site,
        "region": region,
        "site_form": site_form,
        "room_form": room_form,
        "rooms": [(room, room_forms[room.pk]) for room in rooms],
    }
    return render(request, "dashboard/site_manage.html", context)


@require_http_methods(["GET", "POST"])
def unit_new(request: ActorRequest, pk: int) -> HttpResponse:
    region = _configured_region(request, pk)
    form = ResidentUnitForm(request.POST or None)
    saved = submit(
        request,
        form,
        lambda data: tree_services.save_unit(
            actor=request.actor, region=region, data={k: data[k] for k in _UNIT_FIELDS}
        ),
        success=_("The resident unit has been saved. Give its liaison an account under Staff accounts."),
    )
    if saved.value is not None:
        return redirect("dashboard:region_detail", pk=region.pk)
    return render(
        request, "dashboard/record_form.html", {"form": form, "region": region, "title": _("New resident unit")}
    )


@require_http_methods(["GET", "POST"])
def unit_edit(request: ActorRequest, pk: int) -> HttpResponse:
    unit = org_selectors.unit_for(actor=request.actor, pk=pk)
    region = _configured_region(request, unit.region_id)
    closing = request.method == "POST" and "close-reason" in request.POST
    form = ResidentUnitForm(
        None if closing else request.POST or None, initial={field: getattr(unit, field) for field in _UNIT_FIELDS}
    )
    close_form = CloseForm(request.POST if closing else None, prefix="close")
    if closing:
        closed = submit(
            request,
            close_form,
            lambda data: tree_services.close_unit(actor=request.actor, unit=unit, reason=data["reason"]),
            success=_("%(unit)s is closed; its history stays.") % {"unit": unit.name},
        )
    else:
        closed = submit(
            request,
            form,
            lambda data: tree_services.save_unit(
                actor=request.actor, region=region, unit=unit, data={k: data[k] for k in _UNIT_FIELDS}
            ),
            success=_("The changes have been saved."),
        )
    if closed:
        return redirect("dashboard:region_detail", pk=region.pk)
    context = {"form": form, "region": region, "title": unit.name, "unit": unit, "close_form": close_form}
    return render(request, "dashboard/record_form.html", context)
