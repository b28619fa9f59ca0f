"""Worklists: where each role lands, due dates and overdue measurements at their edges, the lead's and the
reporter's rows in their order and scope, and the reporter's form saved through the measurement import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import AuditEvent, Initiative, OrgUnit, User
from portfolio import benefits_math
from portfolio.dispatch import Dispatcher
from portfolio.measurements import ImportResult, import_measurements
from portfolio.permissions import Actor
from portfolio.worklists import (
    LeadRow,
    ReporterWorklist,
    due_date,
    due_period,
    entry_rows,
    is_overdue,
    landing_roles,
    lead_worklist,
    reporter_worklist,
)
from tests.factories import (
    World,
    actor,
    benefits_snapshot,
    make_benefit,
    make_indicator,
    make_initiative,
    make_measurement,
    make_org_unit,
    make_user,
)
from workflows.process import load_process
from workflows.vocabulary import Frequency, Role

# A Monday in week 45. Its due periods: the day 2026-11-01, week 2026-W44, month 2026-10, quarter 2026-Q3, year 2025.
TODAY = date(2026, 11, 2)


# ------------------------------------------------------------------ where each role lands


def _actor(**roles) -> Actor:
    return Actor(user_id=1, username="u", display_name="U", language="en", **roles)


@pytest.mark.parametrize("roles, expected", [
    ({}, ()),
    ({"is_admin": True}, ()),
    ({"steering_portfolios": frozenset({1})}, (Role.STEERING,)),
    ({"reporting_units": frozenset({4})}, (Role.REPORTER,)),
    ({"lead_portfolios": frozenset({1})}, (Role.IMPLEMENTATION_LEAD,)),
    ({"owned_portfolios": frozenset({1})}, (Role.PORTFOLIO_OWNER,)),
    ({"steering_portfolios": frozenset({1}), "reporting_units": frozenset({4})}, (Role.REPORTER, Role.STEERING)),
    ({"steering_portfolios": frozenset({1}), "lead_portfolios": frozenset({2}), "reporting_units": frozenset({4})},
     (Role.IMPLEMENTATION_LEAD, Role.REPORTER, Role.STEERING)),
    ({"owned_portfolios": frozenset({1}), "steering_portfolios": frozenset({1}), "lead_portfolios": frozenset({2}),
      "reporting_units": frozenset({4}), "is_admin": True},
     (Role.PORTFOLIO_OWNER, Role.IMPLEMENTATION_LEAD, Role.REPORTER, Role.STEERING)),
])
def test_a_user_lands_on_the_first_of_their_roles(roles, expected):
    assert landing_roles(_actor(**roles)) == expected


# ------------------------------------------------------------------ due dates and overdue measurements


@pytest.mark.parametrize("frequency, today, latest, due, overdue", [
    # Nothing reported: due since the first day of the current period.
    ("month", TODAY, None, date(2026, 11, 1), True),
    ("week", TODAY, None, date(2026, 11, 2), True),
    ("year", TODAY, None, date(2026, 1, 1), True),
    # The due period reported: the next figure falls due when the current period ends.
    ("month", TODAY, date(2026, 10, 1), date(2026, 12, 1), False),
    ("day", TODAY, date(2026, 11, 1), date(2026, 11, 3), False),
    ("week", TODAY, date(2026, 10, 26), date(2026, 11, 9), False),
    ("quarter", TODAY, date(2026, 7, 1), date(2027, 1, 1), False),
    ("year", TODAY, date(2025, 1, 1), date(2027, 1, 1), False),
    # One period older than the due period: overdue since the current period began.
    ("month", TODAY, date(2026, 9, 1), date(2026, 11, 1), True),
    ("day", TODAY, date(2026, 10, 31), date(2026, 11, 2), True),
    ("week", TODAY, date(2026, 10, 19), date(2026, 11, 2), True),
    ("quarter", TODAY, date(2026, 4, 1), date(2026, 10, 1), True),
    ("year", TODAY, date(2024, 1, 1), date(2026, 1, 1), True),
    # Several periods missing: due when the oldest missing one fell due.
    ("month", TODAY, date(2026, 6, 1), date(2026, 8, 1), True),
    # The current period reported early: nothing is due before it ends.
    ("month", TODAY, date(2026, 11, 1), date(2027, 1, 1), False),
    # The first and the last day of a period.
    ("month", date(2026, 11, 1), date(2026, 9, 1), date(2026, 11, 1), True),
    ("month", date(2026, 10, 31), date(2026, 9, 1), date(2026, 11, 1), False),
    ("week", date(2026, 11, 1), date(2026, 10, 19), date(2026, 11, 2), False),
    ("year", date(2026, 12, 31), date(2025, 1, 1), date(2027, 1, 1), False),
    ("year", date(2027, 1, 1), date(2025, 1, 1), date(2027, 1, 1), True),
])
def test_due_date_and_overdue_at_the_edges_of_periods(frequency, today, latest, due, overdue):
    frequency = Frequency(frequency)
    assert due_date(frequency, latest, today) == due
    assert is_overdue(frequency, latest, today) is overdue
    # Overdue exactly when the due date has come, and exactly as the Benefits tab flags it.
    assert (due <= today) is overdue
    assert benefits_math.is_overdue(frequency, latest, today) is overdue


@pytest.mark.parametrize("frequency, period", [
    ("day", date(2026, 11, 1)), ("week", date(2026, 10, 26)), ("month", date(2026, 10, 1)),
    ("quarter", date(2026, 7, 1)), ("year", date(2025, 1, 1)),
])
def test_the_due_period_is_the_last_completed_one(frequency, period):
    assert due_period(Frequency(frequency), TODAY) == period


# ------------------------------------------------------------------ the lead


@dataclass
class Leads:
    world: World
    ids: dict[str, int]   # title -> initiative id
    other_lead: User


@pytest.fixture
def leads(engine) -> Leads:
    """The world's lead leads "Digital triage" (a ready idea, no indicators) and four more initiatives; another
    lead leads one of their own; a realised initiative is the lead's too."""
    with write_session(engine) as session:
        world = World(session)
        lead, unit, portfolio = world.lead, world.unit, world.portfolio
        other = make_user(session, username="lead2", role="implementation_lead", portfolio=portfolio)

        def initiative(title: str, stage: str, by: User = lead, **fields) -> Initiative:
            return make_initiative(session, portfolio=portfolio, creator=by, lead=by, stage=stage, org_unit=unit,
                                   title=title, **fields)

        pilot = initiative("Robot pharmacy", "pilot")
        benefit = make_benefit(session, pilot)
        waits = make_indicator(session, benefit, frequency="month")
        calls = make_indicator(session, benefit, frequency="week")
        make_measurement(session, waits, period=date(2026, 7, 1), value=9)
        make_measurement(session, waits, period=date(2026, 8, 1), value=8, org_unit=unit)
        make_measurement(session, calls, period=date(2026, 10, 26), value=40)

        concept = initiative("Night sensors", "concept")
        make_indicator(session, make_benefit(session, concept), frequency="year")

        scale_up = initiative("Video interpreting", "scale_up", on_hold=True)
        visits = make_indicator(session, make_benefit(session, scale_up), frequency="day")
        make_measurement(session, visits, period=date(2026, 11, 1), value=3)

        realised = initiative("Fax replacement", "realised")
        make_indicator(session, make_benefit(session, realised), frequency="month")
        theirs = initiative("Chat bot", "pilot", by=other)
        make_indicator(session, make_benefit(session, theirs), frequency="month")
        ids = {i.title: i.id for i in (world.initiative, pilot, concept, scale_up, realised, theirs)}
    return Leads(world, ids, other)


def _lead_rows(engine, user: User, **options) -> list[LeadRow]:
    with read_session(engine) as session:
        return lead_worklist(session=session, actor=actor(session, user), today=TODAY, **options).rows


def _open(stage: str) -> int:
    return len(load_process().checklist_for(stage))


def test_the_lead_sees_their_initiatives_earliest_due_first(engine, leads):
    ids = leads.ids
    assert _lead_rows(engine, leads.world.lead) == [
        # A yearly indicator never reported: due since the year began.
        LeadRow(ids["Night sensors"], "Night sensors", "concept", False, _open("concept"), 1, 1, date(2026, 1, 1)),
        # Monthly figures up to August (any unit counts): September's fell due on 1 October. The weekly one is on time.
        LeadRow(ids["Robot pharmacy"], "Robot pharmacy", "pilot", False, _open("pilot"), 2, 1, date(2026, 10, 1)),
        LeadRow(ids["Video interpreting"], "Video interpreting", "scale_up", True, _open("scale_up"), 1, 0,
                date(2026, 11, 3)),
        # No indicators, so no due date: last. Its idea checklist is done.
        LeadRow(ids["Digital triage"], "Digital triage", "idea", False, 0, 0, 0, None),
    ]


def test_a_lead_does_not_see_another_leads_initiatives(engine, leads):
    ids = leads.ids
    assert [row.id for row in _lead_rows(engine, leads.other_lead)] == [ids["Chat bot"]]
    assert ids["Chat bot"] not in [row.id for row in _lead_rows(engine, leads.world.lead)]
    # The portfolio owner and the steering group lead nothing: their worklists are elsewhere.
    assert _lead_rows(engine, leads.world.owner) == []
    assert _lead_rows(engine, leads.world.steering) == []


def test_the_leads_worklist_comes_a_page_at_a_time(engine, leads):
    ids = leads.ids
    with read_session(engine) as session:
        lead = actor(session, leads.world.lead)
        pages = [lead_worklist(session=session, actor=lead, today=TODAY, page=page, per_page=3) for page in (1, 2, 9)]
    assert [([row.id for row in p.rows], p.total, p.page, p.pages) for p in pages] == [
        ([ids["Night sensors"], ids["Robot pharmacy"], ids["Video interpreting"]], 4, 1, 2),
        ([ids["Digital triage"]], 4, 2, 2),
        ([ids["Digital triage"]], 4, 2, 2),  # past the end: the last page
    ]


# ------------------------------------------------------------------ the reporter


@dataclass
class Reporting:
    world: World
    rita: User        # reports for the clinic and its two wards
    olle: User        # reports for the other clinic
    units: dict[str, OrgUnit]
    codes: dict[str, int]   # indicator code -> id


@pytest.fixture
def reporting(engine) -> Reporting:
    """Region > Kliniken (Rita reports for it) > Avdelning 1, Avdelning 2; Region > Andra kliniken (Olle).

    - "Robot pharmacy" (pilot) is owned by Avdelning 1: A1 (monthly; October reported there, and by the other
      clinic), A2 (weekly, never reported there).
    - "Night sensors" (concept) is owned by the other clinic, but Avdelning 2 reported B1 (quarterly) for Q2:
      so Avdelning 2 reports its figures too, B2 (yearly) included.
    - "Video interpreting" (pilot) is owned by Kliniken: C1 (monthly) for Kliniken and both wards below it.
    - "Fax replacement" (stopped) is owned by Avdelning 1: nothing to report any more.
    """
    with write_session(engine) as session:
        world = World(session)
        region = make_org_unit(session, name="Region")
        clinic = make_org_unit(session, name="Kliniken", parent=region, code="KL")
        ward1 = make_org_unit(session, name="Avdelning 1", parent=clinic, code="KL-1")
        ward2 = make_org_unit(session, name="Avdelning 2", parent=clinic)
        other = make_org_unit(session, name="Andra kliniken", parent=region, code="AK")
        rita = make_user(session, username="rita", role="reporter", org_unit=clinic)
        olle = make_user(session, username="olle", role="reporter", org_unit=other)

        def initiative(title: str, stage: str, unit: OrgUnit) -> Initiative:
            return make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead,
                                   stage=stage, org_unit=unit, title=title)

        pharmacy = initiative("Robot pharmacy", "pilot", ward1)
        benefit = make_benefit(session, pharmacy)
        a1 = make_indicator(session, benefit, code="A1", name="Waiting days", frequency="month", valid_min=0)
        a2 = make_indicator(session, benefit, code="A2", name="Calls", frequency="week")
        make_measurement(session, a1, period=date(2026, 10, 1), value=4, org_unit=ward1)
        make_measurement(session, a1, period=date(2026, 10, 1), value=6, org_unit=other)
        sensors = initiative("Night sensors", "concept", other)
        benefit = make_benefit(session, sensors)
        b1 = make_indicator(session, benefit, code="B1", name="Falls", frequency="quarter")
        b2 = make_indicator(session, benefit, code="B2", name="Staff survey", frequency="year")
        make_measurement(session, b1, period=date(2026, 4, 1), value=2, org_unit=ward2)
        interpreting = initiative("Video interpreting", "pilot", clinic)
        c1 = make_indicator(session, make_benefit(session, interpreting), code="C1", name="Interpreted visits",
                            frequency="month")
        fax = initiative("Fax replacement", "stopped", ward1)
        make_indicator(session, make_benefit(session, fax), code="D1", name="Faxes", frequency="month")
        units = {u.name: u for u in (region, clinic, ward1, ward2, other)}
        codes = {i.code: i.id for i in (a1, a2, b1, b2, c1)}
    return Reporting(world, rita, olle, units, codes)


def _reporter(engine, user: User) -> ReporterWorklist:
    with read_session(engine) as session:
        return reporter_worklist(session=session, actor=actor(session, user), today=TODAY)


def _cells(worklist: ReporterWorklist) -> list[tuple]:
    return [(c.initiative, c.indicator_code, c.unit, c.unit_key, c.period, c.latest, c.due, c.overdue, c.value,
             c.version) for c in worklist.cells]


def test_the_reporter_sees_every_figure_of_their_units_earliest_due_first(engine, reporting):
    worklist = _reporter(engine, reporting.rita)
    assert _cells(worklist) == [
        ("Night sensors", "B2", "Avdelning 2", "Avdelning 2", "2025", None, date(2026, 1, 1), True, None, 0),
        ("Night sensors", "B1", "Avdelning 2", "Avdelning 2", "2026-Q3", "2026-Q2", date(2026, 10, 1), True, None, 0),
        ("Video interpreting", "C1", "Avdelning 1", "KL-1", "2026-10", None, date(2026, 11, 1), True, None, 0),
        ("Video interpreting", "C1", "Avdelning 2", "Avdelning 2", "2026-10", None, date(2026, 11, 1), True, None, 0),
        ("Video interpreting", "C1", "Kliniken", "KL", "2026-10", None, date(2026, 11, 1), True, None, 0),
        ("Robot pharmacy", "A2", "Avdelning 1", "KL-1", "2026-W44", None, date(2026, 11, 2), True, None, 0),
        ("Robot pharmacy", "A1", "Avdelning 1", "KL-1", "2026-10", "2026-10", date(2026, 12, 1), False, 4.0, 1),
    ]
    assert [(i.title, i.stage, i.figures, i.overdue, i.due) for i in worklist.initiatives] == [
        ("Night sensors", "concept", 2, 2, date(2026, 1, 1)),
        ("Video interpreting", "pilot", 3, 3, date(2026, 11, 1)),
        ("Robot pharmacy", "pilot", 2, 1, date(2026, 11, 2)),
    ]


def test_a_reporter_sees_only_their_own_units(engine, reporting):
    # Olle's clinic owns "Night sensors" and reported A1 of "Robot pharmacy": his figures, none of Rita's units'.
    assert [(c.indicator_code, c.unit) for c in _reporter(engine, reporting.olle).cells] == [
        ("B2", "Andra kliniken"), ("B1", "Andra kliniken"), ("A2", "Andra kliniken"), ("A1", "Andra kliniken")]
    # Whoever reports for no unit has no figures to report.
    for user in (reporting.world.lead, reporting.world.owner, reporting.world.steering):
        assert _reporter(engine, user) == ReporterWorklist([], [], TODAY)


# ------------------------------------------------------------------ the reporter's form


def _save(engine, user: User, edited: dict) -> tuple[ImportResult | None, list[str]]:
    """Save the form's ``edited`` cells as the page does: one import of the changed rows."""
    worklist = _reporter(engine, user)
    done = Dispatcher(user.id, engine=engine).run(import_measurements, rows=entry_rows(worklist.cells, edited, language="sv"),
                                                  source="form")
    return done.result, [message.render("en") for message in done.problems]


def test_the_form_saves_new_values_and_corrections_through_the_import(engine, reporting):
    result, problems = _save(engine, reporting.rita, {
        "0": {"value": "3"}, "5": {"value": "1 250,5"}, "6": {"value": "5"}, "2": {"other": "ignored"}})
    assert (result, problems) == (ImportResult(inserted=2, corrected=1, unchanged=0), [])
    cells = {(c.indicator_code, c.unit): c for c in _reporter(engine, reporting.rita).cells}
    assert [(c.value, c.version, c.latest, c.overdue) for c in (
        cells["B2", "Avdelning 2"], cells["A2", "Avdelning 1"], cells["A1", "Avdelning 1"])] == [
        (3.0, 1, "2025", False), (1250.5, 1, "2026-W44", False), (5.0, 2, "2026-10", False)]
    with read_session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "measurement.record")).all()
    # One event per initiative, as any import writes; the correction keeps the value it replaced.
    assert len(events) == 2
    assert [e.before for e in events if e.before] == [{"values": [{
        "indicator": "A1", "period": "2026-10-01", "org_unit_id": reporting.units["Avdelning 1"].id, "value": 4.0}]}]


def test_the_form_reports_every_problem_with_its_row_and_saves_nothing(engine, reporting):
    before = benefits_snapshot(engine)
    result, problems = _save(engine, reporting.rita, {
        "0": {"value": "many"}, "1": {"value": "7"}, "5": {"value": "1_000"}, "6": {"value": "-1"}})
    assert result is None
    assert problems == [
        "Row 1: the value 'many' is not a number.",
        "Row 6: the value '1_000' is not a number.",
        "Row 7: the value -1 is outside the valid range 0 to – of indicator A1.",
    ]
    assert benefits_snapshot(engine) == before


def test_a_stored_value_cleared_in_the_form_is_refused_not_ignored(engine, reporting):
    before = benefits_snapshot(engine)
    assert _save(engine, reporting.rita, {"6": {"value": None}}) == (None, ["Row 7: the value '' is not a number."])
    assert benefits_snapshot(engine) == before


def test_a_value_saved_by_someone_else_meanwhile_is_a_conflict(engine, reporting):
    shown = _reporter(engine, reporting.rita).cells
    # The same form saved in another tab: the cell that was empty on this screen has a value now.
    _save(engine, reporting.rita, {"0": {"value": "3"}})
    before = benefits_snapshot(engine)
    done = Dispatcher(reporting.rita.id, engine=engine).run(
        import_measurements, rows=entry_rows(shown, {"0": {"value": "4"}}, language="sv"), source="form")
    assert [message.render("en") for message in done.problems] == [
        "Someone else changed these figures while you were working on them. Nothing of yours was saved. "
        "Reload the page to see the latest version and try again."]
    assert benefits_snapshot(engine) == before


def test_a_reporter_cannot_save_a_figure_for_a_unit_outside_their_own(engine, reporting):
    olle_cells = _reporter(engine, reporting.olle).cells
    before = benefits_snapshot(engine)
    done = Dispatcher(reporting.rita.id, engine=engine).run(
        import_measurements, rows=entry_rows(olle_cells, {"0": {"value": "1"}}, language="sv"), source="form")
    assert [message.render("en") for message in done.problems] == [
        "Row 1: you may not report figures for Andra kliniken."]
    assert benefits_snapshot(engine) == before
