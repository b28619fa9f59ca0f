"""AppTest for the worklists: where each role lands after signing in, what the lead's and the reporter's
worklists show, and the reporter's one-screen form saving (or refusing) every figure at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import Measurement, RoleAssignment, User
from portfolio.benefits_math import format_period
from portfolio.ui.text import plain
from portfolio.worklists import due_date, due_period
from tests.factories import World, benefits_snapshot, make_benefit, make_indicator, make_initiative, make_measurement
from tests.ui.conftest import no_exception, sign_in, texts
from workflows.process import load_process
from workflows.vocabulary import Frequency

GRID = "report_grid_0"
SAVE = "FormSubmitter:report_figures-Save figures"
MONTH, WEEK = Frequency.MONTH, Frequency.WEEK


def _day(value: date) -> str:
    return format_date(value, "medium", locale="en_GB")


def _rows(app, columns: int) -> list[list[str]]:
    """The worklist table: its header, then per row the initiative's link and the other cells."""
    cells = [m.value for m in app.main.markdown]
    links = [(link.proto.label, link.proto.page, link.proto.query_string) for link in app.get("page_link")]
    body = cells[columns:]
    rows = [body[i:i + columns - 1] for i in range(0, len(body), columns - 1)]
    return [cells[:columns]] + [[link, *row] for link, row in zip(links, rows)]


def _link(initiative_id: int) -> tuple[str, str, str]:
    return (f"#{initiative_id}", "initiative", f"id={initiative_id}")


# ------------------------------------------------------------------ where each user lands


@pytest.mark.parametrize("username, title", [
    ("owner", "My decisions"),
    ("lead", "My initiatives"),
    ("reporter", "Figures to report"),
    ("steering", "Portfolio dashboard"),
    ("admin", "Portfolio overview"),
    ("stranger", "Portfolio overview"),
])
def test_each_role_lands_on_its_own_page(app, world, username, title):
    sign_in(app, username)
    assert app.title[0].value == title


def test_several_roles_land_on_the_first_and_reach_the_others(app, world, app_db):
    with write_session(app_db) as session:
        session.add_all([RoleAssignment(user_id=world.steering.id, role="reporter", org_unit_id=world.unit.id),
                         RoleAssignment(user_id=world.steering.id, role="implementation_lead",
                                        portfolio_id=world.portfolio.id)])
    sign_in(app, "steering")
    assert app.title[0].value == "My initiatives"
    # The navigation holds the worklists of their roles.
    assert {"overview", "my_decisions", "lead_worklist", "reporter_worklist"} <= set(app.session_state["pages"])
    no_exception(app.switch_page("portfolio/ui/worklist_reporter.py").run())
    assert app.title[0].value == "Figures to report"


@pytest.mark.parametrize("username, worklists", [
    ("owner", set()), ("steering", set()), ("lead", {"lead_worklist"}), ("reporter", {"reporter_worklist"})])
def test_worklists_are_in_the_navigation_of_their_roles_only(app, world, username, worklists):
    sign_in(app, username)
    assert set(app.session_state["pages"]) & {"lead_worklist", "reporter_worklist"} == worklists


# ------------------------------------------------------------------ the lead


@dataclass
class LeadWork:
    world: World
    pilot: int
    concept: int
    due: date


@pytest.fixture
def lead_work(app_db) -> LeadWork:
    """The lead's ready idea "Digital triage", a pilot whose monthly figures stopped three periods before the
    due one, and a concept without indicators; another lead's pilot."""
    today = date.today()
    with write_session(app_db) as session:
        world = World(session)
        pilot = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead,
                                stage="pilot", org_unit=world.unit, title="Robot pharmacy")
        waits = make_indicator(session, make_benefit(session, pilot), frequency="month")
        latest = due_period(MONTH, today) - timedelta(days=80)
        latest = latest.replace(day=1)
        make_measurement(session, waits, period=latest, value=3)
        concept = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead,
                                  stage="concept", org_unit=world.unit, title="Night sensors")
        make_initiative(session, portfolio=world.portfolio, creator=world.owner, lead=world.owner, stage="pilot",
                        org_unit=world.unit, title="Someone else's")
        return LeadWork(world, pilot.id, concept.id, due_date(MONTH, latest, today))


def test_the_lead_sees_their_initiatives_with_open_items_and_overdue_measurements(app, lead_work):
    sign_in(app, "lead")
    assert app.title[0].value == "My initiatives"
    pilot_items, concept_items = (len(load_process().checklist_for(stage)) for stage in ("pilot", "concept"))
    assert _rows(app, 6) == [
        ["**No.**", "**Title**", "**Stage**", "**Open checklist items**", "**Overdue measurements**", "**Due**"],
        [_link(lead_work.pilot), "Robot pharmacy", "Pilot", str(pilot_items), "⚠ 1", _day(lead_work.due)],
        [_link(lead_work.world.initiative.id), "Digital triage", "Idea", "0", "0", "–"],
        [_link(lead_work.concept), "Night sensors", "Concept", str(concept_items), "0", "–"],
    ]


def test_a_norwegian_lead_reads_due_dates_as_dates(app, lead_work, app_db):
    with write_session(app_db) as session:
        session.get(User, lead_work.world.lead.id).language = "nb"
    sign_in(app, "lead")
    assert app.title[0].value == "Mine tiltak"
    # "1. okt. 2026" at the start of a cell would be a numbered list: the cell escapes it.
    assert _rows(app, 6)[1][5] == plain(format_date(lead_work.due, "medium", locale="nb_NO"))


def test_a_lead_without_initiatives_is_told_so(app, world, app_db):
    with write_session(app_db) as session:
        session.add(RoleAssignment(user_id=world.steering.id, role="implementation_lead",
                                   portfolio_id=world.portfolio.id))
    sign_in(app, "steering")
    assert texts(app.info) == ["You lead no initiatives that are under way."]


# ------------------------------------------------------------------ the reporter


@dataclass
class ReportWork:
    world: World
    waits: int    # monthly, 0 or more; the due period reported 4
    calls: int    # weekly, never reported
    today: date


@pytest.fixture
def report_work(app_db) -> ReportWork:
    """The world's idea "Digital triage" is owned by the reporter's unit: it has a monthly indicator whose due
    period is reported, and a weekly one never reported."""
    today = date.today()
    with write_session(app_db) as session:
        world = World(session)
        benefit = make_benefit(session, world.initiative)
        waits = make_indicator(session, benefit, code="WAIT", name="Waiting days", frequency="month", valid_min=0)
        calls = make_indicator(session, benefit, code="CALLS", name="Calls", frequency="week")
        make_measurement(session, waits, period=due_period(MONTH, today), value=4, org_unit=world.unit)
        return ReportWork(world, waits.id, calls.id, today)


def _grid(app) -> list[list]:
    """The form's rows as shown: row number, then the cells (an empty value is None)."""
    table = app.dataframe[0].value
    table = table.astype(object).where(table.notna(), None)
    return [[index, *row] for index, row in zip(table.index, table.values.tolist())]


def test_the_reporter_sees_what_is_due_and_a_form_for_every_figure(app, report_work):
    sign_in(app, "reporter")
    today, number = report_work.today, report_work.world.initiative.id
    calls_due, waits_due = due_date(WEEK, None, today), due_date(MONTH, due_period(MONTH, today), today)
    assert app.title[0].value == "Figures to report"
    assert _rows(app, 6) == [
        ["**No.**", "**Title**", "**Stage**", "**Figures**", "**Overdue**", "**Due**"],
        [_link(number), "Digital triage", "Idea", "2", "⚠ 1", _day(calls_due)],
    ]
    week, month = format_period(WEEK, due_period(WEEK, today)), format_period(MONTH, due_period(MONTH, today))
    # Row, number, indicator, org unit, period, value, latest reported, due (marked when overdue).
    assert _grid(app) == [
        [1, f"#{number}", "CALLS Calls", "Vårdcentralen Centrum", week, "", "–", "⚠ " + _day(calls_due)],
        [2, f"#{number}", "WAIT Waiting days", "Vårdcentralen Centrum", month, "4", month, _day(waits_due)],
    ]


def _stored(app_db, indicator_id: int) -> list[tuple[date, float, str]]:
    with read_session(app_db) as session:
        return [(m.period_start, m.value, m.source) for m in session.exec(
            select(Measurement).where(Measurement.indicator_id == indicator_id).order_by(col(Measurement.id))).all()]


def test_the_reporter_saves_the_whole_form_at_once(app, report_work, app_db):
    sign_in(app, "reporter")
    today = report_work.today
    app.session_state[GRID] = {"edited_rows": {0: {"value": "1 250,5"}, 1: {"value": "5"}}, "added_rows": [],
                               "deleted_rows": []}
    no_exception(app.button(key=SAVE).click().run())
    assert texts(app.success) == ["The figures are saved: 1 new, 1 corrected."]
    assert _stored(app_db, report_work.calls) == [(due_period(WEEK, today), 1250.5, "form")]
    assert _stored(app_db, report_work.waits) == [(due_period(MONTH, today), 5.0, "form")]
    # The form shows what is stored now, and nothing is overdue any more.
    assert [(row[5], row[-1].startswith("⚠")) for row in _grid(app)] == [("1,250.5", False), ("5", False)]
    assert _rows(app, 6)[1][4] == "0"


def test_the_form_lists_every_problem_with_its_row_and_keeps_what_was_typed(app, report_work, app_db):
    sign_in(app, "reporter")
    before = benefits_snapshot(app_db)
    edits = {"edited_rows": {0: {"value": "many"}, 1: {"value": "-2"}}, "added_rows": [], "deleted_rows": []}
    app.session_state[GRID] = edits
    no_exception(app.button(key=SAVE).click().run())
    assert texts(app.error) == ["Nothing was saved.\n\n"
                                "Row 1: the value 'many' is not a number.\n\n"
                                # Escaped for Markdown (a typed value is shown as typed): the page reads "-2".
                                "Row 2: the value \\-2 is outside the valid range 0 to – of indicator WAIT."]
    assert benefits_snapshot(app_db) == before
    assert app.session_state[GRID]["edited_rows"] == edits["edited_rows"]


def test_saving_an_unchanged_form_says_so(app, report_work, app_db):
    sign_in(app, "reporter")
    before = benefits_snapshot(app_db)
    no_exception(app.button(key=SAVE).click().run())
    assert texts(app.warning) == ["No figure was changed; nothing was saved."]
    assert benefits_snapshot(app_db) == before


def test_a_reporter_without_figures_is_told_so(app, world):
    sign_in(app, "reporter")
    assert texts(app.info) == ["Your units have no figures to report for initiatives under way."]
