"""The quarterly statistics a street (or the district) sends up (季度报表), filled from the records:
per community and in total, the party members at the quarter's end (from the placement history),
the probationary among them and those admitted in the quarter; the dues collected and 党费按期缴纳率;
the service requests received and handled and the three rates (响应率, 解决率, 满意率, the rates
page's own figures through the service desk's indicators); the verified volunteer hours. Nothing
is typed again: each figure is a count or a sum of records the user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Sum
from django.utils.translation import gettext as _

from dangjian.core import indicators as registry
from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.spreadsheets import build_xlsx
from dangjian.membership.models import DuesPayment, Placement
from dangjian.membership.roster.selectors import placements_open_on
from dangjian.orgs.models import Region, RegionLevel
from dangjian.people.models import Member, probationary_on
from dangjian.servicedesk.models import ServiceRequest
from dangjian.servicedesk.rates import rules
from dangjian.volunteering.models import RecordState, ServiceRecord

RATES = ("servicedesk.response", "servicedesk.resolution", "servicedesk.satisfaction", "membership.dues_on_time")


@dataclass
class Row:
    name: str
    members: int = 0
    probationary: int = 0
    admitted: int = 0
    dues: Decimal = Decimal("0")
    requests: int = 0
    handled: int = 0
    minutes: int = 0
    rates: dict[str, tuple[int, int]] = field(default_factory=dict)  # code → (numerator, denominator)

    def rate(self, code: str) -> float | None:
        numerator, denominator = self.rates.get(code, (0, 0))
        return numerator / denominator if denominator else None

    def add(self, other: Row) -> None:
        for name in ("members", "probationary", "admitted", "dues", "requests", "handled", "minutes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for code, (n, d) in other.rates.items():
            mine = self.rates.get(code, (0, 0))
            self.rates[code] = (mine[0] + n, mine[1] + d)


def upward_rows(*, actor: Actor, region: Region, start: dt.date, end: dt.date) -> tuple[list[Row], Row]:
    """A row per community of ``region`` the user may see, and their total."""
    last = end - dt.timedelta(days=1)
    low, high = rules.Period(rules.PeriodKind.CUSTOM, start, end).bounds()
    communities = list(
        restrict(
            Region.objects.filter(path__startswith=region.path, level=RegionLevel.COMMUNITY), actor, VIEW
        ).order_by("path")
    )
    ids = [c.pk for c in communities]
    known = {i.code for i in registry.indicators()}
    measured = registry.measure_together(actor, start, end, ids, [code for code in RATES if code in known])
    placements = restrict(Placement.objects.filter(placements_open_on(last)), actor, VIEW)
    rows = []
    total = Row(_("Total"))
    for community in communities:
        members = Member.objects.filter(
            Exists(placements.filter(member=OuterRef("pk"), organization__region__path__startswith=community.path))
        )
        dues = restrict(
            DuesPayment.objects.filter(
                voided_on__isnull=True,
                paid_on__gte=start,
                paid_on__lt=end,
                organization__region__path__startswith=community.path,
            ),
            actor,
            VIEW,
        ).aggregate(total=Sum("amount"))["total"]
        requests = restrict(ServiceRequest.objects.filter(community=community), actor, VIEW)
        minutes = restrict(
            ServiceRecord.objects.filter(
                state=RecordState.VERIFIED,
                community__path__startswith=community.path,
                started_at__gte=low,
                started_at__lt=high,
            ),
            actor,
            VIEW,
        ).aggregate(total=Sum("minutes"))["total"]
        row = Row(
            community.name,
            members=members.count(),
            probationary=members.filter(probationary_on(last)).count(),
            admitted=members.filter(joined_on__gte=start, joined_on__lt=end).count(),
            dues=dues or Decimal("0"),
            requests=requests.filter(submitted_at__gte=low, submitted_at__lt=high).count(),
            handled=requests.filter(handled_at__gte=low, handled_at__lt=high).count(),
            minutes=minutes or 0,
            rates={
                code: (m.numerator or 0, m.denominator or 0)
                for code, by_unit in measured.items()
                if (m := by_unit.get(community.pk)) is not None
            },
        )
        rows.append(row)
        total.add(row)
    return rows, total


def headers() -> list[str]:
    return [
        _("Community"),
        _("Party members"),
        _("Probationary"),
        _("Admitted this quarter"),
        _("Dues collected (yuan)"),
        _("Party dues paid on time"),
        _("Requests received"),
        _("Requests marked handled"),
        _("Response rate"),
        _("Resolution rate"),
        _("Satisfaction rate"),
        _("Verified volunteer hours"),
    ]


def cells(row: Row) -> list[Any]:
    def rate(code: str) -> Any:
        value = row.rate(code)
        return "" if value is None else round(value, 4)

    return [
        row.name,
        row.members,
        row.probationary,
        row.admitted,
        float(row.dues),
        rate("membership.dues_on_time"),
        row.requests,
        row.handled,
        rate("servicedesk.response"),
        rate("servicedesk.resolution"),
        rate("servicedesk.satisfaction"),
        round(row.minutes / 60, 1),
    ]


def shown(row: Row) -> list[str]:
    """The row as the page shows it: rates as percentages, "—" where nothing was counted."""
    out = []
    for index, value in enumerate(cells(row)):
        if value == "":
            out.append("—")
        elif index in (5, 8, 9, 10):
            out.append(f"{value * 100:.1f}%")
        elif index == 4:
            out.append(f"{value:,.2f}")
        else:
            out.append(str(value))
    return out


def upward_workbook(rows: list[Row], total: Row, title: str) -> bytes:
    content, _count = build_xlsx(
        title, headers(), [*(cells(r) for r in rows), cells(total)], widths=[14, 8, 8, 10, 12, 10, 10, 10, 9, 9, 9, 12]
    )
    return content
