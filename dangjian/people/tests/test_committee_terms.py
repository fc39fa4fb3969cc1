"""换届: recording a new term and its committee (people.services.record_term) and its form on the
organisation's manage page."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dangjian.core.models import Event, EventAction
from dangjian.orgs.models import Organization
from dangjian.people.models import CommitteeSeat
from dangjian.people.services import record_term, term_end
from tests.factories import as_actor, make_member, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def electors(world):
    """Two more full members under community A's committee: 张三 (branch A1), 孙九 (branch A2)."""
    sun9 = make_person(world.users.admin, world.grid_a2, "孙九")
    make_member(world.zhang, world.branch_a1)
    make_member(sun9, world.branch_a2)
    return world.zhang, sun9


def test_a_new_committee_takes_office_and_the_former_one_ends_the_same_day(world, electors):
    zhang, sun9 = electors
    day = world.today - dt.timedelta(days=3)
    seats = record_term(
        actor=as_actor(world.users.admin),
        organization=world.committee_a,
        started_on=day,
        ends_on=None,
        secretary=zhang,
        deputies=[world.zhao],
        members=[sun9],
        reason="党员大会选举",
    )
    assert [(s.person, s.title) for s in seats] == [(zhang, "secretary"), (world.zhao, "deputy"), (sun9, "member")]
    former = CommitteeSeat.objects.get(organization=world.committee_a, started_on=dt.date(2022, 1, 10))
    assert former.ended_on == day  # 赵六 was secretary until the election
    in_office = CommitteeSeat.objects.filter(organization=world.committee_a, ended_on__isnull=True)
    assert sorted(in_office.values_list("person__name", "title")) == [
        ("孙九", "member"),
        ("张三", "secretary"),
        ("赵六", "deputy"),
    ]
    org = Organization.objects.get(pk=world.committee_a.pk)
    assert org.term_started_on == day
    assert org.term_ends_on == term_end("committee", day) == day.replace(year=day.year + 5) - dt.timedelta(days=1)
    event = Event.objects.get(target_id=org.pk, action=EventAction.UPDATED, reason="党员大会选举")
    assert event.changes["committee"] == ["书记 赵六", "书记 张三、副书记 赵六、委员 孙九"]
    assert event.changes["term_started_on"] == ["2022-01-10", day.isoformat()]


def test_a_branch_term_is_three_years():
    assert term_end("branch", dt.date(2026, 3, 1)) == dt.date(2029, 2, 28)
    assert term_end("committee", dt.date(2024, 2, 29)) == dt.date(2029, 2, 27)


def _refused(world, **kwargs):
    data = {
        "actor": as_actor(world.users.admin),
        "organization": world.committee_a,
        "started_on": world.today,
        "ends_on": None,
        "secretary": world.zhang,
        **kwargs,
    }
    with pytest.raises(ValidationError) as refused:
        record_term(**data)
    return " ".join(refused.value.messages)


def test_bad_elections_are_refused_and_nothing_is_written(world, electors):
    zhang, _sun9 = electors
    before = list(CommitteeSeat.objects.values_list("pk", "ended_on"))
    # 李四 is a probationary member: no right to stand.
    assert "李四" in _refused(world, deputies=[world.li])
    assert "只有本组织正常状态的正式党员" in _refused(world, deputies=[world.li])
    # 孙八 belongs to community B's branch.
    assert "孙八" in _refused(world, members=[world.sun])
    assert "重复" in _refused(world, deputies=[zhang])
    assert "不能晚于今天" in _refused(world, started_on=world.today + dt.timedelta(days=1))
    assert "任期" in _refused(world, ends_on=world.today)
    assert "不早于此日期" in _refused(world, started_on=dt.date(2021, 12, 31))
    assert "不早于此日期" in _refused(world, started_on=dt.date(2022, 1, 10))  # the same election again
    assert "党小组" in _refused(world, organization=world.group_a1)
    assert list(CommitteeSeat.objects.values_list("pk", "ended_on")) == before
    assert Organization.objects.get(pk=world.committee_a.pk).term_started_on == dt.date(2022, 1, 10)


def test_only_the_configure_right_records_an_election(world, electors):
    for user in (world.users.secretary, world.users.outsider, world.users.branch):
        with pytest.raises(PermissionDenied):
            record_term(
                actor=as_actor(user),
                organization=world.committee_a,
                started_on=world.today,
                ends_on=None,
                secretary=world.zhang,
            )
    assert not CommitteeSeat.objects.filter(person=world.zhang).exists()


def test_the_manage_page_records_an_election_and_the_detail_page_shows_it(world, electors, client):
    zhang, sun9 = electors
    client.force_login(world.users.admin)
    url = reverse("dashboard:org_manage", args=[world.committee_a.pk])
    page = client.get(url).content.decode()
    assert "换届登记" in page and "孙九（红钢城社区第二党支部）" in page
    assert "李四" not in page  # probationary: not offered
    refused = client.post(
        url,
        {
            "action": "term",
            "term-started_on": world.today.isoformat(),
            "term-secretary": zhang.pk,
            "term-members": [zhang.pk],
        },
    )
    assert refused.status_code == 200
    assert "被重复选择" in refused.content.decode()
    done = client.post(
        url,
        {
            "action": "term",
            "term-started_on": world.today.isoformat(),
            "term-secretary": zhang.pk,
            "term-deputies": [sun9.pk],
            "term-reason": "党员大会选举",
        },
        follow=True,
    )
    body = done.content.decode()
    assert "新一届委员会已登记" in body
    assert "书记：<a" in body.replace("书记：\n", "书记：")
    assert reverse("people:detail", args=[zhang.pk]) in body and "副书记" in body
    assert "历届委员会" in body
    former = body[body.index("历届委员会") :]
    assert f"2022-01-10 – {world.today:%Y-%m-%d}" in former and "赵六" in former
