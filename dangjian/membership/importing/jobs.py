"""Running roster imports as background jobs: upload → check (dry run) → confirm → import.

The uploaded file is kept in storage while the two jobs need it. The check job's result is the
plan's summary (valid rows, problems by row and column) and an .xlsx list of the problems; the
import job re-reads the same file, checks it again (the records may have changed since) and
writes the valid rows in one transaction.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from dangjian.core.access import CREATE, restrict
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.core.jobs import job_progress, job_running, job_start, job_succeeded, need_record, run_job
from dangjian.core.models import Job
from dangjian.core.spreadsheets import build_xlsx
from dangjian.membership.importing.members import ImportPlan, apply_import, plan_import, preview_import
from dangjian.orgs.models import Organization

KIND_CHECK = "roster_import_check"
KIND_IMPORT = "roster_import"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
SUPPORTED_EXTENSIONS = ("xlsx", "csv")


def import_check_start(*, actor: Actor, organization: Organization, upload: Any) -> Job:
    """Store the upload and queue its check (nothing is written to the records)."""
    if not restrict(Organization.objects.filter(pk=organization.pk), actor, CREATE).exists():
        raise PermissionDenied
    name = str(getattr(upload, "name", "") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in SUPPORTED_EXTENSIONS:
        raise ValidationError({"file": [_("Upload an .xlsx or .csv file (save an .xls file as .xlsx first).")]})
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": [_("The file is larger than 10 MB; split it into several files.")]})
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    stored = default_storage.save(f"imports/{stamp}.{extension}", ContentFile(upload.read()))
    with transaction.atomic():
        return job_start(
            actor=actor,
            kind=KIND_CHECK,
            label=_("Check of the roster file %(name)s") % {"name": name[:100]},
            params={"upload": stored, "name": name[:200], "organization": organization.pk},
            task=check_roster,
        )


def import_confirm(*, actor: Actor, check: Job) -> Job:
    """Queue the import of a checked file (the check job must be the actor's own and finished)."""
    if check.kind != KIND_CHECK or check.created_by_id != actor.user_id:
        raise PermissionDenied
    if check.status != "succeeded" or not check.result.get("valid"):
        raise ValidationError(_("There is nothing valid to import in this file."))
    if check.result.get("imported_by_job"):
        raise ValidationError(_("This file has already been imported."))
    if "upload" not in check.params:
        raise ValidationError(_("The uploaded file was deleted after its retention period; upload it again."))
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=check.pk)
        if locked.result.get("imported_by_job"):
            raise ValidationError(_("This file has already been imported."))
        if "upload" not in locked.params:  # the sweep deleted it meanwhile
            raise ValidationError(_("The uploaded file was deleted after its retention period; upload it again."))
        job = job_start(
            actor=actor,
            kind=KIND_IMPORT,
            label=_("Import of the roster file %(name)s") % {"name": check.params.get("name", "")[:100]},
            params={**check.params, "check": check.pk},
            task=import_roster,
        )
        locked.result = {**locked.result, "imported_by_job": job.pk}
        locked.save(update_fields=["result"])
    return job


def _problems_xlsx(plan: ImportPlan) -> bytes:
    rows = [[p.row or "", p.column, p.message, _("warning")] for p in plan.warnings] + [
        [p.row or "", p.column, p.message, _("error")] for p in plan.errors
    ]
    content, _count = build_xlsx(
        _("Problems"), [_("Row"), _("Column"), _("Problem"), _("Kind")], rows, widths=[8, 16, 80, 8]
    )
    return content


def _plan(job: Job, actor: Actor) -> tuple[ImportPlan, Organization]:
    organization = Organization.objects.get(pk=job.params["organization"])
    with default_storage.open(job.params["upload"], "rb") as handle:
        content = handle.read()

    def progress(done: int, total: int) -> None:
        job_progress(job, done, total=total)

    plan = plan_import(content, job.params.get("name", ""), root=organization, actor=actor, progress=progress)
    return plan, organization


def _check(job: Job, actor: Actor) -> None:
    job_running(job, total=0)
    plan, organization = _plan(job, actor)
    preview = preview_import(plan, actor=actor).as_dict() if plan.valid else {}
    job_succeeded(
        job,
        file_name="{}-{:%Y%m%d-%H%M}.xlsx".format(_("import-check"), timezone.localtime()),
        content=_problems_xlsx(plan),
        result={**plan.summary(), "preview": preview},
        needs=[need_record(CREATE, organization)],  # the problems quote the file's cells
    )


def _import(job: Job, actor: Actor) -> None:
    job_running(job, total=0)
    plan, organization = _plan(job, actor)

    def progress(done: int, total: int) -> None:
        job_progress(job, done, total=total)

    result = apply_import(plan, actor=actor, progress=progress)
    summary = {**plan.summary(), **result.as_dict()}
    job_succeeded(
        job,
        file_name="{}-{:%Y%m%d-%H%M}.xlsx".format(_("import-result"), timezone.localtime()),
        content=_problems_xlsx(plan),
        result=summary,
        needs=[need_record(CREATE, organization)],
    )
    record_event(
        actor=actor,
        action=EventAction.IMPORTED,
        target=organization,
        changes={k: [None, v] for k, v in result.as_dict().items()} | {"file": [None, job.params.get("name", "")]},
    )
    default_storage.delete(job.params["upload"])


@task()
def check_roster(job_id: int) -> None:
    run_job(job_id, _check)


@task()
def import_roster(job_id: int) -> None:
    run_job(job_id, _import)


def is_import_job(job: Job) -> bool:
    return job.kind in (KIND_CHECK, KIND_IMPORT)
