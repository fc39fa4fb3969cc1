"""Adding, renaming and moving nodes of the region and organisation trees: codes stable and
unique, paths rewritten in one transaction, the tree as it stood kept for reads "on a date"."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from dangjian.core.models import Event, EventAction
from dangjian.membership.roster.selectors import member_count_on
from dangjian.orgs import services
from dangjian.orgs.models import Organization, OrganizationPath, OrgKind, Region, RegionLevel, RegionPath
from dangjian.orgs.selectors import path_on, subtree_on
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


def test_a_new_grid_gets_a_fresh_path_and_its_code_must_be_unique(world):
    admin = as_actor(world.users.admin)
    grid = services.add_region(
        actor=admin, parent=world.community_a, name="第三网格", code="420107001001003", level=RegionLevel.GRID
    )
    assert grid.path.startswith(world.community_a.path) and grid.depth == world.community_a.depth + 1
    assert Event.objects.filter(action=EventAction.CREATED, target_id=grid.pk).exists()
    with pytest.raises(ValidationError) as taken:
        services.add_region(
            actor=admin, parent=world.community_a, name="又一个", code="420107001001003", level=RegionLevel.GRID
        )
    assert "code" in taken.value.message_dict
    with pytest.raises(ValidationError):  # a community under a community
        services.add_region(actor=admin, parent=world.community_a, name="x", code="X1", level=RegionLevel.COMMUNITY)


def test_only_the_configure_right_over_the_place_may_change_the_tree(world):
    for user in (world.users.secretary, world.users.staff):
        with pytest.raises(PermissionDenied):
            services.add_region(
                actor=as_actor(user), parent=world.community_a, name="x", code="X2", level=RegionLevel.GRID
            )
    assert not Region.objects.filter(code="X2").exists()


def test_an_organisation_sits_under_a_higher_kind_only(world):
    admin = as_actor(world.users.admin)
    with pytest.raises(ValidationError):
        services.add_organization(
            actor=admin, parent=world.branch_a1, name="x", code="PX", kind=OrgKind.BRANCH, region=world.community_a
        )
    group = services.add_organization(
        actor=admin,
        parent=world.branch_a1,
        name="第二党小组",
        code="PA1G2",
        kind=OrgKind.GROUP,
        region=world.community_a,
        is_functional=True,
    )
    assert group.path.startswith(world.branch_a1.path) and group.is_functional


def test_renaming_keeps_the_code_and_records_the_change(world):
    services.update_node(
        actor=as_actor(world.users.admin), node=world.branch_a2, data={"name": "红钢城社区老干部党支部"}, reason="更名"
    )
    world.branch_a2.refresh_from_db()
    assert (world.branch_a2.name, world.branch_a2.code) == ("红钢城社区老干部党支部", "PA2")
    event = Event.objects.get(action=EventAction.UPDATED, target_id=world.branch_a2.pk)
    assert event.changes["name"] == ["红钢城社区第二党支部", "红钢城社区老干部党支部"] and event.reason == "更名"


def test_a_new_term_is_recorded_and_must_end_after_it_starts(world):
    admin = as_actor(world.users.admin)
    with pytest.raises(ValidationError):
        services.update_node(
            actor=admin,
            node=world.committee_a,
            data={"term_started_on": dt.date(2027, 1, 10), "term_ends_on": dt.date(2026, 1, 10)},
        )
    services.update_node(
        actor=admin,
        node=world.committee_a,
        data={"term_started_on": dt.date(2027, 1, 10), "term_ends_on": dt.date(2032, 1, 10)},
        reason="换届选举",
    )
    world.committee_a.refresh_from_db()
    assert world.committee_a.term_ends_on == dt.date(2032, 1, 10)


def test_moving_a_branch_rewrites_its_subtree_and_counts_before_the_move_stay(world, time_machine):
    """Branch A1 (赵六, and its group) moves from committee A to committee B."""
    admin = as_actor(world.users.admin)
    before = admin.today - dt.timedelta(days=1)
    assert member_count_on(actor=admin, organization=world.committee_a, day=before) == 2  # 赵六, 李四
    assert member_count_on(actor=admin, organization=world.committee_b, day=before) == 1  # 孙八
    old_path = world.branch_a1.path
    services.move_node(actor=admin, node=world.branch_a1, new_parent=world.committee_b, reason="党组织隶属关系调整")
    moved = Organization.objects.get(pk=world.branch_a1.pk)
    group = Organization.objects.get(pk=world.group_a1.pk)
    assert moved.parent_id == world.committee_b.pk and moved.path.startswith(world.committee_b.path)
    assert group.path.startswith(moved.path) and group.depth == moved.depth + 1
    assert moved.region_id == world.community_b.pk  # it served its committee's community: now the new one's
    assert set(OrganizationPath.objects.values_list("node_id", "path")) == {
        (moved.pk, old_path),
        (group.pk, world.group_a1.path),
    }
    # The day before: as it stood. From today: as it stands.
    assert member_count_on(actor=admin, organization=world.committee_a, day=before) == 2
    assert member_count_on(actor=admin, organization=world.committee_b, day=before) == 1
    assert member_count_on(actor=admin, organization=world.committee_a, day=admin.today) == 1
    assert member_count_on(actor=admin, organization=world.committee_b, day=admin.today) == 2
    assert path_on(moved, before) == old_path and path_on(moved, admin.today) == moved.path


def test_moving_again_keeps_every_former_place(world, time_machine):
    admin = as_actor(world.users.admin)
    first_day = admin.today
    services.move_node(actor=admin, node=world.branch_a1, new_parent=world.committee_b, reason="调整")
    time_machine.move_to(dt.datetime.combine(first_day + dt.timedelta(days=10), dt.time(10)).astimezone())
    later = as_actor(world.users.admin)
    branch = Organization.objects.get(pk=world.branch_a1.pk)
    services.move_node(actor=later, node=branch, new_parent=world.committee_a, reason="调回")
    rows = list(
        OrganizationPath.objects.filter(node=branch).order_by("valid_until").values_list("valid_from", "valid_until")
    )
    assert rows == [(None, first_day), (first_day, later.today)]
    ids = lambda day: set(subtree_on(world.committee_b, day).values_list("pk", flat=True))  # noqa: E731
    assert branch.pk not in ids(first_day - dt.timedelta(days=1))
    assert branch.pk in ids(first_day + dt.timedelta(days=5))
    assert branch.pk not in ids(later.today)


def test_a_move_under_itself_or_below_is_refused_and_nothing_changes(world):
    admin = as_actor(world.users.admin)
    paths = dict(Organization.objects.values_list("pk", "path"))
    for target in (world.branch_a1, world.group_a1):
        with pytest.raises(ValidationError) as refused:
            services.move_node(actor=admin, node=world.branch_a1, new_parent=target, reason="x")
        assert "new_parent" in refused.value.message_dict
    with pytest.raises(ValidationError):  # a branch under a branch
        services.move_node(actor=admin, node=world.branch_a2, new_parent=world.branch_b1, reason="x")
    with pytest.raises(ValidationError):  # no reason
        services.move_node(actor=admin, node=world.branch_a2, new_parent=world.committee_b, reason=" ")
    assert dict(Organization.objects.values_list("pk", "path")) == paths
    assert not OrganizationPath.objects.exists()


def test_moving_a_grid_to_another_community(world):
    admin = as_actor(world.users.admin)
    old_path = world.grid_a2.path
    services.move_node(actor=admin, node=world.grid_a2, new_parent=world.community_b, reason="网格调整")
    grid = Region.objects.get(pk=world.grid_a2.pk)
    assert grid.parent_id == world.community_b.pk and grid.path.startswith(world.community_b.path)
    assert RegionPath.objects.get(node=grid).path == old_path
    with pytest.raises(ValidationError):  # a grid cannot go under a street
        services.move_node(actor=admin, node=grid, new_parent=world.street, reason="x")
    with pytest.raises(PermissionDenied):  # a community secretary does not configure the tree
        services.move_node(
            actor=as_actor(world.users.secretary), node=world.grid_a1, new_parent=world.community_b, reason="x"
        )


def test_a_freed_path_is_never_given_to_a_new_node(world):
    admin = as_actor(world.users.admin)
    old_path = world.grid_a2.path
    services.move_node(actor=admin, node=world.grid_a2, new_parent=world.community_b, reason="网格调整")
    grid = services.add_region(
        actor=admin, parent=world.community_a, name="新网格", code="G-NEW", level=RegionLevel.GRID
    )
    assert grid.path != old_path and grid.path > old_path


def test_the_pages_refuse_bad_moves_and_codes_with_a_message(world, client):
    client.force_login(world.users.admin)
    url = reverse("dashboard:org_manage", args=[world.branch_a1.pk])
    paths = dict(Organization.objects.values_list("pk", "path"))
    below = client.post(url, {"action": "move", "move-new_parent": world.group_a1.pk, "move-reason": "x"})
    assert below.status_code == 200 and 'class="form-errors' in below.content.decode()
    taken = client.post(
        url,
        {
            "action": "add",
            "add-name": "小组",
            "add-code": "PA2",
            "add-kind": OrgKind.GROUP,
            "add-region": world.community_a.pk,
        },
    )
    with translation.override("zh-hans"):
        assert "编码 PA2 已被其他节点使用" in taken.content.decode() and taken.status_code == 200
    assert dict(Organization.objects.values_list("pk", "path")) == paths
    detail = client.get(reverse("dashboard:org_detail", args=[world.branch_a1.pk])).content.decode()
    assert reverse("dashboard:org_manage", args=[world.branch_a1.pk]) in detail
    client.force_login(world.users.secretary)  # no configure right: no link
    detail = client.get(reverse("dashboard:org_detail", args=[world.branch_a1.pk])).content.decode()
    assert reverse("dashboard:org_manage", args=[world.branch_a1.pk]) not in detail


def test_sites_rooms_and_units_are_kept_by_whoever_configures_the_area(world, client):
    from dangjian.orgs.models import ResidentUnit, Room, ServiceSite

    admin = as_actor(world.users.admin)
    site = services.save_site(
        actor=admin, region=world.community_b, data={"name": "钢花村社区党群服务中心", "opening_hours": "8:30–17:30"}
    )
    room = services.save_room(actor=admin, site=site, data={"name": "会议室", "capacity": 30})
    with pytest.raises(ValidationError):  # the same name twice in one site
        services.save_room(actor=admin, site=site, data={"name": "会议室", "capacity": 10})
    services.save_room(actor=admin, site=site, room=room, data={"name": "会议室", "capacity": 40})
    assert Room.objects.get(pk=room.pk).capacity == 40
    updated = Event.objects.filter(action=EventAction.UPDATED, target_id=room.pk).get()
    assert updated.changes == {"capacity": [30, 40]}
    with pytest.raises(PermissionDenied):
        services.save_site(actor=as_actor(world.users.secretary), region=world.community_a, data={"name": "x"})
    with pytest.raises(ValidationError):  # a capacity that is not a number of seats
        services.save_room(actor=admin, site=site, data={"name": "大厅", "capacity": -5})
    unit = services.save_unit(actor=admin, region=world.community_a, data={"name": "红钢城小学", "kind": "institution"})
    assert ResidentUnit.objects.get(pk=unit.pk).region_id == world.community_a.pk
    assert ServiceSite.objects.filter(region=world.community_b).count() == 1
    client.force_login(world.users.admin)
    page = client.get(reverse("dashboard:region_detail", args=[world.community_a.pk])).content.decode()
    assert "红钢城小学" in page and reverse("dashboard:unit_new", args=[world.community_a.pk]) in page
    client.force_login(world.users.secretary)  # sees the unit, not the links to change it
    page = client.get(reverse("dashboard:region_detail", args=[world.community_a.pk])).content.decode()
    assert "红钢城小学" in page and reverse("dashboard:unit_new", args=[world.community_a.pk]) not in page


def test_an_organisation_with_members_or_roles_is_not_dissolved_and_nothing_changes(world):
    admin = as_actor(world.users.admin)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        services.close_node(actor=admin, node=world.branch_a1, reason="合并")
    messages = " ".join(refused.value.messages)
    assert "党员" in messages and "下级" in messages and "角色" in messages  # 赵六; its group; the branch secretary
    assert Organization.objects.get(pk=world.branch_a1.pk).closed_on is None


def test_an_empty_grid_is_retired_and_takes_nothing_new(world):
    admin = as_actor(world.users.admin)
    grid = services.add_region(
        actor=admin, parent=world.community_b, name="空网格", code="G-EMPTY", level=RegionLevel.GRID
    )
    with pytest.raises(ValidationError):  # residents live in grid A1
        services.close_node(actor=admin, node=world.grid_a1, reason="合并")
    services.close_node(actor=admin, node=grid, reason="与第一网格合并")
    assert Region.objects.get(pk=grid.pk).closed_on == admin.today
    with pytest.raises(ValidationError):  # nothing new below a closed node
        services.add_region(actor=admin, parent=grid, name="x", code="G-X", level=RegionLevel.GRID)
    with pytest.raises(ValidationError):
        services.move_node(actor=admin, node=world.grid_a2, new_parent=grid, reason="x")
    from dangjian.accounts.roles import Role
    from dangjian.accounts.services import grant_role
    from dangjian.people.selectors import grid_choices

    with pytest.raises(ValidationError):
        grant_role(actor=admin, user=world.users.staff, role=Role.COMMUNITY_STAFF, node=grid, reason="x")
    assert grid.pk not in set(grid_choices(actor=admin, action="create").values_list("pk", flat=True))
    assert Event.objects.filter(action=EventAction.STATUS_CHANGED, target_id=grid.pk).get().reason == "与第一网格合并"


def test_a_move_from_a_stale_page_is_refused(world):
    admin = as_actor(world.users.admin)
    stale = Region.objects.select_related("parent").get(pk=world.grid_a2.pk)
    services.move_node(actor=admin, node=world.grid_a2, new_parent=world.community_b, reason="第一次")
    with pytest.raises(ValidationError):
        services.move_node(actor=admin, node=stale, new_parent=world.community_b, reason="第二次")
    grid = Region.objects.get(pk=world.grid_a2.pk)
    assert grid.parent_id == world.community_b.pk and grid.path.startswith(world.community_b.path)


def test_a_path_held_for_no_day_is_still_never_given_again(world):
    admin = as_actor(world.users.admin)
    services.move_node(actor=admin, node=world.grid_a2, new_parent=world.community_b, reason="去")
    midday_path = Region.objects.get(pk=world.grid_a2.pk).path
    node = Region.objects.select_related("parent").get(pk=world.grid_a2.pk)
    services.move_node(actor=admin, node=node, new_parent=world.community_a, reason="回")
    grid = services.add_region(
        actor=admin, parent=world.community_b, name="新网格", code="G-B2", level=RegionLevel.GRID
    )
    assert grid.path != midday_path


def test_a_role_still_to_come_keeps_a_node_open(world):
    from dangjian.accounts.roles import Role
    from dangjian.accounts.services import grant_role

    admin = as_actor(world.users.admin)
    grid = services.add_region(
        actor=admin, parent=world.community_b, name="空网格", code="G-EMPTY", level=RegionLevel.GRID
    )
    grant_role(
        actor=admin,
        user=world.users.staff,
        role=Role.COMMUNITY_STAFF,
        node=grid,
        starts_on=admin.today + dt.timedelta(days=10),
        reason="下月到岗",
    )
    with pytest.raises(ValidationError):
        services.close_node(actor=admin, node=grid, reason="合并")


def test_a_resident_unit_closes_only_without_liaisons_and_then_takes_no_new_role(world, client):
    from dangjian.accounts import services as accounts
    from dangjian.accounts.models import RoleGrant
    from dangjian.accounts.roles import Role

    admin = as_actor(world.users.admin)
    with pytest.raises(PermissionDenied):
        services.close_unit(actor=as_actor(world.users.secretary), unit=world.unit_a, reason="搬迁")
    with translation.override("en"), pytest.raises(ValidationError) as held:
        services.close_unit(actor=admin, unit=world.unit_a, reason="医院整体搬迁出辖区")
    assert held.value.messages == ["1 role is held there; end it first (Staff accounts)."]
    grant = RoleGrant.objects.get(user=world.users.liaison, unit=world.unit_a)
    accounts.end_grant(actor=admin, grant=grant, reason="单位搬迁")
    client.force_login(world.users.admin)
    url = reverse("dashboard:unit_edit", args=[world.unit_a.pk])
    response = client.post(url, {"close-reason": ""})
    assert response.status_code == 200 and response.context["close_form"].errors["reason"]
    response = client.post(url, {"close-reason": "医院整体搬迁出辖区"})
    assert response.status_code == 302
    world.unit_a.refresh_from_db()
    assert world.unit_a.closed_on == as_actor(world.users.admin).today
    assert Event.objects.filter(action=EventAction.STATUS_CHANGED, target_id=world.unit_a.pk).exists()
    with pytest.raises(ValidationError):
        accounts.grant_role(actor=admin, user=world.users.liaison, role=Role.PARTNER_LIAISON, node=world.unit_a)
    with pytest.raises(ValidationError):
        services.save_unit(actor=admin, region=world.community_a, unit=world.unit_a, data={"name": "改名"})
    page = client.get(url).content.decode()
    assert "close-reason" not in page  # closed: nothing more to do on it
    region_page = client.get(reverse("dashboard:region_detail", args=[world.community_a.pk])).content.decode()
    assert world.unit_a.name in region_page
