"""No live formulas in any CSV or .xlsx the product writes: the one export writer neutralises text that a
spreadsheet would run, writes .xlsx text as strings, and keeps numbers and dates as they are. Every
export (measurement templates, the audit trail, ``portfolio list``) is checked with hostile values."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import Initiative
from portfolio.audit import export_audit_csv, record
from portfolio.cli import main as cli
from portfolio.exports import FORMULA_PREFIXES, csv_bytes, csv_text, neutralise, unneutralise, xlsx_bytes
from portfolio.measurement_files import RawRow, read_rows, template_bytes, template_examples
from portfolio.measurements import ImportResult, import_measurements
from tests.factories import World, actor, make_benefit, make_indicator, make_initiative, make_user

HOSTILE = ['=HYPERLINK("http://evil")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
# Values the indicator form keeps as typed (it trims leading tabs and line breaks away).
HOSTILE_CODES = HOSTILE[:4]
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


# ------------------------------------------------------------------ the writer itself


@pytest.mark.parametrize("value", HOSTILE + ["=1+1", "-", "@", "\t", "\r\n=1"])
def test_text_a_spreadsheet_would_run_gets_a_leading_apostrophe(value):
    assert neutralise(value) == "'" + value
    assert unneutralise(neutralise(value)) == value


@pytest.mark.parametrize("value", ["plain", "", "1-2", "a=b", " =x", "Åsa Öberg", 0, -2, -2.5, 1e15,
                                   True, None, Decimal("-1.5"), date(2026, 1, 1),
                                   datetime(2026, 1, 1, 12, 0), time(9, 30)])
def test_everything_else_is_written_as_it_is(value):
    assert neutralise(value) == value
    assert unneutralise(value) == value


def test_reading_back_removes_only_the_apostrophe_the_writer_adds():
    assert unneutralise("'=x") == "=x"
    assert [unneutralise(value) for value in ("'", "'a", "''=x", "'")] == ["'", "'a", "''=x", "'"]


def test_a_line_break_inside_a_cell_is_quoted_whatever_the_line_ending():
    for terminator in ("\r\n", "\n"):
        text = csv_text([[1, "a\rb", "c\nd"], [2, "\rx", "e"]], delimiter="\t", lineterminator=terminator)
        assert list(csv.reader(io.StringIO(text, newline=""), delimiter="\t")) == [
            ["1", "a\rb", "c\nd"], ["2", "'\rx", "e"]], terminator


def test_csv_neutralises_text_and_keeps_numbers_and_dates():
    text = csv_text([["code", "value", "day"], ['=HYPERLINK("x")', -2.5, date(2026, 1, 31)], ["-2+3", -7, None],
                     ["\rx", 0, datetime(2026, 1, 1, 8, 30)]])
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["code", "value", "day"], ['\'=HYPERLINK("x")', "-2.5", "2026-01-31"], ["'-2+3", "-7", ""],
        ["'\rx", "0", "2026-01-01T08:30:00"]]
    assert csv_bytes([["å"]]) == "å\r\n".encode()
    assert csv_bytes([["å"]], bom=True) == "\ufeffå\r\n".encode()


def test_xlsx_writes_text_as_strings_numbers_as_numbers_and_dates_as_dates():
    content = xlsx_bytes({"data": [["code", "value", "when"],
                                   ['=HYPERLINK("http://evil")', -2.5, date(2026, 1, 31)],
                                   ["@SUM(A1)", 12, datetime(2026, 1, 1, 8, 30, tzinfo=timezone.utc)],
                                   ["bell\x07", Decimal("1.5"), None]]})
    sheet = load_workbook(io.BytesIO(content))["data"]
    assert [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()] == [
        [("code", "s"), ("value", "s"), ("when", "s")],
        [('\'=HYPERLINK("http://evil")', "s"), (-2.5, "n"), (datetime(2026, 1, 31), "d")],
        [("'@SUM(A1)", "s"), (12, "n"), (datetime(2026, 1, 1, 8, 30), "d")],
        [("bell\ufffd", "s"), (1.5, "n"), (None, "n")],
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == len('\'=HYPERLINK("http://evil")') + 2
    assert sheet.column_dimensions["B"].width == 8  # at least the minimum width


def test_an_xlsx_text_cell_is_a_string_even_without_the_apostrophe(monkeypatch):
    # Defence in depth: were neutralising ever skipped, the cell would still not become a formula.
    monkeypatch.setattr("portfolio.exports.neutralise", lambda value: value)
    sheet = load_workbook(io.BytesIO(xlsx_bytes({"s": [["=1+1"]]})))["s"]
    assert (sheet["A1"].value, sheet["A1"].data_type) == ("=1+1", "s")


# ------------------------------------------------------------------ every export, with hostile values


def assert_no_live_formula(cells: list[str]) -> None:
    for cell in cells:
        if cell[:1] in FORMULA_PREFIXES:
            assert PLAIN_NUMBER.fullmatch(cell), f"live formula in an export: {cell!r}"


def csv_cells(text: str, delimiter: str = ",") -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for cell in row]


def xlsx_cells(content: bytes) -> list:
    workbook = load_workbook(io.BytesIO(content))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert_no_live_formula([cell.value for cell in cells if isinstance(cell.value, str)])
    return cells


@pytest.fixture
def hostile(engine, db_url, monkeypatch):
    """Indicators with hostile codes and names, initiatives with hostile titles, users with hostile
    names who appear in the audit trail."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    with write_session(engine) as session:
        world = World(session, stage="pilot")
        benefit = make_benefit(session, world.initiative, title=HOSTILE[0])
        for code in HOSTILE_CODES:
            make_indicator(session, benefit, code=code, name=code, frequency="month")
        for title in HOSTILE:
            initiative = make_initiative(session, portfolio=world.portfolio, creator=world.owner, title="Placeholder")
            initiative.title = title  # stored as it is: exports must cope with anything in the database
            session.add(initiative)
        for name in HOSTILE:
            user = make_user(session, username=name, display_name=name)
            record(session=session, user_id=user.id, action="test.hostile", entity="initiative",
                   entity_id=world.initiative.id, initiative_id=world.initiative.id, after={"title": name})
    return world


def test_the_csv_template_has_no_live_formula_and_reads_back_as_written(engine, hostile, tmp_path):
    result = CliRunner().invoke(cli, ["import-measurements", "--template", str(tmp_path / "t.csv")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "t.csv").read_text(encoding="utf-8")
    cells = csv_cells(text)
    assert_no_live_formula(cells)
    assert {"'" + code for code in HOSTILE_CODES} <= set(cells)
    # Reading the template back gives the codes themselves, so a filled-in template imports.
    rows = read_rows(text.encode(), "t.csv")
    assert [row.indicator for row in rows] == HOSTILE_CODES
    filled = [RawRow(row.row, row.indicator, row.period, "", "-1") for row in rows]
    with write_session(engine) as session:
        assert import_measurements(session=session, actor=actor(session, hostile.lead), rows=filled) \
            == ImportResult(4, 0, 0)


def test_the_xlsx_template_has_no_formula_cell(engine, hostile, tmp_path):
    result = CliRunner().invoke(cli, ["import-measurements", "--template", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0, result.output
    content = (tmp_path / "t.xlsx").read_bytes()
    cells = xlsx_cells(content)
    assert {"'" + code for code in HOSTILE_CODES} <= {cell.value for cell in cells}
    assert [row.indicator for row in read_rows(content, "t.xlsx")] == HOSTILE_CODES
    # The page's download is the same template.
    with read_session(engine) as session:
        examples = template_examples(session, hostile.initiative.id)
    assert_no_live_formula(csv_cells(template_bytes(examples).decode()))
    xlsx_cells(template_bytes(examples, excel=True))


def test_the_audit_export_has_no_live_formula(engine, hostile, tmp_path):
    result = CliRunner().invoke(cli, ["export-audit", "-o", str(tmp_path / "audit.csv")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "audit.csv").read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert_no_live_formula([cell for row in rows for cell in row])
    users = [row[2] for row in rows if row[3] == "test.hostile"]
    assert users == ["'" + name for name in HOSTILE]
    # Numbers stay numbers: ids are written as plain digits.
    assert all(row[0].isdigit() for row in rows[1:])
    with read_session(engine) as session:
        assert export_audit_csv(session=session) == text


def test_portfolio_list_has_no_live_formula(engine, hostile):
    result = CliRunner().invoke(cli, ["list"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout, newline=""), delimiter="\t"))
    assert_no_live_formula([cell for row in rows for cell in row])
    with read_session(engine) as session:
        titles = {i.id: i.title for i in session.exec(select(Initiative)).all()}
    assert {int(row[0]): unneutralise(row[2]) for row in rows} == titles
    assert {"'" + title for title in HOSTILE} <= {row[2] for row in rows}
