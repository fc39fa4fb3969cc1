"""Reading the rosters users upload (.xlsx or .csv) into plain rows: pure, no database.

Spreadsheets from community offices are messy; this module copes with:

- a merged title row, blank rows or a "填表单位：…  填表日期：…" line above the header: the header is
  the first of the first 20 rows in which at least two cells name known columns;
- an instructions sheet before the data sheet (the first sheet with a header row is read, visible
  sheets before hidden ones) and wrong sheet dimensions written by other programs;
- header spellings: full-width characters, line breaks, "*" required markers, notes in brackets
  such as "出生日期(yyyy-mm-dd)", aliases, and unambiguous partial matches ("党员姓名" → 姓名);
- CSV in UTF-8 (with or without BOM), GB18030/GBK or UTF-16, separated by commas, tabs or semicolons;
- blank spacer and trailing rows (dropped; the others keep the row number the user sees in Excel);
- ID numbers that Excel turned into numbers (reported, never repaired) and dates as date cells,
  Excel serial numbers, yyyymmdd numbers or text in the usual Chinese formats.

and refuses files made to exhaust the worker that reads them (a 400 KB .xlsx can unpack to
gigabytes, declare millions of empty rows or hold one 300 MB cell): the archive's parts are
checked before openpyxl parses anything (total unpacked size, compression ratio, number of parts),
a CSV file's size before it is decoded, and while rows are read, the number of rows (blank ones
included), the columns (the first MAX_COLUMNS) and the length of the cells that are read.

A file that cannot be read raises TableError with a message for the user. Cell values are returned
raw; callers clean each column with clean_text, parse_id_cell or parse_date_cell.
"""

import codecs
import csv
import datetime as dt
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook

HEADER_SEARCH_ROWS = 20
HEADER_MIN_MATCHES = 2
CSV_DELIMITERS = (",", "\t", ";")
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
LIST_SEPARATOR = "、"

# Limits against hostile files. A real roster of 20,000 rows unpacks to about 20 MB (as openpyxl
# writes it; Excel writes less), compressed about 15 times; its cells are short.
MAX_UNPACKED_MB = 50  # all parts of an .xlsx, unpacked
MAX_RATIO = 100  # unpacked ÷ packed size of one part (for parts above RATIO_FROM_BYTES)
RATIO_FROM_BYTES = 1024 * 1024
MAX_PARTS = 1_000  # files inside an .xlsx
MAX_CSV_MB = 20  # a CSV file; its decoded text has at most as many characters as it has bytes
MAX_CELL_CHARS = 2_000
MAX_COLUMNS = 200  # columns read (openpyxl pads every row to its last cell: XFD is the 16,384th)
ROW_MARGIN = 5_000  # rows read beyond max_rows (blank, spacer and header rows), then refused

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_WHITESPACE = re.compile(r"\s+")
_BRACKET_NOTE = re.compile(r"\([^)]*\)?|\[[^\]]*\]?|【[^】]*】?")  # an unclosed note runs to the end
_SCIENTIFIC = re.compile(r"\d+(\.\d+)?E\+?\d+", re.IGNORECASE)
_DIGITS = re.compile(r"[0-9]+")
_TIME = r"(?:\s*T?\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_FULL_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME)
_YEAR_MONTH = re.compile(r"\d{4}\s*(?:[-/.年]\s*\d{1,2}\s*月?|年)?")


@dataclass(frozen=True)
class Column:
    key: str  # canonical key, e.g. "id_number"
    label: str  # header as written in our template, e.g. "公民身份号码"
    aliases: tuple[str, ...] = ()  # other header spellings users write
    required: bool = False  # the header must be present (not: every cell non-empty)


@dataclass
class Row:
    number: int  # the row number the user sees in Excel (for CSV the 1-based record number)
    values: dict[str, Any]  # column key -> raw cell value, only for recognised columns


@dataclass
class Table:
    header_row: int  # 1-based row number of the header
    columns: dict[str, str]  # key -> the header text as found in the file (for messages)
    rows: list[Row]  # data rows below the header, without the empty ones
    unknown_headers: list[str]  # non-empty header cells that matched no column (a warning)


class TableError(Exception):
    """The file cannot be imported; the message is a sentence for the user."""


# ---------------------------------------------------------------------------------------------
# Cell cleaning


def clean_text(value: Any) -> str:
    """A cell as one tidy line of text: None → "", 3.0 → "3", half-width, single spaces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel shows it
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).translate(_ZERO_WIDTH)
    return _WHITESPACE.sub(" ", text).strip()  # NFKC has turned no-break and full-width spaces into spaces


def normalize_header(text: str) -> str:
    """The comparable form of a header: "＊出生日期\\n（yyyy-mm-dd）" → "出生日期"."""
    text = unicodedata.normalize("NFKC", str(text)).translate(_ZERO_WIDTH)
    text = _BRACKET_NOTE.sub("", _WHITESPACE.sub("", text))
    return text.strip("*").casefold()


def parse_id_cell(value: Any) -> tuple[str, str | None]:
    """An ID number cell as text, with an error when Excel has stored it as a number.

    The check digit is not validated here.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_digits(value), _id_number_message()
    text = _WHITESPACE.sub("", clean_text(value)).lstrip("'")  # ' is Excel's "this is text" prefix
    if _SCIENTIFIC.fullmatch(text):  # a CSV saved from a number cell: 1.10101E+17
        return text, _id_number_message()
    if text.endswith("x"):
        text = text[:-1] + "X"
    return text, None


def _excel_digits(number: float) -> str:
    """A number as Excel shows it in the "0" format: 15 significant digits, then zeros."""
    if isinstance(number, float) and number.is_integer():
        return str(int(Decimal(f"{number:.15g}")))
    return clean_text(number)


def _id_number_message() -> str:
    return _(
        "The ID number was stored as a number, so Excel has lost its last digits (it keeps 15). "
        "Format the column as text and type the number again."
    )


def parse_date_cell(value: Any) -> tuple[dt.date | None, str | None]:
    """A date cell as a date, or an error saying how to write it."""
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _date_from_number(value, clean_text(value))
    text = clean_text(value)
    if not text:
        return None, None
    if _DIGITS.fullmatch(text):  # from a CSV: a serial number or yyyymmdd
        return _date_from_number(int(text), text)
    if match := _FULL_DATE.fullmatch(text):
        year, month, day = match.group(1, 2, 3)
        return _make_date(int(year), int(month), int(day), text)
    if _YEAR_MONTH.fullmatch(text):
        return None, _no_day_message(text)
    return None, _not_a_date_message(text)


def _date_from_number(number: float, text: str) -> tuple[dt.date | None, str | None]:
    if not 1 <= number <= 99991231:  # also NaN
        return None, _not_a_date_message(text)
    whole = int(number)
    if 1900 <= whole <= 2100:  # a year, or a year.month (1985.10) Excel made a number; as a serial: 1905
        return None, _no_day_message(text)
    if whole == number and whole >= 19000101:
        return _make_date(whole // 10000, whole // 100 % 100, whole % 100, text)
    if whole == number and 190001 <= whole <= 210012 and 1 <= whole % 100 <= 12:  # yyyymm
        return None, _no_day_message(text)
    if number <= EXCEL_MAX_SERIAL:
        days = int(number)  # a fraction is the time of day
        if days < 60:  # Excel counts a 29 February 1900 that never was
            days += 1
        return EXCEL_EPOCH + dt.timedelta(days=days), None
    return None, _not_a_date_message(text)


def _make_date(year: int, month: int, day: int, text: str) -> tuple[dt.date | None, str | None]:
    try:
        return dt.date(year, month, day), None
    except ValueError:
        return None, _("“%(value)s” is not a real date; check the month and day.") % {"value": text}


def _no_day_message(text: str) -> str:
    return _("“%(value)s” has no day; enter the full date, for example 2019-07-01.") % {"value": text}


def _not_a_date_message(text: str) -> str:
    return _("“%(value)s” is not a date; write it like 2019-07-01 (2019/7/1 or 2019年7月1日 also work).") % {
        "value": text
    }


# ---------------------------------------------------------------------------------------------
# Headers


class _HeaderMatcher:
    """Finds the column a header cell names: exactly, or else by one unambiguous containment."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.names = [
            (column.key, {name for name in map(normalize_header, (column.label, *column.aliases)) if name})
            for column in columns
        ]

    def key_for(self, text: str) -> str | None:
        header = normalize_header(text)
        if not header:
            return None
        exact = {key for key, names in self.names if header in names}
        if exact:
            return exact.pop() if len(exact) == 1 else None
        if ":" in header.rstrip(":") or len(header) < 2:  # "填表单位：…" is a filled-in field, not a header
            return None
        partial = {key for key, names in self.names if any(_overlaps(header, name) for name in names)}
        return partial.pop() if len(partial) == 1 else None


def _overlaps(header: str, name: str) -> bool:
    return len(name) >= 2 and (name in header or header in name)


def _header_text(cell: Any) -> str:
    """A header cell as written, on one line (for messages)."""
    if not isinstance(cell, str):
        return clean_text(cell)
    return _WHITESPACE.sub(" ", cell.translate(_ZERO_WIDTH)).strip()


@dataclass
class _Header:
    positions: dict[str, int]  # key -> cell index
    columns: dict[str, str]  # key -> header text
    unknown: list[str]


def _read_header(cells: Sequence[Any], matcher: _HeaderMatcher) -> _Header:
    header = _Header(positions={}, columns={}, unknown=[])
    for index, cell in enumerate(cells):
        text = _header_text(cell)
        if not text:
            continue
        key = matcher.key_for(text)
        if key is None or key in header.positions:  # a second column for the same key is ignored
            header.unknown.append(text)
        else:
            header.positions[key] = index
            header.columns[key] = text
    return header


def _check_required(header: _Header, columns: Sequence[Column]) -> None:
    missing = [column.label for column in columns if column.required and column.key not in header.positions]
    if missing:
        raise TableError(
            _("The header row is missing %(headers)s; use the headers of the import template.")
            % {"headers": LIST_SEPARATOR.join(missing)}
        )


# ---------------------------------------------------------------------------------------------
# Rows


def _find_header(
    numbered: Iterator[tuple[int, Sequence[Any]]], columns: Sequence[Column]
) -> tuple[int, _Header] | None:
    """The first row among the next few that names enough known columns; the rows are consumed up to it."""
    matcher = _HeaderMatcher(columns)
    needed = max(1, min(HEADER_MIN_MATCHES, len(columns)))
    for number, cells in itertools.islice(numbered, HEADER_SEARCH_ROWS):
        _check_cells(number, cells)
        header = _read_header(cells, matcher)
        if len(header.positions) >= needed:
            return number, header
    return None


def _table_from_rows(rows: Iterable[Sequence[Any]], columns: Sequence[Column], max_rows: int) -> Table | None:
    """The table in rows (the first is row 1), or None when no header is in the first rows."""
    numbered = enumerate(rows, start=1)
    found = _find_header(numbered, columns)
    if found is None:
        return None
    header_number, header = found
    _check_required(header, columns)
    data: list[Row] = []
    last_row = max_rows + ROW_MARGIN
    for number, cells in numbered:
        if number > last_row:  # millions of empty rows cost as much to read as full ones
            raise TableError(
                _(
                    "The sheet has more than %(count)s rows, blank rows included; delete the empty rows below "
                    "the table (or copy the table into a new sheet) and upload the file again."
                )
                % {"count": last_row}
            )
        values = {key: cells[index] if index < len(cells) else None for key, index in header.positions.items()}
        _check_cells(number, values.values())
        if not any(clean_text(value) for value in values.values()):
            continue
        if len(data) >= max_rows:
            raise TableError(
                _("The file has more than %(count)s rows; split it into smaller files and import them one by one.")
                % {"count": max_rows}
            )
        data.append(Row(number=number, values=values))
    return Table(header_row=header_number, columns=header.columns, rows=data, unknown_headers=header.unknown)


def _check_cells(number: int, cells: Iterable[Any]) -> None:
    """Refuse a row with a cell longer than any field needs (the header rows: every cell; data
    rows: the cells of known columns, the only ones read further)."""
    for value in cells:
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise _long_cell_error(number)


def _long_cell_error(number: int) -> TableError:
    return TableError(
        _(
            "A cell in row %(row)s has more than %(count)s characters, more than any field needs; shorten it "
            "and upload the file again."
        )
        % {"row": number, "count": MAX_CELL_CHARS}
    )


def _no_header_error(columns: Sequence[Column]) -> TableError:
    return TableError(
        _("No header row was found in the first %(count)s rows; the file needs a header row such as %(headers)s.")
        % {"count": HEADER_SEARCH_ROWS, "headers": LIST_SEPARATOR.join(column.label for column in columns)}
    )


# ---------------------------------------------------------------------------------------------
# Files


def read_table(content: bytes, filename: str, columns: Sequence[Column], *, max_rows: int = 100_000) -> Table:
    """The first table found in an uploaded .xlsx or .csv file; raises TableError for the user."""
    extension = PurePath(filename).suffix.casefold()
    if extension == ".xlsx":
        return _read_xlsx(content, columns, max_rows)
    if extension == ".csv":
        return _read_csv(content, columns, max_rows)
    raise TableError(
        _("Only .xlsx and .csv files can be imported; open the file in Excel and save it as .xlsx or .csv.")
    )


def _unreadable_xlsx() -> TableError:
    return TableError(
        _(
            "The file could not be read as an .xlsx workbook (it may be an old .xls file renamed, damaged or "
            "password-protected); open it in Excel, save it as .xlsx and upload it again."
        )
    )


def _check_archive(content: bytes) -> None:
    """Refuse an .xlsx whose parts would cost too much to unpack, before anything is parsed. The
    sizes are those the archive declares: Python's zipfile never unpacks more than that."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as error:
        raise _unreadable_xlsx() from error
    if (
        len(parts) > MAX_PARTS
        or sum(part.file_size for part in parts) > MAX_UNPACKED_MB * 1024 * 1024
        or any(
            part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * max(part.compress_size, 1)
            for part in parts
        )
    ):
        raise TableError(
            _(
                "This workbook cannot be read safely: it unpacks to more than %(size)s MB, is compressed far "
                "more than a real workbook, or has too many parts. Copy the table into a new workbook, save "
                "it as .xlsx and upload it again."
            )
            % {"size": MAX_UNPACKED_MB}
        )


def _read_xlsx(content: bytes, columns: Sequence[Column], max_rows: int) -> Table:
    _check_archive(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zip, XML, key and value errors for broken files
        raise _unreadable_xlsx() from error
    try:
        sheets = sorted(workbook.worksheets, key=lambda sheet: sheet.sheet_state != "visible")
        for sheet in sheets:
            table = _table_from_rows(_sheet_rows(sheet), columns, max_rows)
            if table is not None:
                return table
    finally:
        workbook.close()
    raise _no_header_error(columns)


def _sheet_rows(sheet: Any) -> Iterator[Sequence[Any]]:
    """The rows of a read-only sheet from row 1, with openpyxl's errors turned into a TableError."""
    try:
        sheet.reset_dimensions()  # some programs write wrong dimensions, which would cut rows short
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    except Exception as error:
        raise _unreadable_xlsx() from error
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as error:
            raise _unreadable_xlsx() from error
        yield row


def _read_csv(content: bytes, columns: Sequence[Column], max_rows: int) -> Table:
    if len(content) > MAX_CSV_MB * 1024 * 1024:
        raise TableError(
            _("The CSV file is larger than %(size)s MB; split it into smaller files and upload them one by one.")
            % {"size": MAX_CSV_MB}
        )
    text = _decode_csv(content)
    for delimiter in CSV_DELIMITERS:  # a wrong delimiter leaves one cell a row, which is never a header
        table = _table_from_rows(_csv_rows(text, delimiter), columns, max_rows)
        if table is not None:
            return table
    raise _no_header_error(columns)


def _csv_rows(text: str, delimiter: str) -> Iterator[Sequence[Any]]:
    """The records of a CSV text, with the csv module's errors turned into a TableError."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):  # the csv module's own limit, far above ours
                raise _long_cell_error(number + 1) from error
            raise _unreadable_csv() from error
        number += 1
        yield row


def _decode_csv(content: bytes) -> str:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")  # GB18030 covers GBK, what Chinese Excel writes
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:  # a binary file
            return text
    raise _unreadable_csv()


def _unreadable_csv() -> TableError:
    return TableError(
        _("The CSV file could not be read; open it in Excel, save it as .xlsx or “CSV UTF-8” and upload it again.")
    )
