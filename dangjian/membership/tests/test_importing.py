"""Importing a member roster: real .xlsx and .csv files built in memory, planned (dry run) and
applied against the test world's database through the real access layer."""

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Sequence
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.utils.translation import override
from openpyxl import Workbook, load_workbook

from dangjian.core import crypto
from dangjian.core.importing import TEMPLATE_ROWS
from dangjian.core.models import Event, EventAction
from dangjian.core.validators import id_check_digit
from dangjian.membership.importing import members as importing
from dangjian.membership.importing.members import TEMPLATE_COLUMNS, apply_import, plan_import, template_xlsx
from dangjian.membership.models import Placement, PlacementReason
from dangjian.people.models import Member, MemberCategory, MemberStage, Person
from dangjian.people.services import DUPLICATE_ID_REFUSALS, ID_NUMBER_TAKEN, ID_PURPOSE
from tests.factories import as_actor, make_id_number, make_member, make_person

pytestmark = pytest.mark.django_db

LABEL = {column.key: column.label for column in TEMPLATE_COLUMNS}
KEYS = (
    "name",
    "gender",
    "id_number",
    "phone",
    "organization",
    "stage",
    "category",
    "applied_on",
    "joined_on",
    "full_on",
    "grid",
)


# ---------------------------------------------------------------------------------------------
# Building files


def row(name: str, id_number: Any, **values: Any) -> dict[str, Any]:
    """A good row of a full member of branch A1 living in 第一网格; keyword arguments override."""
    if "gender" not in values:  # as the ID number says
        values["gender"] = "男" if int(str(id_number)[16]) % 2 else "女"
    return {
        "name": name,
        "id_number": id_number,
        "phone": "",
        "organization": "红钢城社区第一党支部",
        "stage": "正式党员",
        "category": "在职",
        "applied_on": "2009-03-01",
        "joined_on": "2010-07-01",
        "full_on": "2011-07-01",
        "grid": "第一网格",
        **values,
    }


def xlsx(
    rows: list[dict[str, Any]],
    keys: tuple[str, ...] = KEYS,
    *,
    header: list[str] | None = None,
    before: Sequence[Sequence[Any]] = (),
    after: Sequence[Sequence[Any]] = (),
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for line in before:
        sheet.append(line)
    sheet.append(header or [LABEL[key] for key in keys])
    for values in rows:
        sheet.append([values.get(key) for key in keys])
    for line in after:
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[dict[str, Any]], encoding: str = "utf-8", keys: tuple[str, ...] = KEYS) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([LABEL[key] for key in keys])
    for values in rows:
        writer.writerow(["" if values.get(key) is None else values.get(key) for key in keys])
    return buffer.getvalue().encode(encoding)


def new_id(year: int = 1985, month: int = 3, day: int = 4, *, male: bool = True) -> str:
    return make_id_number(dt.date(year, month, day), male=male)


def id_ending_in_x(birth: dt.date = dt.date(1983, 6, 9)) -> str:
    for order in range(1, 999):
        first17 = f"420107{birth:%Y%m%d}{order:03d}"
        if id_check_digit(first17) == "X":
            return first17 + "X"
    raise AssertionError("no order gives X")


def plan(world, content: bytes, filename: str = "roster.xlsx", *, root=None, actor=None):
    return plan_import(content, filename, root=root or world.branch_a1, actor=as_actor(actor, today=world.today))


def person_with(id_number: str) -> Person:
    return Person.objects.get(id_number_hash=crypto.search_hash(id_number, purpose=ID_PURPOSE))


def counts() -> dict[str, int]:
    return {
        "people": Person.objects.count(),
        "members": Member.objects.count(),
        "placements": Placement.objects.count(),
        "events": Event.objects.count(),
    }


def problems_at(problems, row: int) -> list[tuple[str, str]]:
    return [(p.column, p.message) for p in problems if p.row == row]


def columns_at(problems, row: int) -> set[str]:
    return {p.column for p in problems if p.row == row}


# ---------------------------------------------------------------------------------------------
# Clean files, re-imports, updates


def test_a_clean_file_is_planned_without_writing_and_then_imported(world):
    ids = [new_id(1980, 1, 2), new_id(1985, 2, 3, male=False), new_id(1990, 3, 4)]
    content = xlsx(
        [
            row("周一", ids[0], phone="13811112222"),
            row("吴二", ids[1], organization="PA1", grid="第二网格"),
            row("郑三", ids[2], stage="预备党员", full_on=None, joined_on="2026-01-15", applied_on=None),
        ]
    )
    before = counts()
    planned = plan(world, content)
    assert (planned.valid, planned.total, planned.errors, planned.warnings) == (3, 3, [], [])
    assert planned.summary() == {"valid": 3, "total": 3, "errors": [], "warnings": []}
    assert counts() == before  # the dry run writes nothing

    result = apply_import(planned, actor=as_actor(world.users.secretary))
    assert result.as_dict() == {"created": 3, "updated": 0, "unchanged": 0}
    after = counts()
    assert after["people"] == before["people"] + 3
    assert after["members"] == before["members"] + 3
    assert after["placements"] == before["placements"] + 3
    assert after["events"] == before["events"] + 6  # a person and a member created per row

    zhou, wu, zheng = (person_with(i) for i in ids)
    assert (zhou.name, zhou.gender, zhou.birth_date, zhou.region) == (
        "周一",
        "male",
        dt.date(1980, 1, 2),
        world.grid_a1,
    )
    assert crypto.decrypt(zhou.phone_encrypted) == "13811112222"
    assert (wu.gender, wu.region) == ("female", world.grid_a2)
    for person, joined in ((zhou, dt.date(2010, 7, 1)), (wu, dt.date(2010, 7, 1)), (zheng, dt.date(2026, 1, 15))):
        member = person.member
        assert member.organization == world.branch_a1
        assert member.joined_on == joined
        placements = list(member.placements.all())
        assert len(placements) == 1
        assert placements[0].ended_on is None
        assert placements[0].started_on == joined
        assert placements[0].reason == PlacementReason.IMPORTED
        assert placements[0].organization == world.branch_a1
    assert zhou.member.stage == MemberStage.FULL
    assert zhou.member.full_on == dt.date(2011, 7, 1)
    assert zhou.member.category == MemberCategory.EMPLOYED
    assert zheng.member.stage == MemberStage.PROBATIONARY
    assert zheng.member.full_on is None
    person_type = ContentType.objects.get_for_model(Person)
    member_type = ContentType.objects.get_for_model(Member)
    for person in (zhou, wu, zheng):
        created = Event.objects.filter(action=EventAction.CREATED)
        assert created.filter(target_type=person_type, target_id=person.pk, actor=world.users.secretary).count() == 1
        assert created.filter(target_type=member_type, target_id=person.member.pk).count() == 1
    member_event = Event.objects.get(target_type=member_type, target_id=zhou.member.pk)
    assert member_event.changes["organization"] == [None, "红钢城社区第一党支部"]
    assert member_event.changes["joined_on"] == [None, "2010-07-01"]
    person_event = Event.objects.get(target_type=person_type, target_id=zhou.pk)
    assert "13811112222" not in json.dumps(person_event.changes)  # numbers are masked in events
    assert ids[0] not in json.dumps(person_event.changes)


def test_reimporting_the_same_file_changes_nothing(world):
    ids = [new_id(1980, 1, 2), new_id(1985, 2, 3), new_id(1990, 3, 4)]
    content = xlsx(
        [
            row("周一", ids[0], phone="13811112222"),
            row("吴二", ids[1], education="本科"),
            row("郑三", ids[2], stage="预备党员", full_on=None, joined_on="2026-01-15"),
        ],
        (*KEYS, "education"),
    )
    assert apply_import(plan(world, content), actor=as_actor()).created == 3
    before = counts()
    versions = {i: (person_with(i).version, person_with(i).member.version) for i in ids}

    again = plan(world, content)
    assert (again.valid, again.errors) == (3, [])
    result = apply_import(again, actor=as_actor())
    assert result.as_dict() == {"created": 0, "updated": 0, "unchanged": 3}
    assert counts() == before  # no new people, members, placements or events
    assert {i: (person_with(i).version, person_with(i).member.version) for i in ids} == versions


def test_a_changed_phone_is_updated_and_an_empty_cell_erases_nothing(world):
    ids = [new_id(1980, 1, 2), new_id(1985, 2, 3)]
    first = xlsx(
        [
            row("周一", ids[0], phone="13811112222", education="本科"),
            row("吴二", ids[1], phone="13933334444", education="大专", address="钢花新村1栋"),
        ],
        (*KEYS, "education", "address"),
    )
    apply_import(plan(world, first), actor=as_actor())
    zhou, wu = person_with(ids[0]), person_with(ids[1])
    before = counts()

    second = xlsx(
        [
            row("周一", ids[0], phone="13855556666", education="本科"),
            # phone, education, address, applied_on and category left empty: nothing is erased
            row("吴二", ids[1], phone=None, education=None, address=None, applied_on=None, category=None),
        ],
        (*KEYS, "education", "address"),
    )
    planned = plan(world, second)
    assert (planned.valid, planned.errors) == (2, [])
    result = apply_import(planned, actor=as_actor(world.users.secretary))
    assert result.as_dict() == {"created": 0, "updated": 1, "unchanged": 1}

    after = counts()
    assert after["events"] == before["events"] + 1
    assert after["people"] == before["people"]
    event = Event.objects.get(
        action=EventAction.UPDATED, target_type=ContentType.objects.get_for_model(Person), target_id=zhou.pk
    )
    assert event.actor == world.users.secretary
    assert event.changes["phone"] == ["138****2222", "138****6666"]
    zhou_now, wu_now = person_with(ids[0]), person_with(ids[1])
    assert crypto.decrypt(zhou_now.phone_encrypted) == "13855556666"
    assert zhou_now.version == zhou.version + 1
    assert crypto.decrypt(wu_now.phone_encrypted) == "13933334444"
    assert (wu_now.education, wu_now.address, wu_now.version) == (wu.education, "钢花新村1栋", wu.version)
    assert wu_now.member.applied_on == dt.date(2009, 3, 1)
    assert wu_now.member.category == MemberCategory.EMPLOYED


def test_empty_stage_and_full_date_cells_do_not_demote_a_full_member(world):
    id_number = new_id(1980, 1, 2)
    apply_import(plan(world, xlsx([row("周一", id_number)])), actor=as_actor())
    member = person_with(id_number).member
    assert (member.stage, member.full_on) == (MemberStage.FULL, dt.date(2011, 7, 1))

    planned = plan(world, xlsx([row("周一", id_number, stage=None, full_on=None)]))
    assert planned.errors == []
    result = apply_import(planned, actor=as_actor())
    member.refresh_from_db()
    assert (member.stage, member.full_on) == (MemberStage.FULL, dt.date(2011, 7, 1))
    assert result.as_dict() == {"created": 0, "updated": 0, "unchanged": 1}


def test_a_changed_joining_date_moves_the_start_of_the_placement(world):
    id_number = new_id(1980, 1, 2)
    apply_import(plan(world, xlsx([row("周一", id_number)])), actor=as_actor())
    result = apply_import(plan(world, xlsx([row("周一", id_number, joined_on="2010-06-20")])), actor=as_actor())
    assert result.as_dict() == {"created": 0, "updated": 1, "unchanged": 0}
    member = person_with(id_number).member
    assert member.joined_on == dt.date(2010, 6, 20)
    assert [p.started_on for p in member.placements.all()] == [dt.date(2010, 6, 20)]
    event = Event.objects.get(
        action=EventAction.UPDATED, target_type=ContentType.objects.get_for_model(Member), target_id=member.pk
    )
    assert event.changes == {"joined_on": ["2010-07-01", "2010-06-20"]}


# ---------------------------------------------------------------------------------------------
# Messy files


def test_an_id_number_stored_as_a_number_is_reported_not_repaired(world):
    good = new_id(1980, 1, 2)
    numeric = next(number for number in iter(lambda: new_id(1985, 2, 3), None) if number[-1] != "X")  # a number
    planned = plan(world, xlsx([row("周一", good), row("吴二", int(numeric))]))
    assert planned.valid == 1
    assert columns_at(planned.errors, 3) == {"公民身份号码"}
    with override("en"):
        planned = plan(world, xlsx([row("周一", good), row("吴二", int(numeric))]))
    assert "text" in planned.errors[0].message  # tells to format the column as text
    apply_import(planned, actor=as_actor())
    assert not Person.objects.filter(id_number_hash=crypto.search_hash(numeric, purpose=ID_PURPOSE)).exists()
    assert not Person.objects.filter(name="吴二").exists()


def test_an_id_number_saved_in_scientific_notation_from_csv_is_reported(world):
    content = csv_bytes([row("周一", new_id(1980, 1, 2)), row("吴二", "4.20107E+17", gender="男")])
    planned = plan(world, content, "roster.csv")
    assert planned.valid == 1
    assert [(p.row, p.column) for p in planned.errors] == [(3, "公民身份号码")]


def test_a_trailing_lower_case_x_is_accepted(world):
    id_number = id_ending_in_x()
    planned = plan(world, xlsx([row("周一", id_number[:-1] + "x")]))
    assert (planned.valid, planned.errors) == (1, [])
    apply_import(planned, actor=as_actor())
    person = person_with(id_number)  # found by the upper-case number
    assert crypto.decrypt(person.id_number_encrypted) == id_number


def test_full_width_digits_in_id_and_phone_are_read(world):
    id_number = new_id(1980, 1, 2)
    wide = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    planned = plan(world, xlsx([row("周一", id_number.translate(wide), phone="１３８１１１１２２２２")]))
    assert (planned.valid, planned.errors) == (1, [])
    apply_import(planned, actor=as_actor())
    person = person_with(id_number)
    assert crypto.decrypt(person.phone_encrypted) == "13811112222"


def test_stray_spaces_and_line_breaks_are_tidied(world):
    ids = [new_id(1980, 1, 2), new_id(1985, 2, 3)]
    content = xlsx(
        [
            row(
                "刘  洋",
                " " + ids[0][:6] + " " + ids[0][6:] + "\n",
                phone=" 138 1111 2222 ",
                organization=" 红钢城社区\n第一党支部 ",
                grid="第一网格\u3000",
                stage=" 正式党员 ",
                gender=" 男 ",
            ),
            row("王\n芳", ids[1], category="在职\n"),
        ]
    )
    planned = plan(world, content)
    assert (planned.valid, planned.errors) == (2, [])
    apply_import(planned, actor=as_actor())
    liu, wang = person_with(ids[0]), person_with(ids[1])
    assert liu.name == "刘洋"
    assert wang.name == "王芳"
    assert crypto.decrypt(liu.phone_encrypted) == "13811112222"
    assert liu.member.organization == world.branch_a1
    assert liu.region == world.grid_a1


def test_reimporting_a_name_with_stray_spaces_is_unchanged(world):
    id_number = new_id(1980, 1, 2)
    content = xlsx([row("刘  洋", id_number)])
    apply_import(plan(world, content), actor=as_actor())
    assert person_with(id_number).name == "刘洋"
    again = plan(world, content)
    assert again.errors == []
    assert apply_import(again, actor=as_actor()).as_dict() == {"created": 0, "updated": 0, "unchanged": 1}


@pytest.mark.parametrize(
    "cell",
    [
        43647,  # an Excel serial in a general cell
        43647.0,
        dt.datetime(2019, 7, 1),
        "2019-07-01",
        "2019/7/1",
        "2019.07.01",
        "2019年7月1日",
        " 2019 年 7 月 1 日 ",
        "20190701",
    ],
)
def test_the_usual_date_spellings_are_read(world, cell):
    planned = plan(world, xlsx([row("周一", new_id(1980, 1, 2), joined_on=cell, full_on="2020-07-01")]))
    assert planned.errors == []
    assert planned.rows[0].member["joined_on"] == dt.date(2019, 7, 1)


@pytest.mark.parametrize("cell", ["43647", "2019/7/1", "2019年7月1日"])
def test_dates_are_read_from_csv_text(world, cell):
    planned = plan(world, csv_bytes([row("周一", new_id(1980, 1, 2), joined_on=cell, full_on="2020-07-01")]), "a.csv")
    assert planned.errors == []
    assert planned.rows[0].member["joined_on"] == dt.date(2019, 7, 1)


@pytest.mark.parametrize(
    ("cell", "word"), [("2019-07", "day"), ("2019-02-30", "real date"), ("去年七月", "not a date")]
)
def test_a_date_that_cannot_be_read_is_reported_on_its_column(world, cell, word):
    with override("en"):
        planned = plan(world, xlsx([row("周一", new_id(1980, 1, 2), joined_on=cell)]))
    assert planned.valid == 0
    messages = problems_at(planned.errors, 2)
    assert [column for column, _message in messages] == ["入党日期"]
    assert word in messages[0][1]


def test_a_title_row_and_a_form_line_above_the_header(world):
    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"] = "红钢城社区党员信息采集表"
    sheet.merge_cells("A1:K1")
    sheet["A2"] = "填表单位：红钢城社区党委"
    sheet["F2"] = "填表日期：2026年11月1日"
    sheet.append([LABEL[key] for key in KEYS])
    good, bad = row("周一", new_id(1980, 1, 2)), row("吴二", new_id(1985, 2, 3), phone="12345")
    sheet.append([good[key] for key in KEYS])
    sheet.append([bad[key] for key in KEYS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    planned = plan(world, buffer.getvalue())
    assert planned.total == 2
    assert planned.valid == 1
    assert planned.warnings == []  # the form line is not taken for a header
    assert [(p.row, p.column) for p in planned.errors] == [(5, "手机号码")]  # the row Excel shows


def test_header_variations_are_recognised(world):
    header = [
        "*姓 名",
        "性\n别",
        "身份证号码",
        "联系电话（手机）",
        "所在党支部",
        "党员类别",
        "在职情况",
        "申请入党时间",
        "入党时间【必填】",
        "转正时间",
        "网格",
        "出生日期（yyyy-mm-dd）",
        "备注",
    ]
    keys = (*KEYS, "birth_date", "notes")
    good = row("周一", new_id(1980, 1, 2), birth_date="1980-01-02", notes="老党员")
    bad = row("吴二", new_id(1985, 2, 3), phone="1381111", birth_date="1985-02-04")
    planned = plan(world, xlsx([good, bad], keys, header=header))
    assert planned.total == 2
    assert planned.valid == 1
    # problems name the header as the user wrote it
    assert columns_at(planned.errors, 3) == {"联系电话（手机）", "出生日期（yyyy-mm-dd）"}
    assert [(p.row, p.column) for p in planned.warnings] == [(1, "备注")]  # not in the template
    member = planned.rows[0]
    assert member.person["name"] == "周一"
    assert member.member["joined_on"] == dt.date(2010, 7, 1)
    assert member.member["applied_on"] == dt.date(2009, 3, 1)
    assert member.member["full_on"] == dt.date(2011, 7, 1)


def test_a_missing_required_header_is_reported_once(world):
    planned = plan(world, xlsx([row("周一", new_id())], ("name", "id_number", "gender")))
    assert planned.valid == 0
    assert [(p.row, p.column) for p in planned.errors] == [(0, "")]
    assert "入党日期" in planned.errors[0].message


def test_duplicate_rows_import_the_first_and_report_the_second(world):
    id_number = new_id(1980, 1, 2)
    other = new_id(1985, 2, 3)
    content = xlsx([row("周一", id_number), row("吴二", other), row("周一", id_number.lower())])
    planned = plan(world, content)
    assert planned.valid == 2
    assert [(p.row, p.column) for p in planned.errors] == [(4, "公民身份号码")]
    assert "2" in planned.errors[0].message  # names the row the number was first seen on
    before = counts()
    assert apply_import(planned, actor=as_actor()).created == 2
    assert counts()["people"] == before["people"] + 2
    assert Member.objects.filter(person=person_with(id_number)).count() == 1


def test_an_unknown_organisation_suggests_the_nearest_name(world):
    content = xlsx([row("周一", new_id(1980, 1, 2), organization="红钢城第一支部")])
    planned = plan(world, content, root=world.committee_a)
    assert planned.valid == 0
    [problem] = planned.errors
    assert (problem.row, problem.column) == (2, "所在党组织")
    assert "红钢城第一支部" in problem.message
    assert "红钢城社区第一党支部" in problem.message
    assert "红钢城社区第二党支部" not in problem.message


def test_an_organisation_outside_the_root_is_unknown(world):
    content = xlsx([row("周一", new_id(1980, 1, 2), organization="钢花村社区第一党支部")])
    planned = plan(world, content, root=world.committee_a)
    assert [(p.row, p.column) for p in planned.errors] == [(2, "所在党组织")]


def test_an_empty_organisation_cell_means_the_root_and_rows_may_name_sub_organisations(world):
    ids = [new_id(1980, 1, 2), new_id(1985, 2, 3), new_id(1986, 2, 3)]
    content = xlsx(
        [
            row("周一", ids[0], organization=None),
            row("吴二", ids[1], organization="红钢城社区第二党支部", grid="第二网格"),
            row("郑三", ids[2], organization="pa1"),
        ]
    )
    planned = plan(world, content, root=world.committee_a)
    assert planned.errors == []
    assert [r.organization for r in planned.rows] == [world.committee_a, world.branch_a2, world.branch_a1]


def test_empty_trailing_rows_are_ignored(world):
    content = xlsx(
        [row("周一", new_id(1980, 1, 2)), row("吴二", new_id(1985, 2, 3))],
        after=[[], [None] * len(KEYS), [""] * len(KEYS), ["  ", "\u3000", None], []],
    )
    planned = plan(world, content)
    assert (planned.total, planned.valid, planned.errors) == (2, 2, [])
    csv_content = csv_bytes([row("周一", new_id(1980, 1, 2))]) + b",,,,,,,,,,\r\n,,,,,,,,,,\r\n\r\n"
    planned = plan(world, csv_content, "roster.csv")
    assert (planned.total, planned.valid, planned.errors) == (1, 1, [])


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_chinese_excel_encodings(world, encoding):
    ids = [new_id(1980, 1, 2), new_id(1985, 2, 3)]
    content = csv_bytes([row("周一", ids[0]), row("吴二", ids[1], phone="1381111")], encoding)
    if encoding == "utf-8-sig":
        assert content.startswith(b"\xef\xbb\xbf")
    planned = plan(world, content, "花名册.CSV")
    assert planned.valid == 1
    assert planned.rows[0].person["name"] == "周一"
    assert planned.rows[0].member["joined_on"] == dt.date(2010, 7, 1)
    assert [(p.row, p.column) for p in planned.errors] == [(3, "手机号码")]


def test_an_unreadable_file_is_one_problem_without_a_row(world):
    planned = plan(world, b"not a workbook", "roster.xlsx")
    assert (planned.valid, planned.total) == (0, 0)
    assert [(p.row, p.column) for p in planned.errors] == [(0, "")]
    planned = plan(world, b"whatever", "roster.xls")
    assert [(p.row, p.column) for p in planned.errors] == [(0, "")]


@pytest.mark.parametrize(
    ("column", "cell", "word"),
    [
        ("gender", "未填写", "男"),
        ("education", "幼儿园", "小学"),
        ("stage", "积极分子", "正式党员"),
        ("category", "退役军人", "在职"),
        ("specialties", "唱歌", "唱歌"),
    ],
)
def test_unknown_choices_are_reported_on_their_column(world, column, cell, word):
    keys = (*KEYS, "education", "specialties")
    planned = plan(world, xlsx([row("周一", new_id(1980, 1, 2), **{column: cell})], keys))
    assert planned.valid == 0
    [problem] = planned.errors
    assert (problem.row, problem.column) == (2, LABEL[column])
    assert word in problem.message


def test_specialties_are_linked_to_the_recorded_tags(world):
    id_number = new_id(1980, 1, 2)
    planned = plan(world, xlsx([row("周一", id_number, specialties="法律咨询")], (*KEYS, "specialties")))
    assert planned.errors == []
    apply_import(planned, actor=as_actor())
    assert [t.name for t in person_with(id_number).member.specialties.all()] == ["法律咨询"]


# ---------------------------------------------------------------------------------------------
# Impossible dates and ID numbers


@pytest.mark.parametrize(
    ("values", "column"),
    [
        ({"joined_on": "2007-07-01", "full_on": "2008-07-01", "applied_on": None}, "joined_on"),  # aged 17
        ({"full_on": "2011-03-01"}, "full_on"),  # probation shorter than a year
        ({"stage": "预备党员"}, "full_on"),  # probationary with a date of full membership
        ({"stage": "正式党员", "full_on": None}, "full_on"),  # full without the date
        ({"applied_on": "2010-08-01"}, "applied_on"),  # applied after joining
        ({"stage": "预备党员", "joined_on": "tomorrow", "full_on": None}, "joined_on"),  # in the future
        ({"joined_on": None}, "joined_on"),
    ],
)
def test_impossible_dates_are_refused(world, values, column):
    tomorrow = (world.today + dt.timedelta(days=1)).isoformat()
    values = {key: tomorrow if value == "tomorrow" else value for key, value in values.items()}
    id_number = make_id_number(dt.date(1990, 1, 1))
    planned = plan(world, xlsx([row("周一", new_id(1980, 1, 2)), row("吴二", id_number, **values)]))
    assert planned.valid == 1
    assert columns_at(planned.errors, 3) == {LABEL[column]}
    assert columns_at(planned.errors, 2) == set()


def test_a_wrong_check_digit_is_reported_on_the_id_column(world):
    id_number = new_id(1980, 1, 2)
    wrong = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    with override("en"):
        planned = plan(world, xlsx([row("周一", wrong)]))
    assert planned.valid == 0
    [problem] = planned.errors
    assert (problem.row, problem.column) == (2, "公民身份号码")
    assert "check digit" in problem.message


def test_a_birth_date_contradicting_the_id_number_is_reported(world):
    keys = (*KEYS, "birth_date")
    id_number = new_id(1980, 1, 2)
    planned = plan(
        world,
        xlsx([row("周一", id_number, birth_date="1980-01-03"), row("吴二", new_id(1985, 2, 3), birth_date=None)], keys),
    )
    assert planned.valid == 1
    [problem] = planned.errors
    assert (problem.row, problem.column) == (2, "出生日期")
    assert "1980-01-02" in problem.message  # what the ID number says


def test_a_gender_contradicting_the_id_number_is_reported(world):
    planned = plan(world, xlsx([row("周一", new_id(1980, 1, 2, male=True), gender="女")]))
    assert [(p.row, p.column) for p in planned.errors] == [(2, "性别")]


# ---------------------------------------------------------------------------------------------
# Scope and existing records


@pytest.mark.parametrize("user", ["outsider", "branch"])
def test_organisations_outside_the_create_scope_are_refused(world, user):
    actor = getattr(world.users, user)  # B's secretary; A1's branch secretary may not create
    before = counts()
    content = xlsx([row("周一", new_id(1980, 1, 2)), row("吴二", new_id(1985, 2, 3), organization=None)])
    planned = plan(world, content, root=world.committee_a, actor=as_actor(actor))
    assert planned.valid == 0
    assert columns_at(planned.errors, 2) == {"所在党组织"}
    assert columns_at(planned.errors, 3) == {"所在党组织"}
    assert apply_import(planned, actor=as_actor(actor)).as_dict() == {"created": 0, "updated": 0, "unchanged": 0}
    assert counts() == before


def test_the_secretary_may_import_into_their_community(world):
    content = xlsx([row("周一", new_id(1980, 1, 2)), row("吴二", new_id(1985, 2, 3), organization=None)])
    planned = plan(world, content, root=world.committee_a, actor=as_actor(world.users.secretary))
    assert (planned.valid, planned.errors) == (2, [])


def test_a_person_outside_the_actors_scope_is_reported_not_updated(world):
    wang = world.wang  # lives in community B
    wang_id = crypto.decrypt(wang.id_number_encrypted)
    before = counts()
    planned = plan(world, xlsx([row("王五", wang_id, phone="13899998888")]), actor=as_actor(world.users.secretary))
    assert planned.valid == 0
    with override("en"):
        planned = plan(world, xlsx([row("王五", wang_id, phone="13899998888")]), actor=as_actor(world.users.secretary))
    [problem] = planned.errors
    assert (problem.row, problem.column) == (2, "公民身份号码")
    with override("en"):
        assert problem.message == str(ID_NUMBER_TAKEN)  # the person form's words: not whose, not where
    assert "王五" not in problem.message and world.community_b.name not in problem.message
    apply_import(planned, actor=as_actor(world.users.secretary))
    wang_now = Person.objects.get(pk=wang.pk)
    assert wang_now.version == wang.version
    assert crypto.decrypt(wang_now.phone_encrypted) == "13700002222"
    assert not Member.objects.filter(person=wang).exists()
    assert counts() == before


def test_a_member_of_another_organisation_must_be_transferred(world):
    id_number = new_id(1980, 1, 2)
    person = make_person(world.users.admin, world.grid_a1, "周一", id_number=id_number)
    member = make_member(person, world.branch_a2)
    with override("en"):
        planned = plan(
            world, xlsx([row("周一", id_number)]), root=world.committee_a, actor=as_actor(world.users.secretary)
        )
    assert planned.valid == 0
    [problem] = planned.errors
    assert (problem.row, problem.column) == (2, "所在党组织")
    assert "transfer" in problem.message
    apply_import(planned, actor=as_actor())
    member.refresh_from_db()
    assert member.organization == world.branch_a2


def test_a_file_cannot_test_many_numbers_recorded_out_of_sight(world):
    """Each number recorded outside the actor's area counts against the person form's hourly
    budget of such refusals; a file with more than it allows is refused as a whole, row by row
    nothing is said, and once the budget is used up every file is (as the person form does)."""
    from django.core.cache import cache

    cache.clear()
    secretary = as_actor(world.users.secretary)
    wang_id = crypto.decrypt(world.wang.id_number_encrypted)
    for _ in range(3):  # the same number (a check, then the import of the same file) counts once
        planned = plan(world, xlsx([row("王五", wang_id)]), actor=secretary)
        assert [p.message for p in planned.errors] == [str(ID_NUMBER_TAKEN)]
    for _ in range(DUPLICATE_ID_REFUSALS.limit - 1):  # other numbers recorded out of sight
        DUPLICATE_ID_REFUSALS.spend(world.users.secretary.pk, now=as_actor(secretary, today=world.today).now)
    planned = plan(world, xlsx([row("周一", new_id(1980, 1, 2))]), actor=secretary)
    assert [p.row for p in planned.errors] == [0]  # used up: no file is looked up, whatever it holds
    other = make_person(world.users.admin, world.grid_b1, "孙七", id_number=new_id(1975, 5, 6))
    other_id = crypto.decrypt(other.id_number_encrypted)
    planned = plan(world, xlsx([row("孙七", other_id), row("周一", new_id(1980, 1, 2))]), actor=secretary)
    [problem] = planned.errors
    assert problem.row == 0 and planned.valid == 0
    # another user's budget is their own
    assert plan(world, xlsx([row("周一", new_id(1980, 1, 2))]), actor=as_actor(world.users.admin)).valid == 1


def test_a_recorded_person_becomes_a_member_without_a_duplicate(world):
    zhang = world.zhang  # recorded with an ID number, not a party member
    zhang_id = crypto.decrypt(zhang.id_number_encrypted)
    before = counts()
    planned = plan(world, xlsx([row("张三", zhang_id, phone="13812345678")]), actor=as_actor(world.users.secretary))
    assert (planned.valid, planned.errors) == (1, [])
    result = apply_import(planned, actor=as_actor(world.users.secretary))
    assert result.as_dict() == {"created": 1, "updated": 0, "unchanged": 0}
    assert counts()["people"] == before["people"]
    assert Member.objects.get(person=zhang).organization == world.branch_a1
    assert Person.objects.get(pk=zhang.pk).version == zhang.version  # same phone: the person is unchanged


def test_each_imported_row_is_counted_once(world):
    zhang_id = crypto.decrypt(world.zhang.id_number_encrypted)
    planned = plan(world, xlsx([row("张三", zhang_id, phone="13800001111")]))
    assert planned.valid == 1
    result = apply_import(planned, actor=as_actor())
    assert crypto.decrypt(Person.objects.get(pk=world.zhang.pk).phone_encrypted) == "13800001111"
    assert result.created + result.updated + result.unchanged == planned.valid


def test_an_id_number_recorded_for_another_name_is_reported(world):
    zhang_id = crypto.decrypt(world.zhang.id_number_encrypted)
    planned = plan(world, xlsx([row("张四", zhang_id)]))
    assert [(p.row, p.column) for p in planned.errors] == [(2, "姓名")]
    assert "张三" in planned.errors[0].message


# ---------------------------------------------------------------------------------------------
# One transaction


def test_a_crash_half_way_leaves_nothing_behind(world, monkeypatch):
    ids = [new_id(1980, 1, 2), new_id(1985, 2, 3)]
    zhang_id = crypto.decrypt(world.zhang.id_number_encrypted)
    planned = plan(world, xlsx([row("周一", ids[0]), row("吴二", ids[1]), row("张三", zhang_id, phone="13800001111")]))
    assert planned.valid == 3
    before = counts()
    zhang_version = world.zhang.version

    def crash(*args: Any, **kwargs: Any) -> None:
        assert Person.objects.count() == before["people"] + 2  # the people were written already
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing.Placement.objects, "bulk_create", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        apply_import(planned, actor=as_actor())
    assert counts() == before
    zhang = Person.objects.get(pk=world.zhang.pk)
    assert zhang.version == zhang_version
    assert crypto.decrypt(zhang.phone_encrypted) == "13812345678"
    assert not Person.objects.filter(name__in=["周一", "吴二"]).exists()


def test_someone_registered_meanwhile_fails_the_whole_import(world):
    ids = [new_id(1980, 1, 2), new_id(1985, 2, 3)]
    planned = plan(world, xlsx([row("周一", ids[0]), row("吴二", ids[1])]))
    assert planned.valid == 2
    make_person(world.users.admin, world.grid_a1, "吴二", id_number=ids[1])  # between the check and the import
    before = counts()
    with pytest.raises(importing.ImportFailed):
        apply_import(planned, actor=as_actor())
    assert counts() == before
    assert not Person.objects.filter(name="周一").exists()


def test_progress_is_reported_and_the_row_limit_applies(world, monkeypatch):
    calls: list[tuple[int, int]] = []
    content = xlsx([row("周一", new_id(1980, 1, 2)), row("吴二", new_id(1985, 2, 3)), row("郑三", new_id(1990))])
    planned = plan_import(
        content,
        "r.xlsx",
        root=world.branch_a1,
        progress=lambda *a: calls.append(a),
        actor=as_actor(today=world.today),
    )
    assert planned.valid == 3
    assert calls == [(3, 3)]
    calls.clear()
    apply_import(planned, progress=lambda *a: calls.append(a), actor=as_actor())
    assert calls == [(3, 3)]
    monkeypatch.setattr(importing.MemberImporter, "max_rows", 2)
    planned = plan(world, content)
    assert (planned.valid, [(p.row, p.column) for p in planned.errors]) == (0, [(0, "")])
    assert "2" in planned.errors[0].message


# ---------------------------------------------------------------------------------------------
# The management command


def run_command(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("import_members", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


def test_the_command_dry_run_reports_json_and_exits_1(world, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(
        xlsx([row("周一", new_id(1980, 1, 2)), row("吴二", new_id(1985, 2, 3), phone="138"), row("郑三", new_id(1990))])
    )
    before = counts()
    code, out = run_command(str(path), "--org", "PA1", "--dry-run", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["valid"] == 2
    assert len(report["errors"]) == 1
    assert set(report["errors"][0]) == {"row", "column", "message"}
    assert (report["errors"][0]["row"], report["errors"][0]["column"]) == (3, "手机号码")
    # the dry run says what a run would do with the valid rows, and writes nothing
    assert (report["created"], report["updated"], report["unchanged"], report["written"]) == (2, 0, 0, False)
    assert counts() == before


def test_the_command_imports_and_reports_counts(world, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([row("周一", new_id(1980, 1, 2)), row("吴二", new_id(1985, 2, 3))], "gb18030"))
    code, out = run_command(str(path), "--org", "PA1", "--format", "json", "--user", "secretary_a")
    assert code == 0
    report = json.loads(out)
    assert report == {
        "valid": 2,
        "errors": [],
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "unchanged_rows": [],
        "written": True,
    }
    assert Member.objects.filter(organization=world.branch_a1, person__name__in=["周一", "吴二"]).count() == 2
    assert Event.objects.filter(action=EventAction.CREATED, actor=world.users.secretary).count() == 4
    # a re-check names the rows already imported as they are
    code, out = run_command(str(path), "--org", "PA1", "--format", "json", "--dry-run")
    assert (code, json.loads(out)["unchanged"], json.loads(out)["unchanged_rows"]) == (0, 2, [2, 3])
    with override("zh-hans"):
        code, out = run_command(str(path), "--org", "PA1", "--dry-run")
    assert "2、3" in out
    code, out = run_command(str(path), "--org", "PA1", "--format", "json")
    assert (code, json.loads(out)["unchanged"]) == (0, 2)


def test_the_command_text_output_and_a_real_run_with_errors(world, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([row("周一", new_id(1980, 1, 2)), row("吴二", new_id(1985, 2, 3), phone="138")]))
    before = counts()
    with override("en"):
        code, out = run_command(str(path), "--org", "PA1")
    assert code == 1  # a row has a problem: nothing is written
    assert "Row 3, 手机号码" in out
    assert "nothing was written" in out and "--skip-invalid" in out
    assert counts() == before
    with override("en"):
        code, out = run_command(str(path), "--org", "PA1", "--skip-invalid")
    assert code == 1  # the valid row is imported when asked, the problem still fails the run
    assert "Members added: 1" in out
    assert Person.objects.filter(name="周一").exists()
    assert not Person.objects.filter(name="吴二").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--org", "NOPE"], "NOPE"), (["--org", "PA1", "--user", "nobody"], "nobody")],
)
def test_the_command_refuses_an_unknown_organisation_or_user(world, tmp_path, args, message):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([row("周一", new_id(1980, 1, 2))]))
    before = counts()
    with pytest.raises(CommandError, match=message):
        call_command("import_members", str(path), *args, stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("import_members", str(tmp_path / "missing.xlsx"), "--org", "PA1", stdout=io.StringIO())
    assert counts() == before


# ---------------------------------------------------------------------------------------------
# The template


def test_the_template_has_the_template_columns():
    workbook = load_workbook(io.BytesIO(template_xlsx()))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert [h.lstrip("*") for h in header] == [column.label for column in TEMPLATE_COLUMNS]
    assert [h.startswith("*") for h in header] == [column.required for column in TEMPLATE_COLUMNS]
    id_column = 1 + [c.key for c in TEMPLATE_COLUMNS].index("id_number")
    assert sheet.cell(row=3, column=id_column).number_format == "@"  # typed ID numbers stay text
    assert len(workbook.worksheets) == 2  # and the instructions


def test_the_template_as_is_does_not_import_its_example(world):
    """The example row (recognised by its ID number) is skipped with a warning, so a template
    sent back unchanged imports nothing."""
    before = counts()
    planned = plan(world, template_xlsx(), "党员信息采集表.xlsx")
    assert (planned.total, planned.valid, planned.errors) == (0, 0, [])
    assert [(p.row, p.column) for p in planned.warnings] == [(2, "*公民身份号码")]
    assert apply_import(planned, actor=as_actor()).created == 0
    assert counts() == before


def test_the_template_filled_in_imports(world):
    workbook = load_workbook(io.BytesIO(template_xlsx()))
    sheet = workbook.worksheets[0]
    id_column = 1 + [c.key for c in TEMPLATE_COLUMNS].index("id_number")
    specialties_column = 1 + [c.key for c in TEMPLATE_COLUMNS].index("specialties")
    id_number = make_id_number(dt.date(1980, 5, 17))
    sheet.cell(row=2, column=id_column, value=id_number)
    sheet.cell(row=2, column=specialties_column, value="法律咨询")
    buffer = io.BytesIO()
    workbook.save(buffer)
    planned = plan(world, buffer.getvalue())
    assert (planned.valid, planned.errors) == (1, [])
    apply_import(planned, actor=as_actor())
    person = person_with(id_number)
    assert (person.name, person.ethnicity, person.education, person.address) == (
        "张三",
        "汉族",
        "bachelor",
        "钢花新村3栋2单元501",
    )
    member = person.member
    assert (member.applied_on, member.joined_on, member.full_on) == (
        dt.date(2001, 3, 1),
        dt.date(2003, 7, 1),
        dt.date(2004, 7, 1),
    )
    assert (member.stage, member.category) == (MemberStage.FULL, MemberCategory.EMPLOYED)


def _template_lists() -> dict[str, list[str]]:
    """{header: the words of its drop-down list} in the template."""
    sheet = load_workbook(io.BytesIO(template_xlsx())).worksheets[0]
    header = {cell.column_letter: str(cell.value).lstrip("*") for cell in sheet[1]}
    lists = {}
    for validation in sheet.data_validations.dataValidation:
        assert validation.type == "list" and validation.showErrorMessage
        [cells] = str(validation.sqref).split()
        assert cells.endswith(f"{TEMPLATE_ROWS + 1}")
        letter = re.match(r"[A-Z]+", cells).group()
        lists[header[letter]] = validation.formula1.strip('"').split(",")
    return lists


def test_the_template_and_the_importer_share_one_list_of_values(world):
    """Every column with fixed values has a drop-down list in the template; the instructions name
    the same words; and the importer takes each of them (the template once listed 学历 words the
    importer refused)."""
    lists = _template_lists()
    fixed = {column.label: column.vocabulary for column in TEMPLATE_COLUMNS if column.vocabulary is not None}
    assert set(lists) == set(fixed) == {"性别", "学历", "正式/预备", "人员类别"}
    instructions = " ".join(importing.template_instructions())
    for label, vocabulary in fixed.items():
        assert lists[label] == vocabulary.words()
        for word in vocabulary.words():
            assert word in instructions
    assert "高中（中专）" in lists["学历"]
    for word in lists["学历"]:
        planned = plan(world, xlsx([row("周一", new_id(1980, 1, 2), education=word)], (*KEYS, "education")))
        assert (planned.valid, planned.errors) == (1, []), word
    for word in lists["人员类别"]:
        planned = plan(world, xlsx([row("周一", new_id(1980, 1, 2), category=word)]))
        assert (planned.valid, planned.errors) == (1, []), word
    for word in lists["正式/预备"]:
        full = word == "正式党员"
        values = {"stage": word, "joined_on": "2010-07-01" if full else "2026-06-01"}
        planned = plan(world, xlsx([row("周一", new_id(1980, 1, 2), full_on="2011-07-01" if full else None, **values)]))
        assert (planned.valid, planned.errors) == (1, []), word


def test_an_unknown_value_is_answered_with_every_choice(world):
    with override("zh-hans"):
        planned = plan(world, xlsx([row("周一", new_id(1980, 1, 2), education="高职")], (*KEYS, "education")))
    [problem] = planned.errors
    assert problem.column == "学历"
    assert "小学及以下、初中、高中（中专）、大专、本科、研究生" in problem.message


def test_without_a_stage_column_the_stage_follows_from_the_dates(world):
    """A roster without 正式/预备 once saved members with an empty stage, whom no later edit
    could save again. Now: full with a date of full membership, probationary without one (within
    the two years a probation may last), and a missing date for anyone who joined before."""
    keys = tuple(k for k in KEYS if k != "stage")
    full, probationary, old = new_id(1980, 1, 2), new_id(1995, 2, 3), new_id(1970, 4, 5)
    content = xlsx(
        [
            row("周一", full),
            row("吴二", probationary, joined_on="2026-03-01", full_on=None),
            row("郑三", old, joined_on="2020-07-01", full_on=None),
        ],
        keys,
    )
    planned = plan(world, content)
    assert [(p.row, p.column) for p in planned.errors] == [(4, "转正日期")]
    assert "2020-07-01" in planned.errors[0].message
    apply_import(planned, actor=as_actor(today=world.today))
    assert person_with(full).member.stage == MemberStage.FULL
    member = person_with(probationary).member
    assert (member.stage, member.full_on) == (MemberStage.PROBATIONARY, None)
    assert not Member.objects.filter(stage="").exists()
    # a later roster with the date of full membership makes the probationary member full
    planned = plan(world, xlsx([row("吴二", probationary, joined_on="2026-03-01", full_on=None)], keys))
    assert (planned.valid, planned.errors) == (1, [])
    later = xlsx([row("吴二", probationary, joined_on="2025-03-01", full_on="2026-03-01")], keys)
    planned = plan(world, later)
    assert planned.errors == []
    assert apply_import(planned, actor=as_actor(today=world.today)).updated == 1
    member.refresh_from_db()
    assert (member.stage, member.full_on) == (MemberStage.FULL, dt.date(2026, 3, 1))
    # and a roster calling a full member probationary is refused, not saved half-way
    planned = plan(world, xlsx([row("吴二", probationary, stage="预备党员", joined_on="2025-03-01", full_on=None)]))
    assert [(p.row, p.column) for p in planned.errors] == [(2, "正式/预备")]
    assert "2026-03-01" in planned.errors[0].message


def run_worker() -> None:
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_an_exported_roster_imports_back_unchanged(world, client):
    from django.urls import reverse

    from dangjian.core.models import Job, JobStatus

    ids = [new_id(1980, 1, 2), new_id(1985, 2, 3, male=False), new_id(1990, 3, 4)]
    content = xlsx(
        [
            row("周一", ids[0], phone="13811112222", education="本科", specialties="法律咨询", address="钢花新村"),
            row("吴二", ids[1], organization="红钢城社区第二党支部", grid="第二网格", category="离退休"),
            row("郑三", ids[2], stage="预备党员", full_on=None, joined_on="2026-01-15", ethnicity="回族"),
        ],
        (*KEYS, "education", "specialties", "address", "ethnicity"),
    )
    assert apply_import(plan(world, content, root=world.committee_a), actor=as_actor()).created == 3
    client.force_login(world.users.secretary)
    assert client.post(reverse("membership:export"), {"query": "", "full_numbers": "1"}).status_code == 302
    run_worker()
    job = Job.objects.get(kind="roster_export")
    assert job.status == JobStatus.SUCCEEDED, job.error
    with job.file.open("rb") as handle:
        exported = handle.read()
    header = next(load_workbook(io.BytesIO(exported), read_only=True).active.iter_rows(values_only=True))
    assert list(header) == [column.label for column in TEMPLATE_COLUMNS]
    before = counts()
    again = plan(world, exported, root=world.committee_a, actor=as_actor(world.users.secretary))
    # The world's own members 赵六 and 李四 have no ID number recorded; they are the only problems.
    assert {(p.column, p.message) for p in again.errors} == {
        (p.column, p.message) for p in again.errors if p.column == "公民身份号码"
    }
    assert len(again.errors) == 2
    assert again.valid == 3
    assert apply_import(again, actor=as_actor(world.users.secretary)).as_dict() == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
    }
    assert counts() == before
