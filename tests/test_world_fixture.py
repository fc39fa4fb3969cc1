"""The shared world (conftest.py): built once per test process, each test gets its own copy, and a
test that does not ask for it, or whose clock is pinned elsewhere, does not see the shared one."""

import datetime as dt

import pytest

from dangjian.accounts.models import User
from dangjian.orgs.models import Region


@pytest.mark.django_db
def test_a_test_without_the_world_sees_none_of_it():
    assert not Region.objects.filter(code__startswith="420107").exists()
    assert not User.objects.filter(username="admin_street").exists()


def test_each_test_gets_its_own_copy_of_the_objects(world):
    from conftest import _SharedWorld

    base = _SharedWorld.base
    assert world.zhang.pk == base.zhang.pk and world.zhang is not base.zhang
    world.zhang.name = "改过的名字"
    assert base.zhang.name == "张三"
    assert world.users.member.person is not base.users.member.person


def test_changes_to_the_world_end_with_the_test(world):
    Region.objects.filter(pk=world.community_a.pk).update(name="第一次改名")
    assert Region.objects.get(pk=world.community_a.pk).name == "第一次改名"


def test_the_next_test_sees_the_world_as_built(world):
    # Run serially, this follows the rename above in the same process; in any order, no other
    # test's change may be seen here.
    assert Region.objects.get(pk=world.community_a.pk).name == "红钢城社区"


@pytest.mark.clock("2025-03-10T09:00:00+08:00")
def test_a_pinned_clock_gets_a_world_of_its_own_day(world):
    assert world.today == dt.date(2025, 3, 10)
    assert Region.objects.filter(code="420107").count() == 1
    assert world.member_li.joined_on == dt.date(2025, 3, 10) - dt.timedelta(days=350)
