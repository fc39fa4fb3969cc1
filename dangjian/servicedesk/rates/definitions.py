"""The one definition of every part of every rate (docs/rates.md), shared by the pages
(selectors.py, which add who may see what) and the daily counts (rollups.py, which keep what does
not depend on the moment of looking).

A denominator that counts "open and past its deadline" has two parts: ``settled`` (answered,
handled, or flagged late: fixed once it is true, a breach is never cleared) and ``overdue`` (still
open and past the deadline at ``now``, until the sweep flags it). Everything else is settled.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, ExpressionWrapper, F, Func, IntegerField, OuterRef, Q, QuerySet
from django.db.models.functions import Trim

from dangjian.servicedesk.models import OPEN_STATES, CloseReason, Outcome, RequestState, ServiceRequest
from dangjian.servicedesk.rates import rules as rates

SCORES = (1, 2, 3, 4, 5)
SATISFIED = 4  # 满意 and 非常满意
# Open states in which the resolution clock runs: on hold (挂起) the deadline is moved on resume,
# so a request on hold is not late unless it was already late when it stopped (the sticky flag).
CLOCK_RUNNING_STATES = tuple(s for s in OPEN_STATES if s != RequestState.SUSPENDED)


class EpochSeconds(Func):
    """Seconds since 1970 of a timestamp, rounded to the whole second the same way on SQLite and
    PostgreSQL, so that "at most 30 days earlier" is exact integer arithmetic on both."""

    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday() is a double; ×86400 it is within 0.0001 s of the true value, so rounding
        # to the second is exact (strftime('%s') would need a literal % through the driver).
        template = "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="ROUND(EXTRACT(EPOCH FROM %(expressions)s))::bigint")


def counted(qs: QuerySet) -> QuerySet:
    """Leave out what no rate counts: classifications and merges (a duplicate is classified
    "duplicate" by the merge) that a second person has signed off. One waiting for its sign-off
    still counts in every rate."""
    return qs.filter(COUNTED)


COUNTED = Q(classification="") | Q(signed_off_at__isnull=True)
# A request merged into another as a duplicate (signed off or not): it counts as a repeat of the
# one it joins, and it makes later requests of its place repeats even once it has left the rates.
MERGED = Q(close_reason=CloseReason.DUPLICATE)
# A merge waiting for its sign-off: closed, but its deadlines still run (the sweep flags them and
# ``overdue`` counts them), so that merging cannot stop a clock without a second person.
UNSIGNED_MERGE = MERGED & Q(signed_off_at__isnull=True)


def settled(
    measure: str, part: str, score: int | None = None, *, bounds: tuple[dt.datetime, dt.datetime] | None = None
) -> Q:
    """The condition of ``part`` of ``measure`` that no longer changes with time (for
    satisfaction, whoever looks: the pages leave out the ratings a user may not see).
    ``bounds``: the submission times asked about, for the repeats (see ``repeats``)."""
    if measure == "response":
        denominator = Q(first_response_at__isnull=False) | Q(response_breached=True)
        numerator = Q(
            first_response_at__isnull=False, first_response_at__lte=F("response_due_at"), response_breached=False
        )
    elif measure == "resolution":
        # A "not resolved" once given stays (unresolved_at is never cleared): the request counts
        # once, as not resolved, whatever is said after a second handling.
        denominator = Q(outcome__in=[Outcome.RESOLVED, Outcome.UNRESOLVED]) | Q(unresolved_at__isnull=False)
        numerator = Q(outcome=Outcome.RESOLVED, unresolved_at__isnull=True)
    elif measure == "callback":
        # 回访解决率: the independent callbacks alone (sampled by a keyed hash, made by someone
        # outside the handling unit), whatever the requester said on their own.
        denominator = Q(callback__answered=True)
        numerator = Q(callback__answered=True, callback__resolved=True)
    elif measure == "reach":
        # 回访接通率: of the sampled callbacks that are finished (the requester reached, or given
        # up after CALLBACK_ATTEMPTS tries on different days), those that reached the requester.
        # Shown beside the 回访解决率, so that "not reached" cannot quietly keep cases out of it.
        denominator = Q(callback__answered=True) | Q(callback__given_up_at__isnull=False)
        numerator = Q(callback__answered=True)
    elif measure == "satisfaction":
        denominator = Q(rating__isnull=False)
        numerator = Q(rating__score__gte=SATISFIED)
        if score is not None:
            return Q(rating__score=score)
    elif measure == "on_time":
        denominator = Q(handled_at__isnull=False) | Q(resolution_breached=True)
        numerator = Q(handled_at__isnull=False, handled_at__lte=F("resolution_due_at"), resolution_breached=False)
    elif measure == "repeat":
        # Annotated with Trim("address"). A merged request counts as a repeat of the one it
        # joins, with or without an address.
        denominator = ~Q(trimmed="") | MERGED
        numerator = denominator & (Q(repeats(bounds)) | MERGED)
    elif measure in ("p50", "p90"):
        denominator = numerator = Q(handle_seconds__isnull=False)
    else:
        raise KeyError(measure)
    return numerator if part == "numerator" else denominator


def repeat_parts(bounds: tuple[dt.datetime, dt.datetime] | None = None) -> tuple[Q, Q]:
    """The repeat rate's numerator as two disjoint conditions whose union it is: a repeat by
    place (an address, and an earlier request of the place: EXISTS, which PostgreSQL runs as a
    hash semi-join only when it is not under an OR) and a merged request that is not one (the
    EXISTS then checked for the few merged requests only). Counted apart and added up; listed
    with ``repeat_listed``. Needs ``trimmed`` annotated."""
    by_place = ~Q(trimmed="") & Q(repeats(bounds))
    return by_place, MERGED & ~by_place


def repeat_listed(qs: QuerySet, bounds: tuple[dt.datetime, dt.datetime] | None = None) -> Q:
    """The repeat rate's numerator among ``qs`` (annotated with ``trimmed``) as a condition that
    plans well: its id in either part of ``repeat_parts``, each read from ``qs`` (two hashed
    subqueries instead of an EXISTS per request under an OR)."""
    by_place, merged = repeat_parts(bounds)
    return Q(pk__in=qs.filter(by_place).values("pk")) | Q(pk__in=qs.filter(merged).values("pk"))


def overdue(measure: str, now: dt.datetime) -> Q | None:
    """The part of ``measure``'s denominator that is only true at ``now``: open, not answered
    (handled) and not yet flagged, its deadline passed. None for a measure without one. A merge
    not yet signed off stops no clock: the merged request counts as if still open (CLOCKED)."""
    if measure == "response":
        return Q(
            Q(state__in=OPEN_STATES) | UNSIGNED_MERGE,
            response_due_at__lte=now,
            first_response_at__isnull=True,
            response_breached=False,
        )
    if measure == "on_time":
        return Q(
            Q(state__in=CLOCK_RUNNING_STATES) | UNSIGNED_MERGE,
            resolution_due_at__lt=now,
            handled_at__isnull=True,
            resolution_breached=False,
        )
    return None


def repeats(bounds: tuple[dt.datetime, dt.datetime] | None = None) -> Exists:
    """Whether an earlier request of the same community with the same category and (trimmed)
    address was submitted at most 30 days before this one (to the second;
    at the same second, the one with the lower id is the earlier). A fact about the request,
    whoever looks: the earlier request need not be one the user may open. The earlier request
    is one the rates count or one merged as a duplicate (the resident came twice, even if the
    merge took the first report out of the rates); a classification signed off
    (不合理/不属实/非本级事权) does not make a repeat.

    ``bounds``: the submission times of the requests asked about, so that the earlier ones are
    read from 30 days before the first (the planner hashes them instead of probing each). Needs
    the outer query annotated with ``trimmed=Trim("address")``."""
    window = int(rates.REPEAT_WINDOW.total_seconds())
    gap = ExpressionWrapper(
        EpochSeconds(OuterRef("submitted_at")) - EpochSeconds("submitted_at"), output_field=IntegerField()
    )
    earlier = ServiceRequest.objects.filter(COUNTED | MERGED, community_id=OuterRef("community_id"))
    if bounds is not None:
        earlier = earlier.filter(submitted_at__gte=bounds[0] - rates.REPEAT_WINDOW, submitted_at__lt=bounds[1])
    earlier = (
        earlier.annotate(trimmed=Trim("address"))
        .filter(category_id=OuterRef("category_id"), trimmed=OuterRef("trimmed"))
        .annotate(gap=gap)
        .filter(
            Q(submitted_at__lt=OuterRef("submitted_at"))
            | Q(submitted_at=OuterRef("submitted_at"), pk__lt=OuterRef("pk")),
            gap__lte=window,
        )
        .order_by()
    )
    return Exists(earlier)
