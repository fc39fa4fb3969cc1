"""Holders of the roles that must use two-factor login (core/conf.py ``TWO_FACTOR_ROLES``) set it
up before they can do anything else: every page but the security page (and signing out, the
language and the large-text switch) sends them there. Checked on every request, so a role given
during a session takes effect at once."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from dangjian.accounts.selectors import two_factor_required
from dangjian.core.actors import ActorRequest

ALWAYS_OPEN = ("accounts:security", "accounts:logout", "set_language", "toggle_large_text")


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None

    def __call__(self, request: ActorRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not getattr(user, "two_factor_enabled", True):
            if self._open is None:
                self._open = tuple(reverse(name) for name in ALWAYS_OPEN)
            if request.path not in self._open and two_factor_required(actor=request.actor):
                return redirect("accounts:security")
        return self.get_response(request)
