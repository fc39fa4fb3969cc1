"""A job's file (an export, a list of import problems) is downloaded only by its starter, only
while it is fresh (EXPORT_RETENTION_HOURS; the sweep then deletes it) and only while the starter
still holds the rights it was made with: the export right, the view right over what it covers, and
the unmask right when it has full ID and phone numbers. Every download is an event.

Real exports, run by the real database worker, as in people/tests/test_export.py."""

import datetime as dt
import io

import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dangjian.accounts.roles import Role
from dangjian.accounts.services import grant_role
from dangjian.core import crypto
from dangjian.core.access import EXPORT, UNMASK, VIEW, NodeSet, Scope
from dangjian.core.actors import Actor
from dangjian.core.conf import override
from dangjian.core.exports import list_export_needs
from dangjian.core.jobs import needs_held
from dangjian.core.models import Event, EventAction, Job, JobStatus
from dangjian.membership.dues.exports import dues_bill_export_start
from tests.factories import as_actor

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def english(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # English, as chosen with the header's button
    client.force_login(user)
    return client


def export_people(user, *, full: bool = False) -> Job:
    client = english(user)
    data = {"query": "status=active", **({"full_numbers": "1"} if full else {})}
    response = client.post(reverse("people:export"), data)
    assert response.status_code == 302
    job = Job.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    return job


def download(user, job: Job):
    return english(user).get(reverse("jobs:download", args=[job.pk]))


def revoke_roles(user) -> None:
    user.grants.update(revoked_at=timezone.now())


def test_a_full_number_export_is_refused_once_the_role_is_revoked(world):
    secretary = world.users.secretary
    job = export_people(secretary, full=True)
    response = download(secretary, job)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    assert crypto.decrypt(world.zhang.id_number_encrypted) in {row[3] for row in sheet.iter_rows(values_only=True)}
    event = Event.objects.get(action=EventAction.DOWNLOADED)  # who, which job, full numbers or not
    assert (event.actor, event.target_id, event.changes["full_numbers"]) == (secretary, job.pk, [None, True])

    revoke_roles(secretary)
    refused = download(secretary, job)
    assert refused.status_code == 403
    assert "no longer hold the rights" in refused.content.decode()
    assert Event.objects.filter(action=EventAction.DOWNLOADED).count() == 1  # a refusal is not a download


def test_the_view_right_must_still_cover_the_exported_area(world):
    """The street admin's export covers the whole street: once they only hold community A it is
    refused. A secretary who gains the street keeps their community A export."""
    admin, secretary = world.users.admin, world.users.secretary
    street_export = export_people(admin)
    community_export = export_people(secretary)
    revoke_roles(admin)
    grant_role(actor=as_actor(None), user=admin, role=Role.COMMUNITY_SECRETARY, node=world.community_a)
    grant_role(actor=as_actor(None), user=secretary, role=Role.DISTRICT_ADMIN, node=world.street)
    assert download(admin, street_export).status_code == 403
    assert download(secretary, community_export).status_code == 200
    event = Event.objects.get(action=EventAction.DOWNLOADED)
    assert event.changes["full_numbers"] == [None, False]


def test_the_dues_bill_needs_the_view_right_over_its_organisation(world):
    secretary = world.users.secretary
    job = dues_bill_export_start(actor=as_actor(secretary), organization=world.committee_a, month=dt.date(2026, 10, 1))
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert download(secretary, job).status_code == 200
    revoke_roles(secretary)
    assert download(secretary, job).status_code == 403


def test_an_old_file_has_expired_and_the_sweep_deletes_it(world, settings):
    settings.DANGJIAN = override(EXPORT_RETENTION_HOURS=2)
    secretary = world.users.secretary
    job = export_people(secretary, full=True)
    stored = job.file.name
    assert default_storage.exists(stored)
    with time_machine.travel(job.finished_at + dt.timedelta(hours=1), tick=False):
        assert download(secretary, job).status_code == 200
    with time_machine.travel(job.finished_at + dt.timedelta(hours=2, minutes=1), tick=False):
        page = english(secretary).get(reverse("jobs:detail", args=[job.pk])).content.decode()
        assert reverse("jobs:download", args=[job.pk]) not in page
        assert "kept for 2 hours" in page
        expired = download(secretary, job)
        assert expired.status_code == 410
        assert "kept for 2 hours" in expired.content.decode()
        assert default_storage.exists(stored)  # until the sweep runs
        call_command("servicedesk_sweep", verbosity=0)
    job.refresh_from_db()
    assert not job.file and job.file_name  # the content is gone, the record of it stays
    assert not default_storage.exists(stored)
    assert download(secretary, job).status_code == 410
    assert Event.objects.filter(action=EventAction.DOWNLOADED).count() == 1


def test_a_file_with_full_numbers_also_needs_the_unmask_right():
    """No role keeps export and view without unmask, so the rule is shown on scopes directly."""
    area = NodeSet(region_paths=("00010001",))
    full_scope = Scope(user_id=1, grants={VIEW: area, EXPORT: area, UNMASK: area})
    without_unmask = Scope(user_id=1, grants={VIEW: area, EXPORT: area})

    def actor_with(scope: Scope) -> Actor:
        actor = Actor(user=None, via="web")
        actor.__dict__["scope"] = scope  # the cached scope, as if computed from grants
        return actor

    masked = list_export_needs(actor_with(full_scope), full=False)
    full = list_export_needs(actor_with(full_scope), full=True)
    assert needs_held(masked, actor=actor_with(without_unmask))
    assert not needs_held(full, actor=actor_with(without_unmask))
    assert needs_held(full, actor=actor_with(full_scope))
    wider = NodeSet(region_paths=("0001",))
    assert needs_held(full, actor=actor_with(Scope(user_id=1, grants={VIEW: wider, EXPORT: wider, UNMASK: wider})))
    assert not needs_held(full, actor=actor_with(Scope(user_id=1, grants={VIEW: NodeSet(region_paths=("00010002",))})))
    assert not needs_held(None, actor=actor_with(full_scope))  # a file made before rights were recorded


def test_uploaded_import_files_are_deleted_after_their_retention_and_a_late_confirm_asks_again(world):
    """A roster checked but never imported must not stay in storage for ever (it holds ID numbers)."""
    from django.core.exceptions import ValidationError
    from django.core.files.base import ContentFile

    from dangjian.core.importing import import_confirm
    from dangjian.core.jobs import import_uploads_expire

    KIND_CHECK = "roster_import_check"

    stored = default_storage.save("imports/roster.csv", ContentFile("姓名,公民身份号码\n".encode()))
    busy_file = default_storage.save("imports/busy.csv", ContentFile(b"x"))
    finished = timezone.now() - dt.timedelta(hours=73)
    check = Job.objects.create(
        kind=KIND_CHECK,
        label="检查",
        created_by=world.users.secretary,
        status=JobStatus.SUCCEEDED,
        finished_at=finished,
        params={"upload": stored, "name": "roster.csv", "target": world.branch_a1.pk, "importer": "members"},
        result={"valid": 3},
    )
    Job.objects.create(
        kind=KIND_CHECK,
        label="旧",
        created_by=world.users.secretary,
        status=JobStatus.SUCCEEDED,
        finished_at=finished,
        params={"upload": busy_file},
    )
    Job.objects.create(
        kind=KIND_CHECK,
        label="在跑",
        created_by=world.users.secretary,
        status=JobStatus.RUNNING,
        params={"upload": busy_file},
    )
    young = Job.objects.create(
        kind=KIND_CHECK,
        label="新",
        created_by=world.users.secretary,
        status=JobStatus.SUCCEEDED,
        finished_at=timezone.now() - dt.timedelta(hours=70),
        params={"upload": stored + "x"},
    )
    assert import_uploads_expire(actor=as_actor(None)) == 1
    assert not default_storage.exists(stored) and default_storage.exists(busy_file)
    check.refresh_from_db()
    assert check.params == {
        "name": "roster.csv",
        "target": world.branch_a1.pk,
        "importer": "members",
        "upload_expired": True,
    }
    assert Job.objects.get(pk=young.pk).params["upload"] == stored + "x"
    with pytest.raises(ValidationError) as refused:
        import_confirm(actor=as_actor(world.users.secretary), check=check)
    assert "upload" in refused.value.messages[0] or "上传" in refused.value.messages[0]
