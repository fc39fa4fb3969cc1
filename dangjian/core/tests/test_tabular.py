"""Reading messy roster spreadsheets: real .xlsx and .csv files built in memory, no database."""

import datetime as dt
import io
import re
import zipfile
from typing import Any

import pytest
from django.utils.translation import override
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from dangjian.core.tabular import (
    Column,
    TableError,
    clean_text,
    normalize_header,
    parse_date_cell,
    parse_id_cell,
    read_table,
)

COLUMNS = (
    Column("name", "姓名", required=True),
    Column("id_number", "公民身份号码", aliases=("身份证号",), required=True),
    Column("gender", "性别"),
    Column("birth_date", "出生日期"),
    Column("joined_on", "入党日期", aliases=("入党时间",)),
    Column("phone", "联系电话", aliases=("手机号码",)),
)
HEADER = ["姓名", "公民身份号码", "性别", "出生日期", "入党日期", "联系电话"]
ID_A = "42010719800101001X"
ID_B = "420107198502020026"


def xlsx_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def one_sheet(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    return xlsx_bytes(workbook)


def read_error(content: bytes, filename: str, **kwargs: Any) -> str:
    with override("en"), pytest.raises(TableError) as caught:
        read_table(content, filename, COLUMNS, **kwargs)
    message = str(caught.value)
    assert message  # always a sentence for the user
    return message


def messy_workbook() -> bytes:
    """What a community office sends: title, form line, blank row, decorated header, spacer rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "党员名册"
    sheet["A1"] = "红钢城社区党员信息采集表"
    sheet.merge_cells("A1:I1")
    sheet["A2"] = "填表单位：红钢城社区党委"
    sheet["E2"] = "填表日期：2024年5月6日"
    # row 3 stays blank
    header = ["序号", "＊党员\n姓名", "*公民身份号码", "性 别", "出生日期\n（yyyy-mm-dd）", "入党时间【必填】"]
    header += ["联系电话(手机)", "备注", "日期"]
    for column, text in enumerate(header, start=1):
        sheet.cell(row=4, column=column, value=text)
    sheet.append([1, "张三", ID_A, "男", dt.datetime(1980, 1, 1), 43647, "13800138000", None, None])
    sheet.append([2, " 李\u3000四 ", 420107198502020026, "女", "1985年2月2日", "2008.7.1", 13900139000])
    sheet.append([])  # spacer row (row 7)
    sheet.append([3, None, None, None, None, None, None, "此行只有备注和序号", "2024-01-01"])  # row 8: dropped
    sheet.append([4, "王五", "42010719900303003x", "男", "19900303", "2019/7/1"])  # row 9
    fill = PatternFill("solid", fgColor="FFFF00")
    for row in range(10, 15):  # formatted but empty trailing rows
        sheet.cell(row=row, column=2).fill = fill
    return xlsx_bytes(workbook)


# ---------------------------------------------------------------------------------------------
# Whole files


def test_messy_xlsx_finds_the_header_below_title_and_form_rows():
    table = read_table(messy_workbook(), "红钢城党员.xlsx", COLUMNS)
    assert table.header_row == 4
    assert table.columns == {
        "name": "＊党员 姓名",
        "id_number": "*公民身份号码",
        "gender": "性 别",
        "birth_date": "出生日期 （yyyy-mm-dd）",
        "joined_on": "入党时间【必填】",
        "phone": "联系电话(手机)",
    }
    assert table.unknown_headers == ["序号", "备注", "日期"]  # "日期" fits two columns: ambiguous


def test_messy_xlsx_rows_keep_excel_row_numbers_and_raw_values():
    table = read_table(messy_workbook(), "roster.xlsx", COLUMNS)
    assert [row.number for row in table.rows] == [5, 6, 9]
    first, second, third = (row.values for row in table.rows)
    assert set(first) == {"name", "id_number", "gender", "birth_date", "joined_on", "phone"}
    assert first["birth_date"] == dt.datetime(1980, 1, 1)
    assert first["joined_on"] == 43647  # a general-format cell: the serial number
    assert second["name"] == " 李\u3000四 "  # raw; the caller cleans
    assert isinstance(second["id_number"], int | float)  # openpyxl may read the number back as a float
    assert second["phone"] == 13900139000
    assert third["birth_date"] == "19900303"
    assert third["phone"] is None  # the row is shorter than the header


def test_messy_xlsx_cells_parse_with_the_cell_helpers():
    first, second, third = (row.values for row in read_table(messy_workbook(), "roster.xlsx", COLUMNS).rows)
    assert parse_id_cell(first["id_number"]) == (ID_A, None)
    digits, error = parse_id_cell(second["id_number"])
    assert digits in {"420107198502020026", "420107198502020000"}
    assert error is not None  # an ID stored as a number is reported, never trusted
    assert parse_id_cell(third["id_number"]) == ("42010719900303003X", None)
    assert clean_text(second["name"]) == "李 四"
    assert [parse_date_cell(values["birth_date"]) for values in (first, second, third)] == [
        (dt.date(1980, 1, 1), None),
        (dt.date(1985, 2, 2), None),
        (dt.date(1990, 3, 3), None),
    ]
    assert [parse_date_cell(values["joined_on"]) for values in (first, second, third)] == [
        (dt.date(2019, 7, 1), None),
        (dt.date(2008, 7, 1), None),
        (dt.date(2019, 7, 1), None),
    ]
    assert clean_text(second["phone"]) == "13900139000"


def test_an_instructions_sheet_before_the_data_sheet_is_skipped():
    workbook = Workbook()
    instructions = workbook.active
    instructions.title = "填表说明"
    for line in ["填表说明", "1. 姓名须与身份证一致", "2. 公民身份号码列请设置为文本格式", "3. 日期格式：2019-07-01"]:
        instructions.append([line])
    data = workbook.create_sheet("党员信息")
    data.append(HEADER)
    data.append(["张三", ID_A, "男", "1980-01-01", "2010-07-01", "13800138000"])
    table = read_table(xlsx_bytes(workbook), "roster.xlsx", COLUMNS)
    assert table.header_row == 1
    assert [row.values["name"] for row in table.rows] == ["张三"]


def test_a_hidden_sheet_with_headers_yields_to_a_visible_one():
    workbook = Workbook()
    lists = workbook.active
    lists.title = "下拉选项"
    lists.append(["性别", "姓名"])  # data-validation lists that happen to look like a header
    lists.append(["男", "示例"])
    lists.sheet_state = "hidden"
    data = workbook.create_sheet("名册")
    data.append(HEADER)
    data.append(["李四", ID_B, "女", "1985-02-02", "", ""])
    table = read_table(xlsx_bytes(workbook), "roster.xlsx", COLUMNS)
    assert [row.values["name"] for row in table.rows] == ["李四"]


def test_a_sheet_with_wrong_dimensions_is_read_in_full():
    content = one_sheet([HEADER, ["张三", ID_A, "男", "1980-01-01", "2010-07-01", "13800138000"]])
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', data)
                assert count == 1
            target.writestr(item, data)
    table = read_table(buffer.getvalue(), "roster.xlsx", COLUMNS)
    assert table.rows[0].values["phone"] == "13800138000"


def test_the_header_is_looked_for_in_the_first_20_rows_only():
    filler = [["说明"]] * 19
    table = read_table(one_sheet([*filler, HEADER, ["张三", ID_A]]), "roster.xlsx", COLUMNS)
    assert table.header_row == 20
    assert table.rows[0].number == 21
    message = read_error(one_sheet([*filler, ["说明"], HEADER, ["张三", ID_A]]), "roster.xlsx")
    assert "公民身份号码" in message  # names the headers it expects


def test_a_row_with_a_single_known_header_is_not_a_header():
    content = one_sheet([["姓名：张三"], ["姓名", "备注"], ["张三", "x"]])
    assert "header" in read_error(content, "roster.xlsx")


def test_missing_required_headers_are_named_by_their_template_labels():
    content = one_sheet([["姓名", "性别", "出生日期"], ["张三", "男", "1980-01-01"]])
    message = read_error(content, "roster.xlsx")
    assert "公民身份号码" in message
    assert "身份证号" not in message.replace("公民身份号码", "")  # the template label, not an alias
    assert "性别" not in message


def test_unknown_and_duplicate_headers_are_warnings_and_the_first_column_wins():
    content = one_sheet(
        [
            ["姓名", "身份证号", "民族", "党员姓名", "公民身份号码", "", "籍贯"],
            ["张三", ID_A, "汉族", "张三丰", ID_B, "", "湖北武汉"],
        ]
    )
    table = read_table(content, "roster.xlsx", COLUMNS)
    assert table.columns == {"name": "姓名", "id_number": "身份证号"}
    assert table.unknown_headers == ["民族", "党员姓名", "公民身份号码", "籍贯"]
    assert table.rows[0].values == {"name": "张三", "id_number": ID_A}


def test_headers_match_by_unambiguous_containment():
    content = one_sheet(
        [
            ["党员姓名", "身份证号码", "手机号码(必填)", "出生年月日", "号", "出生", "入党日期时间"],
            ["张三", ID_A, "13800138000", "1980-01-01", "1", "1980-01-01", "2010-07-01"],
        ]
    )
    table = read_table(content, "roster.xlsx", COLUMNS)
    assert table.columns == {
        "name": "党员姓名",
        "id_number": "身份证号码",
        "phone": "手机号码(必填)",
        "birth_date": "出生",
        "joined_on": "入党日期时间",
    }
    assert table.unknown_headers == ["出生年月日", "号"]  # no label inside it; one character means nothing


def test_a_trailing_colon_does_not_hide_a_header_but_a_filled_in_field_is_no_header():
    content = one_sheet([["填表人：张三", "身份证号：4201"], ["姓名：", "身份证号："], ["张三", ID_A]])
    table = read_table(content, "roster.xlsx", COLUMNS)
    assert table.header_row == 2
    assert table.columns == {"name": "姓名：", "id_number": "身份证号："}


def test_a_header_without_data_rows_gives_an_empty_table():
    table = read_table(one_sheet([HEADER, [], [None, None]]), "roster.xlsx", COLUMNS)
    assert table.header_row == 1
    assert table.rows == []


def test_rows_with_only_empty_or_blank_recognised_cells_are_dropped():
    content = one_sheet(
        [
            [*HEADER, "备注"],
            ["张三", ID_A],
            [" ", "\u3000", None, "\u200b", "", "\n", "备注不算"],
            ["李四", ID_B],
        ]
    )
    table = read_table(content, "roster.xlsx", COLUMNS)
    assert [(row.number, row.values["name"]) for row in table.rows] == [(2, "张三"), (4, "李四")]


def test_more_rows_than_max_rows_is_an_error():
    rows = [HEADER, ["张三", ID_A], [], ["李四", ID_B], ["王五", "420107199003030035"]]
    content = one_sheet(rows)
    assert "2" in read_error(content, "roster.xlsx", max_rows=2)
    assert len(read_table(content, "roster.xlsx", COLUMNS, max_rows=3).rows) == 3
    assert len(read_table(one_sheet(rows[:4]), "roster.xlsx", COLUMNS, max_rows=2).rows) == 2  # blank rows do not count


def test_the_extension_is_case_insensitive():
    table = read_table(one_sheet([HEADER, ["张三", ID_A]]), "名册.XLSX", COLUMNS)
    assert table.rows[0].values["id_number"] == ID_A


@pytest.mark.parametrize("filename", ["roster.xls", "roster.txt", "roster.et", "roster", "roster.xlsx.zip"])
def test_other_file_types_are_refused_with_advice(filename):
    message = read_error(one_sheet([HEADER]), filename)
    assert ".xlsx" in message


@pytest.mark.parametrize(
    "content",
    [
        b"this is a text file renamed to .xlsx",
        b"",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),  # an old .xls (OLE2) renamed
        b"PK\x03\x04garbage",  # a truncated zip
    ],
)
def test_a_file_that_is_not_really_xlsx_is_a_table_error(content):
    assert ".xlsx" in read_error(content, "roster.xlsx")


def test_a_zip_that_is_not_a_workbook_is_a_table_error():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert read_error(buffer.getvalue(), "roster.xlsx")


# ---------------------------------------------------------------------------------------------
# CSV

CSV_TEXT = "红钢城社区党员名册\r\n姓名,公民身份号码,性别,出生日期\r\n张三,42010719800101001X,男,1980/1/1\r\n,,,\r\n李四,420107198502020026,女,31048\r\n"


@pytest.mark.parametrize(
    "content",
    [
        CSV_TEXT.encode("utf-8-sig"),  # Excel's "CSV UTF-8"
        CSV_TEXT.encode("utf-8"),
        CSV_TEXT.encode("gb18030"),  # Chinese Excel's plain "CSV"
        CSV_TEXT.encode("gbk"),
        CSV_TEXT.encode("utf-16"),  # "Unicode text" renamed to .csv
        CSV_TEXT.replace(",", "\t").encode("utf-8"),
        CSV_TEXT.replace(",", ";").encode("gb18030"),
    ],
    ids=["utf8-bom", "utf8", "gb18030", "gbk", "utf16", "tab", "semicolon"],
)
def test_csv_encodings_and_delimiters(content):
    table = read_table(content, "roster.csv", COLUMNS)
    assert table.header_row == 2
    assert table.columns == {"name": "姓名", "id_number": "公民身份号码", "gender": "性别", "birth_date": "出生日期"}
    assert [row.number for row in table.rows] == [3, 5]
    first, second = (row.values for row in table.rows)
    assert first == {"name": "张三", "id_number": ID_A, "gender": "男", "birth_date": "1980/1/1"}
    assert parse_date_cell(first["birth_date"]) == (dt.date(1980, 1, 1), None)
    assert parse_date_cell(second["birth_date"]) == (dt.date(1985, 1, 1), None)  # a serial number as text


def test_csv_row_numbers_count_records_not_physical_lines():
    content = '姓名,公民身份号码,联系电话\n"张三",42010719800101001X,"138\n0013 8000"\n李四,420107198502020026\n'
    table = read_table(content.encode(), "roster.csv", COLUMNS)
    assert [row.number for row in table.rows] == [2, 3]
    assert clean_text(table.rows[0].values["phone"]) == "138 0013 8000"
    assert table.rows[1].values["phone"] is None


def test_csv_id_numbers_in_scientific_notation_are_reported():
    content = "姓名,身份证号\n张三,4.20107E+17\n".encode("gb18030")
    value = read_table(content, "roster.csv", COLUMNS).rows[0].values["id_number"]
    text, error = parse_id_cell(value)
    assert text == "4.20107E+17"
    assert error is not None


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 4,  # binary
        b"\x00\x01\x02\x03" * 10,
        one_sheet([HEADER, ["张三", ID_A]]),  # an .xlsx renamed to .csv
    ],
)
def test_a_binary_file_named_csv_is_a_table_error(content):
    assert read_error(content, "roster.csv")


def test_csv_without_a_header_is_a_table_error():
    assert "姓名" in read_error(b"a,b,c\n1,2,3\n", "roster.csv")


def test_csv_max_rows():
    content = ("姓名,身份证号\n" + "张三,42010719800101001X\n" * 3).encode()
    assert read_error(content, "roster.csv", max_rows=2)


# ---------------------------------------------------------------------------------------------
# Cells


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("姓名", "姓名"),
        ("  姓 名 ", "姓名"),
        ("党员\n姓名", "党员姓名"),
        ("姓\r\n名\t", "姓名"),
        ("姓\u3000名", "姓名"),
        ("*姓名", "姓名"),
        ("＊姓名", "姓名"),
        ("姓名*", "姓名"),
        ("** 姓名 **", "姓名"),
        ("出生日期(yyyy-mm-dd)", "出生日期"),
        ("出生日期（YYYY-MM-DD）", "出生日期"),
        ("入党日期（必填）", "入党日期"),
        ("*入党日期\n(必填)", "入党日期"),
        ("联系电话[手机]", "联系电话"),
        ("联系电话【手机或座机】", "联系电话"),
        ("联系电话【】", "联系电话"),
        ("出生日期(yyyy-mm-dd", "出生日期"),  # an unclosed note
        ("ＩＤ　Ｎｕｍｂｅｒ", "idnumber"),
        ("E-Mail", "e-mail"),
        ("\u200b姓名\ufeff", "姓名"),
        ("", ""),
    ],
)
def test_normalize_header(text, expected):
    assert normalize_header(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        (0, "0"),
        (13800138000, "13800138000"),
        (3.0, "3"),
        (13800138000.0, "13800138000"),
        (2.5, "2.5"),
        (True, "TRUE"),
        (dt.date(2019, 7, 1), "2019-07-01"),
        (dt.datetime(2019, 7, 1, 8, 30), "2019-07-01 08:30:00"),
        ("  张三  ", "张三"),
        ("张\u3000三", "张 三"),
        ("张\xa0\xa0三", "张 三"),
        ("武汉市\r\n青山区\t红钢城", "武汉市 青山区 红钢城"),
        ("\u200b张\u200c三\u200d\ufeff", "张三"),
        ("１３８００１３８０００", "13800138000"),
        ("ＡＢＣ（汉族）", "ABC(汉族)"),
    ],
)
def test_clean_text(value, expected):
    assert clean_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("   ", ""),
        (ID_A, ID_A),
        ("42010719800101001x", ID_A),
        (" 420107 19800101 001X ", ID_A),
        ("４２０１０７１９８００１０１００１ｘ", ID_A),
        ("\u200b42010719800101001X\n", ID_A),
        ("'420107198502020026", "420107198502020026"),
        ("x2010", "x2010"),  # only a trailing x is the check digit
    ],
)
def test_parse_id_cell_text(value, expected):
    assert parse_id_cell(value) == (expected, None)


@pytest.mark.parametrize(
    ("value", "digits"),
    [
        (420107198502020026, "420107198502020026"),
        (420107198502020000, "420107198502020000"),
        (4.2010719850202e17, "420107198502020000"),  # what Excel shows: 15 digits, then zeros
        (4.20107198502020026e17, "420107198502020000"),
        (110101199003077777.0, "110101199003078000"),
        (12345, "12345"),
        ("4.20107E+17", "4.20107E+17"),
        ("4.20107198502020e+17", "4.20107198502020e+17"),
    ],
)
def test_parse_id_cell_reports_numbers(value, digits):
    with override("en"):
        text, error = parse_id_cell(value)
    assert text == digits
    assert error is not None
    assert "number" in error
    assert "text" in error  # says what to do


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2019, 7, 1), dt.date(2019, 7, 1)),
        (dt.datetime(2019, 7, 1, 23, 59), dt.date(2019, 7, 1)),
        (43647, dt.date(2019, 7, 1)),
        (43647.75, dt.date(2019, 7, 1)),  # a date with a time of day
        (1, dt.date(1900, 1, 1)),
        (61, dt.date(1900, 3, 1)),
        (2958465, dt.date(9999, 12, 31)),
        (20190701, dt.date(2019, 7, 1)),
        (20190701.0, dt.date(2019, 7, 1)),
        ("43647", dt.date(2019, 7, 1)),
        ("2019-07-01", dt.date(2019, 7, 1)),
        ("2019-7-1", dt.date(2019, 7, 1)),
        ("2019/7/1", dt.date(2019, 7, 1)),
        ("2019/07/01", dt.date(2019, 7, 1)),
        ("2019.07.01", dt.date(2019, 7, 1)),
        ("2019.7.1", dt.date(2019, 7, 1)),
        ("2019年7月1日", dt.date(2019, 7, 1)),
        ("2019年07月01日", dt.date(2019, 7, 1)),
        ("2019 年 7 月 1 日", dt.date(2019, 7, 1)),
        ("20190701", dt.date(2019, 7, 1)),
        ("2019-07-01 00:00:00", dt.date(2019, 7, 1)),
        ("2019/7/1 8:30", dt.date(2019, 7, 1)),
        ("2019-07-01T08:30:00", dt.date(2019, 7, 1)),
        ("２０１９－０７－０１", dt.date(2019, 7, 1)),
        ("２０１９年７月１日", dt.date(2019, 7, 1)),
        ("  2019-07-01\n", dt.date(2019, 7, 1)),
        ("2000-02-29", dt.date(2000, 2, 29)),
    ],
)
def test_parse_date_cell_accepts(value, expected):
    assert parse_date_cell(value) == (expected, None)


@pytest.mark.parametrize("value", [None, "", "  ", "\u3000"])
def test_parse_date_cell_empty(value):
    assert parse_date_cell(value) == (None, None)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("2019-02-30", "real"),
        ("2019年13月1日", "real"),
        ("1900-02-29", "real"),
        ("20190230", "real"),
        (20191301, "real"),
        ("2019-07", "day"),
        ("2019/7", "day"),
        ("2019.07", "day"),
        ("2019年7月", "day"),
        ("2019年", "day"),
        ("2019", "day"),
        (2019, "day"),
        (201907, "day"),
        (1985.1, "day"),  # "1985.10" typed into a general cell
        (2019.07, "day"),
        ("201907", "day"),
        ("7/1/2019", "format"),
        ("19-7-1", "format"),
        ("二〇一九年七月一日", "format"),
        ("不详", "format"),
        ("2019-07-01 至今", "format"),
        (0, "format"),
        (-5, "format"),
        (2958466, "format"),
        (float("nan"), "format"),
        (True, "format"),
        (dt.time(8, 30), "format"),
    ],
)
def test_parse_date_cell_errors_say_what_to_do(value, kind):
    with override("en"):
        day, error = parse_date_cell(value)
    assert day is None
    assert error is not None
    assert {"real": "not a real date", "day": "no day", "format": "2019-07-01"}[kind] in error
    if isinstance(value, str) and value.strip():
        assert clean_text(value) in error  # the message quotes what the user wrote


def test_messages_are_translatable_sentences():
    with override("zh-hans"):
        day, error = parse_date_cell("2019-02-30")
    assert day is None
    assert error
    assert "2019-02-30" in error
