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

from dangjian.core.calendar import add_years
from dangjian.demo.seeding import SeedContext, fast_insert
from dangjian.membership.dues import rules as dues
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
                placements.append(
                    Placement(
                        member=member,
                        organization=earlier,
                        started_on=member.joined_on,
                        ended_on=moved,
                        reason=PlacementReason.RECORDED,
                    )
                )
                placements.append(
                    Placement(
                        member=member,
                        organization_id=member.organization_id,
                        started_on=moved,
                        reason=PlacementReason.TRANSFERRED,
                    )
                )
                continue
            current = Placement(
                member=member,
                organization_id=member.organization_id,
                started_on=member.joined_on,
                reason=PlacementReason.RECORDED,
            )
            placements.append(current)
            if member.category == MemberCategory.RETIRED and rng.random() < 0.01:
                effective = today - dt.timedelta(days=rng.randint(20, 700))
                if effective > member.joined_on:
                    current.ended_on = effective
                    member.status = MembershipStatus.DECEASED
                    ended.append(member)
                    changes.append(
                        StatusChange(
                            member=member,
                            old_status=MembershipStatus.NORMAL,
                            new_status=MembershipStatus.DECEASED,
                            effective_on=effective,
                            reason="病故，支部党员大会通报",
                        )
                    )
    Placement.objects.bulk_create(placements, batch_size=BATCH)
    StatusChange.objects.bulk_create(changes, batch_size=BATCH)
    Member.objects.bulk_update(ended, ["status"], batch_size=BATCH)
    ctx.log(f"placements: {len(placements)}, deaths recorded: {len(changes)}")
    _seed_dues(ctx, [m for c in communities for m in c["members"] if m.status == MembershipStatus.NORMAL])
    seed_pipeline(ctx)
    seed_member_life(ctx)


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
            assessments.append(
                DuesAssessment(
                    member=member,
                    year=year,
                    kind=kind,
                    base=base,
                    rate=rate,
                    standard=standard,
                    monthly=standard,
                    confirmed_on=dt.date(year, 1, rng.randint(5, 25)),
                )
            )
            monthly_by_year[year] = standard
        first = max(dues.month_start(member.joined_on), dt.date(last_year, 1, 1))
        habit = rng.random()
        if habit < 0.03:  # stopped paying: the 6-month alert
            stop = dues.add_months(last_due, -rng.randint(6, 14))
            behind += 1
        elif habit < 0.12:  # a few months behind
            stop = dues.add_months(last_due, -rng.randint(1, 4))
        else:  # up to date; half of them have paid this month already
            stop = dues.month_start(today) if today.day >= 5 and rng.random() < 0.5 else last_due
        quarterly = rng.random() < 0.4
        month, batch = first, []
        while month <= stop:
            batch.append(month)
            if not quarterly or month.month % 3 == 0 or month == stop:
                _pay(rng, member, batch, monthly_by_year, sequences, codes, payments, today)
                batch = []
            month = dues.add_months(month, 1)
        if len(payments) >= BATCH * 10:
            fast_insert(DuesPayment, payments)
            payments.clear()
    DuesAssessment.objects.bulk_create(assessments, batch_size=BATCH)
    fast_insert(DuesPayment, payments)
    ctx.log(f"dues assessments: {len(assessments)}, members six or more months behind: {behind}")


def _pay(rng, member, months, monthly_by_year, sequences, codes, payments, today) -> None:
    now = timezone.now()
    last = months[-1]
    paid_on = min(dues.month_end(last), dt.date(last.year, last.month, rng.randint(3, 20)), today)
    key = (member.organization_id, paid_on.year)
    sequences[key] = sequences.get(key, 0) + 1
    receipt = f"{codes[member.organization_id]}-{paid_on.year}-{sequences[key]:05d}"
    method = PaymentMethod.TRANSFER if rng.random() < 0.55 else PaymentMethod.CASH
    for month in months:
        amount = monthly_by_year.get(month.year) or monthly_by_year[min(monthly_by_year)]
        payments.append(
            {
                "member_id": member.pk,
                "organization_id": member.organization_id,
                "month": month,
                "amount": amount,
                "method": method,
                "paid_by_id": None,
                "paid_on": paid_on,
                "receipt_number": receipt,
                "recorded_by_id": None,
                "note": "",
                "voided_on": None,
                "void_reason": "",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )


def seed_pipeline(ctx: SeedContext) -> None:
    """People at every stage of development (some with late steps or short notices, so that the
    warnings have something to say), and transfers in flight in each state."""
    from dangjian.membership.development import rules as development
    from dangjian.membership.models import (
        Candidate,
        CandidateStatus,
        DevelopmentStep,
        Transfer,
        TransferKind,
        TransferState,
        TransferStep,
    )

    rng, today = ctx.rng, ctx.today
    candidates, steps, new_members, new_placements = [], [], [], []
    people_links = []
    member_ids = {m.person_id for c in ctx.shared["communities"] for m in c["members"]}
    for community in ctx.shared["communities"]:
        branches = community["branches"]["residence"][:3]
        full = [m for m in community["members"] if m.stage == "full" and m.status == MembershipStatus.NORMAL]
        pool = [
            p
            for p in community["people"]
            if p.pk not in member_ids and p.birth_date and 19 <= (today - p.birth_date).days // 365 <= 45
        ]
        for person in rng.sample(pool, min(len(pool), max(6, len(pool) // 60))):
            branch = rng.choice(branches)
            target = rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5])
            last_index = {
                1: rng.choice([0, 1]),
                2: rng.randint(2, 5),
                3: rng.randint(6, 10),
                4: rng.randint(11, 15),
                5: rng.randint(18, 22),
            }[target]
            # Dates backwards from a recent last step, with the usual gaps.
            gaps = {
                "talk": 20,
                "activist": 120,
                "candidate": 380,
                "pre_review": 60,
                "branch_meeting": 25,
                "approval": 45,
                "full_meeting": 330,
            }
            day = today - dt.timedelta(days=rng.randint(5, 60))
            dated = []
            for step in reversed(development.STEPS[: last_index + 1]):
                dated.append((step, day))
                day -= dt.timedelta(days=gaps.get(step.code, 12) + rng.randint(0, 10))
            dated.reverse()
            if dated[0][1] < add_years(person.birth_date, 18):
                continue
            candidate = Candidate(
                person=person, organization=branch, stage=min(target, 5), status=CandidateStatus.ACTIVE
            )
            candidates.append((candidate, dated, full, branch))
    Candidate.objects.bulk_create([c for c, *_ in candidates], batch_size=BATCH)
    for candidate, dated, full, branch in candidates:
        by_code = {}
        for step, day in dated:
            record = DevelopmentStep(
                candidate=candidate,
                code=step.code,
                done_on=day,
                responsible=rng.choice(["支部书记", "组织委员", "培养联系人"]),
            )
            if step.publicity:
                record.publicity_from = day - dt.timedelta(days=9)
                short = rng.random() < 0.1
                record.publicity_to = record.publicity_from + dt.timedelta(days=3 if short else 8)
            if step.hours:
                record.hours = rng.choice([16, 24, 24, 32, 40]) if step.code == "training" else rng.choice([8, 12])
            steps.append(record)
            by_code[step.code] = record
            if step.people:
                count = 2 if step.people == "introducers" else rng.choice([1, 2])
                people_links.append((record, [m.person_id for m in rng.sample(full, min(count, len(full)))]))
        if "approval" in by_code:
            member = Member(
                person_id=candidate.person_id,
                organization=branch,
                stage="probationary",
                category=MemberCategory.OTHER,
                joined_on=by_code["branch_meeting"].done_on,
                applied_on=by_code["application"].done_on,
            )
            new_members.append((candidate, member))
    DevelopmentStep.objects.bulk_create(steps, batch_size=BATCH)
    DevelopmentStep.people.through.objects.bulk_create(
        [DevelopmentStep.people.through(developmentstep_id=r.pk, person_id=p) for r, ids in people_links for p in ids],
        batch_size=BATCH,
    )
    Member.objects.bulk_create([m for _c, m in new_members], batch_size=BATCH)
    for candidate, member in new_members:
        candidate.member = member
        new_placements.append(
            Placement(
                member=member,
                organization_id=member.organization_id,
                started_on=member.joined_on,
                reason=PlacementReason.JOINED,
            )
        )
    Candidate.objects.bulk_update([c for c, _m in new_members], ["member"], batch_size=BATCH)
    Placement.objects.bulk_create(new_placements, batch_size=BATCH)
    ctx.log(f"development: {len(candidates)} candidates, {len(steps)} steps, {len(new_members)} admitted")

    # Transfers in flight: a few per community, in each state.
    transfers, transfer_steps = [], []
    communities = ctx.shared["communities"]
    serials: dict[int, int] = {}
    for index, community in enumerate(communities):
        other = communities[(index + 1) % len(communities)]
        movers = [m for m in community["members"] if m.status == MembershipStatus.NORMAL]
        for member, state in zip(
            rng.sample(movers, min(4, len(movers))),
            [TransferState.APPLIED, TransferState.REVIEWING, TransferState.SENT, TransferState.SENT],
            strict=False,
        ):
            external = state == TransferState.SENT and rng.random() < 0.3
            transfer = Transfer(
                member=member,
                person_id=member.person_id,
                kind=TransferKind.OUTGOING if external else TransferKind.INTERNAL,
                state=state,
                from_organization_id=member.organization_id,
                approving_organization=community["committee"],
                to_organization=None if external else rng.choice(other["branches"]["residence"]),
                external_organization="江苏省南京市玄武区梅园新村街道党工委" if external else "",
                reason=rng.choice(["搬迁新居", "工作调动", "随子女居住", "退休后回原籍"]),
            )
            if state == TransferState.SENT:
                code = community["committee"].code
                serials[community["committee"].pk] = serials.get(community["committee"].pk, 0) + 1
                transfer.serial_number = f"{code}-{today.year}-{serials[community['committee'].pk]:04d}"
                transfer.issued_on = today - dt.timedelta(days=rng.randint(1, 20))
                transfer.dues_paid_until = dues.add_months(dues.month_start(today), -rng.randint(1, 2))
                transfer.valid_until = transfer.issued_on + dt.timedelta(days=90)
            transfers.append(transfer)
    # The demo's branch secretary has a letter to accept: one heading for the community's first
    # branch goes to their branch (chosen without the random generator: the rest stays as it was).
    demo_branch = communities[0]["branches"]["residence"][0]
    heading = [
        t
        for t in transfers
        if t.state == TransferState.SENT
        and t.to_organization is not None
        and t.to_organization in communities[0]["branches"]["residence"]
    ]
    if heading and not any(t.state == TransferState.SENT and t.to_organization == demo_branch for t in transfers):
        heading[0].to_organization = demo_branch
    Transfer.objects.bulk_create(transfers, batch_size=BATCH)
    order = [TransferState.APPLIED, TransferState.REVIEWING, TransferState.SENT]
    for transfer in transfers:
        previous = TransferState.APPLIED
        for position, state in enumerate(order[: order.index(TransferState(transfer.state)) + 1]):
            action = ["apply", "submit", "approve"][position]
            transfer_steps.append(
                TransferStep(
                    transfer=transfer,
                    action=action,
                    old_state=previous,
                    new_state=state,
                    organization_id=transfer.from_organization_id
                    if action != "approve"
                    else transfer.approving_organization_id,
                    note=transfer.reason if action == "apply" else "",
                )
            )
            previous = state
    TransferStep.objects.bulk_create(transfer_steps, batch_size=BATCH)
    ctx.log(f"transfers in flight: {len(transfers)}")


def seed_member_life(ctx: SeedContext) -> None:
    """Mobile members, in-service members reporting to their community, the hardship register
    with visits, and last year's democratic appraisal for the residence branches."""
    from dangjian.membership.models import (
        Appraisal,
        CareCase,
        CareVisit,
        CommunityReport,
        Grade,
        Hardship,
        MobileDirection,
        MobileRecord,
        ReportState,
        ServiceCategory,
    )

    rng, today = ctx.rng, ctx.today
    mobile, reports, cases, visits, appraisals = [], [], [], [], []
    needs_found: dict[str, str] = {
        Hardship.ILLNESS: "行动不便，希望社区医生定期上门量血压",
        Hardship.INCOME: "家庭收入低，想了解临时救助怎么申请",
        Hardship.ELDERLY: "独居，希望社区安排老年助餐",
        Hardship.DISABILITY: "希望帮忙办理残疾人两项补贴",
    }
    places = ["广东省深圳市南山区", "上海市浦东新区", "浙江省杭州市西湖区", "北京市海淀区", "江苏省苏州市工业园区"]
    for community in ctx.shared["communities"]:
        members = [m for m in community["members"] if m.status == MembershipStatus.NORMAL]
        employed = [m for m in members if m.category == MemberCategory.EMPLOYED]
        for member in rng.sample(employed, min(len(employed), max(2, len(employed) // 40))):
            started = today - dt.timedelta(days=rng.randint(30, 700))
            mobile.append(
                MobileRecord(
                    person_id=member.person_id,
                    direction=MobileDirection.OUT,
                    organization_id=member.organization_id,
                    place=rng.choice(places),
                    other_organization="当地流动党员党支部" if rng.random() < 0.6 else "",
                    contact_note="支部微信群",
                    reason=rng.choice(["外出务工", "异地工作", "随迁照顾子女"]),
                    started_on=started,
                    expected_return_on=started + dt.timedelta(days=rng.choice([180, 365, 730])),
                )
            )
        for member in rng.sample(employed, min(len(employed), max(3, len(employed) // 8))):
            state = rng.choice([ReportState.CONFIRMED, ReportState.CONFIRMED, ReportState.REGISTERED])
            registered = today - dt.timedelta(days=rng.randint(5, 500))
            reports.append(
                CommunityReport(
                    person_id=member.person_id,
                    community=community["region"],
                    workplace=rng.choice(
                        ["市第九医院党委", "钢城第一中学党总支", "区税务局机关党支部", "市供电公司党委"]
                    ),
                    categories=sorted(rng.sample(ServiceCategory.values, rng.randint(1, 3))),
                    state=state,
                    registered_on=registered,
                    confirmed_on=registered + dt.timedelta(days=3) if state == ReportState.CONFIRMED else None,
                )
            )
        old = [m for m in members if m.category == MemberCategory.RETIRED]
        for member in rng.sample(old, min(len(old), max(2, len(old) // 12))):
            cases.append(
                CareCase(
                    member=member,
                    hardship=rng.choice([Hardship.ILLNESS, Hardship.INCOME, Hardship.ELDERLY, Hardship.DISABILITY]),
                    description="家庭困难，需定期走访",
                    registered_on=today - dt.timedelta(days=rng.randint(60, 900)),
                )
            )
            if rng.random() < 0.7:
                visits.append(
                    CareVisit(
                        member=member,
                        visited_on=today - dt.timedelta(days=rng.randint(10, 400)),
                        visitors="社区党委书记、网格员",
                        occasion=rng.choice(["春节慰问", "七一走访", "住院探望"]),
                        money=rng.choice([None, 300, 500, 800]),
                        goods=rng.choice(["", "米、油", "慰问品"]),
                        # what the visit found the member needs (the demo's "转为诉求" carries it on)
                        note=needs_found[cases[-1].hardship],
                    )
                )
        year = today.year - 1
        for branch in community["branches"]["residence"][:2]:
            in_branch = [m for m in members if m.organization_id == branch.pk and m.joined_on.year < year]
            excellent = set(rng.sample(in_branch, len(in_branch) // 4))
            for member in in_branch:
                grade = (
                    Grade.EXCELLENT if member in excellent else rng.choices([Grade.QUALIFIED, Grade.BASIC], [95, 5])[0]
                )
                n = len(in_branch)
                votes = rng.randint(n // 2, n) if grade == Grade.EXCELLENT else rng.randint(0, n // 5)
                appraisals.append(
                    Appraisal(
                        member=member,
                        organization=branch,
                        year=year,
                        grade=grade,
                        self_assessment="认真学习，按时参加组织生活，积极参加志愿服务。",
                        votes_excellent=votes,
                        votes_qualified=n - votes,
                    )
                )
    MobileRecord.objects.bulk_create(mobile, batch_size=BATCH)
    CommunityReport.objects.bulk_create(reports, batch_size=BATCH)
    CareCase.objects.bulk_create(cases, batch_size=BATCH)
    CareVisit.objects.bulk_create(visits, batch_size=BATCH)
    Appraisal.objects.bulk_create(appraisals, batch_size=BATCH)
    ctx.log(
        f"mobile: {len(mobile)}, community reports: {len(reports)}, hardship: {len(cases)}, "
        f"visits: {len(visits)}, appraisals: {len(appraisals)}"
    )
