"""Seed membership history and dues for the members the people seed created.

* Placements: every member belongs to their branch from the day they joined; about one in
  twenty transferred in from another branch some years ago (so counts on past dates differ
  from today's), and a few have died or left (their placement ends, with a status change).
* Dues: last year's and this year's assessment by the rules (a few this-year ones still to be
  confirmed), and payments from January last year to last month: most members pay monthly or
  quarterly, some are a few months behind, and about 3% stopped paying half a year or more ago
  (the arrears alert).
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dangjian.core.seeding import SeedContext, fast_insert
from dangjian.membership import dues
from dangjian.membership.models import (
    DuesAssessment,
    DuesKind,
    DuesPayment,
    PaymentMethod,
    Placement,
    PlacementReason,
    StatusChange,
)
from dangjian.people.models import Member, MemberCategory, MembershipStatus

ORDER = 25
BATCH = 5000


def seed(ctx: SeedContext) -> None:
    rng, today = ctx.rng, ctx.today
    communities = ctx.shared["communities"]
    all_branches = [b for c in communities for b in c["branches"]["residence"]]
    placements: list[Placement] = []
    changes: list[StatusChange] = []
    ended: list[Member] = []
    for community in communities:
        for member in community["members"]:
            if rng.random() < 0.05 and len(all_branches) > 1 and (today - member.joined_on).days > 800:
                earlier = rng.choice([b for b in all_branches if b.pk != member.organization_id])
                moved = member.joined_on + dt.timedelta(days=rng.randint(365, (today - member.joined_on).days - 30))
                placements.append(Placement(member=member, organization=earlier, started_on=member.joined_on,
                                            ended_on=moved, reason=PlacementReason.RECORDED))  # fmt: skip
                placements.append(Placement(member=member, organization_id=member.organization_id, started_on=moved,
                                            reason=PlacementReason.TRANSFERRED))  # fmt: skip
                continue
            current = Placement(member=member, organization_id=member.organization_id, started_on=member.joined_on,
                                reason=PlacementReason.RECORDED)  # fmt: skip
            placements.append(current)
            if member.category == MemberCategory.RETIRED and rng.random() < 0.01:
                effective = today - dt.timedelta(days=rng.randint(20, 700))
                if effective > member.joined_on:
                    current.ended_on = effective
                    member.status = MembershipStatus.DECEASED
                    ended.append(member)
                    changes.append(StatusChange(member=member, old_status=MembershipStatus.NORMAL,
                                                new_status=MembershipStatus.DECEASED, effective_on=effective,
                                                reason="病故，支部党员大会通报"))  # fmt: skip
    Placement.objects.bulk_create(placements, batch_size=BATCH)
    StatusChange.objects.bulk_create(changes, batch_size=BATCH)
    Member.objects.bulk_update(ended, ["status"], batch_size=BATCH)
    ctx.log(f"placements: {len(placements)}, deaths recorded: {len(changes)}")
    _seed_dues(ctx, [m for c in communities for m in c["members"] if m.status == MembershipStatus.NORMAL])


def _base(rng, category: str) -> tuple[str, Decimal]:
    kind = dues.default_kind(category)
    if kind == DuesKind.WAGE:
        return kind, Decimal(rng.choice([2800, 3500, 4200, 4800, 5400, 6000, 6800, 7500, 8600, 9800, 12000, 15000]))
    if kind == DuesKind.PENSION:
        return kind, Decimal(rng.choice([2600, 3100, 3600, 4200, 4800, 5300, 6200]))
    return kind, Decimal("0")


def _seed_dues(ctx: SeedContext, members: list[Member]) -> None:
    rng, today = ctx.rng, ctx.today
    this_year, last_year = today.year, today.year - 1
    last_due = dues.add_months(dues.month_start(today), -1)
    assessments: list[DuesAssessment] = []
    payments: list[dict] = []
    sequences: dict[tuple[int, int], int] = {}
    codes: dict[int, str] = {}
    behind = 0
    for member in members:
        if member.organization_id not in codes:
            codes[member.organization_id] = member.organization.code
        kind, base = _base(rng, member.category)
        years = [last_year] + ([this_year] if rng.random() < 0.93 else [])
        monthly_by_year = {}
        for year in years:
            if year == this_year and kind != DuesKind.FIXED and rng.random() < 0.3:
                base += Decimal(rng.choice([100, 200, 300]))  # a raise
            rate, standard = dues.standard_monthly(kind, base, member.category)
            assessments.append(DuesAssessment(member=member, year=year, kind=kind, base=base, rate=rate,
                                              standard=standard, monthly=standard,
                                              confirmed_on=dt.date(year, 1, rng.randint(5, 25))))  # fmt: skip
            monthly_by_year[year] = standard
        first = max(dues.month_start(member.joined_on), dt.date(last_year, 1, 1))
        habit = rng.random()
        if habit < 0.03:  # stopped paying: the 6-month alert
            stop = dues.add_months(last_due, -rng.randint(6, 14))
            behind += 1
        elif habit < 0.12:  # a few months behind
            stop = dues.add_months(last_due, -rng.randint(1, 4))
        else:
            stop = last_due
        quarterly = rng.random() < 0.4
        month, batch = first, []
        while month <= stop:
            batch.append(month)
            if not quarterly or month.month % 3 == 0 or month == stop:
                _pay(rng, member, batch, monthly_by_year, sequences, codes, payments)
                batch = []
            month = dues.add_months(month, 1)
        if len(payments) >= BATCH * 10:
            fast_insert(DuesPayment, payments)
            payments.clear()
    DuesAssessment.objects.bulk_create(assessments, batch_size=BATCH)
    fast_insert(DuesPayment, payments)
    ctx.log(f"dues assessments: {len(assessments)}, members six or more months behind: {behind}")


def _pay(rng, member, months, monthly_by_year, sequences, codes, payments) -> None:
    now = timezone.now()
    last = months[-1]
    paid_on = min(dues.month_end(last), dt.date(last.year, last.month, rng.randint(3, 20)))
    key = (member.organization_id, paid_on.year)
    sequences[key] = sequences.get(key, 0) + 1
    receipt = f"{codes[member.organization_id]}-{paid_on.year}-{sequences[key]:05d}"
    method = PaymentMethod.TRANSFER if rng.random() < 0.55 else PaymentMethod.CASH
    for month in months:
        amount = monthly_by_year.get(month.year) or monthly_by_year[min(monthly_by_year)]
        payments.append({"member_id": member.pk, "organization_id": member.organization_id, "month": month,
                         "amount": amount, "method": method, "paid_by_id": None, "paid_on": paid_on,
                         "receipt_number": receipt, "recorded_by_id": None, "note": "", "voided_on": None,
                         "void_reason": "", "created_at": now, "updated_at": now, "version": 1})  # fmt: skip
