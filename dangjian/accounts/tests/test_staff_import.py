"""Importing staff accounts with their roles: one row per role, accounts matched by login name, each
role through the role matrix (nobody imports a role they may not give, or outside their area),
new accounts without a password until their one-time link, and a re-import that changes nothing."""

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import Workbook

from dangjian.accounts.importing import COLUMNS, IMPORTER
from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import Role
from dangjian.core.models import Event, EventAction
from tests.factories import as_actor

pytestmark = pytest.mark.django_db

KEYS = [column.key for column in COLUMNS]


def sheet(rows: list[dict[str, Any]]) -> bytes:
    workbook = Workbook()
    workbook.active.append([column.label for column in COLUMNS])
    for values in rows:
        workbook.active.append([values.get(key) for key in KEYS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plan(world, rows, *, user=None, target=None):
    actor = as_actor(user or world.users.admin, today=world.today)
    return IMPORTER.plan(sheet(rows), "staff.xlsx", target=target or world.street, actor=actor), actor


ROWS = [
    {"name": "李芳", "username": "lifang", "role": "社区书记", "node": "红钢城社区", "reason": "换届选举"},
    {"name": "李芳", "username": "lifang", "role": "支部书记", "node": "PA2"},  # a second role, same account
    {"name": "周强", "username": "zhouqiang", "role": "网格员", "node": "红钢城社区第二网格"},
    {"name": "吴敏", "username": "wumin", "role": "驻区单位联络员", "node": "市第九医院", "ends_on": "2030-12-31"},
]


def test_accounts_and_roles_are_made_once_and_a_second_import_changes_nothing(world):
    planned, actor = plan(world, ROWS)
    assert planned.errors == [] and planned.valid == 4
    assert IMPORTER.preview(planned, actor=actor).as_dict() == {"created": 4, "updated": 0, "unchanged": 0}
    assert not User.objects.filter(username="lifang").exists()
    assert IMPORTER.apply(planned, actor=actor).as_dict() == {"created": 4, "updated": 0, "unchanged": 0}
    lifang = User.objects.get(username="lifang")
    assert lifang.display_name == "李芳" and not lifang.has_usable_password()
    held = {(g.role, str(g.region or g.organization)) for g in RoleGrant.objects.filter(user=lifang)}
    assert held == {(Role.COMMUNITY_SECRETARY, "红钢城社区"), (Role.BRANCH_SECRETARY, "红钢城社区第二党支部")}
    assert RoleGrant.objects.get(user__username="zhouqiang").region == world.grid_a2
    liaison = RoleGrant.objects.get(user__username="wumin")
    assert liaison.unit == world.unit_a and liaison.ends_on == dt.date(2030, 12, 31)
    assert Event.objects.filter(action=EventAction.GRANTED, target_id=lifang.pk).count() == 2
    again, actor = plan(world, ROWS)
    assert again.errors == []
    assert IMPORTER.apply(again, actor=actor).as_dict() == {"created": 0, "updated": 0, "unchanged": 4}
    assert User.objects.filter(username__in=["lifang", "zhouqiang", "wumin"]).count() == 3


def test_a_secretary_may_import_only_the_roles_she_may_give_in_her_community(world):
    rows = [
        {"name": "郑好", "username": "zhenghao", "role": "社区工作人员", "node": "第一网格"},  # 2: hers to give
        {"name": "王强", "username": "wangqiang", "role": "社区书记", "node": "红钢城社区"},  # 3: not hers to give
        {"name": "孙丽", "username": "sunli", "role": "社区工作人员", "node": "钢花村社区"},  # 4: not in her area
    ]
    planned, actor = plan(world, rows, user=world.users.secretary, target=world.community_a)
    assert [(p.row, p.column) for p in planned.errors] == [(3, "角色"), (4, "任职范围")]
    assert planned.valid == 1
    IMPORTER.apply(planned, actor=actor)
    assert RoleGrant.objects.get(user__username="zhenghao").region == world.grid_a1
    assert list(IMPORTER.targets(actor=as_actor(world.users.secretary))) == [world.community_a]
    assert not IMPORTER.may_import(actor=as_actor(world.users.staff))


def test_bad_rows_are_reported_by_row_and_column(world):
    rows = [
        {"name": "甲", "username": "a", "role": "社区书记", "node": "红钢城社区"},  # 2: login name too short
        {"name": "乙", "username": "yi_2", "role": "队长", "node": "红钢城社区"},  # 3: unknown role
        {"name": "丙", "username": "bing", "role": "社区书记", "node": "不存在社区"},  # 4: unknown place
        {"name": "丁", "username": "secretary_a", "role": "社区工作人员", "node": "第二网格"},  # 5: someone else's
        {"name": "戊", "username": "wu5", "role": "社区书记", "node": "红钢城社区"},  # 6: fine
        {"name": "己", "username": "wu5", "role": "社区工作人员", "node": "红钢城社区"},  # 7: the name differs
        {"name": "庚", "username": "geng", "role": "社区书记", "node": "第一网格"},  # 8: two grids are so called
        {"name": "辛", "username": "xin", "role": "社区书记", "node": "红钢城社区", "ends_on": "2001-01-01"},  # 9
    ]
    planned, _actor = plan(world, rows)
    assert [(p.row, p.column) for p in planned.errors] == [
        (2, "登录名"),
        (3, "角色"),
        (4, "任职范围"),
        (5, "登录名"),
        (7, "姓名"),
        (8, "任职范围"),
        (9, "任期届满"),
    ]
    assert planned.valid == 1


def test_an_account_the_importer_does_not_manage_is_only_said_to_be_taken(world):
    rows = [
        {"name": "某某", "username": world.users.admin.username.upper(), "role": "社区工作人员", "node": "第一网格"}
    ]
    planned, _actor = plan(world, rows, user=world.users.secretary, target=world.community_a)
    assert [(p.row, p.column) for p in planned.errors] == [(2, "登录名")]
    message = planned.errors[0].message
    assert world.users.admin.display_name not in message and world.users.admin.username not in message
