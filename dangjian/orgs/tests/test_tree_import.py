"""Importing the region and organisation trees from one spreadsheet: rows in any order, parents by
code or name, matched by code (a second import changes nothing), and every bad row refused with
its row and column — cycles, unknown parents, types in the wrong place, codes used elsewhere —
with nothing half-written."""

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from dangjian.core.importing import ImportFailed
from dangjian.core.models import Event, EventAction
from dangjian.orgs.importing import COLUMNS, IMPORTER
from dangjian.orgs.models import Organization, OrgKind, Region, RegionLevel
from tests.factories import as_actor

pytestmark = pytest.mark.django_db

HEADER = [column.label for column in COLUMNS]
KEYS = [column.key for column in COLUMNS]


def sheet(rows: list[dict[str, Any]]) -> bytes:
    workbook = Workbook()
    workbook.active.append(HEADER)
    for values in rows:
        workbook.active.append([values.get(key) for key in KEYS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plan(world, rows, *, user=None, target=None):
    actor = as_actor(user or world.users.admin, today=world.today)
    return IMPORTER.plan(sheet(rows), "trees.xlsx", target=target or world.street, actor=actor), actor


def problems(planned) -> list[tuple[int, str]]:
    return [(p.row, p.column) for p in planned.errors]


# A new community, its two grids, its committee and a branch serving one grid — children first.
NEW = [
    {
        "code": "PC1",
        "name": "青和居社区第一党支部",
        "type": "党支部",
        "parent": "青和居社区党委",
        "region": "青和居第一网格",
    },
    {"code": "C3G1", "name": "青和居第一网格", "type": "网格", "parent": "C3"},
    {"code": "C3G2", "name": "青和居第二网格", "type": "网格", "parent": "青和居社区"},
    {
        "code": "PC",
        "name": "青和居社区党委",
        "type": "社区党委",
        "region": "C3",
        "term_started_on": "2024-07-01",
        "term_ends_on": "2029-06-30",
    },
    {"code": "C3", "name": "青和居社区", "type": "社区"},
]


def test_rows_in_any_order_build_both_trees_and_a_second_import_changes_nothing(world):
    planned, actor = plan(world, NEW)
    assert planned.errors == [] and planned.valid == 5
    preview = IMPORTER.preview(planned, actor=actor)
    assert preview.as_dict() == {"created": 5, "updated": 0, "unchanged": 0}
    assert not Region.objects.filter(code="C3").exists()  # the preview kept nothing
    result = IMPORTER.apply(planned, actor=actor)
    assert result.as_dict() == {"created": 5, "updated": 0, "unchanged": 0}
    community = Region.objects.get(code="C3")
    assert community.parent == world.street and community.level == RegionLevel.COMMUNITY
    grid = Region.objects.get(code="C3G1")
    assert grid.parent == community and grid.path.startswith(community.path)
    committee = Organization.objects.get(code="PC")
    assert committee.parent.code == "P1" and committee.region == community  # under the working committee
    assert committee.term_started_on == dt.date(2024, 7, 1) and committee.term_ends_on == dt.date(2029, 6, 30)
    branch = Organization.objects.get(code="PC1")
    assert branch.parent == committee and branch.region == grid and branch.kind == OrgKind.BRANCH
    assert Event.objects.filter(action=EventAction.CREATED, target_id=branch.pk).exists()
    again, actor = plan(world, NEW)
    assert again.errors == [] and IMPORTER.apply(again, actor=actor).as_dict() == {
        "created": 0,
        "updated": 0,
        "unchanged": 5,
    }


def test_a_recorded_node_is_renamed_and_its_term_updated_but_empty_cells_erase_nothing(world):
    world.committee_a.term_started_on = dt.date(2021, 7, 1)
    world.committee_a.save()
    rows = [
        {"code": "PA", "name": "红钢城社区党委（新）", "type": "社区党委", "term_ends_on": "2026-06-30"},
        {"code": "420107001001001", "name": "第一网格", "type": "网格", "parent": "红钢城社区"},
    ]
    planned, actor = plan(world, rows)
    assert planned.errors == []
    assert IMPORTER.apply(planned, actor=actor).as_dict() == {"created": 0, "updated": 1, "unchanged": 1}
    world.committee_a.refresh_from_db()
    assert world.committee_a.name == "红钢城社区党委(新)"  # the reader writes brackets half-width
    assert world.committee_a.term_started_on == dt.date(2021, 7, 1)  # the empty cell kept it
    assert world.committee_a.term_ends_on == dt.date(2026, 6, 30)


def test_cycles_unknown_parents_wrong_types_and_taken_codes_are_reported_by_row_and_column(world):
    rows = [
        {"code": "X1", "name": "甲", "type": "网格", "parent": "X2"},  # 2: X1 → X2 → X1
        {"code": "X2", "name": "乙", "type": "网格", "parent": "X1"},  # 3
        {"code": "X3", "name": "丙", "type": "党支部", "parent": "不存在的党委"},  # 4: unknown parent
        {"code": "X4", "name": "丁", "type": "网格"},  # 5: a grid straight under the street
        {"code": "PB", "name": "钢花村社区党委", "type": "党支部"},  # 6: recorded as a committee
        {"code": "X5", "name": "戊", "type": "居民楼"},  # 7: unknown type
        {"code": "X5", "name": "己", "type": "社区"},  # 8: the code again (row 7's problem is its type)
        {"code": "X6", "name": "庚", "type": "网格", "parent": "第一网格"},  # 9: two grids are called so
        {"code": "X7", "name": "辛", "type": "党小组", "parent": "X3"},  # 10: its parent's row has a problem
        {"code": "X8", "name": "壬", "type": "社区", "region": "红钢城社区"},  # 11: only organisations
        {"code": "PA1", "name": "红钢城社区第一党支部", "type": "党支部", "parent": "钢花村社区党委"},  # 12: a move
    ]
    planned, _actor = plan(world, rows)
    found = problems(planned)
    assert (2, "上级") in found and (3, "上级") in found
    assert (4, "上级") in found and (10, "上级") in found
    assert (5, "类型") in found and (6, "类型") in found and (7, "类型") in found
    assert (9, "上级") in found and (11, "所在社区或网格") in found and (12, "上级") in found
    assert planned.valid == 1  # row 8 (X5, a community) is the only good row
    messages = " ".join(p.message for p in planned.errors)
    assert "X1 → X2 → X1" in messages or "X2 → X1 → X2" in messages
    assert "不存在的党委" in messages and "第一网格" in messages


def test_only_the_configure_right_over_the_target_may_import_and_a_community_secretary_may_not(world):
    assert IMPORTER.may_import(actor=as_actor(world.users.admin))
    assert list(IMPORTER.targets(actor=as_actor(world.users.admin))) == [
        world.street,
        world.community_a,
        world.community_b,
    ]
    assert not IMPORTER.may_import(actor=as_actor(world.users.secretary))
    assert not IMPORTER.targets(actor=as_actor(world.users.secretary)).exists()


def test_into_a_community_the_nodes_above_it_cannot_be_named(world):
    rows = [
        {"code": "A3", "name": "第三网格", "type": "网格"},  # under the target community
        {"code": "B2", "name": "钢花村第二网格", "type": "网格", "parent": "钢花村社区"},  # another community
    ]
    planned, actor = plan(world, rows, target=world.community_a)
    assert problems(planned) == [(3, "上级")]
    IMPORTER.apply(planned, actor=actor)
    assert Region.objects.get(code="A3").parent == world.community_a


def test_a_failure_while_writing_leaves_nothing_half_written(world, monkeypatch):
    planned, actor = plan(world, NEW)
    from dangjian.orgs import services

    real = services.add_organization
    calls = []

    def failing(**kwargs):
        calls.append(kwargs["code"])
        if kwargs["code"] == "PC1":
            from django.core.exceptions import ValidationError

            raise ValidationError("写入时出错。")
        return real(**kwargs)

    monkeypatch.setattr(services, "add_organization", failing)
    with pytest.raises(ImportFailed, match="写入时出错"):
        IMPORTER.apply(planned, actor=actor)
    assert calls == ["PC", "PC1"]
    assert not Region.objects.filter(code__in=["C3", "C3G1", "C3G2"]).exists()
    assert not Organization.objects.filter(code="PC").exists()


def test_the_command_imports_the_trees_and_the_template_lists_the_types(world, tmp_path, capsys):
    path = tmp_path / "trees.xlsx"
    path.write_bytes(sheet(NEW))
    call_command("import_table", "trees", str(path), "--into", "420107001", "--dry-run", "--format", "json")
    assert '"created": 5' in capsys.readouterr().out and not Region.objects.filter(code="C3").exists()
    call_command("import_table", "trees", str(path), "--into", "420107001")
    assert Region.objects.filter(code__in=["C3", "C3G1", "C3G2"]).count() == 3
    assert Event.objects.filter(action=EventAction.IMPORTED, target_id=world.street.pk).exists()
    workbook = load_workbook(io.BytesIO(IMPORTER.template_xlsx()))
    data = workbook["组织架构导入表"]
    assert [cell.value for cell in data[1]][:3] == ["*编码", "*名称", "*类型"]
    lists = [v.formula1 for v in data.data_validations.dataValidation]
    assert '"社区,网格,社区党委,党总支,党支部,党小组"' in lists
    assert any("上级" in row[0].value for row in workbook["填写说明"].iter_rows())


def test_a_new_term_start_after_the_recorded_end_is_refused_on_its_row(world):
    world.committee_a.term_started_on, world.committee_a.term_ends_on = dt.date(2021, 7, 1), dt.date(2026, 6, 30)
    world.committee_a.save()
    rows = [
        {"code": "PA", "name": world.committee_a.name, "type": "社区党委", "term_started_on": "2026-07-01"},
        {"code": "PB", "name": world.committee_b.name, "type": "社区党委", "region": "红钢城社区"},  # serves B
    ]
    planned, actor = plan(world, rows)
    assert [(p.row, p.column) for p in planned.errors] == [(2, "本届开始日期"), (3, "所在社区或网格")]
    assert IMPORTER.preview(planned, actor=actor).as_dict() == {"created": 0, "updated": 0, "unchanged": 0}
