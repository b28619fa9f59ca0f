"""AppTest of the benefit calculation on the Benefits tab, fed by the indicators: the volumes each indicator
counts for, the years proposed from the indicators, each year's source, realised against planned money in the
table and in the chart."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import CalculationYear, Indicator
from portfolio.benefits_math import CashflowYear
from tests.factories import World, benefits_snapshot, make_benefit, make_calculation, make_indicator, make_measurement
from tests.ui.conftest import open_initiative, open_section, sign_in, texts

RESULT = ["Year", "Investment", "Operation", "Benefit, expected", "Source", "Planned from indicators",
          "Realised from indicators", "Net", "Discounted net", "Cumulative"]


@pytest.fixture
def waits(app_db) -> tuple[World, int]:
    """Waiting minutes per visit, yearly, lower is better: 40 on 2025-01-01 to 25 on 2028-01-01, 850 SEK per
    minute and visit; 36 measured in 2026 and 31 in 2027. No volume yet, and no calculation."""
    with write_session(app_db) as session:
        world = World(session, stage="pilot")
        benefit = make_benefit(session, world.initiative, title="Shorter waits", money_per_unit=850)
        indicator = make_indicator(session, benefit, code="WAIT", name="Waiting minutes", unit="minutes",
                                   direction="lower", frequency="year", aggregation="mean",
                                   baseline_value=40.0, baseline_date=date(2025, 1, 1),
                                   target_value=25.0, target_date=date(2028, 1, 1))
        make_measurement(session, indicator, period=date(2026, 1, 1), value=36.0)
        make_measurement(session, indicator, period=date(2027, 1, 1), value=31.0)
    return world, indicator.id


def _set_volume(app_db, indicator_id: int, volume: float) -> None:
    with write_session(app_db) as session:
        indicator = session.get(Indicator, indicator_id)
        indicator.volume_per_year = volume
        session.add(indicator)


def _frame(app, columns: list[str]) -> list[list]:
    frame = next(d.value for d in app.dataframe if list(d.value.columns) == columns)
    return [[None if value != value else value for value in row] for row in frame.values.tolist()]  # NaN → None


def test_the_lead_gives_an_indicator_its_volume_and_sees_its_money(app, waits, app_db):
    world, indicator_id = waits
    sign_in(app, "lead")
    open_initiative(app, world.initiative.id, "Benefits")
    open_section(app, "open_money_from_indicators")
    assert ("No indicator gives money yet: its benefit needs a money value per indicator unit (in the benefit's "
            "form), and the indicator a volume per year (here), a baseline and a target.") in texts(app.caption)
    before = benefits_snapshot(app_db)
    app.session_state["volume_editor"] = {"edited_rows": {0: {"volume_per_year": -5}}, "added_rows": [],
                                          "deleted_rows": []}
    app.button(key="save_volumes").click().run()
    assert texts(app.error) == ["WAIT: the volume per year must be zero or more."]
    assert benefits_snapshot(app_db) == before
    app.session_state["volume_editor"] = {"edited_rows": {0: {"volume_per_year": 1200}}, "added_rows": [],
                                          "deleted_rows": []}
    app.button(key="save_volumes").click().run()
    assert "The volumes are saved." in texts(app.success)
    with read_session(app_db) as session:
        assert session.get(Indicator, indicator_id).volume_per_year == 1200
    # One minute is worth 850 × 1,200 = 1,020,000 a year: planned 5, 10, 15 minutes; realised 4 and 9.
    assert _frame(app, ["Year", "Planned from indicators", "Realised from indicators", "Expected from indicators"]) \
        == [["2025", "0", "–", "0"], ["2026", "5,100,000", "4,080,000", "4,080,000"],
            ["2027", "10,200,000", "9,180,000", "9,180,000"], ["2028", "15,300,000", "–", "15,300,000"]]
    # Saving again without a change says so, and writes nothing.
    before = benefits_snapshot(app_db)
    app.button(key="save_volumes").click().run()
    assert texts(app.warning) == ["Nothing to save: no volume was changed."]
    assert benefits_snapshot(app_db) == before


def test_a_new_calculation_starts_from_the_indicators_years_and_saves_them_from_indicators(app, waits, app_db):
    world, indicator_id = waits
    _set_volume(app_db, indicator_id, 1200)
    sign_in(app, "lead")
    open_initiative(app, world.initiative.id, "Benefits")
    assert "There is no benefit calculation yet." in texts(app.info)
    open_section(app, "open_calculation")
    editor = _frame(app, ["year", "investment", "operation", "benefit_low", "benefit", "benefit_high", "indicators"])
    # Each expected benefit empty: from the indicators, whose figure stands beside it.
    assert [(row[0], row[4], row[6]) for row in editor] == [
        (2025, None, "0"), (2026, None, "4,080,000"), (2027, None, "9,180,000"), (2028, None, "15,300,000")]
    # The lead invests in 2025 and types 2028's benefit by hand.
    app.session_state["calculation_editor"] = {"edited_rows": {0: {"investment": 6_000_000},
                                                               3: {"benefit": 12_000_000}},
                                               "added_rows": [], "deleted_rows": []}
    # No rerun between the edit and the click: the click carries the edit, as a quick click in the browser does.
    app.button(key="save_calculation").click().run()
    assert "The benefit calculation is saved." in texts(app.success)
    with read_session(app_db) as session:
        stored = session.exec(select(CalculationYear.year, CalculationYear.investment, CalculationYear.benefit,
                                     CalculationYear.benefit_from_indicators)
                              .order_by(col(CalculationYear.year))).all()
    assert [(year, investment, round(benefit), marked) for year, investment, benefit, marked in stored] == [
        (2025, 6_000_000, 0, True), (2026, 0, 4_080_000, True), (2027, 0, 9_180_000, True),
        (2028, 0, 12_000_000, False)]
    rows = _frame(app, RESULT)
    assert [row[:7] for row in rows] == [
        ["2025", "6,000,000", "0", "0", "From indicators", "0", "–"],
        ["2026", "0", "0", "4,080,000", "From indicators", "5,100,000", "4,080,000"],
        ["2027", "0", "0", "9,180,000", "From indicators", "10,200,000", "9,180,000"],
        ["2028", "0", "0", "12,000,000", "Typed by hand", "15,300,000", "–"],
    ]


def test_a_swedish_reader_sees_and_types_amounts_in_swedish_digits(app, waits, app_db):
    """The table's cells are the reader's digits (not the browser's), and what they type is read so: "1 200 000"
    and "2,5". A typo is refused, naming its year, and nothing is saved."""
    from db.models import User

    world, indicator_id = waits
    with write_session(app_db) as session:
        make_calculation(session, world.initiative, [CashflowYear(2026, 1_500_000.5, 0.0, 250_000.0)])
        session.exec(select(User).where(User.id == world.lead.id)).one().language = "sv"
    sign_in(app, "lead")
    open_initiative(app, world.initiative.id, "Nyttor")
    open_section(app, "open_calculation")
    editor = _frame(app, ["year", "investment", "operation", "benefit_low", "benefit", "benefit_high", "indicators"])
    assert [row[:6] for row in editor] == [[2026, "1\u00a0500\u00a0000,5", "0", None, "250\u00a0000", None]]
    before = benefits_snapshot(app_db)
    app.session_state["calculation_editor"] = {"edited_rows": {0: {"operation": "12 kr"}}, "added_rows": [],
                                               "deleted_rows": []}
    app.button(key="save_calculation").click().run()
    assert texts(app.error) == ["År 2026: alla belopp måste vara tal."]
    assert benefits_snapshot(app_db) == before
    app.session_state["calculation_editor"] = {"edited_rows": {0: {"investment": "1 200 000", "operation": "2,5"}},
                                               "added_rows": [], "deleted_rows": []}
    app.button(key="save_calculation").click().run()
    with read_session(app_db) as session:
        stored = session.exec(select(CalculationYear.year, CalculationYear.investment, CalculationYear.operation,
                                     CalculationYear.benefit)).all()
    assert stored == [(2026, 1_200_000.0, 2.5, 250_000.0)]


def test_the_chart_draws_realised_against_planned_money(app, waits, app_db):
    world, indicator_id = waits
    _set_volume(app_db, indicator_id, 1200)
    with write_session(app_db) as session:
        make_calculation(session, world.initiative, [
            CashflowYear(2026, investment=1_000_000, from_indicators=True),
            CashflowYear(2027, from_indicators=True)])
    sign_in(app, "steering")
    open_initiative(app, world.initiative.id, "Benefits")
    open_section(app, "open_calculation_chart")
    [chart] = app.get("vega_lite_chart")
    values = [row for dataset in chart.proto.datasets
              for row in pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()]
    assert sorted((row["year"], row["series"], round(row["amount"])) for row in values
                  if row["series"] in ("Planned benefit", "Realised benefit")) == [
        ("2026", "Planned benefit", 5_100_000), ("2026", "Realised benefit", 4_080_000),
        ("2027", "Planned benefit", 10_200_000), ("2027", "Realised benefit", 9_180_000)]
    # 2026: 4,080,000 − 1,000,000; 2027: 9,180,000 / 1.03.
    assert sorted((row["year"], round(row["amount"])) for row in values if row["series"] == "Discounted net") == [
        ("2026", 3_080_000), ("2027", 8_912_621)]
    spec = json.loads(chart.proto.spec)
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Amount"
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Year"
