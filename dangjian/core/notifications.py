"""Notifications inside the platform (the workbench shows the unread ones; /notifications/ lists
them all). Senders call ``notify``; each (recipient, key) arrives once, however often the sender
runs. Texts are rendered in the reader's language from ``kind`` and ``params``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.models import Notification


def notify(*, recipients: Iterable[int], kind: str, key: str, params: dict[str, Any], url: str = "") -> int:
    """Send one notice to each recipient (user ids) that has not had ``key`` yet."""
    rows = [
        Notification(recipient_id=user_id, kind=kind, key=key[:80], params=params, url=url[:200])
        for user_id in sorted({u for u in recipients if u})
    ]
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))


def inbox(*, actor: Actor, unread_only: bool = False, limit: int = 50) -> QuerySet[Notification]:
    # One's own, always (a superuser's access filter is "everything": not for an inbox).
    qs = restrict(Notification.objects.filter(recipient_id=actor.user_id), actor, VIEW)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")[:limit]


def mark_read(*, actor: Actor) -> int:
    """Mark all the user's notifications read (their own only, through the access layer)."""
    own = Notification.objects.filter(recipient_id=actor.user_id, read_at__isnull=True)
    return restrict(own, actor, "change").update(read_at=timezone.now())
