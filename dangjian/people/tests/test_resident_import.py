"""Importing residents: matched by ID number (never registered twice, empty cells never erase, tags
only added), households by grid and address, people recorded outside the importer's area refused
with the person form's sentence, every problem by row and column, and a re-import that changes
nothing."""

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from dangjian.core import crypto
from dangjian.core.models import Event, EventAction
from dangjian.people.importing import COLUMNS, IMPORTER
from dangjian.people.models import Household, Person, Tag, TagKind
from dangjian.people.services import ID_PURPOSE
from tests.factories import as_actor, make_id_number

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
    actor = as_actor(user or world.users.secretary, today=world.today)
    return IMPORTER.plan(sheet(rows), "居民.xlsx", target=target or world.community_a, actor=actor), actor


def person(id_number: str) -> Person:
    return Person.objects.get(id_number_hash=crypto.search_hash(id_number, purpose=ID_PURPOSE))


def test_new_residents_are_registered_with_households_and_tags_and_a_second_import_changes_nothing(world):
    a, b = make_id_number(dt.date(1950, 3, 4)), make_id_number(dt.date(1952, 6, 7), male=False)
    rows = [
        {"name": "周老伯", "id_number": a, "grid": "第一网格", "household": "钢花新村3栋501", "tags": "独居老人"},
        {"name": "吴阿姨", "id_number": b, "grid": "第一网格", "household": "钢花新村3栋501", "phone": "13912340000"},
    ]
    planned, actor = plan(world, rows)
    assert planned.errors == [] and planned.valid == 2
    assert IMPORTER.preview(planned, actor=actor).as_dict() == {"created": 2, "updated": 0, "unchanged": 0}
    assert not Person.objects.filter(name="周老伯").exists()
    assert IMPORTER.apply(planned, actor=actor).as_dict() == {"created": 2, "updated": 0, "unchanged": 0}
    zhou, wu = person(a), person(b)
    assert zhou.region == world.grid_a1 and zhou.household == wu.household
    assert zhou.household.address == "钢花新村3栋501" and zhou.address == "钢花新村3栋501"
    assert list(zhou.tags.values_list("name", flat=True)) == ["独居老人"]
    assert zhou.birth_date == dt.date(1950, 3, 4) and wu.phone_masked.endswith("0000")
    assert Event.objects.filter(action=EventAction.CREATED, target_id=zhou.pk).exists()
    again, actor = plan(world, rows)
    assert IMPORTER.apply(again, actor=actor).as_dict() == {"created": 0, "updated": 0, "unchanged": 2}
    assert Household.objects.filter(address="钢花新村3栋501").count() == 1
    assert Person.objects.filter(name__in=["周老伯", "吴阿姨"]).count() == 2


def test_a_recorded_resident_gets_the_filled_in_cells_and_keeps_the_rest(world):
    zhang = world.zhang
    number = crypto.decrypt(zhang.id_number_encrypted)
    helper = Tag.objects.create(kind=TagKind.PERSON, name="低保户")
    rows = [{"name": "张三", "id_number": number, "phone": "", "address": "钢花新村5栋", "tags": "低保户"}]
    planned, actor = plan(world, rows)
    assert planned.errors == []
    assert IMPORTER.apply(planned, actor=actor).as_dict() == {"created": 0, "updated": 1, "unchanged": 0}
    zhang.refresh_from_db()
    assert zhang.address == "钢花新村5栋" and zhang.phone_masked  # the empty phone cell erased nothing
    assert set(zhang.tags.values_list("name", flat=True)) == {"独居老人", helper.name}  # tags only added
    assert zhang.region == world.grid_a1  # no grid given: stays


def test_problems_are_reported_by_row_and_column_and_out_of_area_people_are_refused_like_the_form(world):
    wang_number = crypto.decrypt(world.wang.id_number_encrypted)  # 王五 lives in community B
    zhang_number = crypto.decrypt(world.zhang.id_number_encrypted)
    rows = [
        {"name": "", "id_number": make_id_number(dt.date(1960, 1, 1)), "grid": "第一网格"},  # 2: no name
        {"name": "郑七", "id_number": "4201071960010112", "grid": "第一网格"},  # 3: 16 characters
        {"name": "王五", "id_number": wang_number, "grid": "第一网格"},  # 4: outside the area
        {"name": "冯八", "id_number": make_id_number(dt.date(1961, 1, 1)), "grid": "第九网格"},  # 5: no such grid
        {"name": "陈九", "id_number": make_id_number(dt.date(1962, 1, 1))},  # 6: no grid
        {"name": "褚十", "id_number": make_id_number(dt.date(1963, 1, 1)), "grid": "第一网格", "tags": "VIP"},  # 7
        {"name": "李四改", "id_number": zhang_number, "grid": "第一网格"},  # 8: not 张三
        {"name": "卫十一", "id_number": make_id_number(dt.date(1964, 1, 1)), "grid": "第一网格", "gender": "男女"},  # 9
    ]
    planned, _actor = plan(world, rows)
    found = [(p.row, p.column) for p in planned.errors]
    assert found == [
        (2, "姓名"),
        (3, "公民身份号码"),
        (4, "公民身份号码"),
        (5, "所在网格"),
        (6, "所在网格"),
        (7, "居民标签"),
        (8, "公民身份号码"),
        (9, "性别"),
    ]
    messages = {p.row: p.message for p in planned.errors}
    assert "王五" not in messages[4]  # says no more than the person form does
    assert "张三" in messages[8]
    assert planned.valid == 0


def test_a_secretary_imports_only_into_her_community_and_the_command_runs_the_same_import(world, tmp_path):
    targets = list(IMPORTER.targets(actor=as_actor(world.users.secretary)))
    assert world.community_a in targets and world.community_b not in targets
    assert not IMPORTER.may_import(actor=as_actor(world.users.branch))
    path = tmp_path / "居民.xlsx"
    number = make_id_number(dt.date(1990, 2, 3))
    path.write_bytes(sheet([{"name": "蒋十二", "id_number": number, "grid": "红钢城社区第二网格"}]))
    call_command("import_table", "residents", str(path), "--into", "420107001001", "--user", "secretary_a")
    assert person(number).region == world.grid_a2
    with pytest.raises(CommandError, match="secretary_a"):  # 钢花村社区 is not hers
        call_command("import_table", "residents", str(path), "--into", "420107001002", "--user", "secretary_a")


def test_the_template_lists_its_columns_and_its_example_row_is_skipped(world):
    from openpyxl import load_workbook

    content = IMPORTER.template_xlsx()
    workbook = load_workbook(io.BytesIO(content))
    assert [c.value for c in workbook["居民信息采集表"][1]][:5] == [
        "*姓名",
        "性别",
        "民族",
        "出生日期",
        "*公民身份号码",
    ]
    planned = IMPORTER.plan(
        content, "居民信息采集表.xlsx", target=world.community_a, actor=as_actor(world.users.secretary)
    )
    assert planned.valid == 0 and planned.total == 0
    assert [(p.row, p.column) for p in planned.warnings] == [(2, "*公民身份号码")]  # as the file heads it


def test_once_the_budget_of_numbers_recorded_elsewhere_is_used_up_no_file_is_looked_up(world):
    """As the person form: a file is refused whole, whatever numbers it holds — otherwise a file of
    one number would tell whether that number is recorded somewhere."""
    from dangjian.people.services import DUPLICATE_ID_REFUSALS

    actor = as_actor(world.users.secretary, today=world.today)
    for _n in range(DUPLICATE_ID_REFUSALS.limit):
        DUPLICATE_ID_REFUSALS.spend(actor.user_id, now=actor.now)
    fresh = make_id_number(dt.date(1991, 4, 5))
    wang = crypto.decrypt(world.wang.id_number_encrypted)
    for number in (fresh, wang):
        planned, _actor = plan(world, [{"name": "某人", "id_number": number, "grid": "第一网格"}])
        assert [(p.row, p.column) for p in planned.errors] == [(0, "公民身份号码")]
        assert planned.valid == 0


def test_a_move_to_a_grid_of_the_same_name_is_recorded(world):
    number = crypto.decrypt(world.zhang.id_number_encrypted)
    rows = [{"name": "张三", "id_number": number, "grid": "420107001002001"}]  # 钢花村社区's 第一网格, by code
    planned, actor = plan(world, rows, user=world.users.admin, target=world.street)
    assert planned.errors == []
    assert IMPORTER.apply(planned, actor=actor).as_dict() == {"created": 0, "updated": 1, "unchanged": 0}
    world.zhang.refresh_from_db()
    assert world.zhang.region == world.grid_b1
    event = Event.objects.filter(action=EventAction.UPDATED, target_id=world.zhang.pk).latest("occurred_at")
    assert event.changes["region"] == ["第一网格", "第一网格 (420107001002001)"]
