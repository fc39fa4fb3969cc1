"""双报到 reporting back: the periods, the figures of each in-service member reporting to the
community (read from the verified records), the community's confirmation that keeps them as sent,
the workplace's sheet as PDF and Excel (an export, logged, for those who may export), and a
street's whole report as a background job run by the real worker."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import Event, EventAction, Job
from dangjian.membership.mobile.services import report_confirm, report_register
from dangjian.membership.models import CommunityReport
from dangjian.volunteering import reports, services
from dangjian.volunteering.models import ReportBack, ReportBackState
from tests.factories import as_actor, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "months", "period"),
    [
        (dt.date(2026, 3, 15), 6, (dt.date(2026, 1, 1), dt.date(2026, 6, 30))),
        (dt.date(2026, 12, 4), 6, (dt.date(2026, 7, 1), dt.date(2026, 12, 31))),
        (dt.date(2026, 6, 30), 6, (dt.date(2026, 1, 1), dt.date(2026, 6, 30))),
        (dt.date(2026, 5, 2), 3, (dt.date(2026, 4, 1), dt.date(2026, 6, 30))),
        (dt.date(2026, 12, 31), 12, (dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
        (dt.date(2026, 11, 1), 4, (dt.date(2026, 9, 1), dt.date(2026, 12, 31))),
    ],
)
def test_periods_run_from_the_first_of_january(day, months, period):
    assert reports.period_of(day, months) == period


def test_a_hostile_or_future_period_falls_back_to_the_last_one_over():
    today = dt.date(2026, 12, 4)
    last = (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    for value in ("x", None, "2026-07-02", "2027-01-01", "9999-99-99", "2026-07-01\x00"):
        assert reports.parse_period(value, today) == last
    assert reports.parse_period("2026-07-01", today) == (dt.date(2026, 7, 1), dt.date(2026, 12, 31))


def _sun_reports_to_a(world):
    """孙八 (a member living in community B) works at 钢城一中 and reports to community A (the rule is
    the community where one lives; the register allows another, and the report follows it)."""
    user = make_user("member_b", "member", person=world.sun)
    report = report_register(
        actor=as_actor(user, today=dt.date(2026, 1, 5)),
        community=world.community_a,
        workplace="钢城第一中学 党总支",
        categories=["culture", "governance"],
    )
    report_confirm(actor=as_actor(world.users.secretary, today=dt.date(2026, 1, 6)), report=report)
    return user


def _served(world, person, day: dt.date, hours: int = 2):
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    return services.record_service(
        actor=as_actor(world.users.staff, now=start + dt.timedelta(hours=hours + 1)),
        person=person,
        community=world.community_a,
        started_at=start,
        ended_at=start + dt.timedelta(hours=hours),
        description="社区文艺排练",
    )


def test_the_figures_are_the_verified_records_of_members_reporting_to_the_community(world):
    _sun_reports_to_a(world)
    _served(world, world.sun, dt.date(2026, 3, 7))
    _served(world, world.sun, dt.date(2026, 5, 9), hours=1)
    _served(world, world.sun, dt.date(2026, 8, 1))  # the next period
    _served(world, world.zhao, dt.date(2026, 3, 7))  # lives in A, does not report to it: not in the report
    staff = as_actor(world.users.secretary, today=dt.date(2026, 7, 3))
    [group] = reports.report_back_data(
        actor=staff, community=world.community_a, start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30)
    )
    assert group.name == "钢城第一中学 党总支"
    [row] = group.rows
    assert (row.name, row.records, row.minutes, row.categories) == ("孙八", 2, 180, ["文化体育", "社区治理"])
    with pytest.raises(PermissionDenied):
        reports.report_back_data(
            actor=as_actor(world.users.outsider),
            community=world.community_a,
            start=dt.date(2026, 1, 1),
            end=dt.date(2026, 6, 30),
        )


def test_the_report_is_confirmed_after_the_period_and_then_kept_as_sent(world):
    _sun_reports_to_a(world)
    record = _served(world, world.sun, dt.date(2026, 3, 7))
    during = as_actor(world.users.secretary, today=dt.date(2026, 6, 20))
    report = reports.report_back_prepare(actor=during, community=world.community_a, period_start=dt.date(2026, 1, 1))
    assert (
        reports.report_back_prepare(actor=during, community=world.community_a, period_start=dt.date(2026, 1, 1))
        == report
    )
    with pytest.raises(ValidationError) as early:
        reports.report_back_confirm(actor=during, report=report)
    assert "2026-06-30" in " ".join(early.value.messages)
    with pytest.raises(PermissionDenied):
        reports.report_back_prepare(
            actor=as_actor(world.users.outsider), community=world.community_a, period_start=dt.date(2026, 1, 1)
        )
    after = as_actor(world.users.secretary, today=dt.date(2026, 7, 2))
    reports.report_back_confirm(actor=after, report=report)
    report.refresh_from_db()
    assert report.state == ReportBackState.CONFIRMED and report.confirmed_by == world.users.secretary
    with pytest.raises(ValidationError):
        reports.report_back_confirm(actor=after, report=report)
    # A correction afterwards does not change what was sent.
    services.record_reverse(actor=as_actor(world.users.staff), record=record, reason="误记")
    [group] = reports.report_groups(actor=after, report=report)
    assert group.rows[0].minutes == 120
    live = reports.report_back_data(
        actor=after, community=world.community_a, start=report.period_start, end=report.period_end
    )
    assert live[0].rows[0].minutes == 0


@pytest.mark.clock("2026-07-10T10:00:00+08:00")
def test_the_workplace_sheet_downloads_as_pdf_and_excel_for_who_may_export(world, client):
    from openpyxl import load_workbook

    _sun_reports_to_a(world)
    _served(world, world.sun, dt.date(2026, 3, 7))
    report = reports.report_back_prepare(
        actor=as_actor(world.users.secretary), community=world.community_a, period_start=dt.date(2026, 1, 1)
    )
    client.force_login(world.users.secretary)
    page = client.get(reverse("volunteering:report", args=[report.pk]))
    assert page.status_code == 200 and "钢城第一中学 党总支" in page.text and "孙八" in page.text
    # A draft's sheets are not sent: no download before the confirmation.
    assert client.get(reverse("volunteering:report_file", args=[report.pk, 0, "pdf"])).status_code == 404
    reports.report_back_confirm(actor=as_actor(world.users.secretary), report=report)
    pdf = client.get(reverse("volunteering:report_file", args=[report.pk, 0, "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    xlsx = client.get(reverse("volunteering:report_file", args=[report.pk, 0, "xlsx"]))
    rows = list(load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[1][:5] == ("钢城第一中学 党总支", "红钢城社区", "2026-01-01–2026-06-30", "孙八", "文化体育、社区治理")
    assert rows[1][6] == 2.0
    assert Event.objects.filter(action=EventAction.EXPORTED, changes__format=[None, "pdf"]).count() == 1
    # Staff may see the report but not take the sheets away; a workplace that is not there: 404.
    client.force_login(world.users.staff)
    assert client.get(reverse("volunteering:report", args=[report.pk])).status_code == 200
    assert client.get(reverse("volunteering:report_file", args=[report.pk, 0, "pdf"])).status_code == 404
    client.force_login(world.users.secretary)
    assert client.get(reverse("volunteering:report_file", args=[report.pk, 5, "pdf"])).status_code == 404
    assert client.get(reverse("volunteering:report_file", args=[report.pk, 0, "exe"])).status_code == 404
    client.force_login(world.users.outsider)
    assert client.get(reverse("volunteering:report_file", args=[report.pk, 0, "pdf"])).status_code == 404


@pytest.mark.django_db(transaction=True)  # the job is queued when the request's transaction commits
def test_a_streets_report_is_a_background_job_with_a_row_per_member(world, client):
    """With the real worker (no frozen clock: the worker runs what is due by the database's time)."""
    from openpyxl import load_workbook

    start, _end = reports.parse_period(None, as_actor(world.users.admin).today)  # the last period over
    user = make_user("member_b", "member", person=world.sun)
    report = report_register(
        actor=as_actor(user), community=world.community_a, workplace="钢城第一中学 党总支", categories=["culture"]
    )
    report_confirm(actor=as_actor(world.users.secretary), report=report)
    CommunityReport.objects.filter(pk=report.pk).update(registered_on=start, confirmed_on=start)
    _served(world, world.sun, start + dt.timedelta(days=30))
    client.force_login(world.users.admin)
    page = client.get(reverse("volunteering:reports") + f"?period={start:%Y-%m-%d}")
    assert page.status_code == 200 and "红钢城社区" in page.text and "钢花村社区" in page.text
    response = client.post(
        reverse("volunteering:report_street_export"), {"street": world.street.pk, "period": f"{start:%Y-%m-%d}"}
    )
    assert response.status_code == 302
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    job = Job.objects.get(kind=reports.KIND)
    assert job.status == "succeeded", job.error
    rows = list(load_workbook(io.BytesIO(job.file.read()), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert [r[:3] for r in rows[1:]] == [("红钢城社区", "钢城第一中学 党总支", "孙八")]
    # A community secretary may not export the street's.
    client.force_login(world.users.secretary)
    assert client.post(reverse("volunteering:report_street_export"), {"street": world.street.pk}).status_code == 404
    assert ReportBack.objects.count() == 0  # looking and exporting opened no report


@pytest.mark.parametrize(("months", "used"), [(5, 4), (7, 6), (9, 6), (11, 6), (12, 12), (1, 1), (-3, 1), (99, 12)])
def test_a_period_length_that_does_not_divide_the_year_is_read_as_one_that_does(months, used):
    assert reports.period_months(months) == used
    # The periods of a year tile it: no day in two periods, none in none.
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(365)]
    periods = {reports.period_of(day, months) for day in days}
    assert sum((last - first).days + 1 for first, last in periods) == 365


def test_hostile_periods_answer_the_last_period_not_an_error(world, client):
    client.force_login(world.users.secretary)
    for value in ("9999-07-01", "9999-12-31", "0001-01-01", "2026-02-30", "%00", "x" * 500):
        assert client.get(reverse("volunteering:reports"), {"period": value}).status_code in (200, 400), value
    response = client.post(
        reverse("volunteering:report_prepare"), {"community": world.community_a.pk, "period": "9999-07-01"}
    )
    assert response.status_code == 302


def test_a_district_admin_checks_the_hours_street_by_street(world, client):
    from dangjian.orgs.models import RegionLevel
    from dangjian.orgs.services import add_region

    add_region(actor=as_actor(None), parent=world.district, name="钢都街道", code="420107002", level=RegionLevel.STREET)
    district = make_user("admin_district", "district_admin", world.district)
    client.force_login(district)
    url = reverse("volunteering:checks")
    for query in ("", "?street=abc", "?street=999999"):
        page = client.get(url + query)
        assert page.status_code == 200 and "请选择街道" in page.text and "时间银行与服务记录核对" not in page.text
    page = client.get(url + f"?street={world.street.pk}")
    assert page.status_code == 200 and "时间银行与服务记录核对" in page.text
    client.force_login(world.users.secretary)  # one street (or less): no choice to make
    assert "时间银行与服务记录核对" in client.get(url).text


def test_the_sweep_opens_the_reports_of_a_period_that_is_over_and_tells_the_community(world):
    from dangjian.core.housekeeping import housekeeping
    from dangjian.core.models import Notification

    _sun_reports_to_a(world)
    during = as_actor(None, today=dt.date(2026, 6, 20))  # the sweep, while the half-year runs
    assert reports.report_back_open_drafts(actor=during) == 0  # 2025's second half had no report
    after = as_actor(None, today=dt.date(2026, 7, 2))
    assert housekeeping(actor=after)["report_back_drafts"] == 1
    report = ReportBack.objects.get()
    assert (report.community, report.period_start, report.state) == (
        world.community_a,
        dt.date(2026, 1, 1),
        ReportBackState.DRAFT,
    )
    told = set(Notification.objects.filter(kind="report_back_ready").values_list("recipient__username", flat=True))
    assert told == {"secretary_a", "staff_a"}
    assert reports.report_back_open_drafts(actor=after) == 0  # once


@pytest.mark.clock("2026-07-10T10:00:00+08:00")
def test_the_reports_pages_run_the_same_queries_with_one_reporting_member_or_five(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_member, make_person

    def report_in(person, n):
        user = make_user(f"reporter{n}", "member", person=person)
        row = report_register(
            actor=as_actor(user, today=dt.date(2026, 1, 5)),
            community=world.community_a,
            workplace=f"第{n}中学 党支部",
            categories=["culture"],
        )
        report_confirm(actor=as_actor(world.users.secretary, today=dt.date(2026, 1, 6)), report=row)
        _served(world, person, dt.date(2026, 3, 7 + n))

    _sun_reports_to_a(world)
    _served(world, world.sun, dt.date(2026, 3, 7))
    report = reports.report_back_prepare(
        actor=as_actor(world.users.secretary), community=world.community_a, period_start=dt.date(2026, 1, 1)
    )
    client.force_login(world.users.secretary)
    urls = [reverse("volunteering:reports") + "?period=2026-01-01", reverse("volunteering:report", args=[report.pk])]

    def count():
        found = []
        for url in urls:
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    one = count()
    for n in range(1, 5):
        person = make_person(world.users.admin, world.grid_b1, f"教师{n}")
        make_member(person, world.branch_b1)
        report_in(person, n)
    five = count()
    assert five == one and max(five) <= 25, (one, five)
    page = client.get(urls[1]).content.decode()
    assert all(f"第{n}中学 党支部" in page for n in range(1, 5))
