"""Data for BI tools: the files and their exact columns, CSV neutralised, Parquet typed, row counts, chunked
reading, the command, and the README's tables. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from db.engine import read_session, write_session
from db.models import GateDecision, RoleAssignment
from portfolio import bi_export
from portfolio.benefits_math import CashflowYear
from portfolio.bi_export import TABLES, readme_tables, write_bi_export
from portfolio.cli import main
from tests.factories import (
    make_benefit,
    make_calculation,
    make_indicator,
    make_initiative,
    make_measurement,
    make_org_unit,
    make_portfolio,
    make_user,
)

ROOT = Path(__file__).resolve().parents[1]
FORMULA_TITLE = '=HYPERLINK("http://evil.example","Click")'

HEADERS = {
    "portfolios": ["portfolio_id", "name", "parent_portfolio_id"],
    "org_units": ["org_unit_id", "name", "code", "parent_org_unit_id"],
    "initiatives": [
        "initiative_id", "title", "portfolio_id", "org_unit_id", "stage", "status", "on_hold", "hold_review_date",
        "estimated_cost", "created_at", "stage_entered_at", "description", "need_description", "need_owner",
        "expected_effects", "internal", "description_internal", "need_description_internal",
        "expected_effects_internal", "stop_reason_internal", "lessons_learned_internal", "rationale_internal"],
    "decisions": [
        "decision_id", "initiative_id", "decided_at", "outcome", "from_stage", "to_stage", "rationale", "conditions",
        "conditions_met", "hold_review_date", "stop_reason", "lessons_learned", "rework"],
    "benefits": [
        "benefit_id", "initiative_id", "title", "category", "recipient", "kind", "description",
        "planned_realisation_date", "money_per_unit", "strategic_goal"],
    "indicators": [
        "indicator_id", "benefit_id", "initiative_id", "code", "name", "unit", "direction", "frequency", "aggregation",
        "baseline_value", "original_baseline_value", "baseline_date", "baseline_period", "baseline_source",
        "target_value", "target_date", "amber_tolerance", "red_tolerance", "valid_min", "valid_max",
        "volume_per_year", "data_source", "definition", "method", "deviation_explanation", "latest_period_start",
        "latest_value", "progress", "status"],
    "measurements": ["measurement_id", "indicator_id", "period_start", "org_unit_id", "value", "source",
                     "reported_at"],
    "calculation_years": ["initiative_id", "year", "investment", "operation", "benefit", "benefit_low",
                          "benefit_high", "benefit_from_indicators", "discount_rate"],
}
ROWS = {"portfolios": 2, "org_units": 4, "initiatives": 3, "decisions": 2, "benefits": 2, "indicators": 3,
        "measurements": 5, "calculation_years": 2}


@pytest.fixture
def filled(engine) -> dict[str, int]:
    """Two portfolios, a small unit tree, an internal initiative, decisions, indicators measured per unit and for
    the whole initiative, a calculation, and text that a spreadsheet would take as a formula."""
    with write_session(engine) as session:
        owner = make_user(session, username="owner")
        top = make_portfolio(session, owner=owner, name="Region")
        child = make_portfolio(session, owner=owner, parent=top, name="Primärvård")
        session.add(RoleAssignment(user_id=owner.id, role="portfolio_owner", portfolio_id=top.id))
        region = make_org_unit(session, name="Region Norr", code="SE2321000000-0001")
        west, east = make_org_unit(session, name="VC Väst", parent=region), make_org_unit(session, name="VC Öst",
                                                                                          parent=region)
        other = make_org_unit(session, name="-Apotek")
        triage = make_initiative(session, portfolio=child, creator=owner, stage="pilot", org_unit=region,
                                 title=FORMULA_TITLE, description="+46 70 123 45 67", estimated_cost=250_000.5,
                                 created_at=datetime(2026, 1, 10, 9, 0, tzinfo=timezone.utc))
        secret = make_initiative(session, portfolio=top, creator=owner, stage="concept", org_unit=other,
                                 title="Secret merger", internal=True, description_internal=True)
        make_initiative(session, portfolio=top, creator=owner, stage="idea", org_unit=other, title="@SUM(A1)",
                        on_hold=True, hold_review_date=date(2026, 12, 1))
        for initiative, outcome, to_stage in ((triage, "go", "concept"), (secret, "go", "concept")):
            session.add(GateDecision(initiative_id=initiative.id, outcome=outcome, from_stage="idea",
                                     to_stage=to_stage, decided_by_id=owner.id, rationale="-1+2 says the board",
                                     decided_at=datetime(2026, 2, 1, 10, 0, tzinfo=timezone.utc)))
        waits = make_benefit(session, triage, by=owner, title="Shorter waits", money_per_unit=1200.0)
        days = make_indicator(session, waits, by=owner, name="Days to first contact", unit="days",
                              direction="lower", baseline_value=20.0, target_value=10.0, aggregation="mean")
        calls = make_indicator(session, waits, by=owner, name="Calls", baseline_value=100.0, target_value=200.0)
        make_indicator(session, waits, by=owner, name="Never measured")
        make_benefit(session, secret, by=owner, title="Merged budgets")
        make_measurement(session, days, period=date(2025, 5, 1), value=18.0)
        make_measurement(session, days, period=date(2025, 6, 1), value=14.0, org_unit=west)
        make_measurement(session, days, period=date(2025, 6, 1), value=16.0, org_unit=east)
        make_measurement(session, calls, period=date(2025, 6, 1), value=60.0, org_unit=west)
        make_measurement(session, calls, period=date(2025, 6, 1), value=90.0, org_unit=east)
        make_calculation(session, triage, [CashflowYear(year=2026, investment=100_000.0, benefit=20_000.0),
                                           CashflowYear(year=2027, operation=10_000.0, benefit=80_000.0)], by=owner)
        return {"triage": triage.id, "secret": secret.id, "days": days.id, "calls": calls.id}


def _write(engine, directory: Path):
    with read_session(engine) as session:
        return write_bi_export(session=session, directory=directory)


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_every_file_has_its_exact_columns_and_every_row(engine, filled, tmp_path):
    tmp_path = tmp_path / "bi"
    written = _write(engine, tmp_path)
    assert [(w.table, w.rows) for w in written] == list(ROWS.items())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{name}.{kind}" for name in ROWS for kind in ("csv", "parquet"))
    for name, header in HEADERS.items():
        rows = _csv(tmp_path / f"{name}.csv")
        assert rows[0] == header, name
        assert len(rows) - 1 == ROWS[name], name
        parquet = pq.read_table(tmp_path / f"{name}.parquet")
        assert parquet.column_names == header, name
        assert parquet.num_rows == ROWS[name], name
    # The files start with a byte-order mark, which Excel needs to read å, ä and ö.
    assert (tmp_path / "org_units.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_csv_cells_that_look_like_formulas_are_neutralised(engine, filled, tmp_path):
    _write(engine, tmp_path)
    initiatives = {row[0]: row for row in _csv(tmp_path / "initiatives.csv")[1:]}
    triage = initiatives[str(filled["triage"])]
    assert triage[1] == "'" + FORMULA_TITLE
    assert triage[11] == "'+46 70 123 45 67"
    assert sorted(row[1] for row in initiatives.values()) == ["'" + FORMULA_TITLE, "'@SUM(A1)", "Secret merger"]
    assert {row[6] for row in _csv(tmp_path / "decisions.csv")[1:]} == {"'-1+2 says the board"}
    assert "'-Apotek" in [row[1] for row in _csv(tmp_path / "org_units.csv")[1:]]
    # Figures stay figures: numbers, ISO dates and UTC times as they are.
    assert (triage[8], triage[9], triage[5], triage[6]) == ("250000.5", "2026-01-10T09:00:00+00:00", "active",
                                                            "False")


def test_parquet_has_the_types_and_the_raw_values(engine, filled, tmp_path):
    _write(engine, tmp_path)
    initiatives = pq.read_table(tmp_path / "initiatives.parquet")
    types = dict(zip(initiatives.column_names, initiatives.schema.types))
    assert (types["initiative_id"], types["title"], types["on_hold"], types["hold_review_date"],
            types["estimated_cost"], types["created_at"]) == (
        pa.int64(), pa.string(), pa.bool_(), pa.date32(), pa.float64(), pa.timestamp("us", tz="UTC"))
    rows = {row["initiative_id"]: row for row in initiatives.to_pylist()}
    triage = rows[filled["triage"]]
    # Parquet is no spreadsheet: the text is kept as typed.
    assert (triage["title"], triage["estimated_cost"], triage["created_at"]) == (
        FORMULA_TITLE, 250_000.5, datetime(2026, 1, 10, 9, 0, tzinfo=timezone.utc))
    assert (rows[filled["secret"]]["internal"], rows[filled["secret"]]["description_internal"]) == (True, True)
    on_hold = next(row for row in rows.values() if row["on_hold"])
    assert (on_hold["status"], on_hold["hold_review_date"]) == ("on_hold", date(2026, 12, 1))
    for table in TABLES:
        parquet = pq.read_table(tmp_path / f"{table.name}.parquet")
        assert parquet.schema == table.schema, table.name


def test_indicators_carry_their_latest_figures(engine, filled, tmp_path):
    _write(engine, tmp_path)
    indicators = {row["name"]: row for row in pq.read_table(tmp_path / "indicators.parquet").to_pylist()}
    days, calls, never = (indicators[name] for name in ("Days to first contact", "Calls", "Never measured"))
    # Days: a mean across the units of its latest period (14 and 16); calls: a sum (60 and 90).
    assert (days["latest_period_start"], days["latest_value"], days["progress"]) == (date(2025, 6, 1), 15.0, 0.5)
    assert (calls["latest_value"], calls["progress"], calls["status"]) == (150.0, 0.5, "green")
    assert (never["latest_value"], never["progress"], never["status"]) == (None, None, "unknown")
    assert days["initiative_id"] == filled["triage"] and days["aggregation"] == "mean"


def test_large_tables_are_read_and_written_in_chunks(engine, filled, tmp_path, monkeypatch):
    whole = tmp_path / "whole"
    _write(engine, whole)
    monkeypatch.setattr(bi_export, "CHUNK", 2)
    chunked = tmp_path / "chunked"
    _write(engine, chunked)
    assert pq.ParquetFile(chunked / "measurements.parquet").num_row_groups == 3
    for name in ROWS:
        assert (chunked / f"{name}.csv").read_bytes() == (whole / f"{name}.csv").read_bytes(), name
        assert pq.read_table(chunked / f"{name}.parquet").equals(pq.read_table(whole / f"{name}.parquet")), name


def test_an_empty_database_gives_files_with_headers_only(engine, tmp_path):
    _write(engine, tmp_path)
    for name, header in HEADERS.items():
        assert _csv(tmp_path / f"{name}.csv") == [header]
        assert pq.read_table(tmp_path / f"{name}.parquet").num_rows == 0


def test_the_command_writes_every_file(db_url, engine, filled, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    target = tmp_path / "bi"
    result = CliRunner().invoke(main, ["export-data", str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [re.sub(r"\(\d+\.\d s\)", "(T s)", line) for line in lines] == [
        *(f"wrote {rows} rows to {name}.csv and {name}.parquet (T s)" for name, rows in ROWS.items()),
        f"exported to {target}"]
    assert pq.read_table(target / "measurements.parquet").num_rows == 5


def test_the_readme_documents_every_file_and_column():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_tables() in readme
    assert [table.name for table in TABLES] == list(HEADERS)
    assert {table.name: [c.name for c in table.columns] for table in TABLES} == HEADERS

