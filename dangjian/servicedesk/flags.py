"""The service desk's checks for an auditor (DESIGN.md §6 "flags for audit", issue #13), registered
with core.indicators: patterns in the requests of a period that a community gaming its rates would
leave. They prompt a look by people and never change a score. Each says which requests it saw.

* ``batch_closures``: at least batch_size requests marked handled by one account within
  batch_seconds (work is not finished in bursts; a backlog closed at once is).
* ``deadline_heaping``: the share of a community's handled requests marked handled in the last
  heap_share of their allowed time, far above its peers' (robust z over the units ≥ z_limit).
* ``fast_closures``: requests handled as fast as the quickest 1 per cent of the same service in the
  other units, their share far above the peers'.
* ``perfect_ratings``: a community's ratings nearly all 5s (at least perfect_share) and distributed
  unlike its peers' (chi-square against the others pooled, p < rating_p): a community that serves
  better gets more 5s, not only 5s.
* ``clock_stops``: requests put on hold (the clock stops, the deadline moves), a share far above
  the peers' — the way to reset a clock this state machine leaves open.
* ``rated_at_once``: ratings given within rated_seconds of the request being marked handled (the
  handler's phone passed across the desk).

Comparisons with peers need at least min_peers units with records. The thresholds (DEFAULT_LIMITS)
can be changed in settings.DANGJIAN["EVALUATION_CHECKS"]; each check's description on the page says
the ones in force."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from django.db.models import QuerySet
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.core.indicators import Check, Finding, register_check, robust_z
from dangjian.servicedesk.models import Rating, RequestState, RequestStep, ServiceRequest
from dangjian.servicedesk.rates import rules

# The thresholds, each overridable in settings.DANGJIAN["EVALUATION_CHECKS"] (docs/configuration.md).
DEFAULT_LIMITS: dict[str, float] = {
    "batch_size": 5,  # requests marked handled by one account …
    "batch_seconds": 60,  # … within this many seconds
    "heap_share": 0.05,  # the last share of the allowed time
    "fast_percentile": 0.01,  # of the service's handling times over the units looked at
    "z_limit": 3.5,  # robust z of a unit's share against the others'
    "min_count": 5,  # records found, at least, for a comparison to speak
    "min_peers": 3,  # units with records, at least, for a comparison
    "rating_p": 0.001,  # chi-square p-value
    "perfect_share": 0.9,  # "uniform perfect": at least this share of 5s (a better community has more 5s, not only 5s)
    "min_ratings": 20,  # ratings of a unit, at least
    "rated_seconds": 120,  # a rating this soon after the request was marked handled
}


def limits() -> dict[str, float]:
    return {**DEFAULT_LIMITS, **config().evaluation_checks}


def limit(name: str) -> float:
    return limits()[name]


EVIDENCE_LIMIT = 500


def _handled(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> QuerySet[ServiceRequest]:
    low, high = rules.Period(rules.PeriodKind.CUSTOM, start, end).bounds()
    return restrict(
        ServiceRequest.objects.filter(community_id__in=list(unit_ids), handled_at__gte=low, handled_at__lt=high),
        actor,
        VIEW,
    )


def _records(actor: Actor, ids: list[int]) -> QuerySet[ServiceRequest]:
    return (
        restrict(ServiceRequest.objects.filter(pk__in=ids[:EVIDENCE_LIMIT]), actor, VIEW)
        .select_related("category")
        .order_by("pk")
    )


def batch_closures(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Finding]:
    handled = _handled(actor, start, end, unit_ids)
    steps = (
        RequestStep.objects.filter(
            request__in=handled.values("pk"), new_state=RequestState.HANDLED, actor__isnull=False
        )
        .order_by("actor_id", "at")
        .values_list("actor_id", "at", "request_id", "request__community_id")
    )
    by_actor: dict[int, list[tuple[dt.datetime, int, int]]] = defaultdict(list)
    for actor_id, at, request_id, community_id in steps:
        by_actor[actor_id].append((at, request_id, community_id))
    flagged: dict[int, set[int]] = defaultdict(set)
    for rows in by_actor.values():
        j = 0
        for i in range(len(rows)):
            j = max(j, i)
            while j + 1 < len(rows) and (rows[j + 1][0] - rows[i][0]).total_seconds() <= limit("batch_seconds"):
                j += 1
            if j - i + 1 >= limit("batch_size"):
                for _at, request_id, community_id in rows[i : j + 1]:
                    flagged[community_id].add(request_id)
    totals = Counter(handled.values_list("community_id", flat=True))
    return {
        unit: Finding(
            len(ids), totals[unit], {"batch_size": limit("batch_size"), "seconds": limit("batch_seconds")}, sorted(ids)
        )
        for unit, ids in flagged.items()
    }


def _peers_outliers(shares: dict[int, tuple[int, int]]) -> set[int]:
    """Units whose share (count/base) is far above the others': a robust z ≥ z_limit over the
    units' shares, and the unit's count that many binomial standard errors above what the other
    units' pooled share would give it (so that a share among mostly zeros, or on a small base,
    does not speak alone); at least min_count records, and at least min_peers units with records."""
    rates = {unit: count / base for unit, (count, base) in shares.items() if base}
    if len(rates) < limit("min_peers"):
        return set()
    z = robust_z(rates)
    all_count = sum(count for count, _base in shares.values())
    all_base = sum(base for _count, base in shares.values())
    found = set()
    for unit, value in z.items():
        count, base = shares[unit]
        if value < limit("z_limit") or count < limit("min_count"):
            continue
        p = (all_count - count + 0.5) / (all_base - base + 1)  # the others' pooled share (never 0)
        if (count - base * p) / math.sqrt(base * p * (1 - p)) >= limit("z_limit"):
            found.add(unit)
    return found


def deadline_heaping(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Finding]:
    rows = _handled(actor, start, end, unit_ids).values_list(
        "pk", "community_id", "submitted_at", "handled_at", "resolution_due_at"
    )
    late_in_window: dict[int, list[int]] = defaultdict(list)
    base: Counter[int] = Counter()
    for pk, unit, submitted, handled, due in rows:
        if handled is None:
            continue
        base[unit] += 1
        allowed = (due - submitted).total_seconds()
        if allowed > 0 and handled <= due and (due - handled).total_seconds() <= limit("heap_share") * allowed:
            late_in_window[unit].append(pk)
    shares = {unit: (len(late_in_window.get(unit, [])), n) for unit, n in base.items()}
    return {
        unit: Finding(
            shares[unit][0],
            shares[unit][1],
            {"share": limit("heap_share"), "z": limit("z_limit")},
            sorted(late_in_window[unit]),
        )
        for unit in _peers_outliers(shares)
    }


def clock_stops(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Finding]:
    """Requests put on hold (挂起: the clock stops while waiting for the requester), a share far
    above the other communities': holding a request to move its deadline is the way to reset the
    clock this state machine leaves open."""
    handled = _handled(actor, start, end, unit_ids)
    held = set(
        RequestStep.objects.filter(request__in=handled.values("pk"), action="suspend").values_list(
            "request_id", flat=True
        )
    )
    base: Counter[int] = Counter()
    found: dict[int, list[int]] = defaultdict(list)
    for pk, unit in handled.values_list("pk", "community_id"):
        base[unit] += 1
        if pk in held:
            found[unit].append(pk)
    shares = {unit: (len(found.get(unit, [])), n) for unit, n in base.items()}
    return {
        unit: Finding(shares[unit][0], shares[unit][1], {"z": limit("z_limit")}, sorted(found[unit]))
        for unit in _peers_outliers(shares)
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def fast_closures(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Finding]:
    """Each community's requests handled faster than the fast_percentile of the same service's
    requests in the other communities (so that a community closing many at once does not lower
    its own bar), for services with at least 100 such requests elsewhere."""
    rows = [
        (pk, unit, category, (handled - submitted).total_seconds())
        for pk, unit, category, submitted, handled in _handled(actor, start, end, unit_ids).values_list(
            "pk", "community_id", "category_id", "submitted_at", "handled_at"
        )
        if handled is not None
    ]
    by_category: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for _pk, unit, category, seconds in rows:
        by_category[category][unit].append(seconds)
    cuts: dict[tuple[int, int], float] = {}
    for category, units in by_category.items():
        for unit in units:
            others = [s for other, values in units.items() if other != unit for s in values]
            if len(others) >= 100:
                cuts[(category, unit)] = _percentile(others, limit("fast_percentile"))
    fast: dict[int, list[int]] = defaultdict(list)
    base: Counter[int] = Counter()
    for pk, unit, category, seconds in rows:
        base[unit] += 1
        cut = cuts.get((category, unit))
        if cut is not None and seconds <= cut:
            fast[unit].append(pk)
    shares = {unit: (len(fast.get(unit, [])), n) for unit, n in base.items()}
    return {
        unit: Finding(
            shares[unit][0],
            shares[unit][1],
            {"percentile": limit("fast_percentile"), "z": limit("z_limit")},
            sorted(fast[unit]),
        )
        for unit in _peers_outliers(shares)
    }


def chi_square_sf(x: float, df: int) -> float:
    """P(X ≥ x) for a chi-square variable with ``df`` degrees of freedom, exactly: for an even df
    the Poisson sum e^(−x/2) Σ_{k<df/2} (x/2)^k/k!; for an odd one
    erfc(√(x/2)) + √(2/π) e^(−x/2) Σ_{j=1}^{(df−1)/2} x^(j−½)/(1·3·…·(2j−1))."""
    if x <= 0:
        return 1.0
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for k in range(1, df // 2):
            term *= (x / 2) / k
            total += term
        return min(1.0, math.exp(-x / 2) * total)
    total, term = 0.0, math.sqrt(x)  # x^(1/2) / 1
    for j in range(1, (df - 1) // 2 + 1):
        if j > 1:
            term *= x / (2 * j - 1)
        total += term
    return min(1.0, math.erfc(math.sqrt(x / 2)) + math.sqrt(2 / math.pi) * math.exp(-x / 2) * total)


def perfect_ratings(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Finding]:
    low, high = rules.Period(rules.PeriodKind.CUSTOM, start, end).bounds()
    requests = restrict(ServiceRequest.objects.filter(community_id__in=list(unit_ids)), actor, VIEW)
    ratings = Rating.objects.filter(request__in=requests.values("pk"), rated_at__gte=low, rated_at__lt=high)
    counts: dict[int, Counter[int]] = defaultdict(Counter)
    fives: dict[int, list[int]] = defaultdict(list)
    for unit, score, request_id in ratings.values_list("request__community_id", "score", "request_id"):
        counts[unit][score] += 1
        if score == 5:
            fives[unit].append(request_id)
    rated = {unit: c for unit, c in counts.items() if sum(c.values()) >= limit("min_ratings")}
    if len(rated) < limit("min_peers"):
        return {}
    out = {}
    for unit, own in rated.items():
        pool: Counter[int] = Counter()
        for other, c in counts.items():
            if other != unit:
                pool.update(c)
        n, m = sum(own.values()), sum(pool.values())
        cells = [s for s in range(1, 6) if pool[s] + own[s] > 0]
        statistic = 0.0
        for s in cells:
            expected = n * pool[s] / m if m else 0
            if expected > 0:
                statistic += (own[s] - expected) ** 2 / expected
        p = chi_square_sf(statistic, max(1, len(cells) - 1))
        own_share, pool_share = own[5] / n, (pool[5] / m if m else 0)
        if p < limit("rating_p") and own_share >= limit("perfect_share") and own_share > pool_share:
            out[unit] = Finding(
                own[5],
                n,
                {"p": p, "five": round(own_share, 3), "peers_five": round(pool_share, 3)},
                sorted(fives[unit]),
            )
    return out


def rated_at_once(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Finding]:
    low, high = rules.Period(rules.PeriodKind.CUSTOM, start, end).bounds()
    rows = Rating.objects.filter(
        request__in=restrict(
            ServiceRequest.objects.filter(community_id__in=list(unit_ids), handled_at__isnull=False), actor, VIEW
        ).values("pk"),
        rated_at__gte=low,
        rated_at__lt=high,
    ).values_list("request_id", "request__community_id", "rated_at", "request__handled_at")
    quick: dict[int, list[int]] = defaultdict(list)
    base: Counter[int] = Counter()
    for request_id, unit, rated, handled in rows:
        if handled is None:
            continue
        base[unit] += 1
        if 0 <= (rated - handled).total_seconds() <= limit("rated_seconds"):
            quick[unit].append(request_id)
    return {
        unit: Finding(len(ids), base[unit], {"seconds": limit("rated_seconds")}, sorted(ids))
        for unit, ids in quick.items()
        if len(ids) >= limit("min_count") and len(ids) / base[unit] >= 0.2
    }


def _described(text: str) -> Callable[[], str]:
    """A check's description with the thresholds in force (read when the page is drawn)."""

    def describe() -> str:
        values = {key: f"{value:g}" for key, value in limits().items()}
        for name, key in (
            ("heap_percent", "heap_share"),
            ("perfect_percent", "perfect_share"),
            ("fast_percent", "fast_percentile"),
        ):
            values[name] = f"{limit(key) * 100:g}"
        return gettext(text) % values

    return describe


def register_checks() -> None:
    checks = [
        ("batch_closures", _("Batch closures"), gettext_noop("At least %(batch_size)s requests marked handled by one account within %(batch_seconds)s seconds."), batch_closures),
        ("deadline_heaping", _("Closures heaped before the deadline"), gettext_noop("Requests marked handled in the last %(heap_percent)s per cent of their allowed time: a share far above the other communities' (robust z ≥ %(z_limit)s, at least %(min_count)s requests)."), deadline_heaping),
        ("fast_closures", _("Implausibly fast closures"), gettext_noop("Requests handled as fast as the quickest %(fast_percent)s per cent of the same service in the other communities: a share far above theirs (robust z ≥ %(z_limit)s, at least %(min_count)s requests)."), fast_closures),
        ("perfect_ratings", _("Uniformly perfect ratings"), gettext_noop("At least %(perfect_percent)s per cent of the ratings are 5, and they are distributed unlike the other communities' (chi-square, p < %(rating_p)s; at least %(min_ratings)s ratings)."), perfect_ratings),
        ("clock_stops", _("Clocks stopped"), gettext_noop("Requests put on hold (the deadline moves while on hold): a share far above the other communities' (robust z ≥ %(z_limit)s, at least %(min_count)s requests)."), clock_stops),
        ("rated_at_once", _("Ratings given at once"), gettext_noop("Ratings given within %(rated_seconds)s seconds of the request being marked handled (at least %(min_count)s, and a fifth of the ratings)."), rated_at_once),
    ]  # fmt: skip
    for code, name, description, detect in checks:
        register_check(
            Check(
                code=f"servicedesk.{code}",
                name=name,
                description=_described(description),
                app="servicedesk",
                detect=detect,
                records=_records,
            )
        )
