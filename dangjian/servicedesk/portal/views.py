"""Resident pages (mobile-first): submit a request with or without an account, follow it,
add information, confirm or reject the outcome and rate it, reopen it; the public board.

A resident without an account follows their request through its tracking link (a random
token, like a parcel's), shown once after submitting. Anonymous submissions are rate limited
per address (ANONYMOUS_SUBMISSIONS per hour, default 5) and across the site
(ANONYMOUS_SUBMISSIONS_SITE per minute, default 120; core/conf.py), and a hidden field catches bots.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.actors import ActorRequest, client_ip
from dangjian.core.conf import config
from dangjian.core.forms import offered
from dangjian.core.qr import qr_svg
from dangjian.core.ratelimit import Budget
from dangjian.core.validators import parse_id
from dangjian.core.views import ONCE_FIELD, Once, perform
from dangjian.orgs.models import Region, RegionLevel
from dangjian.people.models import Person
from dangjian.servicedesk.catalogue import selectors as catalogue_selectors
from dangjian.servicedesk.forms import FindRequestForm, ResidentRequestForm
from dangjian.servicedesk.models import RequestState
from dangjian.servicedesk.requests import lifecycle
from dangjian.servicedesk.requests import selectors as request_selectors


def over_anonymous_limit(request: ActorRequest) -> bool:
    """Count this anonymous submission; True when the address or the site has had too many."""
    limits = config()  # read at each call: the limits are configurable
    spent = (
        Budget("anon-submit", limit=limits.anonymous_submissions, seconds=3600).spend(
            client_ip(request), now=request.actor.now
        ),
        Budget("anon-submit-site", limit=limits.anonymous_submissions_site, seconds=60).spend(
            "site", now=request.actor.now
        ),
    )
    return any(attempt.over_limit for attempt in spent)


def _regions() -> Any:
    """Communities (a resident knows theirs; the desk places it in a grid). A district has 100,
    where communities and grids together would be 1,100 options to scroll on a phone."""
    return Region.objects.filter(level=RegionLevel.COMMUNITY).select_related("parent").order_by("path")


def _own_person(request: ActorRequest) -> Person | None:
    person_id = request.actor.scope.person_id
    return Person.objects.select_related("region").filter(pk=person_id).first() if person_id else None


@login_not_required
@require_http_methods(["GET", "POST"])
def submit(request: ActorRequest) -> HttpResponse:
    person = _own_person(request) if request.user.is_authenticated else None
    anonymous = person is None
    form = ResidentRequestForm(request.POST or None, request.FILES or None, regions=_regions(), anonymous=anonymous)
    once = Once(request, "portal-submit")
    if request.method == "POST":
        if anonymous and over_anonymous_limit(request):
            return render(request, "servicedesk/portal/limited.html", status=429)
        if form.is_valid():
            data = form.cleaned_data
            if data["website"]:  # the hidden field only bots fill in
                return redirect("portal:board")
            if not once.claim():  # sent twice (a double tap, a resend): one request
                made = once.made()
                return redirect(_fresh_track(made)) if made else redirect("portal:submit")
            submitted = perform(
                request,
                lambda: lifecycle.request_submit(
                    actor=request.actor,
                    channel="web",
                    category=data["category"],
                    description=data["description"],
                    region=data["region"],
                    requester=person,
                    contact_name=data["contact_name"],
                    phone=data["phone"],
                    address=data["address"],
                    attachments=data["attachments"],
                    is_public=data["is_public"],
                ),
                form=form,
            )
            if (req := submitted.value) is None:
                once.release()
            else:
                once.done(req.token)
                messages.success(
                    request,
                    _("Your request %(number)s has been received. Keep the link to this page (below) to follow it.")
                    % {"number": req.number},
                )
                return redirect(_fresh_track(req.token))
    context = {
        "form": form,
        "once": request.POST.get(ONCE_FIELD) or Once.token(),
        "person": person,
        "mine": request_selectors.own_requests(actor=request.actor)[:5],
        "families": _families(),
        "streets": _by_street(offered(form, "region")),
        "chosen_category": str(form["category"].value() or ""),
        "chosen_region": str(form["region"].value() or ""),
    }
    return render(request, "servicedesk/portal/submit.html", context)


def _fresh_track(token: str) -> str:
    """The tracking page just after submitting: it opens the box to keep its link."""
    return reverse("portal:track", kwargs={"token": token}) + "?new=1"


def _by_street(communities: Any) -> list[tuple[str, list[tuple[int, str]]]]:
    """Communities grouped by street for the form's option groups, as plain (id, name) pairs kept
    in the cache for a minute: the form is the busiest page of the site, and Django's select
    widget renders each option through a template (60 ms for 100 communities)."""

    def build() -> list[tuple[str, list[tuple[int, str]]]]:
        groups: dict[str, list[tuple[int, str]]] = {}
        for community in communities:
            groups.setdefault(community.parent.name if community.parent_id else "", []).append(
                (community.pk, community.name)
            )
        return list(groups.items())

    return cast(list[tuple[str, list[tuple[int, str]]]], cache.get_or_set("portal:communities-by-street", build, 60))


def _families() -> list[tuple[str, list[tuple[int, str]]]]:
    """The active services by family, as (id, name) pairs, cached for a minute like the above."""

    def build() -> list[tuple[str, list[tuple[int, str]]]]:
        return [
            (str(group["label"]), [(c.pk, c.label) for c in group["categories"]])
            for group in catalogue_selectors.catalogue()
            if group["categories"]
        ]

    return cast(
        list[tuple[str, list[tuple[int, str]]]], cache.get_or_set(f"portal:families:{get_language()}", build, 60)
    )


@login_required
@require_GET
def mine(request: ActorRequest) -> HttpResponse:
    return render(
        request, "servicedesk/portal/mine.html", {"rows": request_selectors.own_requests(actor=request.actor)[:100]}
    )


@login_not_required
@require_GET
def track(request: ActorRequest, token: str) -> HttpResponse:
    req = request_selectors.request_by_token(token)
    may = {a: lifecycle.may(request.actor, req, a, token=token) for a in ("confirm", "withdraw", "reopen", "info")}
    link = request.build_absolute_uri(reverse("portal:track", kwargs={"token": token}))
    context = {
        "req": req,
        "token": token,
        "link": link,
        "fresh": request.GET.get("new") == "1",
        "qr": mark_safe(qr_svg(link)),  # noqa: S308 - segno's SVG of our own URL
        "steps": request_selectors.steps(req, public_only=True),
        "may": may,
        "rating": getattr(req, "rating", None),
        "states": RequestState,
    }
    return render(request, "servicedesk/portal/track.html", context)


@login_not_required
@require_POST
def act(request: ActorRequest, token: str, action: str) -> HttpResponse:
    """The requester's actions, authorised by the tracking token (or their own account)."""
    req = request_selectors.request_by_token(token)
    post = request.POST
    note = post.get("note", "")
    if action == "reopen":  # rate limited like a submission; it opens a new request, followed on its own page
        if not request.user.is_authenticated and over_anonymous_limit(request):
            return render(request, "servicedesk/portal/limited.html", status=429)
        reopened = perform(
            request, lambda: lifecycle.request_reopen(note=note, actor=request.actor, req=req, token=token)
        )
        if (new := reopened.value) is not None:
            messages.success(request, _("A new request %(number)s follows up the old one.") % {"number": new.number})
            return redirect("portal:track", token=new.token)
        return redirect("portal:track", token=token)

    def record() -> None:
        if action == "confirm":
            resolved = post.get("resolved") == "yes"
            lifecycle.request_confirm(
                resolved=resolved,
                score=post.get("score") or None,
                comment=note,
                actor=request.actor,
                req=req,
                token=token,
            )
            if post.get("is_public") == "yes":
                lifecycle.request_set_public(actor=request.actor, req=req, consent=True, token=token)
        elif action == "info":
            lifecycle.request_add_info(
                note=note, attachments=request.FILES.getlist("attachments"), actor=request.actor, req=req, token=token
            )
        elif action == "withdraw":
            lifecycle.request_withdraw(note=note, actor=request.actor, req=req, token=token)
        elif action == "consent":
            lifecycle.request_set_public(
                actor=request.actor, req=req, consent=post.get("is_public") == "yes", token=token
            )
        else:
            raise Http404

    perform(request, record, success=_("Thank you, it has been recorded."))
    return redirect("portal:track", token=token)


# Finding a request by number and mobile: per address, and per request number (so that many
# addresses cannot try the mobile numbers of one request).
FIND_PER_ADDRESS = Budget("portal-find-address", limit=10, seconds=3600)
FIND_PER_NUMBER = Budget("portal-find-number", limit=5, seconds=3600)


@login_not_required
@require_http_methods(["GET", "POST"])
def find(request: ActorRequest) -> HttpResponse:
    """进度查询: the request number and the mobile number left with it lead to the tracking page.
    A wrong pair is answered the same whether the number exists or not, and tries are limited."""
    form = FindRequestForm(request.POST or None)
    limited = None
    if request.method == "POST" and form.is_valid():
        year, pk = form.cleaned_data["number"]
        now = request.actor.now
        attempts = (FIND_PER_ADDRESS.spend(client_ip(request), now=now), FIND_PER_NUMBER.spend(pk, now=now))
        limited = next((a for a in attempts if a.over_limit), None)
        if limited is not None:
            form.add_error(
                None,
                _("Too many tries. Try again after %(time)s, or call your community's service centre.")
                % {"time": limited.retry_time},
            )
        else:
            req = request_selectors.request_by_number_and_phone(year=year, pk=pk, phone=form.cleaned_data["phone"])
            if req is not None:
                FIND_PER_ADDRESS.refund(attempts[0])  # only wrong pairs count
                FIND_PER_NUMBER.refund(attempts[1])
                return redirect("portal:track", token=req.token)
            form.add_error(
                None,
                _(
                    "No request has this number and this mobile number. Check both (the mobile number is the "
                    "one you left with the request)."
                ),
            )
    return render(request, "servicedesk/portal/find.html", {"form": form}, status=429 if limited else 200)


@login_not_required
@require_GET
def services(request: ActorRequest) -> HttpResponse:
    """The services residents may ask for and their time limits (public)."""
    return render(request, "servicedesk/portal/services.html", {"families": catalogue_selectors.catalogue()})


@login_not_required
@require_GET
def board(request: ActorRequest) -> HttpResponse:
    community = None
    if (community_id := parse_id(request.GET.get("community"))) is not None:
        community = Region.objects.filter(pk=community_id, level=RegionLevel.COMMUNITY).first()
    context = {
        "rows": request_selectors.public_board(community=community),
        "community": community,
        "communities": Region.objects.filter(level=RegionLevel.COMMUNITY).order_by("path"),
    }
    return render(request, "servicedesk/portal/board.html", context)
