"""No wrong figure from a file: rows that do not fit the header, line endings, encodings, size limits,
damaged workbooks, numbers Python accepts but people do not write, sums that cannot overflow, and
indicators whose target points the wrong way. Every refusal lists its rows and writes nothing."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import Benefit, Indicator, Measurement
from portfolio import measurement_files
from portfolio.benefits import IndicatorInput, create_indicator, update_indicator
from portfolio.benefits_math import progress_to_target
from portfolio.cli import main as cli
from portfolio.errors import ValidationError
from portfolio.measurement_files import RawRow, read_file, read_rows
from portfolio.indicator_figures import indicator_summaries, unit_breakdowns
from portfolio.measurements import ImportResult, import_measurements
from tests.factories import (
    World,
    actor,
    benefits_snapshot,
    make_benefit,
    make_decision_owner,
    make_indicator,
    make_org_unit,
    waiting_gates,
)

HEADER = "indicator,period,org_unit,value\n"
OUT_OF_RANGE = "Row {row}: the value {value} is out of range; values must lie between -1e15 and 1e15."
NOT_A_NUMBER = "Row {row}: the value {value} is not a number."
SHIFTED = ("Row {row}: the row has {cells} cells but the header names {columns} columns; "
           "a decimal comma in a comma-separated file must be quoted.")


@dataclass
class Org:
    world: World
    ids: dict[str, int]


@pytest.fixture
def org(engine) -> Org:
    with write_session(engine) as session:
        world = World(session, stage="pilot")
        world.unit.code = "HSA-1"
        session.add(world.unit)
        benefit = make_benefit(session, world.initiative, title="Shorter waits")
        indicators = [
            make_indicator(session, benefit, code="WAIT", name="Waiting days", direction="lower",
                           frequency="month", valid_min=0, valid_max=100),
            make_indicator(session, benefit, code="BIG", name="Any amount", frequency="month"),
            make_indicator(session, benefit, code="MEAN", name="Mean amount", frequency="month",
                           aggregation="mean"),
        ]
    return Org(world, {i.code: i.id for i in indicators})


def rows_of(text: str, filename: str = "measurements.csv") -> list[RawRow]:
    return read_rows(text.encode("utf-8"), filename)


def run_import(engine, user, rows: list[RawRow]) -> ImportResult:
    with write_session(engine) as session:
        return import_measurements(session=session, actor=actor(session, user), rows=rows)


def refused(engine, user, rows: list[RawRow]) -> list[str]:
    """Import ``rows``; it must be refused and leave every table as it was."""
    before = benefits_snapshot(engine)
    with pytest.raises(ValidationError) as error:
        run_import(engine, user, rows)
    assert benefits_snapshot(engine) == before
    return [str(m) for m in error.value.messages]


def stored(engine) -> list[tuple[int, date, float]]:
    with read_session(engine) as session:
        return [(m.indicator_id, m.period_start, m.value)
                for m in session.exec(select(Measurement).order_by(col(Measurement.id))).all()]


def file_error(content: bytes, filename: str) -> list[str]:
    with pytest.raises(ValidationError) as error:
        read_rows(content, filename)
    return error.value.render("en")


def workbook_bytes(*rows: list) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def replace_in_zip(content: bytes, name: str, data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, data if item.filename == name else source.read(item.filename))
    return buffer.getvalue()


# ------------------------------------------------------------------ 1. rows that do not fit the header


def test_a_row_with_more_cells_than_the_header_is_refused_not_imported_as_its_first_part(engine, org):
    # An unquoted decimal comma: 12,5 would be read as 12 in the value column and 5 in no column.
    text = HEADER + "WAIT,2026-06,HSA-1,12,5\nWAIT,2026-07,HSA-1,\"12,5\"\nNOPE,2026-08,HSA-1,3\n"
    assert refused(engine, org.world.lead, rows_of(text)) == [
        SHIFTED.format(row=2, cells=5, columns=4),
        "Row 4: unknown indicator 'NOPE'.",
    ]
    assert stored(engine) == []


def test_a_shifted_row_is_refused_in_semicolon_files_and_workbooks_too(engine, org):
    generic = "Row {row}: the row has {cells} cells but the header names {columns} columns."
    semicolon = "indicator;period;org_unit;value\nWAIT;2026-06;HSA-1;12;5\n"
    assert refused(engine, org.world.lead, rows_of(semicolon)) == [generic.format(row=2, cells=5, columns=4)]
    workbook = workbook_bytes(["indicator", "period", "org_unit", "value"], ["WAIT", "2026-06", "HSA-1", 12, 5])
    assert refused(engine, org.world.lead, read_rows(workbook, "m.xlsx")) == [
        generic.format(row=2, cells=5, columns=4)]
    # A header that ends in an empty column names four columns, not five.
    assert refused(engine, org.world.lead, rows_of(HEADER.strip() + ",\nWAIT,2026-06,HSA-1,12,5\n")) == [
        SHIFTED.format(row=2, cells=5, columns=4)]


def test_empty_cells_after_the_last_column_are_no_problem(engine, org):
    assert run_import(engine, org.world.lead, rows_of(HEADER + "WAIT,2026-06,HSA-1,12,,\nWAIT,2026-07,HSA-1,13,\n")) \
        == ImportResult(2, 0, 0)
    assert [v for *_, v in stored(engine)] == [12.0, 13.0]


def test_a_column_named_twice_is_refused():
    assert file_error(b"indicator,period,org_unit,value,value\nWAIT,2026-06,HSA-1,1,2\n", "m.csv") == [
        "The first row names the columns value more than once."]


# ------------------------------------------------------------------ 2. line endings


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_every_line_ending_imports_the_same(engine, org, ending):
    text = ending.join(["indicator;period;org_unit;value", "WAIT;2026-06;HSA-1;12,5", "", "WAIT;2026-07;HSA-1;13"])
    rows = read_rows((text + ending).encode("utf-8"), "m.csv")
    assert rows == [RawRow(2, "WAIT", "2026-06", "HSA-1", "12,5"), RawRow(4, "WAIT", "2026-07", "HSA-1", "13")]
    assert run_import(engine, org.world.lead, rows) == ImportResult(2, 0, 0)
    assert [v for *_, v in stored(engine)] == [12.5, 13.0]


def test_the_command_line_imports_a_file_with_cr_line_endings(engine, org, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    path = tmp_path / "mac.csv"
    path.write_bytes(b"indicator;period;org_unit;value\rWAIT;2026-06;HSA-1;12,5\r")
    result = CliRunner().invoke(cli, ["import-measurements", str(path), "--as", "lead"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1 rows: 1 new, 0 corrected, 0 unchanged (read as UTF-8)"
    assert [v for *_, v in stored(engine)] == [12.5]


# ------------------------------------------------------------------ 3. limits and damaged files

TOO_LONG = ("Row {row} has a cell of more than 1000 characters: the file is not a measurement file, "
            "or a quotation mark is missing.")
DAMAGED = "The Excel file is damaged: its first sheet cannot be read."
NOT_EXCEL = "The file is not a readable Excel (.xlsx) file."
GOOD_BOOK = workbook_bytes(["indicator", "period", "org_unit", "value"], ["WAIT", "2026-06", "HSA-1", 12])


def _broken_sheets() -> list[bytes]:
    sheet = zipfile.ZipFile(io.BytesIO(GOOD_BOOK)).read("xl/worksheets/sheet1.xml")
    return [
        replace_in_zip(GOOD_BOOK, "xl/worksheets/sheet1.xml", sheet[: len(sheet) // 2]),
        replace_in_zip(GOOD_BOOK, "xl/worksheets/sheet1.xml", sheet.replace(b"<sheetData>", b"<sheetData><row><c>")),
        replace_in_zip(GOOD_BOOK, "xl/worksheets/sheet1.xml", b"\x00\x01 not xml"),
    ]


FILE_ERRORS = [
    ("cell over the limit", (HEADER + 'WAIT,2026-06,HSA-1,"' + "1" * 1001 + '"\n').encode(), "m.csv",
     TOO_LONG.format(row=2)),
    ("header cell over the limit", ("x" * 1001 + HEADER).encode(), "m.csv", TOO_LONG.format(row=1)),
    ("a quotation mark never closed", (HEADER + 'WAIT,"2026-06,HSA-1,5\n' + "WAIT,2026-07,HSA-1,5\n" * 60).encode(),
     "m.csv", TOO_LONG.format(row=2)),
    ("a field beyond the csv module's own limit", (HEADER + '"' + "9" * 200_000 + '"\n').encode(), "m.csv",
     TOO_LONG.format(row=2)),
    ("workbook cell over the limit", workbook_bytes(list(measurement_files.COLUMNS), ["W" * 1001, "2026-06"]),
     "m.xlsx", TOO_LONG.format(row=2)),
    ("truncated workbook", GOOD_BOOK[: len(GOOD_BOOK) // 2], "m.xlsx", NOT_EXCEL),
    ("workbook without a workbook part", replace_in_zip(GOOD_BOOK, "xl/workbook.xml", b"<broken"), "m.xlsx",
     NOT_EXCEL),
    *[(f"broken sheet XML {n}", content, "m.xlsx", DAMAGED) for n, content in enumerate(_broken_sheets()[:2])],
    # Not even the start of the sheet parses: openpyxl refuses the workbook while opening it.
    ("sheet that is not XML at all", _broken_sheets()[2], "m.xlsx", NOT_EXCEL),
    ("an old .xls file", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "m.xls",
     "The file is an old Excel (.xls) file; save it as .xlsx or CSV and import that."),
    ("binary data", b"indicator,period,org_unit,value\n\x00\x01\x02", "m.csv",
     "The file is neither text (UTF-8, UTF-16 or Windows-1252) nor an Excel (.xlsx) file."),
]


@pytest.mark.parametrize(("content", "filename", "message"), [case[1:] for case in FILE_ERRORS],
                         ids=[case[0] for case in FILE_ERRORS])
def test_a_file_that_cannot_be_read_gives_one_file_level_error(content, filename, message):
    assert file_error(content, filename) == [message]


def test_size_and_row_limits(monkeypatch):
    monkeypatch.setattr(measurement_files, "MAX_FILE_MB", 0.0001)
    assert file_error((HEADER + "WAIT,2026-06,HSA-1,1\n" * 10).encode(), "m.csv") == [
        "The file is larger than 0.0001 MB; split it into several files."]
    monkeypatch.setattr(measurement_files, "MAX_FILE_MB", 50)
    monkeypatch.setattr(measurement_files, "MAX_ROWS", 3)
    three = HEADER + "".join(f"WAIT,2026-0{m},HSA-1,1\n" for m in range(1, 4))
    assert len(read_rows(three.encode(), "m.csv")) == 3
    assert file_error((three + "WAIT,2026-04,HSA-1,1\n").encode(), "m.csv") == [
        "The file has more than 3 rows; split it into several files."]
    monkeypatch.setattr(measurement_files, "MAX_UNPACKED_MB", 0.001)
    assert file_error(GOOD_BOOK, "m.xlsx") == ["The file is larger than 0.001 MB; split it into several files."]


def test_a_sheet_that_claims_to_be_huge_is_read_by_its_real_cells():
    sheet = zipfile.ZipFile(io.BytesIO(GOOD_BOOK)).read("xl/worksheets/sheet1.xml")
    claimed = replace_in_zip(GOOD_BOOK, "xl/worksheets/sheet1.xml",
                             sheet.replace(b'<dimension ref="A1:D2" />', b'<dimension ref="A1:XFD1048576" />'))
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(claimed)).read("xl/worksheets/sheet1.xml")
    assert read_rows(claimed, "m.xlsx") == [RawRow(2, "WAIT", "2026-06", "HSA-1", 12)]


@pytest.mark.parametrize(("content", "filename", "message"), [
    ((HEADER + 'WAIT,2026-06,HSA-1,"' + "1" * 1001 + '"\n').encode(), "big.csv", TOO_LONG.format(row=2)),
    (GOOD_BOOK[: len(GOOD_BOOK) // 2], "cut.xlsx", NOT_EXCEL),
    (_broken_sheets()[0], "broken.xlsx", DAMAGED),
], ids=["cell over the limit", "corrupt workbook", "broken sheet XML"])
def test_the_command_line_prints_the_file_error_and_writes_nothing(engine, org, db_url, monkeypatch, tmp_path,
                                                                  content, filename, message):
    monkeypatch.setenv("DATABASE_URL", db_url)
    path = tmp_path / filename
    path.write_bytes(content)
    before = benefits_snapshot(engine)
    result = CliRunner().invoke(cli, ["import-measurements", str(path), "--as", "lead"])
    assert result.exit_code == 1, result.output
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [f"error: {message}"]
    assert "Traceback" not in result.output
    assert benefits_snapshot(engine) == before


# ------------------------------------------------------------------ 4. encodings

CP1252_TEXT = "indicator;period;org_unit;value\nWAIT;2026-06;Vårdcentralen Centrum;12,5\nBIG;2026-06;;€ – 5\n"


def test_windows_1252_text_is_decoded_and_the_encoding_named(engine, org):
    parsed = read_file(CP1252_TEXT.encode("cp1252"), "excel.csv")
    assert parsed.encoding == "Windows-1252"
    assert parsed.rows[0] == RawRow(2, "WAIT", "2026-06", "Vårdcentralen Centrum", "12,5")
    assert parsed.rows[1].value == "€ – 5"  # the euro sign and en dash exist only in Windows-1252
    assert refused(engine, org.world.lead, parsed.rows) == [NOT_A_NUMBER.format(row=3, value="'€ – 5'")]
    assert run_import(engine, org.world.lead, parsed.rows[:1]) == ImportResult(1, 0, 0)
    assert stored(engine) == [(org.ids["WAIT"], date(2026, 6, 1), 12.5)]


@pytest.mark.parametrize(("content", "filename", "encoding", "label"), [
    (CP1252_TEXT.encode("utf-8"), "m.csv", "UTF-8", "UTF-8"),
    (CP1252_TEXT.encode("utf-8-sig"), "m.csv", "UTF-8", "UTF-8"),
    (CP1252_TEXT.encode("utf-16"), "m.txt", "UTF-16", "UTF-16"),
    (CP1252_TEXT.encode("cp1252"), "m.csv", "Windows-1252", "Windows-1252"),
    (GOOD_BOOK, "m.xlsx", None, "Excel .xlsx"),
])
def test_the_parse_result_names_the_encoding(content, filename, encoding, label):
    parsed = read_file(content, filename)
    assert (parsed.encoding, parsed.label) == (encoding, label)
    assert parsed.rows[0].org_unit in ("Vårdcentralen Centrum", "HSA-1")


def test_the_command_line_says_which_encoding_it_read(engine, org, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    path = tmp_path / "excel.csv"
    path.write_bytes("indicator;period;org_unit;value\r\nWAIT;2026-06;Vårdcentralen Centrum;12,5\r\n".encode("cp1252"))
    result = CliRunner().invoke(cli, ["import-measurements", str(path), "--as", "lead"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1 rows: 1 new, 0 corrected, 0 unchanged (read as Windows-1252)"
    assert stored(engine) == [(org.ids["WAIT"], date(2026, 6, 1), 12.5)]


# ------------------------------------------------------------------ 5. numbers as people write them

# (cell, the problem, or the number it is)
NUMBERS = [
    ("1_000", NOT_A_NUMBER), ("１２", NOT_A_NUMBER), ("١٢", NOT_A_NUMBER), ("۱۲", NOT_A_NUMBER),
    ("inf", NOT_A_NUMBER), ("-inf", NOT_A_NUMBER), ("Infinity", NOT_A_NUMBER), ("nan", NOT_A_NUMBER),
    ("NaN", NOT_A_NUMBER), ("0x10", NOT_A_NUMBER), ("1.2.3", NOT_A_NUMBER), ("1,000.5", NOT_A_NUMBER),
    ("1 2", NOT_A_NUMBER), ("12 34", NOT_A_NUMBER), ("12e", NOT_A_NUMBER), ("e5", NOT_A_NUMBER),
    ("+-1", NOT_A_NUMBER), ("--1", NOT_A_NUMBER), ("1e5.5", NOT_A_NUMBER), ("½", NOT_A_NUMBER),
    ("1e400", OUT_OF_RANGE), ("-1e400", OUT_OF_RANGE), ("1e308", OUT_OF_RANGE), ("1e16", OUT_OF_RANGE),
    ("1000000000000001", OUT_OF_RANGE), ("-1 000 000 000 000 001", OUT_OF_RANGE), ("1,0000001e15", OUT_OF_RANGE),
    ("1e15", 1e15), ("-1e15", -1e15), ("1 000 000", 1e6), ("1\u00a0000,5", 1000.5), ("1\u202f000,25", 1000.25),
    ("-12,5", -12.5), ("+7", 7.0), ("\u22123", -3.0), (",5", 0.5), ("5.", 5.0), ("2,5E3", 2500.0),
]


def test_numbers_people_do_not_write_are_refused_with_every_row_listed(engine, org):
    text = HEADER + "".join(f'BIG,{2000 + n}-01,,"{cell}"\n' for n, (cell, _) in enumerate(NUMBERS))
    expected = [outcome.format(row=n, value=repr(cell))
                for n, (cell, outcome) in enumerate(NUMBERS, start=2) if isinstance(outcome, str)]
    assert refused(engine, org.world.lead, rows_of(text)) == expected
    assert stored(engine) == []


def test_numbers_people_write_are_imported(engine, org):
    good = [(cell, outcome) for cell, outcome in NUMBERS if not isinstance(outcome, str)]
    text = HEADER + "".join(f'BIG,{2000 + n}-01,,"{cell}"\n' for n, (cell, _) in enumerate(good))
    assert run_import(engine, org.world.lead, rows_of(text)) == ImportResult(len(good), 0, 0)
    assert [v for *_, v in stored(engine)] == [outcome for _, outcome in good]


def test_numeric_workbook_cells_beyond_the_limit_are_out_of_range(engine, org):
    content = workbook_bytes(list(measurement_files.COLUMNS), ["BIG", "2026-01", None, 1e308],
                             ["BIG", "2026-02", None, -2e15], ["BIG", "2026-03", None, 10 ** 400 // 10 ** 100],
                             ["BIG", "2026-04", None, 1e15])
    assert refused(engine, org.world.lead, read_rows(content, "m.xlsx")) == [
        OUT_OF_RANGE.format(row=2, value="'1e+308'"), OUT_OF_RANGE.format(row=3, value="'-2e+15'"),
        OUT_OF_RANGE.format(row=4, value="'1e+300'")]
    # Values from the grid come as Python numbers: the same limit holds.
    assert refused(engine, org.world.lead, [RawRow(1, "BIG", "2026-05", None, 10 ** 400),
                                            RawRow(2, "BIG", "2026-06", None, float("nan"))]) == [
        OUT_OF_RANGE.format(row=1, value="'inf'"), NOT_A_NUMBER.format(row=2, value="'nan'")]


# ------------------------------------------------------------------ 6. the indicator's valid range


def test_both_bounds_of_the_valid_range_hold(engine, org):
    text = HEADER + "WAIT,2026-01,HSA-1,-0.001\nWAIT,2026-02,HSA-1,100.001\nWAIT,2026-03,HSA-1,\"-0,5\"\n"
    assert refused(engine, org.world.lead, rows_of(text)) == [
        "Row 2: the value -0.001 is outside the valid range 0 to 100 of indicator WAIT.",
        "Row 3: the value 100.001 is outside the valid range 0 to 100 of indicator WAIT.",
        "Row 4: the value -0.5 is outside the valid range 0 to 100 of indicator WAIT.",
    ]
    assert run_import(engine, org.world.lead, rows_of(HEADER + "WAIT,2026-01,HSA-1,0\nWAIT,2026-02,HSA-1,100\n")) \
        == ImportResult(2, 0, 0)


# ------------------------------------------------------------------ 7. sums cannot overflow


def test_the_largest_allowed_values_sum_without_overflow_and_1e308_is_refused(engine, org):
    with write_session(engine) as session:
        units = [make_org_unit(session, name=f"Unit {n}") for n in range(25)]
        for n, unit in enumerate(units):
            unit.code = f"U{n}"
            session.add(unit)
        make_decision_owner(session, org.world.initiative, org.world.owner)
    lines = [f"{code},2026-{month:02d},U{n},{sign}1e15"
             for code, sign in (("BIG", ""), ("MEAN", "-")) for month in range(1, 13) for n in range(25)]
    assert run_import(engine, org.world.owner, rows_of(HEADER + "\n".join(lines) + "\n")) == ImportResult(600, 0, 0)
    with read_session(engine) as session:
        summaries = {s.indicator.code: s for s in indicator_summaries(session=session,
                                                                      initiative_id=org.world.initiative.id)}
        breakdowns = unit_breakdowns(session=session, indicator_ids=[org.ids["BIG"], org.ids["MEAN"]])
        pending = waiting_gates(session, actor(session, org.world.owner))
    assert summaries["BIG"].latest_value == 25e15
    assert [value for _, value in summaries["BIG"].series] == [25e15] * 12
    assert summaries["MEAN"].latest_value == -1e15
    assert {figure.value for figure in breakdowns[org.ids["BIG"]]} == {1e15}
    assert [gate.initiative.id for gate in pending] == [org.world.initiative.id]
    assert refused(engine, org.world.owner, rows_of(HEADER + "BIG,2027-01,U0,1e308\nBIG,2027-01,U1,1e308\n")) == [
        OUT_OF_RANGE.format(row=2, value="'1e308'"), OUT_OF_RANGE.format(row=3, value="'1e308'")]


# ------------------------------------------------------------------ 8. the target points the indicator's way

ABOVE = "The target must be above the baseline, because higher is better for this indicator."
BELOW = "The target must be below the baseline, because lower is better for this indicator."


@pytest.mark.parametrize(("direction", "baseline", "target", "problem"), [
    ("higher", 50, 40, ABOVE),
    ("higher", 50, 60, None),
    ("lower", 30, 40, BELOW),
    ("lower", 30, 10, None),
    ("lower", 200, 0, None),
    # A target equal to the baseline is allowed in both directions: it means "hold the level", and
    # progress counts as reached while the value is at the baseline or better (see the test below).
    ("higher", 50, 50, None),
    ("lower", 30, 30, None),
])
def test_the_target_must_lie_the_way_the_indicator_points(engine, org, direction, baseline, target, problem):
    data = IndicatorInput(code="NEW", name="New", direction=direction, baseline_value=baseline,
                          baseline_date=date(2025, 1, 1), target_value=target, target_date=date(2026, 1, 1))
    before = benefits_snapshot(engine)
    with write_session(engine) as session:
        benefit_id = session.get(Indicator, org.ids["WAIT"]).benefit_id
    if problem is None:
        with write_session(engine) as session:
            create_indicator(session=session, actor=actor(session, org.world.lead), benefit_id=benefit_id, data=data)
        return
    with pytest.raises(ValidationError) as error:
        with write_session(engine) as session:
            create_indicator(session=session, actor=actor(session, org.world.lead), benefit_id=benefit_id, data=data)
    assert [str(m) for m in error.value.messages] == [problem]
    assert [p.field for p in error.value.problems] == ["target_value"]
    assert benefits_snapshot(engine) == before


def test_a_hold_the_level_target_counts_as_reached_at_the_baseline_or_better():
    assert progress_to_target(50, 50, 50, direction="higher") == 1.0
    assert progress_to_target(50, 50, 55, direction="higher") == 1.0
    assert progress_to_target(50, 50, 45, direction="higher") == 0.0
    assert progress_to_target(30, 30, 25, direction="lower") == 1.0


def test_moving_a_target_to_the_wrong_side_is_refused(engine, org):
    with write_session(engine) as session:
        benefit_id = session.get(Indicator, org.ids["WAIT"]).benefit_id
        indicator = make_indicator(session, session.get(Benefit, benefit_id), code="FALLS", name="Falls",
                                   direction="lower", baseline_value=18, target_value=9)
    data = IndicatorInput(code="FALLS", name="Falls", direction="lower", baseline_value=18,
                          baseline_date=date(2025, 1, 1), target_value=25, target_date=date(2026, 1, 1))
    before = benefits_snapshot(engine)
    with pytest.raises(ValidationError) as error:
        with write_session(engine) as session:
            update_indicator(session=session, actor=actor(session, org.world.lead), indicator_id=indicator.id,
                             expected_version=indicator.version, data=data)
    assert [str(m) for m in error.value.messages] == [BELOW]
    assert benefits_snapshot(engine) == before
    # Turning the direction round while keeping the figures is the same mistake, the other way.
    with pytest.raises(ValidationError) as error:
        with write_session(engine) as session:
            update_indicator(session=session, actor=actor(session, org.world.lead), indicator_id=indicator.id,
                             expected_version=indicator.version,
                             data=IndicatorInput(**{**data.__dict__, "target_value": 9, "direction": "higher"}))
    assert [str(m) for m in error.value.messages] == [ABOVE]
    assert benefits_snapshot(engine) == before

