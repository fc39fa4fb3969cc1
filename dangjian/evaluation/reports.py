"""The evaluation's files (record once): a run's results as a workbook, a row per community and
leaf, with every number the scorecard shows."""

from __future__ import annotations

from django.utils.translation import gettext as _

from dangjian.core import indicators as registry
from dangjian.core.spreadsheets import build_xlsx
from dangjian.evaluation.models import Run
from dangjian.evaluation.scoring import INSUFFICIENT, MISSING


def _name(code: str) -> str:
    try:
        return str(registry.indicator(code).name)
    except KeyError:
        return code


def _status(status: str) -> str:
    return {MISSING: _("not measured"), INSUFFICIENT: _("sample too small")}.get(status, "")


def _round(value: float | None, places: int = 4) -> float | str:
    return "" if value is None else round(value, places)


def run_workbook(run: Run) -> bytes:
    results = list(run.results.select_related("unit").order_by("unit__path"))

    def rows():
        for r in results:
            for leaf in r.leaves:
                yield [
                    r.unit.name,
                    _round(r.total, 1),
                    _round(r.low, 1),
                    _round(r.high, 1),
                    r.tier,
                    leaf["group"],
                    _name(leaf["code"]),
                    _round(leaf["value"]),
                    "" if leaf["numerator"] is None else leaf["numerator"],
                    "" if leaf["denominator"] is None else leaf["denominator"],
                    leaf["sample"],
                    _round(leaf["score"], 1),
                    _round(leaf["global_weight"]),
                    _status(leaf["status"]),
                ]

    content, _count = build_xlsx(
        _("Evaluation"),
        [
            _("Community"), _("Total score"), _("Band from"), _("Band to"), _("Tier"), _("Group"), _("Indicator"),
            _("Value"), _("Numerator"), _("Denominator"), _("Sample"), _("Score"), _("Weight in the total"), _("Note"),
        ],
        rows(),
        widths=[14, 8, 8, 8, 6, 6, 28, 10, 10, 10, 8, 8, 10, 14],
    )  # fmt: skip
    return content
