"""Reads of dues: the monthly bill, totals per organisation, arrears, a member's record.

Who is on the bill of month M: the members whose placement is open on the last day of M under
the organisation (so a member who transfers mid-month pays the receiving branch for that
month, and one who joins mid-month pays from that month). The amount due for M is the member's
assessment for M's year, or the latest earlier one until the branch confirms the new year.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Exists, F, FilteredRelation, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Substr
from django.utils import timezone

from dangjian.core.access import CHANGE, VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.membership.dues import rules as dues
from dangjian.membership.models import DuesAssessment, DuesPayment, Placement
from dangjian.membership.roster.selectors import placements_open_on
from dangjian.orgs.models import Organization
from dangjian.people.models import Member, MembershipStatus, Person
from dangjian.people.selectors import search_filter

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _BillAnnotations(TypedDict):
    due: Decimal | None
    assessed_year: int | None


def _assessment(field: str, year: int) -> Subquery:
    rows = DuesAssessment.objects.filter(member=OuterRef("member_id"), year__lte=year).order_by("-year")
    return Subquery(rows.values(field)[:1])


def _bill(
    actor: Actor, organization: Organization | None, month: dt.date
) -> "QuerySet[WithAnnotations[Placement, _BillAnnotations]]":
    """The placements on the bill of ``month`` (open on its last day, under ``organization`` or
    all the user sees) with the amount due, the assessed year and the month's valid payment as
    one join (a filtered relation: a month has at most one valid payment)."""
    rows = restrict(Placement.objects.filter(placements_open_on(dues.month_end(month))), actor, VIEW)
    if organization is not None:
        rows = rows.filter(organization__path__startswith=organization.path)
    return rows.annotate(
        payment=FilteredRelation(
            "member__dues_payments",
            condition=Q(member__dues_payments__month=month, member__dues_payments__voided_on__isnull=True),
        ),
        due=_assessment("monthly", month.year),
        assessed_year=_assessment("year", month.year),
    ).order_by("organization__path", "member__person__name_pinyin", "member_id")


def bill_rows(*, actor: Actor, organization: Organization | None, month: dt.date) -> QuerySet[Placement]:
    """One row per member on the bill of ``month`` under ``organization`` (or all the user sees):
    the placement with the member, the amount due (``due``, None = not assessed), the assessed
    year and the payment (``paid``, ``paid_on``, ``receipt``, ``method``, ``payment_id``). One query."""
    return (
        _bill(actor, organization, dues.month_start(month))
        .annotate(
            paid=F("payment__amount"),
            paid_on=F("payment__paid_on"),
            receipt=F("payment__receipt_number"),
            method=F("payment__method"),
            payment_id=F("payment__pk"),
        )
        .select_related("member__person", "organization")
    )


@dataclass
class BillTotals:
    members: int = 0
    assessed: int = 0
    paid_members: int = 0
    due: Decimal = Decimal("0")
    paid: Decimal = Decimal("0")

    @property
    def outstanding(self) -> Decimal:
        return self.due - self.paid

    def add(self, due: Decimal | None, paid: Decimal | None) -> None:
        """Count one member row (amounts to the fen: SQLite hands sums of decimals back as floats)."""
        self.members += 1
        if due is not None:
            self.assessed += 1
            self.due += Decimal(due).quantize(dues.CENT)
        if paid is not None:
            self.paid_members += 1
            self.paid += Decimal(paid).quantize(dues.CENT)

    def merge(self, other: "BillTotals") -> None:
        self.members += other.members
        self.assessed += other.assessed
        self.paid_members += other.paid_members
        self.due += other.due
        self.paid += other.paid

    @property
    def unassessed(self) -> int:
        return self.members - self.assessed

    @property
    def unpaid_members(self) -> int:
        return self.members - self.paid_members


def bill_totals(rows: Any) -> BillTotals:
    """Totals of bill rows, summed from the member-level rows (so they always reconcile)."""
    totals = BillTotals()
    for row in rows:
        totals.add(row.due, row.paid)
    return totals


def bill_by_organization(
    *, actor: Actor, organization: Organization, month: dt.date
) -> list[tuple[Organization, BillTotals]]:
    """Totals of the bill for each organisation directly below ``organization``, each summed
    from its member rows (members placed in ``organization`` itself are listed under it). Reads
    the member rows once: 60,000 for a district."""
    length = len(organization.path) + 4
    rows = (
        bill_rows(actor=actor, organization=organization, month=month)
        .annotate(group=Substr("organization__path", 1, length))
        .values_list("group", "due", "paid")
        .order_by()
    )
    groups: dict[str, BillTotals] = defaultdict(BillTotals)
    for group, due, paid in rows.iterator(chunk_size=5000):
        groups[group].add(due, paid)
    orgs = {o.path: o for o in Organization.objects.filter(path__in=list(groups))}
    return [(orgs[path], groups[path]) for path in sorted(groups) if path in orgs]


@dataclass
class Arrears:
    member: Member
    last_paid: dt.date | None
    months: int  # consecutive unpaid months up to the last month that has fallen due
    owed: Decimal


def arrears(
    *,
    actor: Actor,
    organization: Organization | None = None,
    minimum: int = 1,
    with_owed: bool = True,
) -> list[Arrears]:
    """Members in good standing with at least ``minimum`` consecutive unpaid months, longest
    first. Months count from the later of joining and the member's first assessment (the dues
    record starts there), up to last month (the current month is not yet overdue). Members
    never assessed are not listed here (the bill shows them as 未核定)."""
    today = actor.today
    last_due = dues.add_months(dues.month_start(today), -1)
    members = restrict(Member.objects.filter(status=MembershipStatus.NORMAL), actor, VIEW)
    if organization is not None:
        members = members.filter(organization__path__startswith=organization.path)
    # Months paid in advance do not hide earlier unpaid ones.
    paid = DuesPayment.objects.filter(member=OuterRef("pk"), voided_on__isnull=True, month__lte=last_due).order_by(
        "-month"
    )
    first_year = DuesAssessment.objects.filter(member=OuterRef("pk")).order_by("year")
    rows = (
        members.annotate(
            last_paid=Subquery(paid.values("month")[:1]),
            first_year=Subquery(first_year.values("year")[:1], output_field=IntegerField()),
        )
        .filter(first_year__isnull=False)
        .filter(Q(last_paid__isnull=True) | Q(last_paid__lt=last_due))
        .select_related("person", "organization")
    )
    monthly = {}
    result = []
    for member in rows.iterator(chunk_size=5000):
        start = max(dues.month_start(member.joined_on), dt.date(member.first_year, 1, 1))
        if member.last_paid is not None:
            start = max(start, dues.add_months(member.last_paid, 1))
        months = dues.months_between(start, last_due)
        if months >= minimum:
            monthly[member.pk] = start
            result.append(Arrears(member=member, last_paid=member.last_paid, months=months, owed=Decimal("0")))
    if with_owed:
        _owed(result, monthly, last_due)
    result.sort(key=lambda a: (-a.months, a.member.person.name_pinyin))
    return result


def _owed(rows: list[Arrears], starts: dict[int, dt.date], last_due: dt.date) -> None:
    """What each member in arrears owes for the unpaid months, at each year's assessed amount."""
    if not rows:
        return
    by_member: dict[int, dict[int, Decimal]] = defaultdict(dict)
    ids = [row.member.pk for row in rows]
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for member_id, year, monthly in DuesAssessment.objects.filter(member_id__in=chunk).values_list(
            "member_id", "year", "monthly"
        ):
            by_member[member_id][year] = monthly
    for row in rows:
        years = by_member[row.member.pk]
        month, total = starts[row.member.pk], Decimal("0")
        while month <= last_due:
            known = [y for y in years if y <= month.year]
            total += years[max(known)] if known else Decimal("0")
            month = dues.add_months(month, 1)
        row.owed = total


def arrears_alert_count(*, actor: Actor) -> int:
    """Members with at least the alert threshold (6) of consecutive unpaid months, counted in
    one query: a run of N unpaid months ending last month means the member's record had started
    by the first of those months and no payment covers any of them."""
    today = actor.today
    months = dues.rules()["arrears_alert_months"]
    last_due = dues.add_months(dues.month_start(today), -1)
    first = dues.add_months(last_due, -(months - 1))
    members = restrict(Member.objects.filter(status=MembershipStatus.NORMAL), actor, VIEW)
    assessed = DuesAssessment.objects.filter(member=OuterRef("pk"), year__lte=first.year)
    paid = DuesPayment.objects.filter(
        member=OuterRef("pk"), voided_on__isnull=True, month__gte=first, month__lte=last_due
    )
    return (
        members.filter(joined_on__lt=dues.add_months(first, 1)).filter(Exists(assessed)).exclude(Exists(paid)).count()
    )


def member_dues(*, member: Member, months: int = 12, today: dt.date | None = None) -> dict[str, Any]:
    """A member's assessments and the last ``months`` months, each paid or not (caller checked access)."""
    today = today or timezone.localdate()
    assessments = list(member.dues_assessments.order_by("-year"))
    payments = {
        p.month: p for p in member.dues_payments.filter(voided_on__isnull=True).select_related("paid_by__person")
    }
    # The record starts with the later of joining and the first assessment (older months are
    # not on the platform's books).
    first_due = dues.month_start(member.joined_on)
    if assessments:
        first_due = max(first_due, dt.date(assessments[-1].year, 1, 1))
    current = dues.month_start(today)
    timeline = []
    for offset in range(months - 1, -1, -1):
        month = dues.add_months(current, -offset)
        if month < first_due:
            continue
        assessed = next((a for a in assessments if a.year <= month.year), None)
        timeline.append({"month": month, "payment": payments.get(month), "due": assessed.monthly if assessed else None})
    return {
        "assessments": assessments,
        "months": timeline,
        "voided": list(member.dues_payments.filter(voided_on__isnull=False).order_by("-voided_on")[:10]),
    }


DUES_FIND_LIMIT = 8


def may_record_dues(*, actor: Actor) -> bool:
    """Whether the user records dues somewhere: a tree scope with the right to change (the
    branch secretary, staff, secretaries and admins)."""
    return actor.scope.sees_trees and actor.scope.can(CHANGE)


def members_for_dues(*, actor: Actor, q: str, limit: int = DUES_FIND_LIMIT) -> list[Member]:
    """Members in good standing whose dues the user may record, found by the search box's rules
    (name, pinyin initials, last four digits of the mobile), with the last month paid
    (``paid_until``): one query, whatever the number found. Nothing for an empty box."""
    search = search_filter(q)
    if search is None:
        return []
    members = restrict(Member.objects.filter(status=MembershipStatus.NORMAL), actor, CHANGE)
    return list(
        members.filter(person__in=Person.objects.filter(search))
        .annotate(paid_until=Max("dues_payments__month", filter=Q(dues_payments__voided_on__isnull=True)))
        .select_related("person", "organization")
        .order_by("person__name_pinyin", "pk")[:limit]
    )


def member_receipt(*, member: Member, number: str) -> str | None:
    """``number`` if it is the receipt of a payment of ``member`` still standing (the caller
    loaded the member through the access layer), else None: what the page offers to print."""
    number = (number or "").strip()[:32]
    if not number:
        return None
    standing = member.dues_payments.filter(receipt_number=number, voided_on__isnull=True)
    return number if standing.exists() else None


def bill_values(*, actor: Actor, organization: Organization | None, month: dt.date) -> Any:
    """The bill's rows as plain tuples (organisation, name, category, due, assessed year, paid,
    paid on, receipt, method) for the export: no model instances are built (a district's
    60,000 rows in about a second)."""
    return _bill(actor, organization, dues.month_start(month)).values_list(
        "organization__name",
        "member__person__name",
        "member__category",
        "due",
        "assessed_year",
        "payment__amount",
        "payment__paid_on",
        "payment__receipt_number",
        "payment__method",
    )
