"""Measurement files: reading CSV and Excel (.xlsx) imports into rows, and writing import templates.

Reading is defensive because a file decides figures that steering groups act on: a row that does
not fit the header (an unquoted decimal comma in a comma-separated file) is refused rather than
read with its cells shifted, and anything that is not a measurement file (a corrupt workbook, a
binary file, a runaway quotation mark) is refused with one clear sentence, never a traceback.
Validation of the cells themselves is in ``portfolio.measurements``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

from sqlmodel import Session, col, select

from db.models import Benefit, Indicator
from portfolio import benefits_math
from portfolio.errors import FieldProblem, ValidationError
from portfolio.exports import NEUTRALISER, csv_bytes, unneutralise, xlsx_bytes
from portfolio.i18n import N_, Message
from workflows.vocabulary import Frequency

COLUMNS = ("indicator", "period", "org_unit", "value")
COLUMN_HELP = {
    "indicator": "The indicator's code, e.g. WAIT-DAYS.",
    "period": "The period: " + ", ".join(f"{f.period_format} ({f.value})" for f in Frequency) + ".",
    "org_unit": "The org unit's code or exact name; empty for the whole initiative.",
    "value": "A number; a decimal comma or point both work.",
}

# Limits far above any real measurement file (100,000 rows are about 3 MB), low enough that a
# wrong or hostile file is refused before it fills the server's memory.
MAX_FILE_MB = 50
MAX_UNPACKED_MB = 200  # the inside of an .xlsx (a zip): guards against a compression bomb
MAX_ROWS = 500_000
MAX_CELL_CHARS = 1_000

EXCEL = "Excel .xlsx"
_DELIMITERS = (";", ",", "\t")
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class RawRow:
    """One row as read from a file or the grid, before validation. ``row`` is the number the user sees.

    ``problem`` is set when the row itself could not be read faithfully (for example it has more
    cells than the header names); validation then reports it instead of guessing at its cells.
    """

    row: int
    indicator: Any
    period: Any
    org_unit: Any
    value: Any
    problem: Optional[Message] = None
    # The version of the stored value this row corrects, as the user saw it (the grid). None for a
    # file row: a file corrects whatever value is stored when the import runs, under the lock.
    seen_version: Optional[int] = None


@dataclass(frozen=True)
class ParsedFile:
    """The rows of an import file and how its text was decoded (``encoding`` is None for .xlsx)."""

    rows: list[RawRow]
    encoding: Optional[str]

    @property
    def label(self) -> str:
        """The encoding, or that the file was an Excel workbook: for the import summary."""
        return self.encoding or EXCEL


def cell_text(value: Any) -> str:
    """A cell as the text a person sees: dates as ISO dates, whole floats without ``.0``, trimmed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _file_problem(msgid: str, **params: Any) -> ValidationError:
    return ValidationError([FieldProblem("file", Message(msgid, params))])


# ------------------------------------------------------------------ reading files


def read_file(content: bytes, filename: str) -> ParsedFile:
    """Rows of a CSV (comma, semicolon or tab separated; UTF-8, UTF-16 or Windows-1252) or Excel (.xlsx)
    file, with the encoding that was used.

    Row numbers are the file's own: the header is row 1. A file without the required columns is
    refused with the list of missing ones. Anything that is not a readable measurement file raises
    ``ValidationError`` with one file-level problem.
    """
    if len(content) > MAX_FILE_MB * 1_000_000:
        raise _file_problem(N_("The file is larger than {limit} MB; split it into several files."),
                            limit=MAX_FILE_MB)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_problem(N_("The file is an old Excel (.xls) file; save it as .xlsx or CSV and import that."))
    if filename.lower().endswith(".xlsx") or content.startswith(b"PK\x03\x04"):
        table, encoding, delimiter = _xlsx_table(content), None, None
    else:
        text, encoding = _decode(content)
        delimiter = _delimiter(text)
        table = _csv_table(text, delimiter)
    return ParsedFile(_rows(table, delimiter), encoding)


def read_rows(content: bytes, filename: str) -> list[RawRow]:
    """The rows of an import file (see ``read_file``)."""
    return read_file(content, filename).rows


def _rows(table: Iterator[list[Any]], delimiter: Optional[str]) -> list[RawRow]:
    header_cells = next(table, None)
    if header_cells is None:
        raise _file_problem(N_("The file is empty."))
    header = [cell_text(cell).lower() for cell in header_cells]
    while header and header[-1] == "":
        header.pop()
    if not header:
        raise _file_problem(N_("The file is empty."))
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise _file_problem(
            N_("The file lacks the columns: {columns}. The first row must name the columns {expected}."),
            columns=", ".join(missing), expected=", ".join(COLUMNS))
    repeated = sorted({name for name in COLUMNS if header.count(name) > 1})
    if repeated:
        raise _file_problem(N_("The first row names the columns {columns} more than once."),
                            columns=", ".join(repeated))
    index = {name: header.index(name) for name in COLUMNS}
    picks = [index[name] for name in COLUMNS]
    rows = []
    for number, cells in enumerate(table, start=2):
        used = len(cells)
        while used and _blank(cells[used - 1]):
            used -= 1
        if used == 0:
            continue
        if used > len(header):
            # Shifted cells would put a figure in the wrong column: never guess, refuse the row.
            msgid = (N_("Row {row}: the row has {cells} cells but the header names {columns} columns; "
                        "a decimal comma in a comma-separated file must be quoted.") if delimiter == ","
                     else N_("Row {row}: the row has {cells} cells but the header names {columns} columns."))
            problem = Message(msgid, {"row": number, "cells": used, "columns": len(header)})
            rows.append(RawRow(number, None, None, None, None, problem))
            continue
        if len(cells) < len(header):
            cells = list(cells) + [None] * (len(header) - len(cells))
        rows.append(RawRow(number, *[cells[i] for i in picks]))
    return rows


def _blank(cell: Any) -> bool:
    """True when a cell reads as empty text (what ``cell_text`` gives as ``""``)."""
    if cell is None:
        return True
    if type(cell) is str:
        return not cell or cell.isspace()
    return cell_text(cell) == ""


def _decode(content: bytes) -> tuple[str, str]:
    """The file's text and the encoding used: a byte-order mark decides; else UTF-8; else Windows-1252,
    which is what Swedish and Norwegian Excel write when saving CSV."""
    if content.startswith(b"\xef\xbb\xbf"):
        return _strict(content, "utf-8-sig"), "UTF-8"
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(content, "utf-16"), "UTF-16"
    if b"\x00" in content:  # binary data (or UTF-16 without its mark): not a text file we can read
        raise _not_text()
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return _strict(content, "cp1252"), "Windows-1252"


def _strict(content: bytes, codec: str) -> str:
    try:
        text = content.decode(codec)
    except UnicodeDecodeError:
        raise _not_text() from None
    if "\x00" in text:
        raise _not_text()
    return text


def _not_text() -> ValidationError:
    return _file_problem(N_("The file is neither text (UTF-8, UTF-16 or Windows-1252) nor an Excel (.xlsx) file."))


def _delimiter(text: str) -> str:
    first_line = _LINE_END.split(text, maxsplit=1)[0]
    return max(_DELIMITERS, key=first_line.count)


def _csv_table(text: str, delimiter: str) -> Iterator[list[Any]]:
    # newline="" lets the csv module see \r\n, \n and a lone \r (old Mac and Excel) as line ends.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:  # in practice a field beyond the csv module's own size limit
            raise _too_long(number) from None
        yield _checked(number, cells)


def _checked(number: int, cells: list[Any]) -> list[Any]:
    if number > MAX_ROWS + 1:
        raise _file_problem(N_("The file has more than {limit} rows; split it into several files."),
                            limit=MAX_ROWS)
    used = len(cells)
    while used and cells[used - 1] in (None, ""):  # a wide sheet pads every row with empty cells
        used -= 1
    cells = cells[:used]
    neutralised = False
    for cell in cells:
        if isinstance(cell, str):
            if len(cell) > MAX_CELL_CHARS:
                raise _too_long(number)
            neutralised = neutralised or cell.startswith(NEUTRALISER)
    return [unneutralise(cell) for cell in cells] if neutralised else cells


def _too_long(number: int) -> ValidationError:
    return _file_problem(N_("Row {row} has a cell of more than {limit} characters: the file is not a measurement "
                            "file, or a quotation mark is missing."), row=number, limit=MAX_CELL_CHARS)


def _xlsx_table(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    unreadable = _file_problem(N_("The file is not a readable Excel (.xlsx) file."))
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except Exception:  # BadZipFile, NotImplementedError for an unknown zip version, struct errors, ...
        raise unreadable from None
    if unpacked > MAX_UNPACKED_MB * 1_000_000:
        raise _file_problem(N_("The file is larger than {limit} MB; split it into several files."),
                            limit=MAX_UNPACKED_MB)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many unrelated types for a file that is not a workbook
        raise unreadable from None
    try:
        if not workbook.worksheets:
            raise unreadable
        # Read to the end here, so that a damaged sheet is found before any row is used.
        return iter([_checked(number, list(row))
                     for number, row in enumerate(_iterate(workbook.worksheets[0]), start=1)])
    finally:
        workbook.close()


def _iterate(sheet) -> Iterator[tuple]:
    # The sheet's own dimension claim may be false (A1:XFD1048576): read only the cells that exist.
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception:  # broken XML or a cell openpyxl cannot convert: the sheet is damaged
            raise _file_problem(N_("The Excel file is damaged: its first sheet cannot be read.")) from None
        yield row


# ------------------------------------------------------------------ the measurement grid

# The columns of the grid on the Benefits tab, in order: the grid speaks the import file's language.
GRID_COLUMNS = ("period", "org_unit", "value")


# English digit groups: "1,200" or "12,345.5". In Swedish and Norwegian the comma is the decimal sign instead.
_ENGLISH_GROUPED = re.compile(r"[+\-\u2212]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")


def typed_number(value: Any, language: str) -> Any:
    """A value as a reader of ``language`` typed it into a form: English digit groups ("1,200") are the
    thousands an English reader means, not 1.2 as a file's decimal comma reads. Anything else is returned
    as it is, for the import's validation to read (or to refuse, naming its row)."""
    if language == "en" and isinstance(value, str) and _ENGLISH_GROUPED.fullmatch(value.strip()):
        return float(value.strip().replace(",", "").replace("\u2212", "-"))
    return value


def rows_from_grid(code: str, shown: Sequence[tuple[Any, Any, Any, int]], edited: Mapping[Any, Mapping[str, Any]],
                   added: Sequence[Mapping[str, Any]], *, language: str) -> list[RawRow]:
    """The grid's changes as rows to import for indicator ``code``, values read as a reader of ``language``
    writes them (``typed_number``).

    ``shown`` is what the grid showed (period, org unit, value, version of the stored value), ``edited``
    the changed cells by row index and ``added`` the new rows, as the grid reports them.
    """
    rows: list[RawRow] = []
    for index, change in edited.items():
        period, unit, value, version = shown[int(index)]
        moved = change.get("period", period) != period or change.get("org_unit", unit) != unit
        # A corrected value carries the version the user saw; a row moved to another period is new.
        rows.append(RawRow(int(index) + 1, code, change.get("period", period), change.get("org_unit", unit),
                           typed_number(change.get("value", value), language),
                           seen_version=None if moved else version))
    for offset, new in enumerate(added):
        # A new row was an empty cell on the user's screen (version 0): a value stored meanwhile is a conflict.
        rows.append(RawRow(len(shown) + offset + 1, code, new.get("period"), new.get("org_unit"),
                           typed_number(new.get("value"), language), seen_version=0))
    return rows


# ------------------------------------------------------------------ templates


def template_bytes(examples: Iterable[tuple[str, str, str, str]] = (), excel: bool = False) -> bytes:
    """An import template (CSV, or .xlsx with a sheet explaining the columns) with example rows."""
    rows = [list(COLUMNS), *[list(example) for example in examples]]
    if excel:
        return xlsx_bytes({"measurements": rows,
                           "columns": [["column", "meaning"], *[[name, COLUMN_HELP[name]] for name in COLUMNS]]})
    return csv_bytes(rows)


def write_template(path: Path, examples: Iterable[tuple[str, str, str, str]] = ()) -> None:
    """Write an import template to ``path`` (.csv or .xlsx by the file's suffix)."""
    path.write_bytes(template_bytes(examples, excel=path.suffix.lower() == ".xlsx"))


def template_examples(session: Session, initiative_id: Optional[int] = None) -> list[tuple[str, str, str, str]]:
    """One example row per indicator (of one initiative, or all), in the current period."""
    query = select(Indicator).join(Benefit, Benefit.id == Indicator.benefit_id).order_by(col(Indicator.id))
    if initiative_id is not None:
        query = query.where(Benefit.initiative_id == initiative_id)
    today = date.today()
    examples = []
    for indicator in session.exec(query.limit(20)).all():
        frequency = Frequency(indicator.frequency)
        period = benefits_math.format_period(frequency, benefits_math.period_start(frequency, today))
        examples.append((indicator.code, period, "", ""))
    return examples
