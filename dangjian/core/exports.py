"""List exports to .xlsx, written once: the job is queued only for those with the export right
(and the unmask right for full numbers), runs as the user who asked through the list's own
selector and the access layer, shows a full number only where the per-person rule allows it
(the same rule as “查看完整” on the person's page, row by row), and every export is an event.
Its file can be downloaded only while the user still holds the rights it was made with
(``list_export_needs``, checked by core.jobs.job_file_download)."""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.access import EXPORT, UNMASK, VIEW, annotate_allowed
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.core.jobs import job_progress, job_running, job_start, job_succeeded, need_right, need_scope
from dangjian.core.models import Job
from dangjian.core.spreadsheets import build_xlsx

MAY_UNMASK = "export_may_unmask"


def list_export_start(*, actor: Actor, kind: str, label: str, query: str, full_numbers: bool, task: Any) -> Job:
    """Queue the export of a list as filtered by ``query`` (the list page's query string)."""
    scope = actor.scope
    if not scope.can(EXPORT) or (full_numbers and not scope.can(UNMASK)):
        raise PermissionDenied
    with transaction.atomic():
        return job_start(
            actor=actor, kind=kind, label=label, params={"query": query, "full_numbers": full_numbers}, task=task
        )


def wants_full_numbers(job: Job, *, actor: Actor) -> bool:
    """Full numbers were asked for and the user may still unmask (checked again when the job runs)."""
    return bool(job.params.get("full_numbers") and actor.can(UNMASK))


def list_export_needs(actor: Actor, *, full: bool) -> list[dict[str, Any]]:
    """What a list export's file needs of whoever downloads it: the export right, the view right
    over all that ``actor`` (the job's) could see when it was made — the rows came through the
    access layer — and, for full numbers, the unmask right over the same."""
    needs = [need_right(EXPORT), need_scope(actor, VIEW)]
    if full:
        needs.append(need_scope(actor, UNMASK))
    return needs


def with_unmask_right(queryset: QuerySet, *, actor: Actor, person: str = "") -> QuerySet:
    """Mark each row with whether its person's numbers may be shown in full (``person``: the
    lookup from the row to the person, empty when the rows are people)."""
    return annotate_allowed(queryset, actor, UNMASK, relation=person, name=MAY_UNMASK)


def number(row: Any, person: Any, field: str, *, full: bool) -> str:
    """``person``'s ID or mobile number as the export shows it: in full when asked and allowed
    for this person, masked otherwise."""
    if full and getattr(row, MAY_UNMASK, False):
        return crypto.decrypt(getattr(person, f"{field}_encrypted"))
    return getattr(person, f"{field}_masked")


def list_export_write(
    job: Job,
    *,
    actor: Actor,
    sheet: str,
    headers: list[str],
    rows: Callable[[], Iterable[list[Any]]],
    total: int,
    file_stem: str,
    full: bool,
    widths: list[int] | None = None,
    needs: list[dict[str, Any]] | None = None,
) -> None:
    """Write the workbook with progress, keep it on the job, and record the export as an event.
    ``needs``: what a download requires beyond ``list_export_needs`` (e.g. the audit's right)."""
    job_running(job, total=total)

    def progress(done: int) -> None:
        job_progress(job, done)

    content, done = build_xlsx(sheet, headers, rows(), on_row=progress, widths=widths)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    job_succeeded(
        job,
        file_name=f"{file_stem}-{stamp}.xlsx",
        content=content,
        result={"rows": done, "full_numbers": full},
        needs=[*list_export_needs(actor, full=full), *(needs or [])],
    )
    record_event(
        actor=actor,
        action=EventAction.EXPORTED,
        target=job,
        changes={"rows": [None, done], "full_numbers": [None, full], "filters": [None, job.params.get("query", "")]},
    )
