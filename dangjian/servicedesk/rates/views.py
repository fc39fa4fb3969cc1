"""Pages of the service desk's measures: the table by unit with its charts, the requests behind
every figure, the .xlsx export and the audit list of classified requests.

Parse the request, ask rates_selectors, shape the figures for the template (display strings and
the drill-down link of every number), render. Who may see: users whose scope has nodes in the
region or organisation tree; for everyone else the pages do not exist (404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from dangjian.core.access import EXPORT
from dangjian.core.actors import ActorRequest
from dangjian.core.conf import config
from dangjian.core.events import EventAction, record_event
from dangjian.core.spreadsheets import build_xlsx
from dangjian.core.views import is_htmx
from dangjian.orgs.models import RegionLevel
from dangjian.servicedesk.rates import rules as rates
from dangjian.servicedesk.rates import selectors

DRILLDOWN_PAGE_SIZE = 50
CLASSIFIED_PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def request_url(pk: int) -> str:
    return reverse("servicedesk:request", args=[pk])


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _level_labels() -> dict[str, str]:
    return {str(value): str(label) for value, label in RegionLevel.choices}


class _Page:
    """What every rates page parses from the query string: the period, the node, the level."""

    def __init__(self, request: ActorRequest, params: QueryDict) -> None:
        if not selectors.sees_rates(actor=request.actor):
            raise Http404
        self.request = request
        today = timezone.localdate()
        period = rates.period_from_query(params, today=today)
        if period is None:
            messages.error(request, _("That period is not understood; showing the current quarter."))
            period = rates.quarter_of(today)
        self.period = period
        try:
            self.cohort, self.nodes = selectors.build_cohort(
                actor=request.actor, period=period, node_id=params.get("node") or None, level=params.get("level", "")
            )
        except selectors.OutOfScope:
            raise Http404 from None
        measure = params.get("measure", "")
        self.measure = measure if measure in selectors.MEASURES else "response"
        self.today = today
        self._drill_bases: dict[str, str] = {}

    def query(self, **extra: Any) -> QueryDict:
        """The canonical query string of this page with ``extra`` set (None removes a key)."""
        query = QueryDict(mutable=True)
        query["node"] = str(self.cohort.node.pk)
        query["level"] = self.cohort.level
        query["period"] = self.period.key
        for key, value in extra.items():
            if value is None:
                query.pop(key, None)
            else:
                query[key] = str(value)
        return query

    def drill(
        self, measure: str, part: str, unit: str = "", score: int | None = None, period: rates.Period | None = None
    ) -> str:
        """The drill-down of one figure (of another period: a month of the trend). Built by
        concatenation (a table has thousands of links): measures and parts are fixed words,
        units and scores are numbers."""
        key = (period or self.period).key
        if key not in self._drill_bases:
            query = self.query(period=key).urlencode()
            self._drill_bases[key] = f"{reverse('servicedesk:rates:requests')}?{query}"
        url = f"{self._drill_bases[key]}&measure={measure}&part={part}"
        if unit:
            url += f"&unit={int(unit)}"
        if score is not None:
            url += f"&score={int(score)}"
        return url

    def index(self, **extra: Any) -> str:
        return f"{reverse('servicedesk:rates:index')}?{self.query(**extra).urlencode()}"

    def pickers(self) -> dict[str, Any]:
        labels = _level_labels()
        node_options = [
            {
                "pk": n.pk,
                "label": n.name,
                "depth": range(n.depth - self.nodes[0].depth if self.nodes else 0),
                "selected": n.pk == self.cohort.node.pk,
            }
            for n in self.nodes
        ]
        groups = rates.period_choices(self.today)
        known = {p.key for _label, periods in groups for p in periods}
        return {
            "node_options": node_options,
            "level_options": [
                {"value": level, "label": labels.get(level, level), "selected": level == self.cohort.level}
                for level in selectors.levels_below(self.cohort.node)
            ],
            "period_groups": groups,
            "period": self.period,
            "custom": self.period.kind == rates.PeriodKind.CUSTOM or self.period.key not in known,
        }


def _rate_cell(page: _Page, figures: selectors.Figures, measure: str, unit: str) -> dict[str, Any]:
    proportion = figures.proportion(measure)
    return {
        "measure": measure,
        "numerator": proportion.numerator,
        "denominator": proportion.denominator,
        "rate": _percent(proportion.rate),
        "lower": _percent(proportion.lower),
        "upper": _percent(proportion.upper),
        "enough": proportion.enough,
        "numerator_url": page.drill(measure, "numerator", unit),
        "denominator_url": page.drill(measure, "denominator", unit),
    }


def _duration_cell(page: _Page, figures: selectors.Figures, unit: str) -> dict[str, Any]:
    return {
        "handled": figures.handled,
        "p50": _ratio(figures.p50),
        "p90": _ratio(figures.p90),
        "enough": figures.enough("p50"),
        "url": page.drill("p90", "denominator", unit),
    }


def _row(page: _Page, row: selectors.Row) -> dict[str, Any]:
    unit = row.unit.key if row.unit else ""
    figures = row.figures
    satisfaction_den = figures.proportion("satisfaction").denominator
    return {
        "key": unit,
        "label": row.unit.label if row.unit else _("All"),
        "open_url": page.index(node=row.unit.region.pk, level=None) if row.unit and row.unit.can_open else "",
        "trend_url": page.index(trend=unit or None, measure=page.measure, show="trend") + "#trend",
        "rank": row.rank,
        "all_url": page.drill(selectors.ALL, "denominator", unit),
        "enough": figures.enough(page.measure),
        "sample": figures.sample(page.measure),
        "total": figures.total,
        "rates": [_rate_cell(page, figures, m, unit) for m in selectors.RATE_MEASURES],
        "duration": _duration_cell(page, figures, unit),
        "scores": [
            {
                "score": score,
                "n": n,
                "url": page.drill("satisfaction", "denominator", unit, score),
                "share": _percent(n / satisfaction_den if satisfaction_den else None),
            }
            for score, n in zip(selectors.SCORES, figures.scores, strict=True)
        ],
        "unsatisfied": {
            "n": (unhappy := satisfaction_den - figures.proportion("satisfaction").numerator),
            "url": page.drill("satisfaction", selectors.UNSATISFIED, unit),
            "share": _percent(unhappy / satisfaction_den if satisfaction_den else None),
        },
    }


def _chart_value(figures: selectors.Figures, measure: str) -> dict[str, Any]:
    if measure in selectors.DURATION_MEASURES:
        value = figures.value(measure)
        return {"value": None if value is None else round(value, 4), "lower": None, "n": figures.handled}
    proportion = figures.proportion(measure)
    return {
        "value": None if proportion.rate is None else round(proportion.rate * 100, 2),
        "lower": None if proportion.lower is None else round(proportion.lower * 100, 2),
        "n": proportion.denominator,
    }


def _display(figures: selectors.Figures, measure: str) -> str:
    value = figures.value(measure)
    return _ratio(value) if measure in selectors.DURATION_MEASURES else _percent(value)


def _trend_context(page: _Page, trend_unit: str) -> dict[str, Any]:
    measure = page.measure
    points = selectors.trend(page.cohort, measure=measure, unit=trend_unit)
    months = [
        {
            "label": point.period.key,
            "title": point.period.label,
            "display": _display(point.figures, measure),
            "url": page.drill(measure, "denominator", trend_unit, period=point.period),
            **_chart_value(point.figures, measure),
        }
        for point in points
    ]
    return {
        "months": months,
        "trend_chart": {
            "measure": selectors.measure_labels()[measure],
            "percent": measure not in selectors.DURATION_MEASURES,
            "points": months,
        },
        "trend_label": page.cohort.unit_keys[trend_unit].label if trend_unit else page.cohort.node.name,
    }


@require_GET
@vary_on_headers("HX-Request")
def index(request: ActorRequest) -> HttpResponse:
    """The measures by unit for the chosen node, level and period, ranked by the chosen measure,
    with a bar chart of it by unit and its trend by month. For a whole district the trend (a year
    of the district's requests) comes after the table: htmx asks for it (``show=trend``), and
    without JavaScript the same link shows the page with it."""
    page = _Page(request, request.GET)
    measure = page.measure
    trend_unit = request.GET.get("trend", "")
    if trend_unit not in page.cohort.unit_keys:
        trend_unit = ""
    labels = selectors.measure_labels()
    base = {
        "cohort": page.cohort,
        "period": page.period,
        "measure": measure,
        "measure_label": labels[measure],
        "trend_url": page.index(measure=measure, trend=trend_unit or None, show="trend") + "#trend",
    }
    asked = request.GET.get("show") == "trend"
    if asked and is_htmx(request):
        return render(request, "servicedesk/rates/index.html#trend", {**base, **_trend_context(page, trend_unit)})
    table = selectors.rates_table(page.cohort, measure=measure)
    bars = [
        {
            "label": row.unit.label if row.unit else "",
            "enough": row.figures.enough(measure),
            "url": page.drill(measure, "denominator", row.unit.key if row.unit else ""),
            **_chart_value(row.figures, measure),
        }
        for row in table.rows
    ]
    lazy = page.cohort.node.level == RegionLevel.DISTRICT and not asked
    scope = request.actor.scope
    context = {
        **base,
        **page.pickers(),
        "measure_options": [{"value": m, "label": labels[m], "selected": m == measure} for m in selectors.MEASURES],
        "rate_labels": [labels[m] for m in selectors.RATE_MEASURES],
        "rows": [_row(page, row) for row in table.rows],
        "total": _row(page, table.total),
        "minimum": table.minimum,
        "lower_is_better": measure in selectors.LOWER_IS_BETTER,
        "is_duration": measure in selectors.DURATION_MEASURES,
        "chart": {"measure": labels[measure], "percent": measure not in selectors.DURATION_MEASURES, "bars": bars},
        "lazy_trend": lazy,
        "level_label": _level_labels().get(page.cohort.level, page.cohort.level),
        "query": page.query(measure=measure).urlencode(),
        "hidden": page.query(measure=measure),
        "can_export": scope.can(EXPORT),
        "classified_url": f"{reverse('servicedesk:rates:classified')}?{page.query().urlencode()}",
    }
    if not lazy:
        context.update(_trend_context(page, trend_unit))
    else:
        context["trend_label"] = page.cohort.unit_keys[trend_unit].label if trend_unit else page.cohort.node.name
    return render(request, "servicedesk/rates/index.html", context)


def definitions() -> dict[str, str]:
    """What each figure counts, in a sentence (docs/rates.md has the details)."""
    return {
        "response": _(
            "Out of: requests first contacted, or whose first-response deadline has passed while open (or passed "
            "unmet). Counted: first contacted by the deadline, never flagged late."
        ),
        "resolution": _(
            "Out of: requests the requester (or an independent callback) said are resolved or not, and requests "
            "reopened. Counted: said resolved and never found not resolved; a “not resolved” counts "
            "even if the request was handled again and then confirmed."
        ),
        "callback": _(
            "Out of: requests of the independent callback sample whose requester was reached. Counted: the "
            "requester told the caller it is resolved. The sample is drawn by the system, not chosen by the "
            "handling unit; the call is made from outside the handling unit (the street for a community's "
            "request) by someone who did not handle it."
        ),
        "reach": _(
            "Out of: callbacks of the sample that are finished, the requester reached or given up after "
            "%(tries)d tries on different days. Counted: the requester was reached. A low figure means the "
            "resolution rate on callback stands on few cases."
        )
        % {"tries": config().callback_attempts},
        "satisfaction": _("Out of: requests rated (1–5) that you may see the rating of. Counted: rated 4 or 5."),
        "on_time": _(
            "Out of: requests handled, and requests still open past their deadline (or ever flagged late); open "
            "requests not yet due are left out. Counted: handled by the deadline, never flagged late."
        ),
        "repeat": _(
            "Out of: requests with an address, and requests merged as duplicates. Counted: an earlier request of "
            "the same community with the same address and service came at most 30 days before, or it was merged "
            "into another."
        ),
        "p50": _("Handled requests, slowest first: business time to handle ÷ the service's resolution target."),
        "p90": _("Handled requests, slowest first: business time to handle ÷ the service's resolution target."),
        selectors.ALL: _(
            "Requests submitted in the period, leaving out classifications and merges signed off by a second person."
        ),
    }


def _score(params: QueryDict) -> int | None:
    text = params.get("score", "")
    if not text:
        return None
    if text not in {str(s) for s in selectors.SCORES}:
        raise Http404
    return int(text)


@require_GET
def requests(request: ActorRequest) -> HttpResponse:
    """The requests behind one figure, paged; their number is the figure."""
    page = _Page(request, request.GET)
    measure = request.GET.get("measure", "")
    part = request.GET.get("part", "denominator")
    unit = request.GET.get("unit", "")
    score = _score(request.GET)
    try:
        qs = selectors.drilldown(page.cohort, measure=measure, part=part, unit=unit, score=score)
    except selectors.OutOfScope:
        raise Http404 from None
    paged = Paginator(qs, DRILLDOWN_PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(paged.object_list)
    show_counted = measure in selectors.RATE_MEASURES and part == "denominator" and score is None
    counted = selectors.counted_ids(page.cohort, measure=measure, ids=[i.pk for i in items]) if show_counted else set()
    for item in items:
        item.url = request_url(item.pk)
        item.counted = item.pk in counted
        if measure in selectors.DURATION_MEASURES:
            item.handle_hours = f"{item.handle_seconds / 3600:.1f}"
            item.ratio_display = _ratio(item.ratio)
    labels = selectors.measure_labels()
    query = page.query(measure=measure, part=part, unit=unit or None, score=score)
    unit_label = page.cohort.unit_keys[unit].label if unit else page.cohort.node.name
    context = {
        "page": paged,
        "items": items,
        "measure": measure,
        "measure_label": labels[measure],
        "part": part,
        "score": score,
        "unit_label": unit_label,
        "period": page.period,
        "cohort": page.cohort,
        "query": query.urlencode(),
        "back_url": page.index(measure=measure),
        "numerator_url": page.drill(measure, "numerator", unit),
        "denominator_url": page.drill(measure, "denominator", unit),
        "unsatisfied_url": page.drill(measure, selectors.UNSATISFIED, unit) if measure == "satisfaction" else "",
        "show_counted": show_counted,
        "definition": definitions().get(measure, ""),
    }
    return render(request, "servicedesk/rates/requests.html", context)


def export_rows(table: selectors.Table) -> tuple[list[str], list[list[Any]]]:
    """The table as a sheet: one row per unit and a total, every figure as a number."""
    labels = selectors.measure_labels()
    headers = [_("Unit"), _("Requests")]
    for measure in selectors.RATE_MEASURES:
        name = labels[measure]
        headers += [
            _("%(measure)s: counted") % {"measure": name},
            _("%(measure)s: out of (n)") % {"measure": name},
            _("%(measure)s: rate") % {"measure": name},
            _("%(measure)s: Wilson lower bound") % {"measure": name},
        ]
    headers += [_("Handled (n)"), labels["p50"], labels["p90"]]
    headers += [_("Rank by %(measure)s") % {"measure": labels[table.measure]}]

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    def line(label: str, row: selectors.Row) -> list[Any]:
        figures = row.figures
        values: list[Any] = [label, figures.total]
        for measure in selectors.RATE_MEASURES:
            proportion = figures.proportion(measure)
            values += [
                proportion.numerator,
                proportion.denominator,
                rounded(proportion.rate),
                rounded(proportion.lower),
            ]
        values += [figures.handled, rounded(figures.p50), rounded(figures.p90)]
        if row.unit is not None:
            values.append(row.rank if figures.enough(table.measure) else _("Too few to rank"))
        return values

    body = [line(row.unit.label if row.unit else "", row) for row in table.rows]
    body.append(line(_("All"), table.total))
    return headers, body


@require_POST
def export(request: ActorRequest) -> HttpResponse:
    """The table as .xlsx, for users who may export; every export is an event."""
    if not request.actor.scope.can(EXPORT):
        raise Http404
    page = _Page(request, request.POST)
    table = selectors.rates_table(page.cohort, measure=page.measure)
    headers, body = export_rows(table)
    title = _("Rates %(period)s") % {"period": page.period.key}
    content, count = build_xlsx(title, headers, body, widths=[24, 10] + [12] * (len(headers) - 2))
    record_event(
        actor=request.actor,
        action=EventAction.EXPORTED,
        target=page.cohort.node,
        changes={"rates": [None, page.period.key], "level": [None, page.cohort.level], "rows": [None, count]},
    )
    response = HttpResponse(content, content_type=XLSX)
    name = "rates-{}-{}.xlsx".format(page.cohort.node.code, page.period.key.replace("~", "_"))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def classified(request: ActorRequest) -> HttpResponse:
    """The audit list of classified requests (不合理/不属实/非本级事权) and merged duplicates:
    grounds, who classified or merged, who signed off and when; those waiting for a sign-off
    first; then the merges flagged for audit (of overdue requests, many by one account in a day)."""
    page = _Page(request, request.GET)
    waiting = request.GET.get("waiting") == "1"
    qs = selectors.classified(page.cohort, waiting=waiting)
    paged = Paginator(qs, CLASSIFIED_PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(paged.object_list)
    flags = selectors.merge_flags(page.cohort)
    for item in [*items, *flags.overdue, *(r for b in flags.bulk for r in b.requests)]:
        item.url = request_url(item.pk)
    context = {
        **page.pickers(),
        "page": paged,
        "items": items,
        "flags": flags,
        "waiting": waiting,
        "bulk_merges": config().bulk_merges,
        "cohort": page.cohort,
        "query": page.query().urlencode(),
        "hidden": page.query(),
        "back_url": page.index(),
    }
    return render(request, "servicedesk/rates/classified.html", context)
