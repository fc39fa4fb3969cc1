"""The arithmetic of the evaluation (DESIGN.md §6, docs/evaluation.md): AHP priorities and their
consistency, entropy and CRITIC weights from the data, their bounded combination, and TOPSIS.

Pure Python on lists of floats (the matrices are small: a group of leaves, a hundred units), no
database and no Django, so that an analyst can check every number by hand or with
``python manage.py mcdm``. Published conventions differ; each difference is a named option:

* AHP priorities: ``eigen`` (Saaty's principal eigenvector, the default) or ``geometric`` (row
  geometric means); λmax is the mean of (Aw)ᵢ/wᵢ for both (for the eigenvector it is the
  eigenvalue itself).
* Random index tables (``RI``): ``saaty1980`` (the default, the one DESIGN.md names),
  ``saaty2005`` and ``donegan-dodd``.
* Normalisation: ``minmax`` (per direction: a cost criterion is turned round), ``sum`` (x/Σx, the
  raw one some papers use for entropy) and ``vector`` (x/√Σx², TOPSIS's own).

Rows are the alternatives (units), columns the criteria (indicators), ``types`` 1 for a benefit
criterion (higher is better) and −1 for a cost criterion.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

Matrix = Sequence[Sequence[float]]

# Random consistency indices by matrix order n (n ≤ 2 is always consistent).
RI_TABLES: dict[str, dict[int, float]] = {
    # Saaty, T. L. (1980). The Analytic Hierarchy Process. McGraw-Hill.
    "saaty1980": {3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49},
    # Saaty, T. L. (2005). Theory and Applications of the Analytic Network Process. RWS.
    "saaty2005": {3: 0.52, 4: 0.89, 5: 1.11, 6: 1.25, 7: 1.35, 8: 1.40, 9: 1.45, 10: 1.49},
    # Donegan, H. A., Dodd, F. J. (1991). A note on Saaty's random indexes. Math. Comput. Model. 15(10).
    "donegan-dodd": {
        3: 0.4887,
        4: 0.8045,
        5: 1.0591,
        6: 1.1797,
        7: 1.2519,
        8: 1.3171,
        9: 1.3733,
        10: 1.4055,
    },
}
CR_LIMIT = 0.10
SAATY_SCALE = (1 / 9, 9.0)
RECIPROCAL_TOLERANCE = 0.01  # |aᵢⱼ·aⱼᵢ − 1|: 1/3 typed as 0.333 is still the reciprocal of 3


class MCDMError(ValueError):
    """Input the methods cannot take (the message says what and where, in the reader's terms)."""


@dataclass(frozen=True)
class Pair:
    """One comparison of an AHP matrix and how far it is from what the priorities imply."""

    row: int
    column: int
    given: float
    implied: float  # wᵢ/wⱼ
    deviation: float  # |ln(aᵢⱼ·wⱼ/wᵢ)|: 0 when the comparison agrees with the priorities


@dataclass(frozen=True)
class AHPResult:
    weights: list[float]
    lambda_max: float
    ci: float
    cr: float
    ri: float
    method: str
    ri_table: str
    worst_pairs: list[Pair] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return self.cr < CR_LIMIT

    def as_dict(self) -> dict:
        return {
            "weights": self.weights,
            "lambda_max": self.lambda_max,
            "ci": self.ci,
            "cr": self.cr,
            "ri": self.ri,
            "consistent": self.consistent,
            "method": self.method,
            "ri_table": self.ri_table,
            "worst_pairs": [
                {
                    "row": p.row,
                    "column": p.column,
                    "given": p.given,
                    "implied": p.implied,
                    "deviation": p.deviation,
                }
                for p in self.worst_pairs
            ],
        }


# --- input checks ----------------------------------------------------------------------------------


def _table(matrix: Matrix, *, name: str = "matrix") -> list[list[float]]:
    rows = [list(row) for row in matrix]
    if not rows or not rows[0]:
        raise MCDMError(f"{name}: empty")
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise MCDMError(f"{name}: row {i + 1} has {len(row)} values, row 1 has {width}")
        for j, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise MCDMError(f"{name}: row {i + 1}, column {j + 1} is not a finite number")
    return [[float(v) for v in row] for row in rows]


def _pairwise(matrix: Matrix) -> list[list[float]]:
    a = _table(matrix)
    n = len(a)
    if any(len(row) != n for row in a):
        raise MCDMError(f"matrix: a pairwise comparison matrix is square; it has {n} rows of {len(a[0])}")
    low, high = SAATY_SCALE
    for i in range(n):
        if abs(a[i][i] - 1) > 1e-9:
            raise MCDMError(f"matrix: row {i + 1}, column {i + 1} compares an item with itself and must be 1")
        for j in range(n):
            if not low - 1e-9 <= a[i][j] <= high + 1e-9:
                raise MCDMError(f"matrix: row {i + 1}, column {j + 1} is {a[i][j]:g}, outside Saaty's 1/9–9")
            if abs(a[i][j] * a[j][i] - 1) > RECIPROCAL_TOLERANCE:
                raise MCDMError(
                    f"matrix: row {i + 1}, column {j + 1} is {a[i][j]:g} and row {j + 1}, column {i + 1} "
                    f"is {a[j][i]:g}; they must be reciprocals"
                )
    return a


def _types(types: Sequence[int] | None, n: int) -> list[int]:
    if types is None:
        return [1] * n
    found = list(types)
    if len(found) != n or any(t not in (1, -1) for t in found):
        raise MCDMError(f"types: {n} values, each 1 (benefit) or -1 (cost)")
    return found


def _weights(weights: Sequence[float], n: int, *, name: str = "weights") -> list[float]:
    found = [float(w) for w in weights]
    if len(found) != n or any(not math.isfinite(w) or w < 0 for w in found) or sum(found) <= 0:
        raise MCDMError(f"{name}: {n} non-negative numbers, not all zero")
    total = sum(found)
    return [w / total for w in found]


# --- AHP -------------------------------------------------------------------------------------------


def _eigenvector(a: list[list[float]]) -> list[float]:
    """The principal right eigenvector of a positive matrix by power iteration (Perron–Frobenius:
    it converges from the all-ones vector), normalised to sum 1."""
    n = len(a)
    w = [1.0 / n] * n
    for _ in range(1000):
        product = [sum(a[i][j] * w[j] for j in range(n)) for i in range(n)]
        total = sum(product)
        nxt = [v / total for v in product]
        if max(abs(x - y) for x, y in zip(nxt, w, strict=True)) < 1e-15:
            return nxt
        w = nxt
    return w


def _geometric(a: list[list[float]]) -> list[float]:
    n = len(a)
    means = [math.exp(sum(math.log(v) for v in row) / n) for row in a]
    total = sum(means)
    return [m / total for m in means]


def ahp(matrix: Matrix, *, method: str = "eigen", ri: str = "saaty1980", worst: int = 3) -> AHPResult:
    """Priorities of a pairwise comparison matrix, λmax, CI = (λmax − n)/(n − 1), CR = CI/RI(n)
    (0 for n ≤ 2), and the ``worst`` comparisons furthest from what the priorities imply (the
    ones to revisit when CR ≥ 0.10)."""
    if method not in ("eigen", "geometric"):
        raise MCDMError("method: eigen or geometric")
    if ri not in RI_TABLES:
        raise MCDMError(f"ri: one of {', '.join(RI_TABLES)}")
    a = _pairwise(matrix)
    n = len(a)
    w = _eigenvector(a) if method == "eigen" else _geometric(a)
    lambda_max = sum(sum(a[i][j] * w[j] for j in range(n)) / w[i] for i in range(n)) / n
    ci = (lambda_max - n) / (n - 1) if n > 2 else 0.0
    if n > 2 and n not in RI_TABLES[ri]:
        raise MCDMError(f"ri: the {ri} table has no random index for {n} items")
    random_index = RI_TABLES[ri].get(n, 0.0)
    cr = ci / random_index if n > 2 else 0.0
    pairs = [
        Pair(i, j, a[i][j], w[i] / w[j], abs(math.log(a[i][j] * w[j] / w[i])))
        for i in range(n)
        for j in range(i + 1, n)
    ]
    pairs.sort(key=lambda p: (-p.deviation, p.row, p.column))
    return AHPResult(w, lambda_max, ci, cr, random_index, method, ri, pairs[:worst] if n > 2 else [])


def combine_judgements(matrices: Sequence[Matrix]) -> list[list[float]]:
    """Group AHP: several experts' matrices of one set of items, element by element by geometric
    mean (which keeps the result reciprocal); its CR is then computed like any matrix's."""
    tables = [_pairwise(m) for m in matrices]
    if not tables:
        raise MCDMError("matrices: at least one")
    n = len(tables[0])
    if any(len(t) != n for t in tables):
        raise MCDMError("matrices: every expert compares the same items")
    k = len(tables)
    return [[math.exp(sum(math.log(t[i][j]) for t in tables) / k) for j in range(n)] for i in range(n)]


def global_weights(parent: float, local: Sequence[float]) -> list[float]:
    """A level of the hierarchy: each child's global weight is its parent's times its local weight."""
    return [parent * w for w in local]


# --- normalisation ---------------------------------------------------------------------------------


def normalise(matrix: Matrix, types: Sequence[int] | None = None, *, how: str = "minmax") -> list[list[float]]:
    """Column by column. ``minmax``: (x − min)/(max − min) for a benefit criterion and
    (max − x)/(max − min) for a cost one (a column of equal values becomes all 0: it tells the
    units apart in nothing). ``sum``: x/Σx. ``vector``: x/√Σx². The last two keep the direction;
    they need non-negative values."""
    x = _table(matrix)
    m, n = len(x), len(x[0])
    kinds = _types(types, n)
    out = [[0.0] * n for _ in range(m)]
    for j in range(n):
        column = [x[i][j] for i in range(m)]
        if how == "minmax":
            low, high = min(column), max(column)
            span = high - low
            for i in range(m):
                if span > 0:
                    out[i][j] = (column[i] - low) / span if kinds[j] == 1 else (high - column[i]) / span
        elif how in ("sum", "vector"):
            if min(column) < 0:
                raise MCDMError(f"matrix: column {j + 1} has a negative value; {how} normalisation needs none")
            total = sum(column) if how == "sum" else math.sqrt(sum(v * v for v in column))
            for i in range(m):
                out[i][j] = column[i] / total if total > 0 else 0.0
        else:
            raise MCDMError("normalise: minmax, sum or vector")
    return out


# --- objective weights -----------------------------------------------------------------------------


def entropy(matrix: Matrix, types: Sequence[int] | None = None, *, how: str = "minmax") -> dict:
    """Entropy weights: r normalised (``how``), p = r/Σr per column, e = −Σ p ln p / ln m (0·ln 0 = 0;
    a column whose r are all 0 carries no information, e = 1), d = 1 − e, w = d/Σd (equal weights
    when no column tells the units apart)."""
    r = normalise(matrix, types, how=how)
    m, n = len(r), len(r[0])
    if m < 2:
        raise MCDMError("matrix: entropy needs at least two units (rows)")
    e = []
    for j in range(n):
        total = sum(r[i][j] for i in range(m))
        if total <= 0:
            e.append(1.0)
            continue
        p = [r[i][j] / total for i in range(m)]
        e.append(-sum(v * math.log(v) for v in p if v > 0) / math.log(m))
    d = [max(0.0, 1 - v) for v in e]
    total = sum(d)
    weights = [v / total for v in d] if total > 0 else [1 / n] * n
    return {"weights": weights, "entropy": e, "divergence": d, "normalised": r}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _pstdev(values: list[float]) -> float:
    mu = _mean(values)
    return math.sqrt(sum((v - mu) ** 2 for v in values) / len(values))


def _pearson(a: list[float], b: list[float]) -> float:
    sa, sb = _pstdev(a), _pstdev(b)
    if sa == 0 or sb == 0:
        return 0.0  # a constant column correlates with nothing (and its own C is 0: σ = 0)
    ma, mb = _mean(a), _mean(b)
    return sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True)) / (len(a) * sa * sb)


def critic(matrix: Matrix, types: Sequence[int] | None = None, *, how: str = "minmax") -> dict:
    """CRITIC weights: r normalised (``how``), σⱼ the population standard deviation of column j,
    rⱼₖ Pearson's correlation of columns j and k, Cⱼ = σⱼ·Σₖ(1 − rⱼₖ), w = C/ΣC (equal weights when
    every C is 0)."""
    r = normalise(matrix, types, how=how)
    m, n = len(r), len(r[0])
    if m < 2:
        raise MCDMError("matrix: CRITIC needs at least two units (rows)")
    columns = [[r[i][j] for i in range(m)] for j in range(n)]
    sigma = [_pstdev(c) for c in columns]
    correlation = [[1.0 if j == k else _pearson(columns[j], columns[k]) for k in range(n)] for j in range(n)]
    information = [sigma[j] * sum(1 - correlation[j][k] for k in range(n)) for j in range(n)]
    total = sum(information)
    weights = [c / total for c in information] if total > 0 else [1 / n] * n
    return {"weights": weights, "sigma": sigma, "correlation": correlation, "information": information}


def combine(
    subjective: Sequence[float],
    objective: Sequence[float],
    *,
    alpha: float = 0.6,
    bounds: tuple[float, float] = (0.5, 2.0),
) -> dict:
    """w = α·AHP + (1 − α)·objective, after each objective weight is held to
    [bounds[0], bounds[1]] × its AHP weight (clipped and renormalised until every weight is within
    its bounds, which a few rounds reach; the data may move a weight, not overturn it)."""
    if not 0 <= alpha <= 1:
        raise MCDMError("alpha: between 0 and 1")
    n = len(subjective)
    s = _weights(subjective, n, name="subjective weights")
    o = _weights(objective, n, name="objective weights")
    low, high = bounds
    if not 0 <= low <= 1 <= high:
        raise MCDMError("bounds: low ≤ 1 ≤ high")
    bounded = o[:]
    for _ in range(100):
        clipped = [min(max(v, low * w), high * w) for v, w in zip(bounded, s, strict=True)]
        total = sum(clipped)
        nxt = [v / total for v in clipped]
        done = max(abs(x - y) for x, y in zip(nxt, bounded, strict=True)) < 1e-12
        bounded = nxt
        if done:
            break
    combined = [alpha * a + (1 - alpha) * b for a, b in zip(s, bounded, strict=True)]
    total = sum(combined)
    return {"weights": [v / total for v in combined], "bounded_objective": bounded, "alpha": alpha}


# --- TOPSIS ----------------------------------------------------------------------------------------


def ranks(values: Sequence[float], *, descending: bool = True, places: int = 12) -> list[int]:
    """Competition ranks (1, 2, 2, 4): equal values (to ``places`` decimals) share a rank."""
    keyed = [round(v, places) for v in values]
    return [1 + sum(1 for other in keyed if (other > v if descending else other < v)) for v in keyed]


def topsis(
    matrix: Matrix, weights: Sequence[float], types: Sequence[int] | None = None, *, how: str = "vector"
) -> dict:
    """Closeness to the ideal: r normalised (``vector`` by default, or ``minmax``, which turns cost
    criteria round so that the ideal is every column's maximum), v = w·r, the ideal best and worst
    per column by direction, Euclidean distances d⁺ and d⁻, closeness = d⁻/(d⁺ + d⁻), ranked from
    the closest. Relative to the set of units: a diagnostic beside the scores, never a pass mark."""
    if how not in ("vector", "minmax"):
        raise MCDMError("normalise: vector or minmax for TOPSIS")
    x = _table(matrix)
    m, n = len(x), len(x[0])
    kinds = _types(types, n)
    w = _weights(weights, n)
    r = normalise(x, kinds, how=how)
    if how == "minmax":
        kinds = [1] * n  # already turned round
    v = [[w[j] * r[i][j] for j in range(n)] for i in range(m)]
    best = [max(v[i][j] for i in range(m)) if kinds[j] == 1 else min(v[i][j] for i in range(m)) for j in range(n)]
    worst = [min(v[i][j] for i in range(m)) if kinds[j] == 1 else max(v[i][j] for i in range(m)) for j in range(n)]
    d_best = [math.sqrt(sum((v[i][j] - best[j]) ** 2 for j in range(n))) for i in range(m)]
    d_worst = [math.sqrt(sum((v[i][j] - worst[j]) ** 2 for j in range(n))) for i in range(m)]
    closeness = [dw / (db + dw) if db + dw > 0 else 0.0 for db, dw in zip(d_best, d_worst, strict=True)]
    return {
        "closeness": closeness,
        "ranks": ranks(closeness),
        "distance_best": d_best,
        "distance_worst": d_worst,
        "weights": w,
    }
