"""AppTest of the follow-up page (Follow-up by level): a link with the unit and the level shows that view, with the
unit's and its sub-units' figures against the plan and their status, a chart per indicator, the "not available at
this level" rule in words, the choices written to the address, every choice list asking to choose, and someone
outside every steering group told so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from db.engine import write_session
from portfolio.benefits_math import format_period, period_start
from portfolio.dashboard import organisation_today
from tests.factories import World, make_benefit, make_indicator, make_measurement, make_org_unit
from tests.ui.conftest import no_exception, sign_in, texts
from workflows.vocabulary import Frequency

PAGE = "portfolio/ui/indicator_views.py"


@dataclass
class Figures:
    world: World
    unit: int
    months: list[date]


@pytest.fixture
def figures(app_db) -> Figures:
    """In the world's initiative, a monthly mean indicator planned flat at 10: this month the unit reports 8 and a
    ward below it 12 (mean 10, on plan); last month the ward 6 (behind plan). A sibling unit's 1000 stays out."""
    today = organisation_today()
    this_month = period_start(Frequency.MONTH, today)
    last_month = period_start(Frequency.MONTH, this_month - timedelta(days=1))
    before = period_start(Frequency.MONTH, last_month - timedelta(days=1))
    with write_session(app_db) as session:
        world = World(session)
        ward = make_org_unit(session, name="Ward 3", parent=world.unit)
        sibling = make_org_unit(session, name="Vårdcentralen Norr")
        benefit = make_benefit(session, world.initiative)
        waits = make_indicator(session, benefit, name="Patients seen same day", unit="%", frequency="month",
                               aggregation="mean", direction="higher", baseline_value=10, target_value=10,
                               baseline_date=today - timedelta(days=400), target_date=today - timedelta(days=200))
        make_measurement(session, waits, period=this_month, value=8, org_unit=world.unit)
        make_measurement(session, waits, period=this_month, value=12, org_unit=ward)
        make_measurement(session, waits, period=last_month, value=6, org_unit=ward)
        make_measurement(session, waits, period=this_month, value=1000, org_unit=sibling)
        return Figures(world, world.unit.id, [before, last_month, this_month])


def _open(app, unit: int, **choices: str):
    app.query_params["unit"] = str(unit)
    for name, value in choices.items():
        app.query_params[name] = value
    return no_exception(app.switch_page(PAGE).run())


def test_a_link_with_the_unit_and_level_shows_figures_against_the_plan(app, figures):
    sign_in(app, "steering")
    _open(app, figures.unit, level="tactical", span="3")
    assert app.title[0].value == "Follow-up by level"
    assert app.selectbox(key="levels_unit").value == figures.unit
    assert app.radio(key="levels_level").value == "tactical"
    assert (app.selectbox(key="levels_span").value, app.selectbox(key="levels_group").value) == (3, "month")
    first, last = figures.months[0], period_start(Frequency.MONTH, figures.months[-1] + timedelta(days=32))
    assert (f"Vårdcentralen Centrum and the units below it, {first.isoformat()} to "
            f"{(last - timedelta(days=1)).isoformat()}: 1 of 1 indicators.") in texts(app.caption)
    assert "**Patients seen same day** (%) · Digital triage" in texts(app.markdown)
    [table] = app.dataframe
    assert list(table.value.columns) == ["Period", "Actual", "Planned", "Status"]
    assert table.value.values.tolist() == [
        [format_period(Frequency.MONTH, figures.months[0]), "–", "–", "⚪ Not measured yet"],
        [format_period(Frequency.MONTH, figures.months[1]), "6", "10", "🔴 Behind plan"],
        [format_period(Frequency.MONTH, figures.months[2]), "10", "10", "🟢 On track"]]
    assert len(app.get("vega_lite_chart")) == 1


def test_a_monthly_indicator_is_not_available_per_week(app, figures):
    sign_in(app, "steering")
    _open(app, figures.unit, level="operational")
    assert (app.selectbox(key="levels_span").value, app.selectbox(key="levels_group").value) == (8, "week")
    assert ("Not available at this level: this indicator is measured monthly, which is coarser than the grouping."
            in texts(app.caption))
    assert not app.dataframe and not app.get("vega_lite_chart")


def test_the_choices_are_written_to_the_address(app, figures):
    sign_in(app, "steering")
    no_exception(app.switch_page(PAGE).run())
    assert "Choose an org unit to see its indicators." in texts(app.info)
    app.selectbox(key="levels_unit").select(figures.unit).run()
    assert app.query_params["unit"] == str(figures.unit)
    app.radio(key="levels_level").set_value("tactical").run()
    assert app.query_params["level"] == "tactical"
    assert app.selectbox(key="levels_span").value == 12
    app.selectbox(key="levels_span").select(2).run()
    assert app.query_params["span"] == "2"
    assert len(app.dataframe[0].value) == 2
    # A new level starts at its own span and grouping.
    app.radio(key="levels_level").set_value("strategic").run()
    assert "span" not in app.query_params
    assert (app.selectbox(key="levels_span").value, app.selectbox(key="levels_group").value) == (4, "year")
    app.selectbox(key="levels_group").select("quarter").run()
    assert app.query_params["group"] == "quarter"
    assert len(app.dataframe[0].value) == 16


def test_every_choice_list_asks_to_choose_and_the_levels_explain_themselves(app, figures):
    sign_in(app, "steering")
    _open(app, figures.unit, level="strategic")
    boxes = [box for box in app.selectbox if box.key.startswith("levels_")]
    assert [box.placeholder for box in boxes] == ["Choose an option"] * 3
    level = app.radio(key="levels_level")
    assert level.options == ["Strategic", "Tactical", "Operational"]
    assert list(level.proto.captions) == [
        "Strategic: one to four years, by year or quarter, for long-term direction and resources.",
        "Tactical: the last months, by month, for planning the coming months.",
        "Operational: the last weeks, by week or day, for running the daily work."]


def test_a_hand_edited_address_is_answered_in_words(app, figures):
    sign_in(app, "steering")
    _open(app, figures.unit, level="tactical", span="40", group="day")
    assert texts(app.error) == ["The tactical level is grouped by month, not by 'day'.\n\n"
                                "The span of the tactical level is 1 to 24, not 40."]


def test_someone_outside_every_steering_group_is_told_so(app, figures):
    sign_in(app, "reporter")
    _open(app, figures.unit)
    assert texts(app.error) == ["Follow-up by level shows the portfolios whose steering group or owners you belong "
                                "to, and you belong to none."]
