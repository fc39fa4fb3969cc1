"""The platform's own REST API under /api/v1/ (described by openapi.py, served as
/api/v1/openapi.json and /api/v1/docs/).

Views parse and check; reads go through selectors (the access layer), writes through
servicedesk/lifecycle.py. Callers authenticate with their session (CSRF is enforced on unsafe
methods, as on every page) or with ``Authorization: Bearer <api key>``. Errors are always
``{"errors": {field: [messages]}}``; messages that belong to no field sit under ``__all__``.
Outside a caller's scope a request does not exist: 404, never 403.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from dangjian.api import selectors
from dangjian.api.authentication import key_actor
from dangjian.api.common import clean_text, decimal_or_none, parse_coordinate, parse_moment, w3c
from dangjian.api.http import BodyError, read_body
from dangjian.api.keys import allow_write, key_for
from dangjian.api.openapi import openapi_document
from dangjian.core.access import CHANGE, CREATE, VIEW, allowed, restrict
from dangjian.core.actors import Actor, ActorRequest, client_ip
from dangjian.core.validators import parse_id
from dangjian.orgs.models import Region, RegionLevel
from dangjian.people.models import Person
from dangjian.servicedesk.models import OPEN_STATES, Channel, RequestState, ServiceCategory, ServiceRequest
from dangjian.servicedesk.requests import lifecycle
from dangjian.servicedesk.requests.dispatch import ASSIGNEE_FIELD, resolve_assignee

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
SUBMIT_CHANNELS = (Channel.API, Channel.WEB, Channel.DESK, Channel.PHONE, Channel.RECEPTION)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ApiError(Exception):
    def __init__(self, status: int, errors: dict[str, list[str]] | str) -> None:
        super().__init__(errors)
        self.status = status
        self.errors = {NON_FIELD_ERRORS: [errors]} if isinstance(errors, str) else errors


def error_response(status: int, errors: dict[str, list[str]]) -> JsonResponse:
    body = {"errors": {field: [clean_text(m) for m in messages] for field, messages in errors.items()}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def ok(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def validation_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {NON_FIELD_ERRORS: list(exc.messages)}


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: ActorRequest, reason: str) -> str:  # the reason, not a 403
        return reason


def _csrf_failure(request: ActorRequest) -> str | None:
    """Run the CSRF check the middleware would have run (the view itself is exempt so that
    bearer-key clients need no token). None when it passes."""
    check = _CsrfCheck(lambda req: HttpResponse())
    check.process_request(request)
    return cast(str | None, check.process_view(request, cast(Any, None), (), {}))


def _caller(request: ActorRequest) -> tuple[Actor, Any]:
    """(actor, key) for a bearer key, (actor, None) for a session, (anonymous actor, None) for
    nobody. A key's actor is its user, acting through the API."""
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":  # other schemes (a proxy's Basic auth) are not ours to judge
        key = key_for(clean_text(secret))
        if key is None:
            raise ApiError(401, _("The API key is invalid or has been revoked."))
        return key_actor(request, key), key
    if request.user.is_authenticated:
        if request.method not in SAFE_METHODS and _csrf_failure(request) is not None:
            raise ApiError(403, _("CSRF check failed: send the X-CSRFToken header with the csrftoken cookie."))
        return request.actor, None
    return Actor.for_user(None, via="api", ip=client_ip(request)), None


def api_view(*methods: str, public: bool = False) -> Callable:
    """JSON in and out, the errors of the module docstring, and authentication by session or key.
    A write's body is read first: too large is 413, unreadable 400, in the same format."""
    allowed_methods = (*methods, "HEAD") if "GET" in methods else methods

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: ActorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed_methods:
                response = error_response(
                    405, {NON_FIELD_ERRORS: [_("Method %(method)s is not allowed here.") % {"method": request.method}]}
                )
                response["Allow"] = ", ".join(allowed_methods)
                return response
            try:
                if request.method not in SAFE_METHODS:
                    read_body(request)
                actor, key = _caller(request)
                if not actor.is_authenticated and not public:
                    raise ApiError(401, _("Sign in, or send an API key as Authorization: Bearer <key>."))
                if key is not None and request.method not in SAFE_METHODS and not allow_write(key, now=actor.now):
                    raise ApiError(429, _("Too many requests from this API key; wait a minute and try again."))
                return view(request, actor, *args, **kwargs)
            except BodyError as exc:
                return error_response(exc.status, {NON_FIELD_ERRORS: [exc.message]})
            except ApiError as exc:
                response = error_response(exc.status, cast(dict[str, list[str]], exc.errors))
                if exc.status == 401:
                    response["WWW-Authenticate"] = 'Bearer realm="api"'
                return response
            except ValidationError as exc:
                return error_response(400, validation_errors(exc))

        return login_not_required(csrf_exempt(never_cache(wrapper)))

    return decorate


def _body(request: ActorRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):
            raise ApiError(400, _("The body is not valid JSON.")) from None
    else:
        data = request.POST.dict()
    if not isinstance(data, dict):
        raise ApiError(400, _("The body must be a JSON object."))
    return data


def _text(data: dict[str, Any], name: str, errors: dict[str, list[str]]) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        errors.setdefault(name, []).append(_("Send text."))
        return ""
    return clean_text(value).strip()


def _optional_id(data: dict[str, Any], name: str, errors: dict[str, list[str]]) -> int | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    pk = parse_id(value) if not isinstance(value, bool | dict | list | float) else None
    if pk is None:
        errors.setdefault(name, []).append(_("Send the id, a whole number."))
    return pk


# --- representations --------------------------------------------------------------------------


def _region_data(region: Region) -> dict[str, Any]:
    return {"id": region.pk, "code": region.code, "name": region.name}


def request_data(req: ServiceRequest, *, detail: bool = False) -> dict[str, Any]:
    """A request as its viewers see it. Encrypted and hashed phones never leave the server; the
    token is added for the requester only (see _detail)."""
    data: dict[str, Any] = {
        "id": req.pk,
        "number": req.number,
        "category": {"code": req.category.code, "name": req.category.name},
        "channel": req.channel,
        "state": req.state,
        "state_label": str(req.get_state_display()),
        "status": "open" if req.state in OPEN_STATES else "closed",
        "description": req.description,
        "address": req.address,
        "latitude": decimal_or_none(req.latitude),
        "longitude": decimal_or_none(req.longitude),
        "region": _region_data(req.region),
        "community": _region_data(req.community),
        "level": req.level,
        "assignee_kind": req.assignee_kind,
        "submitted_at": w3c(req.submitted_at),
        "response_due_at": w3c(req.response_due_at),
        "resolution_due_at": w3c(req.resolution_due_at),
        "first_response_at": w3c(req.first_response_at),
        "handled_at": w3c(req.handled_at),
        "closed_at": w3c(req.closed_at),
        "response_breached": req.response_breached,
        "resolution_breached": req.resolution_breached,
        "result": req.result,
        "outcome": req.outcome,
        "is_public": req.is_public,
        "public_summary": req.public_summary,
        "version": req.version,
        "updated_at": w3c(req.updated_at),
    }
    if detail:
        data["contact"] = {"name": req.contact_name, "phone": req.phone_masked}
    return data


def _steps(req: ServiceRequest, *, internal: bool) -> list[dict[str, Any]]:
    steps = req.steps.all() if internal else req.steps.filter(is_public=True)
    return [
        {
            "action": step.action,
            "label": str(lifecycle.ACTION_LABELS.get(step.action, step.action)),
            "old_state": step.old_state,
            "new_state": step.new_state,
            "at": w3c(step.at),
            "note": step.note,
        }
        for step in steps
    ]


def _detail(req: ServiceRequest, actor: Actor) -> dict[str, Any]:
    data = request_data(req, detail=True)
    internal = lifecycle.is_handler(actor, req) or allowed(actor, CHANGE, req)
    data["steps"] = _steps(req, internal=internal)
    # The token lets its holder confirm the outcome as the requester: staff who recorded the
    # request never get it (they could mark their own work resolved).
    if lifecycle.is_requester(actor, req):
        data["token"] = req.token
    return data


def _visible(actor: Actor) -> Any:
    return selectors.visible_requests(actor=actor).select_related("category", "community", "region")


def _get_request(actor: Actor, pk: str) -> ServiceRequest:
    number = parse_id(pk)
    req = _visible(actor).filter(pk=number).first() if number else None
    if req is None:
        raise ApiError(404, _("No such request."))
    return req


# --- endpoints --------------------------------------------------------------------------------


@api_view("GET", public=True)
def categories(request: ActorRequest, actor: Actor) -> JsonResponse:
    """The catalogue is public, like a service counter's list of what it does."""
    results = [
        {
            "code": c.code,
            "name": c.name,
            "family": c.family,
            "family_label": str(c.get_family_display()),
            "description": c.description,
            "response_target": c.response_target,
            "response_unit": c.response_unit,
            "resolution_target": c.resolution_target,
            "resolution_unit": c.resolution_unit,
            "skills": [skill.name for skill in c.skills.all()],
        }
        for c in selectors.active_categories()
    ]
    return ok({"results": results})


def _filtered(request: ActorRequest, queryset: Any) -> tuple[Any, int]:
    errors: dict[str, list[str]] = {}
    params = request.GET
    states = [s for s in clean_text(params.get("state", "")).split(",") if s.strip()]
    if states:
        if set(states) - set(RequestState.values):
            errors["state"] = [_("Unknown state; use one of %(states)s.") % {"states": ", ".join(RequestState.values)}]
        queryset = queryset.filter(state__in=states)
    codes = [c.strip()[:40] for c in clean_text(params.get("category", "")).split(",") if c.strip()]
    if codes:
        queryset = queryset.filter(category__code__in=codes)
    if params.get("community"):
        community = parse_id(params["community"])
        if community is None:
            errors["community"] = [_("Send the community's id, a whole number.")]
        queryset = queryset.filter(community_id=community or 0)
    for name, lookup, end_of_day in (("from", "submitted_at__gte", False), ("to", "submitted_at__lt", True)):
        if params.get(name):
            try:
                moment = parse_moment(clean_text(params[name]), end_of_day=end_of_day)
            except ValueError:
                errors[name] = [_("Send a date (2026-11-28) or a W3C datetime (2026-11-28T09:30:00+08:00).")]
            else:
                queryset = queryset.filter(**{lookup: moment})
    if params.get("before"):
        before = parse_id(params["before"])
        if before is None:
            errors["before"] = [_("Send the id the previous page ended with.")]
        queryset = queryset.filter(pk__lt=before or 0)
    limit = PAGE_SIZE
    if params.get("limit"):
        number = parse_id(params["limit"])
        if number is None or number > MAX_PAGE_SIZE:
            errors["limit"] = [_("Send a page size from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}]
        else:
            limit = number
    if errors:
        raise ApiError(400, errors)
    return queryset, limit


@api_view("GET", "POST")
def requests(request: ActorRequest, actor: Actor) -> JsonResponse:
    """GET: the requests the caller may see, newest first, paged by id (``before``). POST: submit."""
    if request.method == "POST":
        return _submit(request, actor)
    queryset, limit = _filtered(request, _visible(actor))
    rows = list(queryset.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_url = None
    if more:
        params = request.GET.copy()
        params["before"] = str(rows[-1].pk)
        next_url = request.build_absolute_uri(request.path) + "?" + urlencode(sorted(params.items()))
    return ok({"results": [request_data(r) for r in rows], "next": next_url})


@api_view("GET")
def request_detail(request: ActorRequest, actor: Actor, request_id: str) -> JsonResponse:
    return ok(_detail(_get_request(actor, request_id), actor))


def _requester(data: dict[str, Any], actor: Actor, errors: dict[str, list[str]]) -> Person | None:
    value = data.get("requester")
    if value in (None, ""):
        return None
    if value == "self":
        person_id = actor.scope.person_id
        if person_id is None:
            errors["requester"] = [_("Your account has no resident record; give a contact phone instead.")]
            return None
        return Person.objects.get(pk=person_id)
    pk = _optional_id(data, "requester", errors)
    person = restrict(Person.objects.all(), actor, VIEW).filter(pk=pk).first() if pk else None
    if person is None and "requester" not in errors:
        errors["requester"] = [_("No such person.")]
    return person


def _submit(request: ActorRequest, actor: Actor) -> JsonResponse:
    data = _body(request)
    errors: dict[str, list[str]] = {}
    code = _text(data, "category", errors)
    category = ServiceCategory.objects.filter(code=code[:40], is_active=True).first() if code else None
    channel = _text(data, "channel", errors) or Channel.API
    if channel not in SUBMIT_CHANNELS:
        errors["channel"] = [_("Unknown channel; use one of %(channels)s.") % {"channels": ", ".join(SUBMIT_CHANNELS)}]
    requester = _requester(data, actor, errors)
    region = None
    region_id = _optional_id(data, "region", errors)
    if region_id:
        region = Region.objects.filter(pk=region_id, level__in=[RegionLevel.COMMUNITY, RegionLevel.GRID]).first()
        if region is None:
            errors["region"] = [_("Choose the community (and, if you know it, the grid).")]
    own = requester is not None and requester.pk == actor.scope.person_id
    if region is not None and not own and not allowed(actor, CREATE, region):
        # Someone else's request is recorded only where the caller takes requests in.
        errors["region"] = [_("You cannot record requests for this community.")]
    latitude = longitude = None
    lat_text, long_text = _text(data, "latitude", errors), _text(data, "longitude", errors)
    if lat_text or long_text:
        try:
            latitude, longitude = parse_coordinate(lat_text, 90), parse_coordinate(long_text, 180)
        except ValueError:
            errors["latitude"] = [_("Send latitude and longitude together, in decimal degrees.")]
    fields = {name: _text(data, name, errors) for name in ("description", "contact_name", "phone", "address")}
    is_public = data.get("is_public", False)
    if not isinstance(is_public, bool):
        errors["is_public"] = [_("Send true or false.")]
    if errors:
        raise ApiError(400, errors)
    try:
        req = lifecycle.request_submit(
            actor=actor,
            channel=channel,
            category=category,
            description=fields["description"],
            region=region,
            requester=requester,
            contact_name=fields["contact_name"],
            phone=fields["phone"][:40],
            address=fields["address"],
            latitude=latitude,
            longitude=longitude,
            is_public=is_public,
        )
    except PermissionDenied:
        raise ApiError(403, _("You may not submit a request for this person.")) from None
    req = _visible(actor).filter(pk=req.pk).first() or req
    return ok(_detail(req, actor), status=201)


# --- transitions ------------------------------------------------------------------------------


def _assignee(data: dict[str, Any], actor: Actor, errors: dict[str, list[str]]) -> dict[str, Any]:
    """The one to dispatch to, found among those the dispatcher may see (else None, and the
    lifecycle says what is missing)."""
    kind = _text(data, "kind", errors)
    field = ASSIGNEE_FIELD.get(kind)  # type: ignore[call-overload]
    pk = _optional_id(data, field, errors) if field else None
    return {"kind": kind, **resolve_assignee(actor=actor, kind=kind, pk=pk)}


TRANSITIONS: dict[str, Callable[..., ServiceRequest]] = {
    "accept": lifecycle.request_accept,
    "dispatch": lifecycle.request_dispatch,
    "start": lifecycle.request_start,
    "return": lifecycle.request_return,
    "suspend": lifecycle.request_suspend,
    "resume": lifecycle.request_resume,
    "escalate": lifecycle.request_escalate,
    "handle": lifecycle.request_handle,
    "close": lifecycle.request_close,
    "note": lifecycle.request_note,
}
TAKES_VERSION = ("accept", "dispatch")


@api_view("POST")
def request_transition(request: ActorRequest, actor: Actor, request_id: str) -> JsonResponse:
    """One step of the state machine: ``{"action": ..., "note": ..., ...}`` (see openapi.py)."""
    req = _get_request(actor, request_id)
    data = _body(request)
    errors: dict[str, list[str]] = {}
    action = _text(data, "action", errors)
    if action not in TRANSITIONS:
        errors["action"] = [_("Unknown action; use one of %(actions)s.") % {"actions": ", ".join(TRANSITIONS)}]
    note = _text(data, "note", errors)
    kwargs: dict[str, Any] = {"actor": actor, "req": req}
    if action == "handle":
        kwargs["result"] = _text(data, "result", errors) or note
    else:
        kwargs["note"] = note
    if action in TAKES_VERSION and data.get("expected_version") not in (None, ""):
        kwargs["expected_version"] = _optional_id(data, "expected_version", errors)
    if action == "dispatch":
        kwargs.update(_assignee(data, actor, errors))
    if errors:
        raise ApiError(400, errors)
    try:
        TRANSITIONS[action](**kwargs)
    except PermissionDenied:
        raise ApiError(403, _("You may not do this to this request now.")) from None
    return ok(_detail(_get_request(actor, request_id), actor))


# --- the description --------------------------------------------------------------------------


@api_view("GET", public=True)
def openapi(request: ActorRequest, actor: Actor) -> JsonResponse:
    return ok(openapi_document(request))


@login_not_required
@require_safe
def docs(request: ActorRequest) -> HttpResponse:
    """The OpenAPI document as a page (no JavaScript, nothing from a CDN)."""
    document = openapi_document(request)
    operations = [
        {"path": path, "method": method.upper(), **operation}
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    return render(request, "api/docs.html", {"document": document, "operations": operations})
