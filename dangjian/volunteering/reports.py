"""双报到 reporting back (DESIGN.md §5): every period (half a year by default, REPORT_BACK_MONTHS) a
community tells the workplace organisation of each in-service member who reports to it what that
member did there — read from the verified records, nothing typed again.

* ``report_back_data``: the figures of one community and period, grouped by workplace (constant
  queries);
* ``report_back_prepare`` / ``report_back_confirm``: the community opens the period's report,
  checks it on its page and confirms it once the period is over; what was confirmed is kept as it
  was sent (``ReportBack.snapshot``);
* ``render_pdf`` / ``render_xlsx``: the sheet for one workplace (PDF: an A4 feedback form in
  Chinese, like the transfer letter; Excel: the same rows);
* ``street_export_start``: a street's whole report as one workbook, a background job.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django_tasks import task

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core.access import CHANGE, EXPORT, VIEW, allowed, restrict
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.core.events import EventAction, record_event
from dangjian.core.jobs import job_progress, job_running, job_start, job_succeeded, need_record, need_right, run_job
from dangjian.core.models import Job
from dangjian.core.notifications import notify
from dangjian.core.spreadsheets import build_xlsx
from dangjian.core.templatetags.dangjian import hours_of
from dangjian.membership.models import CommunityReport, ReportState
from dangjian.membership.models import ServiceCategory as JobCategory
from dangjian.orgs.models import Region, RegionLevel
from dangjian.volunteering.models import Claim, ClaimState, RecordState, ReportBack, ReportBackState, ServiceRecord
from dangjian.volunteering.services import day_bounds

KIND = "report_back_street"


# -- Periods --------------------------------------------------------------------------------------


def period_months(months: int | None = None) -> int:
    """The period's length: REPORT_BACK_MONTHS, read as the largest divisor of 12 not above it (1, 2,
    3, 4, 6 or 12), so that the periods tile each year and no service is reported twice."""
    wanted = months or config().report_back_months
    return max(d for d in (1, 2, 3, 4, 6, 12) if d <= max(1, min(12, wanted)))


def period_of(day: dt.date, months: int | None = None) -> tuple[dt.date, dt.date]:
    """The reporting period that holds ``day``: periods of ``months`` months from 1 January
    (half-years by default), as (first day, last day)."""
    months = period_months(months)
    index = (day.month - 1) // months
    first = dt.date(day.year, index * months + 1, 1)
    next_month = index * months + months + 1  # 13: the period ends with the year
    last = dt.date(day.year, 12, 31) if next_month > 12 else dt.date(day.year, next_month, 1) - dt.timedelta(days=1)
    return first, last


def recent_periods(today: dt.date, count: int = 4) -> list[tuple[dt.date, dt.date]]:
    """The period of ``today`` and the ``count - 1`` before it, newest first."""
    periods = [period_of(today)]
    while len(periods) < count:
        periods.append(period_of(periods[-1][0] - dt.timedelta(days=1)))
    return periods


def parse_period(value: Any, today: dt.date) -> tuple[dt.date, dt.date]:
    """A period named by its first day (``?period=2026-07-01``); anything else: the last period
    that is over (the one a community reports on now)."""
    last_over = period_of(period_of(today)[0] - dt.timedelta(days=1))
    try:
        day = dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return last_over
    if day > today:
        return last_over
    first, last = period_of(day)
    return (first, last) if first == day else last_over


# -- The figures ----------------------------------------------------------------------------------


@dataclass
class MemberRow:
    person_id: int
    name: str
    workplace: str
    categories: list[str]
    records: int = 0
    minutes: int = 0
    posts: int = 0  # claims of posts served (a verified record)
    claimed: int = 0  # confirmed claims of posts in the period
    wishes: int = 0  # wishes fulfilled (confirmed by the resident)

    @property
    def hours(self) -> str:
        return hours_of(self.minutes)


@dataclass
class Workplace:
    name: str
    rows: list[MemberRow] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return sum(row.minutes for row in self.rows)

    @property
    def served(self) -> int:
        return sum(1 for row in self.rows if row.records)


def _reports(community_ids: list[int], start: dt.date, end: dt.date) -> Any:
    """The 双报到 reports that held in the period: confirmed by its end and not revoked before it."""
    return CommunityReport.objects.filter(
        community_id__in=community_ids,
        state__in=(ReportState.CONFIRMED, ReportState.REVOKED),
        confirmed_on__isnull=False,
        confirmed_on__lte=end,
    ).filter(Q(revoked_on__isnull=True) | Q(revoked_on__gte=start))


def report_rows(community_ids: list[int], start: dt.date, end: dt.date) -> dict[int, list[MemberRow]]:
    """Per community: a row per in-service member reporting to it in the period, with their
    verified service there (records, hours, posts served and claimed, wishes). Three queries,
    whatever the number of communities and members."""
    low, high = day_bounds(start, end)
    reports = list(
        _reports(community_ids, start, end)
        .order_by("community_id", "workplace", "person__name_pinyin", "pk")
        .values_list("community_id", "person_id", "person__name", "workplace", "categories")
    )
    people = {person_id for _c, person_id, *_rest in reports}
    served: dict[tuple[int, int], dict[str, Any]] = {
        (row["community_id"], row["person_id"]): dict(row)
        for row in ServiceRecord.objects.filter(
            state=RecordState.VERIFIED,
            community_id__in=community_ids,
            person_id__in=people,
            started_at__gte=low,
            started_at__lt=high,
        )
        .values("community_id", "person_id")
        .annotate(
            n=Count("id"),
            minutes=Sum("minutes"),
            posts=Count("claim", distinct=True),
            wishes=Count("wish", distinct=True),
        )
    }
    claimed = {
        (row["post__region_id"], row["person_id"]): row["n"]
        for row in Claim.objects.filter(
            state=ClaimState.CONFIRMED,
            post__region_id__in=community_ids,
            person_id__in=people,
            post__starts_at__gte=low,
            post__starts_at__lt=high,
        )
        .values("post__region_id", "person_id")
        .annotate(n=Count("id"))
    }
    labels = dict(JobCategory.choices)
    out: dict[int, list[MemberRow]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for community_id, person_id, name, workplace, categories in reports:
        if (community_id, person_id) in seen:  # reported, revoked and reported again: one row
            continue
        seen.add((community_id, person_id))
        figures = served.get((community_id, person_id), {})
        out[community_id].append(
            MemberRow(
                person_id=person_id,
                name=name,
                workplace=" ".join(workplace.split()),
                categories=[str(labels.get(c, c)) for c in categories or []],
                records=figures.get("n", 0),
                minutes=figures.get("minutes") or 0,
                posts=figures.get("posts", 0),
                claimed=claimed.get((community_id, person_id), 0),
                wishes=figures.get("wishes", 0),
            )
        )
    return out


def by_workplace(rows: list[MemberRow]) -> list[Workplace]:
    groups: dict[str, Workplace] = {}
    for row in rows:
        groups.setdefault(row.workplace, Workplace(row.workplace)).rows.append(row)
    return sorted(groups.values(), key=lambda group: group.name)


def report_back_data(*, actor: Actor, community: Region, start: dt.date, end: dt.date) -> list[Workplace]:
    """The live figures of one community's report, grouped by workplace (for the draft's page)."""
    if not allowed(actor, VIEW, community):
        raise PermissionDenied
    return by_workplace(report_rows([community.pk], start, end).get(community.pk, []))


def snapshot_of(groups: list[Workplace]) -> dict[str, Any]:
    return {"workplaces": [{"name": group.name, "rows": [{**row.__dict__} for row in group.rows]} for group in groups]}


def from_snapshot(snapshot: dict[str, Any]) -> list[Workplace]:
    return [
        Workplace(group["name"], [MemberRow(**row) for row in group["rows"]])
        for group in snapshot.get("workplaces", [])
    ]


def report_groups(*, actor: Actor, report: ReportBack) -> list[Workplace]:
    """What the report says: as sent once confirmed, else the live figures."""
    if report.state == ReportBackState.CONFIRMED:
        return from_snapshot(report.snapshot)
    return report_back_data(actor=actor, community=report.community, start=report.period_start, end=report.period_end)


def area_summary(*, actor: Actor, start: dt.date, end: dt.date, limit: int = 300) -> list[dict[str, Any]]:
    """The communities the actor may see, each with its reporting members, those who served, the
    hours, and its report of the period (the reports page: constant queries)."""
    communities = list(
        restrict(Region.objects.filter(level=RegionLevel.COMMUNITY, closed_on=None), actor, VIEW)
        .select_related("parent")
        .order_by("path")[:limit]
    )
    rows = report_rows([c.pk for c in communities], start, end)
    reports = {r.community_id: r for r in ReportBack.objects.filter(community__in=communities, period_start=start)}
    changeable = set(
        restrict(Region.objects.filter(pk__in=[c.pk for c in communities]), actor, CHANGE).values_list("pk", flat=True)
    )
    return [
        {
            "community": community,
            "members": len(rows.get(community.pk, [])),
            "served": sum(1 for row in rows.get(community.pk, []) if row.records),
            "minutes": sum(row.minutes for row in rows.get(community.pk, [])),
            "report": reports.get(community.pk),
            "may_change": community.pk in changeable,
        }
        for community in communities
    ]


def export_streets(*, actor: Actor) -> list[Region]:
    """The streets whose whole report the actor may export."""
    if not actor.scope.can(EXPORT):
        return []
    return list(
        restrict(Region.objects.filter(level=RegionLevel.STREET, closed_on=None), actor, VIEW).order_by("path")[:50]
    )


# -- Writes ---------------------------------------------------------------------------------------


def report_back_prepare(*, actor: Actor, community: Region, period_start: dt.date) -> ReportBack:
    """Open the period's report of a community (a draft the community checks; once only)."""
    if not allowed(actor, CHANGE, community):
        raise PermissionDenied
    if community.level != RegionLevel.COMMUNITY:
        raise ValidationError(_("Choose a community."))
    first, last = period_of(period_start)
    if first != period_start or first > actor.today:
        raise ValidationError(_("Choose a reporting period that has begun."))
    found = ReportBack.objects.filter(community=community, period_start=first).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            report = ReportBack.objects.create(community=community, period_start=first, period_end=last)
            record_event(
                actor=actor,
                action=EventAction.CREATED,
                target=report,
                changes={"period": [None, f"{first:%Y-%m-%d}–{last:%Y-%m-%d}"]},
            )
    except IntegrityError:  # opened at the same moment by someone else
        return ReportBack.objects.get(community=community, period_start=first)
    return report


def report_back_open_drafts(*, actor: Actor) -> int:
    """Once a reporting period is over, open the report of every community that had in-service
    members reporting to it in the period, and tell its secretary and staff that it waits for
    them to check and confirm (the sweep runs this; nothing is opened twice). The number opened."""
    current, _end = period_of(actor.today)
    first, last = period_of(current - dt.timedelta(days=1))
    communities = set(
        CommunityReport.objects.filter(
            state__in=(ReportState.CONFIRMED, ReportState.REVOKED), confirmed_on__isnull=False, confirmed_on__lte=last
        )
        .filter(Q(revoked_on__isnull=True) | Q(revoked_on__gte=first))
        .values_list("community_id", flat=True)
    )
    communities -= set(ReportBack.objects.filter(period_start=first).values_list("community_id", flat=True))
    opened = 0
    for community in Region.objects.filter(pk__in=communities, level=RegionLevel.COMMUNITY).order_by("path"):
        report = report_back_prepare(actor=actor, community=community, period_start=first)
        opened += 1
        staff = RoleGrant.objects.active().filter(
            role__in=(Role.COMMUNITY_SECRETARY, Role.COMMUNITY_STAFF), region=community
        )
        notify(
            recipients=list(staff.values_list("user_id", flat=True)),
            kind="report_back_ready",
            key=f"report-back:{report.pk}",
            params={"start": f"{first:%Y-%m-%d}", "end": f"{last:%Y-%m-%d}", "community": community.name},
            url=reverse("volunteering:report", args=[report.pk]),
        )
    return opened


def report_back_confirm(*, actor: Actor, report: ReportBack) -> ReportBack:
    """The community confirms the report once the period is over: its figures are kept as they
    are sent, and later corrections of the records do not change what was sent."""
    if not allowed(actor, CHANGE, report):
        raise PermissionDenied
    if actor.today <= report.period_end:
        raise ValidationError(
            _("The period ends on %(day)s; the report is confirmed after that.")
            % {"day": f"{report.period_end:%Y-%m-%d}"}
        )
    with transaction.atomic():
        locked = ReportBack.objects.select_for_update().get(pk=report.pk)
        if locked.state == ReportBackState.CONFIRMED:
            raise ValidationError(_("This report has been confirmed already."))
        groups = report_back_data(
            actor=actor, community=report.community, start=report.period_start, end=report.period_end
        )
        snapshot = snapshot_of(groups)
        ReportBack.objects.filter(pk=locked.pk).update(
            state=ReportBackState.CONFIRMED, confirmed_by_id=actor.user_id, confirmed_at=actor.now, snapshot=snapshot
        )
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=locked,
            changes={
                "state": [ReportBackState.DRAFT, ReportBackState.CONFIRMED],
                "members": [None, sum(len(g.rows) for g in groups)],
                "workplaces": [None, len(groups)],
            },
        )
    report.refresh_from_db()
    return report


# -- Files ----------------------------------------------------------------------------------------


def _headers() -> list[str]:
    return [
        _("Full name"),
        _("Services offered"),
        _("Service records"),
        _("Hours"),
        _("Posts served"),
        _("Posts claimed"),
        _("Small wishes fulfilled"),
    ]


def _cells(row: MemberRow) -> list[Any]:
    return ["、".join(row.categories), row.records, float(hours_of(row.minutes)), row.posts, row.claimed, row.wishes]


def render_xlsx(report: ReportBack, group: Workplace) -> bytes:
    content, _count = build_xlsx(
        _("Service report"),
        [_("Workplace"), _("Community"), _("Period"), *_headers()],
        (
            [
                group.name,
                report.community.name,
                f"{report.period_start:%Y-%m-%d}–{report.period_end:%Y-%m-%d}",
                row.name,
                *_cells(row),
            ]
            for row in group.rows
        ),
        widths=[24, 12, 22, 10, 30, 10, 8, 10, 10, 12],
    )
    return content


def render_pdf(report: ReportBack, group: Workplace, *, community_org: str, today: dt.date) -> bytes:
    """The feedback form for one workplace: an A4 sheet in Chinese (an official letter, like the
    transfer letter), in the embedded Noto CJK font."""
    from fpdf import FPDF
    from fpdf.enums import Align, WrapMode, XPos, YPos

    from dangjian.membership.transfers.letters import chinese_font

    path, index = chinese_font()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"在职党员到社区报到服务情况反馈 {group.name}")
    pdf.set_margins(18, 18, 18)
    pdf.add_font("cjk", "", path, collection_font_number=index)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float = 12, height: float = 8, align: str | Align = Align.L) -> None:
        pdf.set_font("cjk", "", size)
        pdf.multi_cell(width, height, text, align=align, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line("在职党员到社区报到服务情况反馈表", size=17, height=12, align=Align.C)
    line(f"{group.name}：", size=12.5)
    start, end = report.period_start, report.period_end
    line(
        f"　　贵单位以下在职党员到{report.community.name}报到，"
        f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日在社区参加志愿服务情况如下"
        "（根据社区核实的服务记录生成）：",
        height=7.5,
    )
    pdf.ln(2)
    pdf.set_font("cjk", "", 10)
    with pdf.table(
        col_widths=(22, 48, 18, 22, 30, 14),
        text_align="CENTER",
        line_height=6.5,
        wrapmode=WrapMode.CHAR,
        first_row_as_headings=False,
    ) as table:
        table.row(("姓名", "服务类别", "服务次数", "时长(小时)", "完成/认领岗位", "微心愿"))
        for member in group.rows:
            table.row(
                (
                    member.name,
                    "、".join(member.categories),
                    str(member.records),
                    hours_of(member.minutes),
                    f"{member.posts}/{member.claimed}",
                    str(member.wishes),
                )
            )
    pdf.ln(4)
    line(
        f"　　合计：{len(group.rows)}名党员，其中{group.served}名参加了服务，共{hours_of(group.minutes)}小时。",
        height=7.5,
    )
    line("　　特此反馈。感谢贵单位对社区工作的支持！", height=7.5)
    pdf.ln(6)
    line(community_org, align=Align.R)
    confirmed = report.confirmed_at.date() if report.confirmed_at else today
    line(f"{confirmed.year}年{confirmed.month}月{confirmed.day}日", align=Align.R)
    return bytes(pdf.output())


def community_organisation(community: Region) -> str:
    """The name the community's sheets are signed with: its party organisation's, else its own."""
    from dangjian.orgs.models import Organization

    org = Organization.objects.filter(region=community, closed_on=None).order_by("depth", "path").first()
    return org.name if org is not None else f"{community.name}"


def record_download(*, actor: Actor, report: ReportBack, group: Workplace, fmt: str) -> None:
    """Downloading a workplace's sheet is an export of people's records: an event."""
    if not actor.scope.can(EXPORT) or not allowed(actor, VIEW, report):
        raise PermissionDenied
    record_event(
        actor=actor,
        action=EventAction.EXPORTED,
        target=report,
        changes={"workplace": [None, group.name], "format": [None, fmt], "rows": [None, len(group.rows)]},
    )


# -- A street's report as a background job --------------------------------------------------------


def street_export_start(*, actor: Actor, street: Region, start: dt.date) -> Job:
    """One workbook of a street's report for the period: a row per in-service member of each of
    its communities (made in the background; the file is the starter's while they may export)."""
    if not actor.scope.can(EXPORT) or not allowed(actor, VIEW, street) or street.level != RegionLevel.STREET:
        raise PermissionDenied
    first, last = period_of(start)
    with transaction.atomic():
        return job_start(
            actor=actor,
            kind=KIND,
            label=_("Service of in-service members in %(street)s, %(start)s–%(end)s")
            % {"street": street.name, "start": f"{first:%Y-%m-%d}", "end": f"{last:%Y-%m-%d}"},
            params={"street": street.pk, "start": first.isoformat()},
            task=export_street_report,
        )


def write_street_report(actor: Actor, street: Region, start: dt.date, on_row: Any = None) -> tuple[bytes, int]:
    first, last = period_of(start)
    communities = list(
        restrict(
            Region.objects.filter(path__startswith=street.path, level=RegionLevel.COMMUNITY), actor, VIEW
        ).order_by("path")
    )
    names = {c.pk: c.name for c in communities}
    rows = report_rows(list(names), first, last)

    def lines() -> Any:
        for community_id, members in rows.items():
            for row in members:
                yield [names[community_id], row.workplace, row.name, *_cells(row)]

    return build_xlsx(
        _("Service report"),
        [_("Community"), _("Workplace"), *_headers()],
        lines(),
        on_row=on_row,
        widths=[12, 24, 10, 30, 10, 8, 10, 10, 12],
    )


def _write(job: Job, actor: Actor) -> None:
    street = Region.objects.get(pk=job.params["street"])
    start = dt.date.fromisoformat(job.params["start"])
    job_running(job, total=0)
    content, count = write_street_report(actor, street, start, on_row=lambda n: job_progress(job, n))
    job.total = count
    job_succeeded(
        job,
        file_name=f"report-back-{street.code}-{start:%Y%m}.xlsx",
        content=content,
        result={"rows": count},
        needs=[need_right(EXPORT), need_record(VIEW, street)],
    )
    record_event(
        actor=actor,
        action=EventAction.EXPORTED,
        target=street,
        changes={"report_back": [None, f"{start:%Y-%m-%d}"], "rows": [None, count]},
    )


@task()
def export_street_report(job_id: int) -> None:
    run_job(job_id, _write)
