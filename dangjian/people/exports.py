"""Exporting the (filtered) people list to .xlsx as a background job.

The export runs as the user who asked for it, through the same selector and access layer as the
list page, so it can never contain more than that user may see. ID and mobile numbers are
masked unless the user asked for full numbers and may unmask them; every export is an event.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks import task

from dangjian.core import crypto
from dangjian.core.access import EXPORT, UNMASK, scope_for
from dangjian.core.events import EventAction, record_event
from dangjian.core.jobs import job_progress, job_running, job_start, job_succeeded, run_job
from dangjian.core.models import Job
from dangjian.core.spreadsheets import build_xlsx
from dangjian.people.forms import people_filters
from dangjian.people.selectors import people_list

KIND = "people_export"


def people_export_start(*, actor: Any, query: str, full_numbers: bool = False) -> Job:
    """Queue an export of the people list as filtered by ``query`` (the list page's query string)."""
    scope = scope_for(actor)
    if not scope.can(EXPORT) or (full_numbers and not scope.can(UNMASK)):
        raise PermissionDenied
    with transaction.atomic():
        return job_start(
            actor=actor,
            kind=KIND,
            label=_("Export of the people list"),
            params={"query": query, "full_numbers": full_numbers},
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


def _write(job: Job) -> None:
    user = job.created_by
    _form, filters, _params = people_filters(QueryDict(job.params.get("query", "")), user=user)
    people = people_list(user=user, filters=filters).prefetch_related("tags")
    full = job.params.get("full_numbers") and scope_for(user).can(UNMASK)
    total = people.count()
    job_running(job, total=total)
    rows = (
        [
            person.name,
            person.get_gender_display(),
            person.birth_date,
            crypto.decrypt(person.id_number_encrypted) if full else person.id_number_masked,
            crypto.decrypt(person.phone_encrypted) if full else person.phone_masked,
            person.region.parent.name if person.region.parent is not None else "",
            person.region.name,
            person.address,
            "、".join(tag.name for tag in person.tags.all()),
            (person.member.get_stage_display() if getattr(person, "member", None) else ""),
            person.get_status_display(),
        ]
        for person in people.iterator(chunk_size=2000)
    )
    content, done = build_xlsx(
        _("People"), [_(title) for _key, title in COLUMNS], rows, on_row=lambda n: job_progress(job, n)
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    file_name = "{}-{}.xlsx".format(_("people"), stamp)
    job_succeeded(job, file_name=file_name, content=content, result={"rows": done, "full_numbers": bool(full)})
    record_event(
        actor=user,
        action=EventAction.EXPORTED,
        target=job,
        changes={
            "rows": [None, done],
            "full_numbers": [None, bool(full)],
            "filters": [None, job.params.get("query", "")],
        },
    )


@task()
def export_people(job_id: int) -> None:
    run_job(job_id, _write)
