"""The evaluation's files (record once): a run's results as a workbook, a row per community and
leaf, with every number the scorecard shows; and as a PDF, the communities side by side and each
one's leaves."""

from __future__ import annotations

import datetime as dt

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


def run_pdf(run: Run, results: list, *, group_names: dict, today: dt.date) -> bytes:
    """The period's evaluation as an A4 PDF in the reader's language (the embedded Noto CJK font):
    the communities side by side, then each community's leaves with every number — for a street
    all its communities, for a community its own (``results`` is what the reader may see)."""
    from fpdf import FPDF
    from fpdf.enums import Align, WrapMode, XPos, YPos

    from dangjian.membership.transfers.letters import chinese_font

    path, index = chinese_font()
    plan = run.plan
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    title = _("Evaluation of %(region)s, %(start)s–%(end)s") % {
        "region": plan.region.name,
        "start": f"{plan.start:%Y-%m-%d}",
        "end": f"{plan.last_day:%Y-%m-%d}",
    }
    pdf.set_title(title)
    pdf.set_margins(14, 14, 14)
    pdf.add_font("cjk", "", path, collection_font_number=index)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float = 10.5, height: float = 6.5, align: str | Align = Align.L) -> None:
        pdf.set_font("cjk", "", size)
        pdf.multi_cell(width, height, text, align=align, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def number(value: float | None, places: int = 1) -> str:
        return "—" if value is None else f"{value:.{places}f}"

    line(title, size=15, height=10, align=Align.C)
    line(
        _("Plan revision %(r)s; computed %(when)s; fingerprint of the inputs %(fp)s.")
        % {
            "r": plan.revision,
            "when": f"{run.finished_at or run.started_at:%Y-%m-%d %H:%M}",
            "fp": run.fingerprint[:12],
        },
        size=9,
    )
    line(
        _(
            "The band is where the score lies given the size of each sample (95%%). Communities whose bands overlap are not put in order: no rank is given. A tier such as B/C means the band reaches across the cut-off."
        )
        % {},
        size=9,
    )
    pdf.ln(2)
    codes = list(group_names)
    pdf.set_font("cjk", "", 9)
    with pdf.table(
        col_widths=(34, 16, 26, 14, *[14] * len(codes), 90),
        text_align="CENTER",
        line_height=5.5,
        wrapmode=WrapMode.CHAR,
        first_row_as_headings=False,
    ) as table:
        table.row((_("Community"), _("Total score"), _("Band (0–100)"), _("Tier"), *codes, _("Weakest points")))
        for r in results:
            table.row(
                (
                    r.unit.name,
                    number(r.total),
                    f"{number(r.low)}–{number(r.high)}",
                    r.tier or "—",
                    *[number(r.groups.get(code)) for code in codes],
                    "、".join(_name(code) for code in r.weak),
                )
            )
    for r in results:
        pdf.add_page()
        line(
            f"{r.unit.name} · {_('Total score')} {number(r.total)} · {_('Tier')} {r.tier or '—'} · {number(r.low)}–{number(r.high)}",
            size=13,
            height=8,
        )
        pdf.set_font("cjk", "", 8.5)
        with pdf.table(
            col_widths=(10, 62, 20, 18, 18, 14, 22, 18),
            text_align="CENTER",
            line_height=5,
            wrapmode=WrapMode.CHAR,
            first_row_as_headings=False,
        ) as table:
            table.row(
                (
                    _("Group"),
                    _("Indicator"),
                    _("Value"),
                    _("Numerator"),
                    _("Denominator"),
                    _("Sample"),
                    _("Score"),
                    _("Weight in the total"),
                )
            )
            for leaf in r.leaves:
                table.row(
                    (
                        leaf["group"],
                        _name(leaf["code"]),
                        number(leaf["value"], 3),
                        "—" if leaf["numerator"] is None else str(leaf["numerator"]),
                        "—" if leaf["denominator"] is None else str(leaf["denominator"]),
                        str(leaf["sample"]),
                        number(leaf["score"]) if leaf["status"] == "ok" else _status(leaf["status"]),
                        f"{leaf['global_weight'] * 100:.1f}%" if leaf["status"] == "ok" else "—",
                    )
                )
    pdf.ln(4)
    line(_("Printed %(day)s.") % {"day": f"{today:%Y-%m-%d}"}, size=9, align=Align.R)
    return bytes(pdf.output())
