"""The registry of evaluation indicators (issue #13, DESIGN.md §6).

An indicator is registered by the app that owns its records (in its ``AppConfig.ready``), so
that the evaluation (``dangjian.evaluation``, above every app) reads each app's figures the way
that app defines them, and never the other way round. Each says what it measures (code, name,
formula in words, unit of analysis, direction) and gives two functions:

* ``measure(actor, start, end, unit_ids)`` → ``{unit id: Measured}`` for the units of
  ``unit_ids`` the actor may see, over the local dates [start, end): numerator and denominator
  for a rate (or a value and its sample);
* ``records(actor, start, end, unit_id, part)`` → the queryset behind one number (``part`` is
  "numerator" or "denominator"), the same list the owning app shows for it.

Both go through the access layer with the actor's scope. Leaves of the default tree whose module
does not exist yet are listed as ``Pending`` (待接入) with the module they wait for: a missing
leaf is left out and its siblings' weights renormalised, never counted as zero or full marks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from dangjian.core.actors import Actor

HIGHER_IS_BETTER = 1
LOWER_IS_BETTER = -1
UNITS = ("grid", "community", "branch", "street")
PARTS = ("numerator", "denominator")


@dataclass(frozen=True)
class Measured:
    """One unit's figure: a rate's numerator and denominator (``value`` = n/d), or a value with
    the size of the sample it stands on (``numerator`` and ``denominator`` None)."""

    value: float | None
    sample: int
    numerator: int | None = None
    denominator: int | None = None

    @classmethod
    def rate(cls, numerator: int, denominator: int) -> Measured:
        return cls(numerator / denominator if denominator else None, denominator, numerator, denominator)


@dataclass(frozen=True)
class Indicator:
    code: str  # stable: plans and stored results refer to it
    group: str  # the first level of the tree it belongs to by default (DESIGN.md §6: "A"–"E")
    name: Any  # lazy translation
    formula: Any  # in words, lazy translation
    unit: str  # one of UNITS
    direction: int  # HIGHER_IS_BETTER or LOWER_IS_BETTER
    app: str  # the owning app's label
    measure: Callable[[Actor, dt.date, dt.date, Sequence[int]], dict[int, Measured]]
    records: Callable[[Actor, dt.date, dt.date, int, str], QuerySet]
    # Indicators read from the same evidence may share one function that measures them all at
    # once, {code: {unit id: Measured}}; a run calls it once for all of them (``measure_together``).
    together: Callable[[Actor, dt.date, dt.date, Sequence[int]], dict[str, dict[int, Measured]]] | None = None


@dataclass(frozen=True)
class Pending:
    """A leaf of the default tree that no module answers yet (待接入)."""

    code: str
    group: str
    name: Any
    waits_for: Any  # the module it waits for, lazy translation


_INDICATORS: dict[str, Indicator] = {}
_PENDING: dict[str, Pending] = {}


def register(indicator: Indicator) -> None:
    if indicator.unit not in UNITS or indicator.direction not in (HIGHER_IS_BETTER, LOWER_IS_BETTER):
        raise ValueError(f"indicator {indicator.code}: unit one of {UNITS}, direction 1 or -1")
    if indicator.code in _INDICATORS and _INDICATORS[indicator.code] != indicator:
        raise ValueError(f"indicator {indicator.code} is registered twice")
    _INDICATORS[indicator.code] = indicator
    _PENDING.pop(indicator.code, None)


def register_pending(pending: Pending) -> None:
    if pending.code not in _INDICATORS:
        _PENDING[pending.code] = pending


def indicators() -> list[Indicator]:
    """Every registered indicator, by group and code."""
    return sorted(_INDICATORS.values(), key=lambda i: (i.group, i.code))


def pending() -> list[Pending]:
    return sorted(_PENDING.values(), key=lambda p: (p.group, p.code))


def indicator(code: str) -> Indicator:
    """The indicator of ``code`` (KeyError for one not registered)."""
    return _INDICATORS[code]


def measure_together(
    actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int], codes: Sequence[str]
) -> dict[str, dict[int, Measured]]:
    """Each indicator of ``codes`` measured for the units, the ones that share a ``together``
    function read once (the same numbers as each one's ``measure``)."""
    out: dict[str, dict[int, Measured]] = {}
    shared: dict[int, dict[str, dict[int, Measured]]] = {}
    for code in codes:
        item = _INDICATORS[code]
        if item.together is None:
            out[code] = item.measure(actor, start, end, unit_ids)
            continue
        key = id(item.together)
        if key not in shared:
            shared[key] = item.together(actor, start, end, unit_ids)
        out[code] = shared[key].get(code, {})
    return out


# -- Checks for an auditor (反形式主义, 防刷数据) ------------------------------------------------------
#
# A check is registered, like an indicator, by the app that owns the records it looks at. For the
# units and period it returns what looks odd — never a verdict and never a change to a score: the
# evaluation shows each finding with its records to the area's admins, who record what they found.


@dataclass(frozen=True)
class Finding:
    """What a check found in one unit: how many records look odd (``count``) of how many looked at
    (``base``), a few numbers that say why (``detail``), and the ids of the records (``evidence``)."""

    count: int
    base: int
    detail: dict[str, Any]
    evidence: list[int]


@dataclass(frozen=True)
class Check:
    code: str
    name: Any  # lazy translation
    description: Any  # what it looks for and when it speaks: a lazy translation, or a function giving it
    app: str
    detect: Callable[[Actor, dt.date, dt.date, Sequence[int]], dict[int, Finding]]
    records: Callable[[Actor, list[int]], QuerySet]  # the evidence, through the access layer

    def describe(self) -> str:
        """The description in the current language, with the thresholds in force."""
        return str(self.description() if callable(self.description) else self.description)


_CHECKS: dict[str, Check] = {}


def register_check(check: Check) -> None:
    if check.code in _CHECKS and _CHECKS[check.code] != check:
        raise ValueError(f"check {check.code} is registered twice")
    _CHECKS[check.code] = check


def checks() -> list[Check]:
    return sorted(_CHECKS.values(), key=lambda c: c.code)


def check(code: str) -> Check:
    return _CHECKS[code]


def robust_z(values: dict[int, float]) -> dict[int, float]:
    """Each value's distance from the median in units of the scaled median absolute deviation
    (1.4826 · MAD, the standard deviation of a normal sample). When more than half the values are
    equal the MAD is 0; then the scaled mean absolute deviation from the median (1.2533 · mean) is
    used instead; 0 when that is 0 too (all values equal)."""
    if not values:
        return {}
    ordered = sorted(values.values())
    n = len(ordered)
    median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
    deviations = sorted(abs(v - median) for v in ordered)
    scale = (deviations[(n - 1) // 2] + deviations[n // 2]) / 2 * 1.4826
    if scale == 0:
        scale = sum(deviations) / n * 1.2533
    return {key: (value - median) / scale if scale > 0 else 0.0 for key, value in values.items()}
