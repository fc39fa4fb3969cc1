"""Reads for the workbench that combine several apps."""

from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation

from dangjian.core.access import CREATE, VIEW
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.membership.care import selectors as care_selectors
from dangjian.membership.development import selectors as development_selectors
from dangjian.membership.dues import selectors as dues_selectors
from dangjian.membership.transfers import selectors as transfer_selectors
from dangjian.people import selectors as people_selectors
from dangjian.servicedesk.rates import selectors as rates_selectors
from dangjian.servicedesk.requests import selectors as request_selectors

# A count older than FIGURES_CACHE_SECONDS is still shown (the page says when it was counted)
# while a background task counts afresh; after a week unseen it is forgotten. A week, not a day:
# a scope visited every working day (or after a weekend) is never counted while its user waits
# (1.2 s for a district admin: docs/performance.md).
FIGURES_KEEP_SECONDS = 7 * 24 * 3600


def figures_key(*, actor: Actor) -> str:
    """Shared by users with the same scope and language (the to-dos are sentences)."""
    return f"workbench-figures:{actor.scope.signature(VIEW)}:{actor.language}"


def count_workbench_figures(*, actor: Actor) -> dict[str, Any]:
    """The figures counted now: at district scale they read every resident's index entry and
    every member's dues and development (about 1.4 s for a whole district)."""
    return {
        "figures": people_selectors.key_figures(actor=actor),
        "tag_counts": people_selectors.tag_counts(actor=actor),
        "dues_alerts": dues_selectors.arrears_alert_count(actor=actor),
        "development_deadlines": development_selectors.development_deadlines(actor=actor),
        "visits_due": care_selectors.visits_due_count(actor=actor),
        "counted_at": timezone.now(),
    }


def keep_counted_figures(*, actor: Actor) -> dict[str, Any]:
    """Count the figures of the actor's scope as the actor would see them (in their language) and
    keep them for every user of that scope: the background recount and the nightly warm-up."""
    with translation.override(actor.language):
        figures = count_workbench_figures(actor=actor)
    key = figures_key(actor=actor)
    cache.set(key, figures, FIGURES_KEEP_SECONDS)
    cache.delete(f"{key}:recounting")
    return figures


def workbench_figures(*, actor: Actor) -> dict[str, Any]:
    """Key figures and care-tag counts for the user's scope, from the cache.

    A count is fresh for FIGURES_CACHE_SECONDS (core/conf.py, default 120 s; 0 counts on every
    visit). After that the page still shows it, with the time it was counted, and one background
    task per scope (dashboard/tasks.py) counts afresh, so that no visit waits for the count but
    the first of a scope in a week (FIGURES_KEEP_SECONDS). The lists the figures link to are always live."""
    seconds = config().figures_cache_seconds
    if not seconds:
        return count_workbench_figures(actor=actor)
    key = figures_key(actor=actor)
    figures = cache.get(key)
    if figures is None:
        figures = keep_counted_figures(actor=actor)
    elif (
        (timezone.now() - figures["counted_at"]).total_seconds() > seconds
        and actor.user_id is not None
        and cache.add(f"{key}:recounting", True, seconds)  # one task per scope at a time
    ):
        from dangjian.dashboard.tasks import recount_workbench_figures

        user_id, language = actor.user_id, actor.language
        transaction.on_commit(lambda: recount_workbench_figures.enqueue(user_id, language))
    return figures


def workbench_entries(*, actor: Actor) -> dict[str, bool]:
    """The workbench's doors to everyday work, each shown only to those who may use it: the
    service desk's intake (the desk's rule: a tree scope and the right to create) and the
    recording of party dues (a tree scope and the right to change members)."""
    return {
        "may_record_requests": actor.scope.sees_trees and actor.scope.can(CREATE),
        "may_record_dues": dues_selectors.may_record_dues(actor=actor),
    }


def membership_todos(*, actor: Actor) -> dict[str, int]:
    """Transfers waiting for the user's organisations (to accept, to approve): how the receiving
    side and the approving committee are told. Live, one query."""
    return transfer_selectors.transfer_todo_counts(actor=actor)


def service_todos(*, actor: Actor) -> dict[str, Any]:
    """Requests to accept, overdue, due soon, assigned to the user and awaiting confirmation,
    callbacks to make, and classifications and merges waiting for the user's sign-off: how
    deadlines and reviews reach staff. Live, a few queries."""
    counts: dict[str, Any] = request_selectors.queue_counts(actor=actor)
    counts["callbacks"] = request_selectors.callbacks_due_count(actor=actor)
    counts["sign_offs"], counts["sign_offs_query"] = rates_selectors.sign_offs_waiting(actor=actor)
    return counts


def own_service_requests(*, actor: Actor) -> list[Any]:
    """A resident's or member's latest requests (those waiting for their word first)."""
    rows = list(request_selectors.own_requests(actor=actor)[:5])
    return sorted(rows, key=lambda r: r.state != "handled")
