"""Housekeeping the platform itself needs, run by the periodic sweep (``manage.py
servicedesk_sweep``, every five minutes under ``make run``) beside the service desk's deadlines."""

from dangjian.core.actors import Actor
from dangjian.core.jobs import import_uploads_expire, job_files_expire, jobs_stalled_fail


def housekeeping(*, actor: Actor) -> dict[str, int]:
    """Give up on background jobs that stopped, and delete job files and uploaded import files
    kept long enough. Returns
    how many of each, for the sweep's log line."""
    return {
        "jobs_interrupted": jobs_stalled_fail(actor=actor),
        "job_files_deleted": job_files_expire(actor=actor),
        "import_uploads_deleted": import_uploads_expire(actor=actor),
    }
