"""One framework for every tabular import (members, the trees, residents, staff accounts).

An importer (a subclass of ``Importer``, registered by its app in ``AppConfig.ready``) says what
its spreadsheet holds (``columns``, with their drop-down vocabularies and instructions, from which
``template_xlsx`` builds the blank template), where a file may be imported (``targets``: the nodes
the actor may write in), how its rows are checked (``plan``: the dry run, every problem by row and
column, nothing written) and how a checked plan is written (``write``, run by ``apply`` in one
transaction: every valid row or none; and by ``preview`` in a transaction rolled back, to say what
the import would add, change or leave as it is). Rows are matched to what is recorded (people by
ID number, nodes by code, accounts by login name), so importing the same file twice changes
nothing the second time, and an empty cell never erases what is recorded.

The rest is shared: reading messy files (``core.tabular``), the two background jobs (check, then
import after the user confirms: ``import_check_start``, ``import_confirm``), their pages
(``core.import_views``), the list of problems as an .xlsx, the event of each import, and the
``manage.py import_table KIND FILE --into CODE [--dry-run] [--format json]`` command.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.core.jobs import job_progress, job_running, job_start, job_succeeded, need_record, run_job
from dangjian.core.models import Job
from dangjian.core.spreadsheets import build_xlsx
from dangjian.core.tabular import Column, Table, TableError, clean_text, read_table

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
SUPPORTED_EXTENSIONS = ("xlsx", "csv")
TEMPLATE_ROWS = 2000  # rows of a template formatted as text and given drop-down lists
PROGRESS_EVERY = 500

_SEPARATORS = re.compile(r"[\s·•・\-—/()（）]+")
LIST_SPLIT = re.compile(r"[、,，;；/\s]+")


def word(text: Any) -> str:
    """A cell's words compared without spaces, separators and brackets: “高中（中专）” is “高中中专”."""
    return _SEPARATORS.sub("", clean_text(text)).casefold()


@dataclass(frozen=True)
class Vocabulary:
    """The fixed values of one column, defined once for the template (its drop-down list and
    instructions), the importer and its error messages. ``options`` are the words the template
    offers, in order; ``aliases`` other words that mean the same, as spreadsheets write them."""

    options: tuple[tuple[str, str], ...]  # (word, code)
    aliases: tuple[tuple[str, str], ...] = ()
    choices: Any = None  # the model's choices: their codes and labels are understood too

    def words(self) -> list[str]:
        return [each for each, _code in self.options]

    def listed(self) -> str:
        return "、".join(self.words())

    def code(self, value: Any) -> str | None:
        """The code for a cell: "" when it is empty, None when no word matches."""
        text = word(value)
        if not text:
            return ""
        for each, code in (*self.options, *self.aliases):
            if text == word(each):
                return code
        for code, label in self.choices.choices if self.choices is not None else ():
            if text in (word(code), word(label)):
                return code
        return None


YES_NO = Vocabulary(
    options=(("是", "yes"), ("否", "no")),
    aliases=(("Y", "yes"), ("N", "no"), ("yes", "yes"), ("no", "no"), ("√", "yes"), ("1", "yes"), ("0", "no")),
)


@dataclass(frozen=True)
class TemplateColumn(Column):
    width: int = 14
    example: Any = ""
    vocabulary: Vocabulary | None = None  # fixed values: a drop-down list in the template
    text: bool = False  # formatted as text in the template (ID and phone numbers, codes)


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportPlan:
    """What a file would write: its valid rows (each importer's own planned rows), and the
    problems (errors skip their row; warnings are only said)."""

    rows: list[Any] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    total: int = 0

    @property
    def valid(self) -> int:
        return len(self.rows)

    def summary(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "total": self.total,
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
        }


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unchanged_rows: list[int] = field(default_factory=list)  # file rows already imported as they are

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


class ImportFailed(Exception):
    """The import was rolled back as a whole; the message says why."""


Progress = Callable[[int, int], None] | None


class RowChecker:
    """Collects one row's problems under the column headers as the file wrote them."""

    def __init__(self, number: int, table: Table, labels: dict[str, str]) -> None:
        self.number, self.table, self.labels = number, table, labels
        self.problems: list[Problem] = []

    def column(self, key: str) -> str:
        return self.table.columns.get(key, self.labels[key])

    def __call__(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.number, self.column(key), message))

    def has(self, key: str) -> bool:
        return any(p.column == self.column(key) for p in self.problems)


class Importer:
    """One kind of import; subclasses fill in the class attributes and the methods that raise
    NotImplementedError. The texts are lazy translations (pages, template, command)."""

    key: ClassVar[str]  # in URLs and the command: "members", "trees", "residents", "staff"
    kind: ClassVar[str]  # the jobs are "<kind>_import_check" and "<kind>_import"
    order: ClassVar[int]  # where it comes in a street's first loading (trees, residents, members, staff)
    title: ClassVar[Any]  # "Import members from Excel"
    description: ClassVar[Any]  # one line on the imports page
    template_label: ClassVar[Any]  # the link to the template: "Member information form (.xlsx)"
    template_filename: ClassVar[str]  # "党员信息采集表.xlsx"
    sheet_title: ClassVar[str]  # the template's data sheet
    columns: ClassVar[tuple[TemplateColumn, ...]]
    target_label: ClassVar[Any]
    target_help: ClassVar[Any] = ""
    file_label: ClassVar[Any]
    back_url: ClassVar[str]  # the list the import fills (breadcrumb and "go to" link)
    back_label: ClassVar[Any]
    target_model: ClassVar[type[models.Model]]
    target_action: ClassVar[str]  # the right over the target that the import needs
    max_rows: ClassVar[int] = 20_000
    # What an import did, and what its check says it would do (%(created)s, %(updated)s, %(unchanged)s).
    result_text: ClassVar[Any] = gettext_lazy(
        "Imported. Added: %(created)s; updated: %(updated)s; already up to date: %(unchanged)s."
    )
    preview_text: ClassVar[Any] = gettext_lazy(
        "Of the rows that can be imported: to add: %(created)s; to change: %(updated)s; "
        "already imported as they are: %(unchanged)s."
    )

    @property
    def labels(self) -> dict[str, str]:
        return {column.key: column.label for column in self.columns}

    # Where --------------------------------------------------------------------------------------

    def targets(self, *, actor: Actor) -> models.QuerySet[Any]:
        """Where the actor may import a file of this kind (empty: the import is not offered)."""
        raise NotImplementedError

    def may_import(self, *, actor: Actor) -> bool:
        return actor.scope.superuser or bool(actor.scope.nodes(self.target_action))

    def target_by_code(self, code: str) -> Any:
        return self.target_model._default_manager.filter(code=code).first()

    def allowed_target(self, target: Any, *, actor: Actor) -> bool:
        return self.targets(actor=actor).filter(pk=target.pk).exists()

    # What ---------------------------------------------------------------------------------------

    def instructions(self) -> list[str]:
        raise NotImplementedError

    def read(self, content: bytes, filename: str, plan: ImportPlan) -> Table | None:
        """The file's table, or None with the reason in ``plan.errors``; unknown headers warned."""
        try:
            table = read_table(content, filename, self.columns, max_rows=self.max_rows)
        except TableError as exc:
            plan.errors.append(Problem(0, "", str(exc)))
            return None
        plan.total = len(table.rows)
        for header in table.unknown_headers:
            plan.warnings.append(
                Problem(table.header_row, header, _("This column is not in the template and was not read."))
            )
        return table

    def plan(
        self, content: bytes, filename: str, *, target: Any, actor: Actor, progress: Progress = None
    ) -> ImportPlan:
        """Read and check every row; write nothing. ``actor`` may be the system (command line)."""
        raise NotImplementedError

    def write(self, plan: ImportPlan, *, actor: Actor, result: ImportResult, progress: Progress) -> None:
        """Write the plan's rows (inside the transaction ``apply`` or ``preview`` opened)."""
        raise NotImplementedError

    def forget(self, plan: ImportPlan) -> Any:
        """What ``write`` sets on the plan's rows, to be restored after a preview (a callable)."""
        return lambda: None

    def apply(
        self, plan: ImportPlan, *, actor: Actor, progress: Progress = None, target: Any = None, name: str = ""
    ) -> ImportResult:
        """Write every valid row of ``plan`` in one transaction, or nothing; with ``target``, the
        import's own event (where, which file, what it did) in the same transaction."""
        result = ImportResult()
        try:
            with transaction.atomic():
                self.write(plan, actor=actor, result=result, progress=progress)
                if target is not None:
                    record_imported(actor=actor, target=target, result=result, name=name, kind=self.key)
        except IntegrityError as exc:
            raise ImportFailed(
                _(
                    "Someone else recorded some of these records while the import ran; nothing was imported. Run it again."
                )
            ) from exc
        return result

    def preview(self, plan: ImportPlan, *, actor: Actor) -> ImportResult:
        """What ``apply`` would do with each valid row (add, change, or nothing: already imported
        as it is), found by applying the plan and rolling it back: nothing is kept."""
        restore = self.forget(plan)
        result = ImportResult()
        try:
            with transaction.atomic():
                self.write(plan, actor=actor, result=result, progress=None)
                transaction.set_rollback(True)
        except IntegrityError as exc:
            raise ImportFailed(
                _("Someone else recorded some of these records while the check ran; check the file again.")
            ) from exc
        finally:
            restore()
        return result

    # Words --------------------------------------------------------------------------------------

    def result_sentence(self, result: dict[str, Any]) -> str:
        return str(self.result_text) % _counts(result)

    def preview_sentence(self, preview: dict[str, Any]) -> str:
        return str(self.preview_text) % _counts(preview)

    def template_xlsx(self) -> bytes:
        return template_xlsx(self.sheet_title, self.columns, self.instructions())


def _counts(result: dict[str, Any]) -> dict[str, Any]:
    return {key: result.get(key, 0) for key in ("created", "updated", "unchanged")}


# ---------------------------------------------------------------------------------------------
# The registry


_IMPORTERS: dict[str, Importer] = {}


def register(importer: Importer) -> None:
    _IMPORTERS[importer.key] = importer


def importers() -> list[Importer]:
    return sorted(_IMPORTERS.values(), key=lambda each: each.order)


def importer_for(key: str) -> Importer | None:
    return _IMPORTERS.get(key)


def importer_of_job(job: Job) -> Importer | None:
    for importer in _IMPORTERS.values():
        if job.kind in (f"{importer.kind}_import_check", f"{importer.kind}_import"):
            return importer
    return None


def offered(*, actor: Actor) -> list[Importer]:
    """The imports the actor may use (menu and the imports page)."""
    return [each for each in importers() if each.may_import(actor=actor)]


# ---------------------------------------------------------------------------------------------
# The template


def template_xlsx(sheet_title: str, columns: Iterable[TemplateColumn], instructions: list[str]) -> bytes:
    """A blank template: the headers ("*" on required ones), one example row, drop-down lists for
    the columns with fixed values, text format where Excel would spoil numbers (ID numbers, codes)
    and an instructions sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    bold, required = Font(bold=True), PatternFill("solid", fgColor="FDE2E2")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=("*" if column.required else "") + column.label)
        cell.font = bold
        if column.required:
            cell.fill = required
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        example = sheet.cell(row=2, column=index, value=column.example)
        if isinstance(column.example, dt.date):
            example.number_format = "yyyy-mm-dd"
        if column.text:
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
        if column.vocabulary is not None:
            listed = column.vocabulary.listed()
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(column.vocabulary.words()) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.label,
                error=f"请从下拉列表中选择：{listed}",
                showInputMessage=True,
                promptTitle=column.label,
                prompt=listed,
            )
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    for line in instructions:
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def numbered(lines: list[str]) -> list[str]:
    return [f"{number}. {line}" for number, line in enumerate(lines, start=1)]


def vocabulary_lines(columns: Iterable[TemplateColumn], *, skip: tuple[str, ...] = ()) -> list[str]:
    return [
        f"{column.label}：从下拉列表中选择，可填 {column.vocabulary.listed()}。"
        for column in columns
        if column.vocabulary is not None and column.key not in skip
    ]


# ---------------------------------------------------------------------------------------------
# The jobs: upload → check (dry run) → confirm → import
#
# The uploaded file is kept in storage while the two jobs need it (then the sweep deletes it:
# ``core.jobs.import_uploads_expire``). The check job's result is the plan's summary and an .xlsx
# list of the problems; the import job re-reads the same file, checks it again (the records may
# have changed since) and writes the valid rows in one transaction.


def import_check_start(*, actor: Actor, importer: Importer, target: Any, upload: Any) -> Job:
    """Store the upload and queue its check (nothing is written to the records)."""
    if not importer.allowed_target(target, actor=actor):
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
            kind=f"{importer.kind}_import_check",
            label=_("Check of the file %(name)s") % {"name": name[:100]},
            params={"upload": stored, "name": name[:200], "target": target.pk, "importer": importer.key},
            task=check_import,
        )


def import_confirm(*, actor: Actor, check: Job) -> Job:
    """Queue the import of a checked file (the check job must be the actor's own and finished)."""
    importer = importer_of_job(check)
    if importer is None or check.kind != f"{importer.kind}_import_check" or check.created_by_id != actor.user_id:
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
            kind=f"{importer.kind}_import",
            label=_("Import of the file %(name)s") % {"name": check.params.get("name", "")[:100]},
            params={**check.params, "check": check.pk},
            task=run_import,
        )
        locked.result = {**locked.result, "imported_by_job": job.pk}
        locked.save(update_fields=["result"])
    return job


def problems_xlsx(plan: ImportPlan) -> bytes:
    rows = [[p.row or "", p.column, p.message, _("warning")] for p in plan.warnings] + [
        [p.row or "", p.column, p.message, _("error")] for p in plan.errors
    ]
    content, _count = build_xlsx(
        _("Problems"), [_("Row"), _("Column"), _("Problem"), _("Kind")], rows, widths=[8, 16, 80, 8]
    )
    return content


def _job_importer(job: Job) -> tuple[Importer, Any]:
    importer = importer_of_job(job)
    if importer is None:
        raise ValueError(f"no importer for the job kind {job.kind}")
    # Checks made before the framework (the member import) kept their target as "organization".
    target = importer.target_model._default_manager.get(pk=job.params.get("target", job.params.get("organization")))
    return importer, target


def _job_plan(job: Job, actor: Actor, importer: Importer, target: Any) -> ImportPlan:
    with default_storage.open(job.params["upload"], "rb") as handle:
        content = handle.read()

    def progress(done: int, total: int) -> None:
        job_progress(job, done, total=total)

    return importer.plan(content, job.params.get("name", ""), target=target, actor=actor, progress=progress)


def _check(job: Job, actor: Actor) -> None:
    job_running(job, total=0)
    importer, target = _job_importer(job)
    plan = _job_plan(job, actor, importer, target)
    preview = importer.preview(plan, actor=actor).as_dict() if plan.valid else {}
    job_succeeded(
        job,
        file_name="{}-{:%Y%m%d-%H%M}.xlsx".format(_("import-check"), timezone.localtime()),
        content=problems_xlsx(plan),
        result={**plan.summary(), "preview": preview},
        needs=[need_record(importer.target_action, target)],  # the problems quote the file's cells
    )


def _import(job: Job, actor: Actor) -> None:
    job_running(job, total=0)
    importer, target = _job_importer(job)
    plan = _job_plan(job, actor, importer, target)

    def progress(done: int, total: int) -> None:
        job_progress(job, done, total=total)

    name = job.params.get("name", "")
    result = importer.apply(plan, actor=actor, progress=progress, target=target, name=name)
    summary = {**plan.summary(), **result.as_dict()}
    job_succeeded(
        job,
        file_name="{}-{:%Y%m%d-%H%M}.xlsx".format(_("import-result"), timezone.localtime()),
        content=problems_xlsx(plan),
        result=summary,
        needs=[need_record(importer.target_action, target)],
    )
    default_storage.delete(job.params["upload"])


def record_imported(*, actor: Actor, target: Any, result: ImportResult, name: str, kind: str) -> None:
    """The event of an import: where, what kind, which file and what it did."""
    record_event(
        actor=actor,
        action=EventAction.IMPORTED,
        target=target,
        changes={k: [None, v] for k, v in result.as_dict().items()} | {"file": [None, name], "kind": [None, kind]},
    )


@task()
def check_import(job_id: int) -> None:
    run_job(job_id, _check)


@task()
def run_import(job_id: int) -> None:
    run_job(job_id, _import)
