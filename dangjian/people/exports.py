"""Exporting the (filtered) people list to .xlsx as a background job.

The export runs as the user who asked for it, through the same selector and access layer as the
list page, so it can never contain more than that user may see. ID and mobile numbers are
masked unless the user asked for full numbers and may unmask that person's; every export is an
event (core/exports.py).
"""

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks import task

from dangjian.core.actors import Actor
from dangjian.core.exports import list_export_start, list_export_write, number, wants_full_numbers, with_unmask_right
from dangjian.core.jobs import run_job
from dangjian.core.models import Job
from dangjian.people.forms import people_filters
from dangjian.people.selectors import people_list

KIND = "people_export"


def people_export_start(*, actor: Actor, query: str, full_numbers: bool = False) -> Job:
    """Queue an export of the people list as filtered by ``query`` (the list page's query string)."""
    return list_export_start(
        actor=actor,
        kind=KIND,
        label=_("Export of the people list"),
        query=query,
        full_numbers=full_numbers,
        task=export_people,
    )


COLUMNS = (
    ("name", gettext_noop("Full name")),
    ("gender", gettext_noop("Gender")),
    ("birth_date", gettext_noop("Date of birth")),
    ("id_number", gettext_noop("ID number")),
    ("phone", gettext_noop("Mobile")),
    ("community", gettext_noop("Community")),
    ("grid", gettext_noop("Grid")),
    ("address", gettext_noop("Address")),
    ("tags", gettext_noop("Tags")),
    ("member", gettext_noop("Party member")),
    ("status", gettext_noop("Status")),
)


def _write(job: Job, actor: Actor) -> None:
    _form, filters, _params = people_filters(QueryDict(job.params.get("query", "")), actor=actor)
    people = with_unmask_right(people_list(actor=actor, filters=filters).prefetch_related("tags"), actor=actor)
    full = wants_full_numbers(job, actor=actor)

    def rows() -> Any:
        for person in people.iterator(chunk_size=2000):
            yield [
                person.name,
                person.get_gender_display(),
                person.birth_date,
                number(person, person, "id_number", full=full),
                number(person, person, "phone", full=full),
                person.region.parent.name if person.region.parent is not None else "",
                person.region.name,
                person.address,
                "、".join(tag.name for tag in person.tags.all()),
                (person.member.get_stage_display() if getattr(person, "member", None) else ""),
                person.get_status_display(),
            ]

    list_export_write(
        job,
        actor=actor,
        sheet=_("People"),
        headers=[_(title) for _key, title in COLUMNS],
        rows=rows,
        total=people.count(),
        file_stem=_("people"),
        full=full,
    )


@task()
def export_people(job_id: int) -> None:
    run_job(job_id, _write)
