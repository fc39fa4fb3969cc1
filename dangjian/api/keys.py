"""Issuing, revoking and checking API keys, and the per-key rate limit on writes."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import User
from dangjian.api.models import ApiKey
from dangjian.core import crypto
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.core.events import EventAction, record_event
from dangjian.core.ratelimit import Budget

KEY_PURPOSE = "api-key"
KEY_START = "djk_"
PREFIX_LENGTH = 12  # "djk_" and 8 random characters: enough to tell keys apart in a list
# Writes (Open311 POST, REST POST) allowed per key and minute; a client over it gets 429.
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_used_at is written at most this often


def api_key_create(*, actor: Actor, user: User, name: str) -> tuple[ApiKey, str]:
    """A new key acting as ``user``. Returns the key and its secret, which is never stored and
    cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Name the key after the program that will use it.")]})
    if not getattr(user, "is_active", False):
        raise ValidationError({"user": [_("The key must act as an active user.")]})
    secret = KEY_START + secrets.token_urlsafe(30)
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name[:100],
            user=user,
            key_hash=crypto.search_hash(secret, purpose=KEY_PURPOSE),
            prefix=secret[:PREFIX_LENGTH],
        )
        record_event(actor=actor, action=EventAction.CREATED, target=key, changes={"user": [None, user.get_username()]})
    return key, secret


def api_key_revoke(*, actor: Actor, key: ApiKey) -> ApiKey:
    """Revoke at once; revoking a revoked key changes nothing."""
    now = actor.now
    if key.revoked_at is None:
        key.revoked_at = now
        with transaction.atomic():
            key.save(update_fields=["revoked_at"])
            record_event(actor=actor, action=EventAction.STATUS_CHANGED, target=key, changes={"revoked": [False, True]})
    return key


def key_for(secret: str, *, now: dt.datetime | None = None) -> ApiKey | None:
    """The active key whose secret this is (with its active user), or None."""
    secret = (secret or "").strip()
    if not secret.startswith(KEY_START) or len(secret) > 100:
        return None
    key = (
        ApiKey.objects.select_related("user")
        .filter(key_hash=crypto.search_hash(secret, purpose=KEY_PURPOSE), revoked_at__isnull=True)
        .first()
    )
    if key is None or not key.user.is_active:
        return None
    now = now or timezone.now()
    if key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def allow_write(key: ApiKey, *, now: dt.datetime) -> bool:
    """Count one write for ``key`` in the current minute; False once it is over the limit."""
    writes = Budget("api-writes", limit=config().api_posts_per_minute, seconds=60)  # read at each call
    return not writes.spend(key.pk, now=now).over_limit
