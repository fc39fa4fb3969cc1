"""Exporting the (filtered) member roster to .xlsx as a background job.

Runs as the user who asked, through the roster's selector and the access layer; ID and mobile
numbers are masked unless the user asked for full numbers and may unmask that person's (the rule
of the person's page, row by row); every export is an event (core/exports.py). The columns are those of the import template, so an export can be edited and
imported back.
"""

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django_tasks import task

from dangjian.core.actors import Actor
from dangjian.core.exports import list_export_start, list_export_write, number, wants_full_numbers, with_unmask_right
from dangjian.core.jobs import run_job
from dangjian.core.models import Job
from dangjian.membership.forms import member_filters
from dangjian.membership.importing.members import TEMPLATE_COLUMNS
from dangjian.membership.roster.selectors import member_list

KIND = "roster_export"


def roster_export_start(*, actor: Actor, query: str, full_numbers: bool = False) -> Job:
    return list_export_start(
        actor=actor,
        kind=KIND,
        label=_("Export of the member roster"),
        query=query,
        full_numbers=full_numbers,
        task=export_roster,
    )


def _write(job: Job, actor: Actor) -> None:
    _form, filters, _params = member_filters(QueryDict(job.params.get("query", "")), actor=actor)
    members = with_unmask_right(
        member_list(actor=actor, filters=filters)
        .select_related("person__region", "person__region__parent")
        .prefetch_related("specialties"),
        actor=actor,
        person="person",
    )
    full = wants_full_numbers(job, actor=actor)

    def row(member: Any) -> list[Any]:
        person = member.person
        values = {
            "name": person.name,
            "gender": person.get_gender_display(),
            "ethnicity": person.ethnicity,
            "birth_date": person.birth_date,
            "id_number": number(member, person, "id_number", full=full),
            "phone": number(member, person, "phone", full=full),
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

    list_export_write(
        job,
        actor=actor,
        sheet=_("Party members"),
        headers=[column.label for column in TEMPLATE_COLUMNS],
        rows=lambda: (row(m) for m in members.iterator(chunk_size=2000)),
        total=members.count(),
        file_stem=_("party-members"),
        full=full,
        widths=[column.width for column in TEMPLATE_COLUMNS],
    )


@task()
def export_roster(job_id: int) -> None:
    run_job(job_id, _write)
