"""Facts about requests that the state machine (requests/lifecycle.py) cannot produce: a check
that the rates are read from records the live rules wrote (docs/rates.md, "Verdicts, reopenings
and merges"). Run on the demo data by the tests (the demo's figures must be ones the live rules
can produce) and every night by ``servicedesk_rollups`` (for requests imported or edited by SQL).
"""

from __future__ import annotations

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangjian.servicedesk.models import Classification, CloseReason, Outcome, OutcomeSource, ServiceRequest

RULES = {
    "unresolved_outcome": (
        _("an outcome of “not resolved” without the verdict"),
        Q(outcome=Outcome.UNRESOLVED, unresolved_at__isnull=True),
    ),
    "resident_unresolved_outcome": (
        # The requester's "not resolved" sends the request back: it is never a final outcome.
        _("the requester's “not resolved” kept as the outcome"),
        Q(outcome=Outcome.UNRESOLVED, outcome_source=OutcomeSource.RESIDENT),
    ),
    "rejected": (
        _("the requester said “not resolved” but it is not counted so"),
        Q(steps__action="reject", unresolved_at__isnull=True),
    ),
    "callback_unresolved": (
        _("a callback found it not resolved but it is not counted so"),
        Q(callback__answered=True, callback__resolved=False, unresolved_at__isnull=True),
    ),
    "reopened": (
        _("reopened but not counted as not resolved"),
        Q(reopenings__isnull=False, unresolved_at__isnull=True),
    ),
    "callback_outcome": (
        _("an outcome from a callback nobody made"),
        Q(outcome_source=OutcomeSource.CALLBACK) & ~Q(callback__answered=True),
    ),
    "merge_unclassified": (
        _("merged without the merge's classification"),
        Q(close_reason=CloseReason.DUPLICATE) & ~Q(classification=Classification.DUPLICATE),
    ),
    "merge_not_closed": (
        _("a merge's classification on a request not merged"),
        Q(classification=Classification.DUPLICATE) & ~Q(close_reason=CloseReason.DUPLICATE),
    ),
    "merge_across": (
        _("merged into a request of another community"),
        Q(close_reason=CloseReason.DUPLICATE) & ~Q(duplicate_of__community_id=F("community_id")),
    ),
    "self_signed": (
        _("signed off by the one who classified or merged it"),
        Q(signed_off_at__isnull=False, signed_off_by_id=F("classified_by_id")),
    ),
}


def problems(limit: int = 20) -> dict[str, list[int]]:
    """Each rule some requests break → up to ``limit`` of their ids (one query per rule)."""
    found: dict[str, list[int]] = {}
    for key, (_label, condition) in RULES.items():
        ids = list(
            ServiceRequest.objects.filter(condition).order_by("pk").values_list("pk", flat=True).distinct()[:limit]
        )
        if ids:
            found[key] = ids
    return found
