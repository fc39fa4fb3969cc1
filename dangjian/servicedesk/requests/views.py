"""Staff pages of the service desk: the queue, the desk (intake), a request with its actions,
and the callbacks to make. Views parse, call a selector or lifecycle, and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.access import CHANGE, CREATE, VIEW, restrict
from dangjian.core.actors import ActorRequest
from dangjian.core.conf import config
from dangjian.core.validators import parse_id
from dangjian.core.views import ONCE_FIELD, Once, handed_over, is_htmx, perform
from dangjian.orgs.models import Region, RegionLevel
from dangjian.people import selectors as people_selectors
from dangjian.people import services as people_services
from dangjian.people.models import Person
from dangjian.phrases import selectors as phrase_selectors
from dangjian.servicedesk import phrases
from dangjian.servicedesk.forms import DeskForm
from dangjian.servicedesk.models import (
    REVIEW_CLASSIFICATIONS,
    RequestAttachment,
    RequestState,
    ServiceCategory,
    ServiceRequest,
)
from dangjian.servicedesk.permissions import require_staff
from dangjian.servicedesk.requests import dispatch, lifecycle
from dangjian.servicedesk.requests import selectors as request_selectors


@login_required
@require_GET
def queue(request: ActorRequest) -> HttpResponse:
    require_staff(request.actor)
    category = ServiceCategory.objects.filter(code=request.GET.get("category", "")).first()
    region = None
    if (region_id := parse_id(request.GET.get("region"))) is not None:
        region = restrict(Region.objects.all(), request.actor, VIEW).filter(pk=region_id).first()
    filters = request_selectors.QueueFilters(
        view=request.GET.get("view", "open"), category=category, region=region, q=request.GET.get("q", "")[:50]
    )
    page = request_selectors.queue_page(actor=request.actor, filters=filters, number=request.GET.get("page"))
    query = urlencode({k: str(v) for k, v in request.GET.items() if k != "page" and v})
    context = {
        "page": page,
        "filters": filters,
        "query": query,
        "counts": request_selectors.queue_counts(actor=request.actor),
        "views": _view_labels(),
        "categories": ServiceCategory.objects.order_by("family", "sort_order"),
        "regions": request_selectors.queue_region_choices(actor=request.actor),
        "can_create": request.actor.scope.can(CREATE),
        "now": timezone.now(),
        "soon": request_selectors.due_soon_until(timezone.now()),
    }
    return render(request, "servicedesk/requests/queue.html", context)


def _view_labels() -> list[tuple[str, str]]:
    return [
        ("open", _("Open")),
        ("new", _("To accept")),
        ("mine", _("Assigned to me")),
        ("overdue", _("Overdue")),
        ("due_soon", _("Due soon")),
        ("handled", _("Awaiting confirmation")),
        ("finished", _("Finished")),
        ("all", _("All")),
    ]


@login_required
@require_http_methods(["GET", "POST"])
def desk(request: ActorRequest) -> HttpResponse:
    """Record a walk-in or a phone call: find the requester (name, pinyin or the last four
    digits of the mobile) or add them on the spot, choose the service, say what is needed.
    Opened from another record (a care visit's "turn into a request"), it starts filled in
    (_desk_prefill)."""
    require_staff(request.actor)
    if not request.actor.scope.can(CREATE):
        raise Http404
    regions = people_selectors.grid_choices(actor=request.actor, action=CREATE)
    chosen: Person | None = None
    initial: dict[str, Any] = {}
    if request.method == "GET":
        chosen, initial = _desk_prefill(request)
    form = DeskForm(request.POST or None, regions=regions, initial=initial)
    once = Once(request, "desk")
    if request.method == "POST" and form.is_valid():
        if not once.claim():  # sent again: one request, shown as the first one left it
            messages.info(request, _("This request was already recorded; it was not recorded twice."))
            made = parse_id(once.made())
            return redirect("servicedesk:request", pk=made) if made else redirect("servicedesk:queue")
        data = form.cleaned_data
        if data["person"]:
            chosen = restrict(Person.objects.all(), request.actor, VIEW).filter(pk=data["person"]).first()
        elif not _anyone_found(request, request.POST.get("q", "")):
            carried = _carried(request.POST.get("q", ""))
            data = {**data, **{name: value for name, value in carried.items() if not data.get(name)}}
        recorded = perform(request, lambda: _desk_submit(request, data, chosen, regions), form=form)
        if recorded.value is not None:
            req, placed = recorded.value
            once.done(str(req.pk))
            messages.success(request, _desk_message(req, chosen, placed))
            return redirect("servicedesk:request", pk=req.pk)
        once.release()
    # A new person's address starts with one of the community's estates, one tap away.
    estates = people_selectors.known_estates(actor=request.actor, grids=regions)
    phrase_selectors.attach(form, "address", phrase_selectors.Offer(common=estates, prefix=True, label=_("Estates")))
    menu = phrase_selectors.phrase_menu(actor=request.actor, key=phrases.DESCRIPTION)
    codes = dict(ServiceCategory.objects.filter(code__in=menu).values_list("code", "pk"))  # the page picks by id
    context = {
        "form": form,
        "chosen": chosen,
        "q": request.POST.get("q", "") if request.method == "POST" else initial.get("q", ""),
        "once": request.POST.get(ONCE_FIELD) or Once.token(),
        "phrase_menu": {str(codes[code]): offer for code, offer in menu.items() if code in codes},
    }
    return render(request, "servicedesk/requests/desk.html", context)


def _desk_prefill(request: ActorRequest) -> tuple[Person | None, dict[str, Any]]:
    """What a link to the desk fills in: the requester (one the worker may see) and the service
    (``?person=<id>&category=<code>``), and what another page handed over in the session
    (``?from=<token>``: a care visit's member and need, core.views.hand_over). Unknown values
    are left out, never an error."""
    given = {**request.GET.dict(), **handed_over(request, request.GET.get("from", ""))}
    initial: dict[str, Any] = {}
    chosen = None
    if (person_id := parse_id(given.get("person"))) is not None:
        chosen = restrict(Person.objects.all(), request.actor, VIEW).filter(pk=person_id).first()
    code = str(given.get("category", ""))[:40]
    if code and (category := ServiceCategory.objects.filter(code=code, is_active=True).first()) is not None:
        initial["category"] = category.pk
    if request.GET.get("from") and (description := given.get("description", "").strip()[:2000]):
        initial["description"] = description
    initial["q"] = request.GET.get("q", "").strip()[:50]
    return chosen, initial


def _anyone_found(request: ActorRequest, text: str) -> bool:
    """Whether the requester search finds someone for ``text`` (then it is no new person's name)."""
    if not text.strip():
        return False
    filters = people_selectors.PeopleFilters(q=text[:50])
    return people_selectors.people_list(actor=request.actor, filters=filters).exists()


def _carried(text: str) -> dict[str, str]:
    """The search text typed when nobody was found, as the new person's mobile (digits) or name:
    what the page's script fills in, done again for a page sent without it."""
    text = " ".join(str(text or "").split())[:50]
    if not text:
        return {}
    digits = text.replace(" ", "").replace("-", "")
    if digits.isdigit():
        return {"phone": digits}
    return {"new_name": text} if not any(ch.isdigit() for ch in text) else {}


def _desk_submit(
    request: ActorRequest, data: dict[str, Any], chosen: Person | None, regions: Any
) -> tuple[ServiceRequest, str]:
    """The request, and how a new requester's grid was found (for the confirmation)."""
    with transaction.atomic():  # a new requester is kept only with their request
        requester, placed = (chosen, "") if chosen else _new_person(request, data, regions)
        req = lifecycle.request_submit(
            actor=request.actor,
            channel=data["channel"],
            category=data["category"],
            description=data["description"],
            region=data["region"] or None,  # else the requester's grid
            requester=requester,
            phone=data["phone"] if requester is None else "",
            address=data.get("address", "") if chosen is None else "",
        )
    return req, placed


def _new_person(request: ActorRequest, data: dict[str, Any], regions: Any) -> tuple[Person | None, str]:
    """A requester not yet known is registered with a name, mobile and address (or left as a
    contact: None). Returns them and how their grid was found ("" when chosen)."""
    name = (data.get("new_name") or "").strip()
    if not name:
        if not data.get("phone"):
            raise ValidationError({"person": [_("Find the requester, or enter a name and mobile for a new one.")]})
        return None, ""
    region, placed = _new_person_grid(request, data, regions)
    address = (data.get("address") or "").strip()
    person = people_services.person_create(
        actor=request.actor,
        data={
            "name": name,
            "phone": data.get("phone", ""),
            "region": region,
            "address": address,
            "household_address": address,
        },
    )
    return person, placed


def _new_person_grid(request: ActorRequest, data: dict[str, Any], regions: Any) -> tuple[Region, str]:
    """The grid chosen; else the grid of the same building; else the one grid the worker holds a
    role at (a grid worker's, never where they live); else the worker is asked."""
    if data.get("region") is not None:
        return data["region"], ""
    found = people_selectors.grid_for_address(actor=request.actor, address=data.get("address", ""), grids=regions)
    if found is not None:
        return found, "building"
    own = list(regions.filter(path__in=request.actor.scope.held.region_paths, level=RegionLevel.GRID)[:2])
    if len(own) == 1:
        return own[0], "own"
    raise ValidationError({"region": [_("Choose the grid where the new person lives.")]})


def _desk_message(req: ServiceRequest, chosen: Person | None, placed: str) -> str:
    if chosen is not None or req.requester is None:
        return _("Request %(number)s recorded.") % {"number": req.number}
    why = {"building": _("the grid of the same building"), "own": _("the grid you work in")}.get(placed, "")
    if why:
        return _("Request %(number)s recorded; %(name)s is registered in %(grid)s (%(why)s).") % {
            "number": req.number,
            "name": req.requester.name,
            "grid": req.requester.region.name,
            "why": why,
        }
    return _("Request %(number)s recorded; %(name)s is registered in %(grid)s.") % {
        "number": req.number,
        "name": req.requester.name,
        "grid": req.requester.region.name,
    }


@login_required
@require_GET
def desk_people(request: ActorRequest) -> HttpResponse:
    """The requester search of the desk (an htmx partial; also a plain page without JavaScript)."""
    require_staff(request.actor)
    text = request.GET.get("q", "")[:50]
    people: list[Person] = []
    if text.strip():
        filters = people_selectors.PeopleFilters(q=text)
        people = list(people_selectors.people_list(actor=request.actor, filters=filters).select_related("region")[:8])
    return render(request, "servicedesk/requests/desk_people.html", {"people": people, "q": text})


@login_required
@require_POST
def contact(request: ActorRequest, pk: int) -> HttpResponse:
    """The requester's full number, to call them back; logged. An htmx request gets the number."""
    req = request_selectors.request_for(actor=request.actor, pk=pk)
    revealed = perform(request, lambda: lifecycle.request_reveal_contact(actor=request.actor, req=req))
    context = {"req": req, "number": revealed.value}
    if is_htmx(request):
        return render(request, "servicedesk/requests/detail.html#contact", context)
    return render(request, "servicedesk/requests/contact.html", context)


@login_required
@require_GET
def detail(request: ActorRequest, pk: int) -> HttpResponse:
    req = request_selectors.request_for(actor=request.actor, pk=pk)
    actor = request.actor
    is_staff = lifecycle.is_staff_for(actor, req)
    is_handler = lifecycle.is_handler(actor, req)
    if not (is_staff or is_handler):
        # The requester (who may see their own request) follows it on the resident pages, which
        # show what is meant for them and not the staff's internal notes.
        return redirect("portal:track", token=req.token)
    actions = {
        a: lifecycle.may(actor, req, a) for a in (*lifecycle.TRANSITIONS, "reopen", "note", "sign_off", "unmerge")
    }
    actions["classify"] = is_staff and not req.signed_off_at and not req.is_merged
    context = {
        "req": req,
        "steps": request_selectors.steps(req, public_only=False),
        "attachments": list(req.attachments.all()),
        "rating": request_selectors.rating_for(actor=actor, req=req),
        "actions": actions,
        "is_staff": is_staff,
        "suggestions": dispatch.suggestions(actor=actor, req=req) if actions["dispatch"] else [],
        "communities": Region.objects.filter(level=RegionLevel.COMMUNITY).exclude(pk=req.community_id)
        if actions["transfer"]
        else [],
        "classifications": REVIEW_CLASSIFICATIONS,
        "callback": getattr(req, "callback", None),
        # The caller tried today without reaching the requester: the next try is tomorrow.
        "callback_tomorrow": not actions["callback"]
        and req.state in lifecycle.TRANSITIONS["callback"]
        and lifecycle.may_call_back(actor, req, tried_today=True),
        "callback_attempts": config().callback_attempts,
        # may_reveal_contact, answered without its callback query: staff and handlers only get here
        "can_reveal_contact": is_staff or is_handler,
        "contact_masked": req.phone_masked or (req.requester.phone_masked if req.requester else ""),
        "result_phrases": phrase_selectors.phrases_for(actor=actor, key=phrases.RESULT, region=req.region)
        if actions["handle"]
        else None,
    }
    return render(request, "servicedesk/requests/detail.html", context)


@login_required
@require_POST
def act(request: ActorRequest, pk: int, action: str) -> HttpResponse:
    """One action on a request, from the buttons of its page."""
    req = request_selectors.request_for(actor=request.actor, pk=pk)
    post = request.POST
    note = post.get("note", "")
    version = parse_id(post.get("version"))
    common = {"actor": request.actor, "req": req}
    # Not through perform: a refusal is a message, not a 404, while the user may still change
    # the request (or for a callback), and the redirect depends on whether they still see it.
    try:
        result = _perform(action, post, note, version, common, request)
    except PermissionDenied:
        if not restrict(type(req).objects.filter(pk=req.pk), request.actor, CHANGE).exists() and action != "callback":
            raise Http404 from None
        messages.error(request, _("You cannot do this on this request."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if result is not None and result.pk != req.pk:
            messages.success(request, _("Request %(number)s opened.") % {"number": result.number})
            return redirect("servicedesk:request", pk=result.pk)
        messages.success(request, _("Done: %(action)s.") % {"action": lifecycle.ACTION_LABELS.get(action, action)})
    if not restrict(type(req).objects.filter(pk=req.pk), request.actor, VIEW).exists():
        return redirect("servicedesk:queue")
    return redirect("servicedesk:request", pk=req.pk)


def _perform(
    action: str, post: Any, note: str, version: int | None, common: dict[str, Any], request: ActorRequest
) -> Any:
    lc = lifecycle
    if action == "accept":
        return lc.request_accept(note=note, expected_version=version, **common)
    if action == "dispatch":
        kind = post.get("kind", "")
        target = dispatch.resolve_assignee(actor=request.actor, kind=kind, pk=parse_id(post.get("value")))
        return lc.request_dispatch(kind=kind, note=note, expected_version=version, **target, **common)
    if action == "start":
        return lc.request_start(note=note, **common)
    if action == "return":
        return lc.request_return(note=note, **common)
    if action == "suspend":
        return lc.request_suspend(note=note, **common)
    if action == "resume":
        return lc.request_resume(note=note, **common)
    if action == "escalate":
        return lc.request_escalate(note=note, **common)
    if action == "transfer":
        region_id = post.get("region", "")
        region = Region.objects.filter(pk=pk).first() if (pk := parse_id(region_id)) is not None else None
        return lc.request_transfer(region=region, note=note, **common)
    if action == "handle":
        return lc.request_handle(result=post.get("result", ""), **common)
    if action == "callback":
        answered = post.get("answered") == "yes"
        resolved = {"yes": True, "no": False}.get(post.get("resolved", ""))
        return lc.request_callback(
            answered=answered, resolved=resolved, score=post.get("score") or None, note=note, **common
        )
    if action == "close":
        return lc.request_close(note=note, **common)
    if action == "merge":
        number = post.get("original", "")
        original_id = parse_id(number.rsplit("-", 1)[-1])
        original = None
        if original_id is not None:
            original = restrict(type(common["req"]).objects.all(), request.actor, VIEW).filter(pk=original_id).first()
        return lc.request_merge(original=original, note=note, **common)
    if action == "note":
        return lc.request_note(note=note, **common)
    if action == "reopen":
        return lc.request_reopen(note=note, **common)
    if action == "classify":
        return lc.request_classify(classification=post.get("classification", ""), note=note, **common)
    if action == "sign_off":
        return lc.request_sign_off(note=note, **common)
    if action == "unmerge":
        return lc.request_unmerge(note=note, **common)
    if action == "summary":
        return lc.request_set_public(actor=request.actor, req=common["req"], summary=post.get("summary", ""))
    raise Http404


@login_required
@require_GET
def attachment(request: ActorRequest, pk: int, attachment_pk: int) -> FileResponse:
    item = get_object_or_404(
        restrict(RequestAttachment.objects.all(), request.actor, VIEW), pk=attachment_pk, request_id=pk
    )
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name)


@login_required
@require_GET
def callbacks(request: ActorRequest) -> HttpResponse:
    """Sampled requests to call back: made from outside the handling unit, by someone who did not
    handle them."""
    require_staff(request.actor)
    rows = request_selectors.callbacks_due(actor=request.actor)
    context = {"rows": rows, "states": RequestState, "attempts": config().callback_attempts}
    return render(request, "servicedesk/requests/callbacks.html", context)
