"""The arithmetic of the service desk's measures (三率 and more), as pure functions.

* ``wilson_lower_bound`` / ``wilson_upper_bound``: the Wilson score interval of a proportion
  (Wilson 1927), used to rank units so that a unit with 3 of 3 does not outrank one with 95 of
  100 (DESIGN.md §5: rank with the Wilson lower bound, z = 1.96);
* ``percentile``: linear interpolation between closest ranks, the same as PostgreSQL's
  ``PERCENTILE_CONT`` (so the SQLite fallback and PostgreSQL give the same P50/P90);
* periods: a month, a quarter, a year or a custom range of local dates, with the key that
  carries it in URLs ("2026-10", "2026-Q4", "2026", "2026-01-05~2026-02-10").

The queries are in rates_selectors.py; the definitions are written out in docs/rates.md.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.conf import config

Z = 1.96
REPEAT_WINDOW = dt.timedelta(days=30)
TREND_MONTHS = 12


def min_sample() -> int:
    """Below this many cases a unit is not ranked ("样本不足"); RATES_MIN_SAMPLE in core/conf.py."""
    return config().rates_min_sample


# --- Wilson score interval ----------------------------------------------------------------------


def _wilson(successes: int, n: int, z: float, sign: int) -> float | None:
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie between 0 and n ({successes} of {n})")
    p = successes / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return min(1.0, max(0.0, (centre + sign * spread) / (1 + z2 / n)))


def wilson_lower_bound(successes: int, n: int, z: float = Z) -> float | None:
    """The lower end of the Wilson score interval; None when there is no case (n = 0).

    (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), p = successes/n: 8/10 → 0.4902,
    10/10 → 0.7225, 0/10 → 0."""
    return _wilson(successes, n, z, -1)


def wilson_upper_bound(successes: int, n: int, z: float = Z) -> float | None:
    """The upper end of the same interval (ranks measures where lower is better)."""
    return _wilson(successes, n, z, +1)


@dataclass(frozen=True)
class Proportion:
    """One rate of one unit: numerator / denominator, the Wilson bounds and whether the sample
    is large enough to rank."""

    numerator: int
    denominator: int
    minimum: int

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def lower(self) -> float | None:
        return wilson_lower_bound(self.numerator, self.denominator)

    @property
    def upper(self) -> float | None:
        return wilson_upper_bound(self.numerator, self.denominator)

    @property
    def enough(self) -> bool:
        return self.denominator >= self.minimum and self.denominator > 0


# --- percentiles --------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks, as
    PERCENTILE_CONT: the value at position q·(n−1) of the sorted values. None for no values.
    percentile([1, 2, 3, 4], 0.5) → 2.5; percentile([1, 2, 3, 4], 0.9) → 3.7."""
    return _quantile(sorted(values), q)


def percentiles(values: Sequence[float], qs: Sequence[float]) -> list[float | None]:
    """Several quantiles of the same values (sorted once)."""
    ordered = sorted(values)
    return [_quantile(ordered, q) for q in qs]


def _quantile(ordered: Sequence[float], q: float) -> float | None:
    if not 0 <= q <= 1:
        raise ValueError("q must lie between 0 and 1")
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = math.ceil(position)
    if below == above:
        return float(ordered[below])
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


# --- periods ------------------------------------------------------------------------------------


class PeriodKind:
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    """Local dates [start, end): ``end`` is the first day after the period."""

    kind: str
    start: dt.date
    end: dt.date

    @property
    def key(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == PeriodKind.YEAR:
            return f"{self.start.year}"
        return f"{self.start.isoformat()}~{self.last_day.isoformat()}"

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return str(_("%(year)d-%(month)02d") % {"year": self.start.year, "month": self.start.month})
        if self.kind == PeriodKind.QUARTER:
            quarter = (self.start.month - 1) // 3 + 1
            return str(_("Q%(quarter)d %(year)d") % {"quarter": quarter, "year": self.start.year})
        if self.kind == PeriodKind.YEAR:
            return str(_("The year %(year)d") % {"year": self.start.year})
        return str(_("%(start)s to %(end)s") % {"start": self.start.isoformat(), "end": self.last_day.isoformat()})

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as aware moments in the site's time zone (Asia/Shanghai): [start, end)."""
        zone = timezone.get_default_timezone()
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(self.end, dt.time.min, tzinfo=zone),
        )


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_of(day: dt.date) -> Period:
    start = day.replace(day=1)
    return Period(PeriodKind.MONTH, start, _add_months(start, 1))


def quarter_of(day: dt.date) -> Period:
    start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period(PeriodKind.QUARTER, start, _add_months(start, 3))


def year_of(day: dt.date) -> Period:
    return Period(PeriodKind.YEAR, dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1))


MIN_YEAR, MAX_YEAR = 2000, 2100
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_CUSTOM = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:~|\.\.)\s*(\d{4}-\d{2}-\d{2})$")


def custom_period(first: dt.date, last: dt.date) -> Period | None:
    """From ``first`` to ``last``, both included; None if they are reversed or out of range."""
    if last < first or not (first.year >= MIN_YEAR and last.year < MAX_YEAR):
        return None
    return Period(PeriodKind.CUSTOM, first, last + dt.timedelta(days=1))


def parse_period(key: str | None, *, today: dt.date, first: str = "", last: str = "") -> Period | None:
    """The period named by ``key`` ("2026-10", "2026-Q4", "2026", "2026-01-05~2026-02-10"), or by
    ``first`` and ``last`` (custom dates, both included, which win over ``key``); the current
    quarter when nothing is given; None when what is given makes no sense."""
    if first or last:
        try:
            return custom_period(dt.date.fromisoformat(first.strip()), dt.date.fromisoformat(last.strip()))
        except ValueError:
            return None
    key = (key or "").strip()
    if not key:
        return quarter_of(today)
    if match := _MONTH.match(key):
        year, month = int(match[1]), int(match[2])
        return month_of(dt.date(year, month, 1)) if MIN_YEAR <= year < MAX_YEAR and 1 <= month <= 12 else None
    if match := _QUARTER.match(key):
        year = int(match[1])
        return quarter_of(dt.date(year, int(match[2]) * 3, 1)) if MIN_YEAR <= year < MAX_YEAR else None
    if match := _YEAR.match(key):
        year = int(match[1])
        return year_of(dt.date(year, 1, 1)) if MIN_YEAR <= year < MAX_YEAR else None
    if match := _CUSTOM.match(key):
        try:
            return custom_period(dt.date.fromisoformat(match[1]), dt.date.fromisoformat(match[2]))
        except ValueError:
            return None
    return None


KINDS = (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR, PeriodKind.CUSTOM)


def period_from_query(params: Mapping[str, str], *, today: dt.date) -> Period | None:
    """The period of a query string, in either form: ``period=2026-Q3`` (a key, see
    parse_period; ``from``/``to`` win), or the kind and its value, ``period=quarter&quarter=
    2026Q3``, ``period=month&month=2026-10``, ``period=year&year=2026``, ``period=custom&from=
    2026-01-05&to=2026-02-10``."""
    kind = (params.get("period") or "").strip()
    first, last = params.get("from") or "", params.get("to") or ""
    if kind in KINDS:
        if kind == PeriodKind.CUSTOM:
            return parse_period("", today=today, first=first, last=last) if first or last else None
        value = (params.get(kind) or "").strip()
        return parse_period(value, today=today) if value else None
    return parse_period(kind, today=today, first=first, last=last)


def period_choices(today: dt.date) -> list[tuple[str, list[Period]]]:
    """What the period picker offers: the last 12 months, 8 quarters and 3 years."""
    months = [month_of(_add_months(today.replace(day=1), -i)) for i in range(12)]
    quarter = quarter_of(today)
    quarters = [quarter_of(_add_months(quarter.start, -3 * i)) for i in range(8)]
    years = [year_of(dt.date(today.year - i, 1, 1)) for i in range(3)]
    return [(str(_("Months")), months), (str(_("Quarters")), quarters), (str(_("Years")), years)]


def trend_months(period: Period, count: int = TREND_MONTHS) -> list[Period]:
    """The ``count`` months that end with the period's last month, oldest first."""
    last = month_of(period.last_day)
    return [month_of(_add_months(last.start, -i)) for i in range(count - 1, -1, -1)]
