"""Scores from measured values (DESIGN.md §6, docs/evaluation.md): a leaf's score between its floor
and target, the groups and the total over the leaves that could be scored (the others left out and
their siblings' weights renormalised), the confidence band, the tier and the weak points.

Pure Python, no database: the run (``services.run_plan``) hands it the measured values and the
plan's numbers, and stores what it returns; a reviewer can redo every step by hand.

* Leaf score ``100 · clip((x − floor) / (target − floor), 0, 1)``. The floor is the value that
  scores 0 and the target the one that scores 100, so for a lower-is-better leaf the target lies
  below the floor and the same formula is the inverted one.
* A leaf is left out for a unit when it was not measured (待接入, or nothing to count: a rate with
  no denominator) or stands on fewer than its minimum sample (样本不足). It counts neither as zero
  nor as full marks: the weights of the leaves left in its group are renormalised, and a group
  with no leaf left is left out of the total the same way.
* Band: a rate leaf's Wilson interval (95 %) carried through the score function; the composite's
  band is ± 1.96 times the square root of Σ (global weight × leaf half-width / 1.96)², leaves taken
  as independent. A value leaf (a percentile, hours per member) adds no width: said on the method
  page.
* Tier by published cut-offs on the total; when the band reaches across a cut-off the tier is
  "between" the two (介于B/C), and no order is claimed between units whose bands overlap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Z95 = 1.959963984540054

OK = "ok"
MISSING = "missing"  # not measured for the unit (待接入, or nothing to count)
INSUFFICIENT = "insufficient"  # fewer than the minimum sample (样本不足)

DEFAULT_CUTOFFS: tuple[tuple[str, float], ...] = (("A", 85.0), ("B", 70.0), ("C", 55.0))
LOWEST_TIER = "D"


@dataclass(frozen=True)
class LeafInput:
    """What a leaf of the plan says and what was measured for one unit."""

    code: str
    group: str
    weight: float  # local weight within its group (any positive scale; renormalised)
    floor: float  # the value that scores 0
    target: float  # the value that scores 100
    min_sample: int
    value: float | None
    sample: int
    numerator: int | None = None
    denominator: int | None = None


@dataclass
class LeafScore:
    code: str
    group: str
    status: str
    value: float | None
    sample: int
    numerator: int | None
    denominator: int | None
    score: float | None
    low: float | None  # the score's band
    high: float | None
    local_weight: float  # renormalised within the group over the leaves scored (0 when left out)
    global_weight: float  # its share of the total (0 when left out)
    move: dict | None = None  # what would bring it to the target

    @property
    def lost(self) -> float:
        """Points of the total the leaf leaves on the table."""
        return self.global_weight * (100 - self.score) if self.score is not None else 0.0


@dataclass
class UnitScore:
    total: float | None
    low: float | None
    high: float | None
    tier: str  # "A", …, "D", "B/C" (between), or "" when nothing could be scored
    groups: dict[str, float | None]
    group_weights: dict[str, float]  # renormalised over the groups scored
    leaves: list[LeafScore] = field(default_factory=list)
    weak: list[str] = field(default_factory=list)  # codes of the three weakest leaves

    @property
    def left_out(self) -> list[LeafScore]:
        return [leaf for leaf in self.leaves if leaf.status != OK]


def clip01(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def leaf_score(x: float, floor: float, target: float) -> float:
    """``100 · clip((x − floor) / (target − floor), 0, 1)`` (a target below the floor is a
    lower-is-better leaf)."""
    if target == floor:
        raise ValueError("target and floor must differ")
    return 100 * clip01((x - floor) / (target - floor))


def wilson(numerator: int, denominator: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval of a proportion numerator/denominator."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    p = numerator / denominator
    z2 = z * z
    centre = (p + z2 / (2 * denominator)) / (1 + z2 / denominator)
    half = z / (1 + z2 / denominator) * math.sqrt(p * (1 - p) / denominator + z2 / (4 * denominator**2))
    low = 0.0 if numerator == 0 else max(0.0, centre - half)
    high = 1.0 if numerator == denominator else min(1.0, centre + half)
    return low, high


def _move(leaf: LeafInput) -> dict | None:
    """What brings a leaf to its target: for a rate, how many more (or fewer) records in its
    numerator; for a value, the value to reach."""
    if leaf.value is None:
        return None
    higher = leaf.target > leaf.floor
    if (leaf.value >= leaf.target) if higher else (leaf.value <= leaf.target):
        return None
    if leaf.numerator is not None and leaf.denominator:
        if higher:
            more = math.ceil(leaf.target * leaf.denominator - leaf.numerator - 1e-9)
            return {"more": max(more, 0), "target": leaf.target}
        fewer = math.ceil(leaf.numerator - leaf.target * leaf.denominator - 1e-9)
        return {"fewer": max(fewer, 0), "target": leaf.target}
    return {"reach": leaf.target}


def score_unit(
    leaves: Sequence[LeafInput],
    group_weights: Mapping[str, float],
    *,
    cutoffs: Sequence[tuple[str, float]] = DEFAULT_CUTOFFS,
    weak_count: int = 3,
) -> UnitScore:
    """One unit's leaf scores, group scores, total, band, tier and weak points."""
    scored: list[LeafScore] = []
    for leaf in leaves:
        if leaf.value is None or (leaf.denominator is not None and leaf.denominator == 0):
            status = MISSING
        elif leaf.sample < leaf.min_sample:
            status = INSUFFICIENT
        else:
            status = OK
        score = low = high = None
        if status == OK:
            assert leaf.value is not None
            score = leaf_score(leaf.value, leaf.floor, leaf.target)
            low = high = score
            if leaf.numerator is not None and leaf.denominator:
                a, b = (leaf_score(p, leaf.floor, leaf.target) for p in wilson(leaf.numerator, leaf.denominator))
                low, high = min(a, b), max(a, b)
        scored.append(
            LeafScore(
                code=leaf.code,
                group=leaf.group,
                status=status,
                value=leaf.value,
                sample=leaf.sample,
                numerator=leaf.numerator,
                denominator=leaf.denominator,
                score=score,
                low=low,
                high=high,
                local_weight=0.0,
                global_weight=0.0,
                move=_move(leaf) if status == OK else None,
            )
        )
    weights = {leaf.code: leaf.weight for leaf in leaves}
    groups: dict[str, float | None] = {}
    for group in group_weights:
        members = [s for s in scored if s.group == group and s.status == OK]
        total_weight = sum(weights[s.code] for s in members)
        if not members or total_weight <= 0:
            groups[group] = None
            continue
        for s in members:
            s.local_weight = weights[s.code] / total_weight
        groups[group] = sum(s.local_weight * (s.score or 0) for s in members)
    present = {g: w for g, w in group_weights.items() if groups.get(g) is not None and w > 0}
    norm = sum(present.values())
    if not norm:
        return UnitScore(None, None, None, "", groups, {}, scored, [])
    used = {g: w / norm for g, w in present.items()}
    for s in scored:
        if s.status == OK and s.group in used:
            s.global_weight = used[s.group] * s.local_weight
    total = sum(used[g] * (groups[g] or 0) for g in used)
    variance = sum((s.global_weight * ((s.high or 0) - (s.low or 0)) / 2 / Z95) ** 2 for s in scored if s.status == OK)
    half = Z95 * math.sqrt(variance)
    low, high = max(0.0, total - half), min(100.0, total + half)
    weak = sorted((s for s in scored if s.status == OK and (s.score or 0) < 100), key=lambda s: (s.score, -s.lost))
    return UnitScore(
        total=total,
        low=low,
        high=high,
        tier=tier_of(total, low, high, cutoffs),
        groups=groups,
        group_weights=used,
        leaves=scored,
        weak=[s.code for s in weak[:weak_count]],
    )


def _tier(value: float, cutoffs: Sequence[tuple[str, float]]) -> str:
    for name, cut in cutoffs:
        if value >= cut:
            return name
    return LOWEST_TIER


def tier_of(total: float, low: float, high: float, cutoffs: Sequence[tuple[str, float]] = DEFAULT_CUTOFFS) -> str:
    """The tier of the total, or "upper/lower" when the band reaches across a cut-off."""
    top, bottom = _tier(high, cutoffs), _tier(low, cutoffs)
    return top if top == bottom else f"{top}/{bottom}"


def overlapping(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two bands overlap (no order is claimed between such units)."""
    return a[0] <= b[1] and b[0] <= a[1]
