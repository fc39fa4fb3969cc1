"""Housekeeping the platform itself needs, run by the periodic sweep (``manage.py
servicedesk_sweep``, every five minutes under ``make run``) beside the service desk's deadlines."""

from collections.abc import Callable

from dangjian.core.actors import Actor
from dangjian.core.jobs import import_uploads_expire, job_files_expire, jobs_stalled_fail

# What the apps above core ask the sweep to do as well (each returns counts for the log line):
# registered in their AppConfig.ready, since core cannot import them.
_HOOKS: list[Callable[[Actor], dict[str, int]]] = []


def register_housekeeping(hook: Callable[[Actor], dict[str, int]]) -> None:
    if hook not in _HOOKS:
        _HOOKS.append(hook)


def housekeeping(*, actor: Actor) -> dict[str, int]:
    """Give up on background jobs that stopped, delete job files and uploaded import files kept
    long enough, and what the apps registered. Returns how many of each, for the sweep's log line."""
    result = {
        "jobs_interrupted": jobs_stalled_fail(actor=actor),
        "job_files_deleted": job_files_expire(actor=actor),
        "import_uploads_deleted": import_uploads_expire(actor=actor),
    }
    for hook in _HOOKS:
        result.update(hook(actor))
    return result
