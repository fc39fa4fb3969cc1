"""Activity pages: the list (what one may join, and an organiser's area), publishing, one activity
(sign up or give the place up; for the organiser: who signed up, who came, the check-in code,
signing up someone who walks in), checking in by the code, and the public list of upcoming
activities open to everyone (for visitors without an account)."""

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from dangjian.activities import selectors, services
from dangjian.activities.forms import ActivityForm, CancelForm, FeedbackForm, OutcomeForm
from dangjian.activities.models import SignUp, SignUpState
from dangjian.core.access import CREATE, restrict
from dangjian.core.actors import ActorRequest
from dangjian.core.forms import SiteForm
from dangjian.core.qr import qr_svg
from dangjian.core.views import is_htmx, perform, submit


@require_GET
def activity_list(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    when = request.GET.get("when", "upcoming")
    filters = selectors.ActivityFilters(when=when if when in ("upcoming", "past", "") else "upcoming")
    sees_area = actor.scope.sees_trees
    context = {
        "open": selectors.open_to_me(actor=actor),
        "mine": selectors.my_sign_ups(actor=actor),
        "page": selectors.activities_page(actor=actor, filters=filters, number=request.GET.get("page"))
        if sees_area
        else None,
        "filters": filters,
        "query": f"when={filters.when}",
        "can_create": actor.scope.can(CREATE),
    }
    return render(request, "activities/activity_list.html", context)


@require_http_methods(["GET", "POST"])
def activity_new(request: ActorRequest) -> HttpResponse:
    if not request.actor.scope.can(CREATE):
        raise Http404
    form = ActivityForm(request.POST or None, actor=request.actor)
    created = submit(
        request,
        form,
        lambda data: services.activity_create(actor=request.actor, **data),
        success=_("The activity is published; the people of the community can sign up."),
    )
    if created.value is not None:
        return redirect("activities:detail", pk=created.value.pk)
    return render(request, "activities/activity_form.html", {"form": form})


@require_GET
def activity_detail(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    activity = selectors.activity_for(actor=actor, pk=pk)
    organiser = selectors.may_organise(actor=actor, activity=activity)
    mine = selectors.own_sign_up(actor=actor, activity=activity)
    context = {
        "activity": activity,
        "organiser": organiser,
        "mine": mine,
        "position": selectors.waitlist_position(mine) if mine and mine.state == SignUpState.WAITLISTED else None,
        "may_sign_up": mine is None and services.may_sign_up_self(actor=actor, activity=activity),
        "sign_ups": selectors.sign_ups_of(actor=actor, activity=activity) if organiser else [],
        "counts": selectors.counts_of(activity=activity),
        "cancel_form": CancelForm() if organiser else None,
        "walk_in_open": organiser and services.walk_in_open(actor=actor, activity=activity),
        "now": actor.now,
        "check_in_open": actor.now >= activity.starts_at - services.CHECK_IN_EARLY,
        "feedback": selectors.feedback_summary(actor=actor, activity=activity) if organiser else None,
        "outcome_form": OutcomeForm(initial={"outcome": activity.outcome})
        if organiser and actor.now >= activity.starts_at
        else None,
    }
    if mine is not None and mine.checked_in_at is not None and actor.now >= activity.starts_at:
        given = selectors.own_feedback(actor=actor, activity=activity)
        context["own_feedback"] = given
        if given is None and actor.now <= activity.ends_at + dt.timedelta(days=services.FEEDBACK_DAYS):
            context["feedback_form"] = FeedbackForm()
    return render(request, "activities/activity_detail.html", context)


@require_POST
def activity_sign_up(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    activity = selectors.activity_for(actor=actor, pk=pk)
    person = selectors.own_person(actor=actor)
    if person is None:
        raise Http404
    done = perform(request, lambda: services.sign_up(actor=actor, activity=activity, person=person))
    if done.value is not None:
        if done.value.state == SignUpState.CONFIRMED:
            messages.success(request, _("You are signed up."))
        else:
            messages.success(
                request, _("All places are taken: you are on the waitlist and will be told if a place comes free.")
            )
    return redirect("activities:detail", pk=activity.pk)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def walk_in(request: ActorRequest, pk: int) -> HttpResponse:
    """The organiser signs up someone who walks in: find them by name (GET ``q``; an htmx request
    gets the results alone), then sign them up (POST ``person``), until the activity ends."""
    actor = request.actor
    activity = selectors.activity_for(actor=actor, pk=pk)
    if not selectors.may_organise(actor=actor, activity=activity):
        raise Http404
    if request.method == "POST":
        query = request.POST.get("q", "")[:50]
        again = reverse("activities:walk_in", args=[activity.pk]) + ("?" + urlencode({"q": query}) if query else "")
        person = selectors.walk_in_person(actor=actor, pk=request.POST.get("person"))
        if person is None:
            messages.error(request, _("Choose the person to sign up from the search results."))
            return redirect(again)
        done = perform(request, lambda: services.sign_up(actor=actor, activity=activity, person=person))
        if done.value is None:
            return redirect(again)
        if done.value.state == SignUpState.CONFIRMED:
            messages.success(request, _("%(name)s is signed up and has a place.") % {"name": person.name})
        else:
            messages.success(
                request,
                _("All places are taken: %(name)s is number %(position)s on the waitlist.")
                % {"name": person.name, "position": selectors.waitlist_position(done.value)},
            )
        return redirect(reverse("activities:detail", args=[activity.pk]) + "#sign-ups")
    query = request.GET.get("q", "")[:50]
    context = {
        "activity": activity,
        "q": query,
        "people": selectors.walk_in_candidates(actor=actor, activity=activity, query=query),
        "open": services.walk_in_open(actor=actor, activity=activity),
    }
    template = "activities/walk_in.html#found" if is_htmx(request) else "activities/walk_in.html"
    return render(request, template, context)


@login_not_required
@require_GET
def public_list(request: ActorRequest) -> HttpResponse:
    """Upcoming activities open to everyone, for residents without an account (mobile-first)."""
    community = selectors.public_community(request.GET.get("community"))
    context = {
        "rows": selectors.public_upcoming(actor=request.actor, community=community),
        "community": community,
        "communities": selectors.public_communities(),
        "now": request.actor.now,
    }
    return render(request, "activities/public_list.html", context)


def _sign_up_for(request: ActorRequest, pk: int) -> SignUp:
    row = restrict(SignUp.objects.select_related("activity", "person"), request.actor).filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


@require_POST
def sign_up_cancel(request: ActorRequest, pk: int) -> HttpResponse:
    row = _sign_up_for(request, pk)
    perform(
        request,
        lambda: services.sign_up_cancel(actor=request.actor, sign_up=row),
        success=_("The place is given up."),
    )
    return redirect("activities:detail", pk=row.activity_id)


@require_POST
def sign_up_mark(request: ActorRequest, pk: int) -> HttpResponse:
    row = _sign_up_for(request, pk)
    attended = request.POST.get("came") == "1"
    perform(request, lambda: services.mark_attended(actor=request.actor, sign_up=row, attended=attended))
    return redirect(reverse("activities:detail", args=[row.activity_id]) + "#sign-ups")


def _post_to_activity(
    request: ActorRequest, pk: int, form_class: type[SiteForm], call: Callable[..., Any], success: str, invalid: str
) -> HttpResponse:
    """A form posted from an activity's page: ``call(activity, cleaned_data)`` through ``perform``
    (or ``invalid`` as the message), then back to the page."""
    activity = selectors.activity_for(actor=request.actor, pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        perform(request, lambda: call(activity, form.cleaned_data), success=success)
    else:
        messages.error(request, invalid)
    return redirect("activities:detail", pk=activity.pk)


@require_POST
def activity_cancel(request: ActorRequest, pk: int) -> HttpResponse:
    return _post_to_activity(
        request,
        pk,
        CancelForm,
        lambda activity, data: services.activity_cancel(actor=request.actor, activity=activity, reason=data["reason"]),
        success=_("The activity is called off; the people signed up have been told."),
        invalid=_("Say why the activity is called off; the people signed up are told."),
    )


@require_POST
def activity_feedback(request: ActorRequest, pk: int) -> HttpResponse:
    return _post_to_activity(
        request,
        pk,
        FeedbackForm,
        lambda activity, data: services.feedback_give(
            actor=request.actor, activity=activity, score=data["score"], comment=data["comment"]
        ),
        success=_("Thank you for your rating."),
        invalid=_("Choose from one to five stars."),
    )


@require_POST
def activity_outcome(request: ActorRequest, pk: int) -> HttpResponse:
    return _post_to_activity(
        request,
        pk,
        OutcomeForm,
        lambda activity, data: services.activity_record_outcome(
            actor=request.actor, activity=activity, outcome=data["outcome"]
        ),
        success=_("The outcome is recorded."),
        invalid=_("Say what came of the activity."),
    )


@require_GET
def check_in_code(request: ActorRequest, pk: int) -> HttpResponse:
    """The organiser's screen: a QR code of the check-in link, renewed every minute (htmx)."""
    activity = selectors.activity_for(actor=request.actor, pk=pk)
    try:
        code = services.check_in_code(actor=request.actor, activity=activity)
    except PermissionDenied:
        raise Http404 from None
    link = request.build_absolute_uri(reverse("activities:check_in", args=[activity.pk]) + f"?code={code}")
    context = {"activity": activity, "qr": qr_svg(link, scale=6), "seconds": services.CHECK_IN_SECONDS}
    return render(request, "activities/check_in_code.html", context)


@require_http_methods(["GET", "POST"])
def check_in(request: ActorRequest, pk: int) -> HttpResponse:
    """Scanned from the organiser's screen: confirm, and one is checked in."""
    activity = selectors.activity_for(actor=request.actor, pk=pk)
    code = (request.POST.get("code") or request.GET.get("code") or "")[:200]
    if request.method == "POST":
        done = perform(request, lambda: services.check_in(actor=request.actor, activity=activity, code=code))
        if done.value is not None:
            messages.success(request, _("You are checked in. Welcome!"))
            return redirect("activities:detail", pk=activity.pk)
    return render(request, "activities/check_in.html", {"activity": activity, "code": code})
