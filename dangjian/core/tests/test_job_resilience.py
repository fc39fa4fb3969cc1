"""Background jobs survive a busy SQLite database, and the sweep gives up on jobs that stopped.

The lock tests run on a real SQLite file (the test database may be in memory, where locking works
differently) opened with the production options — WAL, busy timeout, IMMEDIATE transactions — but
a busy timeout of 0.2 s instead of 20, with a second connection holding the lock."""

import datetime as dt
import sqlite3
import time

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core.conf import override
from dangjian.core.jobs import job_failed, job_progress, job_running, run_job
from dangjian.core.models import Job, JobStatus
from tests.factories import make_user

FILE_DB = "jobs_file"


def sqlite_settings(path, options):
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": options}
    return connections.configure_settings({"default": dict(database), FILE_DB: database})[FILE_DB]


class ToTheFile:
    """Sends every query to the file database."""

    def db_for_read(self, model, **hints):
        return FILE_DB

    db_for_write = db_for_read

    def allow_relation(self, *objects, **hints):
        return True


@pytest.fixture
def file_db(tmp_path, settings, django_db_blocker):
    options = dict(settings.SQLITE_OPTIONS)
    options["timeout"] = 0.2
    options["init_command"] += " PRAGMA busy_timeout=200;"
    path = tmp_path / "jobs.sqlite3"
    connections.settings[FILE_DB] = sqlite_settings(path, options)
    settings.DATABASE_ROUTERS = [ToTheFile()]
    with django_db_blocker.unblock():
        with connections[FILE_DB].schema_editor() as editor:
            editor.create_model(User)
            editor.create_model(Job)
        yield path
        connections[FILE_DB].close()
    del connections[FILE_DB]
    del connections.settings[FILE_DB]


def other_connection(path) -> sqlite3.Connection:
    """Someone else: another process writing to the same database."""
    return sqlite3.connect(path, isolation_level=None, timeout=0)


def running_job(**fields) -> Job:
    user = User.objects.create(username=f"starter{User.objects.count()}")
    fields.setdefault("status", JobStatus.RUNNING)
    return Job.objects.create(kind="test", label="导出", created_by=user, total=10_000, **fields)


def test_the_sqlite_database_runs_in_wal_mode_with_a_busy_timeout(settings, tmp_path, django_db_blocker):
    wrapper = DatabaseWrapper(sqlite_settings(tmp_path / "check.sqlite3", settings.SQLITE_OPTIONS), FILE_DB)
    with django_db_blocker.unblock():
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] >= 5000
        assert wrapper.transaction_mode == "IMMEDIATE"
        wrapper.close()


def test_a_progress_write_gives_way_to_another_writer_instead_of_killing_the_job(file_db):
    job = running_job()
    other = other_connection(file_db)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock
    started = time.monotonic()
    assert job_progress(job, 500) is False  # not written, and no "database is locked" raised
    assert time.monotonic() - started < 2  # the busy timeout, on two connections, not more
    other.execute("ROLLBACK")
    assert job_progress(job, 1000) is True
    assert other.execute("SELECT done FROM core_job WHERE id = ?", [job.pk]).fetchone() == (1000,)


def test_progress_and_failure_are_written_while_the_job_reads_through_an_open_cursor(file_db):
    """An export reads through an open cursor; once anyone else has written, SQLite refuses that
    connection's writes at once ("database is locked", whatever the busy timeout)."""
    job = running_job()
    for _n in range(30):
        running_job()
    rows = Job.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=5)
    next(rows)  # a read snapshot is held from here
    other_connection(file_db).execute("UPDATE core_job SET label = 'edited' WHERE id <> ?", [job.pk])
    assert job_progress(job, 500) is True
    job_failed(job, "OSError: disk full")
    assert len(list(rows)) == 30
    job.refresh_from_db()
    assert (job.done, job.status, job.error) == (500, JobStatus.FAILED, "OSError: disk full")
    assert job.heartbeat_at is not None


def test_a_job_failing_mid_read_is_marked_failed_and_frees_the_connection(file_db):
    """The worker records a task's failure on the same connection after the job's code has
    raised: the job's open cursor must not keep that write (and the worker) from succeeding."""
    job = running_job(status=JobStatus.QUEUED)
    for _n in range(30):
        running_job()

    def work(job: Job, actor) -> None:
        rows = Job.objects.values_list("pk", flat=True).iterator(chunk_size=5)
        next(rows)
        other_connection(file_db).execute("UPDATE core_job SET label = 'edited' WHERE id <> ?", [job.pk])
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run_job(job.pk, work)
    assert Job.objects.get(pk=job.pk).status == JobStatus.FAILED
    Job.objects.filter(pk=job.pk).update(label="recorded")  # the worker's write: no "database is locked"


@pytest.mark.django_db
def test_the_sweep_fails_jobs_that_stopped_giving_signs_of_life(settings):
    settings.DANGJIAN = override(JOB_STALL_MINUTES=30)
    user = make_user("starter")
    now = timezone.now()
    long_ago = now - dt.timedelta(hours=2)

    def job(status: str, **times) -> Job:
        times.setdefault("created_at", long_ago)
        return Job.objects.create(
            kind="test", label="导出", created_by=user, status=status, params={"language": "en"}, **times
        )

    silent = job(JobStatus.RUNNING, started_at=long_ago, heartbeat_at=now - dt.timedelta(minutes=31))
    beating = job(JobStatus.QUEUED)
    job_running(beating, total=1000)
    job_progress(beating, 500)  # each progress write is a heartbeat
    never_picked_up = job(JobStatus.QUEUED, created_at=now - dt.timedelta(minutes=31))
    just_queued = job(JobStatus.QUEUED, created_at=now - dt.timedelta(minutes=5))
    finished = job(JobStatus.SUCCEEDED, finished_at=long_ago)

    call_command("servicedesk_sweep", verbosity=0)

    for stopped in (silent, never_picked_up):
        stopped.refresh_from_db()
        assert stopped.status == JobStatus.FAILED
        assert stopped.error == "The background job was interrupted; please run it again."  # 后台任务中断，请重新运行
        assert stopped.finished_at is not None
    for alive in (beating, just_queued, finished):
        status = alive.status
        alive.refresh_from_db()
        assert alive.status == status and not alive.error

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # English, as chosen with the header's button
    client.force_login(user)
    page = client.get(reverse("jobs:detail", args=[silent.pk])).content.decode()
    assert "The background job was interrupted; please run it again." in page

    ran = []
    run_job(never_picked_up.pk, lambda job, actor: ran.append(job))  # the worker comes back too late
    assert ran == []  # the user has been told to run it again: the old one stays failed
    never_picked_up.refresh_from_db()
    assert never_picked_up.status == JobStatus.FAILED
