"""Reads for the workbench that combine several apps."""

from typing import Any

from django.core.cache import cache
from django.utils import timezone

from dangjian.core.access import VIEW
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.membership.care import selectors as care_selectors
from dangjian.membership.development import selectors as development_selectors
from dangjian.membership.dues import selectors as dues_selectors
from dangjian.membership.transfers import selectors as transfer_selectors
from dangjian.people import selectors as people_selectors
from dangjian.servicedesk.requests import selectors as request_selectors


def workbench_figures(*, actor: Actor) -> dict[str, Any]:
    """Key figures and care-tag counts for the user's scope.

    Kept in the cache for FIGURES_CACHE_SECONDS (core/conf.py) (default 120 s) per scope, shared by
    users with the same scope: at district scale they read every resident's index entry (about
    0.4 s), and a workbench opened many times a day need not recount each time. The page says
    when the figures were counted; the lists they link to are always live.
    """
    seconds = config().figures_cache_seconds
    key = f"workbench-figures:{actor.scope.signature(VIEW)}:{actor.language}"  # the to-dos are sentences
    figures = cache.get(key) if seconds else None
    if figures is None:
        figures = {
            "figures": people_selectors.key_figures(actor=actor),
            "tag_counts": people_selectors.tag_counts(actor=actor),
            "dues_alerts": dues_selectors.arrears_alert_count(actor=actor),
            "development_deadlines": development_selectors.development_deadlines(actor=actor),
            "visits_due": care_selectors.visits_due_count(actor=actor),
            "counted_at": timezone.now(),
        }
        if seconds:
            cache.set(key, figures, seconds)
    return figures


def membership_todos(*, actor: Actor) -> dict[str, int]:
    """Transfers waiting for the user's organisations (to accept, to approve): how the receiving
    side and the approving committee are told. Live, one query."""
    return transfer_selectors.transfer_todo_counts(actor=actor)


def service_todos(*, actor: Actor) -> dict[str, int]:
    """Requests to accept, overdue, due soon, assigned to the user and awaiting confirmation, and
    callbacks to make: how deadlines reach staff. Live, two queries."""
    counts = request_selectors.queue_counts(actor=actor)
    counts["callbacks"] = request_selectors.callbacks_due_count(actor=actor)
    return counts


def own_service_requests(*, actor: Actor) -> list[Any]:
    """A resident's or member's latest requests (those waiting for their word first)."""
    rows = list(request_selectors.own_requests(actor=actor)[:5])
    return sorted(rows, key=lambda r: r.state != "handled")
