"""Compression of pages, not of files; nothing stored by caches unless a view says so; no NUL
characters in what a request carries; a Content-Security-Policy on every answer."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseBase, QueryDict
from django.middleware.gzip import GZipMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _

API_PACKAGE = "dangjian.api."
COMPRESSIBLE = ("text/", "application/json", "application/xml", "application/javascript", "image/svg+xml")


class PageGZipMiddleware(GZipMiddleware):
    """Django's GZip (with its random padding against BREACH) for HTML, JSON and XML answers only.
    Downloads — .xlsx, PDF letters, photos — are compressed already and stream from disk: gzipping
    them on the fly costs CPU and drops Content-Length, so browsers could show no progress."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if response.streaming or not response.get("Content-Type", "").startswith(COMPRESSIBLE):
            return response
        return super().process_response(request, response)


class NoStoreMiddleware:
    """Nothing the application answers is kept by browsers or proxies unless the view says
    otherwise: pages, reveals, letters and downloads hold personal data (a shared computer at a
    service centre; a proxy in between). Responses that set their own Cache-Control (the icon)
    keep it; static files are served before this by WhiteNoise with their long cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class RefuseNulMiddleware:
    """A query string or form carrying a NUL character answers 400: no text column can hold one
    (PostgreSQL refuses it outright), and no person types it. Found by the hostile-value walk
    (tests/test_hostile_queries.py), which made nine pages answer 500 on PostgreSQL.

    The APIs clean what programs send them themselves (api.common.clean_text drops control
    characters) and answer in their own error formats: views of the ``dangjian.api`` package are
    let through, wherever their URLs are mounted."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if getattr(view_func, "__module__", "").startswith(API_PACKAGE):
            return None
        if _has_nul(request.GET) or (request.method == "POST" and _has_nul(request.POST)):
            return HttpResponseBadRequest(_("The request contains characters that cannot be stored."))
        return None


class ContentSecurityPolicyMiddleware:
    """The Content-Security-Policy of every answer (settings.CONTENT_SECURITY_POLICY): scripts only
    from our own files — no inline script, no handler attributes, no eval — so that text a user
    typed can never run even if an escape were missed; no framing; forms post only to us."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy = "; ".join(f"{k} {v}" for k, v in settings.CONTENT_SECURITY_POLICY.items())

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.policy and not response.has_header("Content-Security-Policy"):
            response["Content-Security-Policy"] = self.policy
        return response


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())


class ChosenLanguageMiddleware:
    """The language is zh-Hans unless the visitor chose another (the header's language button
    sets Django's language cookie): a browser's Accept-Language does not switch a Chinese
    service centre's pages to English. Replaces Django's LocaleMiddleware (no i18n URLs here)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response
