"""Seed the region tree, the party organisation tree, service sites and resident units."""

import datetime as dt

from dangjian.demo.seeding import SeedContext
from dangjian.orgs.models import Organization, OrgKind, Region, RegionLevel, ResidentUnit, Room, ServiceSite
from dangjian.orgs.trees import TreeBuilder

ORDER = 10

DISTRICTS = [
    ("青山区", "420107"),
    ("洪山区", "420111"),
    ("江岸区", "420102"),
    ("江汉区", "420103"),
    ("硚口区", "420104"),
    ("汉阳区", "420105"),
    ("武昌区", "420106"),
    ("东西湖区", "420112"),
    ("蔡甸区", "420114"),
    ("江夏区", "420115"),
]
STREET_NAMES = [
    "和平",
    "红卫路",
    "冶金",
    "新沟桥",
    "红钢城",
    "工人村",
    "青山镇",
    "钢花村",
    "厂前",
    "武东",
    "白玉山",
    "八吉府",
    "清潭湖",
    "钢都",
    "团结",
    "建设",
    "幸福",
    "长江",
    "友谊",
    "光明",
]
COMMUNITY_NAMES = [
    "红钢城",
    "钢花村",
    "工人村",
    "新沟桥",
    "青和居",
    "冶金",
    "南干渠",
    "建设一路",
    "园林",
    "康居",
    "翠园",
    "绿景苑",
    "杨园",
    "青翠苑",
    "临江",
    "沿港",
    "丽岛",
    "学府",
    "桃园",
    "怡康",
]
GRID_NUMERALS = "一二三四五六七八九十"


def _grid_name(index: int) -> str:
    if index <= 10:
        return f"第{GRID_NUMERALS[index - 1]}网格"
    return f"第{index}网格"


def _term(ctx: SeedContext, years: int, phase_days: int) -> tuple[dt.date, dt.date]:
    """A term of ``years`` that ends ``phase_days`` from today (negative: already ended)."""
    ends = ctx.today + dt.timedelta(days=phase_days)
    try:
        started = ends.replace(year=ends.year - years)
    except ValueError:
        started = ends.replace(year=ends.year - years, day=28)
    return started, ends


def seed(ctx: SeedContext) -> None:
    scale, rng = ctx.scale, ctx.rng
    regions = TreeBuilder(Region)
    orgs = TreeBuilder(Organization)
    communities: list[dict] = []
    for d in range(scale.districts):
        district_name, district_code = DISTRICTS[d % len(DISTRICTS)]
        if d >= len(DISTRICTS):
            district_name = f"{district_name}{d // len(DISTRICTS) + 1}"
        district = regions.add(None, name=district_name, code=district_code, level=RegionLevel.DISTRICT)
        for s in range(scale.streets_per_district):
            street_name = STREET_NAMES[s % len(STREET_NAMES)] + "街道"
            street = regions.add(
                district, name=street_name, code=f"{district_code}{s + 1:03d}", level=RegionLevel.STREET
            )
            started, ends = _term(ctx, 5, rng.randint(200, 1500))
            working = orgs.add(
                None,
                name=f"{street_name}党工委",
                code=f"P{district_code}{s + 1:03d}",
                kind=OrgKind.WORKING_COMMITTEE,
                region=street,
                term_started_on=started,
                term_ends_on=ends,
            )
            for c in range(scale.communities_per_street):
                base = COMMUNITY_NAMES[(s * scale.communities_per_street + c) % len(COMMUNITY_NAMES)]
                community_name = f"{base}社区"
                code = f"{street.code}{c + 1:03d}"
                community = regions.add(street, name=community_name, code=code, level=RegionLevel.COMMUNITY)
                grids = [
                    regions.add(community, name=_grid_name(g + 1), code=f"{code}{g + 1:03d}", level=RegionLevel.GRID)
                    for g in range(scale.grids_per_community)
                ]
                # Community committees serve 5 years; one in four is due for election soon.
                phase = rng.choice([-20, 45, 75]) if c % 4 == 0 else rng.randint(150, 1700)
                started, ends = _term(ctx, 5, phase)
                committee = orgs.add(
                    working,
                    name=f"{community_name}党委",
                    code=f"P{code}",
                    kind=OrgKind.COMMITTEE,
                    region=community,
                    term_started_on=started,
                    term_ends_on=ends,
                )
                branches = _branches(ctx, orgs, committee, community, code, c)
                communities.append(
                    {
                        "region": community,
                        "grids": grids,
                        "committee": committee,
                        "branches": branches,
                        "street": street,
                        "district_code": district_code,
                    }
                )
            ctx.shared.setdefault("working_committees", []).append(working)
    regions.save()
    for node in orgs.nodes:
        node.region_id = node.region.pk
    orgs.save()
    ctx.shared["communities"] = communities
    ctx.log(f"regions: {len(regions.nodes)}, party organisations: {len(orgs.nodes)}")
    _sites_and_units(ctx, communities)


def _branches(ctx: SeedContext, orgs: TreeBuilder, committee, community, code: str, index: int) -> dict:
    """A community committee's branches: by residence, retired, in-service, a joint branch of
    small firms and a specialty (functional) branch; the first community also has a 党总支."""
    rng = ctx.rng

    def branch(parent, name: str, suffix: str, **flags) -> Organization:
        started, ends = _term(ctx, 3, rng.choice([-10, 30, 60]) if rng.random() < 0.12 else rng.randint(120, 1000))
        return orgs.add(
            parent,
            name=f"{community.name}{name}",
            code=f"P{code}{suffix}",
            kind=OrgKind.BRANCH,
            region=community,
            term_started_on=started,
            term_ends_on=ends,
            **flags,
        )

    residence = [branch(committee, f"第{GRID_NUMERALS[i]}党支部", f"B{i + 1:02d}") for i in range(3)]
    retired = branch(committee, "离退休党支部", "BR1")
    employed = branch(committee, "在职党员党支部", "BE1")
    joint = branch(committee, "非公企业联合党支部", "BJ1", is_joint=True)
    specialty = branch(committee, "法律与健康服务特长党支部", "BF1", is_functional=True)
    general = None
    if index == 0:
        general = orgs.add(
            committee,
            name=f"{community.name}老年公寓党总支",
            code=f"P{code}G01",
            kind=OrgKind.GENERAL_BRANCH,
            region=community,
        )
        residence += [branch(general, f"老年公寓第{GRID_NUMERALS[i]}党支部", f"GB{i + 1}") for i in range(2)]
    for i, parent in enumerate(residence[:2]):
        for g in range(2):
            orgs.add(
                parent,
                name=f"{parent.name}第{GRID_NUMERALS[g]}党小组",
                code=f"{parent.code}S{g + 1}",
                kind=OrgKind.GROUP,
                region=community,
            )
        del i
    return {
        "residence": residence,
        "retired": retired,
        "employed": employed,
        "joint": joint,
        "specialty": specialty,
        "general": general,
    }


ROOMS = [
    ("党员活动室", 40, "投影仪、音响、党旗"),
    ("多功能厅", 120, "LED 屏、音响、桌椅"),
    ("调解室", 8, "录音设备"),
    ("党员电教室", 30, "电脑 20 台、远程教育终端"),
    ("图书阅览室", 25, "图书 3000 册"),
]
UNITS = [
    ("市第九医院", ResidentUnit.Kind.PUBLIC_INSTITUTION),
    ("钢城第一中学", ResidentUnit.Kind.PUBLIC_INSTITUTION),
    ("青山供电公司", ResidentUnit.Kind.STATE_ENTERPRISE),
    ("区市场监督管理局", ResidentUnit.Kind.GOVERNMENT),
    ("惠民超市", ResidentUnit.Kind.PRIVATE_ENTERPRISE),
    ("阳光社工服务中心", ResidentUnit.Kind.SOCIAL_ORGANIZATION),
    ("建设银行青山支行", ResidentUnit.Kind.STATE_ENTERPRISE),
    ("和美物业公司", ResidentUnit.Kind.PRIVATE_ENTERPRISE),
]


def _sites_and_units(ctx: SeedContext, communities: list[dict]) -> None:
    rng = ctx.rng
    sites, units = [], []
    for working in ctx.shared["working_committees"]:
        sites.append(
            ServiceSite(
                name=f"{working.region.name}党群服务中心",
                region=working.region,
                organization=working,
                address=f"{working.region.name}政务服务大厅二楼",
                phone=f"027-8686{rng.randint(1000, 9999)}",
                opening_hours="周一至周五 8:30–12:00，14:00–17:30",
            )
        )
    for community in communities:
        region = community["region"]
        sites.append(
            ServiceSite(
                name=f"{region.name}党群服务中心",
                region=region,
                organization=community["committee"],
                address=f"{region.name}{rng.randint(1, 60)}号",
                phone=f"027-8688{rng.randint(1000, 9999)}",
                opening_hours="周一至周六 8:30–17:30（节假日值班）",
            )
        )
        for name, kind in rng.sample(UNITS, 3):
            units.append(
                ResidentUnit(
                    name=name if len(communities) == 1 else f"{name}（{region.name}）",
                    kind=kind,
                    region=region,
                    address=f"{region.name}附近",
                    contact_phone=f"027-8{rng.randint(1000000, 9999999)}",
                )
            )
    ServiceSite.objects.bulk_create(sites, batch_size=1000)
    rooms = []
    for site in sites:
        for name, capacity, equipment in ROOMS[: 5 if site.region.level == RegionLevel.STREET else rng.randint(3, 5)]:
            rooms.append(
                Room(site=site, name=name, capacity=capacity, equipment=equipment, opening_hours=site.opening_hours)
            )
    Room.objects.bulk_create(rooms, batch_size=2000)
    ResidentUnit.objects.bulk_create(units, batch_size=1000)
    ctx.shared["units"] = units
    ctx.log(f"service sites: {len(sites)}, rooms: {len(rooms)}, resident units: {len(units)}")
