"""The monthly dues bill (党费收缴明细表) as an .xlsx background job: one row per member on the
bill, then the totals, summed from those rows. Runs as the user who asked, through the access
layer; every export is an event."""

import datetime as dt
from decimal import Decimal
from typing import Any, TypedDict

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks import task

from dangjian.core.access import EXPORT, VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.core.jobs import job_progress, job_running, job_start, job_succeeded, need_record, need_right, run_job
from dangjian.core.models import Job
from dangjian.core.spreadsheets import build_xlsx
from dangjian.membership.dues import rules as dues
from dangjian.membership.dues.selectors import bill_values
from dangjian.membership.models import PaymentMethod
from dangjian.orgs.models import Organization
from dangjian.people.models import MemberCategory

KIND = "dues_bill_export"


class BillExportTotals(TypedDict):
    members: int
    due: Decimal
    paid: Decimal
    unpaid: int
    unassessed: int


def dues_bill_export_start(*, actor: Actor, organization: Organization, month: dt.date) -> Job:
    if (
        not actor.scope.can(EXPORT)
        or not restrict(Organization.objects.filter(pk=organization.pk), actor, VIEW).exists()
    ):
        raise PermissionDenied
    with transaction.atomic():
        return job_start(
            actor=actor,
            kind=KIND,
            label=_("Dues bill of %(org)s for %(month)s") % {"org": organization.name, "month": f"{month:%Y-%m}"},
            params={"organization": organization.pk, "month": month.isoformat()},
            task=export_dues_bill,
        )


def write_bill(
    actor: Actor, organization: Organization, month: dt.date, on_row: Any = None
) -> tuple[bytes, BillExportTotals]:
    """The workbook and its totals (also used by the benchmark)."""
    # Labels translated once, not per row.
    categories = {k: str(v) for k, v in MemberCategory.choices}
    methods = {k: str(v) for k, v in PaymentMethod.choices}
    totals: BillExportTotals = {"members": 0, "due": Decimal("0"), "paid": Decimal("0"), "unpaid": 0, "unassessed": 0}

    def rows() -> Any:
        for org, name, category, due, year, paid, paid_on, receipt, method in bill_values(
            actor=actor, organization=organization, month=month
        ).iterator(chunk_size=5000):
            totals["members"] += 1
            if due is not None and not isinstance(due, Decimal):  # SQLite hands back floats
                due = Decimal(due).quantize(dues.CENT)
            if paid is not None and not isinstance(paid, Decimal):
                paid = Decimal(paid).quantize(dues.CENT)
            totals["due"] += due or 0
            totals["paid"] += paid or 0
            totals["unpaid"] += paid is None
            totals["unassessed"] += due is None
            yield [
                org,
                name,
                categories.get(category, category),
                due,
                year,
                paid,
                paid_on,
                receipt or "",
                methods.get(method, method or ""),
            ]
        yield []
        yield [
            _("Total"),
            _("%(n)d members") % {"n": totals["members"]},
            "",
            totals["due"],
            "",
            totals["paid"],
            "",
            "",
            _("%(n)d unpaid") % {"n": totals["unpaid"]},
        ]

    headers = [
        _("Organisation"),
        _("Full name"),
        _("Category"),
        _("Due (yuan)"),
        _("Assessed for"),
        _("Paid (yuan)"),
        _("Paid on"),
        _("Receipt"),
        _("Method"),
    ]
    content, _count = build_xlsx(
        _("Dues %(month)s") % {"month": f"{month:%Y-%m}"},
        headers,
        rows(),
        on_row=on_row,
        widths=[26, 10, 10, 10, 8, 10, 12, 20, 12],
    )
    return content, totals


def _write(job: Job, actor: Actor) -> None:
    organization = Organization.objects.get(pk=job.params["organization"])
    month = dt.date.fromisoformat(job.params["month"])
    job_running(job, total=0)
    content, totals = write_bill(actor, organization, month, on_row=lambda n: job_progress(job, n))
    job.total = totals["members"]
    job_succeeded(
        job,
        file_name="{}-{:%Y%m}.xlsx".format(_("dues-bill"), month),
        content=content,
        result={k: str(v) for k, v in totals.items()},
        needs=[need_right(EXPORT), need_record(VIEW, organization)],
    )
    record_event(
        actor=actor,
        action=EventAction.EXPORTED,
        target=organization,
        changes={"dues_bill": [None, f"{month:%Y-%m}"], "rows": [None, totals["members"]]},
    )


@task()
def export_dues_bill(job_id: int) -> None:
    run_job(job_id, _write)
