"""Pages of the roster."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from dangjian.core.access import CHANGE, CREATE, EXPORT, UNMASK, allowed
from dangjian.core.actors import ActorRequest
from dangjian.core.forms import offered
from dangjian.core.views import form_errors_to_messages, is_htmx, perform, start_list_export, submit
from dangjian.membership.forms import MemberCreateForm, MemberForm, MemberStatusForm, member_filters
from dangjian.membership.roster import exports, selectors, services


def _wide(request: ActorRequest) -> bool:
    scope = request.actor.scope
    return scope.has_role("district_admin") or scope.superuser


@vary_on_headers("HX-Request")
def member_list(request: ActorRequest) -> HttpResponse:
    form, filters, params = member_filters(request.GET, actor=request.actor, wide=_wide(request))
    page = selectors.member_page(actor=request.actor, filters=filters, number=request.GET.get("page"))
    rows = list(page.object_list)
    visible = (
        selectors.visible_member_ids(actor=request.actor, ids=[m.pk for m in rows])
        if filters.on
        else {m.pk for m in rows}
    )
    query = params.copy()
    query.pop("page", None)
    scope = request.actor.scope
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "visible": visible,
        "filters": filters,
        "query": query.urlencode(),
        "can_export": scope.can(EXPORT),
        "can_unmask": scope.can(UNMASK),
        "can_create": scope.can(CREATE),
    }
    template = "membership/member_list.html#results" if is_htmx(request) else "membership/member_list.html"
    return render(request, template, context)


def composition(request: ActorRequest) -> HttpResponse:
    """Charts of the roster as filtered; every bar links to the members behind it."""
    form, filters, params = member_filters(request.GET, actor=request.actor, wide=_wide(request))
    data = selectors.composition(actor=request.actor, filters=filters)
    query = params.copy()
    base = reverse("membership:list")
    for chart in data["charts"]:
        for bar in chart["bars"]:
            link = query.copy()
            link[chart["dimension"]] = bar["key"]
            link.pop("page", None)
            bar["url"] = f"{base}?{link.urlencode()}"
    context = {"form": form, "filters": filters, "data": data, "query": query.urlencode()}
    return render(request, "membership/composition.html", context)


def member_detail(request: ActorRequest, pk: int) -> HttpResponse:
    member = selectors.member_for(actor=request.actor, pk=pk)
    context = {
        "member": member,
        "person": member.person,
        "placements": list(selectors.member_placements(member=member)),
        "status_changes": list(selectors.member_status_changes(member=member)),
        "specialties": list(member.specialties.all()),
        "timeline": selectors.member_timeline(member=member),
        "can_change": allowed(request.actor, CHANGE, member),
        "status_form": MemberStatusForm(initial={"status": member.status}),
    }
    return render(request, "membership/member_detail.html", context)


@require_http_methods(["GET", "POST"])
def member_edit(request: ActorRequest, pk: int) -> HttpResponse:
    member = selectors.member_for(actor=request.actor, pk=pk, action=CHANGE)
    initial = {
        "stage": member.stage,
        "category": member.category,
        "applied_on": member.applied_on,
        "joined_on": member.joined_on,
        "full_on": member.full_on,
        "specialties": list(member.specialties.all()),
        "version": member.version,
    }
    form = MemberForm(request.POST or None, initial=initial)
    saved = submit(
        request,
        form,
        lambda data: services.member_update(
            actor=request.actor,
            member=member,
            expected_version=data["version"],
            reason=data.get("reason", ""),
            data={k: v for k, v in data.items() if k not in ("reason", "version")},
        ),
        success=_("The changes have been saved."),
    )
    if saved:
        return redirect("membership:detail", pk=member.pk)
    return render(request, "membership/member_form.html", {"form": form, "member": member})


@require_POST
def member_status(request: ActorRequest, pk: int) -> HttpResponse:
    member = selectors.member_for(actor=request.actor, pk=pk, action=CHANGE)
    form = MemberStatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        perform(
            request,
            lambda: services.member_change_status(
                actor=request.actor,
                member=member,
                status=data["status"],
                effective_on=data["effective_on"],
                reason=data["reason"],
            ),
            success=_("The membership status has been changed."),
        )
    else:
        form_errors_to_messages(request, form)
    return redirect("membership:detail", pk=member.pk)


@require_POST
def member_export(request: ActorRequest) -> HttpResponse:
    return start_list_export(request, exports.roster_export_start)


@require_http_methods(["GET", "POST"])
def member_new(request: ActorRequest) -> HttpResponse:
    """Record the membership of a registered person (from the paper files)."""
    form = MemberCreateForm(request.POST or None, actor=request.actor)
    if not offered(form, "organization").exists():
        raise Http404
    created = submit(
        request,
        form,
        lambda data: services.member_create(
            actor=request.actor, person=data["person"], organization=data["organization"], data=data
        ),
    )
    if created.value is not None:
        name = created.value.person.name
        messages.success(request, _("%(name)s has been recorded as a party member.") % {"name": name})
        return redirect("membership:detail", pk=created.value.pk)
    return render(request, "membership/member_new.html", {"form": form})
