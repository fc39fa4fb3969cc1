"""Exporting the people list: a real background task run by the real database worker, a real
.xlsx file, the access layer applied, numbers masked unless asked and allowed, and an event."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.core import crypto
from dangjian.core.models import Event, EventAction, Job, JobStatus

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def start_export(client, user, query="", full=False):
    client.force_login(user)
    data = {"query": query}
    if full:
        data["full_numbers"] = "1"
    response = client.post(reverse("people:export"), data)
    assert response.status_code == 302
    return Job.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def rows_of(client, job):
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(workbook.active.iter_rows(values_only=True))


def test_export_runs_in_the_background_and_respects_scope(world, client):
    job = start_export(client, world.users.secretary, query="status=active")
    assert job.status == JobStatus.QUEUED
    page = client.get(reverse("jobs:detail", args=[job.pk]))
    assert 'hx-trigger="every 1s"' in page.content.decode()  # polls while queued
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.done == job.total == 4
    rows = rows_of(client, job)
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted(["张三", "李四", "赵六", "钱七"])  # community A only
    zhang = next(row for row in rows if row[0] == "张三")
    assert zhang[3] == world.zhang.id_number_masked
    assert zhang[4] == "138****5678"
    event = Event.objects.get(action=EventAction.EXPORTED)
    assert event.actor == world.users.secretary
    assert event.changes["rows"] == [None, 4]
    assert event.changes["full_numbers"] == [None, False]
    finished = client.get(reverse("jobs:detail", args=[job.pk]))
    assert "every 1s" not in finished.content.decode()  # stops polling once finished


def test_export_with_full_numbers_and_filters(world, client):
    job = start_export(client, world.users.secretary, query="q=zs&status=active", full=True)
    run_worker()
    job.refresh_from_db()
    rows = rows_of(client, job)
    assert [row[0] for row in rows[1:]] == ["张三"]
    assert rows[1][3] == crypto.decrypt(world.zhang.id_number_encrypted)
    assert rows[1][4] == "13812345678"
    assert Event.objects.get(action=EventAction.EXPORTED).changes["full_numbers"] == [None, True]


def test_staff_may_not_export_and_others_cannot_download(world, client):
    client.force_login(world.users.staff)  # staff may unmask but not export
    assert client.post(reverse("people:export"), {"query": ""}).status_code == 404
    job = start_export(client, world.users.secretary)
    run_worker()
    for other in (world.users.staff, world.users.outsider, world.users.admin):
        client.force_login(other)
        assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404
        assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 404


def test_scope_is_applied_when_the_job_runs(world, client):
    job = start_export(client, world.users.secretary)
    world.users.secretary.grants.update(revoked_at="2026-01-01T00:00:00Z")  # role revoked meanwhile
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["rows"] == 0


def test_a_failed_job_says_so_and_offers_no_file(world, client, settings, tmp_path):
    job = start_export(client, world.users.secretary)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = str(blocker)  # the file cannot be written: a real OSError in the worker
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error
    assert not job.file
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert reverse("jobs:download", args=[job.pk]) not in page
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404
