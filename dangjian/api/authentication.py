"""Who calls the API: the actor of a request that brings an API key."""

from django.http import HttpRequest

from dangjian.api.models import ApiKey
from dangjian.core.actors import Actor, client_ip


def key_actor(request: HttpRequest, key: ApiKey) -> Actor:
    """The key's user acting through the API (also ``request.actor`` from here on)."""
    actor = Actor.for_user(key.user, via="api", ip=client_ip(request))
    request.actor = actor  # type: ignore[attr-defined]
    return actor
