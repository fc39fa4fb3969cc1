"""Starting background jobs and reporting their progress.

A service calls ``job_start`` inside its transaction; the task is enqueued only once that
transaction commits (so a worker never sees a job that was rolled back). The task calls
``job_running``, ``job_progress`` as it goes and ``job_succeeded`` or ``job_failed`` at the end.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language, override

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.models import Job, JobStatus

PROGRESS_EVERY = 500  # rows between progress writes


def job_start(*, actor: Actor, kind: str, label: str, params: dict[str, Any], task: Any) -> Job:
    """Create the job (in the requester's language, which ``run_job`` uses for its output)."""
    if actor.user is None:  # a job is someone's: its file and progress are theirs to see
        raise PermissionDenied
    params = {**params, "language": get_language()}
    job = Job.objects.create(kind=kind, label=label, params=params, created_by=actor.user)
    transaction.on_commit(lambda: task.enqueue(job.pk))
    return job


def job_running(job: Job, *, total: int) -> None:
    job.status, job.total, job.started_at = JobStatus.RUNNING, total, timezone.now()
    job.save(update_fields=["status", "total", "started_at"])


def job_progress(job: Job, done: int) -> None:
    if done % PROGRESS_EVERY == 0 or done == job.total:
        Job.objects.filter(pk=job.pk).update(done=done)


def job_succeeded(job: Job, *, file_name: str, content: bytes, result: dict[str, Any]) -> None:
    job.file.save(file_name, ContentFile(content), save=False)
    job.file_name = file_name
    job.status, job.done, job.result, job.finished_at = JobStatus.SUCCEEDED, job.total, result, timezone.now()
    job.save()


def job_failed(job: Job, error: str) -> None:
    job.status, job.error, job.finished_at = JobStatus.FAILED, error[:2000], timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])


def job_actor(job: Job) -> Actor:
    """Who a job acts as: the user who asked for it, with the scope they have now (a right
    revoked since the job was queued no longer applies)."""
    return Actor.for_user(job.created_by, via="job")


def run_job(job_id: int, work: Callable[[Job, Actor], None]) -> None:
    """Run ``work(job, actor)`` in the language the job was asked for (file names, headers,
    messages); any exception marks the job failed (and is re-raised for the worker's log)."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    with override(job.params.get("language") or settings.LANGUAGE_CODE):
        try:
            work(job, job_actor(job))
        except Exception as exc:
            job_failed(job, f"{type(exc).__name__}: {exc}")
            raise


def job_for(*, actor: Actor, pk: int) -> Job:
    job = restrict(Job.objects.all(), actor, VIEW).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job
