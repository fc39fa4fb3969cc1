"""Queries of the service desk's measures (三率 and more; definitions in docs/rates.md).

Everything starts from a ``Cohort``: the requests submitted in a period, in a node of the region
tree, that the user may see (the access layer), leaving out merged duplicates and
classifications that have been signed off. A measure is a pair of conditions on the cohort, its
denominator and its numerator (``Cohort.part_q``, from rates/definitions.py); the same conditions
list the requests behind every figure, so a figure and its drill-down cannot disagree.

The count figures come from the daily counts (RequestDay, kept by rates/rollups.py) when the
user sees every request of the node (``from_days``): one grouped sum of the period's days, plus
the requests open and past a deadline now, less the ratings the user may not see. Otherwise,
and for the percentiles, they are counted from the requests, grouped by the unit's column
(``Cohort.group``: the grid ``region_id`` or the ``community_id``; communities are added up into
streets in Python, ``Cohort.unit_of``):

1. the counts of response, resolution, satisfaction (and its 1–5 distribution), on-time and the
   repeat rate's denominator, by conditional aggregation (COUNT … FILTER) in one pass;
2. the repeat rate's numerator: the cohort's requests for which an earlier request of the
   community with the same category and address came at most 30 days before (EXISTS, which
   PostgreSQL runs as a hash semi-join), and, in a second query, the merged requests that are
   not such repeats (definitions.repeat_parts: under an OR the EXISTS would run once per
   request); its denominator is counted in query 1;
3. P50/P90 of handling time ÷ target: the handled requests' (unit, category, seconds) in one
   query, the ratios and percentiles (PERCENTILE_CONT's interpolation) in Python.

The trend by month counts per month in one row instead (``trend``).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, cast

from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Trim
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.access import EXPORT, VIEW, minimal_paths, q_for, restrict
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.orgs.models import REGION_LEVEL_ORDER, Organization, Region, RegionLevel
from dangjian.servicedesk import sla
from dangjian.servicedesk.models import (
    Rating,
    RequestDay,
    RequestStep,
    ServiceCategory,
    ServiceRequest,
)
from dangjian.servicedesk.rates import definitions
from dangjian.servicedesk.rates import rules as rates

# "callback" is the 回访解决率: the resolution rate of the independent callback sample alone;
# "reach" (回访接通率) the share of that sample's finished callbacks that reached the requester.
RATE_MEASURES = ("response", "resolution", "callback", "reach", "satisfaction", "on_time", "repeat")
DURATION_MEASURES = ("p50", "p90")
MEASURES = (*RATE_MEASURES, *DURATION_MEASURES)
ALL = "all"  # the cohort itself (the "Requests" column)
LOWER_IS_BETTER = frozenset({"repeat", "p50", "p90"})
PARTS = ("numerator", "denominator")
# Of satisfaction only: the rated requests not counted as satisfied (1–3), the worst first.
UNSATISFIED = "unsatisfied"
SCORES = definitions.SCORES


def measure_labels() -> dict[str, str]:
    return {
        "response": _("Response rate"),
        "resolution": _("Resolution rate"),
        "callback": _("Resolution rate on callback"),
        "reach": _("Callback reach rate"),
        "satisfaction": _("Satisfaction rate"),
        "on_time": _("On-time rate"),
        "repeat": _("Repeat rate"),
        "p50": _("P50 time ÷ target"),
        "p90": _("P90 time ÷ target"),
        ALL: _("All requests"),
    }


class OutOfScope(LookupError):
    """The node or unit asked for is not one the user may see (the view answers 404)."""


# --- SQL helpers --------------------------------------------------------------------------------


def _rating_visible(actor: Actor) -> Q:
    """Ratings are anonymous to the handler: the requests whose rating the user may see by the
    Rating rule, less those the user is assigned to or reported handled (request_selectors.
    rating_for hides those on the request page too), as a condition on the request itself."""
    return (
        _by_rating_rule(actor)
        & ~Q(assignee_user_id=actor.user_id)
        & ~Q(pk__in=RequestStep.objects.filter(action="handle", actor_id=actor.user_id).values("request_id"))
    )


def _by_rating_rule(actor: Actor) -> Q:
    q = q_for(Rating, actor.scope, VIEW)
    if q is None:
        return Q()

    def strip(node: Q) -> Q:
        moved = Q()
        moved.connector, moved.negated = node.connector, node.negated
        children: list[Any] = []
        for child in node.children:
            if isinstance(child, Q):
                children.append(strip(child))
                continue
            pair = cast(tuple[str, Any], child)  # a Q's other children are (lookup, value) pairs
            if pair[0].startswith("request__"):
                children.append((pair[0].removeprefix("request__"), pair[1]))
            elif pair == ("pk__in", []):
                children.append(pair)  # nothing
            else:  # a rule this function does not know how to move: check through the rating
                raise NotImplementedError(pair[0])
        moved.children = children
        return moved

    try:
        return strip(q)
    except NotImplementedError:
        return Q(rating__in=restrict(Rating.objects.all(), actor, VIEW))


# --- where: the user's nodes and the units of a node ---------------------------------------------


def root_paths(*, actor: Actor) -> tuple[str, ...] | None:
    """The paths of the top nodes of the region tree whose requests the user may count: where
    their grants for VIEW are, or, for a scope in the organisation tree only (a branch
    secretary), the regions their organisations serve. None for a superuser (every root); empty
    for members, residents and liaisons."""
    scope = actor.scope
    if scope.superuser:
        return None
    nodes = scope.nodes(VIEW)
    paths = minimal_paths(nodes.region_paths)
    if not paths and nodes.org_paths:
        served = Organization.objects.filter(path__in=nodes.org_paths).values_list("region__path", flat=True)
        paths = minimal_paths(served)
    return paths


def sees_rates(*, actor: Actor) -> bool:
    scope = actor.scope
    nodes = scope.nodes(VIEW)
    return scope.superuser or bool(nodes.region_paths or nodes.org_paths)


def node_choices(*, actor: Actor) -> tuple[list[Region], list[Region]]:
    """The user's top nodes, and the nodes they may look at (one query): the top nodes and,
    below them, streets and communities (a grid is shown as a row of its community)."""
    paths = root_paths(actor=actor)
    if paths is not None and not paths:
        return [], []
    levels = [RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY]
    if paths is None:
        regions = Region.objects.filter(Q(level__in=levels) | Q(parent__isnull=True))
    else:
        under = reduce(operator.or_, (Q(path__startswith=path) for path in paths))
        regions = Region.objects.filter(under).filter(Q(level__in=levels) | Q(path__in=paths))
    choices = list(regions.order_by("path"))
    roots = [r for r in choices if (r.parent_id is None if paths is None else r.path in paths)]
    return roots, choices


def levels_below(node: Region) -> list[str]:
    """The levels the rows can be at for ``node``: those below it, down to grids for a street or
    a community (a district's thousand grids are one street away: a table of a thousand rows is
    read by nobody); a grid shows itself."""
    if node.level == RegionLevel.GRID:
        return [RegionLevel.GRID]
    if node.level == RegionLevel.DISTRICT:
        return [RegionLevel.STREET, RegionLevel.COMMUNITY]
    order = [str(level) for level in REGION_LEVEL_ORDER]
    return order[order.index(node.level) + 1 :]


@dataclass(frozen=True)
class Unit:
    """One row of the table: a street, a community, a grid, or the requests a community took
    in itself without a grid ("Taken at the community")."""

    key: str
    label: str
    region: Region
    at_community: bool = False

    @property
    def can_open(self) -> bool:
        """Whether the page can show this unit's own rows (it has a level below)."""
        return not self.at_community and self.region.level != RegionLevel.GRID


# --- the cohort -----------------------------------------------------------------------------------


@dataclass
class Cohort:
    """The requests behind every figure of one page: the user, the node and the level of its
    rows, the period and the moment "now" against which deadlines are judged."""

    actor: Actor
    node: Region
    level: str
    period: rates.Period
    now: dt.datetime
    units: list[Unit] = field(default_factory=list)
    communities: list[Region] = field(default_factory=list)
    street_of: dict[int, int] = field(default_factory=dict)  # community id → street id
    _rating_visible: Q | None = None

    # The node and the rows.

    @property
    def unit_keys(self) -> dict[str, Unit]:
        return {unit.key: unit for unit in self.units}

    def node_q(self) -> Q:
        if self.node.level == RegionLevel.GRID:
            return Q(region_id=self.node.pk)
        if self.node.level == RegionLevel.COMMUNITY:
            return Q(community_id=self.node.pk)
        return Q(community_id__in=[c.pk for c in self.communities])

    def group(self) -> Any:
        """The column every grouped query groups by: the grid (``region_id``) for rows of grids, else
        the community; rows of streets add their communities up in Python (``unit_of``)."""
        return F("region_id") if self.level == RegionLevel.GRID else F("community_id")

    def unit_of(self, key: Any) -> Any:
        """The row a group of ``group()`` belongs to (a community's street for rows of streets)."""
        return self.street_of.get(key, key) if self.level == RegionLevel.STREET else key

    def unit_q(self, key: str) -> Q:
        """The requests of one row; ``""`` is the whole node."""
        if not key:
            return Q()
        if key not in self.unit_keys:
            raise OutOfScope(key)
        pk = int(key)
        if self.level == RegionLevel.GRID:
            return Q(region_id=pk)
        if self.level == RegionLevel.COMMUNITY:
            return Q(community_id=pk)
        return Q(community_id__in=[c for c, s in self.street_of.items() if s == pk])

    # The requests.

    def base(self, start: dt.datetime, end: dt.datetime) -> QuerySet:
        """Requests submitted in [start, end) in the node, visible to the user, not merged as
        duplicates and not classified with a sign-off (ServiceRequest.excluded)."""
        qs = restrict(ServiceRequest.objects.all(), self.actor, VIEW)
        return definitions.counted(qs.filter(self.node_q(), submitted_at__gte=start, submitted_at__lt=end)).order_by()

    def requests(self) -> QuerySet:
        return self.base(*self.period.bounds())

    def rating_visible(self) -> Q:
        if self._rating_visible is None:
            self._rating_visible = _rating_visible(self.actor)
        return self._rating_visible

    def part_q(self, measure: str, part: str, score: int | None = None) -> Q:
        """The condition of the denominator or numerator of ``measure`` (for satisfaction also a
        score 1–5, within the denominator): the settled part (definitions.settled), the part
        overdue at ``now``, and the ratings the user may see. The one definition of every
        measure's requests, for the figures and the lists behind them."""
        if measure == ALL:
            return Q()
        if measure not in MEASURES:
            raise OutOfScope(measure)
        condition = definitions.settled(measure, part, score, bounds=self.period.bounds())
        if part == "denominator" and (late := definitions.overdue(measure, self.now)) is not None:
            condition |= late
        if measure == "satisfaction":
            condition = definitions.settled(measure, "denominator") & self.rating_visible() & condition
        return condition


def build_cohort(
    *, actor: Actor, period: rates.Period, node_id: Any = None, level: str = ""
) -> tuple[Cohort, list[Region]]:
    """The cohort for ``node_id`` (default: the user's first root) with rows at ``level``
    (default: the level below the node), and the nodes the user may choose from. Raises
    OutOfScope for a node the user may not see or a user without any."""
    now = actor.now
    roots, choices = node_choices(actor=actor)
    if not roots:
        raise OutOfScope("no node")
    node: Region | None
    if node_id in (None, ""):
        node = roots[0]
    else:
        node = next((n for n in choices if str(n.pk) == str(node_id)), None)
        if node is None:
            raise OutOfScope(str(node_id))
    levels = levels_below(node)
    if level not in levels:
        level = levels[0]
    cohort = Cohort(actor=actor, node=node, level=level, period=period, now=now)
    _load_units(cohort)
    return cohort, choices


def _load_units(cohort: Cohort) -> None:
    node = cohort.node
    if node.level == RegionLevel.GRID:
        cohort.units = [Unit(key=str(node.pk), label=node.name, region=node)]
        return
    wanted = {RegionLevel.COMMUNITY, cohort.level}
    if cohort.level == RegionLevel.STREET:
        wanted.add(RegionLevel.STREET)
    regions = list(
        Region.objects.filter(path__startswith=node.path, level__in=wanted).order_by("path")
        if node.level != RegionLevel.COMMUNITY
        else Region.objects.filter(Q(pk=node.pk) | Q(parent=node)).order_by("path")
    )
    communities = [r for r in regions if r.level == RegionLevel.COMMUNITY]
    cohort.communities = communities
    by_id = {r.pk: r for r in regions}
    if cohort.level == RegionLevel.STREET:
        cohort.street_of = {c.pk: c.parent_id for c in communities if c.parent_id in by_id}
        cohort.units = [Unit(str(r.pk), r.name, r) for r in regions if r.level == RegionLevel.STREET]
    elif cohort.level == RegionLevel.COMMUNITY:
        cohort.units = [Unit(str(r.pk), r.name, r) for r in communities]
    else:
        several = len(communities) > 1
        units: list[Unit] = []
        for community in communities:
            grids = [r for r in regions if r.level == RegionLevel.GRID and r.parent_id == community.pk]
            for grid in grids:
                label = f"{community.name} · {grid.name}" if several else grid.name
                units.append(Unit(str(grid.pk), label, grid))
            taken = _("Taken at the community")
            units.append(
                Unit(
                    str(community.pk), f"{community.name} · {taken}" if several else taken, community, at_community=True
                )
            )
        cohort.units = units


# --- the figures --------------------------------------------------------------------------------


@dataclass
class Figures:
    """Every measure of one row (a unit, a month, or the total)."""

    counts: dict[str, int] = field(default_factory=dict)
    handled: int = 0
    p50: float | None = None
    p90: float | None = None

    def proportion(self, measure: str) -> rates.Proportion:
        return rates.Proportion(
            self.counts.get(f"{measure}_num", 0), self.counts.get(f"{measure}_den", 0), rates.min_sample()
        )

    @property
    def total(self) -> int:
        return self.counts.get("total", 0)

    @property
    def scores(self) -> list[int]:
        return [self.counts.get(f"score_{s}", 0) for s in SCORES]

    def value(self, measure: str) -> float | None:
        if measure in DURATION_MEASURES:
            return getattr(self, measure)
        return self.proportion(measure).rate

    def enough(self, measure: str) -> bool:
        if measure in DURATION_MEASURES:
            return self.handled >= rates.min_sample() and self.handled > 0
        return self.proportion(measure).enough

    def sample(self, measure: str) -> int:
        return self.handled if measure in DURATION_MEASURES else self.proportion(measure).denominator

    def rank_key(self, measure: str) -> float:
        """Larger is better: the Wilson lower bound; for the repeat rate (lower is better) the
        complement of its upper bound; for time ÷ target the negative ratio."""
        if measure in DURATION_MEASURES:
            return -(getattr(self, measure) or 0.0)
        proportion = self.proportion(measure)
        if measure in LOWER_IS_BETTER:
            return 1 - (proportion.upper or 0.0)
        return proportion.lower or 0.0


COUNT_MEASURES = ("response", "resolution", "callback", "reach", "satisfaction", "on_time")


def _conditions(cohort: Cohort, measures: Iterable[str]) -> dict[str, Q]:
    """The figure name → its condition, for the count-based ``measures`` (and the total)."""
    conditions: dict[str, Q] = {"total": Q()}
    for measure in measures:
        conditions[f"{measure}_den"] = cohort.part_q(measure, "denominator")
        conditions[f"{measure}_num"] = cohort.part_q(measure, "numerator")
        if measure == "satisfaction":
            for score in SCORES:
                conditions[f"score_{score}"] = cohort.part_q("satisfaction", "score", score)
    return conditions


def _grouped_counts(cohort: Cohort, qs: QuerySet, group: Any, measures: Iterable[str]) -> dict[Any, dict[str, int]]:
    """One grouped query: COUNT(*) FILTER (WHERE condition) per figure, GROUP BY the unit. For
    the repeat rate only its denominator (its numerator: ``_grouped_repeats``)."""
    measures = list(measures)
    conditions = _conditions(cohort, [m for m in measures if m != "repeat"])
    if "repeat" in measures:
        qs = qs.annotate(trimmed=Trim("address"))
        conditions["repeat_den"] = cohort.part_q("repeat", "denominator")
    aggregates = {name: Count("pk", filter=q) for name, q in conditions.items()}
    rows = qs.values(unit=group).annotate(**aggregates)
    return {row.pop("unit"): row for row in rows}


def _grouped_repeats(cohort: Cohort, qs: QuerySet, group: Any) -> dict[Any, dict[str, int]]:
    """The repeat rate's numerator by unit: the EXISTS in the WHERE (a semi-join), not in a FILTER
    (where PostgreSQL would run it once per request)."""
    found: dict[Any, dict[str, int]] = {}
    qs = qs.annotate(trimmed=Trim("address"))
    for part in definitions.repeat_parts(cohort.period.bounds()):  # apart, then added (repeat_parts)
        for row in qs.filter(part).values(unit=group).annotate(repeat_num=Count("pk")):
            counts = found.setdefault(row["unit"], {"repeat_num": 0})
            counts["repeat_num"] += row["repeat_num"]
    return found


def resolution_targets() -> dict[int, int]:
    """Each category's resolution target in business seconds (sla.target_seconds)."""
    return {
        pk: sla.target_seconds(target, unit)
        for pk, target, unit in ServiceCategory.objects.values_list("pk", "resolution_target", "resolution_unit")
    }


def handle_ratio(targets: dict[int, int]) -> Any:
    """Business time to handle ÷ the category's resolution target, as SQL (to sort a drill-down):
    1.00 is exactly the target."""
    whens = [When(category_id=pk, then=Value(float(seconds))) for pk, seconds in targets.items()]
    if not whens:
        return Value(None, output_field=FloatField())
    return ExpressionWrapper(
        Cast("handle_seconds", FloatField()) / Case(*whens, output_field=FloatField()), output_field=FloatField()
    )


def _handling_ratios(cohort: Cohort, qs: QuerySet, group: Any) -> dict[Any, list[float]]:
    """The handled requests' time ÷ target by group, read in one query (unit, category, seconds)
    and divided in Python. Percentiles are then taken in Python, the same on every database
    (PostgreSQL's PERCENTILE_CONT gives the same numbers, but its plan for a grouped ordered-set
    aggregate walked a whole index at district scale: twice as slow)."""
    targets = resolution_targets()
    handled = qs.filter(cohort.part_q("p50", "denominator")).values_list(group, "category_id", "handle_seconds")
    values: dict[Any, list[float]] = defaultdict(list)
    for key, category_id, seconds in handled:  # (a server-side cursor is 3× slower here)
        values[key].append(seconds / targets[category_id])
    return values


def _summary(found: list[float]) -> dict[str, Any]:
    p50, p90 = rates.percentiles(found, (0.5, 0.9))
    return {"handled": len(found), "p50": p50, "p90": p90}


def from_days(cohort: Cohort) -> bool:
    """Whether the daily counts (RequestDay) may stand for the cohort's requests: the user sees
    every request of the node (a grant in the region tree over it, or a superuser). A user who
    sees some of them only (a branch through the organisation tree) is counted from the requests."""
    scope = cohort.actor.scope
    return scope.superuser or any(cohort.node.path.startswith(path) for path in scope.nodes(VIEW).region_paths)


def _counts_from_days(cohort: Cohort, group: Any) -> dict[Any, dict[str, int]]:
    """The count figures by ``group`` from the daily counts of the period, with the requests
    open and past their deadline now added, and the ratings the user may not see (of requests
    they handle or handled) taken out: three queries, the last two over few requests."""
    days = restrict(RequestDay.objects.all(), cohort.actor, VIEW).filter(
        cohort.node_q(), day__gte=cohort.period.start, day__lt=cohort.period.end
    )
    columns = [name for name in RequestDay.FIGURES if name != "handled"]
    grouped: dict[Any, dict[str, int]] = {}
    for row in days.order_by().values(unit=group).annotate(**{name: Sum(name) for name in columns}):
        unit = row.pop("unit")
        counts = grouped[unit] = {name: int(n or 0) for name, n in row.items()}
        counts["satisfaction_den"] = sum(counts[f"score_{s}"] for s in SCORES)
        counts["satisfaction_num"] = sum(counts[f"score_{s}"] for s in SCORES if s >= definitions.SATISFIED)

    def adjust(found: QuerySet, sign: int) -> None:
        for row in found:
            counts = grouped.setdefault(row.pop("unit"), {})
            for name, n in row.items():
                counts[name] = counts.get(name, 0) + sign * n

    late = {f"{m}_den": definitions.overdue(m, cohort.now) for m in ("response", "on_time")}
    open_now = cohort.requests().filter(reduce(operator.or_, late.values()))
    adjust(open_now.values(unit=group).annotate(**{name: Count("pk", filter=q) for name, q in late.items()}), +1)
    if (mine := _handled_by(cohort.actor)) is not None:
        hidden = cohort.requests().filter(mine, rating__isnull=False)
        scores = {f"score_{s}": Count("pk", filter=Q(rating__score=s)) for s in SCORES}
        satisfied = Q(rating__score__gte=definitions.SATISFIED)
        figures = {"satisfaction_den": Count("pk"), "satisfaction_num": Count("pk", filter=satisfied), **scores}
        adjust(hidden.values(unit=group).annotate(**figures), -1)
    return grouped


def _handled_by(actor: Actor) -> Q | None:
    """The requests whose ratings are hidden from the user as their handler (see _rating_visible),
    as a condition (a subquery, however many the user has handled); None for no user."""
    if actor.user_id is None:
        return None
    handled = RequestStep.objects.filter(action="handle", actor_id=actor.user_id).values("request_id")
    return Q(assignee_user_id=actor.user_id) | Q(pk__in=handled)


def _figures(
    cohort: Cohort,
    qs: QuerySet,
    group: Any,
    keys: Iterable[Any],
    measures: Iterable[str] = MEASURES,
    *,
    days: bool = False,
) -> tuple[dict[Any, Figures], Figures]:
    """Every figure of ``measures`` for each row and for all of them: the groups of ``group``
    mapped to their rows by ``cohort.unit_of`` (counts add up; times are pooled). ``days``: the
    counts from the daily counts (every measure; ``qs`` is then the cohort's requests)."""
    measures = set(measures)
    result = {key: Figures() for key in keys}
    total = Figures()

    def add(grouped: dict[Any, dict[str, int]]) -> None:
        for key, counts in grouped.items():
            figures = result.setdefault(cohort.unit_of(key), Figures())
            for name, n in counts.items():
                figures.counts[name] = figures.counts.get(name, 0) + n
                total.counts[name] = total.counts.get(name, 0) + n

    if days:
        add(_counts_from_days(cohort, group))
    else:
        add(_grouped_counts(cohort, qs, group, [m for m in (*COUNT_MEASURES, "repeat") if m in measures]))
        if "repeat" in measures:
            add(_grouped_repeats(cohort, qs, group))
    if measures & set(DURATION_MEASURES):
        pooled: dict[Any, list[float]] = defaultdict(list)
        everything: list[float] = []
        for key, found in _handling_ratios(cohort, qs, group).items():
            pooled[cohort.unit_of(key)].extend(found)
            everything.extend(found)
        for key, found in pooled.items():
            figures = result.setdefault(key, Figures())
            figures.handled, figures.p50, figures.p90 = _summary(found).values()
        total.handled, total.p50, total.p90 = _summary(everything).values()
    return result, total


@dataclass
class Row:
    unit: Unit | None  # None: the whole node
    figures: Figures
    rank: int | None = None


@dataclass
class Table:
    cohort: Cohort
    measure: str
    rows: list[Row]
    total: Row
    minimum: int


def rates_table(cohort: Cohort, *, measure: str = "response") -> Table:
    """Every measure for every unit of the cohort's node and for the node as a whole, the rows
    ranked by ``measure``: units with at least the minimum sample first, by their rank key;
    then the others ("Too few to rank"), in the tree's order."""
    if measure not in MEASURES:
        measure = "response"
    keys = [int(u.key) for u in cohort.units]
    by_unit, total = _figures(cohort, cohort.requests(), cohort.group(), keys, days=from_days(cohort))
    rows = [Row(unit, by_unit.get(int(unit.key), Figures())) for unit in cohort.units]
    ranked = sorted((r for r in rows if r.figures.enough(measure)), key=lambda r: -r.figures.rank_key(measure))
    previous: tuple[float, int] | None = None
    for position, row in enumerate(ranked, start=1):
        key = round(row.figures.rank_key(measure), 6)
        row.rank = previous[1] if previous and previous[0] == key else position
        previous = (key, row.rank)
    unranked = [r for r in rows if not r.figures.enough(measure)]
    return Table(cohort, measure, [*ranked, *unranked], Row(None, total), rates.min_sample())


@dataclass
class TrendPoint:
    period: rates.Period
    figures: Figures


def trend(cohort: Cohort, *, measure: str, unit: str = "") -> list[TrendPoint]:
    """``measure`` by month over the 12 months ending with the period, for one unit or the node.

    The requests of the measure's denominator, counted per month in one row (COUNT … FILTER
    (WHERE month) for each month): without a GROUP BY, PostgreSQL need not sort a year of
    requests by an expression whose number of values it cannot estimate. The repeat rate's
    numerator is a second such row (its EXISTS in the WHERE); P50/P90 come
    from the handled requests' times, grouped by month in Python."""
    months = rates.trend_months(cohort.period)
    start, end = months[0].bounds()[0], months[-1].bounds()[1]
    buckets = {}
    for index, month in enumerate(months):
        first, after = month.bounds()
        buckets[index] = Q(submitted_at__gte=first, submitted_at__lt=after)
    monthly = Cohort(
        actor=cohort.actor,
        node=cohort.node,
        level=cohort.level,
        now=cohort.now,
        units=cohort.units,
        communities=cohort.communities,
        street_of=cohort.street_of,
        _rating_visible=cohort._rating_visible,
        period=rates.Period(rates.PeriodKind.CUSTOM, months[0].start, months[-1].end),
    )
    qs = monthly.base(start, end).filter(cohort.unit_q(unit))
    if measure == "repeat":
        qs = qs.annotate(trimmed=Trim("address"))
    qs = qs.filter(monthly.part_q(measure, "denominator"))
    points = [TrendPoint(month, Figures()) for month in months]

    def per_month(found: QuerySet, conditions: dict[str, Q]) -> None:
        aggregates = {
            f"{name}__{i}": Count("pk", filter=month & condition)
            for name, condition in conditions.items()
            for i, month in buckets.items()
        }
        for label, n in found.aggregate(**aggregates).items():
            name, index = label.rsplit("__", 1)
            points[int(index)].figures.counts[name] = n

    if measure not in DURATION_MEASURES and from_days(cohort):
        _trend_from_days(monthly, months, measure, unit, points)
    elif measure in DURATION_MEASURES:
        group = Case(
            *(When(q, then=Value(i)) for i, q in buckets.items()), default=Value(-1), output_field=IntegerField()
        )
        for index, found in _handling_ratios(monthly, qs, group).items():
            if 0 <= index < len(points):
                figures = points[index].figures
                figures.handled, figures.p50, figures.p90 = _summary(found).values()
    elif measure == "repeat":
        per_month(qs, {"repeat_den": Q()})
        per_month(qs.filter(definitions.repeat_listed(qs, monthly.period.bounds())), {"repeat_num": Q()})
    else:
        per_month(qs, {f"{measure}_den": Q(), f"{measure}_num": monthly.part_q(measure, "numerator")})
    return points


def _trend_from_days(
    monthly: Cohort, months: list[rates.Period], measure: str, unit: str, points: list[TrendPoint]
) -> None:
    """A count measure's trend from the daily counts: the months' sums in one row, then, as for
    the table, the requests overdue now added and the ratings the user may not see taken out."""
    columns = [f"score_{s}" for s in SCORES] if measure == "satisfaction" else [f"{measure}_den", f"{measure}_num"]
    days = restrict(RequestDay.objects.all(), monthly.actor, VIEW).filter(
        monthly.node_q(), monthly.unit_q(unit), day__gte=months[0].start, day__lt=months[-1].end
    )
    sums = days.aggregate(
        **{
            f"{column}__{i}": Sum(column, filter=Q(day__gte=month.start, day__lt=month.end))
            for column in columns
            for i, month in enumerate(months)
        }
    )
    for label, n in sums.items():
        name, index = label.rsplit("__", 1)
        points[int(index)].figures.counts[name] = int(n or 0)

    def in_month(month: rates.Period) -> Q:
        first, after = month.bounds()
        return Q(submitted_at__gte=first, submitted_at__lt=after)

    def per_month(found: QuerySet, conditions: dict[str, Q], sign: int) -> None:
        """Add (or take out) the ``found`` requests meeting each condition, month by month, in one query."""
        aggregates = {
            f"{name}__{i}": Count("pk", filter=q & in_month(month))
            for name, q in conditions.items()
            for i, month in enumerate(months)
        }
        for label, n in found.aggregate(**aggregates).items():
            name, index = label.rsplit("__", 1)
            counts = points[int(index)].figures.counts
            counts[name] = counts.get(name, 0) + sign * n

    requests = monthly.requests().filter(monthly.unit_q(unit))
    if (late := definitions.overdue(measure, monthly.now)) is not None:
        per_month(requests.filter(late), {f"{measure}_den": Q()}, +1)
    if measure == "satisfaction":
        if (mine := _handled_by(monthly.actor)) is not None:
            scores = {f"score_{score}": Q(rating__score=score) for score in SCORES}
            per_month(requests.filter(mine, rating__isnull=False), scores, -1)
        for point in points:
            counts = point.figures.counts
            counts["satisfaction_den"] = sum(counts.get(f"score_{s}", 0) for s in SCORES)
            counts["satisfaction_num"] = sum(counts.get(f"score_{s}", 0) for s in SCORES if s >= definitions.SATISFIED)


# --- the requests behind a figure -----------------------------------------------------------------


def drilldown(cohort: Cohort, *, measure: str, part: str, unit: str = "", score: int | None = None) -> QuerySet:
    """The requests counted in one figure: ``part`` ("numerator" or "denominator", or a
    ``score`` of the satisfaction distribution) of ``measure`` for one unit (or the node).
    Their number is the figure."""
    if part == UNSATISFIED and measure == "satisfaction" and score is None:
        return (
            cohort.requests()
            .filter(cohort.unit_q(unit), cohort.part_q(measure, "denominator"))
            .exclude(cohort.part_q(measure, "numerator"))
            .select_related("category", "region", "community", "rating")
            .order_by("rating__score", "-submitted_at", "-pk")
        )
    if measure not in (*MEASURES, ALL) or part not in PARTS or (score is not None and measure != "satisfaction"):
        raise OutOfScope(measure)
    qs = cohort.requests().filter(cohort.unit_q(unit))
    if measure == "repeat":
        qs = qs.annotate(trimmed=Trim("address"))
    if measure == "repeat" and part == "numerator":
        qs = qs.filter(definitions.repeat_listed(qs, cohort.period.bounds())).select_related(
            "category", "region", "community"
        )
    else:
        qs = qs.filter(cohort.part_q(measure, part, score)).select_related("category", "region", "community")
    if measure == "satisfaction":
        qs = qs.select_related("rating")
    if measure in ("callback", "reach"):
        qs = qs.select_related("callback")
    if measure in DURATION_MEASURES:
        return qs.annotate(ratio=handle_ratio(resolution_targets())).order_by("-ratio", "-pk")
    return qs.order_by("-submitted_at", "-pk")


def counted_ids(cohort: Cohort, *, measure: str, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` (a page of a denominator's requests) are in the numerator of ``measure``."""
    qs = cohort.requests().filter(pk__in=list(ids))
    if measure == "repeat":
        qs = qs.annotate(trimmed=Trim("address"))
        return set(qs.filter(definitions.repeat_listed(qs, cohort.period.bounds())).values_list("pk", flat=True))
    return set(qs.filter(cohort.part_q(measure, "numerator")).values_list("pk", flat=True))


def classified(cohort: Cohort, *, waiting: bool = False) -> QuerySet:
    """The requests of the node and period that reviewers classified (不合理/不属实/非本级事权)
    or merged as duplicates: those still waiting for a second person's sign-off first, then the
    latest sign-offs."""
    start, end = cohort.period.bounds()
    qs = restrict(ServiceRequest.objects.all(), cohort.actor, VIEW)
    if waiting:
        qs = _waiting_for(cohort.actor, qs)
    return (
        qs.filter(cohort.node_q(), submitted_at__gte=start, submitted_at__lt=end)
        .exclude(classification="")
        .select_related("category", "region", "community", "classified_by", "signed_off_by", "duplicate_of")
        .order_by(F("signed_off_at").desc(nulls_first=True), "-submitted_at", "-pk")
    )


def _waiting_for(actor: Actor, qs: QuerySet) -> QuerySet:
    """Of ``qs``, the classifications and merges waiting for a sign-off that ``actor`` may make
    (lifecycle.may_sign_off: the secretary's export right over it, and not their own)."""
    qs = restrict(qs, actor, EXPORT).exclude(classification="").filter(signed_off_at__isnull=True)
    return qs.exclude(classified_by_id=actor.user_id) if actor.user_id else qs


def sign_offs_waiting(*, actor: Actor) -> tuple[int, str]:
    """The workbench's to-do: how many classifications and merges wait for this user's sign-off
    in their first node, and the query of the audit page that lists exactly them (from the day
    of the oldest to today). (0, "") when none, or for a user without the right."""
    if not sees_rates(actor=actor):
        return 0, ""
    oldest = (
        _waiting_for(actor, ServiceRequest.objects.all())
        .order_by("submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )
    if oldest is None:
        return 0, ""
    period = rates.custom_period(timezone.localdate(oldest), timezone.localdate(actor.now))
    if period is None:
        return 0, ""
    try:
        cohort, _choices = build_cohort(actor=actor, period=period)
    except OutOfScope:
        return 0, ""
    count = classified(cohort, waiting=True).count()
    query = f"node={cohort.node.pk}&period={period.key}&waiting=1"
    return count, query if count else ""


@dataclass(frozen=True)
class BulkMerges:
    """One account's merges on one local day, when they reach BULK_MERGES."""

    user: Any
    day: dt.date
    requests: list[ServiceRequest]


@dataclass(frozen=True)
class MergeFlags:
    """What the audit of merges looks at (docs/rates.md): merges of requests already past a
    deadline (a merge stops the clock of a request nobody handled) and one account merging many
    requests in a day. Listed on the audit page and read by the evaluation's audit flags."""

    overdue: list[ServiceRequest]
    bulk: list[BulkMerges]

    @property
    def count(self) -> int:
        return len(self.overdue) + sum(len(b.requests) for b in self.bulk)


def merge_flags(cohort: Cohort) -> MergeFlags:
    """The merge flags of the cohort's node and period (requests submitted in it, that the user
    may see), signed off or not: two queries."""
    start, end = cohort.period.bounds()
    merged = (
        restrict(ServiceRequest.objects.all(), cohort.actor, VIEW)
        .filter(cohort.node_q(), definitions.MERGED, submitted_at__gte=start, submitted_at__lt=end)
        .select_related("category", "region", "classified_by", "duplicate_of")
        .order_by("closed_at", "pk")
    )
    overdue = list(merged.filter(Q(response_breached=True) | Q(resolution_breached=True)))
    by_day: dict[tuple[Any, dt.date], list[ServiceRequest]] = defaultdict(list)
    for req in merged.filter(classified_by__isnull=False, closed_at__isnull=False):
        by_day[(req.classified_by_id, timezone.localdate(req.closed_at))].append(req)
    threshold = config().bulk_merges
    bulk = [
        BulkMerges(user=found[0].classified_by, day=day, requests=found)
        for (_user, day), found in sorted(by_day.items(), key=lambda item: (item[0][1], item[0][0]))
        if len(found) >= threshold
    ]
    return MergeFlags(overdue=overdue, bulk=bulk)
