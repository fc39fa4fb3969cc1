"""The .xlsx writer of exports: what it writes reads back the same with openpyxl."""

import datetime as dt
import io
import warnings
import zipfile
from decimal import Decimal

from django.utils import timezone
from openpyxl import load_workbook

from dangjian.core.spreadsheets import _column, build_xlsx


def _read(content: bytes, read_only: bool = False):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "Workbook contains no default style"
        return load_workbook(io.BytesIO(content), read_only=read_only).worksheets[0]


def test_values_read_back_with_their_types():
    aware = timezone.make_aware(dt.datetime(2026, 3, 4, 9, 30))
    rows = [
        ["张三", 81, Decimal("81.50"), 0.25, True, dt.date(2019, 7, 1), aware, None, ""],
        [
            '<script>alert("x")</script> & 党',
            -3,
            Decimal("0"),
            1e-3,
            False,
            dt.date(1900, 3, 1),
            None,
            "末尾",
            "\t换行\n",
        ],
    ]
    progress = []
    content, count = build_xlsx("党费 2026/10:明细", ["姓名", "数"], rows, on_row=progress.append, widths=[12, 8])
    assert count == 2 and progress == [1, 2]
    sheet = _read(content)
    assert sheet.title == "党费 2026 10 明细"  # characters a sheet name may not hold are replaced
    assert [c.value for c in sheet[1]][:2] == ["姓名", "数"] and sheet["A1"].font.b and not sheet["A2"].font.b
    first = [c.value for c in sheet[2]]
    assert first[:5] == ["张三", 81, 81.5, 0.25, True]
    assert first[5] == dt.datetime(2019, 7, 1) and sheet["F2"].number_format == "yyyy\\-mm\\-dd"
    assert first[6] == dt.datetime(2026, 3, 4, 9, 30)  # local time, as on the pages
    assert first[7:] == [None, None]
    second = [c.value for c in sheet[3]]
    assert second[0] == '<script>alert("x")</script> & 党'  # text stays text
    assert second[5] == dt.datetime(1900, 3, 1) and second[8] == "'\t换行\n"  # a tab starts a formula in CSV
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["A"].width == 12


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_neutralised():
    hostile = ['=HYPERLINK("http://evil","点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1"]
    content, _count = build_xlsx("x", ["a"], [[text, -2, "张三 =1"] for text in hostile])
    sheet = _read(content)
    for row, text in enumerate(hostile, start=2):
        cell = sheet.cell(row=row, column=1)
        assert cell.data_type == "s" and cell.value == "'" + text
        assert sheet.cell(row=row, column=2).value == -2  # numbers stay numbers
        assert sheet.cell(row=row, column=3).value == "张三 =1"  # only a leading sign matters


def test_control_characters_are_dropped_and_rows_are_padded_for_readers():
    content, _count = build_xlsx("x", ["a", "b", "c"], [["bad\x01\x0bchar"], [1, 2, 3, 4]])
    sheet = _read(content, read_only=True)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("badchar", None, None, None)  # padded to the widest row (the dimension)
    assert rows[2] == (1, 2, 3, 4)


def test_an_empty_export_is_a_valid_file_with_its_header():
    content, count = build_xlsx("空", ["姓名"], [])
    assert count == 0
    assert [c.value for c in _read(content)[1]] == ["姓名"]
    assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None


def test_column_letters():
    assert [_column(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]
