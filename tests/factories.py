"""Test data builders. Prefer these to ad-hoc model creation so that paths, encryption and
events are set up exactly as in production."""

import datetime as dt
import itertools
from types import SimpleNamespace

from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.accounts.services import grant_role
from dangjian.core.actors import Actor
from dangjian.core.validators import id_check_digit
from dangjian.membership.models import Placement, PlacementReason
from dangjian.orgs.models import Organization, OrgKind, Region, RegionLevel, ResidentUnit, Room, ServiceSite
from dangjian.orgs.trees import TreeBuilder
from dangjian.people.models import CommitteeSeat, Member, MemberCategory, MemberStage, Tag, TagKind
from dangjian.people.services import person_create

PASSWORD = "Test-pass-2026"


def as_actor(
    user=None, *, now: dt.datetime | None = None, today: dt.date | None = None, via: str = "web", ip: str | None = None
) -> Actor:
    """The one way tests say who acts, and when: ``user`` (an anonymous user for a resident
    without an account; an Actor, to act again at another moment), or the system when ``user``
    is None; at ``now`` (or at noon on ``today``), else at the current moment."""
    if today is not None:
        now = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    if isinstance(user, Actor):
        if now is None:
            return user
        if user.system:
            return Actor.for_system(via=user.via, now=now)
        return Actor(user=user.user, via=user.via, ip=user.ip, now=now)
    if user is None:
        return Actor.for_system(via="command", now=now)
    return Actor(user=user, via=via, ip=ip, now=now)  # type: ignore[arg-type]


_sequence = itertools.count(1)


def make_id_number(birth: dt.date, *, male: bool = True, region: str = "420107") -> str:
    """A valid 18-character ID number, unique within a test run."""
    n = next(_sequence) % 499
    order = n * 2 + (1 if male else 2)  # at most 999: three digits
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_digit(first17)


# The world's posts were taken long before any day a test travels to (roles have start dates).
APPOINTED_ON = dt.date(2020, 1, 1)


def make_user(username: str, role: str | None = None, node=None, person=None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=username)
    if role:
        grant_role(actor=as_actor(None), user=user, role=role, node=node, starts_on=APPOINTED_ON)
    if person is not None:
        person.user = user
        person.save(update_fields=["user"])
    return user


def make_person(actor, region: Region, name: str, **data):
    payload = {"name": name, "region": region, **data}
    return person_create(actor=as_actor(actor), data=payload)


def make_member(person, organization: Organization, *, stage=MemberStage.FULL, joined_on=None) -> Member:
    """A member with the placement history the membership services keep (from joining)."""
    member = Member.objects.create(
        person=person,
        organization=organization,
        stage=stage,
        category=MemberCategory.EMPLOYED,
        joined_on=joined_on or dt.date(2015, 7, 1),
        full_on=None if stage == MemberStage.PROBATIONARY else dt.date(2016, 7, 1),
    )
    Placement.objects.create(
        member=member, organization=organization, started_on=member.joined_on, reason=PlacementReason.RECORDED
    )
    return member


def build_world() -> SimpleNamespace:
    regions = TreeBuilder(Region)
    district = regions.add(None, name="青山区", code="420107", level=RegionLevel.DISTRICT)
    street = regions.add(district, name="和平街道", code="420107001", level=RegionLevel.STREET)
    community_a = regions.add(street, name="红钢城社区", code="420107001001", level=RegionLevel.COMMUNITY)
    grid_a1 = regions.add(community_a, name="第一网格", code="420107001001001", level=RegionLevel.GRID)
    grid_a2 = regions.add(community_a, name="第二网格", code="420107001001002", level=RegionLevel.GRID)
    community_b = regions.add(street, name="钢花村社区", code="420107001002", level=RegionLevel.COMMUNITY)
    grid_b1 = regions.add(community_b, name="第一网格", code="420107001002001", level=RegionLevel.GRID)
    regions.save()

    orgs = TreeBuilder(Organization)
    today = timezone.localdate()  # the code's today: the suite runs at any instant (DANGJIAN_TEST_NOW)
    working = orgs.add(None, name="和平街道党工委", code="P1", kind=OrgKind.WORKING_COMMITTEE, region=street)
    committee_a = orgs.add(
        working,
        name="红钢城社区党委",
        code="PA",
        kind=OrgKind.COMMITTEE,
        region=community_a,
        term_started_on=dt.date(2022, 1, 10),
        term_ends_on=today + dt.timedelta(days=30),
    )
    branch_a1 = orgs.add(committee_a, name="红钢城社区第一党支部", code="PA1", kind=OrgKind.BRANCH, region=community_a)
    group_a1 = orgs.add(branch_a1, name="第一党小组", code="PA1G", kind=OrgKind.GROUP, region=community_a)
    branch_a2 = orgs.add(committee_a, name="红钢城社区第二党支部", code="PA2", kind=OrgKind.BRANCH, region=community_a)
    committee_b = orgs.add(working, name="钢花村社区党委", code="PB", kind=OrgKind.COMMITTEE, region=community_b)
    branch_b1 = orgs.add(committee_b, name="钢花村社区第一党支部", code="PB1", kind=OrgKind.BRANCH, region=community_b)
    for node in orgs.nodes:
        node.region_id = node.region.pk
    orgs.save()

    site_a = ServiceSite.objects.create(
        name="红钢城社区党群服务中心", region=community_a, organization=committee_a, opening_hours="8:30–17:30"
    )
    Room.objects.create(site=site_a, name="党员活动室", capacity=40)
    unit_a = ResidentUnit.objects.create(name="市第九医院", region=community_a)
    unit_b = ResidentUnit.objects.create(name="钢城第一中学", region=community_b)
    lonely = Tag.objects.create(kind=TagKind.PERSON, name="独居老人")
    Tag.objects.get_or_create(kind=TagKind.SKILL, name="法律咨询")  # the catalogue migration has it

    admin = make_user("admin_street", Role.DISTRICT_ADMIN, street)
    # People in community A and B (created by the street admin through the service).
    zhang = make_person(
        admin, grid_a1, "张三", id_number=make_id_number(dt.date(1980, 5, 17)), phone="13812345678", tags=[lonely]
    )
    li = make_person(admin, grid_a2, "李四", phone="13900001111")
    wang = make_person(admin, grid_b1, "王五", id_number=make_id_number(dt.date(1975, 3, 2)), phone="13700002222")
    zhao = make_person(admin, grid_a1, "赵六")  # a party member in branch A1
    qian = make_person(admin, grid_a1, "钱七")  # a resident with an account
    sun = make_person(admin, grid_b1, "孙八")  # a party member in branch B1
    make_member(zhao, branch_a1)
    make_member(sun, branch_b1)
    member_li = make_member(li, branch_a2, stage=MemberStage.PROBATIONARY, joined_on=today - dt.timedelta(days=350))
    CommitteeSeat.objects.create(
        organization=committee_a, person=zhao, title="secretary", started_on=dt.date(2022, 1, 10)
    )

    users = SimpleNamespace(
        admin=admin,
        secretary=make_user("secretary_a", Role.COMMUNITY_SECRETARY, community_a),
        staff=make_user("staff_a", Role.COMMUNITY_STAFF, community_a),
        branch=make_user("branch_a1", Role.BRANCH_SECRETARY, branch_a1),
        member=make_user("member_a", Role.MEMBER, person=zhao),
        resident=make_user("resident_a", Role.RESIDENT, person=qian),
        liaison=make_user("liaison_a", Role.PARTNER_LIAISON, unit_a),
        outsider=make_user("secretary_b", Role.COMMUNITY_SECRETARY, community_b),
    )
    return SimpleNamespace(
        today=today,
        district=district,
        street=street,
        community_a=community_a,
        community_b=community_b,
        grid_a1=grid_a1,
        grid_a2=grid_a2,
        grid_b1=grid_b1,
        working=working,
        committee_a=committee_a,
        committee_b=committee_b,
        branch_a1=branch_a1,
        branch_a2=branch_a2,
        branch_b1=branch_b1,
        group_a1=group_a1,
        site_a=site_a,
        unit_a=unit_a,
        unit_b=unit_b,
        lonely=lonely,
        zhang=zhang,
        li=li,
        wang=wang,
        zhao=zhao,
        qian=qian,
        sun=sun,
        member_li=member_li,
        users=users,
    )


def make_working_records(world) -> SimpleNamespace:
    """Records community A's workers open every day, each through its service: a member on the
    hardship register with dues assessed, a transfer out, an applicant and a request at the desk
    (for tests that walk the pages those records have)."""
    import importlib

    from django.apps import apps

    from dangjian.membership.care.services import care_register
    from dangjian.membership.development.services import candidate_start
    from dangjian.membership.dues.services import dues_assess
    from dangjian.membership.models import DuesKind, Hardship
    from dangjian.membership.transfers.services import transfer_apply
    from dangjian.servicedesk.models import ServiceCategory
    from dangjian.servicedesk.requests.lifecycle import request_submit

    importlib.import_module("dangjian.servicedesk.migrations.0002_default_catalogue").load(apps, None)
    secretary = as_actor(world.users.secretary)
    member = world.zhao.member
    care_register(
        actor=secretary,
        member=member,
        hardship=Hardship.values[0],
        description="长期卧床，子女在外地工作，需要定期上门探望",
        registered_on=world.today,
    )
    dues_assess(actor=secretary, member=member, year=world.today.year, kind=DuesKind.WAGE, base=4000)
    transfer = transfer_apply(
        actor=secretary, member=world.member_li, external_organization="江岸区某街道党工委", reason="搬家"
    )
    candidate = candidate_start(
        actor=secretary, person=world.zhang, organization=world.branch_a1, applied_on=world.today
    )
    request = request_submit(
        actor=as_actor(world.users.staff),
        channel="desk",
        category=ServiceCategory.objects.filter(is_active=True).first(),
        description="楼道垃圾堆积很久无人清理，请尽快处理",
        requester=world.zhang,
    )
    return SimpleNamespace(member=member, transfer=transfer, candidate=candidate, request=request)
