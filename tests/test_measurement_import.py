"""Measurement imports: every refusal names its row and writes nothing; good files are written all or
nothing, idempotently, with corrections audited; CSV/Excel reading, templates and the command line."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import AuditEvent, Measurement, OrgUnit
from portfolio.audit import data_version
from portfolio.cli import main as cli
from portfolio.errors import ValidationError
from portfolio.measurement_files import COLUMNS, RawRow, read_rows, template_examples, write_template
from portfolio.measurements import ImportResult, import_measurements
from tests.factories import (
    World,
    actor,
    benefits_snapshot,
    make_benefit,
    make_indicator,
    make_org_unit,
    make_user,
)

HEADER = "indicator,period,org_unit,value\n"


@dataclass
class Org:
    world: World
    sub: OrgUnit          # a unit below the reporter's own unit
    elsewhere: OrgUnit    # a unit outside the reporter's scope
    ids: dict[str, int]   # indicator code -> id


@pytest.fixture
def org(engine) -> Org:
    with write_session(engine) as session:
        world = World(session, stage="pilot")
        world.unit.code = "VC1"
        session.add(world.unit)
        sub = make_org_unit(session, name="Barnmottagningen", parent=world.unit)
        sub.code = "VC1-BM"
        elsewhere = make_org_unit(session, name="Akutmottagningen")
        elsewhere.code = "AKM"
        session.add_all([sub, elsewhere])
        session.flush()
        benefit = make_benefit(session, world.initiative, title="Shorter waits")
        indicators = [
            make_indicator(session, benefit, code="WAIT", name="Waiting days", frequency="month",
                           valid_min=0, valid_max=100),
            make_indicator(session, benefit, code="CALLS", name="Calls answered", frequency="week", valid_min=0),
            make_indicator(session, benefit, code="VISITS", name="Visits", frequency="day"),
            make_indicator(session, benefit, code="QUEUE", name="Queue", frequency="quarter"),
            make_indicator(session, benefit, code="SAT", name="Satisfaction", frequency="year", aggregation="mean"),
        ]
        ids = {i.code: i.id for i in indicators}
    return Org(world, sub, elsewhere, ids)


def rows_of(text: str, filename: str = "measurements.csv") -> list[RawRow]:
    return read_rows(text.encode("utf-8"), filename)


def run_import(engine, user, rows: list[RawRow], **kw) -> ImportResult:
    with write_session(engine) as session:
        return import_measurements(session=session, actor=actor(session, user), rows=rows, **kw)


def refused(engine, user, rows: list[RawRow]) -> list[str]:
    """Import ``rows``; it must be refused and leave every table (and the data version) as it was."""
    before = benefits_snapshot(engine)
    with pytest.raises(ValidationError) as error:
        run_import(engine, user, rows)
    assert benefits_snapshot(engine) == before
    return [str(m) for m in error.value.messages]


def stored(engine) -> list[tuple[int, date, int | None, float]]:
    with read_session(engine) as session:
        return [(m.indicator_id, m.period_start, m.org_unit_id, m.value)
                for m in session.exec(select(Measurement).order_by(col(Measurement.id))).all()]


def audit_count(engine) -> int:
    with read_session(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


# ------------------------------------------------------------------ one refusal per import error


def test_unknown_indicator(engine, org):
    assert refused(engine, org.world.lead, rows_of(HEADER + "WAIT,2026-01,VC1,5\nNOPE,2026-01,VC1,5\n")) == [
        "Row 3: unknown indicator 'NOPE'."]


def test_unknown_org_unit(engine, org):
    assert refused(engine, org.world.lead, rows_of(HEADER + "WAIT,2026-01,Nowhere,5\n")) == [
        "Row 2: unknown org unit 'Nowhere'."]


PERIOD_CASES = [
    ("WAIT", "2026-13", "monthly", "YYYY-MM"),
    ("WAIT", "2026-W05", "monthly", "YYYY-MM"),
    ("WAIT", "2026-03-05", "monthly", "YYYY-MM"),
    ("WAIT", "March 2026", "monthly", "YYYY-MM"),
    ("CALLS", "2026-03-03", "weekly", "YYYY-Www"),  # a Tuesday
    ("CALLS", "2026-W54", "weekly", "YYYY-Www"),
    ("VISITS", "2026-02-30", "daily", "YYYY-MM-DD"),
    ("QUEUE", "2026-Q5", "quarterly", "YYYY-Qn"),
    ("QUEUE", "2026-02-01", "quarterly", "YYYY-Qn"),
    ("SAT", "2026-03", "yearly", "YYYY"),
]


def test_period_that_does_not_fit_the_frequency(engine, org):
    # One database for all cases: each refusal leaves it unchanged, which ``refused`` checks.
    for code, period, frequency, form in PERIOD_CASES:
        assert refused(engine, org.world.lead, rows_of(HEADER + f"WAIT,2026-01,VC1,5\n{code},{period},VC1,5\n")) \
            == [f"Row 3: '{period}' is not a period of the {frequency} indicator {code}; write it as {form}."], period


def test_value_that_is_not_a_number(engine, org):
    for cell in ("abc", "", "1.234,5", "12 kr", "nan", "inf", "-"):
        assert refused(engine, org.world.lead, rows_of(HEADER + f'WAIT,2026-01,VC1,"{cell}"\n')) == [
            f"Row 2: the value '{cell}' is not a number."], cell


def test_row_repeated_in_the_file(engine, org):
    # The same key written differently (month as a date, unit by name in another case) is still a repeat.
    text = HEADER + "WAIT,2026-01,VC1,5\nWAIT,2026-02,VC1,6\nWAIT,2026-01-01,vårdcentralen centrum,7\n"
    assert refused(engine, org.world.lead, rows_of(text)) == [
        "Row 4 repeats row 2: the same indicator, period and org unit."]


def test_value_outside_the_valid_range(engine, org):
    for line, message in [
        ("WAIT,2026-01,VC1,150", "Row 2: the value 150 is outside the valid range 0 to 100 of indicator WAIT."),
        ("WAIT,2026-01,VC1,100.5", "Row 2: the value 100.5 is outside the valid range 0 to 100 of indicator WAIT."),
        ("WAIT,2026-01,VC1,-0.5", "Row 2: the value -0.5 is outside the valid range 0 to 100 of indicator WAIT."),
        ("CALLS,2026-W05,VC1,-3", "Row 2: the value -3 is outside the valid range 0 to – of indicator CALLS."),
    ]:
        assert refused(engine, org.world.lead, rows_of(HEADER + line + "\n")) == [message], line
    # The bounds themselves are valid.
    assert run_import(engine, org.world.lead, rows_of(HEADER + "WAIT,2026-01,VC1,0\nWAIT,2026-02,VC1,100\n")) \
        == ImportResult(2, 0, 0)


def test_reporter_may_not_report_for_a_unit_outside_their_own(engine, org):
    text = HEADER + "WAIT,2026-01,VC1,5\nWAIT,2026-01,AKM,5\n"
    assert refused(engine, org.world.reporter, rows_of(text)) == [
        "Row 3: you may not report figures for Akutmottagningen."]


def test_reporter_may_not_report_for_the_whole_initiative(engine, org):
    assert refused(engine, org.world.reporter, rows_of(HEADER + "WAIT,2026-01,,5\n")) == [
        "Row 2: you may not report figures for the whole initiative, only for your own units."]


def test_users_without_a_reporting_role_may_not_report(engine, org):
    text = HEADER + "WAIT,2026-01,VC1,5\nWAIT,2026-02,,5\n"
    for role in ("stranger", "steering", "admin"):
        assert refused(engine, org.world.users[role], rows_of(text)) == [
            "Row 2: you may not report figures for Vårdcentralen Centrum.",
            "Row 3: you may not report figures for the whole initiative, only for your own units."], role


def test_a_file_with_many_errors_lists_all_of_them_and_imports_nothing(engine, org):
    text = HEADER + "\n".join([
        "WAIT,2026-01,VC1,5",          # 2 good
        "NOPE,2026-01,VC1,5",          # 3 unknown indicator
        "WAIT,2026-13,VC1,5",          # 4 bad period
        "WAIT,2026-02,VC1,many",       # 5 not a number
        "WAIT,2026-01,vc1,9",          # 6 repeats row 2
        "WAIT,2026-03,VC1,101",        # 7 out of range
        "WAIT,2026-04,Nowhere,5",      # 8 unknown unit
        "CALLS,2026-W05,,7",           # 9 good
        "CALLS,2026-03-03,Nowhere,x",  # 10 three problems in one row
    ]) + "\n"
    assert refused(engine, org.world.lead, rows_of(text)) == [
        "Row 3: unknown indicator 'NOPE'.",
        "Row 4: '2026-13' is not a period of the monthly indicator WAIT; write it as YYYY-MM.",
        "Row 5: the value 'many' is not a number.",
        "Row 6 repeats row 2: the same indicator, period and org unit.",
        "Row 7: the value 101 is outside the valid range 0 to 100 of indicator WAIT.",
        "Row 8: unknown org unit 'Nowhere'.",
        "Row 10: unknown org unit 'Nowhere'.",
        "Row 10: '2026-03-03' is not a period of the weekly indicator CALLS; write it as YYYY-Www.",
        "Row 10: the value 'x' is not a number.",
    ]
    assert stored(engine) == []


def test_more_than_200_problems_are_cut_short_with_a_count(engine, org):
    text = HEADER + "".join(f"NOPE{n},2026-01,VC1,5\n" for n in range(205))
    messages = refused(engine, org.world.lead, rows_of(text))
    assert len(messages) == 201
    assert messages[0] == "Row 2: unknown indicator 'NOPE0'."
    assert messages[199] == "Row 201: unknown indicator 'NOPE199'."
    assert messages[200] == "… and 5 more problems."


def test_missing_columns():
    with pytest.raises(ValidationError) as error:
        rows_of("Indicator;Period;Value\nWAIT;2026-01;5\n")
    assert error.value.render("en") == [
        "The file lacks the columns: org_unit. The first row must name the columns indicator, period, org_unit, value."]


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"", "m.csv", "The file is empty."),
    (b"\xef\xbb\xbf", "m.csv", "The file is empty."),
    (b"indicator,period,org_unit,value\nWAIT,2026-01,\x81\x8d,5\n", "m.csv",
     "The file is neither text (UTF-8, UTF-16 or Windows-1252) nor an Excel (.xlsx) file."),
    (b"not a workbook", "m.xlsx", "The file is not a readable Excel (.xlsx) file."),
])
def test_unreadable_files(content, filename, message):
    with pytest.raises(ValidationError) as error:
        read_rows(content, filename)
    assert error.value.render("en") == [message]


def test_a_file_with_only_the_header_imports_nothing(engine, org):
    assert rows_of(HEADER) == []
    assert refused(engine, org.world.lead, rows_of(HEADER + "\n,,,\n")) == ["There are no measurements to import."]


# ------------------------------------------------------------------ what a good import writes


def test_decimal_comma_is_accepted(engine, org):
    run_import(engine, org.world.lead, rows_of("indicator;period;org_unit;value\nWAIT;2026-01;VC1;12,5\n"))
    run_import(engine, org.world.lead, rows_of(HEADER + 'WAIT,2026-02,VC1,"7,25"\nCALLS,2026-W05,VC1," 1 000,5 "\n'))
    assert [v for *_, v in stored(engine)] == [12.5, 7.25, 1000.5]


def test_org_unit_by_code_or_by_name_in_any_case(engine, org):
    unit_id = org.world.unit.id
    text = HEADER + "WAIT,2026-01,VC1,1\nWAIT,2026-02,vc1,2\nWAIT,2026-03,Vårdcentralen Centrum,3\n" \
                    "WAIT,2026-04,VÅRDCENTRALEN CENTRUM,4\nWAIT,2026-05,  vc1-bm ,5\nWAIT,2026-06,,6\n"
    assert run_import(engine, org.world.lead, rows_of(text)) == ImportResult(6, 0, 0)
    wait = org.ids["WAIT"]
    assert stored(engine) == [
        (wait, date(2026, 1, 1), unit_id, 1.0), (wait, date(2026, 2, 1), unit_id, 2.0),
        (wait, date(2026, 3, 1), unit_id, 3.0), (wait, date(2026, 4, 1), unit_id, 4.0),
        (wait, date(2026, 5, 1), org.sub.id, 5.0), (wait, date(2026, 6, 1), None, 6.0),
    ]


def test_every_period_form_is_stored_as_the_first_day(engine, org):
    text = HEADER + ("WAIT,2026-03,,1\nWAIT,2026-04-01,,2\nCALLS,2026-W05,,3\nCALLS,2026-02-02,,4\n"
                     "VISITS,2026-02-28,,5\nQUEUE,2026-Q2,,6\nQUEUE,2026-07-01,,7\nSAT,2026,,8\n")
    run_import(engine, org.world.lead, rows_of(text))
    assert [(i, p) for i, p, _, _ in stored(engine)] == [
        (org.ids["WAIT"], date(2026, 3, 1)), (org.ids["WAIT"], date(2026, 4, 1)),
        (org.ids["CALLS"], date(2026, 1, 26)), (org.ids["CALLS"], date(2026, 2, 2)),
        (org.ids["VISITS"], date(2026, 2, 28)), (org.ids["QUEUE"], date(2026, 4, 1)),
        (org.ids["QUEUE"], date(2026, 7, 1)), (org.ids["SAT"], date(2026, 1, 1)),
    ]


def test_import_writes_rows_and_one_audit_event_per_initiative(engine, org):
    before_audit = audit_count(engine)
    result = run_import(engine, org.world.lead, rows_of(HEADER + "WAIT,2026-01,VC1,5\nCALLS,2026-W05,,7\n"),
                        file_name="jan.csv")
    assert result == ImportResult(2, 0, 0)
    with read_session(engine) as session:
        measurements = session.exec(select(Measurement).order_by(col(Measurement.id))).all()
        assert {(m.source, m.reported_by_id, m.version) for m in measurements} == {("import", org.world.lead.id, 1)}
        events = session.exec(select(AuditEvent).where(col(AuditEvent.id) > 0).order_by(col(AuditEvent.id))).all()
    assert len(events) == before_audit + 1
    event = events[-1]
    assert (event.action, event.entity, event.initiative_id, event.user_id, event.before) == (
        "measurement.import", "measurement", org.world.initiative.id, org.world.lead.id, None)
    # Every value the import wrote is in the audit event, not only a count.
    assert event.after == {"file": "jan.csv", "source": "import", "inserted": 2, "corrected": 0, "values": [
        {"indicator": "WAIT", "period": "2026-01-01", "org_unit_id": org.world.unit.id, "value": 5.0},
        {"indicator": "CALLS", "period": "2026-01-26", "org_unit_id": None, "value": 7.0}]}


def test_reimporting_the_same_file_changes_nothing(engine, org):
    text = HEADER + "WAIT,2026-01,VC1,5\nWAIT,2026-02,VC1,6.5\nCALLS,2026-W05,,7\n"
    assert run_import(engine, org.world.lead, rows_of(text)) == ImportResult(3, 0, 0)
    before = benefits_snapshot(engine)
    with read_session(engine) as session:
        version = data_version(session)
    assert run_import(engine, org.world.lead, rows_of(text)) == ImportResult(0, 0, 3)
    # The same values written differently (unit by name, decimal comma, month as a date) are unchanged too.
    same = "indicator;period;org_unit;value\nWAIT;2026-02-01;Vårdcentralen Centrum;6,5\n"
    assert run_import(engine, org.world.reporter, rows_of(same)) == ImportResult(0, 0, 1)
    assert benefits_snapshot(engine) == before
    with read_session(engine) as session:
        assert data_version(session) == version


def test_a_correction_updates_the_value_and_audits_the_old_one(engine, org):
    run_import(engine, org.world.lead, rows_of(HEADER + "WAIT,2026-01,VC1,12\nWAIT,2026-02,VC1,13\n"))
    with read_session(engine) as session:
        first = session.exec(select(Measurement).where(Measurement.period_start == date(2026, 1, 1))).one()
    result = run_import(engine, org.world.reporter,
                        rows_of(HEADER + "WAIT,2026-01,VC1,15\nWAIT,2026-02,VC1,13\nWAIT,2026-03,VC1,14\n"),
                        file_name="fix.csv")
    assert result == ImportResult(inserted=1, corrected=1, unchanged=1)
    with read_session(engine) as session:
        fixed = session.get(Measurement, first.id)
        event = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
    assert (fixed.value, fixed.version, fixed.reported_by_id) == (15.0, 2, org.world.reporter.id)
    assert event.action == "measurement.import"
    # Old and new value of every change: the correction 12 → 15 and the new March value.
    assert event.before == {"values": [{"indicator": "WAIT", "period": "2026-01-01",
                                        "org_unit_id": org.world.unit.id, "value": 12.0}]}
    assert event.after == {"file": "fix.csv", "source": "import", "inserted": 1, "corrected": 1, "values": [
        {"indicator": "WAIT", "period": "2026-03-01", "org_unit_id": org.world.unit.id, "value": 14.0},
        {"indicator": "WAIT", "period": "2026-01-01", "org_unit_id": org.world.unit.id, "value": 15.0}]}
    assert [v for *_, v in stored(engine)] == [15.0, 13.0, 14.0]


def test_reporter_may_report_for_their_unit_and_its_sub_units(engine, org):
    text = HEADER + "WAIT,2026-01,VC1,5\nWAIT,2026-01,VC1-BM,6\nWAIT,2026-02,Barnmottagningen,7\n"
    assert run_import(engine, org.world.reporter, rows_of(text)) == ImportResult(3, 0, 0)
    assert [u for _, _, u, _ in stored(engine)] == [org.world.unit.id, org.sub.id, org.sub.id]


def test_benefit_owner_may_report_for_any_unit_and_the_whole_initiative(engine, org):
    with write_session(engine) as session:
        owner = make_user(session, username="benefit-owner")
        benefit = make_benefit(session, org.world.initiative, owner=owner, title="Owned")
        make_indicator(session, benefit, code="OWNED")
    text = HEADER + "OWNED,2026-01,AKM,5\nOWNED,2026-01,,6\n"
    assert run_import(engine, owner, rows_of(text)) == ImportResult(2, 0, 0)
    # ... but only for the indicators of the benefits they own.
    assert refused(engine, owner, rows_of(HEADER + "WAIT,2026-01,AKM,5\n")) == [
        "Row 2: you may not report figures for Akutmottagningen."]


def test_progress_is_reported_at_the_end_with_the_total(engine, org):
    calls: list[tuple[int, int]] = []
    run_import(engine, org.world.lead, rows_of(HEADER + "WAIT,2026-01,VC1,5\nWAIT,2026-02,VC1,6\n"),
               progress=lambda done, total: calls.append((done, total)))
    assert calls == [(2, 2)]


def test_progress_every_5000_rows_and_also_when_the_file_is_refused(engine, org):
    start = date(2000, 1, 1)
    text = HEADER + "".join(f"VISITS,{(start + timedelta(days=n)).isoformat()},,{n}\n" for n in range(5001))
    calls: list[tuple[int, int]] = []
    with pytest.raises(ValidationError):
        run_import(engine, org.world.reporter, rows_of(text), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(5000, 5001), (5001, 5001)]
    calls.clear()
    assert run_import(engine, org.world.lead, rows_of(text), progress=lambda d, t: calls.append((d, t))) \
        == ImportResult(5001, 0, 0)
    assert calls == [(5000, 5001), (5001, 5001)]


# ------------------------------------------------------------------ reading files and templates


def test_read_rows_csv_with_comma_semicolon_and_tab():
    expected = [RawRow(2, "WAIT", "2026-01", "VC1", "12"), RawRow(4, "CALLS", "2026-W05", "", "7,5")]
    assert rows_of('indicator,period,org_unit,value\nWAIT,2026-01,VC1,12\n\nCALLS,2026-W05,,"7,5"\n') == expected
    assert rows_of("indicator;period;org_unit;value\nWAIT;2026-01;VC1;12\n;;;\nCALLS;2026-W05;;7,5\n") == expected
    assert rows_of("indicator\tperiod\torg_unit\tvalue\r\nWAIT\t2026-01\tVC1\t12\r\n\r\nCALLS\t2026-W05\t\t7,5\r\n") \
        == expected


def test_read_rows_columns_in_any_order_and_case_with_extra_columns_and_bom():
    text = "\ufeffValue;Comment;ORG_UNIT;Period;Indicator\n5;first;VC1;2026-01;WAIT\n6\n"
    assert read_rows(text.encode("utf-8"), "m.CSV") == [RawRow(2, "WAIT", "2026-01", "VC1", "5"),
                                                        RawRow(3, None, None, None, "6")]


def test_read_rows_xlsx(tmp_path, engine, org):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["indicator", "period", "org_unit", "value"])
    sheet.append(["WAIT", "2026-01", "VC1", 12.5])
    sheet.append([None, None, None, None])
    sheet.append(["WAIT", datetime(2026, 2, 1), "vc1", "7,5"])
    sheet.append(["SAT", 2026, None, 4])
    path = tmp_path / "measurements.xlsx"
    workbook.save(path)
    rows = read_rows(path.read_bytes(), "measurements.XLSX")
    assert rows == [RawRow(2, "WAIT", "2026-01", "VC1", 12.5), RawRow(4, "WAIT", datetime(2026, 2, 1), "vc1", "7,5"),
                    RawRow(5, "SAT", 2026, None, 4)]
    assert run_import(engine, org.world.lead, rows) == ImportResult(3, 0, 0)
    assert stored(engine) == [(org.ids["WAIT"], date(2026, 1, 1), org.world.unit.id, 12.5),
                              (org.ids["WAIT"], date(2026, 2, 1), org.world.unit.id, 7.5),
                              (org.ids["SAT"], date(2026, 1, 1), None, 4.0)]


def test_xlsx_errors_name_the_sheet_row(tmp_path, engine, org):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    sheet.append(["WAIT", "2026-01", "VC1", 12])
    sheet.append(["WAIT", "2026-01", "VC1", "twelve"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert refused(engine, org.world.lead, read_rows(buffer.getvalue(), "m.xlsx")) == [
        "Row 3: the value 'twelve' is not a number.", "Row 3 repeats row 2: the same indicator, period and org unit."]


def test_write_template_then_read_it(tmp_path, engine, org):
    with read_session(engine) as session:
        examples = template_examples(session)
    assert [code for code, _, _, _ in examples] == ["WAIT", "CALLS", "VISITS", "QUEUE", "SAT"]
    for suffix, unit in ((".csv", "VC1"), (".xlsx", "VC1-BM")):
        path = tmp_path / f"template{suffix}"
        write_template(path, examples)
        rows = read_rows(path.read_bytes(), path.name)
        assert [(r.row, r.indicator, r.period) for r in rows] == [
            (n, code, period) for n, (code, period, _, _) in enumerate(examples, start=2)], suffix
        assert all(r.value in ("", None) and r.org_unit in ("", None) for r in rows), suffix
        # Each example period parses for its indicator: filling in values makes an importable file.
        filled = [RawRow(r.row, r.indicator, r.period, unit, "1") for r in rows]
        assert run_import(engine, org.world.lead, filled) == ImportResult(5, 0, 0), suffix


def test_write_template_without_examples(tmp_path):
    path = tmp_path / "empty.csv"
    write_template(path)
    assert path.read_text(encoding="utf-8").splitlines() == ["indicator,period,org_unit,value"]
    assert read_rows(path.read_bytes(), path.name) == []


# ------------------------------------------------------------------ the command line


def test_cli_refuses_a_bad_file_and_writes_nothing(engine, org, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "WAIT,2026-01,VC1,5\nNOPE,2026-01,VC1,5\nWAIT,2026-13,VC1,x\n", encoding="utf-8")
    before = benefits_snapshot(engine)
    result = CliRunner().invoke(cli, ["import-measurements", str(path), "--as", "lead"])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: Row 3: unknown indicator 'NOPE'.",
        "error: Row 4: '2026-13' is not a period of the monthly indicator WAIT; write it as YYYY-MM.",
        "error: Row 4: the value 'x' is not a number.",
    ]
    assert result.stdout == ""
    assert benefits_snapshot(engine) == before


def test_cli_reports_permission_problems_per_row(engine, org, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    path = tmp_path / "other.csv"
    path.write_text(HEADER + "WAIT,2026-01,AKM,5\n", encoding="utf-8")
    before = benefits_snapshot(engine)
    result = CliRunner().invoke(cli, ["import-measurements", str(path), "--as", "reporter"])
    assert result.exit_code == 1
    assert "error: Row 2: you may not report figures for Akutmottagningen." in result.stderr.splitlines()
    assert benefits_snapshot(engine) == before


def test_cli_imports_a_good_file(engine, org, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    path = tmp_path / "good.csv"
    path.write_text(HEADER + "WAIT,2026-01,VC1,5\nWAIT,2026-02,VC1,6\nCALLS,2026-W05,,7\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import-measurements", str(path), "--as", "lead"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "3 rows: 3 new, 0 corrected, 0 unchanged (read as UTF-8)"
    assert len(stored(engine)) == 3
    again = CliRunner().invoke(cli, ["import-measurements", str(path), "--as", "lead"])
    assert again.exit_code == 0
    assert again.stdout.strip() == "3 rows: 0 new, 0 corrected, 3 unchanged (read as UTF-8)"


def test_cli_unknown_user_and_missing_arguments(engine, org, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    path = tmp_path / "good.csv"
    path.write_text(HEADER + "WAIT,2026-01,VC1,5\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import-measurements", str(path), "--as", "nobody"])
    assert result.exit_code == 2
    assert "no such user: nobody" in result.stderr
    result = CliRunner().invoke(cli, ["import-measurements", str(path)])
    assert result.exit_code == 2
    assert "give FILE and --as USER (or --template FILE)" in result.stderr
    assert stored(engine) == []


def test_cli_writes_a_template(engine, org, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    path = tmp_path / "out.csv"
    result = CliRunner().invoke(cli, ["import-measurements", "--template", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote template {path}"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "indicator,period,org_unit,value"
    assert [line.split(",")[0] for line in lines[1:]] == ["WAIT", "CALLS", "VISITS", "QUEUE", "SAT"]


# ------------------------------------------------------------------ ambiguous names


def test_an_ambiguous_org_unit_name_is_refused(engine, org):
    with write_session(engine) as session:
        first = make_org_unit(session, name="Akutmottagningen Norr")
        second = make_org_unit(session, name="akutmottagningen norr")
        first.code, second.code = "AKN-1", "AKN-2"
        session.add_all([first, second])
    before = benefits_snapshot(engine)
    with pytest.raises(ValidationError) as error:
        run_import(engine, org.world.lead, rows_of(HEADER + "WAIT,2026-01,Akutmottagningen Norr,5\n"))
    assert [str(m) for m in error.value.messages] == [
        "Row 2: several org units are named 'Akutmottagningen Norr'; give the unit's code instead."]
    assert benefits_snapshot(engine) == before


# ------------------------------------------------------------------ two imports at once


def test_two_simultaneous_imports_of_the_same_rows_store_them_once(engine, org):
    """The second import waits on the initiative's write lock until the first commits, then finds
    the rows stored and unchanged, on both databases. Each row is stored once."""
    import threading

    rows = rows_of(HEADER + "WAIT,2026-01,VC1,5\nWAIT,2026-02,VC1,6\n")
    outcome: dict[str, object] = {}
    first_written = threading.Event()

    def second() -> None:
        first_written.wait()
        outcome["second"] = run_import(engine, org.world.lead, rows)

    thread = threading.Thread(target=second)
    thread.start()
    with write_session(engine) as session:
        outcome["first"] = import_measurements(session=session, actor=actor(session, org.world.lead), rows=rows)
        first_written.set()
        thread.join(timeout=2)  # the second import is blocked behind this open transaction
        assert thread.is_alive()
    thread.join(timeout=30)
    assert (outcome["first"], outcome["second"]) == (ImportResult(2, 0, 0), ImportResult(0, 0, 2))
    assert [(period, value) for _, period, _, value in stored(engine)] == [(date(2026, 1, 1), 5.0),
                                                                            (date(2026, 2, 1), 6.0)]
