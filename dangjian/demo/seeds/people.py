"""Seed residents, households, party members and committees.

Names, addresses and ID numbers are synthetic but realistic: common surnames by frequency,
ID numbers with the district's division code, a real date of birth, a gender-coded sequence
and a valid GB 11643 check digit. Rows are bulk-inserted; at district scale (600,000 people)
the whole step takes minutes on PostgreSQL.
"""

import bisect
import datetime as dt
import random
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.calendar import add_years
from dangjian.core.models import Event, EventAction
from dangjian.core.validators import id_check_digit
from dangjian.demo.seeding import SeedContext
from dangjian.people.models import (
    CommitteeSeat,
    Education,
    Gender,
    Household,
    Member,
    MemberCategory,
    MemberStage,
    Person,
    Tag,
    TagKind,
)
from dangjian.people.pinyin import given_name, name_pinyin
from dangjian.people.services import ID_PURPOSE, PHONE_PURPOSE

ORDER = 20
BATCH = 5000

# Surnames with rough relative frequencies (the most common ones in China).
SURNAME_TABLE = """
王 72 李 70 张 68 刘 52 陈 45 杨 32 黄 25 赵 20 吴 20 周 19 徐 15 孙 14 马 13 朱 12 胡 12 郭 11 何 10 高 10
林 10 罗 9 郑 8 梁 8 谢 7 宋 6 唐 6 许 6 韩 6 冯 5 邓 5 曹 5 彭 5 曾 5 肖 5 田 5 董 4 袁 4 潘 4 于 4 蒋 4 蔡 4
余 4 杜 3 叶 3 程 3 苏 3 魏 3 吕 3 丁 3 任 3 沈 3 姚 3 卢 3 姜 3 崔 2 钟 2 谭 2 陆 2 汪 2 范 2 金 2 石 2 廖 2
贾 2 夏 2 韦 2 付 2 方 2 白 2 邹 2 孟 2 熊 2 秦 2 邱 2 江 2 尹 2 薛 2 闫 2 段 2 雷 2 侯 2 龙 2 史 2 陶 1 黎 1
贺 1 顾 1 毛 1 郝 1 龚 1 邵 1 万 1 钱 1 严 1 覃 1 武 1 戴 1 欧阳 1 单 1 司马 1
"""
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欣晨博志国建文成德海东亮振兴宏光春永"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲桂英红梅琳燕萍洁慧雪颖倩婷琴云莉兰凤佳欣怡萱雅晶月丹璐瑶蓉彤妍悦思"
ESTATES = [
    "钢花新村",
    "红钢城小区",
    "青和居",
    "建设新村",
    "园林小区",
    "康居花园",
    "翠园小区",
    "绿景苑",
    "临江苑",
    "学府嘉园",
    "和谐家园",
    "幸福里",
    "怡康苑",
    "工人村小区",
]
PERSON_TAGS = ["独居老人", "空巢老人", "困难群众", "低保户", "残疾人", "退役军人", "留守儿童"]
SKILL_TAGS = [
    "法律咨询",
    "医疗保健",
    "心理疏导",
    "纠纷调解",
    "教育辅导",
    "家电维修",
    "文艺表演",
    "书法绘画",
    "计算机",
    "财务会计",
    "就业指导",
    "理发",
]
INTEREST_TAGS = ["摄影", "广场舞", "太极拳", "合唱", "阅读", "志愿服务"]


def _weighted_surnames() -> tuple[list[str], list[int]]:
    tokens = SURNAME_TABLE.split()
    names, weights = tokens[0::2], [int(w) for w in tokens[1::2]]
    cumulative, total = [], 0
    for weight in weights:
        total += weight
        cumulative.append(total)
    return names, cumulative


def _age_years(rng) -> int:
    """An age drawn from a rough urban population pyramid (ageing community)."""
    band = rng.random()
    if band < 0.14:
        return rng.randint(0, 17)
    if band < 0.40:
        return rng.randint(18, 39)
    if band < 0.68:
        return rng.randint(40, 59)
    if band < 0.92:
        return rng.randint(60, 79)
    return rng.randint(80, 98)


def seed(ctx: SeedContext) -> None:
    rng, scale, today = ctx.rng, ctx.scale, ctx.today
    tags = _seed_tags()
    surnames, cumulative = _weighted_surnames()
    seq_by_birth: dict[str, int] = {}
    used_phones: set[str] = set()
    person_tag_rows: list[Any] = []
    member_rows: list[Any] = []
    member_specialties: list[Any] = []
    events: list[Any] = []
    person_type = ContentType.objects.get_for_model(Person)
    seeded_at = timezone.now()
    total = 0
    for community in ctx.shared["communities"]:
        branches = community["branches"]
        residence_branches = branches["residence"]
        people: list[Person] = []
        households: list[Household] = []
        adults: list[tuple[Person, int]] = []
        for grid in community["grids"]:
            remaining = scale.people_per_grid + rng.randint(-scale.people_per_grid // 10, scale.people_per_grid // 10)
            while remaining > 0:
                estate = rng.choice(ESTATES)
                address = f"{estate}{rng.randint(1, 40)}栋{rng.randint(1, 6)}单元{rng.randint(1, 30)}{rng.randint(1, 4):02d}室"
                household = Household(region=grid, address=address)
                households.append(household)
                size = min(remaining, rng.choice([1, 1, 2, 2, 2, 3, 3, 3, 4, 5]))
                surname = surnames[_pick(rng, cumulative)]
                for position in range(size):
                    remaining -= 1
                    gender = rng.choice([Gender.MALE, Gender.FEMALE])
                    chars = MALE_CHARS if gender == Gender.MALE else FEMALE_CHARS
                    own_surname = surname if position != 1 else surnames[_pick(rng, cumulative)]
                    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.75 else "")
                    name = own_surname + given
                    age = _age_years(rng) if size == 1 or position > 0 else rng.randint(25, 90)
                    if size == 1 and age < 18:
                        age = rng.randint(60, 95)  # people living alone are mostly elderly
                    birth = add_years(today, -age) - dt.timedelta(days=rng.randint(1, 364))
                    id_number = _id_number(community["district_code"], birth, gender, seq_by_birth, rng)
                    phone = _phone(rng, used_phones) if age >= 16 and rng.random() < 0.85 else ""
                    full, initials = name_pinyin(name)
                    person = Person(
                        name=name,
                        name_pinyin=full,
                        name_initials=initials,
                        name_given=given_name(name),
                        gender=gender,
                        birth_date=birth,
                        education=_education(rng, age),
                        region=grid,
                        address=address,
                        household=household,
                        **crypto.protected("id_number", id_number, model=Person, purpose=ID_PURPOSE),
                        **crypto.protected("phone", phone, model=Person, purpose=PHONE_PURPOSE),
                        ethnicity="汉族"
                        if rng.random() < 0.96
                        else rng.choice(["回族", "满族", "土家族", "壮族", "苗族"]),
                    )
                    people.append(person)
                    if age >= 18:
                        adults.append((person, age))
                    person_tag_rows.extend((person, tag) for tag in _person_tags(rng, tags, age, size))
        Household.objects.bulk_create(households, batch_size=BATCH)
        for person in people:
            person.household_id = person.household.pk  # type: ignore[union-attr]  # every seeded person has one
        Person.objects.bulk_create(people, batch_size=BATCH)
        total += len(people)
        events.extend(
            Event(
                action=EventAction.CREATED,
                target_type=person_type,
                target_id=p.pk,
                target_label=p.name,
                occurred_at=seeded_at,
                reason="演示数据初始化",
            )
            for p in people
        )
        # Party members: about one adult in eight, more among the retired.
        community_members = []
        for person, age in adults:
            share = scale.member_share * (1.6 if age >= 60 else 0.8)
            if rng.random() >= share:
                continue
            member = _member(ctx, person, age, branches, residence_branches)
            member_rows.append(member)
            community_members.append(member)
            if rng.random() < 0.3:
                member_specialties.extend((member, tag) for tag in rng.sample(tags[TagKind.SKILL], rng.randint(1, 2)))
            if rng.random() < 0.2:
                member_specialties.append((member, rng.choice(tags[TagKind.INTEREST])))
        community["members"] = community_members
        community["people"] = people
        if len(events) >= BATCH * 4:
            _flush_events(events)
    _flush_events(events)
    Member.objects.bulk_create(member_rows, batch_size=BATCH)
    ctx.log(f"people: {total}, party members: {len(member_rows)}")
    Person.tags.through.objects.bulk_create(
        [Person.tags.through(person_id=p.pk, tag_id=t.pk) for p, t in person_tag_rows], batch_size=BATCH
    )
    Member.specialties.through.objects.bulk_create(
        [Member.specialties.through(member_id=m.pk, tag_id=t.pk) for m, t in member_specialties], batch_size=BATCH
    )
    _seed_seats(ctx)
    ctx.log(f"tags on people: {len(person_tag_rows)}, member specialties: {len(member_specialties)}")


def _flush_events(events: list) -> None:
    Event.objects.bulk_create(events, batch_size=BATCH)
    events.clear()


def _pick(rng, cumulative: list[int]) -> int:
    return bisect.bisect_right(cumulative, rng.random() * cumulative[-1])


def _id_number(district_code: str, birth: dt.date, gender: str, seq_by_birth: dict[str, int], rng) -> str:
    key = f"{district_code}{birth:%Y%m%d}"
    if key not in seq_by_birth:
        # Real sequence numbers (digits 15–17) are spread out; start each date somewhere random.
        seq_by_birth[key] = rng.randrange(0, 400) * 2
    seq = seq_by_birth[key] + 1
    seq_by_birth[key] = seq
    # The 17th digit is odd for men and even for women: men take odd orders, women even ones;
    # the sequence keeps ~500 of each distinct per birth date and district.
    order = (seq * 2 - 1) if gender == Gender.MALE else (seq * 2)
    first17 = f"{key}{order % 1000:03d}"
    return first17 + id_check_digit(first17)


def _phone(rng, used: set[str]) -> str:
    while True:
        number = f"1{rng.choice('35789')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
        if number not in used:
            used.add(number)
            return number


def _education(rng, age: int) -> str:
    if age < 12:
        return ""
    if age < 16:
        return Education.JUNIOR
    weights = [
        (Education.PRIMARY, 2 if age < 60 else 10),
        (Education.JUNIOR, 12 if age < 60 else 14),
        (Education.SENIOR, 20),
        (Education.COLLEGE, 16),
        (Education.BACHELOR, 18 if age < 60 else 5),
        (Education.POSTGRADUATE, 4 if age < 60 else 1),
    ]
    return rng.choices([w[0] for w in weights], [w[1] for w in weights])[0]


def _person_tags(rng, tags: dict, age: int, household_size: int) -> list[Tag]:
    chosen = []
    by_name = tags["by_name"]
    if age >= 65 and household_size == 1 and rng.random() < 0.7:
        chosen.append(by_name["独居老人"])
    elif age >= 65 and household_size == 2 and rng.random() < 0.25:
        chosen.append(by_name["空巢老人"])
    if rng.random() < 0.03:
        chosen.append(by_name["困难群众"])
        if rng.random() < 0.5:
            chosen.append(by_name["低保户"])
    if rng.random() < 0.02:
        chosen.append(by_name["残疾人"])
    if age >= 22 and rng.random() < 0.015:
        chosen.append(by_name["退役军人"])
    if age < 14 and rng.random() < 0.03:
        chosen.append(by_name["留守儿童"])
    return chosen


def _member(ctx: SeedContext, person: Person, age: int, branches: dict, residence: list) -> Member:
    rng, today = ctx.rng, ctx.today
    assert person.birth_date is not None  # seeded people all have one
    adult_on = add_years(person.birth_date, 18)
    earliest = max(adult_on, add_years(today, -60))
    # Someone who came of age less than 400 days ago cannot have finished the probation year.
    probationary = (age < 45 and rng.random() < 0.06) or (today - earliest).days < 400
    if probationary:
        # Some are due to become full members; nobody joined before turning 18.
        longest = min(380, (today - adult_on).days)
        joined = today - dt.timedelta(days=rng.randint(min(20, longest), longest))
    else:
        span = max((today - earliest).days - 400, 1)
        joined = earliest + dt.timedelta(days=rng.randint(0, span))
    if age >= 60:
        category, organization = MemberCategory.RETIRED, rng.choice([branches["retired"], *residence])
    elif age < 23:
        category, organization = MemberCategory.STUDENT, rng.choice(residence)
    else:
        category = rng.choices([MemberCategory.EMPLOYED, MemberCategory.OTHER, MemberCategory.FARMER], [85, 12, 3])[0]
        organization = rng.choices(
            [branches["employed"], branches["joint"], branches["specialty"], *residence],
            [40, 10, 8] + [14] * len(residence),
        )[0]
    return Member(
        person=person,
        organization=organization,
        category=category,
        stage=MemberStage.PROBATIONARY if probationary else MemberStage.FULL,
        applied_on=joined - dt.timedelta(days=rng.randint(500, 1500)),
        joined_on=joined,
        full_on=None if probationary else add_years(joined, 1),
    )


def _seed_tags() -> dict:
    """The demo's tags; skill tags the service catalogue's migration created already are reused
    (with the seed's order)."""
    wanted = (
        [(TagKind.PERSON, n, i) for i, n in enumerate(PERSON_TAGS)]
        + [(TagKind.SKILL, n, i) for i, n in enumerate(SKILL_TAGS)]
        + [(TagKind.INTEREST, n, i) for i, n in enumerate(INTEREST_TAGS)]
    )
    existing = {(t.kind, t.name): t for t in Tag.objects.all()}
    Tag.objects.bulk_create(
        [Tag(kind=kind, name=name, sort_order=i) for kind, name, i in wanted if (kind, name) not in existing]
    )
    by_key = {(t.kind, t.name): t for t in Tag.objects.all()}
    for kind, name, i in wanted:
        if by_key[(kind, name)].sort_order != i:
            Tag.objects.filter(pk=by_key[(kind, name)].pk).update(sort_order=i)
    rows = [by_key[(kind, name)] for kind, name, _i in wanted]
    tags: dict = {kind: [t for t in rows if t.kind == kind] for kind in TagKind.values}
    tags["by_name"] = {t.name: t for t in rows if t.kind == TagKind.PERSON}
    return tags


def _former_committee(committee: Any, members: list[Member]) -> list[CommitteeSeat]:
    """The committee of the term before (历届委员会 on the committee's page): five full members of
    then, in office until the day the present committee was elected. Its own random choice, so
    that the rest of the seed stays as it was."""
    started = committee.term_started_on
    if started is None:
        return []
    before = add_years(started, -5)
    rng = random.Random(f"former-{committee.code}")
    then = [m for m in members if m.stage == MemberStage.FULL and m.full_on and m.full_on <= before]
    chosen = rng.sample(then, min(5, len(then)))
    titles = ["secretary", "deputy", "member", "member", "member"]
    return [
        CommitteeSeat(organization=committee, person_id=m.person_id, title=title, started_on=before, ended_on=started)
        for m, title in zip(chosen, titles, strict=False)
    ]


def _seed_seats(ctx: SeedContext) -> None:
    """Committees: the community committee and each branch get a secretary (and more) from their members."""
    rng, seats = ctx.rng, []
    for community in ctx.shared["communities"]:
        members = community["members"]
        by_org: dict[int, list[Member]] = {}
        for member in members:
            by_org.setdefault(member.organization_id, []).append(member)
        committee = community["committee"]
        full = [m for m in members if m.stage == MemberStage.FULL]
        for title, count in (("secretary", 1), ("deputy", 2), ("member", 4)):
            for member in rng.sample(full, min(count, len(full))):
                full.remove(member)
                seats.append(
                    CommitteeSeat(
                        organization=committee,
                        person_id=member.person_id,
                        title=title,
                        started_on=committee.term_started_on,
                    )
                )
        seats += _former_committee(committee, members)
        for org_id, org_members in by_org.items():
            candidates = [m for m in org_members if m.stage == MemberStage.FULL]
            if not candidates:
                continue
            secretary = rng.choice(candidates)
            org = secretary.organization
            seats.append(
                CommitteeSeat(
                    organization_id=org_id,
                    person_id=secretary.person_id,
                    title="secretary",
                    started_on=org.term_started_on or ctx.today,
                )
            )
            if len(candidates) >= 7:  # ≥7 full members: a branch committee of 3–5
                for member in rng.sample([m for m in candidates if m is not secretary], 2):
                    seats.append(
                        CommitteeSeat(
                            organization_id=org_id,
                            person_id=member.person_id,
                            title="member",
                            started_on=org.term_started_on or ctx.today,
                        )
                    )
    CommitteeSeat.objects.bulk_create(seats, batch_size=BATCH)
    ctx.log(f"committee seats: {len(seats)}")
