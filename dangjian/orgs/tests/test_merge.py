"""Merging one party organisation into another (orgs.services.merge_organization): members,
candidates, seats, sites and the organisations below go along in one transaction; the merged one is
dissolved and figures on earlier dates still count it; anything refused leaves everything as it was."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dangjian.activities.models import Activity
from dangjian.activities.services import activity_create
from dangjian.core.models import Event, EventAction
from dangjian.membership.development.services import candidate_start
from dangjian.membership.models import Candidate, Placement, PlacementReason
from dangjian.membership.roster.selectors import member_count_on
from dangjian.orgs import services
from dangjian.orgs.models import Organization, OrgKind, ServiceSite
from dangjian.people.models import CommitteeSeat, Member
from tests.factories import as_actor, make_member, make_person, make_working_records

pytestmark = pytest.mark.django_db


def _fresh(org):
    return Organization.objects.get(pk=org.pk)


@pytest.fixture
def second_branch(world):
    """Branch A2 with a party group below it (one member there), a secretary's seat, an applicant
    and a service site of its own."""
    admin = as_actor(world.users.admin)
    group = services.add_organization(
        actor=admin,
        parent=world.branch_a2,
        name="第二党小组",
        code="PA2G",
        kind=OrgKind.GROUP,
        region=world.community_a,
    )
    zhou = make_person(world.users.admin, world.grid_a2, "周九")
    make_member(zhou, group, joined_on=dt.date(2020, 7, 1))
    CommitteeSeat.objects.create(
        organization=world.branch_a2, person=zhou, title="secretary", started_on=dt.date(2023, 3, 1)
    )
    applicant = make_person(world.users.admin, world.grid_a2, "吴十")
    candidate_start(
        actor=as_actor(world.users.secretary), person=applicant, organization=world.branch_a2, applied_on=world.today
    )
    site = ServiceSite.objects.create(name="第二支部党员活动点", region=world.community_a, organization=world.branch_a2)
    starts = admin.now + dt.timedelta(days=7)
    activity = activity_create(
        actor=admin,
        region=world.community_a,
        organization=world.branch_a2,
        title="主题党日",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=0,
        place="党员活动点",
    )
    return {"group": group, "zhou": zhou, "applicant": applicant, "site": site, "activity": activity}


def test_a_branch_merges_into_another_with_everything_it_holds(world, second_branch):
    yesterday = world.today - dt.timedelta(days=1)
    admin = as_actor(world.users.admin)
    before = member_count_on(actor=admin, organization=world.branch_a2, day=yesterday)
    assert before == 2  # 李四, and 周九 in the group below
    moved = services.merge_organization(
        actor=admin, source=world.branch_a2, target=world.branch_a1, reason="两支部党员人数少，合并"
    )
    assert moved == {
        "organizations": 1,
        "sites": 1,
        "members": 1,
        "candidates": 1,
        "mobile_records": 0,
        "seats_ended": 1,
        "activities": 1,
    }
    assert Activity.objects.get(pk=second_branch["activity"].pk).organization_id == world.branch_a1.pk
    # 李四 belongs to branch A1 from today; the placement says why.
    member_li = Member.objects.get(pk=world.member_li.pk)
    assert member_li.organization_id == world.branch_a1.pk
    placements = list(Placement.objects.filter(member=member_li).order_by("started_on", "pk"))
    assert placements[-2].ended_on == world.today and placements[-2].organization_id == world.branch_a2.pk
    assert placements[-1].reason == PlacementReason.MERGED and placements[-1].started_on == world.today
    # The group moved under branch A1 with its member; the applicant and the site went along.
    group = _fresh(second_branch["group"])
    assert group.parent_id == world.branch_a1.pk and group.path.startswith(world.branch_a1.path)
    assert Candidate.objects.get(person=second_branch["applicant"]).organization_id == world.branch_a1.pk
    assert ServiceSite.objects.get(pk=second_branch["site"].pk).organization_id == world.branch_a1.pk
    assert CommitteeSeat.objects.get(organization=world.branch_a2).ended_on == world.today
    # Branch A2 is dissolved; yesterday's figures still count it as it was, today's count nobody.
    source = _fresh(world.branch_a2)
    assert source.closed_on == world.today
    assert member_count_on(actor=admin, organization=source, day=yesterday) == before
    assert member_count_on(actor=admin, organization=source, day=world.today) == 0
    assert member_count_on(actor=admin, organization=world.branch_a1, day=world.today) == 3
    merged = Event.objects.get(
        target_id=source.pk, action=EventAction.UPDATED, changes__merged_into__1="红钢城社区第一党支部"
    )
    assert merged.changes["members"] == [None, 1] and merged.reason == "两支部党员人数少，合并"
    assert Event.objects.filter(target_id=source.pk, action=EventAction.STATUS_CHANGED).exists()


def _nothing_moved(world, group):
    assert _fresh(world.branch_a2).closed_on is None and _fresh(world.branch_a1).closed_on is None
    assert Member.objects.get(pk=world.member_li.pk).organization_id == world.branch_a2.pk
    assert _fresh(group).parent_id == world.branch_a2.pk
    assert CommitteeSeat.objects.filter(organization=world.branch_a2, ended_on__isnull=True).exists()


def test_a_transfer_in_progress_stops_the_merge_and_nothing_moves(world, second_branch):
    make_working_records(world)  # 李四's transfer out of branch A2 is in progress
    with pytest.raises(ValidationError) as refused:
        services.merge_organization(
            actor=as_actor(world.users.admin), source=world.branch_a2, target=world.branch_a1, reason="合并"
        )
    assert "组织关系转接正在办理中" in " ".join(refused.value.messages)
    _nothing_moved(world, second_branch["group"])


def test_a_role_held_there_stops_the_merge_after_the_moves_are_undone(world, second_branch):
    """The branch secretary's role at branch A1: merging A1 into A2 is refused by the dissolving
    at the end, and the members and groups moved before it are back where they were."""
    with pytest.raises(ValidationError) as refused:
        services.merge_organization(
            actor=as_actor(world.users.admin), source=world.branch_a1, target=world.branch_a2, reason="合并"
        )
    assert "角色" in " ".join(refused.value.messages)
    assert Member.objects.get(pk=world.zhao.member.pk).organization_id == world.branch_a1.pk
    assert _fresh(world.group_a1).parent_id == world.branch_a1.pk
    assert _fresh(world.branch_a1).closed_on is None
    assert not Placement.objects.filter(reason=PlacementReason.MERGED).exists()


def test_an_open_request_assigned_to_it_stops_the_merge(world, second_branch):
    from dangjian.servicedesk.models import ServiceRequest

    request = make_working_records(world).request
    world.member_li.transfers.update(state="cancelled")
    ServiceRequest.objects.filter(pk=request.pk).update(assignee_organization=world.branch_a2)
    with pytest.raises(ValidationError) as refused:
        services.merge_organization(
            actor=as_actor(world.users.admin), source=world.branch_a2, target=world.branch_a1, reason="合并"
        )
    assert "改派" in " ".join(refused.value.messages)
    _nothing_moved(world, second_branch["group"])


@pytest.mark.parametrize(
    ("source", "target", "words"),
    [
        ("committee_a", "branch_b1", "同类型"),
        ("branch_a2", "branch_a2", "自身"),
        ("committee_a", "committee_a", "自身"),
    ],
)
def test_merging_into_a_different_kind_or_into_itself_is_refused(world, source, target, words):
    with pytest.raises(ValidationError) as refused:
        services.merge_organization(
            actor=as_actor(world.users.admin),
            source=getattr(world, source),
            target=getattr(world, target),
            reason="合并",
        )
    assert words in " ".join(refused.value.messages)


def test_a_closed_target_and_a_missing_reason_are_refused(world):
    admin = as_actor(world.users.admin)
    with pytest.raises(ValidationError) as no_reason:
        services.merge_organization(actor=admin, source=world.branch_a2, target=world.branch_a1, reason="  ")
    assert "原因" in " ".join(no_reason.value.messages)
    empty = services.add_organization(
        actor=admin,
        parent=world.committee_a,
        name="临时党支部",
        code="PA9",
        kind=OrgKind.BRANCH,
        region=world.community_a,
    )
    services.close_node(actor=admin, node=empty, reason="任务完成")
    with pytest.raises(ValidationError) as closed:
        services.merge_organization(actor=admin, source=world.branch_a2, target=_fresh(empty), reason="合并")
    assert "撤销，不能再添加或调入" in " ".join(closed.value.messages)


def test_only_the_configure_right_over_both_merges(world):
    for user in (world.users.secretary, world.users.outsider, world.users.branch):
        with pytest.raises(PermissionDenied):
            services.merge_organization(
                actor=as_actor(user), source=world.branch_a2, target=world.branch_a1, reason="合并"
            )
    assert _fresh(world.branch_a2).closed_on is None


def test_the_manage_page_merges_and_opens_the_receiving_organisation(world, second_branch, client):
    client.force_login(world.users.admin)
    url = reverse("dashboard:org_manage", args=[world.branch_a2.pk])
    page = client.get(url).content.decode()
    assert "并入其他党组织" in page
    form = page[page.index('value="merge"') :]
    form = form[: form.index("</form>")]
    assert "红钢城社区第一党支部" in form and "钢花村社区第一党支部" in form
    assert "红钢城社区党委" not in form.replace("红钢城社区党委 ›", "")  # a committee is not offered for a branch
    refused = client.post(url, {"action": "merge", "merge-target": world.branch_a1.pk, "merge-reason": ""})
    assert refused.status_code == 200 and "请填写原因" in refused.content.decode()
    assert _fresh(world.branch_a2).closed_on is None
    done = client.post(
        url, {"action": "merge", "merge-target": world.branch_a1.pk, "merge-reason": "支部合并"}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("dashboard:org_detail", args=[world.branch_a1.pk])
    body = done.content.decode()
    assert "已并入红钢城社区第一党支部：1名党员、1 个下级党组织、1 名入党申请人及发展对象、1 个服务阵地已转入" in body
