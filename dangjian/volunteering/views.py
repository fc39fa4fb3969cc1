"""Volunteering pages: the hub (posts and wishes one may take; the staff's area), teams, posts and
their claims, wishes, service records and their verification, one's own hours and time bank, a
person's time bank for the staff, and the checks (reconciliation, flags)."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.activities.selectors import check_in_bursts
from dangjian.core.access import CHANGE, CREATE, EXPORT, VIEW, restrict
from dangjian.core.actors import ActorRequest
from dangjian.core.conf import config
from dangjian.core.forms import SiteForm
from dangjian.core.validators import parse_id
from dangjian.core.views import form_errors_to_messages, perform, submit
from dangjian.membership.transfers.letters import FontMissing
from dangjian.orgs.models import Region, ResidentUnit
from dangjian.people.models import Person
from dangjian.volunteering import recognition, reports, selectors, services
from dangjian.volunteering.forms import (
    AssignWishForm,
    ConfirmWishForm,
    ConsentForm,
    DecideForm,
    DonateForm,
    FulfilForm,
    MemberForm,
    NominationForm,
    PostForm,
    ReasonForm,
    RecordForm,
    ReviewForm,
    SpendForm,
    StaffWishForm,
    SubmitRecordForm,
    TeamForm,
    UnitClaimForm,
    WishForm,
)
from dangjian.volunteering.models import (
    LIVE_RECORDS,
    Claim,
    NominationState,
    ReportBack,
    ReportBackState,
    ServiceRecord,
    TeamMember,
    WishState,
)


def _staff(request: ActorRequest) -> bool:
    return request.actor.scope.sees_trees


@require_GET
def index(request: ActorRequest) -> HttpResponse:
    """The hub: what a member may take (posts, wishes shown to members), their claims and teams;
    for the staff, their area's posts waiting for a decision and records waiting for verification."""
    actor = request.actor
    staff = _staff(request)
    context = {
        "posts": selectors.posts_open_to_me(actor=actor),
        "wishes": selectors.wishes_open_to_me(actor=actor) or selectors.wishes_open_to_units(actor=actor),
        "claims": selectors.my_claims(actor=actor),
        "my_teams": selectors.teams_of_person(actor=actor),
        "staff": staff,
        "pending": selectors.pending_records(actor=actor, limit=10) if staff else [],
        "can_create": actor.scope.can(CREATE),
        "summary": selectors.hours_summary(person_id=actor.person_id, now=actor.now) if actor.person_id else None,
    }
    return render(request, "volunteering/index.html", context)


@require_GET
def mine(request: ActorRequest) -> HttpResponse:
    """One's own hours, records, time bank, claims and wishes: private, never compared with others."""
    actor = request.actor
    if actor.person_id is None:
        raise Http404
    person = services.own_person(actor=actor)
    communities = Region.objects.filter(pk__in=services.home_communities(person)) if person else Region.objects.none()
    context = {
        "summary": selectors.hours_summary(person_id=actor.person_id, now=actor.now),
        "records": selectors.my_records(actor=actor),
        "ledger": selectors.my_ledger(actor=actor),
        "claims": selectors.my_claims(actor=actor),
        "wishes": selectors.my_wishes(actor=actor),
        "teams": selectors.teams_of_person(actor=actor),
        "nominations": recognition.my_nominations(actor=actor),
        "submit_form": SubmitRecordForm(communities=communities.order_by("path"))
        if person is not None and services.in_standing(person) and communities
        else None,
    }
    return render(request, "volunteering/mine.html", context)


@require_POST
def record_submit(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    person = services.own_person(actor=actor)
    if person is None:
        raise Http404
    communities = Region.objects.filter(pk__in=services.home_communities(person)).order_by("path")
    form = SubmitRecordForm(request.POST, communities=communities)
    done = submit(
        request,
        form,
        lambda data: services.record_submit(
            actor=actor,
            community=data["community"],
            started_at=data["started_at"],
            ended_at=data["ended_at"],
            description=data["description"],
        ),
        success=_("Recorded; it counts once the community has verified it."),
    )
    if done.value is None:
        form_errors_to_messages(request, form)
    return redirect("volunteering:mine")


# -- Teams ----------------------------------------------------------------------------------------


@require_GET
def team_list(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    context = {
        "teams": selectors.teams(actor=actor),
        "my_teams": selectors.teams_of_person(actor=actor),
        "can_create": actor.scope.can(CREATE),
    }
    return render(request, "volunteering/team_list.html", context)


@require_http_methods(["GET", "POST"])
def team_new(request: ActorRequest) -> HttpResponse:
    if not request.actor.scope.can(CREATE):
        raise Http404
    form = TeamForm(request.POST or None, actor=request.actor)
    created = submit(
        request,
        form,
        lambda data: services.team_create(actor=request.actor, **data),
        success=_("The team is founded; add its members on its page."),
    )
    if created.value is not None:
        return redirect("volunteering:team", pk=created.value.pk)
    return render(request, "volunteering/team_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def team_detail(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    team = selectors.team_for(actor=actor, pk=pk)
    manages = restrict(type(team).objects.filter(pk=team.pk), actor, CHANGE).exists()
    form = MemberForm(request.POST or None, actor=actor) if manages else None
    if request.method == "POST":
        if form is None:
            raise Http404
        added = submit(
            request,
            form,
            lambda data: services.team_add_member(actor=actor, team=team, person=data["person"]),
            success=_("Added to the team."),
        )
        if added.value is not None:
            return redirect("volunteering:team", pk=team.pk)
    since = actor.now - dt.timedelta(days=365)
    context = {
        "team": team,
        "manages": manages,
        "members": selectors.team_members(actor=actor, team=team),
        "totals": selectors.team_totals(team=team, since=since) if team.shows_totals or manages else None,
        "posts": selectors.team_posts(team=team, now=actor.now),
        "form": form,
        "membership": TeamMember.objects.filter(team=team, person_id=actor.person_id or 0, left_on=None).first(),
    }
    return render(request, "volunteering/team_detail.html", context)


@require_POST
def team_member_leave(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    row = TeamMember.objects.select_related("team").filter(pk=pk).first()
    if row is None or (
        row.person_id != actor.person_id and not restrict(TeamMember.objects.filter(pk=pk), actor, VIEW).exists()
    ):
        raise Http404
    perform(
        request,
        lambda: services.team_remove_member(actor=actor, membership=row, reason=request.POST.get("reason", "")),
        success=_("Left the team; the service recorded stays."),
    )
    return redirect("volunteering:team", pk=row.team_id) if _staff(request) else redirect("volunteering:index")


# -- Posts ----------------------------------------------------------------------------------------


@require_GET
def post_list(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    if not _staff(request):
        return redirect("volunteering:index")
    asked = request.GET.get("when", "")
    when = asked if asked in ("past", "waiting") else "upcoming"
    filters = selectors.PostFilters(when=when)
    context = {
        "page": selectors.posts_page(actor=actor, filters=filters, number=request.GET.get("page")),
        "filters": filters,
        "query": f"when={when}",
        "can_create": actor.scope.can(CREATE),
    }
    return render(request, "volunteering/post_list.html", context)


@require_http_methods(["GET", "POST"])
def post_new(request: ActorRequest) -> HttpResponse:
    if not request.actor.scope.can(CREATE):
        raise Http404
    form = PostForm(request.POST or None, actor=request.actor)
    created = submit(
        request,
        form,
        lambda data: services.post_create(actor=request.actor, **data),
        success=_("The post is published; members who report to the community can claim it."),
    )
    if created.value is not None:
        return redirect("volunteering:post", pk=created.value.pk)
    return render(request, "volunteering/post_form.html", {"form": form})


@require_GET
def post_detail(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    post = selectors.post_for(actor=actor, pk=pk)
    manages = restrict(type(post).objects.filter(pk=post.pk), actor, CHANGE).exists()
    mine = selectors.own_claim(actor=actor, post=post)
    context = {
        "post": post,
        "manages": manages,
        "mine": mine,
        "own_record": ServiceRecord.objects.filter(claim=mine, state__in=LIVE_RECORDS).first()
        if mine is not None and mine.checked_out_at
        else None,
        "counts": selectors.post_counts(post=post),
        "claims": selectors.claims_of(actor=actor, post=post, with_records=True) if manages else [],
        "may_claim": mine is None and services.may_claim(actor=actor, post=post),
        "units": services.claimable_units(actor=actor, post=post),
        "now": actor.now,
        "check_in_from": post.starts_at - services.CHECK_IN_MARGIN,
    }
    return render(request, "volunteering/post_detail.html", context)


@require_POST
def post_claim(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    post = selectors.post_for(actor=actor, pk=pk)
    form = UnitClaimForm(request.POST)
    unit = None
    if form.is_valid() and form.cleaned_data["unit"]:
        unit = ResidentUnit.objects.filter(pk=form.cleaned_data["unit"]).first()
        if unit is None:
            raise Http404
    note = form.cleaned_data.get("note", "") if form.is_valid() else ""
    perform(
        request,
        lambda: services.claim_post(actor=actor, post=post, unit=unit, note=note),
        success=_("Claimed; the community will confirm it and you will be told."),
    )
    return redirect("volunteering:post", pk=post.pk)


@require_POST
def post_cancel(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    post = selectors.post_for(actor=actor, pk=pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        perform(
            request,
            lambda: services.post_cancel(actor=actor, post=post, reason=form.cleaned_data["reason"]),
            success=_("The post is called off; those who claimed it have been told."),
        )
    else:
        messages.error(request, _("Say why the post is called off; those who claimed it are told."))
    return redirect("volunteering:post", pk=post.pk)


def _claim_for(request: ActorRequest, pk: int) -> Claim:
    row = restrict(Claim.objects.select_related("post", "post__region", "post__team", "person"), request.actor).filter(
        pk=pk
    )
    claim = row.first()
    if claim is None:
        raise Http404
    return claim


def _on_claim(request: ActorRequest, pk: int, call: Callable[[Claim], Any], success: str = "") -> HttpResponse:
    claim = _claim_for(request, pk)
    perform(request, lambda: call(claim), success=success)
    return redirect("volunteering:post", pk=claim.post_id)


@require_POST
def claim_decide(request: ActorRequest, pk: int) -> HttpResponse:
    form = DecideForm(request.POST)
    confirm = form.is_valid() and form.cleaned_data["confirm"]
    reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    return _on_claim(
        request,
        pk,
        lambda claim: services.claim_decide(actor=request.actor, claim=claim, confirm=confirm, reason=reason),
        success=_("Confirmed; the claimant has been told.") if confirm else _("Declined; the claimant has been told."),
    )


@require_POST
def claim_withdraw(request: ActorRequest, pk: int) -> HttpResponse:
    return _on_claim(
        request,
        pk,
        lambda claim: services.claim_withdraw(actor=request.actor, claim=claim, reason=request.POST.get("reason", "")),
        success=_("The claim is withdrawn."),
    )


@require_POST
def claim_check_in(request: ActorRequest, pk: int) -> HttpResponse:
    return _on_claim(
        request,
        pk,
        lambda claim: services.claim_check_in(actor=request.actor, claim=claim),
        success=_("Checked in. Check out when you leave: the time counts by itself."),
    )


@require_POST
def claim_check_out(request: ActorRequest, pk: int) -> HttpResponse:
    claim = _claim_for(request, pk)
    done = perform(request, lambda: services.claim_check_out(actor=request.actor, claim=claim))
    if done.value is not None:
        messages.success(
            request,
            _("Checked out: %(hours)s hours are recorded and in your time bank. Thank you!")
            % {"hours": services.hours(done.value.minutes)},
        )
    return redirect("volunteering:post", pk=claim.post_id)


@require_POST
def claim_record(request: ActorRequest, pk: int) -> HttpResponse:
    """The organiser records a claimant's time from the post's page: the whole post's time, or the
    minutes given."""
    claim = _claim_for(request, pk)
    raw = request.POST.get("minutes", "").strip()
    minutes = int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= 24 * 60 else None
    if raw and minutes is None:
        messages.error(request, _("Give the minutes served as a whole number."))
        return redirect("volunteering:post", pk=claim.post_id)
    if claim.person is None:
        messages.error(request, _("A resident unit's time is recorded for each of its people on the records page."))
        return redirect("volunteering:post", pk=claim.post_id)
    person = claim.person
    done = perform(
        request,
        lambda: services.record_service(
            actor=request.actor,
            person=person,
            community=claim.post.region,
            started_at=claim.post.starts_at,
            ended_at=claim.post.ends_at,
            minutes=minutes,
            description=claim.post.title,
            claim=claim,
            team=claim.post.team,
        ),
    )
    if done.value is not None:
        messages.success(
            request,
            _("%(hours)s hours of %(name)s are verified.")
            % {"hours": services.hours(done.value.minutes), "name": person.name},
        )
    return redirect("volunteering:post", pk=claim.post_id)


# -- Wishes ---------------------------------------------------------------------------------------


@require_GET
def wish_list(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    if not _staff(request):
        return redirect("volunteering:index")
    state = request.GET.get("state", "")
    filters = selectors.WishFilters(state=state if state in WishState.values else "")
    context = {
        "page": selectors.wishes_page(actor=actor, filters=filters, number=request.GET.get("page")),
        "filters": filters,
        "states": WishState.choices,
        "query": f"state={filters.state}",
        "can_create": actor.scope.can(CREATE),
    }
    return render(request, "volunteering/wish_list.html", context)


@require_http_methods(["GET", "POST"])
def wish_new(request: ActorRequest) -> HttpResponse:
    """A resident posts their own wish; the staff (create right) record one on a resident's behalf."""
    actor = request.actor
    staff = actor.scope.can(CREATE)
    if not staff and actor.person_id is None:
        raise Http404
    form: Any = StaffWishForm(request.POST or None, actor=actor) if staff else WishForm(request.POST or None)

    def create(data: dict[str, Any]) -> Any:
        resident = data["person"] if staff else services.own_person(actor=actor)
        if resident is None:
            raise Http404
        return services.wish_create(
            actor=actor,
            resident=resident,
            title=data["title"],
            description=data["description"],
            shown_to_members=data["shown_to_members"],
        )

    created = submit(
        request,
        form,
        create,
        success=_("The wish is recorded; the community will find someone to fulfil it."),
    )
    if created.value is not None:
        return redirect("volunteering:wish", pk=created.value.pk)
    return render(request, "volunteering/wish_form.html", {"form": form, "staff": staff})


@require_GET
def wish_detail(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    wish = selectors.wish_for(actor=actor, pk=pk)
    manages = restrict(type(wish).objects.filter(pk=wish.pk), actor, CHANGE).exists()
    resident = wish.resident_id == actor.person_id
    claimer = services.is_claimer(actor=actor, wish=wish)
    context = {
        "wish": wish,
        "manages": manages,
        "resident": resident,
        "claimer": claimer,
        "shows_name": manages or resident or claimer,
        "may_take": wish.state == WishState.OPEN and services.may_take_wish(actor=actor, wish=wish),
        "units": services.wish_units(actor=actor, wish=wish) if wish.state == WishState.OPEN else [],
        "assign_form": AssignWishForm(actor=actor) if manages and wish.state == WishState.OPEN else None,
        "fulfil_form": FulfilForm() if (claimer or manages) and wish.state == WishState.CLAIMED else None,
        "confirm_form": ConfirmWishForm() if (resident or manages) and wish.state == WishState.FULFILLED else None,
        "cancel_form": ReasonForm()
        if (resident or manages) and wish.state in (WishState.OPEN, WishState.CLAIMED)
        else None,
        "records": list(ServiceRecord.objects.filter(wish=wish).select_related("person")) if manages or claimer else [],
    }
    return render(request, "volunteering/wish_detail.html", context)


@require_POST
def wish_shown(request: ActorRequest, pk: int) -> HttpResponse:
    """The resident's consent to show their wish to the community's members, given or taken back."""
    actor = request.actor
    wish = selectors.wish_for(actor=actor, pk=pk)
    shown = request.POST.get("shown") == "1"
    perform(
        request,
        lambda: services.wish_set_shown(actor=actor, wish=wish, shown=shown, note=request.POST.get("note", "")),
        success=_("The community's members may now see the wish (without the name).")
        if shown
        else _("The wish is no longer shown to the community's members."),
    )
    return redirect("volunteering:wish", pk=wish.pk)


@require_POST
def wish_take(request: ActorRequest, pk: int) -> HttpResponse:
    """A member takes a wish for themselves, or the staff assign it to someone (the ``who`` box)."""
    actor = request.actor
    wish = selectors.wish_for(actor=actor, pk=pk)
    if "unit" in request.POST:
        unit = ResidentUnit.objects.select_related("region").filter(pk=parse_id(request.POST.get("unit")) or 0).first()
        if unit is None:
            raise Http404
        perform(
            request,
            lambda: services.wish_claim(actor=actor, wish=wish, unit=unit),
            success=_("The wish is taken for %(name)s. When it is done, say so here.") % {"name": unit.name},
        )
    elif "who" in request.POST:
        form = AssignWishForm(request.POST, actor=actor)
        if not form.is_valid():
            form_errors_to_messages(request, form)
            return redirect("volunteering:wish", pk=wish.pk)
        person = form.cleaned_data["person"]
        perform(
            request,
            lambda: services.wish_claim(actor=actor, wish=wish, claimer=person),
            success=_("The wish is given to %(name)s.") % {"name": person.name},
        )
    else:
        perform(
            request,
            lambda: services.wish_claim(actor=actor, wish=wish),
            success=_("The wish is yours to fulfil. When it is done, say so here; the resident then confirms."),
        )
    return redirect("volunteering:wish", pk=wish.pk)


@require_POST
def wish_fulfil(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    wish = selectors.wish_for(actor=actor, pk=pk)
    form = FulfilForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        perform(
            request,
            lambda: services.wish_fulfil(
                actor=actor, wish=wish, note=data["note"], started_at=data["started_at"], ended_at=data["ended_at"]
            ),
            success=_("Thank you. The resident is asked to confirm that the wish was fulfilled."),
        )
    else:
        form_errors_to_messages(request, form)
    return redirect("volunteering:wish", pk=wish.pk)


@require_POST
def wish_confirm(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    wish = selectors.wish_for(actor=actor, pk=pk)
    form = ConfirmWishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the wish was fulfilled."))
        return redirect("volunteering:wish", pk=wish.pk)
    fulfilled = form.cleaned_data["fulfilled"]
    perform(
        request,
        lambda: services.wish_confirm(actor=actor, wish=wish, fulfilled=fulfilled, note=form.cleaned_data["note"]),
        success=_("Thank you for your word: the wish is closed.")
        if fulfilled
        else _("Noted: the one who took the wish is told it is not fulfilled yet."),
    )
    return redirect("volunteering:wish", pk=wish.pk)


@require_POST
def wish_cancel(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    wish = selectors.wish_for(actor=actor, pk=pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        perform(
            request,
            lambda: services.wish_cancel(actor=actor, wish=wish, reason=form.cleaned_data["reason"]),
            success=_("The wish is withdrawn."),
        )
    else:
        messages.error(request, _("Say why the wish is withdrawn."))
    return redirect("volunteering:wish", pk=wish.pk)


# -- Records --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def record_list(request: ActorRequest) -> HttpResponse:
    """The staff's records page: those waiting for verification, the form to record someone's
    verified service, and the area's records."""
    actor = request.actor
    if not _staff(request):
        raise Http404
    may_record = selectors.community_choices(actor=actor).exists()
    form = RecordForm(request.POST or None, actor=actor) if may_record else None
    if request.method == "POST":
        if form is None:
            raise Http404
        done = submit(
            request,
            form,
            lambda data: services.record_service(
                actor=actor,
                person=data["person"],
                community=data["community"],
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                minutes=data["minutes"],
                description=data["description"],
                team=data["team"],
                service_request=data["request_number"],
                activity=data["activity"],
            ),
        )
        if done.value is not None:
            messages.success(
                request,
                _("%(hours)s hours of %(name)s are verified.")
                % {"hours": services.hours(done.value.minutes), "name": done.value.person.name},
            )
            return redirect("volunteering:records")
    context = {
        "pending": selectors.pending_records(actor=actor),
        "page": selectors.records_page(actor=actor, number=request.GET.get("page")),
        "form": form,
        "query": "",
    }
    return render(request, "volunteering/record_list.html", context)


def _record_for(request: ActorRequest, pk: int) -> ServiceRecord:
    row = restrict(ServiceRecord.objects.select_related("person"), request.actor, CHANGE).filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


@require_POST
def record_verify(request: ActorRequest, pk: int) -> HttpResponse:
    row = _record_for(request, pk)
    verified = request.POST.get("verified") == "1"
    perform(
        request,
        lambda: services.record_verify(
            actor=request.actor, record=row, verified=verified, reason=request.POST.get("reason", "")
        ),
        success=_("Verified: the hours count and are in the volunteer's time bank.")
        if verified
        else _("Not verified; the volunteer has been told why."),
    )
    return redirect("volunteering:records")


@require_POST
def record_reverse(request: ActorRequest, pk: int) -> HttpResponse:
    row = _record_for(request, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        perform(
            request,
            lambda: services.record_reverse(actor=request.actor, record=row, reason=form.cleaned_data["reason"]),
            success=_("Reversed: the record no longer counts and its hours are taken out of the time bank."),
        )
    else:
        messages.error(request, _("Say why the record is reversed."))
    return redirect("volunteering:records")


# -- A person's time bank (the staff) -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def person_bank(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    person = selectors.bank_person_for(actor=actor, pk=pk)
    spend_form = SpendForm(request.POST if request.POST.get("action") == "spend" else None)
    donate_form = DonateForm(request.POST if request.POST.get("action") == "donate" else None, actor=actor)
    if request.method == "POST":
        if request.POST.get("action") == "spend":
            done = submit(
                request,
                spend_form,
                lambda data: services.ledger_spend(
                    actor=actor, person=person, minutes=data["minutes"], memo=data["memo"]
                ),
                success=_("The hours are spent and written in the time bank."),
            )
        else:
            done = submit(
                request,
                donate_form,
                lambda data: services.ledger_donate(
                    actor=actor, donor=person, recipient=data["person"], minutes=data["minutes"], memo=data["memo"]
                ),
                success=_("The hours are given and written in both time banks."),
            )
        if done.value is not None:
            return redirect("volunteering:bank", pk=person.pk)
    context = {
        "person": person,
        "summary": selectors.hours_summary(person_id=person.pk, now=actor.now),
        "ledger": selectors.person_ledger(actor=actor, person=person),
        "spend_form": spend_form,
        "donate_form": donate_form,
        "may_change": services.keeps_bank_of(actor=actor, person=person),
    }
    return render(request, "volunteering/person_bank.html", context)


# -- Checks ---------------------------------------------------------------------------------------


def _year_period(request: ActorRequest) -> tuple[dt.date, dt.date]:
    today = request.actor.today
    return dt.date(today.year, 1, 1), today


@require_GET
def checks(request: ActorRequest) -> HttpResponse:
    """For secretaries and admins: the time bank against the records, and the flags of the year.
    Whoever sees more than one street chooses one first (``?street=``): a district's year of
    records is read street by street."""
    actor = request.actor
    if not _staff(request):
        raise Http404
    start, end = _year_period(request)
    streets = selectors.streets_in_view(actor=actor)
    region = None
    if len(streets) > 1:
        region = next((s for s in streets if s.pk == parse_id(request.GET.get("street"))), None)
        if region is None:
            context = {"streets": streets, "start": start, "end": end}
            return render(request, "volunteering/checks.html", context)
    rows = selectors.ledger_reconciliation(actor=actor, region=region)
    people = dict(
        Person.objects.filter(pk__in=[row.key for row in rows if row.level == "person"]).values_list("pk", "name")
    )
    places = dict(
        Region.objects.filter(pk__in=[row.key for row in rows if row.level == "community"]).values_list("pk", "name")
    )
    unbalanced = [
        {
            "label": (people if row.level == "person" else places).get(row.key, row.key),
            "verified_minutes": row.verified_minutes,
            "ledger_minutes": row.ledger_minutes,
        }
        for row in rows[:-1]
    ]
    context = {
        "start": start,
        "end": end,
        "streets": streets if len(streets) > 1 else [],
        "region": region,
        "unbalanced": unbalanced,
        "total": rows[-1],
        "round": list(selectors.flag_round_hours(actor=actor, start=start, end=end, region=region)[:100]),
        "over_cap": selectors.flag_over_cap(actor=actor, start=start, end=end, region=region)[:100],
        "cap": config().service_daily_cap_hours,
        "bursts": [
            row
            for row in check_in_bursts(actor=actor, start=_day_start(start), end=_day_start(end + dt.timedelta(days=1)))
            if region is None or row.activity.region.path.startswith(region.path)
        ][:100],
    }
    return render(request, "volunteering/checks.html", context)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# -- 双报到 reporting back -------------------------------------------------------------------------


@require_GET
def report_list(request: ActorRequest) -> HttpResponse:
    """The reports of a period: each community with its reporting members and the state of its
    report; for whoever may export a street's, the whole street as a workbook."""
    actor = request.actor
    if not _staff(request):
        raise Http404
    start, end = reports.parse_period(request.GET.get("period"), actor.today)
    context = {
        "start": start,
        "end": end,
        "periods": reports.recent_periods(actor.today),
        "rows": reports.area_summary(actor=actor, start=start, end=end),
        "streets": reports.export_streets(actor=actor),
        "over": actor.today > end,
    }
    return render(request, "volunteering/report_list.html", context)


@require_POST
def report_prepare(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    community = restrict(Region.objects.all(), actor, CHANGE).filter(pk=parse_id(request.POST.get("community"))).first()
    if community is None:
        raise Http404
    start, _end = reports.parse_period(request.POST.get("period"), actor.today)
    done = perform(request, lambda: reports.report_back_prepare(actor=actor, community=community, period_start=start))
    if done.value is None:
        return redirect(reverse("volunteering:reports") + f"?period={start:%Y-%m-%d}")
    return redirect("volunteering:report", pk=done.value.pk)


def _report_for(request: ActorRequest, pk: int) -> ReportBack:
    report = (
        restrict(ReportBack.objects.select_related("community", "confirmed_by"), request.actor).filter(pk=pk).first()
    )
    if report is None:
        raise Http404
    return report


@require_GET
def report_detail(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    report = _report_for(request, pk)
    groups = reports.report_groups(actor=actor, report=report)
    context = {
        "report": report,
        "groups": groups,
        "members": sum(len(group.rows) for group in groups),
        "may_confirm": report.state == ReportBackState.DRAFT
        and actor.today > report.period_end
        and restrict(ReportBack.objects.filter(pk=report.pk), actor, CHANGE).exists(),
        "may_export": actor.scope.can(EXPORT) and report.state == ReportBackState.CONFIRMED,
        "over": actor.today > report.period_end,
    }
    return render(request, "volunteering/report_detail.html", context)


@require_POST
def report_confirm(request: ActorRequest, pk: int) -> HttpResponse:
    report = _report_for(request, pk)
    perform(
        request,
        lambda: reports.report_back_confirm(actor=request.actor, report=report),
        success=_("Confirmed: the figures are kept as sent. Download each workplace's sheet to send it."),
    )
    return redirect("volunteering:report", pk=report.pk)


@require_GET
def report_file(request: ActorRequest, pk: int, index: int, fmt: str) -> HttpResponse:
    """One workplace's sheet (PDF or Excel) of a confirmed report: what was sent, signed and dated
    as it was confirmed. Each download is an event (written once the file is made)."""
    actor = request.actor
    report = _report_for(request, pk)
    if report.state != ReportBackState.CONFIRMED or fmt not in ("pdf", "xlsx") or not actor.scope.can(EXPORT):
        raise Http404
    groups = reports.report_groups(actor=actor, report=report)
    if not 0 <= index < len(groups):
        raise Http404
    group = groups[index]
    if fmt == "xlsx":
        content = reports.render_xlsx(report, group)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        try:
            committee = reports.community_organisation(report.community)
            content = reports.render_pdf(report, group, community_org=committee, today=actor.today)
        except FontMissing as exc:
            messages.error(request, str(exc))
            return redirect("volunteering:report", pk=report.pk)
        kind = "application/pdf"
    if not perform(request, lambda: reports.record_download(actor=actor, report=report, group=group, fmt=fmt)):
        return redirect("volunteering:report", pk=report.pk)
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="report-back-{report.pk}-{index + 1}.{fmt}"'
    return response


@require_POST
def report_street_export(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    street = next(
        (s for s in reports.export_streets(actor=actor) if s.pk == parse_id(request.POST.get("street"))), None
    )
    if street is None:
        raise Http404
    start, _end = reports.parse_period(request.POST.get("period"), actor.today)
    started = perform(request, lambda: reports.street_export_start(actor=actor, street=street, start=start))
    if started.value is None:
        return redirect("volunteering:reports")
    return redirect("jobs:detail", pk=started.value.pk)


# -- 评先树优 -----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def nomination_list(request: ActorRequest) -> HttpResponse:
    """The nominations of one's area and the form to nominate someone (the community)."""
    actor = request.actor
    if not _staff(request):
        raise Http404
    may_nominate = actor.scope.can(CREATE)
    form = NominationForm(request.POST or None, actor=actor) if may_nominate else None
    if request.method == "POST":
        if form is None:
            raise Http404
        done = submit(
            request,
            form,
            lambda data: recognition.nominate(
                actor=actor,
                community=data["community"],
                person=data["person"],
                title=data["title"],
                reasons=data["reasons"],
                year=data["year"],
            ),
            success=_("Nominated; the street reviews it."),
        )
        if done.value is not None:
            return redirect("volunteering:nomination", pk=done.value.pk)
    state = request.GET.get("state", "")
    rows = recognition.nominations_for(actor=actor)
    if state in NominationState.values:
        rows = rows.filter(state=state)
    context = {
        "nominations": list(rows[:200]),
        "form": form,
        "state": state,
        "states": NominationState.choices,
    }
    return render(request, "volunteering/nomination_list.html", context)


@require_GET
def nomination_detail(request: ActorRequest, pk: int) -> HttpResponse:
    actor = request.actor
    nomination = recognition.nomination_for(actor=actor, pk=pk)
    own = nomination.person_id == actor.person_id
    manages = restrict(type(nomination).objects.filter(pk=nomination.pk), actor, CHANGE).exists()
    approved = nomination.state == NominationState.APPROVED
    context = {
        "nomination": nomination,
        "own": own,
        "manages": manages,
        "review_form": ReviewForm()
        if nomination.state == NominationState.SUBMITTED and recognition.may_review(actor=actor, nomination=nomination)
        else None,
        "consent_form": ConsentForm() if approved and (own or manages) else None,
        "withdraw_form": ReasonForm()
        if manages and nomination.state in (NominationState.SUBMITTED, NominationState.APPROVED)
        else None,
    }
    return render(request, "volunteering/nomination_detail.html", context)


def _post_to_nomination(
    request: ActorRequest, pk: int, form: SiteForm, call: Callable[..., Any], success: str
) -> HttpResponse:
    nomination = recognition.nomination_for(actor=request.actor, pk=pk)
    if form.is_valid():
        perform(request, lambda: call(nomination, form.cleaned_data), success=success)
    else:
        form_errors_to_messages(request, form)
    return redirect("volunteering:nomination", pk=nomination.pk)


@require_POST
def nomination_review(request: ActorRequest, pk: int) -> HttpResponse:
    return _post_to_nomination(
        request,
        pk,
        ReviewForm(request.POST),
        lambda nomination, data: recognition.nomination_review(
            actor=request.actor, nomination=nomination, approve=data["approve"], note=data["note"]
        ),
        success=_("The review is recorded; the community and the person are told."),
    )


@require_POST
def nomination_consent(request: ActorRequest, pk: int) -> HttpResponse:
    return _post_to_nomination(
        request,
        pk,
        ConsentForm(request.POST),
        lambda nomination, data: recognition.nomination_consent(
            actor=request.actor, nomination=nomination, consent=data["consent"], note=data["note"]
        ),
        success=_("Saved. The public pages follow the answer at once."),
    )


@require_POST
def nomination_withdraw(request: ActorRequest, pk: int) -> HttpResponse:
    return _post_to_nomination(
        request,
        pk,
        ReasonForm(request.POST),
        lambda nomination, data: recognition.nomination_withdraw(
            actor=request.actor, nomination=nomination, reason=data["reason"]
        ),
        success=_("The nomination is withdrawn."),
    )


@login_not_required
@require_GET
def honours(request: ActorRequest) -> HttpResponse:
    """The public roll of honour (光荣榜): approved nominations of people who agreed to be shown."""
    year_start = selectors.day_bounds(dt.date(request.actor.today.year, 1, 1), request.actor.today)[0]
    context = {
        "rows": recognition.honours(),
        "totals": selectors.public_totals(since=year_start),
        "year": request.actor.today.year,
    }
    return render(request, "volunteering/honours.html", context)
