"""Starting background jobs, reporting their progress, and keeping their files.

A service calls ``job_start`` inside its transaction; the task is enqueued only once that
transaction commits (so a worker never sees a job that was rolled back). The task calls
``job_running``, ``job_progress`` as it goes and ``job_succeeded`` or ``job_failed`` at the end.

A job must not die of a busy database: its writes give way to a lock instead of raising
(``_write``), a failed job lets go of its open cursors before its failure is written
(``run_job``), and the sweep fails the jobs that stopped giving signs of life
(``jobs_stalled_fail``), so that their users can run them again.

A job's file is its starter's, for EXPORT_RETENTION_HOURS (then the sweep deletes it:
``job_files_expire``), and only while they still hold the rights it was made with: the job
keeps them as ``needs`` (``need_right``, ``need_scope``, ``need_record``), checked again at
each download (``job_file_download``), which is recorded as an event.
"""

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import OperationalError, connections, models, router, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.db.models.sql import UpdateQuery
from django.db.models.sql.constants import ROW_COUNT
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop, override

from dangjian.core.access import VIEW, NodeSet, restrict
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.core.events import record_event
from dangjian.core.models import EventAction, Job, JobStatus

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 500  # rows between progress writes
INTERRUPTED = gettext_noop("The background job was interrupted; please run it again.")


def job_start(*, actor: Actor, kind: str, label: str, params: dict[str, Any], task: Any) -> Job:
    """Create the job (in the requester's language, which ``run_job`` uses for its output)."""
    if actor.user is None:  # a job is someone's: its file and progress are theirs to see
        raise PermissionDenied
    params = {**params, "language": get_language()}
    job = Job.objects.create(kind=kind, label=label, params=params, created_by=actor.user)
    transaction.on_commit(lambda: task.enqueue(job.pk))
    return job


# ---------------------------------------------------------------------------------------------
# Writing a running job's state


def _is_locked(error: OperationalError) -> bool:
    return "is locked" in str(error)


def _write(job: Job, **fields: Any) -> bool:
    """Write ``fields`` (and a heartbeat) to the job's row now; True when written.

    On SQLite a connection that reads through an open cursor (an export's rows) cannot write
    once another connection has written — "database is locked" at once, whatever the busy
    timeout — so after a lock error the write is tried on a fresh connection. If the database
    stays locked beyond the busy timeout the write is given up, not raised: the next progress
    write, the job's end or the sweep's watchdog follows."""
    now = timezone.now()
    fields["heartbeat_at"] = now
    for name, value in fields.items():
        setattr(job, name, value)
    alias = job._state.db or router.db_for_write(Job)
    try:
        Job.objects.using(alias).filter(pk=job.pk).update(**fields)
        return True
    except OperationalError as error:
        if not _is_locked(error):
            raise
    aside = connections.create_connection(alias)
    try:
        query = UpdateQuery(Job)
        query.add_update_values(fields)
        query.add_q(Q(pk=job.pk))
        query.get_compiler(connection=aside).execute_sql(ROW_COUNT)
        return True
    except OperationalError as error:
        if not _is_locked(error):
            raise
        logger.warning("Job %s: the database stayed locked; %s not written", job.pk, ", ".join(sorted(fields)))
        return False
    finally:
        aside.close()


def job_running(job: Job, *, total: int) -> None:
    _write(job, status=JobStatus.RUNNING, total=total, started_at=timezone.now())


def job_progress(job: Job, done: int, *, total: int | None = None, every: int = PROGRESS_EVERY) -> bool:
    """``done`` rows (of a new ``total``, if given) written every ``every`` rows (PROGRESS_EVERY
    for exports; a job of few long steps writes each) and at the end; each write is also the job's
    heartbeat. True when written now."""
    if total is not None:
        job.total = total
    if done % every and done != job.total:
        return False
    return _write(job, done=done, total=job.total)


def job_succeeded(
    job: Job, *, file_name: str, content: bytes, result: dict[str, Any], needs: list[dict[str, Any]]
) -> None:
    """Keep the file and the result; ``needs`` are the rights that whoever downloads the file
    must still hold (``need_right``, ``need_scope``, ``need_record``)."""
    job.file.save(file_name, ContentFile(content), save=False)
    written = _write(
        job,
        file=job.file.name,
        file_name=file_name,
        status=JobStatus.SUCCEEDED,
        done=job.total,
        total=job.total,
        result={**result, "needs": needs},
        finished_at=timezone.now(),
    )
    if not written:
        job.file.delete(save=False)
        raise RuntimeError("the database stayed locked: the job's result could not be recorded")


def job_failed(job: Job, error: str) -> None:
    if not _write(job, status=JobStatus.FAILED, error=error[:2000], finished_at=timezone.now()):
        logger.error("Job %s failed (%s) and the failure could not be recorded", job.pk, error[:200])


def job_actor(job: Job) -> Actor:
    """Who a job acts as: the user who asked for it, with the scope they have now (a right
    revoked since the job was queued no longer applies)."""
    return Actor.for_user(job.created_by, via="job")


def run_job(job_id: int, work: Callable[[Job, Actor], None]) -> None:
    """Run ``work(job, actor)`` in the language the job was asked for (file names, headers,
    messages); any exception marks the job failed (and is re-raised for the worker's log). A job
    that has finished meanwhile (the sweep gave it up and told its user to run it again) is not
    run."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.finished:
        return
    with override(job.params.get("language") or settings.LANGUAGE_CODE):
        try:
            work(job, job_actor(job))
        except Exception as exc:
            # Let go of what the failed work still holds, above all an open cursor, which on
            # SQLite would refuse this connection's writes: the failure's and the worker's own.
            traceback.clear_frames(exc.__traceback__)
            job_failed(job, f"{type(exc).__name__}: {exc}")
            raise


def job_for(*, actor: Actor, pk: int) -> Job:
    job = restrict(Job.objects.all(), actor, VIEW).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


# ---------------------------------------------------------------------------------------------
# What a job's file needs of whoever downloads it: a list kept in ``job.result["needs"]``, each
# an action and where — anywhere, over every node the job's actor held it at, or over one record.


def need_right(action: str) -> dict[str, Any]:
    """The right to ``action`` somewhere (e.g. to export at all)."""
    return {"action": action}


def need_scope(actor: Actor, action: str) -> dict[str, Any]:
    """The right to ``action`` over everything ``actor`` may ``action`` now (what a list
    exported through the access layer may contain): the same nodes or wider ones."""
    scope = actor.scope
    return {"action": action, "scope": "all" if scope.superuser else scope.nodes(action).as_data()}


def need_record(action: str, record: models.Model) -> dict[str, Any]:
    """The right to ``action`` on ``record`` (e.g. to view the organisation of a dues bill)."""
    return {"action": action, "record": [record._meta.label_lower, record.pk]}


def needs_held(needs: list[dict[str, Any]] | None, *, actor: Actor) -> bool:
    """Whether ``actor`` holds every right of ``needs`` now. A file kept without its needs (made
    before they were recorded) is nobody's to download."""
    if needs is None:
        return False
    scope = actor.scope
    for need in needs:
        action = need["action"]
        if "record" in need:
            label, pk = need["record"]
            model = apps.get_model(label)
            if not restrict(model._default_manager.filter(pk=pk), actor, action).exists():
                return False
        elif "scope" in need:
            if scope.superuser:
                continue
            if need["scope"] == "all" or not scope.nodes(action).covers(NodeSet.from_data(need["scope"])):
                return False
        elif not scope.can(action):
            return False
    return True


class JobFileExpired(Exception):
    """The file was kept for EXPORT_RETENTION_HOURS and is (or is about to be) deleted."""


def job_file_download(*, actor: Actor, pk: int) -> Job:
    """The job whose file ``actor`` downloads now, the download recorded as an event (who, which
    job, whether the file has full ID and phone numbers). Http404: not the actor's job, or no
    file; JobFileExpired: kept longer than EXPORT_RETENTION_HOURS; PermissionDenied: the actor
    no longer holds the rights the file was made with."""
    job = job_for(actor=actor, pk=pk)
    if job.status != JobStatus.SUCCEEDED or not job.file_name:
        raise Http404
    if job.file_expired_by(actor.now):
        raise JobFileExpired
    if not needs_held(job.result.get("needs"), actor=actor):
        raise PermissionDenied
    record_event(
        actor=actor,
        action=EventAction.DOWNLOADED,
        target=job,
        changes={"file": [None, job.file_name], "full_numbers": [None, bool(job.result.get("full_numbers"))]},
    )
    return job


# ---------------------------------------------------------------------------------------------
# Housekeeping (the periodic sweep: core/housekeeping.py)


def jobs_stalled_fail(*, actor: Actor) -> int:
    """Fail the jobs queued or running without a sign of life (a progress write) for
    JOB_STALL_MINUTES: their worker died or was stopped. Their users see that the job was
    interrupted and may run it again; a worker that picks such a job up later leaves it."""
    cutoff = actor.now - dt.timedelta(minutes=config().job_stall_minutes)
    stalled = (
        Job.objects.filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING))
        .alias(last_sign=Coalesce("heartbeat_at", "started_at", "created_at"))
        .filter(last_sign__lt=cutoff)
    )
    failed = 0
    for job in stalled:
        with override(job.params.get("language") or settings.LANGUAGE_CODE):
            message = gettext(INTERRUPTED)
        failed += Job.objects.filter(pk=job.pk, status=job.status).update(
            status=JobStatus.FAILED, error=message, finished_at=actor.now, result={**job.result, "interrupted": True}
        )
    return failed


def job_files_expire(*, actor: Actor) -> int:
    """Delete the content of the job files kept for EXPORT_RETENTION_HOURS (the job keeps the
    file's name, so that its page can say the file has expired)."""
    cutoff = actor.now - dt.timedelta(hours=config().export_retention_hours)
    deleted = 0
    for job in Job.objects.filter(finished_at__lte=cutoff).exclude(file=""):
        job.file.delete(save=False)
        deleted += Job.objects.filter(pk=job.pk).update(file="")
    return deleted


def import_uploads_expire(*, actor: Actor) -> int:
    """Delete uploaded import files (rosters with ID and phone numbers) kept IMPORT_UPLOAD_RETENTION_HOURS
    after the last job that used them finished, imported or not: the jobs keep their summaries
    and the list of problems; the events stay. A file still used by a queued or running job is
    kept. Returns how many files were deleted."""
    cutoff = actor.now - dt.timedelta(hours=config().import_upload_retention_hours)
    last_use: dict[str, Any] = {}  # upload → when its last job finished (None: one is still going)
    jobs_of: dict[str, list[int]] = {}
    for pk, params, finished_at in Job.objects.filter(params__has_key="upload").values_list(
        "pk", "params", "finished_at"
    ):
        upload = params["upload"]
        jobs_of.setdefault(upload, []).append(pk)
        if upload not in last_use or (
            last_use[upload] is not None and (finished_at is None or finished_at > last_use[upload])
        ):
            last_use[upload] = finished_at
    deleted = 0
    for upload, finished_at in last_use.items():
        if finished_at is None or finished_at > cutoff:
            continue
        with transaction.atomic():
            jobs = list(Job.objects.select_for_update().filter(pk__in=jobs_of[upload]))
            if any(job.finished_at is None for job in jobs):  # a confirm started one meanwhile
                continue
            if default_storage.exists(upload):
                default_storage.delete(upload)
                deleted += 1
            for job in jobs:
                params = {key: value for key, value in job.params.items() if key != "upload"}
                Job.objects.filter(pk=job.pk).update(params={**params, "upload_expired": True})
    return deleted
