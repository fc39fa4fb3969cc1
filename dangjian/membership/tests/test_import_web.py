"""The roster import pages: upload → check job (dry run) → confirm → import job, each job run by
the real database worker, through the test client with real .xlsx files."""

import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from dangjian.core import crypto
from dangjian.core import importing as imports
from dangjian.core.models import Event, EventAction, Job, JobStatus
from dangjian.membership.importing.members import TEMPLATE_COLUMNS
from dangjian.people.models import Member, Person
from dangjian.people.services import ID_PURPOSE
from tests.factories import as_actor, make_id_number

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KEYS = ("name", "id_number", "phone", "organization", "stage", "joined_on", "full_on", "grid")
LABEL = {column.key: column.label for column in TEMPLATE_COLUMNS}


def run_worker() -> None:
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def roster(rows: list[dict[str, Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([LABEL[key] for key in KEYS])
    for values in rows:
        sheet.append([values.get(key) for key in KEYS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def member_row(name: str, id_number: str, **values: Any) -> dict[str, Any]:
    return {
        "name": name,
        "id_number": id_number,
        "organization": "红钢城社区第一党支部",
        "stage": "正式党员",
        "joined_on": "2010-07-01",
        "full_on": "2011-07-01",
        "grid": "第一网格",
        **values,
    }


def upload(client, organization, content: bytes, name: str = "roster.xlsx"):
    return client.post(
        reverse("imports:upload", args=["members"]),
        {"target": organization.pk, "file": SimpleUploadedFile(name, content, content_type=XLSX_TYPE)},
    )


def job_from(response) -> Job:
    assert response.status_code == 302, response.content.decode()[:500]
    return Job.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def has_member(id_number: str) -> bool:
    return Member.objects.filter(person__id_number_hash=crypto.search_hash(id_number, purpose=ID_PURPOSE)).exists()


@pytest.mark.django_db
def test_the_upload_form_is_shown(world, client):
    client.force_login(world.users.secretary)
    response = client.get(reverse("imports:upload", args=["members"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="file"' in page
    assert reverse("imports:template", args=["members"]) in page
    choices = list(response.context["form"].fields["target"].queryset)
    assert choices == [world.committee_a, world.branch_a1, world.branch_a2]  # no groups, no community B


@pytest.mark.django_db
def test_a_user_who_may_not_create_members_has_no_import_page(world, client):
    client.force_login(world.users.branch)  # may view and change, not create
    assert client.get(reverse("imports:upload", args=["members"])).status_code == 404


@pytest.mark.django_db
def test_a_text_file_is_refused_on_the_form(world, client, settings, tmp_path):
    client.force_login(world.users.secretary)
    response = upload(client, world.branch_a1, b"name,id\n", "roster.txt")
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_an_oversize_file_is_refused_and_not_stored(world, client, monkeypatch):
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 100)
    client.force_login(world.users.secretary)
    response = upload(client, world.branch_a1, roster([member_row("周一", make_id_number(dt.date(1980, 1, 2)))]))
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Job.objects.exists()
    assert not default_storage.exists("imports") or not default_storage.listdir("imports")[1]


@pytest.mark.django_db
def test_an_organisation_outside_the_users_scope_is_not_a_choice(world, client):
    client.force_login(world.users.secretary)
    response = upload(client, world.branch_b1, roster([member_row("周一", make_id_number(dt.date(1980, 1, 2)))]))
    assert response.status_code == 200
    assert response.context["form"].errors["target"]
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_upload_check_confirm_and_import(world, client):
    ids = [make_id_number(dt.date(1980, 1, 2)), make_id_number(dt.date(1985, 2, 3))]
    content = roster(
        [
            member_row("周一", ids[0], phone="13811112222"),
            member_row("吴二", ids[1]),
            member_row("郑三", make_id_number(dt.date(1990, 3, 4)), phone="138"),  # row 4: a problem
        ]
    )
    client.force_login(world.users.secretary)
    check = job_from(upload(client, world.branch_a1, content))
    assert check.kind == "roster_import_check"
    assert check.status == JobStatus.QUEUED
    assert response_url(check) == reverse("imports:job", args=[check.pk])
    people_before = Person.objects.count()
    page = client.get(reverse("imports:job", args=[check.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page  # polls while queued
    assert reverse("imports:confirm", args=[check.pk]) not in page

    run_worker()
    check.refresh_from_db()
    assert check.status == JobStatus.SUCCEEDED, check.error
    assert check.result["valid"] == 2
    assert check.result["total"] == 3
    assert [(p["row"], p["column"]) for p in check.result["errors"]] == [(4, "手机号码")]
    assert Person.objects.count() == people_before  # the check wrote nothing
    page = client.get(reverse("imports:job", args=[check.pk])).content.decode()
    assert "every 1s" not in page
    assert reverse("imports:confirm", args=[check.pk]) in page  # the confirm button
    assert ">4</td>" in page and "手机号码" in page  # the problem by row and column
    assert reverse("jobs:download", args=[check.pk]) in page  # and the list of problems

    job = job_from(client.post(reverse("imports:confirm", args=[check.pk])))
    assert job.kind == "roster_import"
    assert job.params["check"] == check.pk
    assert not has_member(ids[0])  # queued, not yet run
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.result["created"], job.result["updated"], job.result["unchanged"]) == (2, 0, 0)
    assert has_member(ids[0]) and has_member(ids[1])
    assert Person.objects.count() == people_before + 2
    imported = Event.objects.get(action=EventAction.IMPORTED)
    assert imported.actor == world.users.secretary
    assert imported.changes["created"] == [None, 2]
    assert imported.target_id == world.branch_a1.pk
    assert not default_storage.exists(check.params["upload"])  # the upload is deleted after the import
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert reverse("imports:confirm", args=[job.pk]) not in page

    # The check now links to its import and cannot be confirmed a second time.
    check.refresh_from_db()
    assert check.result["imported_by_job"] == job.pk
    page = client.get(reverse("imports:job", args=[check.pk])).content.decode()
    assert reverse("imports:job", args=[job.pk]) in page
    assert reverse("imports:confirm", args=[check.pk]) not in page
    response = client.post(reverse("imports:confirm", args=[check.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:job", args=[check.pk])
    assert len(list(get_messages(response.wsgi_request))) == 1
    assert Job.objects.filter(kind="roster_import").count() == 1
    run_worker()
    assert Event.objects.filter(action=EventAction.IMPORTED).count() == 1


def response_url(job: Job) -> str:
    return reverse("imports:job", args=[job.pk])


@pytest.mark.django_db(transaction=True)
def test_a_check_cannot_be_confirmed_before_it_finished_or_without_valid_rows(world, client):
    client.force_login(world.users.secretary)
    check = job_from(upload(client, world.branch_a1, roster([member_row("周一", make_id_number(dt.date(1980, 1, 2)))])))
    response = client.post(reverse("imports:confirm", args=[check.pk]))  # still queued
    assert response["Location"] == reverse("imports:job", args=[check.pk])
    assert len(list(get_messages(response.wsgi_request))) == 1
    assert not Job.objects.filter(kind="roster_import").exists()

    bad = job_from(upload(client, world.branch_a1, roster([member_row("吴二", "420107198502030000")])))
    run_worker()
    bad.refresh_from_db()
    assert (bad.status, bad.result["valid"]) == (JobStatus.SUCCEEDED, 0)
    page = client.get(reverse("imports:job", args=[bad.pk])).content.decode()
    assert reverse("imports:confirm", args=[bad.pk]) not in page
    response = client.post(reverse("imports:confirm", args=[bad.pk]))
    assert response["Location"] == reverse("imports:job", args=[bad.pk])
    assert not Job.objects.filter(kind="roster_import").exists()


@pytest.mark.django_db(transaction=True)
def test_another_user_cannot_see_or_confirm_the_check(world, client):
    client.force_login(world.users.secretary)
    check = job_from(upload(client, world.branch_a1, roster([member_row("周一", make_id_number(dt.date(1980, 1, 2)))])))
    run_worker()
    for other in (world.users.outsider, world.users.admin, world.users.staff):
        client.force_login(other)
        assert client.get(reverse("imports:job", args=[check.pk])).status_code == 404
        assert client.post(reverse("imports:confirm", args=[check.pk])).status_code == 404
        assert client.get(reverse("jobs:download", args=[check.pk])).status_code == 404
    assert not Job.objects.filter(kind="roster_import").exists()


@pytest.mark.django_db
def test_an_export_job_is_not_shown_as_an_import(world, client):
    from dangjian.membership.roster.exports import roster_export_start

    job = roster_export_start(actor=as_actor(world.users.secretary), query="")
    client.force_login(world.users.secretary)
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert client.post(reverse("imports:confirm", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_the_template_downloads_as_xlsx(world, client):
    client.force_login(world.users.secretary)
    response = client.get(reverse("imports:template", args=["members"]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"].startswith("attachment")
    assert ".xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    header = [cell.value for cell in workbook.worksheets[0][1]]
    assert [h.lstrip("*") for h in header] == [column.label for column in TEMPLATE_COLUMNS]


@pytest.mark.django_db
def test_the_import_pages_need_a_login(world, client):
    response = client.get(reverse("imports:template", args=["members"]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
