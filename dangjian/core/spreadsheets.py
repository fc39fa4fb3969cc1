"""Writing .xlsx files (exports, templates) the same way everywhere: a bold header row, one
row per record, streamed (openpyxl's write-only mode keeps memory flat for 60,000 rows)."""

import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


def build_xlsx(
    sheet_title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    on_row: Callable[[int], None] | None = None,
    widths: Sequence[int] | None = None,
) -> tuple[bytes, int]:
    """An .xlsx file with one sheet, and the number of rows written; ``on_row(n)`` is called
    after the n-th row (progress)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    if widths:
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for title in headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    done = 0
    for done, row in enumerate(rows, start=1):
        sheet.append(list(row))
        if on_row is not None:
            on_row(done)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), done
