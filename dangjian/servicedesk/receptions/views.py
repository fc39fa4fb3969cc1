"""党代表接访 pages: staff schedule receptions and turn what residents raise into requests;
residents see upcoming receptions and book a place (with or without an account)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.access import CREATE, restrict
from dangjian.core.actors import ActorRequest
from dangjian.core.validators import parse_id
from dangjian.core.views import perform, submit
from dangjian.orgs.models import Region, RegionLevel
from dangjian.servicedesk.forms import BookingForm, ReceptionForm
from dangjian.servicedesk.models import ReceptionBooking, ReceptionSession, ServiceCategory
from dangjian.servicedesk.permissions import require_staff
from dangjian.servicedesk.portal.views import over_anonymous_limit
from dangjian.servicedesk.receptions import selectors as reception_selectors
from dangjian.servicedesk.receptions import services as reception_services


@require_http_methods(["GET", "POST"])
def receptions(request: ActorRequest) -> HttpResponse:
    """The receptions of the user's communities; users who may create records schedule new ones."""
    require_staff(request.actor)
    can_create = request.actor.scope.can(CREATE)
    form = None
    if can_create:
        communities = restrict(Region.objects.filter(level=RegionLevel.COMMUNITY), request.actor, CREATE)
        representatives = reception_selectors.representative_choices(actor=request.actor)
        form = ReceptionForm(request.POST or None, communities=communities, representatives=representatives)
        scheduled = submit(
            request,
            form,
            lambda data: reception_services.session_create(actor=request.actor, **data),
            success=_("The reception is scheduled; residents can book it now."),
        )
        if scheduled.value is not None:
            return redirect("servicedesk:reception", pk=scheduled.value.pk)
    elif request.method == "POST":
        raise Http404
    context = {"rows": reception_selectors.receptions_for(actor=request.actor), "form": form}
    return render(request, "servicedesk/receptions/list.html", context)


@require_GET
def reception(request: ActorRequest, pk: int) -> HttpResponse:
    session = reception_selectors.reception_for(actor=request.actor, pk=pk)
    context = {
        "session": session,
        "bookings": reception_selectors.bookings(session),
        "categories": ServiceCategory.objects.filter(is_active=True).order_by("family", "sort_order"),
        "default_category": reception_services.RECEPTION_CATEGORY,
    }
    return render(request, "servicedesk/receptions/detail.html", context)


@require_POST
def reception_cancel(request: ActorRequest, pk: int) -> HttpResponse:
    session = reception_selectors.reception_for(actor=request.actor, pk=pk)
    perform(
        request,
        lambda: reception_services.session_cancel(
            actor=request.actor, session=session, reason=request.POST.get("reason", "")
        ),
        success=_("The reception is cancelled."),
    )
    return redirect("servicedesk:reception", pk=pk)


@require_POST
def booking_raise(request: ActorRequest, pk: int, booking_pk: int) -> HttpResponse:
    session = reception_selectors.reception_for(actor=request.actor, pk=pk)
    booking = get_object_or_404(ReceptionBooking, pk=booking_pk, session=session)
    category = ServiceCategory.objects.filter(pk=parse_id(request.POST.get("category")) or 0, is_active=True).first()
    raised = perform(
        request,
        lambda: reception_services.booking_raise(
            actor=request.actor,
            booking=booking,
            category=category,
            description=request.POST.get("description", "").strip(),
        ),
    )
    if raised.value is not None:
        messages.success(request, _("Request %(number)s recorded.") % {"number": raised.value.number})
    return redirect("servicedesk:reception", pk=pk)


def _public_page(
    request: ActorRequest, *, bound: BookingForm | None = None, bound_pk: int | None = None, status: int = 200
) -> HttpResponse:
    """Upcoming receptions with a booking form each (ids prefixed by the reception, so that the
    labels of one form never point at another's fields); a refused booking keeps what was typed."""
    anonymous = not (request.user.is_authenticated and request.actor.scope.person_id)
    rows: list[Any] = reception_selectors.upcoming_receptions()  # each row gets its booking form below
    if bound is not None and not any(row.pk == bound_pk and row.left for row in rows):
        # Its reception filled, started or was cancelled meanwhile: the form is not shown again,
        # so its errors go to the messages.
        for field, errors in bound.errors.items():
            for error in errors:
                messages.error(request, str(error) if field == "__all__" else f"{bound.fields[field].label}：{error}")
    for row in rows:
        prefix = f"r{row.pk}-%s"
        row.form = (
            bound if bound is not None and row.pk == bound_pk else BookingForm(anonymous=anonymous, auto_id=prefix)
        )
    context = {
        "rows": rows,
        "mine": reception_selectors.own_bookings(actor=request.actor) if request.user.is_authenticated else [],
    }
    return render(request, "servicedesk/receptions/public.html", context, status=status)


@login_not_required
@require_GET
def public_receptions(request: ActorRequest) -> HttpResponse:
    """Upcoming receptions anyone may book (who, when, where, places left), and one's bookings."""
    return _public_page(request)


@login_not_required
@require_POST
def book(request: ActorRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(ReceptionSession, pk=pk)
    anonymous = not (request.user.is_authenticated and request.actor.scope.person_id)
    form = BookingForm(request.POST, anonymous=anonymous, auto_id=f"r{pk}-%s")
    if anonymous and over_anonymous_limit(request):
        return render(request, "servicedesk/portal/limited.html", status=429)
    if submit(
        request,
        form,
        lambda data: reception_services.booking_create(actor=request.actor, session=session, **data),
        success=_("Your place is booked. Please come on time; bring any papers that help."),
    ):
        return redirect("portal:receptions")
    # The form comes back with what was typed and its errors (or, if its reception is gone, the
    # errors come as messages).
    return _public_page(request, bound=form, bound_pk=pk, status=400)


@require_POST
def booking_cancel(request: ActorRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(ReceptionBooking, pk=pk, person_id=request.actor.scope.person_id or -1)
    perform(
        request,
        lambda: reception_services.booking_cancel(actor=request.actor, booking=booking),
        success=_("Your booking is cancelled."),
    )
    return redirect("portal:receptions")
