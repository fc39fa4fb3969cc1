"""Service catalogue and business calendar pages. Both apply to the whole district: only those who
may change them (selectors.may_configure) get the edit pages (404 for anyone else) and see the
links to them."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.actors import ActorRequest
from dangjian.core.models import CalendarDay
from dangjian.core.validators import parse_id
from dangjian.core.views import perform, submit
from dangjian.phrases import selectors as phrase_selectors
from dangjian.servicedesk.catalogue import selectors, services
from dangjian.servicedesk.forms import CalendarDayForm, CategoryForm
from dangjian.servicedesk.models import ServiceCategory


@require_GET
def catalogue(request: ActorRequest) -> HttpResponse:
    can_configure = selectors.may_configure(actor=request.actor)
    context = {
        "families": selectors.catalogue(include_inactive=can_configure),
        "can_configure": can_configure,
        "can_edit_phrases": phrase_selectors.may_edit(actor=request.actor),
    }
    return render(request, "servicedesk/catalogue.html", context)


def _require_configure(request: ActorRequest) -> None:
    if not selectors.may_configure(actor=request.actor):
        raise Http404


@require_http_methods(["GET", "POST"])
def category_edit(request: ActorRequest, pk: int | None = None) -> HttpResponse:
    _require_configure(request)
    category = get_object_or_404(ServiceCategory, pk=pk) if pk else None
    initial = {}
    if category is not None:
        initial = {f: getattr(category, f) for f in services.FIELDS}
        initial.update({"skills": list(category.skills.all()), "version": category.version})
    form = CategoryForm(request.POST or None, initial=initial, editing=category is not None)
    saved = submit(
        request,
        form,
        lambda data: (
            services.category_create(actor=request.actor, data=data)
            if category is None
            else services.category_update(
                actor=request.actor, category=category, data=data, expected_version=data.get("version") or 0
            )
        ),
    )
    if saved.value is not None:
        messages.success(request, _("The service “%(name)s” has been saved.") % {"name": saved.value.name})
        return redirect("servicedesk:catalogue")
    return render(request, "servicedesk/category_form.html", {"form": form, "category": category})


@require_http_methods(["GET", "POST"])
def business_calendar(request: ActorRequest) -> HttpResponse:
    """The business calendar of a year and the admins' corrections of it."""
    _require_configure(request)
    year_text = request.GET.get("year", "")
    year = parse_id(year_text) or 0  # a whole number; the range is checked next
    year = year if 2000 <= year <= 2100 else timezone.localdate().year
    form = CalendarDayForm(request.POST or None)
    recorded = submit(
        request,
        form,
        lambda data: services.calendar_set_day(
            actor=request.actor, day=data["day"], is_workday=data["is_workday"], note=data["note"]
        ),
    )
    if recorded.value is not None:
        day = recorded.value.day
        messages.success(request, _("%(day)s has been recorded.") % {"day": day.isoformat()})
        return redirect(f"{request.path}?year={day.year}")
    context = {"form": form, "overview": selectors.calendar_overview(year=year), "years": [year - 1, year, year + 1]}
    return render(request, "servicedesk/calendar.html", context)


@require_POST
def calendar_clear(request: ActorRequest, pk: int) -> HttpResponse:
    _require_configure(request)
    entry = get_object_or_404(CalendarDay, pk=pk)
    perform(
        request,
        lambda: services.calendar_clear_day(actor=request.actor, entry=entry),
        success=_("The correction has been removed."),
    )
    return redirect(f"{reverse('servicedesk:calendar')}?year={entry.day.year}")
