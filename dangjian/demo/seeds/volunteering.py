"""Volunteering of the demo community (红钢城社区) and, at district scale, of every community.

The demo community gets three teams (the demo ``member`` leads the legal-aid team), a year of
weekly posts claimed by its 在职党员 (those reporting to it) with check-ins and verified hours,
upcoming posts the demo ``member`` may claim, small wishes in every state — one of the demo
``resident``'s waiting for her word, one shown to members that the demo ``member`` may take —,
records waiting for the staff's verification, and time banks with hours spent and given.

At district scale every other community gets a year of posts and about 3,000 verified service
records (about 300,000 in a district of 100 communities), each with its ledger line, so that the
time bank reconciles there too. Rows are written directly (the services refuse past times), with
their own random numbers so that the rest of the seed stays as it was; no person's time overlaps
and no day passes the daily cap.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.demo.seeding import SeedContext, fast_insert
from dangjian.membership.models import CommunityReport, ReportState
from dangjian.orgs.models import ResidentUnit
from dangjian.people.models import Person, PersonStatus
from dangjian.servicedesk.models import ServiceCategory
from dangjian.volunteering.models import (
    Claim,
    ClaimState,
    ConfirmedVia,
    LedgerEntry,
    LedgerKind,
    Nomination,
    NominationState,
    Post,
    RecordMethod,
    RecordState,
    ReportBack,
    ReportBackState,
    ServiceRecord,
    Team,
    TeamMember,
    Wish,
    WishState,
)

ORDER = 55

POSTS = (
    ("周末楼道清洁", "governance", "临江苑各楼栋"),
    ("法律咨询值班", "legal", "党群服务中心法律服务室"),
    ("助老送餐", "hardship", "社区老年食堂"),
    ("夜间安全巡逻", "safety", "社区主干道"),
    ("义诊咨询服务", "health", "党群服务中心一楼大厅"),
    ("广场文艺排练", "culture", "社区文化广场"),
    ("垃圾分类督导", "governance", "各小区垃圾投放点"),
    ("党员先锋岗·政策宣讲", "organisation", "党群服务中心党员活动室"),
)
WISHES = (
    "想要一台收音机",
    "希望有人陪我去医院复查",
    "孩子想要一套课外读物",
    "家里灯泡坏了，希望有人帮忙换",
    "想学会用手机视频通话",
    "希望有人帮忙修理轮椅",
    "想要一个电饭煲",
    "希望周末有人来陪我聊聊天",
)
TEAMS = (
    ("红钢城法律援助志愿服务队", "legal-aid"),
    ("红钢城文体志愿服务队", "culture-sports"),
    ("红钢城家政帮帮团", "home-services"),
)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def seed(ctx: SeedContext) -> None:
    communities = ctx.shared["communities"]
    _seed_demo_community(ctx, communities[0])
    # A year of service in every community: the demo community's other members (no posts: its own
    # are seeded above) and the others' teams and posts. How many members serve follows the
    # community's quality profile (seeds/servicedesk.py), so the evaluation tells one story.
    _seed_year(ctx, communities[:1], posts=False)
    _seed_year(ctx, communities[1:], first_index=1)


def _reported(community: dict) -> list[int]:
    return list(
        CommunityReport.objects.filter(community=community["region"], state=ReportState.CONFIRMED).values_list(
            "person_id", flat=True
        )
    )


def _seed_demo_community(ctx: SeedContext, community: dict) -> None:
    region = community["region"]
    rng = random.Random(f"volunteering-{ctx.seed}")
    today = ctx.today
    now = timezone.now()
    demo = {
        person.user.username: person
        for person in Person.objects.filter(user__username__in=("resident", "member", "staff")).select_related("user")
        if person.user is not None
    }
    member_ids = [
        m.person_id for m in community["members"] if m.status == "normal" and m.person_id not in _demo_ids(demo)
    ]
    residents = list(
        Person.objects.filter(region__parent=region, status=PersonStatus.ACTIVE, user__isnull=True, member__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:300]
    )
    # Teams, the demo member leading the legal-aid one.
    teams: list[Team | None] = []
    for index, (name, code) in enumerate(TEAMS):
        specialty = _specialty(code)
        if specialty is None:  # a database without the catalogue (a flushed test database)
            teams.append(None)
            continue
        leader_id = demo["member"].pk if index == 0 and "member" in demo else rng.choice(member_ids)
        team = Team.objects.create(
            name=name,
            region=region,
            organization=community["committee"],
            specialty=specialty,
            leader_id=leader_id,
            description="由社区党员和热心居民组成，按专长提供志愿服务。",
            created_at=now - dt.timedelta(days=400),
        )
        people = {leader_id, *rng.sample(member_ids, min(8, len(member_ids))), *rng.sample(residents, 4)}
        TeamMember.objects.bulk_create(
            [
                TeamMember(team=team, person_id=pid, joined_on=today - dt.timedelta(days=rng.randint(30, 380)))
                for pid in sorted(people)
            ]
        )
        teams.append(team)
    reporters = _reported(community) or member_ids[:20]
    claimers = sorted(set(reporters) | set(rng.sample(member_ids, min(20, len(member_ids)))))
    if "member" in demo:  # the demo member has served too: their hours, records and time bank show
        claimers.append(demo["member"].pk)
    # A year of weekly posts (Saturdays), each claimed and served.
    busy: dict[int, set[dt.date]] = {}
    records: list[ServiceRecord] = []
    posts = claims = 0
    first = today - dt.timedelta(days=364)
    saturday = first + dt.timedelta(days=(5 - first.weekday()) % 7)
    week = 0
    while saturday < today:
        title, category, place = POSTS[week % len(POSTS)]
        hour = 19 if category == "safety" else 9
        starts = _at(saturday, hour)
        post = Post.objects.create(
            title=title,
            region=region,
            team=teams[0] if category == "legal" else teams[1] if category == "culture" else None,
            category=category,
            place=place,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            places=rng.choice((3, 4, 5)),
            created_at=starts - dt.timedelta(days=7),
        )
        posts += 1
        for pid in rng.sample(claimers, min(post.places, len(claimers))):
            if saturday in busy.setdefault(pid, set()):
                continue
            busy[pid].add(saturday)
            arrived = starts + dt.timedelta(minutes=rng.randint(-15, 10))
            left = post.ends_at + dt.timedelta(minutes=rng.randint(-20, 10))
            claim = Claim.objects.create(
                post=post,
                person_id=pid,
                state=ClaimState.CONFIRMED,
                decided_at=starts - dt.timedelta(days=5),
                checked_in_at=arrived,
                checked_out_at=left,
                created_at=starts - dt.timedelta(days=6),
            )
            claims += 1
            start, end = max(arrived, starts), min(left, post.ends_at)
            records.append(
                ServiceRecord(
                    person_id=pid,
                    community=region,
                    team=post.team,
                    claim=claim,
                    description=title,
                    started_at=start,
                    ended_at=end,
                    minutes=int((end - start).total_seconds() // 60),
                    state=RecordState.VERIFIED,
                    method=RecordMethod.CHECK_IN,
                    verified_at=left,
                    created_at=left,
                )
            )
        week += 1
        saturday += dt.timedelta(days=7)
    # Help at the desk and visits recorded by the staff on weekdays.
    for pid in claimers[:15]:
        for day in rng.sample(range(1, 360), 4):
            when = today - dt.timedelta(days=day)
            if when.weekday() >= 5 or when in busy.setdefault(pid, set()):
                continue
            busy[pid].add(when)
            start = _at(when, 14)
            end = start + dt.timedelta(minutes=rng.choice((60, 90, 120)))
            records.append(
                ServiceRecord(
                    person_id=pid,
                    community=region,
                    description=rng.choice(("入户走访独居老人", "协助调解邻里纠纷", "党群服务中心值班")),
                    started_at=start,
                    ended_at=end,
                    minutes=int((end - start).total_seconds() // 60),
                    state=RecordState.VERIFIED,
                    method=RecordMethod.ORGANISER,
                    verified_at=end + dt.timedelta(days=1),
                    created_at=end,
                )
            )
    ServiceRecord.objects.bulk_create(records)
    ledger = [_earned(record) for record in records]
    # Upcoming posts: the demo member may claim them; one is claimed already, waiting.
    upcoming = []
    for days, (title, category, place) in zip((2, 4, 6, 9), POSTS[:4], strict=True):
        starts = _at(today + dt.timedelta(days=days), 19 if category == "safety" else 9)
        upcoming.append(
            Post.objects.create(
                title=title,
                region=region,
                team=teams[0] if category == "legal" else None,
                category=category,
                place=place,
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=2),
                places=4,
                description="请提前十分钟到达，签到后领取工作牌。",
                created_at=now - dt.timedelta(days=2),
            )
        )
    for post in upcoming[:2]:
        for pid in rng.sample(claimers, 2):
            Claim.objects.create(
                post=post, person_id=pid, state=ClaimState.PENDING, created_at=now - dt.timedelta(days=1)
            )
    hospital = ResidentUnit.objects.filter(region__path__startswith=region.path).order_by("pk").first()
    if hospital is not None:
        Claim.objects.create(post=upcoming[3], unit=hospital, state=ClaimState.CONFIRMED, decided_at=now)
    # Records waiting for verification (members' own).
    for pid in claimers[15:18]:
        when = today - dt.timedelta(days=rng.randint(1, 5))
        if when in busy.setdefault(pid, set()):
            continue
        start = _at(when, 15)
        ServiceRecord.objects.create(
            person_id=pid,
            community=region,
            description=rng.choice(("帮邻居修水管", "陪同独居老人就医", "清理楼道小广告")),
            started_at=start,
            ended_at=start + dt.timedelta(hours=1),
            minutes=60,
            state=RecordState.PENDING,
            created_at=start + dt.timedelta(hours=2),
        )
    # Small wishes, in every state.
    wish_rows = _seed_wishes(rng, region, residents, claimers, demo, now)
    ledger.extend(_earned(record) for record in wish_rows)
    LedgerEntry.objects.bulk_create(ledger)
    # Time banks used: hours spent on the community's services and given to an elderly neighbour.
    spenders = claimers[:6]
    extra = []
    for pid in spenders[:4]:
        extra.append(
            LedgerEntry(
                person_id=pid,
                kind=LedgerKind.SPENT,
                minutes=-60,
                community=region,
                memo=rng.choice(("兑换上门理发服务", "兑换家电维修服务")),
                created_at=now - dt.timedelta(days=rng.randint(3, 60)),
            )
        )
    if len(spenders) > 4 and residents:
        given = now - dt.timedelta(days=20)
        extra.append(
            LedgerEntry(
                person_id=spenders[4],
                kind=LedgerKind.DONATED,
                minutes=-120,
                counterpart_id=residents[0],
                community=region,
                memo="赠予独居老人",
                created_at=given,
            )
        )
        extra.append(
            LedgerEntry(
                person_id=residents[0],
                kind=LedgerKind.RECEIVED,
                minutes=120,
                counterpart_id=spenders[4],
                community=region,
                memo="赠予独居老人",
                created_at=given,
            )
        )
    LedgerEntry.objects.bulk_create(extra)
    _seed_reports(region, today, now)
    _seed_nominations(region, claimers, demo, today, now)
    ctx.log(
        f"volunteering: teams {len([t for t in teams if t])}, posts {posts + len(upcoming)}, claims {claims}, records {len(records)}"
    )


def _seed_reports(region: Any, today: dt.date, now: dt.datetime) -> None:
    """The half-year before last reported back and confirmed; the last one opened, to be checked."""
    from dangjian.volunteering import reports

    last = reports.period_of(reports.period_of(today)[0] - dt.timedelta(days=1))
    earlier = reports.period_of(last[0] - dt.timedelta(days=1))
    rows = reports.report_rows([region.pk], *earlier).get(region.pk, [])
    ReportBack.objects.create(
        community=region,
        period_start=earlier[0],
        period_end=earlier[1],
        state=ReportBackState.CONFIRMED,
        confirmed_by=User.objects.filter(username="secretary").first(),
        confirmed_at=_at(earlier[1] + dt.timedelta(days=5), 10),
        snapshot=reports.snapshot_of(reports.by_workplace(rows)),
    )
    ReportBack.objects.create(community=region, period_start=last[0], period_end=last[1])


def _seed_nominations(region: Any, claimers: list[int], demo: dict[str, Any], today: dt.date, now: dt.datetime) -> None:
    """评先树优: last year's 优秀志愿者 on the roll of honour (agreed), this year's nomination of the
    demo member approved and waiting for his consent, one waiting for the street's review."""
    from dangjian.volunteering.recognition import evidence_of

    people = {p.pk: p for p in Person.objects.filter(pk__in=claimers[:2])}
    plan = [
        (claimers[0], "优秀志愿者", today.year - 1, NominationState.APPROVED, True),
        (claimers[1], "最美楼栋长", today.year, NominationState.SUBMITTED, False),
    ]
    if "member" in demo:
        people[demo["member"].pk] = demo["member"]
        plan.append((demo["member"].pk, "优秀共产党员志愿者", today.year, NominationState.APPROVED, False))
    reasons = {
        "优秀志愿者": "常年参加社区周末楼道清洁和助老送餐，带动身边党员和居民参与志愿服务。",
        "最美楼栋长": "热心楼栋事务，组织邻里互助，及时反映和协助解决居民诉求。",
        "优秀共产党员志愿者": "带领法律援助志愿服务队每周值班，为居民提供法律咨询，调解邻里纠纷。",
    }
    for person_id, title, year, state, consented in plan:
        if person_id not in people:
            continue
        Nomination.objects.create(
            community=region,
            person_id=person_id,
            title=title,
            reasons=reasons[title],
            evidence=evidence_of(people[person_id], year),
            year=year,
            state=state,
            reviewed_at=now - dt.timedelta(days=10) if state == NominationState.APPROVED else None,
            consent_at=now - dt.timedelta(days=8) if consented else None,
            created_at=now - dt.timedelta(days=20),
        )


def _specialty(code: str) -> ServiceCategory | None:
    return ServiceCategory.objects.filter(code=code).first() or ServiceCategory.objects.filter(is_active=True).first()


def _demo_ids(demo: dict[str, Any]) -> set[int]:
    return {person.pk for person in demo.values()}


def _earned(record: ServiceRecord) -> LedgerEntry:
    return LedgerEntry(
        person_id=record.person_id,
        kind=LedgerKind.EARNED,
        minutes=record.minutes,
        record=record,
        community_id=record.community_id,
        memo=record.description[:200],
        created_at=record.verified_at or record.created_at,
    )


def _seed_wishes(
    rng: random.Random, region: Any, residents: list[int], claimers: list[int], demo: dict[str, Any], now: dt.datetime
) -> list[ServiceRecord]:
    """Wishes of residents: fulfilled and confirmed (with the time verified by the resident's word),
    waiting for the resident's word (one of the demo resident's), taken, open and shown to members
    (the demo member may take one), open and private."""
    grids = dict(Person.objects.filter(pk__in=residents).values_list("pk", "region_id"))
    records: list[ServiceRecord] = []
    plan = [WishState.CONFIRMED] * 6 + [WishState.FULFILLED] * 2 + [WishState.CLAIMED] * 2 + [WishState.OPEN] * 4
    plan = plan[: max(0, len(residents) - 1)]
    for index, state in enumerate(plan):
        resident_id = residents[index + 1]
        if index == 6 and "resident" in demo and demo["resident"].region_id:
            resident_id = demo["resident"].pk
        claimer = rng.choice(claimers) if state != WishState.OPEN else None
        created = now - dt.timedelta(days=rng.randint(10, 200) if state == WishState.CONFIRMED else rng.randint(4, 9))
        region_id = demo["resident"].region_id if resident_id not in grids else grids[resident_id]
        wish = Wish.objects.create(
            title=WISHES[index % len(WISHES)],
            resident_id=resident_id,
            region_id=region_id,
            community=region,
            shown_to_members=index % 2 == 0,
            state=state,
            claimer_id=claimer,
            claimed_at=created + dt.timedelta(days=1) if claimer else None,
            fulfilled_at=created + dt.timedelta(days=3)
            if state in (WishState.FULFILLED, WishState.CONFIRMED)
            else None,
            fulfilment_note="已上门办好" if state in (WishState.FULFILLED, WishState.CONFIRMED) else "",
            confirmed_at=created + dt.timedelta(days=4) if state == WishState.CONFIRMED else None,
            confirmed_via=ConfirmedVia.RESIDENT if state == WishState.CONFIRMED else "",
            created_at=created,
        )
        if state in (WishState.CONFIRMED, WishState.FULFILLED) and claimer is not None:
            start = timezone.localtime(created + dt.timedelta(days=3)).replace(
                hour=16, minute=0, second=0, microsecond=0
            )
            confirmed = state == WishState.CONFIRMED
            record = ServiceRecord.objects.create(
                person_id=claimer,
                community=region,
                wish=wish,
                description=wish.title,
                started_at=start,
                ended_at=start + dt.timedelta(minutes=45),
                minutes=45,
                state=RecordState.VERIFIED if confirmed else RecordState.PENDING,
                method=RecordMethod.RESIDENT if confirmed else "",
                verified_at=wish.confirmed_at,
                created_at=start + dt.timedelta(hours=1),
            )
            if confirmed:
                records.append(record)
    return records


# -- District scale -------------------------------------------------------------------------------


# The share of a community's members who serve in a year, by its quality profile (the index of
# the community modulo 4, as seeds/servicedesk.py cycles PROFILES).
SERVING_SHARE = (0.6, 0.45, 0.35, 0.15)


def _seed_year(ctx: SeedContext, communities: list, *, posts: bool = True, first_index: int = 0) -> None:
    """About 150 posts (when ``posts``) and 3,000 verified records a year per community, with their
    ledger lines, from a share of its members (SERVING_SHARE)."""
    rng = random.Random(f"volunteering-year-{ctx.seed}-{first_index}")
    today = ctx.today
    specialty = _specialty("culture-sports")
    if specialty is None:
        return
    total_records = 0
    before = ServiceRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    # The demo accounts and whoever already has records keep theirs exactly as seeded (no overlap).
    seeded = set(Person.objects.filter(user__isnull=False).values_list("pk", flat=True))
    seeded |= set(ServiceRecord.objects.values_list("person_id", flat=True).distinct())
    for index, community in enumerate(communities, start=first_index):
        region = community["region"]
        members = [m.person_id for m in community["members"] if m.status == "normal" and m.person_id not in seeded]
        if not members:
            continue
        share = SERVING_SHARE[index % len(SERVING_SHARE)]
        volunteers = rng.sample(members, min(len(members), max(10, int(len(members) * share))))
        if not posts:
            records: list[dict[str, Any]] = []
            for pid in volunteers:
                for day in rng.sample(range(1, 365), min(364, 3000 // len(volunteers))):
                    start = _at(today - dt.timedelta(days=day), 14)
                    records.append(_row(pid, region.pk, None, None, "社区服务", start, rng.choice((60, 90, 120))))
            fast_insert(ServiceRecord, records)
            total_records += len(records)
            continue
        team = Team.objects.create(
            name=f"{region.name}志愿服务队", region=region, organization=community["committee"], specialty=specialty
        )
        TeamMember.objects.bulk_create(
            [TeamMember(team=team, person_id=pid, joined_on=today - dt.timedelta(days=400)) for pid in volunteers[:40]]
        )
        made = Post.objects.bulk_create(
            [
                Post(
                    title=POSTS[n % len(POSTS)][0],
                    region=region,
                    team=team if n % 3 == 0 else None,
                    category=POSTS[n % len(POSTS)][1],
                    place=POSTS[n % len(POSTS)][2],
                    starts_at=_at(today - dt.timedelta(days=365 - n * 2), 9),
                    ends_at=_at(today - dt.timedelta(days=365 - n * 2), 11),
                    places=4,
                )
                for n in range(150)
            ]
        )
        claims = Claim.objects.bulk_create(
            [
                Claim(post=post, person_id=pid, state=ClaimState.CONFIRMED)
                for post in made
                for pid in rng.sample(volunteers, min(3, len(volunteers)))
            ],
            batch_size=2000,
        )
        records = []
        used: dict[int, set[int]] = {}
        posts_by_id = {post.pk: post for post in made}
        for claim in claims:
            if claim.person_id is None:
                continue
            post = posts_by_id[claim.post_id]
            day = (today - post.starts_at.date()).days
            if day in used.setdefault(claim.person_id, set()):
                continue
            used[claim.person_id].add(day)
            records.append(
                _row(
                    claim.person_id,
                    region.pk,
                    team.pk if post.team_id else None,
                    claim.pk,
                    post.title,
                    post.starts_at,
                    120,
                )
            )
        for pid in volunteers:
            free = [d for d in range(1, 365) if d not in used.setdefault(pid, set())]
            for day in rng.sample(free, min(len(free), 3000 // len(volunteers))):
                start = _at(today - dt.timedelta(days=day), 14)
                records.append(_row(pid, region.pk, None, None, "社区服务", start, rng.choice((60, 90, 120))))
        fast_insert(ServiceRecord, records)
        total_records += len(records)
    # One earned line per verified record of these communities (hundreds of thousands: by COPY).
    ids = [community["region"].pk for community in communities]
    verified = ServiceRecord.objects.filter(
        state=RecordState.VERIFIED, community_id__in=ids, pk__gt=before
    ).values_list("pk", "person_id", "minutes", "community_id", "description", "verified_at")
    fast_insert(
        LedgerEntry,
        [
            {
                "person_id": person_id,
                "kind": LedgerKind.EARNED.value,
                "minutes": minutes,
                "record_id": pk,
                "reverses_id": None,
                "counterpart_id": None,
                "community_id": community_id,
                "memo": what[:200],
                "created_at": at,
                "created_by_id": None,
            }
            for pk, person_id, minutes, community_id, what, at in verified.iterator(chunk_size=10_000)
        ],
    )
    ctx.log(f"volunteering of the other communities: records {total_records}")


def _row(
    person_id: int,
    community_id: int,
    team_id: int | None,
    claim_id: int | None,
    what: str,
    start: dt.datetime,
    minutes: int,
) -> dict[str, Any]:
    end = start + dt.timedelta(minutes=minutes)
    return {
        "person_id": person_id,
        "community_id": community_id,
        "team_id": team_id,
        "claim_id": claim_id,
        "wish_id": None,
        "request_id": None,
        "activity_id": None,
        "description": what,
        "started_at": start,
        "ended_at": end,
        "minutes": minutes,
        "state": RecordState.VERIFIED.value,
        "method": (RecordMethod.CHECK_IN if claim_id else RecordMethod.ORGANISER).value,
        "recorded_by_id": None,
        "verified_by_id": None,
        "verified_at": end,
        "reason": "",
        "created_at": end,
        "updated_at": end,
        "version": 1,
    }
