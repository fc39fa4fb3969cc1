"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under /open311/v2/.

Every resource answers as ``.json`` or ``.xml``. Errors are the spec's list of
``{"code": <HTTP status>, "description": ...}`` (XML: ``<errors><error>…``) with that status.
Requests are private by default: without an ``api_key`` only the public board is visible,
anonymised; with one, what the key's user may see through the access layer. See docs/api.md.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Any, cast
from xml.etree import ElementTree as ET

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from dangjian.api import selectors
from dangjian.api.authentication import key_actor
from dangjian.api.common import clean_text, decimal_or_none, parse_coordinate, parse_moment, w3c
from dangjian.api.http import BodyError, read_body
from dangjian.api.keys import allow_write, key_for
from dangjian.api.models import ApiKey
from dangjian.core.access import CREATE, allowed
from dangjian.core.actors import ActorRequest
from dangjian.core.validators import parse_id
from dangjian.servicedesk.models import OPEN_STATES, Channel, ServiceCategory, ServiceRequest
from dangjian.servicedesk.requests.lifecycle import is_staff_for, request_submit

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-28T00:00:00+08:00"  # when the shape of this API last changed
MAX_ROWS = 1000
DEFAULT_DAYS = 90
MAX_IDS = 1000
# Children of list-valued fields in XML: <formats><format>…</format></formats>.
XML_ITEMS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}
# request_submit's fields → the Open311 parameter a client sent.
FIELD_NAMES = {
    "category": "service_code",
    "region": "jurisdiction_id",
    "attachments": "media_url",
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
}


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions)
        self.status = status
        self.descriptions = descriptions or (_("The request could not be processed."),)


# --- output -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return clean_text(value)


def _xml_fill(element: ET.Element, item: dict[str, Any]) -> None:
    for name, value in item.items():
        child = ET.SubElement(element, name)
        if isinstance(value, list):
            for entry in value:
                grandchild = ET.SubElement(child, XML_ITEMS.get(name, "item"))
                if isinstance(entry, dict):
                    _xml_fill(grandchild, entry)
                else:
                    grandchild.text = _text(entry)
        else:
            child.text = _text(value)


def xml_document(root: str, item_tag: str | None, data: dict[str, Any] | Iterable[dict[str, Any]]) -> str:
    """A well-formed UTF-8 document; ElementTree escapes &, <, > and quotes in every value."""
    element = ET.Element(root)
    if item_tag is None:
        _xml_fill(element, cast(dict[str, Any], data))
    else:
        for item in cast(Iterable[dict[str, Any]], data):
            _xml_fill(ET.SubElement(element, item_tag), item)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode")


def respond(
    fmt: str, data: Any, *, root: str = "service_requests", item: str | None = "request", status: int = 200
) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(xml_document(root, item, data), content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(data, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def error_response(fmt: str, status: int, descriptions: Iterable[str]) -> HttpResponse:
    errors = [{"code": status, "description": clean_text(text)} for text in descriptions]
    return respond(fmt, errors, root="errors", item="error", status=status)


def open311_view(*methods: str) -> Callable:
    """Public (the spec's own api_key decides), CSRF-exempt (no cookies are used), never
    cached; wrong methods, bodies too large (413) or unreadable (400) and Open311Error become
    the spec's error format."""
    allowed_methods = (*methods, "HEAD") if "GET" in methods else methods

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: ActorRequest, *args: Any, format: str, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed_methods:
                response = error_response(
                    format, 405, [_("Method %(method)s is not allowed here.") % {"method": request.method}]
                )
                response["Allow"] = ", ".join(allowed_methods)
                return response
            try:
                if request.method == "POST":
                    read_body(request)
                return view(request, *args, fmt=format, **kwargs)
            except BodyError as exc:
                return error_response(format, exc.status, [exc.message])
            except Open311Error as exc:
                return error_response(format, exc.status, exc.descriptions)

        return login_not_required(csrf_exempt(never_cache(wrapper)))

    return decorate


# --- discovery and services -------------------------------------------------------------------


@open311_view("GET")
def discovery(request: ActorRequest, fmt: str) -> HttpResponse:
    data = {
        "changeset": CHANGESET,
        "contact": _("Ask the street's service desk for an API key."),
        "key_service": request.build_absolute_uri(reverse("api:docs")),
        "endpoints": [
            {
                "specification": SPEC,
                "url": request.build_absolute_uri(reverse("open311:discovery", kwargs={"format": fmt})).rsplit("/", 1)[
                    0
                ],
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    if fmt == "xml":
        return respond(fmt, data, root="discovery", item=None)
    return respond(fmt, data)


def service_item(category: ServiceCategory) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(skill.name for skill in category.skills.all()),
        "group": str(category.get_family_display()),
    }


@open311_view("GET")
def services(request: ActorRequest, fmt: str) -> HttpResponse:
    return respond(fmt, [service_item(c) for c in selectors.active_categories()], root="services", item="service")


@open311_view("GET")
def service_definition(request: ActorRequest, fmt: str, code: str) -> HttpResponse:
    category = ServiceCategory.objects.filter(code=clean_text(code)[:40], is_active=True).first()
    if category is None:
        raise Open311Error(404, _("service_code was not found."))
    data = {"service_code": category.code, "attributes": []}
    return respond(fmt, data, root="service_definition", item=None)


# --- requests ---------------------------------------------------------------------------------


def _param(request: ActorRequest, name: str) -> str:
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name, "")
    return clean_text(value).strip()


def _key(request: ActorRequest) -> ApiKey | None:
    """The caller's key; a key that is given but wrong is an error, not anonymity."""
    secret = _param(request, "api_key")
    if not secret:
        return None
    key = key_for(secret)
    if key is None:
        raise Open311Error(403, _("api_key is invalid or has been revoked."))
    key_actor(request, key)  # the key's user acts from here on (request.actor)
    return key


def request_item(req: ServiceRequest, *, full: bool) -> dict[str, Any]:
    """One request in Open311 terms. ``full`` for callers who may see it; otherwise only what
    the public board shows: the staff's summary instead of the resident's words, no place."""
    item: dict[str, Any] = {
        "service_request_id": req.pk,
        "status": "open" if req.state in OPEN_STATES else "closed",
        "status_notes": req.result if full else req.public_summary,
        "service_name": req.category.name,
        "service_code": req.category.code,
        "description": req.description if full else req.public_summary,
        "agency_responsible": req.community.name,
        "service_notice": str(req.get_state_display()),
        "requested_datetime": w3c(req.submitted_at),
        "updated_datetime": w3c(req.updated_at),
        "expected_datetime": w3c(req.resolution_due_at),
    }
    if full:
        item.update(address=req.address, lat=decimal_or_none(req.latitude), long=decimal_or_none(req.longitude))
    return item


def _scoped(request: ActorRequest, key: ApiKey | None) -> tuple[Any, bool]:
    if key is None:
        return selectors.public_board(), False
    return selectors.visible_requests(actor=request.actor), True


def _listed(queryset: Any) -> Any:
    return queryset.select_related("category", "community").order_by("-submitted_at", "-id")[:MAX_ROWS]


def _date_range(request: ActorRequest) -> tuple[dt.datetime, dt.datetime]:
    start_text, end_text = _param(request, "start_date"), _param(request, "end_date")
    try:
        start = parse_moment(start_text) if start_text else None
        end = parse_moment(end_text, end_of_day=True) if end_text else None
    except ValueError:
        raise Open311Error(
            400, _("start_date and end_date must be W3C datetimes, e.g. 2026-11-05T08:15:30+08:00.")
        ) from None
    span = dt.timedelta(days=DEFAULT_DAYS)
    if start is None and end is None:
        end = timezone.now()
    try:
        if start is None:
            assert end is not None
            start = end - span
        elif end is None:
            end = start + span
    except OverflowError:  # 90 days before 0001-01-01 or after 9999-12-31
        raise Open311Error(400, _("start_date and end_date must lie between the years 1 and 9999.")) from None
    if end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if end - start > span:
        raise Open311Error(400, _("The date range may span at most %(days)d days.") % {"days": DEFAULT_DAYS})
    return start, end


def _search(request: ActorRequest, queryset: Any) -> Any:
    ids_text = _param(request, "service_request_id")
    if ids_text:  # the spec: a list of ids overrides every other argument
        parts = [part.strip() for part in ids_text.split(",") if part.strip()]
        ids = [parse_id(part) for part in parts]
        if not parts or len(parts) > MAX_IDS or None in ids:
            raise Open311Error(
                400, _("service_request_id must be a comma-separated list of at most %(n)d ids.") % {"n": MAX_IDS}
            )
        return queryset.filter(pk__in=ids)
    codes_text = _param(request, "service_code")
    if codes_text:
        codes = {code.strip() for code in codes_text.split(",") if code.strip()}
        known = set(ServiceCategory.objects.filter(code__in=[c[:40] for c in codes]).values_list("code", flat=True))
        if not codes or codes - known:
            raise Open311Error(400, _("service_code was not found."))
        queryset = queryset.filter(category__code__in=codes)
    status_text = _param(request, "status")
    if status_text:
        statuses = {status.strip().lower() for status in status_text.split(",") if status.strip()}
        if not statuses or statuses - {"open", "closed"}:
            raise Open311Error(400, _("status must be open, closed or both."))
        if statuses == {"open"}:
            queryset = queryset.filter(state__in=OPEN_STATES)
        elif statuses == {"closed"}:
            queryset = queryset.exclude(state__in=OPEN_STATES)
    start, end = _date_range(request)
    return queryset.filter(submitted_at__gte=start, submitted_at__lt=end)


@open311_view("GET", "POST")
def requests(request: ActorRequest, fmt: str) -> HttpResponse:
    """GET: search requests (newest first, at most 1000). POST: submit one (needs an api_key)."""
    if request.method == "POST":
        return _submit(request, fmt)
    key = _key(request)
    queryset, full = _scoped(request, key)
    rows = _listed(_search(request, queryset))
    return respond(fmt, [request_item(req, full=full) for req in rows])


@open311_view("GET")
def request_detail(request: ActorRequest, fmt: str, request_id: str) -> HttpResponse:
    key = _key(request)
    queryset, full = _scoped(request, key)
    pk = parse_id(request_id)
    req = _listed(queryset.filter(pk=pk)).first() if pk else None
    if req is None:  # unknown and not visible are the same answer
        raise Open311Error(404, _("service_request_id was not found."))
    return respond(fmt, [request_item(req, full=full)])


@open311_view("GET")
def token(request: ActorRequest, fmt: str, token: str) -> HttpResponse:
    """The token is the requester's receipt: whoever holds it learns the request's id."""
    value = clean_text(token).strip()
    pk = None
    if value and len(value) <= 32:
        pk = ServiceRequest.objects.filter(token=value).values_list("pk", flat=True).first()
    if pk is None:
        raise Open311Error(404, _("token was not found."))
    return respond(fmt, [{"service_request_id": pk, "token": value}])


# --- submitting -------------------------------------------------------------------------------


def _contact_name(first: str, last: str) -> str:
    """Chinese names are written family name first, without a space; others given name first."""
    if any(ord(ch) > 0x2E7F for ch in first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def _region(request: ActorRequest, key: ApiKey) -> Any:
    code = _param(request, "jurisdiction_id")
    if code:
        region = selectors.region_by_code(code[:32])
        if region is None or not allowed(request.actor, CREATE, region):
            raise Open311Error(404, _("jurisdiction_id was not found."))
        return region
    region = selectors.single_region_in_scope(actor=request.actor, action=CREATE)
    if region is None:
        raise Open311Error(
            400, _("jurisdiction_id is required: give the code of the community or grid the request is for.")
        )
    return region


def _coordinates(request: ActorRequest) -> tuple[Any, Any]:
    lat_text, long_text = _param(request, "lat"), _param(request, "long")
    if not lat_text and not long_text:
        return None, None
    try:
        if not lat_text or not long_text:
            raise ValueError
        return parse_coordinate(lat_text, 90), parse_coordinate(long_text, 180)
    except ValueError:
        raise Open311Error(
            400, _("lat and long must be given together, as decimal degrees (-90 to 90, -180 to 180).")
        ) from None


def _submit(request: ActorRequest, fmt: str) -> HttpResponse:
    key = _key(request)
    if key is None:
        raise Open311Error(403, _("api_key is required to submit a request."))
    if not allow_write(key, now=request.actor.now):
        raise Open311Error(429, _("Too many requests from this api_key; wait a minute and try again."))
    code = _param(request, "service_code")
    if not code:
        raise Open311Error(400, _("service_code is required."))
    category = ServiceCategory.objects.filter(code=code[:40], is_active=True).first()
    if category is None:
        raise Open311Error(400, _("service_code was not found."))
    latitude, longitude = _coordinates(request)
    region = _region(request, key)
    try:
        req = request_submit(
            actor=request.actor,
            channel=Channel.API,
            category=category,
            description=_param(request, "description"),
            region=region,
            contact_name=_contact_name(_param(request, "first_name"), _param(request, "last_name")),
            phone=_param(request, "phone")[:40],
            address=_param(request, "address_string"),
            latitude=latitude,
            longitude=longitude,
            location_required=True,  # GeoReport v2: lat and long, or address_string
        )
    except ValidationError as exc:
        raise Open311Error(400, *_messages(exc)) from None
    except PermissionDenied:
        raise Open311Error(403, _("This api_key may not submit this request.")) from None
    notice = _("Request %(number)s received; we will contact you by %(due)s.") % {
        "number": req.number,
        "due": timezone.localtime(req.response_due_at).strftime("%Y-%m-%d %H:%M"),
    }
    row: dict[str, Any] = {"service_request_id": req.pk, "service_notice": notice}
    if not is_staff_for(request.actor, req):
        # The token is the requester's key to confirm and rate; staff who record requests for
        # residents (a hotline) must not hold it, or they could confirm their own work.
        row["token"] = req.token
    return respond(fmt, [row])


def _messages(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [
        f"{FIELD_NAMES.get(field, field)}: {message}" if field != "__all__" else message
        for field, messages in exc.message_dict.items()
        for message in messages
    ]
