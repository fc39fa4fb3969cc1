"""Exporting the (filtered) audit page to .xlsx as a background job: the same selector and filters
as the page, run as the admin who asked; the export is itself an event, and its file can be
downloaded only while the admin still may give roles (audit) and export."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_tasks import task

from dangjian.accounts.forms import audit_filters
from dangjian.accounts.roles import GRANT
from dangjian.accounts.selectors import AUDIT_COUNT_LIMIT, audit_events, describe_event
from dangjian.core.actors import Actor
from dangjian.core.exports import list_export_start, list_export_write
from dangjian.core.jobs import need_right, run_job
from dangjian.core.models import Job

KIND = "audit_export"
MAX_ROWS = 10 * AUDIT_COUNT_LIMIT  # a year of a street's events; narrow the dates for more


def audit_export_start(*, actor: Actor, query: str, full_numbers: bool = False) -> Job:
    """Queue an export of the audit page as filtered by ``query``. Never with full numbers: events
    hold masked values only."""
    if not actor.scope.can(GRANT):
        raise PermissionDenied
    return list_export_start(
        actor=actor, kind=KIND, label=_("Export of the audit log"), query=query, full_numbers=False, task=export_audit
    )


def _headers() -> list[str]:
    return [
        _("Time"),
        _("Login name"),
        _("Full name"),
        _("Action"),
        _("Kind of record"),
        pgettext("audit", "Record"),
        _("Changes"),
        _("Reason"),
        _("IP address"),
    ]


def _write(job: Job, actor: Actor) -> None:
    _form, filters = audit_filters(QueryDict(job.params.get("query", "")))
    events = audit_events(actor=actor, filters=filters)[:MAX_ROWS]

    def rows() -> Any:
        for event in events.iterator(chunk_size=2000):
            describe_event(event)
            yield [
                timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
                event.actor.username if event.actor else "",
                str(event.actor) if event.actor else _("the system"),
                event.get_action_display(),
                str(event.type_label),  # type: ignore[attr-defined]
                event.target_label,
                "；".join(f"{label}: {old or '—'} → {new or '—'}" for label, old, new in event.rows),  # type: ignore[attr-defined]
                event.reason,
                event.ip_address or "",
            ]

    list_export_write(
        job,
        actor=actor,
        sheet=_("Audit log"),
        headers=_headers(),
        rows=rows,
        total=min(events.count(), MAX_ROWS),
        file_stem=_("audit"),
        full=False,
        widths=[20, 14, 12, 14, 14, 28, 60, 30, 16],
        needs=[need_right(GRANT)],
    )


@task()
def export_audit(job_id: int) -> None:
    run_job(job_id, _write)
