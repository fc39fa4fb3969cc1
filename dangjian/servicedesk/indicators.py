"""The service desk's evaluation indicators (DESIGN.md §6, group A 为民服务实效), registered with
core.indicators: the rates page's own figures (rates/selectors.py), per community, so that the
evaluation and the rates page cannot show different numbers (tests/test_indicators.py checks it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from dangjian.core.actors import Actor
from dangjian.core.indicators import HIGHER_IS_BETTER, LOWER_IS_BETTER, Indicator, Measured, register
from dangjian.orgs.models import RegionLevel
from dangjian.servicedesk.rates import rules
from dangjian.servicedesk.rates import selectors as rs


def _period(start: dt.date, end: dt.date) -> rules.Period:
    return rules.Period(rules.PeriodKind.CUSTOM, start, end)


def community_figures(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, rs.Figures]:
    """The rates page's figures of the communities of ``unit_ids`` the user may see: one table
    (the rows of communities) for each of the user's top nodes, or a community's own total when
    that is the top node (a community secretary's)."""
    wanted = set(unit_ids)
    found: dict[int, rs.Figures] = {}
    roots, _choices = rs.node_choices(actor=actor)
    for root in roots:
        if root.level == RegionLevel.COMMUNITY:
            if root.pk in wanted:
                cohort, _ = rs.build_cohort(actor=actor, period=_period(start, end), node_id=root.pk)
                found[root.pk] = rs.rates_table(cohort).total.figures
        elif root.level != RegionLevel.GRID:
            cohort, _ = rs.build_cohort(
                actor=actor, period=_period(start, end), node_id=root.pk, level=RegionLevel.COMMUNITY
            )
            for row in rs.rates_table(cohort).rows:
                if row.unit is not None and int(row.unit.key) in wanted:
                    found[int(row.unit.key)] = row.figures
    return found


def _measure(measure: str):
    def compute(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Measured]:
        result = {}
        for pk, figures in community_figures(actor, start, end, unit_ids).items():
            if measure in rs.DURATION_MEASURES:
                result[pk] = Measured(figures.value(measure), figures.handled)
            else:
                p = figures.proportion(measure)
                result[pk] = Measured.rate(p.numerator, p.denominator)
        return result

    return compute


def _records(measure: str):
    def records(actor: Actor, start: dt.date, end: dt.date, unit_id: int, part: str) -> QuerySet:
        """The requests behind one community's number: the rates page's drill-down list (for a
        duration, the handled requests it is the percentile of)."""
        cohort, _ = rs.build_cohort(actor=actor, period=_period(start, end), node_id=unit_id)
        return rs.drilldown(cohort, measure=measure, part=part)

    return records


def register_indicators() -> None:
    leaves = [
        ("response", _("Response rate"), _("Requests first contacted within the response target ÷ requests whose response fell due."), HIGHER_IS_BETTER),
        ("on_time", _("On-time rate"), _("Requests handled by their deadline ÷ requests handled or open past their deadline."), HIGHER_IS_BETTER),
        ("resolution", _("Resolution rate"), _("Requests the requester or an independent callback said are resolved ÷ requests with such a verdict (a “not resolved” always counts)."), HIGHER_IS_BETTER),
        ("satisfaction", _("Satisfaction rate"), _("Ratings of 4 or 5 ÷ ratings (1–5)."), HIGHER_IS_BETTER),
        ("repeat", _("Repeat rate"), _("Requests with an earlier one of the same address and service within 30 days, or merged as duplicates ÷ requests with an address or merged."), LOWER_IS_BETTER),
        ("p90", _("P90 time ÷ target"), _("The 90th percentile of handled requests' business time to handle ÷ their service's resolution target."), LOWER_IS_BETTER),
    ]  # fmt: skip
    for measure, name, formula, direction in leaves:
        register(
            Indicator(
                code=f"servicedesk.{measure}",
                group="A",
                name=name,
                formula=formula,
                unit="community",
                direction=direction,
                app="servicedesk",
                measure=_measure(measure),
                records=_records(measure),
            )
        )
