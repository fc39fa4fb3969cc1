"""The audit log: what the accounts an admin manages did, filtered, paged at a constant cost,
exported as a job that is itself an event."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from dangjian.accounts.exports import audit_export_start
from dangjian.accounts.roles import Role
from dangjian.accounts.selectors import AuditFilters, audit_events
from dangjian.core.models import Event, EventAction, Job, JobStatus
from dangjian.people.services import person_reveal
from tests.factories import as_actor, make_user

pytestmark = pytest.mark.django_db


def _reveal(world, user, person):
    person_reveal(actor=as_actor(user), person=person, field="id_number", purpose="verify")


def test_a_secretary_audits_the_communitys_staff_and_not_another_community(world):
    _reveal(world, world.users.staff, world.zhang)
    _reveal(world, world.users.outsider, world.wang)
    _reveal(world, world.users.admin, world.zhang)
    seen = audit_events(actor=as_actor(world.users.secretary), filters=AuditFilters(sensitive=True))
    assert list(seen.values_list("actor__username", flat=True)) == ["staff_a"]
    street = audit_events(actor=as_actor(world.users.admin), filters=AuditFilters(sensitive=True))
    assert set(street.values_list("actor__username", flat=True)) == {"staff_a", "secretary_b", "admin_street"}
    assert not audit_events(actor=as_actor(world.users.staff)).exists()  # no right to give roles: nothing


def test_the_root_of_the_region_tree_sees_the_systems_events_too(world):
    district = make_user("district_admin", Role.DISTRICT_ADMIN, world.district)
    system_events = Event.objects.filter(actor__isnull=True)
    assert system_events.exists()
    assert audit_events(actor=as_actor(district)).filter(actor__isnull=True).count() == system_events.count()
    assert not audit_events(actor=as_actor(world.users.admin)).filter(actor__isnull=True).exists()


def test_filters_by_who_action_kind_record_and_dates(world):
    _reveal(world, world.users.staff, world.zhang)
    admin = as_actor(world.users.admin)
    today = timezone.localdate()
    by = {
        "who": AuditFilters(who="staff_a"),
        "action": AuditFilters(action=EventAction.UNMASKED),
        "record": AuditFilters(target=world.zhang.name),
        "today": AuditFilters(since=today, until=today),
    }
    for name, filters in by.items():
        assert audit_events(actor=admin, filters=filters).filter(action=EventAction.UNMASKED).exists(), name
    yesterday = today - dt.timedelta(days=1)
    assert not audit_events(actor=admin, filters=AuditFilters(since=yesterday, until=yesterday)).exists()
    assert not audit_events(actor=admin, filters=AuditFilters(who="nobody-by-that-name")).exists()


def test_the_page_lists_a_full_number_viewed_with_who_and_what(world, client):
    _reveal(world, world.users.staff, world.zhang)
    client.force_login(world.users.secretary)
    page = client.get(reverse("accounts:audit"), {"sensitive": "on"}).content.decode()
    assert world.zhang.name in page and "staff_a" in page
    assert page.count("<tr>") == 2  # the header and one event


def test_the_page_costs_the_same_queries_for_more_events(world, client):
    client.force_login(world.users.admin)
    client.get(reverse("accounts:audit"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:audit"))
    rows_before = client.get(reverse("accounts:audit")).content.decode().count("<tr>")
    for _n in range(20):
        _reveal(world, world.users.staff, world.zhang)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("accounts:audit"))
    assert response.content.decode().count("<tr>") == min(rows_before + 20, 51)
    assert len(many) == len(few)


@pytest.mark.django_db(transaction=True)
def test_the_export_holds_what_the_page_lists_and_is_an_event(world, client):
    """A real job, run by the real database worker; the file downloaded like any job's."""
    _reveal(world, world.users.staff, world.zhang)
    client.force_login(world.users.secretary)
    response = client.post(reverse("accounts:audit_export"), {"query": "sensitive=on"})
    job = Job.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    download = client.get(reverse("jobs:download", args=[job.pk]))
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active.values)
    assert len(rows) == 2 and rows[1][1] == "staff_a" and rows[1][5] == world.zhang.name
    assert Event.objects.filter(action=EventAction.EXPORTED, actor=world.users.secretary, target_id=job.pk).exists()
    with pytest.raises(PermissionDenied):
        audit_export_start(actor=as_actor(world.users.staff), query="")


def test_a_member_sees_who_viewed_their_numbers_by_role_and_place_not_by_name(world, client):
    qian = world.zhang  # a resident with an ID number on record, and an account
    resident = make_user("zhang_san", Role.RESIDENT, person=qian)
    _reveal(world, world.users.staff, qian)
    client.force_login(resident)
    with translation.override("zh-hans"):
        role = f"{Role.COMMUNITY_STAFF.label} · {world.community_a.name}"
    workbench = client.get(reverse("dashboard:workbench")).content.decode()
    own_page = client.get(reverse("people:detail", args=[qian.pk])).content.decode()
    for page in (workbench, own_page):
        assert role in page and "staff_a" not in page
    client.force_login(world.users.secretary)  # the community office reads the name
    assert "staff_a" in client.get(reverse("people:detail", args=[qian.pk])).content.decode()


def test_nobody_viewed_is_said_so(world, client):
    client.force_login(world.users.resident)
    with translation.override("zh-hans"):
        assert "没有人查看过" in client.get(reverse("dashboard:workbench")).content.decode()


def test_a_worker_who_moved_on_is_audited_only_for_the_time_and_place_they_were_ours(world, time_machine):
    """Review finding: staff_a leaves community A for community B; what she does in B is B's."""
    from dangjian.accounts.services import end_grant, grant_role

    staff = world.users.staff
    end_grant(actor=as_actor(world.users.secretary), grant=staff.grants.get(), reason="调往钢花村社区")
    grant_role(actor=as_actor(None), user=staff, role=Role.COMMUNITY_STAFF, node=world.community_b, reason="调入")
    _reveal(world, staff, world.wang)  # a resident of B
    mine = audit_events(actor=as_actor(world.users.secretary), filters=AuditFilters(sensitive=True))
    assert not mine.exists()
    theirs = audit_events(actor=as_actor(world.users.outsider), filters=AuditFilters(sensitive=True))
    assert list(theirs.values_list("target_label", flat=True)) == [world.wang.name]


def test_pages_read_window_by_window_hold_every_event_once_in_order(world):
    """The street admin's windows: the admin's own events, a worker with two overlapping grants (one
    window), another worker. Read window by window (PostgreSQL) the pages hold exactly the events
    of the plain query, newest first, none twice, none left out, across page boundaries."""
    from dangjian.accounts.selectors import AuditPaginator, _audit_windows, audit_page
    from dangjian.accounts.services import grant_role

    admin = as_actor(world.users.admin)
    grant_role(
        actor=admin,
        user=world.users.staff,
        role=Role.COMMUNITY_STAFF,
        node=world.community_a,
        starts_on=timezone.localdate() - dt.timedelta(days=400),
        reason="second post",
    )
    for n in range(7):
        _reveal(world, world.users.staff, world.zhang)
        _reveal(world, world.users.secretary, world.li)
        if n % 2:
            _reveal(world, world.users.admin, world.wang)
    windows = _audit_windows(admin)
    assert windows is not None and len(windows) >= 3
    expected = list(audit_events(actor=admin).values_list("pk", flat=True))
    assert len(expected) == len(set(expected)) >= 17
    read = []
    paginator = AuditPaginator(audit_events(actor=admin), 4, windows=windows)
    for number in paginator.page_range:
        read += [event.pk for event in paginator.page(number).object_list]
    assert read == expected
    assert [e.pk for e in audit_page(actor=admin, filters=AuditFilters(), number="1").object_list] == expected[:50]


def test_an_admin_with_windows_and_no_event_gets_an_empty_page(world):
    """Windows to read but not one event in them (a new community): page 1, empty, no error."""
    from dangjian.accounts.selectors import _audit_windows, audit_page

    secretary = as_actor(world.users.secretary)
    assert len(_audit_windows(secretary) or []) >= 2
    Event.objects.filter(actor__in=[world.users.secretary, world.users.staff, world.users.branch]).delete()
    page = audit_page(actor=secretary, filters=AuditFilters(), number="1")
    assert list(page.object_list) == [] and page.number == 1
