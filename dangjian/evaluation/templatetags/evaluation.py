"""Filters of the evaluation pages: scores, values of leaves, weights."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def score(value: float | None) -> str:
    """A score with one decimal ("—" when there is none)."""
    return "—" if value is None else number_format(round(value, 1), 1)  # number_format cuts, not rounds


@register.filter
def percent(value: float | None, places: int = 1) -> str:
    return "—" if value is None else f"{number_format(round(value * 100, places), places)}%"


@register.filter
def leaf_value(value: float | None, rate: bool) -> str:
    """A rate as a percentage, any other value with two decimals."""
    if value is None:
        return "—"
    return percent(value) if rate else number_format(round(value, 2), 2)


@register.filter
def item(mapping: dict | list | None, key: Any) -> Any:
    """``mapping[key]`` for a dict (an int key also tried as a string) or a list; None if absent."""
    if mapping is None:
        return None
    if isinstance(mapping, list):
        return mapping[key] if isinstance(key, int) and 0 <= key < len(mapping) else None
    return mapping.get(key, mapping.get(str(key)))


@register.filter
def tier_class(tier: str) -> str:
    """A CSS class for a tier ("between" when the band reaches across a cut-off)."""
    return "tier-between" if "/" in (tier or "") else f"tier-{(tier or 'none').lower()}"


@register.filter
def band_css(result: Any) -> str:
    """The inline position of a result's band on a 0–100 track."""
    if result.total is None:
        return "display:none"
    return f"left:{result.low:.2f}%;width:{max(result.high - result.low, 0.4):.2f}%"


@register.filter
def at_css(value: float | None) -> str:
    return "display:none" if value is None else f"left:{float(value):.2f}%"


@register.filter
def saaty(value: float | None) -> str:
    """A comparison as the expert typed it: 3, 1/3 (other values with three decimals)."""
    if value is None:
        return "—"
    for n in range(1, 10):
        if abs(value - n) < 1e-9:
            return str(n)
        if abs(value - 1 / n) < 1e-9:
            return f"1/{n}"
    return f"{value:.3f}"


@register.filter
def objective_label(method: str) -> str:
    from dangjian.evaluation.models import Objective

    return str(Objective(method).label) if method in Objective.values else method


@register.filter
def sensitivity_label(key: str) -> str:
    """ "A+20%" stays as it is; a data weighting's name is shown in the reader's language."""
    return objective_label(key)
