"""The OpenAPI 3.1 description of /api/v1/, written by hand next to the views in rest.py (a
test checks that every URL of the API is described and every described path resolves)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from dangjian.servicedesk.models import AssigneeKind, Channel, RequestState

VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {
        400: _("Invalid input: the messages are keyed by field."),
        401: _("Not signed in and no valid API key."),
        403: _("Allowed to see the request but not to do this (or the CSRF check failed)."),
        404: _("No such request, or not within your scope."),
        405: _("Method not allowed."),
        413: _("The body is larger than the server accepts."),
        429: _("Too many writes with this API key this minute."),
    }
    return {str(status): _json(_ref("Errors"), texts[status]) for status in statuses}


def _schemas() -> dict[str, Any]:
    nullable_time = {"type": ["string", "null"], "format": "date-time"}
    region = {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"}},
    }
    request_properties = {
        "id": {"type": "integer", "description": _("Also the Open311 service_request_id.")},
        "number": {"type": "string", "description": _("The number residents quote, e.g. 2026-0000123.")},
        "category": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
        },
        "channel": {"type": "string", "enum": list(Channel.values)},
        "state": {"type": "string", "enum": list(RequestState.values)},
        "state_label": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "description": {"type": "string"},
        "address": {"type": "string"},
        "latitude": {"type": ["number", "null"]},
        "longitude": {"type": ["number", "null"]},
        "region": _ref("Region"),
        "community": _ref("Region"),
        "level": {"type": "string", "enum": ["grid", "community", "street"]},
        "assignee_kind": {"type": "string"},
        "submitted_at": {"type": "string", "format": "date-time"},
        "response_due_at": {"type": "string", "format": "date-time"},
        "resolution_due_at": {"type": "string", "format": "date-time"},
        "first_response_at": nullable_time,
        "handled_at": nullable_time,
        "closed_at": nullable_time,
        "response_breached": {"type": "boolean"},
        "resolution_breached": {"type": "boolean"},
        "result": {"type": "string", "description": _("The handler's reply to the requester.")},
        "outcome": {"type": "string", "enum": ["", "resolved", "unresolved"]},
        "is_public": {"type": "boolean"},
        "public_summary": {"type": "string"},
        "version": {"type": "integer", "description": _("Send it back as expected_version to detect edits.")},
        "updated_at": {"type": "string", "format": "date-time"},
    }
    return {
        "Errors": {
            "type": "object",
            "properties": {
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": _("Messages by field; __all__ for messages about the whole request."),
                }
            },
            "required": ["errors"],
        },
        "Category": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": _("Also the Open311 service_code.")},
                "name": {"type": "string"},
                "family": {"type": "string"},
                "family_label": {"type": "string"},
                "description": {"type": "string"},
                "response_target": {"type": "integer"},
                "response_unit": {"type": "string", "enum": ["hours", "days"]},
                "resolution_target": {"type": "integer"},
                "resolution_unit": {"type": "string", "enum": ["hours", "days"]},
                "skills": {"type": "array", "items": {"type": "string"}},
            },
        },
        "Region": region,
        "Request": {"type": "object", "properties": request_properties},
        "Step": {
            "type": "object",
            "properties": {
                "action": {"type": "string"},
                "label": {"type": "string"},
                "old_state": {"type": "string"},
                "new_state": {"type": "string"},
                "at": {"type": "string", "format": "date-time"},
                "note": {"type": "string"},
            },
        },
        "RequestDetail": {
            "allOf": [
                _ref("Request"),
                {
                    "type": "object",
                    "properties": {
                        "contact": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "phone": {"type": "string", "description": _("Masked: 138****5678.")},
                            },
                        },
                        "steps": {"type": "array", "items": _ref("Step")},
                        "token": {
                            "type": "string",
                            "description": _("Only for the requester."),
                        },
                    },
                },
            ]
        },
        "RequestPage": {
            "type": "object",
            "properties": {
                "results": {"type": "array", "items": _ref("Request")},
                "next": {"type": ["string", "null"], "description": _("The next page's URL, null on the last.")},
            },
        },
        "Submission": {
            "type": "object",
            "required": ["category", "description"],
            "properties": {
                "category": {"type": "string", "description": _("A category code (GET /categories).")},
                "description": {"type": "string", "maxLength": 2000},
                "region": {
                    "type": "integer",
                    "description": _("The community or grid; defaults to the requester's home."),
                },
                "requester": {
                    "oneOf": [{"type": "string", "enum": ["self"]}, {"type": "integer"}],
                    "description": _('"self" for the signed-in resident, a person\'s id, or absent with a phone.'),
                },
                "contact_name": {"type": "string", "maxLength": 50},
                "phone": {"type": "string", "description": _("A mobile number; required without a requester.")},
                "address": {"type": "string", "maxLength": 200},
                "latitude": {"type": "number"},
                "longitude": {"type": "number"},
                "channel": {"type": "string", "enum": ["api", "web", "desk", "phone", "reception"], "default": "api"},
                "is_public": {"type": "boolean", "default": False},
            },
        },
        "Transition": {
            "type": "object",
            "required": ["action"],
            "properties": {
                "action": {
                    "type": "string",
                    "enum": [
                        "accept",
                        "dispatch",
                        "start",
                        "return",
                        "suspend",
                        "resume",
                        "escalate",
                        "handle",
                        "close",
                        "note",
                    ],
                },
                "note": {"type": "string", "maxLength": 1000},
                "result": {"type": "string", "description": _("handle: what was done (defaults to the note).")},
                "expected_version": {"type": "integer", "description": _("accept, dispatch: the version you saw.")},
                "kind": {"type": "string", "enum": list(AssigneeKind.values), "description": _("dispatch: to whom.")},
                "user": {"type": "integer", "description": _("dispatch to staff: the user's id.")},
                "person": {"type": "integer", "description": _("dispatch to a volunteer: the person's id.")},
                "organization": {"type": "integer", "description": _("dispatch to a branch: its id.")},
                "grid": {"type": "integer", "description": _("dispatch to a grid: its id.")},
            },
        },
    }


def _id_parameter() -> dict[str, Any]:
    return {"name": "request_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def openapi_document(request: HttpRequest) -> dict[str, Any]:
    base = request.build_absolute_uri(reverse("api:openapi")).removesuffix("/openapi.json")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": _("Service desk API"),
            "version": VERSION,
            "description": _(
                "The platform's own API for its clients. Sign in (session, CSRF token on writes) or send "
                "Authorization: Bearer <API key>. Every list and record is limited to what the caller may see; "
                "outside that scope a request does not exist (404)."
            ),
        },
        "servers": [{"url": base}],
        "security": [{"bearer": []}, {"session": []}],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": _("An API key from manage.py api_key_create"),
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
            },
            "schemas": _schemas(),
        },
        "paths": {
            "/categories": {
                "get": {
                    "operationId": "listCategories",
                    "summary": _("The service catalogue"),
                    "description": _("Active categories, by family. Public."),
                    "security": [],
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"results": {"type": "array", "items": _ref("Category")}}},
                            _("The categories."),
                        ),
                        **_errors(405),
                    },
                }
            },
            "/requests": {
                "get": {
                    "operationId": "listRequests",
                    "summary": _("Requests in your scope"),
                    "description": _("Newest first, paged by id: follow next until it is null."),
                    "parameters": [
                        _query("state", _("States, comma-separated."), {"type": "string"}),
                        _query("category", _("Category codes, comma-separated.")),
                        _query("community", _("A community's id."), {"type": "integer"}),
                        _query("from", _("Submitted at or after (date or W3C datetime).")),
                        _query("to", _("Submitted before (a date includes that day).")),
                        _query("before", _("Only ids below this one (the next page)."), {"type": "integer"}),
                        _query("limit", _("Page size, 1–200 (default 50)."), {"type": "integer"}),
                    ],
                    "responses": {
                        "200": _json(_ref("RequestPage"), _("A page of requests.")),
                        **_errors(400, 401),
                    },
                },
                "post": {
                    "operationId": "submitRequest",
                    "summary": _("Submit a request"),
                    "description": _(
                        "Through the same intake as every channel. Staff record requests in communities they "
                        'take requests in; residents submit their own with requester "self".'
                    ),
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Submission")}}},
                    "responses": {
                        "201": _json(_ref("RequestDetail"), _("The new request.")),
                        **_errors(400, 401, 403, 413, 429),
                    },
                },
            },
            "/requests/{request_id}": {
                "get": {
                    "operationId": "getRequest",
                    "summary": _("One request"),
                    "description": _("With its history; internal steps only for staff and the handler."),
                    "parameters": [_id_parameter()],
                    "responses": {"200": _json(_ref("RequestDetail"), _("The request.")), **_errors(401, 404)},
                }
            },
            "/requests/{request_id}/transitions": {
                "post": {
                    "operationId": "transitionRequest",
                    "summary": _("Move a request on"),
                    "description": _(
                        "accept, dispatch, start, return, suspend, resume, escalate, handle, close, or add an "
                        "internal note. return, suspend and escalate need a note; handle needs a result."
                    ),
                    "parameters": [_id_parameter()],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Transition")}}},
                    "responses": {
                        "200": _json(_ref("RequestDetail"), _("The request after the step.")),
                        **_errors(400, 401, 403, 404, 413, 429),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": _("This description"),
                    "security": [],
                    "responses": {"200": {"description": _("OpenAPI 3.1 document.")}},
                }
            },
            "/docs/": {
                "get": {
                    "operationId": "docs",
                    "summary": _("This description as a page"),
                    "security": [],
                    "responses": {"200": {"description": _("HTML.")}},
                }
            },
        },
    }
