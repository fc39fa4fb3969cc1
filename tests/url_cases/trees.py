"""URL access cases of the tree administration (see tests/test_url_access.py): only the configure
right over the node opens it — the street admin in the world, a district admin, a superuser."""

from django.urls import reverse

from tests.url_access_base import Case, only


def _configurers(yes: int) -> dict[str, int]:
    return {**only(("admin",), yes), "district": yes, "superuser": yes}


CASES: list[Case] = [
    Case(
        "dashboard:org_manage",
        "manage a branch",
        lambda w: reverse("dashboard:org_manage", args=[w.branch_a1.pk]),
        _configurers(200),
    ),
    Case(
        "dashboard:org_manage",
        "rename a branch",
        lambda w: reverse("dashboard:org_manage", args=[w.branch_a2.pk]),
        _configurers(302),
        method="post",
        data=lambda w: {"action": "edit", "edit-name": "红钢城社区老干部党支部", "edit-reason": "更名"},
    ),
    Case(
        "dashboard:org_manage",
        "add a party group below a branch",
        lambda w: reverse("dashboard:org_manage", args=[w.branch_a2.pk]),
        _configurers(302),
        method="post",
        data=lambda w: {
            "action": "add",
            "add-name": "第一党小组",
            "add-code": "PA2G1",
            "add-kind": "group",
            "add-region": w.community_a.pk,
        },
    ),
    Case(
        "dashboard:org_manage",
        "move a branch to the other committee",
        lambda w: reverse("dashboard:org_manage", args=[w.branch_a2.pk]),
        _configurers(302),
        method="post",
        data=lambda w: {"action": "move", "move-new_parent": w.committee_b.pk, "move-reason": "隶属关系调整"},
    ),
    Case(
        "dashboard:org_manage",
        "record a 换届 of community A's committee (张三, a full member, secretary)",
        lambda w: reverse("dashboard:org_manage", args=[w.committee_a.pk]),
        _configurers(302),
        method="post",
        data=lambda w: {
            "action": "term",
            "term-started_on": w.today.isoformat(),
            "term-secretary": w.zhao.pk,
            "term-reason": "党员大会选举",
        },
    ),
    Case(
        "dashboard:org_manage",
        "merge branch A2 into branch A1",
        lambda w: reverse("dashboard:org_manage", args=[w.branch_a2.pk]),
        _configurers(302),
        method="post",
        data=lambda w: {"action": "merge", "merge-target": w.branch_a1.pk, "merge-reason": "支部合并"},
    ),
    Case(
        "dashboard:region_manage",
        "manage a community",
        lambda w: reverse("dashboard:region_manage", args=[w.community_a.pk]),
        _configurers(200),
    ),
    Case(
        "dashboard:region_manage",
        "add a grid",
        lambda w: reverse("dashboard:region_manage", args=[w.community_a.pk]),
        _configurers(302),
        method="post",
        data=lambda w: {"action": "add", "add-name": "第三网格", "add-code": "420107001001003"},
    ),
    Case(
        "dashboard:region_manage",
        "move a grid to the other community",
        lambda w: reverse("dashboard:region_manage", args=[w.grid_a2.pk]),
        _configurers(302),
        method="post",
        data=lambda w: {"action": "move", "move-new_parent": w.community_b.pk, "move-reason": "网格调整"},
    ),
]


def _site(world):
    from dangjian.orgs.models import ServiceSite

    return ServiceSite.objects.get(region=world.community_a)


CASES += [
    Case(
        "dashboard:site_new",
        "the new service site form",
        lambda w: reverse("dashboard:site_new", args=[w.community_a.pk]),
        _configurers(200),
    ),
    Case(
        "dashboard:site_new",
        "add a service site",
        lambda w: reverse("dashboard:site_new", args=[w.community_b.pk]),
        _configurers(302),
        method="post",
        data=lambda w: {"name": "钢花村社区党群服务中心", "address": "钢花村 1 号", "opening_hours": "8:30–17:30"},
    ),
    Case(
        "dashboard:site_manage",
        "a service site and its rooms",
        lambda w: reverse("dashboard:site_manage", args=[_site(w).pk]),
        _configurers(200),
    ),
    Case(
        "dashboard:site_manage",
        "add a room",
        lambda w: reverse("dashboard:site_manage", args=[_site(w).pk]),
        _configurers(302),
        method="post",
        data=lambda w: {"action": "room", "room-name": "多功能厅", "room-capacity": "80", "room-is_bookable": "on"},
    ),
    Case(
        "dashboard:unit_new",
        "add a resident unit",
        lambda w: reverse("dashboard:unit_new", args=[w.community_a.pk]),
        _configurers(302),
        method="post",
        data=lambda w: {"name": "红钢城小学", "kind": "institution"},
    ),
    Case(
        "dashboard:unit_edit",
        "a resident unit",
        lambda w: reverse("dashboard:unit_edit", args=[w.unit_a.pk]),
        _configurers(200),
    ),
]

CASES += [
    Case(
        "dashboard:region_manage",
        "retire a grid where people live: refused on the page",
        lambda w: reverse("dashboard:region_manage", args=[w.grid_b1.pk]),
        _configurers(200),
        method="post",
        data=lambda w: {"action": "close", "close-reason": "合并"},
    ),
]
