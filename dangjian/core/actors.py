"""Who acts: one typed value that every service and selector takes (keyword-only ``actor=``).

An ``Actor`` says who is acting (the user, or the system), what they may do and where (their
``Scope``, computed once on first use), from which address, at which moment and in which
language, and through which door (``via``). It is built once per HTTP request by
``ActorMiddleware`` (``request.actor``), by API-key authentication, by the sweep, by management
commands and by background jobs; tests build it with ``tests.factories.as_actor``.

Services never see the HTTP request: events take the client address from the actor, records
take ``actor.user`` (None for the system and for anonymous residents).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from dangjian.core import access
from dangjian.core.conf import config

if TYPE_CHECKING:
    from collections.abc import Callable

    # The user model, named for the type checker only: core imports no app when it runs.
    from dangjian.accounts.models import User

Via = Literal["web", "api", "job", "sweep", "command", "seed"]

# The system (the sweep, a command run without --user, the demo seed) may act anywhere; its events
# name no user.
SYSTEM_SCOPE = access.Scope(superuser=True)


def client_ip(request: Any) -> str | None:
    """The client's address: REMOTE_ADDR, or behind PROXY_COUNT (core/conf.py) trusted proxies (nginx)
    the entry of X-Forwarded-For that the nearest of them added. What clients write into the
    header themselves is never trusted, and anything that is not an address is ignored."""
    if request is None:
        return None
    count = config().proxy_count
    if count:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            try:
                return str(ipaddress.ip_address(forwarded[-count]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None


class Actor:
    """Who acts, from where, when. Immutable once built (the scope is computed on first use)."""

    def __init__(
        self,
        *,
        user: User | AnonymousUser | None,
        via: Via,
        ip: str | None = None,
        now: dt.datetime | None = None,
        language: str | None = None,
        system: bool = False,
    ) -> None:
        self.user: User | None = user if user is not None and user.is_authenticated else None
        self.via: Via = via
        self.ip = ip
        self.now = now or timezone.now()
        self.language = language or get_language() or "zh-hans"
        self.system = system

    @classmethod
    def for_user(cls, user: Any, *, via: Via, ip: str | None = None, now: dt.datetime | None = None) -> Actor:
        """``user`` acting (an anonymous user or None gives an anonymous actor)."""
        return cls(user=user, via=via, ip=ip, now=now)

    @classmethod
    def for_system(cls, *, via: Via, now: dt.datetime | None = None) -> Actor:
        """The platform itself (deadlines, automatic closing, imports run from the command line)."""
        return cls(user=None, via=via, now=now, system=True)

    @classmethod
    def from_request(cls, request: ActorRequest) -> Actor:
        return cls(user=getattr(request, "user", None), via="web", ip=client_ip(request))

    @cached_property
    def scope(self) -> access.Scope:
        if self.system:
            return SYSTEM_SCOPE
        return access.compute_scope(self.user)

    def forget_scope(self) -> None:
        """After this actor's own grants changed (the next use computes the scope again)."""
        self.__dict__.pop("scope", None)

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def person_id(self) -> int | None:
        return self.scope.person_id if self.user is not None else None

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)

    def can(self, action: str) -> bool:
        return self.scope.can(action)

    def __repr__(self) -> str:
        who = "system" if self.system else (self.user.get_username() if self.user else "anonymous")
        return f"<Actor {who} via {self.via}>"


class ActorRequest(HttpRequest):
    """For type checkers: a request that has passed ``ActorMiddleware``."""

    actor: Actor


class ActorMiddleware:
    """Sets ``request.actor``, built on first use (after authentication and the language)."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: ActorRequest) -> Any:
        request.actor = SimpleLazyObject(lambda: Actor.from_request(request))  # type: ignore[assignment]
        return self.get_response(request)


def rebuild(request: ActorRequest, *, via: Via = "web") -> Actor:
    """Build the request's actor again after the user changed (login, logout, an API key)."""
    actor = Actor(user=getattr(request, "user", None), via=via, ip=client_ip(request))
    request.actor = actor
    return actor
