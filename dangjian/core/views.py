"""Views shared by every app, and the helpers every view uses to call a service (``perform``,
``submit``)."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.forms import Form
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from dangjian.core.actors import ActorRequest
from dangjian.core.conf import config
from dangjian.core.context_processors import LARGE_TEXT_COOKIE
from dangjian.core.jobs import JobFileExpired, job_file_download, job_for

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a view's call of a service came to: ``ok`` (truthy) with the service's ``value``, or
    refused (the errors are already on the form or in the page's messages)."""

    ok: bool
    value: T | None = None

    def __bool__(self) -> bool:
        return self.ok


def perform(request: HttpRequest, call: Callable[[], T], *, form: Form | None = None, success: str = "") -> Outcome[T]:
    """The one way a view calls a service: run ``call()``; a ValidationError (a stale edit
    included) goes onto ``form`` — each message on its field, the rest at the top — or, without
    a form, into the page's messages; PermissionDenied (not allowed, or outside the actor's
    scope) answers 404, so a view cannot forget that rule; on success the ``success`` message
    is added."""
    try:
        value = call()
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        if form is not None:
            add_service_errors(form, exc)
        else:
            for message in exc.messages:
                messages.error(request, str(message))
        return Outcome(False)
    if success:
        messages.success(request, success)
    return Outcome(True, value)


def submit(request: HttpRequest, form: Form, call: Callable[[dict[str, Any]], T], *, success: str = "") -> Outcome[T]:
    """``perform`` for a form: when the request is a POST and the form valid, call the service
    with the cleaned data. Not ok otherwise (the form shows its own errors)."""
    if request.method != "POST" or not form.is_valid():
        return Outcome(False)
    return perform(request, lambda: call(form.cleaned_data), form=form, success=success)


def start_list_export(request: ActorRequest, start: Callable[..., Any]) -> HttpResponse:
    """The export button of a list page: ``start`` (a list export's start service) with the list's
    query string and whether full numbers were asked for; then the job's progress page."""
    started = perform(
        request,
        lambda: start(
            actor=request.actor,
            query=request.POST.get("query", ""),
            full_numbers=request.POST.get("full_numbers") == "1",
        ),
    )
    if started.value is None:  # refused with a message
        return redirect(safe_next(request))
    return redirect("jobs:detail", pk=started.value.pk)


ONCE_FIELD = "once"  # the hidden field of a form that must be sent only once
ONCE_SECONDS = 24 * 3600


class Once:
    """A form sent once: the page puts a fresh token in a hidden field (``Once.token()``); the
    first POST with it claims it, a resend (a double click, the back button, a flaky network)
    finds it claimed and is answered with what the first one made. Held in the shared cache."""

    def __init__(self, request: HttpRequest, form_key: str) -> None:
        token = str(request.POST.get(ONCE_FIELD, ""))[:64]
        user = getattr(request, "actor", None)
        self.key = f"once:{getattr(user, 'user_id', None)}:{form_key}:{token}" if token else ""

    @staticmethod
    def token() -> str:
        return secrets.token_urlsafe(16)

    def claim(self) -> bool:
        """True for the first POST of the token (or a form sent without one)."""
        return not self.key or cache.add(self.key, "", ONCE_SECONDS)

    def made(self) -> str:
        """What the first POST recorded (see ``done``), or "" while it is still being handled."""
        return str(cache.get(self.key) or "") if self.key else ""

    def done(self, result: str) -> None:
        if self.key:
            cache.set(self.key, result, ONCE_SECONDS)

    def release(self) -> None:
        """The first POST failed (errors shown): the same token may be sent again, corrected."""
        if self.key:
            cache.delete(self.key)


HANDOVER = "handover"  # the session's key
HANDOVER_KEPT = 5


def hand_over(request: HttpRequest, data: dict[str, str]) -> str:
    """Keep ``data`` for the page of another app that a redirect opens next (a care visit turned
    into a request: the member and the need), in the session rather than the URL, where a note
    about someone's health would sit in access logs and the browser's history. Returns the token
    that page's address carries (``?from=<token>``); the last five are kept."""
    token = secrets.token_urlsafe(9)
    kept = dict(request.session.get(HANDOVER, {}))
    kept[token] = {str(k): str(v) for k, v in data.items()}
    request.session[HANDOVER] = dict(list(kept.items())[-HANDOVER_KEPT:])
    return token


def handed_over(request: HttpRequest, token: str) -> dict[str, str]:
    """What ``hand_over`` kept under ``token`` for this session ({} for anything else)."""
    found = request.session.get(HANDOVER, {}).get(str(token or "")[:32])
    return dict(found) if isinstance(found, dict) else {}


def form_errors_to_messages(request: HttpRequest, form: Form) -> None:
    """For a form posted from another page (a button's small form): its errors as messages."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


def add_service_errors(form: Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: each message on its field when the form has
    that field, otherwise at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def is_htmx(request: ActorRequest) -> bool:
    """True for a request made by htmx (such views also send ``Vary: HX-Request``)."""
    return request.headers.get("HX-Request") == "true"


@login_not_required
@require_safe
def favicon(request: ActorRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the static file. Not a
    permanent redirect: in production the target's name carries its hash, which changes with it."""
    response = HttpResponseRedirect(static("favicon.ico"))
    patch_cache_control(response, max_age=86400, public=True)
    return response


@login_not_required
@never_cache
@require_GET
def healthz(request: ActorRequest) -> JsonResponse:
    """200 {"status": "ok"} when the database answers, 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def safe_next(request: ActorRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or request.META.get("HTTP_REFERER") or fallback
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@login_not_required
@require_POST
def toggle_large_text(request: ActorRequest) -> HttpResponse:
    """Switch the large-text, high-contrast mode (适老化) on or off; works without JavaScript."""
    response = HttpResponseRedirect(safe_next(request))
    if request.COOKIES.get(LARGE_TEXT_COOKIE) == "1":
        response.delete_cookie(LARGE_TEXT_COOKIE)
    else:
        response.set_cookie(LARGE_TEXT_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@require_GET
@vary_on_headers("HX-Request")
def job_detail(request: ActorRequest, pk: int) -> HttpResponse:
    """A job's progress; the page polls its own status partial until the job has finished."""
    job = job_for(actor=request.actor, pk=pk)
    template = "core/job_detail.html#status" if is_htmx(request) else "core/job_detail.html"
    return render(request, template, {"job": job})


@require_GET
def job_download(request: ActorRequest, pk: int) -> HttpResponseBase:
    """A job's file, for its starter while it is kept and while they hold the rights it was made
    with (410 and 403 with a page that says so); each download is recorded."""
    try:
        job = job_file_download(actor=request.actor, pk=pk)
    except (JobFileExpired, PermissionDenied) as refusal:
        expired = isinstance(refusal, JobFileExpired)
        context = {"pk": pk, "expired": expired, "hours": config().export_retention_hours}
        return render(request, "core/job_file_unavailable.html", context, status=410 if expired else 403)
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file_name)
