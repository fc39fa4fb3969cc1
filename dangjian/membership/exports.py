"""Exporting the (filtered) member roster to .xlsx as a background job.

Runs as the user who asked, through the roster's selector and the access layer; ID and mobile
numbers are masked unless the user asked for full numbers and may unmask them; every export is
an event. The columns are those of the import template, so an export can be edited and
imported back.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from dangjian.core import crypto
from dangjian.core.access import EXPORT, UNMASK, scope_for
from dangjian.core.events import EventAction, record_event
from dangjian.core.jobs import job_progress, job_running, job_start, job_succeeded, run_job
from dangjian.core.models import Job
from dangjian.core.spreadsheets import build_xlsx
from dangjian.membership.forms import member_filters
from dangjian.membership.importing import TEMPLATE_COLUMNS
from dangjian.membership.selectors import member_list

KIND = "roster_export"


def roster_export_start(*, actor: Any, query: str, full_numbers: bool = False) -> Job:
    scope = scope_for(actor)
    if not scope.can(EXPORT) or (full_numbers and not scope.can(UNMASK)):
        raise PermissionDenied
    with transaction.atomic():
        return job_start(
            actor=actor,
            kind=KIND,
            label=_("Export of the member roster"),
            params={"query": query, "full_numbers": full_numbers},
            task=export_roster,
        )


def _write(job: Job) -> None:
    user = job.created_by
    _form, filters, _params = member_filters(QueryDict(job.params.get("query", "")), user=user)
    members = (
        member_list(user=user, filters=filters)
        .select_related("person__region", "person__region__parent")
        .prefetch_related("specialties")
    )
    full = bool(job.params.get("full_numbers") and scope_for(user).can(UNMASK))
    job_running(job, total=members.count())

    def row(member: Any) -> list[Any]:
        person = member.person
        values = {
            "name": person.name,
            "gender": person.get_gender_display(),
            "ethnicity": person.ethnicity,
            "birth_date": person.birth_date,
            "id_number": crypto.decrypt(person.id_number_encrypted) if full else person.id_number_masked,
            "phone": crypto.decrypt(person.phone_encrypted) if full else person.phone_masked,
            "education": person.get_education_display(),
            "organization": member.organization.name,
            "stage": member.get_stage_display(),
            "category": member.get_category_display(),
            "applied_on": member.applied_on,
            "joined_on": member.joined_on,
            "full_on": member.full_on,
            "grid": person.region.name,
            "address": person.address,
            "specialties": "、".join(tag.name for tag in member.specialties.all()),
        }
        return [values[column.key] for column in TEMPLATE_COLUMNS]

    content, done = build_xlsx(
        _("Party members"),
        [column.label for column in TEMPLATE_COLUMNS],
        (row(m) for m in members.iterator(chunk_size=2000)),
        on_row=lambda n: job_progress(job, n),
        widths=[column.width for column in TEMPLATE_COLUMNS],
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    job_succeeded(
        job,
        file_name="{}-{}.xlsx".format(_("party-members"), stamp),
        content=content,
        result={"rows": done, "full_numbers": full},
    )
    record_event(
        actor=user,
        action=EventAction.EXPORTED,
        target=job,
        changes={
            "rows": [None, done],
            "full_numbers": [None, full],
            "filters": [None, job.params.get("query", "")],
        },
    )


@task()
def export_roster(job_id: int) -> None:
    run_job(job_id, _write)
