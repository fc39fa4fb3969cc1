"""Notifications inside the platform (the workbench shows the unread ones; /notifications/ lists
them all). Senders call ``notify``; each (recipient, key) arrives once, however often the sender
runs. Texts are rendered in the reader's language from ``kind`` and ``params``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.models import Notification

# Notices of these kinds, arriving together, are one line with the list they belong to (the sweep
# may find 28 requests past their deadline at once): {kind: the view of the queue they belong to}.
LISTS = {
    "request_overdue": "overdue",
    "request_escalated": "overdue",
    "request_due_soon": "due_soon",
    "request_dispatched": "mine",
}
UNREAD_SECONDS = 300


def _unread_key(user_id: int) -> str:
    return f"notifications-unread:{user_id}"


def notify(*, recipients: Iterable[int], kind: str, key: str, params: dict[str, Any], url: str = "") -> int:
    """Send one notice to each recipient (user ids) that has not had ``key`` yet."""
    users = sorted({u for u in recipients if u})
    rows = [
        Notification(recipient_id=user_id, kind=kind, key=key[:80], params=params, url=url[:200]) for user_id in users
    ]
    sent = len(Notification.objects.bulk_create(rows, ignore_conflicts=True))
    cache.delete_many([_unread_key(u) for u in users])
    return sent


def unread_count(*, actor: Actor) -> int:
    """How many notices the user has not read (the header's badge on every page): kept in the
    cache for UNREAD_SECONDS and dropped when a notice arrives or is read, so a page costs no
    query for it most of the time."""
    if actor.user_id is None:
        return 0
    key = _unread_key(actor.user_id)
    count = cache.get(key)
    if count is None:
        count = restrict(
            Notification.objects.filter(recipient_id=actor.user_id, read_at__isnull=True), actor, VIEW
        ).count()
        cache.set(key, count, UNREAD_SECONDS)
    return int(count)


@dataclass
class NoticeGroup:
    """Notices of one kind that arrived together (within the same minute): shown as one line
    with their number, the communities they concern and the list they belong to."""

    kind: str
    notices: list[Notification] = field(default_factory=list)

    @property
    def first(self) -> Notification:
        return self.notices[0]

    @property
    def count(self) -> int:
        return len(self.notices)

    @property
    def unread(self) -> bool:
        return any(n.read_at is None for n in self.notices)

    @property
    def communities(self) -> list[tuple[str, int]]:
        """(community, how many) by number, then name; notices without one are left out."""
        counted = Counter(str(n.params.get("community")) for n in self.notices if n.params.get("community"))
        return sorted(counted.items(), key=lambda item: (-item[1], item[0]))

    @property
    def list_view(self) -> str:
        return LISTS.get(self.kind, "")


def grouped(notices: Iterable[Notification]) -> list[NoticeGroup]:
    """Consecutive notices (newest first) of the same kind sent within the same minute, as groups."""
    groups: list[NoticeGroup] = []
    for notice in notices:
        minute = notice.created_at.replace(second=0, microsecond=0)
        last = groups[-1] if groups else None
        if (
            last is not None
            and last.kind == notice.kind
            and notice.kind in LISTS
            and last.first.created_at.replace(second=0, microsecond=0) == minute
        ):
            last.notices.append(notice)
        else:
            groups.append(NoticeGroup(notice.kind, [notice]))
    return groups


def inbox(*, actor: Actor, unread_only: bool = False, limit: int = 50) -> QuerySet[Notification]:
    # One's own, always (a superuser's access filter is "everything": not for an inbox).
    qs = restrict(Notification.objects.filter(recipient_id=actor.user_id), actor, VIEW)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")[:limit]


def mark_read(*, actor: Actor) -> int:
    """Mark all the user's notifications read (their own only, through the access layer)."""
    own = Notification.objects.filter(recipient_id=actor.user_id, read_at__isnull=True)
    marked = restrict(own, actor, "change").update(read_at=timezone.now())
    if actor.user_id is not None:
        cache.delete(_unread_key(actor.user_id))
    return marked
