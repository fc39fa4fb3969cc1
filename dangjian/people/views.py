"""People pages: parse the request, call a selector or service, render. Nothing else."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from dangjian.core.access import CHANGE, CREATE, EXPORT, UNMASK, allowed
from dangjian.core.actors import ActorRequest
from dangjian.core.models import UnmaskPurpose
from dangjian.core.validators import id_birth_date, id_gender, validate_id_number, validate_mobile
from dangjian.core.views import is_htmx, perform, start_list_export, submit
from dangjian.people import exports, selectors, services
from dangjian.people.forms import HouseholdFilterForm, PersonForm, StatusForm, people_filters
from dangjian.people.models import Gender, Person


@vary_on_headers("HX-Request")
def person_list(request: ActorRequest) -> HttpResponse:
    scope = request.actor.scope
    wide = scope.has_role("district_admin") or scope.superuser
    form, filters, params = people_filters(request.GET, actor=request.actor, wide=wide)
    page = selectors.people_page(actor=request.actor, filters=filters, number=request.GET.get("page"))
    query = params.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "can_create": scope.can(CREATE),
        "can_export": scope.can(EXPORT),
        "can_unmask": scope.can(UNMASK),
    }
    template = "people/person_list.html#results" if is_htmx(request) else "people/person_list.html"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
def household_list(request: ActorRequest) -> HttpResponse:
    """家庭户: the households in the user's area, by community or grid and address, each with the
    people living there."""
    form = HouseholdFilterForm(request.GET or None, actor=request.actor)
    filters = form.filters()
    page = selectors.households_page(actor=request.actor, filters=filters, number=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "filters": filters, "query": query.urlencode()}
    template = "people/household_list.html#results" if is_htmx(request) else "people/household_list.html"
    return render(request, template, context)


def person_detail(request: ActorRequest, pk: int) -> HttpResponse:
    person = selectors.person_for(actor=request.actor, pk=pk)
    context = {
        "person": person,
        "member": getattr(person, "member", None),
        "tags": list(person.tags.all()),
        "household": selectors.household_members(actor=request.actor, person=person),
        "timeline": selectors.person_timeline(person=person, for_self=person.pk == request.actor.person_id),
        "can_change": allowed(request.actor, CHANGE, person),
        "can_unmask": allowed(request.actor, UNMASK, person),
        "purposes": UnmaskPurpose.choices,
        "status_form": StatusForm(initial={"status": person.status}),
    }
    return render(request, "people/person_detail.html", context)


def _registered(request: ActorRequest, form: PersonForm, person: Person | None = None) -> Person | None:
    """After an ID number was refused: the person it is recorded for, if the user may see them
    (the page links to their record; for anyone else the refusal names no one)."""
    number = str(form.data.get("id_number", "")).strip()
    if not number or not form.has_error("id_number"):
        return None
    filters = selectors.PeopleFilters(q=number, status="")
    found = selectors.people_list(actor=request.actor, filters=filters)
    if person is not None:
        found = found.exclude(pk=person.pk)
    return found.first()


@require_http_methods(["GET", "POST"])
def person_create(request: ActorRequest) -> HttpResponse:
    if not request.actor.scope.can(CREATE):
        raise Http404
    form = PersonForm(request.POST or None, actor=request.actor)
    created = submit(
        request, form, lambda _cleaned: services.person_create(actor=request.actor, data=form.service_data())
    )
    if created.value is not None:
        messages.success(request, _("%(name)s has been registered.") % {"name": created.value.name})
        return redirect("people:detail", pk=created.value.pk)
    context = {"form": form, "creating": True, "registered": _registered(request, form)}
    return render(request, "people/person_form.html", context)


def _kept_numbers(data: dict[str, object]) -> dict[str, object]:
    """The ID and phone fields start empty: leaving them empty keeps the stored numbers."""
    return {k: v for k, v in data.items() if k not in ("id_number", "phone") or v}


@require_http_methods(["GET", "POST"])
def person_edit(request: ActorRequest, pk: int) -> HttpResponse:
    person = selectors.person_for(actor=request.actor, pk=pk, action=CHANGE)
    initial = {
        "name": person.name,
        "gender": person.gender,
        "birth_date": person.birth_date,
        "ethnicity": person.ethnicity,
        "education": person.education,
        "region": person.region,
        "address": person.address,
        "household_address": person.household.address if person.household_id and person.household else "",
        "tags": list(person.tags.all()),
        "notes": person.notes,
        "version": person.version,
    }
    form = PersonForm(request.POST or None, actor=request.actor, editing=True, initial=initial)
    saved = submit(
        request,
        form,
        lambda data: services.person_update(
            actor=request.actor,
            person=person,
            data=_kept_numbers(form.service_data()),
            expected_version=data.get("version") or 0,
            reason=data.get("reason", ""),
        ),
        success=_("The changes have been saved."),
    )
    if saved:
        return redirect("people:detail", pk=person.pk)
    context = {"form": form, "person": person, "creating": False, "registered": _registered(request, form, person)}
    return render(request, "people/person_form.html", context)


@require_POST
def person_status(request: ActorRequest, pk: int) -> HttpResponse:
    person = selectors.person_for(actor=request.actor, pk=pk, action=CHANGE)
    form = StatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        perform(
            request,
            lambda: services.person_change_status(
                actor=request.actor, person=person, status=data["status"], reason=data["reason"]
            ),
            success=_("The status has been changed."),
        )
    else:
        messages.error(request, _("Choose a status and give a reason."))
    return redirect("people:detail", pk=person.pk)


@require_POST
def person_reveal(request: ActorRequest, pk: int, field: str) -> HttpResponse:
    """Show one full number, for a stated purpose; logged. An htmx request gets just the number
    (or the form again, saying what is missing)."""
    if field not in ("id_number", "phone"):
        raise Http404
    person = selectors.person_for(actor=request.actor, pk=pk, action=UNMASK)
    purpose = request.POST.get("purpose", "")
    if purpose not in UnmaskPurpose.values:
        error = _("Say why you need the full number.")
        if is_htmx(request):
            masked = person.id_number_masked if field == "id_number" else person.phone_masked
            context = {
                "person": person,
                "field": field,
                "masked": masked,
                "can_unmask": True,
                "purposes": UnmaskPurpose.choices,
                "purpose_error": error,
            }
            return render(request, "people/person_detail.html#number", context)
        messages.error(request, error)
        return redirect("people:detail", pk=person.pk)
    revealed = perform(
        request, lambda: services.person_reveal(actor=request.actor, person=person, field=field, purpose=purpose)
    )
    context = {"person": person, "field": field, "value": revealed.value}
    if is_htmx(request):
        return render(request, "people/person_detail.html#revealed", context)
    return render(request, "people/person_revealed.html", context)


@require_POST
def validate_field(request: ActorRequest) -> HttpResponse:
    """Inline validation of the ID number or mobile while typing (htmx); the service checks again on save."""
    field = request.POST.get("field", "")
    value = request.POST.get(field, "")
    context: dict[str, object] = {"field": field, "error": "", "hint": ""}
    if value.strip():
        try:
            if field == "id_number":
                number = validate_id_number(value)
                context["hint"] = _("Born %(date)s · %(gender)s") % {
                    "date": id_birth_date(number).isoformat(),  # type: ignore[union-attr]
                    "gender": Gender(id_gender(number)).label,
                }
            elif field == "phone":
                validate_mobile(value)
            else:
                raise Http404
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
    return render(request, "people/person_form.html#field_feedback", context)


@require_POST
def person_export(request: ActorRequest) -> HttpResponse:
    """Start an .xlsx export of the list as currently filtered; the job page shows its progress."""
    return start_list_export(request, exports.people_export_start)
