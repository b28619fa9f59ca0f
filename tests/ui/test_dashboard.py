"""AppTest of the portfolio dashboard: the steering group lands on it and sees the figures of their portfolios,
every row and chart point leads to its initiative, and the filters are read from the address and written to it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from db.engine import write_session
from portfolio.benefits_math import CashflowYear
from portfolio.dashboard import organisation_today
from tests.factories import World, make_calculation, make_initiative, make_org_unit, make_portfolio
from tests.ui.conftest import no_exception, sign_in, texts

FILTERS = ("dashboard_portfolio", "dashboard_unit", "dashboard_stage", "dashboard_status")


@dataclass
class Board:
    world: World
    sub_portfolio: int
    ward: int
    overdue_pilot: int
    held_concept: int


@pytest.fixture
def board(app_db) -> Board:
    """The world's idea "Digital triage" (the unit "Vårdcentralen Centrum") and, in a sub-portfolio, a pilot 200
    days in its stage on a ward below that unit, with a benefit calculation; a concept on hold; a realised one."""
    today = organisation_today()
    with write_session(app_db) as session:
        world = World(session)
        world.initiative.estimated_cost = 100_000
        sub = make_portfolio(session, owner=world.owner, parent=world.portfolio, name="Primary care")
        ward = make_org_unit(session, name="Ward 3", parent=world.unit)
        entered = datetime.combine(today - timedelta(days=200), time(10), ZoneInfo("Europe/Stockholm"))
        pilot = make_initiative(session, portfolio=sub, creator=world.lead, lead=world.lead, stage="pilot",
                                org_unit=ward, title="Robot pharmacy", estimated_cost=1_500_000,
                                stage_entered_at=entered.astimezone(timezone.utc))
        make_calculation(session, pilot, [CashflowYear(2026, investment=1_000_000),
                                          CashflowYear(2027, benefit=2_060_000)])
        held = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead,
                               stage="concept", org_unit=world.unit, title="Night sensors", on_hold=True,
                               hold_review_date=today + timedelta(days=10), estimated_cost=250_000)
        make_initiative(session, portfolio=world.portfolio, creator=world.lead, stage="realised", org_unit=world.unit,
                        title="Fax replacement", estimated_cost=50_000)
        return Board(world, sub.id, ward.id, pilot.id, held.id)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _tables(at) -> dict[str, object]:
    """The page's lists by the heading above them."""
    headings = [h.value for h in at.subheader if h.value not in ("Funnel", "Status", "Value and cost")]
    return dict(zip(headings, [frame.value for frame in at.dataframe]))


def test_the_steering_group_lands_on_the_dashboard_of_their_portfolios(app, board):
    sign_in(app, "steering")
    assert app.title[0].value == "Portfolio dashboard"
    assert _metrics(app) == {
        "Initiatives": "4", "Estimated cost": "1.9m", "Past the stage limit": "1", "Gates overdue": "1",
        "Overdue measurements": "0", "Conditions past due": "0",
        "Active": "2", "On hold": "1", "Realised": "1", "Stopped": "0"}
    assert [m.proto.help for m in app.metric if m.label == "Estimated cost"] == ["1,900,000"]
    # The funnel's figures as a table under its chart, for every reader.
    [funnel] = app.table
    assert funnel.value.reset_index().values.tolist() == [
        ["Idea", "1", "100,000", "0", "180"], ["Concept", "1", "250,000", "0", "180"],
        ["Pilot", "1", "1,500,000", "1", "180"], ["Scale-up", "0", "0", "0", "180"],
        ["Benefits realisation", "0", "0", "0", "180"], ["Realised", "1", "50,000", "–", "–"],
        ["Stopped", "0", "0", "–", "–"]]
    tables = _tables(app)
    today = organisation_today()
    past = tables["Past the stage limit"]
    assert list(past.columns) == ["No.", "Title", "Stage", "In stage since", "Days in stage", "Stage limit (days)"]
    assert past.values.tolist() == [[f"initiative?id={board.overdue_pilot}", "Robot pharmacy", "Pilot",
                                     today - timedelta(days=200), "200", "180"]]
    overdue = tables["Gates overdue"]
    assert overdue.values.tolist() == [[f"initiative?id={board.overdue_pilot}", "Robot pharmacy", "Pilot",
                                        today - timedelta(days=20), "Stage limit", "Olga Ägare"]]
    coming = tables["Gates coming up in the next 30 days"]
    assert coming.values.tolist() == [[f"initiative?id={board.held_concept}", "Night sensors", "Concept – On hold",
                                       today + timedelta(days=10), "Hold review", "Olga Ägare"]]
    assert "1 of 1, the most urgent first. Choose a row to open the initiative." in texts(app.caption)
    # Lists with nothing in them say so.
    assert texts(app.caption).count("None.") == 2


def test_each_point_of_the_value_and_cost_chart_leads_to_its_initiative(app, board):
    sign_in(app, "steering")
    [funnel, bubbles] = app.get("vega_lite_chart")
    values = [row for dataset in bubbles.proto.datasets
              for row in pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()]
    assert [(row["Title"], row["Stage"], row["Investment"], round(row["Expected NPV"]), row["href"])
            for row in values] == [("Robot pharmacy", "Pilot", 1_000_000.0, 1_000_000,
                                    f"initiative?id={board.overdue_pilot}")]
    spec = json.loads(bubbles.proto.spec)
    assert spec["encoding"]["href"] == {"field": "href", "type": "nominal"}
    assert spec["config"]["locale"]["number"]["thousands"] == ","
    # Each chart says in words what it shows.
    assert funnel.proto.alt == ("Initiatives: Idea 1, Concept 1, Pilot 1, Scale-up 0, Benefits realisation 0, "
                                "Realised 1, Stopped 0")
    summary = ("1 of 1 initiatives with a benefit calculation, the largest investments first: 1 of them with an "
               "expected net present value of zero or more. Choose a point to open the initiative.")
    assert summary in texts(app.caption)
    assert bubbles.proto.alt == summary


def test_the_filters_are_read_from_the_address(app, board):
    sign_in(app, "steering")
    app.query_params["portfolio"] = str(board.sub_portfolio)
    app.query_params["stage"] = "pilot"
    no_exception(app.run())
    assert app.selectbox(key="dashboard_portfolio").value == board.sub_portfolio
    assert app.selectbox(key="dashboard_stage").value == "pilot"
    assert _metrics(app)["Initiatives"] == "1"
    assert _tables(app)["Past the stage limit"]["Title"].tolist() == ["Robot pharmacy"]


def test_a_chosen_filter_is_written_to_the_address_and_all_takes_it_away(app, board, app_db):
    sign_in(app, "steering")
    app.selectbox(key="dashboard_unit").select(board.ward).run()
    assert app.query_params["unit"] == str(board.ward)
    assert _metrics(app)["Initiatives"] == "1"
    # The unit's own initiatives and those of the units below it.
    app.selectbox(key="dashboard_unit").select(board.world.unit.id).run()
    assert app.query_params["unit"] == str(board.world.unit.id)
    assert _metrics(app)["Initiatives"] == "4"
    app.selectbox(key="dashboard_status").select("on_hold").run()
    assert (app.query_params["unit"], app.query_params["status"]) == (str(board.world.unit.id), "on_hold")
    assert _metrics(app)["Initiatives"] == "1"
    app.selectbox(key="dashboard_unit").select(None).run()
    assert "unit" not in app.query_params
    assert app.query_params["status"] == "on_hold"
    assert app.selectbox(key="dashboard_unit").value is None


def test_every_filter_offers_all_and_asks_to_choose(app, board):
    sign_in(app, "steering")
    for key in FILTERS:
        select = app.selectbox(key=key)
        assert select.proto.placeholder == "Choose an option"
        assert select.options[0] == "All"
    assert app.selectbox(key="dashboard_status").options == ["All", "Active", "On hold", "Realised", "Stopped"]
    # Only the portfolios the user sees.
    assert app.selectbox(key="dashboard_portfolio").options == ["All", board.world.portfolio.name, "Primary care"]


def test_a_hand_edited_address_is_answered_in_words(app, board):
    sign_in(app, "steering")
    app.query_params["stage"] = "testing"
    app.query_params["status"] = "closed"
    no_exception(app.run())
    assert [e.value for e in app.error] == [
        "Unknown stage 'testing'. The stages are: idea, concept, pilot, scale_up, benefits_realisation, "
        "realised, stopped.\n\nUnknown status 'closed'. The statuses are: active, on_hold, realised, stopped."]


def test_someone_without_a_portfolio_to_steer_is_told_so(app, board):
    sign_in(app, "stranger")
    no_exception(app.switch_page("portfolio/ui/dashboard.py").run())
    assert [e.value for e in app.error] == [
        "The dashboard shows the portfolios whose steering group or owners you belong to, and you belong to none."]
    assert not app.metric
