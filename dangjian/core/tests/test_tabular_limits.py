"""Hostile files cannot exhaust the worker: a small .xlsx that unpacks to hundreds of megabytes,
declares millions of rows or holds one enormous cell, and CSV files alike, are refused with a
sentence for the user — the archive before openpyxl parses anything, the rows and cells while they
are read — in a fraction of a second."""

import io
import time
import zipfile
from collections.abc import Callable, Iterable

import pytest

from dangjian.core import tabular
from dangjian.core.tabular import read_table
from dangjian.core.tests.test_tabular import COLUMNS, HEADER, ID_A, one_sheet, read_error

MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"


def rewritten(base: bytes, parts: dict[str, Callable[[], Iterable[bytes]]]) -> bytes:
    """``base`` (a real workbook) with some parts replaced by streamed content (or added)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            if entry.filename not in parts:
                target.writestr(entry, source.read(entry))
        for name, chunks in parts.items():
            with target.open(name, "w", force_zip64=True) as handle:
                for chunk in chunks():
                    handle.write(chunk)
    return buffer.getvalue()


def sheet_xml(rows: Callable[[], Iterable[bytes]], dimension: str = "A1:F2") -> Callable[[], Iterable[bytes]]:
    def chunks() -> Iterable[bytes]:
        yield (
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<dimension ref="' + dimension.encode() + b'"/><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe5\xa7\x93\xe5\x90\x8d</t></is></c>'  # 姓名
            b'<c r="B1" t="inlineStr"><is><t>\xe5\x85\xac\xe6\xb0\x91\xe8\xba\xab\xe4\xbb\xbd\xe5\x8f\xb7\xe7\xa0\x81</t></is></c></row>'  # 公民身份号码
        )
        yield from rows()
        yield b"</sheetData></worksheet>"

    return chunks


@pytest.fixture
def never_parsed(monkeypatch):
    """Fails the test if openpyxl was asked to open the workbook."""
    opened = []
    monkeypatch.setattr(tabular, "load_workbook", lambda *args, **kwargs: opened.append(args))
    yield
    assert not opened, "the workbook was parsed"


def quickly_refused(content: bytes, filename: str = "roster.xlsx", **kwargs) -> str:
    started = time.monotonic()
    message = read_error(content, filename, **kwargs)
    assert time.monotonic() - started < 5
    return message


@pytest.fixture
def rows_read(monkeypatch):
    """The rows openpyxl handed over, counted as the reader takes them."""
    counted = [0]
    sheet_rows = tabular._sheet_rows

    def counting(sheet):
        for row in sheet_rows(sheet):
            counted[0] += 1
            yield row

    monkeypatch.setattr(tabular, "_sheet_rows", counting)
    return counted


def test_a_workbook_that_unpacks_to_more_than_50_mb_is_refused_before_parsing(never_parsed):
    """One shared string of 51 MB (the 300 MB cell of the issue, smaller to build quickly): 60 KB packed."""
    strings = lambda: (b"a" * MB for _n in range(51))  # noqa: E731
    content = rewritten(one_sheet([HEADER, ["张三", ID_A]]), {"xl/sharedStrings.xml": strings})
    assert len(content) < 100_000
    assert "50 MB" in quickly_refused(content)


def test_a_part_compressed_like_a_zip_bomb_is_refused_before_parsing(never_parsed):
    strings = lambda: (b"a" * MB for _n in range(5))  # noqa: E731  # 5 MB, well under the total limit
    content = rewritten(one_sheet([HEADER, ["张三", ID_A]]), {"xl/sharedStrings.xml": strings})
    assert "50 MB" in quickly_refused(content)


def test_a_workbook_of_thousands_of_parts_is_refused_before_parsing(never_parsed):
    parts = {f"xl/media/image{n}.png": (lambda: [b""]) for n in range(1_100)}
    assert "50 MB" in quickly_refused(rewritten(one_sheet([HEADER]), parts))


def test_millions_of_empty_rows_stop_the_reading_at_the_limit(rows_read):
    """Empty rows written out one by one (100,000 here), and a jump to row 20,000,000 that openpyxl
    fills with empty rows (20 million rows from a file of a few kilobytes), under a dimension of the
    whole sheet: reading stops after max_rows and a margin."""
    written = sheet_xml(lambda: (f'<row r="{n}"/>'.encode() for n in range(2, 100_002)), "A1:XFD1048576")
    gap = sheet_xml(lambda: [b'<row r="20000000"><c r="A20000000" t="inlineStr"><is><t>x</t></is></c></row>'])
    for part, max_rows in ((written, 2_000), (gap, 20_000)):  # parsing <row>s costs more than gap rows
        content = rewritten(one_sheet([HEADER]), {SHEET: part})
        rows_read[0] = 0
        message = quickly_refused(content, max_rows=max_rows)
        assert f"more than {max_rows + tabular.ROW_MARGIN} rows, blank rows included" in message
        assert rows_read[0] == max_rows + tabular.ROW_MARGIN + 1  # the header row included, not one more


def test_a_few_blank_rows_beyond_max_rows_are_still_read():
    rows = [HEADER, ["张三", ID_A], *([[]] * 30), ["李四", "420107198502020026"]]
    table = read_table(one_sheet(rows), "roster.xlsx", COLUMNS, max_rows=2)
    assert [row.number for row in table.rows] == [2, 33]


def test_a_cell_longer_than_2000_characters_is_refused_with_its_row():
    assert "row 3" in quickly_refused(one_sheet([HEADER, ["张三", ID_A], ["李四", "x" * 2_001]]))
    assert "row 1" in quickly_refused(one_sheet([["说明" * 1_001], HEADER]))  # above the header too
    assert len(read_table(one_sheet([HEADER, ["张三", ID_A, "", "", "", "y" * 2_000]]), "r.xlsx", COLUMNS).rows) == 1


def test_a_long_cell_in_a_csv_is_refused_with_its_row():
    short = "姓名,公民身份号码\n张三,{}\n".format("x" * 2_001).encode()
    assert "row 2" in quickly_refused(short, "roster.csv")
    huge = "姓名,公民身份号码\n张三,{}\n".format("x" * 300_000).encode()  # beyond csv's own field limit
    assert "row 2" in quickly_refused(huge, "roster.csv")


def test_a_csv_larger_than_20_mb_is_refused_before_decoding():
    content = "姓名,公民身份号码\n".encode() + b"\xe5\xbc\xa0\xe4\xb8\x89," + b"1" * (20 * MB)
    assert "20 MB" in quickly_refused(content, "roster.csv")


def test_a_csv_of_empty_lines_stops_at_the_limit():
    content = "姓名,公民身份号码\n".encode() + b"\n" * 2_000_000
    assert "blank rows included" in quickly_refused(content, "roster.csv", max_rows=20_000)
