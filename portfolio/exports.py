"""The one writer for every CSV and Excel file the product hands out.

Anything a user typed (titles, names, indicator codes, reasons) may end up in a spreadsheet that
someone else opens. A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return would be taken as a formula there (CSV injection), so every text cell is neutralised with a
leading apostrophe, as OWASP recommends, and .xlsx text cells are always written as strings, never
as formulas. Numbers, dates and empty cells are written as they are, so figures stay figures.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"
# Control characters an .xlsx file cannot hold (the XML would be broken); tab, LF and CR can stay.
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MIN_WIDTH, _MAX_WIDTH = 8, 60

Row = Sequence[Any]


def neutralise(value: Any) -> Any:
    """The cell as it may be written: text that a spreadsheet would read as a formula gets a leading
    apostrophe; numbers, dates, booleans and ``None`` are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return NEUTRALISER + value
    return value


def unneutralise(value: Any) -> Any:
    """Undo ``neutralise``: a file the product wrote reads back as the text that went in."""
    if isinstance(value, str) and value.startswith(NEUTRALISER) and value[1:2] and value[1:].startswith(
            FORMULA_PREFIXES):
        return value[1:]
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (bool, int, float, Decimal)):
        return value
    return neutralise(str(value))


def csv_text(rows: Iterable[Row], *, delimiter: str = ",", lineterminator: str = "\r\n") -> str:
    """Rows as CSV text (the first row is normally the header); every text cell neutralised."""
    output, line = io.StringIO(), io.StringIO()
    # The csv module quotes a cell only for the characters of its own line terminator: written with
    # CR LF, a cell holding either is always quoted; the requested terminator replaces it afterwards.
    writer = csv.writer(line, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        line.seek(0)
        line.truncate()
        writer.writerow([_csv_cell(value) for value in row])
        output.write(line.getvalue()[:-2] + lineterminator)
    return output.getvalue()


def csv_bytes(rows: Iterable[Row], *, delimiter: str = ",", bom: bool = False) -> bytes:
    """``csv_text`` as UTF-8; with ``bom`` a byte-order mark first, which Excel needs to read å, ä, ö and ø."""
    return csv_text(rows, delimiter=delimiter).encode("utf-8-sig" if bom else "utf-8")


def _xlsx_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        # Excel has no time zones: store the moment in UTC.
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, (date, time)):
        return value
    return neutralise(_ILLEGAL_XLSX.sub("\ufffd", str(value)))


def _width(value: Any) -> int:
    if value is None:
        return 0
    text = value.isoformat() if isinstance(value, (date, time)) else str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def xlsx_bytes(sheets: Mapping[str, Iterable[Row]],
               number_formats: Mapping[str, Mapping[int, str]] | None = None) -> bytes:
    """An Excel workbook with one sheet per entry (name → rows, the first row the header).

    Text cells are strings, never formulas; numbers and dates keep their type. The header row is
    frozen and each column is as wide as its longest value (within limits). ``number_formats`` gives,
    per sheet, an Excel number format for the numbers of a column (by index, e.g. ``{2: "0%"}``).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(title=name)
        values = [[_xlsx_value(value) for value in row] for row in rows]
        widths: dict[int, int] = {}
        for row in values:
            for index, value in enumerate(row):
                widths[index] = max(widths.get(index, 0), _width(value))
        for index, width in widths.items():
            sheet.column_dimensions[get_column_letter(index + 1)].width = min(
                max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
        sheet.freeze_panes = "A2"
        formats = (number_formats or {}).get(name, {})
        for number, row in enumerate(values):
            cells = []
            for index, value in enumerate(row):
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # a string cell, even when the text looks like a formula
                elif number and index in formats and isinstance(value, (int, float, Decimal)):
                    cell.number_format = formats[index]
                if number == 0:
                    cell.font = bold
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
