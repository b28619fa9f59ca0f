"""The fast paths of an import say exactly what the plain ones say: a number is stored as the exact float
it reads as, on both databases; repeated cells are looked up once but each row still gets its own
verdict; a cell that is not text is never taken for the text it equals."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import AuditEvent, Measurement
from portfolio.errors import Conflict, ValidationError
from portfolio.measurement_files import RawRow
from portfolio.measurements import AUDIT_PART, STREAM_FROM_ROWS, ImportResult, import_measurements, parse_number
from tests.factories import actor, snapshot
from tests.test_measurement_import import org, rows_of, run_import  # noqa: F401  (org is a fixture)


@pytest.mark.parametrize("cell, number", [
    ("12,5", 12.5), (" 12.5 ", 12.5), ("1 234,5", 1234.5), ("1\u00a0234", 1234.0), ("1\u202f234\u202f567", 1234567.0),
    ("\u22123,5", -3.5), ("-0", -0.0), ("1e3", 1000.0), (",5", 0.5), ("0.1", 0.1),
    ("1_000", None), ("inf", None), ("1,2,3", None), ("١", None), ("12 34", None), ("", None),
])
def test_numbers_read_as_people_write_them(cell, number):
    assert parse_number(cell) == number
    if number is not None:
        assert str(parse_number(cell)) == str(number)  # the sign of zero too


VALUES = [0.1, 1 / 3, 123456789.123456789, 1e15, -1e15, 5e-324, 2.5, 0.0]


def test_values_are_stored_as_the_exact_floats_they_read_as(engine, org):
    text = "indicator;period;org_unit;value\n" + "".join(
        f"VISITS;2026-01-{day + 1:02d};{'VC1' if day % 2 else ''};{value!r}\n" for day, value in enumerate(VALUES))
    assert run_import(engine, org.world.lead, rows_of(text)).inserted == len(VALUES)
    with read_session(engine) as session:
        stored = session.exec(select(Measurement.period_start, Measurement.org_unit_id, Measurement.value,
                                     Measurement.source, Measurement.reported_at)
                              .order_by(col(Measurement.period_start))).all()
    assert [value for _, _, value, _, _ in stored] == VALUES
    assert [unit for _, unit, _, _, _ in stored] == [org.world.unit.id if day % 2 else None
                                                      for day in range(len(VALUES))]
    assert [period for period, *_ in stored] == [date(2026, 1, day + 1) for day in range(len(VALUES))]
    assert {source for *_, source, _ in stored} == {"import"}
    assert len({at for *_, at in stored}) == 1  # one import, one time


def test_repeated_cells_still_give_every_row_its_own_problems(engine, org):
    text = ("indicator,period,org_unit,value\n"
            "WAIT,2026-01,VC1,1\n"
            "WAIT,2026-01,VC1,2\n"        # a repeat of row 2
            "WAIT,2026-13,VC1,3\n"        # the same indicator and unit, another (wrong) period
            "NOPE,2026-02,VC1,4\n"
            "NOPE,2026-02,AKM,x\n"
            "WAIT,2026-02,AKM,500\n")
    with pytest.raises(ValidationError) as refused:
        run_import(engine, org.world.lead, rows_of(text))
    assert [p.message.render("en") for p in refused.value.problems] == [
        "Row 3 repeats row 2: the same indicator, period and org unit.",
        "Row 4: '2026-13' is not a period of the monthly indicator WAIT; write it as YYYY-MM.",
        "Row 5: unknown indicator 'NOPE'.",
        "Row 6: unknown indicator 'NOPE'.",
        "Row 6: the value 'x' is not a number.",
        "Row 7: the value 500 is outside the valid range 0 to 100 of indicator WAIT.",
    ]
    with read_session(engine) as session:
        assert session.exec(select(Measurement)).all() == []


def test_a_cell_that_is_not_text_is_not_taken_for_the_text_it_equals(engine, org):
    # 1, 1.0 and True are equal dictionary keys; as cells they read as "1", "1" and "True".
    rows = [RawRow(2, "WAIT", "2026-01", "VC1", 1), RawRow(3, "WAIT", "2026-02", "VC1", True),
            RawRow(4, "WAIT", date(2026, 3, 1), "VC1", 1.0), RawRow(5, "WAIT", "2026-03", "VC1", "1")]
    with pytest.raises(ValidationError) as refused:
        run_import(engine, org.world.lead, rows)
    assert [p.message.render("en") for p in refused.value.problems] == [
        "Row 3: the value 'True' is not a number.",
        "Row 5 repeats row 4: the same indicator, period and org unit.",  # a date cell names its month
    ]


# ---------------------------------------------------------------- large files (streamed into COPY on PostgreSQL)


def _big_file(days: int, units=("VC1", "VC1-BM", "")) -> str:
    start = date(2020, 1, 1)
    return "indicator;period;org_unit;value\n" + "".join(
        f"VISITS;{date.fromordinal(start.toordinal() + day).isoformat()};{unit};{day % 97},5\n"
        for day in range(days) for unit in units)


def _stored(engine) -> list[tuple]:
    with read_session(engine) as session:
        return session.exec(select(Measurement.indicator_id, Measurement.period_start, Measurement.org_unit_id,
                                   Measurement.value, Measurement.version).order_by(col(Measurement.id))).all()


def test_a_large_file_is_written_whole_and_a_second_import_changes_nothing(engine, org):
    rows = rows_of(_big_file(2000))
    assert len(rows) == 6000 >= STREAM_FROM_ROWS
    assert run_import(engine, org.world.lead, rows) == ImportResult(6000, 0, 0)
    stored = _stored(engine)
    assert len(stored) == 6000 and stored[0][3] == 0.5 and stored[-1][3] == 1999 % 97 + 0.5
    assert run_import(engine, org.world.lead, rows) == ImportResult(0, 0, 6000)
    assert _stored(engine) == stored


def test_a_large_file_with_a_problem_in_its_last_row_writes_nothing(engine, org):
    text = _big_file(2000) + "VISITS;2031-02-30;VC1;1\n"
    before = snapshot(engine)
    with write_session(engine) as session:
        with pytest.raises(ValidationError) as refused:
            import_measurements(session=session, actor=actor(session, org.world.lead), rows=rows_of(text))
        # The transaction is still usable: what the refused import streamed was undone on its own.
        assert session.exec(select(func.count()).select_from(Measurement)).one() == 0
    assert [p.message.render("en") for p in refused.value.problems] == [
        "Row 6002: '2031-02-30' is not a period of the daily indicator VISITS; write it as YYYY-MM-DD."]
    assert snapshot(engine) == before


def test_a_large_file_corrects_stored_values_and_audits_old_and_new(engine, org):
    run_import(engine, org.world.lead, rows_of("indicator;period;org_unit;value\nVISITS;2020-01-02;VC1;7\n"
                                               "VISITS;2020-01-03;VC1;2,5\n"))
    assert run_import(engine, org.world.lead, rows_of(_big_file(2000))) == ImportResult(5998, 1, 1)
    with read_session(engine) as session:
        corrected = session.exec(select(Measurement.value, Measurement.version).where(
            Measurement.period_start == date(2020, 1, 2), Measurement.org_unit_id == org.world.unit.id)).one()
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "measurement.import")
                              .order_by(col(AuditEvent.id))).all()
    assert tuple(corrected) == (1.5, 2)
    olds = [v for e in events[1:] for v in (e.before or {}).get("values", [])]
    assert olds == [{"indicator": "VISITS", "period": "2020-01-02", "org_unit_id": org.world.unit.id, "value": 7.0}]
    assert sum(len(e.after["values"]) for e in events[1:]) == 5999
    assert all(len(e.after["values"]) <= AUDIT_PART for e in events)


def test_a_large_file_of_stale_grid_rows_writes_nothing(engine, org):
    run_import(engine, org.world.lead, rows_of("indicator;period;org_unit;value\nVISITS;2020-01-02;VC1;7\n"))
    rows = [RawRow(r.row, r.indicator, r.period, r.org_unit, r.value, seen_version=0)
            for r in rows_of(_big_file(2000))]
    before = _stored(engine)
    with pytest.raises(Conflict):
        run_import(engine, org.world.lead, rows)
    assert _stored(engine) == before
