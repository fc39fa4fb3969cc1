"""The dues formula (DESIGN.md §5), in one place.

Monthly dues are a percentage of the whole monthly base (not progressive): the bracket the base
falls in sets the rate for all of it (a salary of 5,400 yuan after tax is in the 5,000–10,000
bracket: 5,400 × 1.5% = 81.00). Members without a salary or pension pay a fixed small amount.
Every number is configuration: ``DUES`` in settings.DANGJIAN overrides any key of DEFAULT_RULES.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dangjian.core.conf import config
from dangjian.membership.models import DuesKind
from dangjian.people.models import MemberCategory

DEFAULT_RULES: dict[str, Any] = {
    # (upper bound of the bracket, inclusive; None = no bound) → rate on the whole base
    "wage": [
        (Decimal("3000"), Decimal("0.005")),
        (Decimal("5000"), Decimal("0.01")),
        (Decimal("10000"), Decimal("0.015")),
        (None, Decimal("0.02")),
    ],
    "pension": [(Decimal("5000"), Decimal("0.005")), (None, Decimal("0.01"))],
    # Fixed monthly amounts: farmers pay 0.2–1 yuan (the branch sets it), students, the
    # unemployed and people on 低保 pay 0.2 yuan.
    "fixed_default": {MemberCategory.FARMER: Decimal("0.50")},
    "fixed_other": Decimal("0.20"),
    "fixed_range": (Decimal("0.20"), Decimal("1.00")),
    "arrears_alert_months": 6,
}
CENT = Decimal("0.01")


def rules() -> dict[str, Any]:
    return {**DEFAULT_RULES, **config().dues}


def rate_for(kind: str, base: Decimal) -> Decimal:
    """The rate of the bracket ``base`` falls in (0 for fixed amounts)."""
    if kind == DuesKind.FIXED:
        return Decimal("0")
    for bound, rate in rules()[kind]:
        if bound is None or base <= bound:
            return rate
    raise ValueError(kind)  # the last bracket has no bound


def standard_monthly(kind: str, base: Decimal, category: str = MemberCategory.OTHER) -> tuple[Decimal, Decimal]:
    """(rate, monthly dues) by the rules: base × rate rounded to the fen, or the fixed amount."""
    if kind == DuesKind.FIXED:
        config = rules()
        return Decimal("0"), config["fixed_default"].get(category, config["fixed_other"])
    rate = rate_for(kind, base)
    return rate, (base * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def default_kind(category: str) -> str:
    if category == MemberCategory.EMPLOYED:
        return DuesKind.WAGE
    if category == MemberCategory.RETIRED:
        return DuesKind.PENSION
    return DuesKind.FIXED


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> int:
    """Months from ``first``'s month to ``last``'s month, both included (0 if last is earlier)."""
    return max((last.year - first.year) * 12 + last.month - first.month + 1, 0)


def parse_month(text: str) -> dt.date | None:
    """'2026-11' → 2026-11-01; None if it is not a month."""
    text = (text or "").strip()
    if len(text) != 7 or text[4] != "-" or not ((digits := text[:4] + text[5:]).isascii() and digits.isdigit()):
        return None
    try:
        return dt.date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        return None
