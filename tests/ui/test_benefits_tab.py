"""AppTest for the Benefits tab: what it shows, and what its forms write or refuse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import AuditEvent, Benefit, GateDecision, Indicator, Measurement, OrgUnit, RoleAssignment, User
from portfolio.benefits_math import CashflowYear
from portfolio.ui.benefits import BENEFIT_FORM
from portfolio.ui.benefits.forms import FormSpec, Hint
from tests.factories import (
    World,
    benefits_snapshot,
    make_benefit,
    make_calculation,
    make_indicator,
    make_measurement,
    make_org_unit,
    make_user,
)
from tests.ui.conftest import no_exception, open_initiative, open_section, sign_in, texts


@dataclass(frozen=True)
class Pilot:
    """A pilot with one benefit (no benefit owner yet) and two indicators, and a benefit calculation."""

    world: World
    initiative_id: int
    benefit: Benefit
    waits: Indicator  # monthly, a sum, lower is better; measured per unit in two months
    unmeasured: Indicator
    hospital: OrgUnit  # its two clinics report the measurements
    emergency: OrgUnit  # the reporter's own clinic
    orthopaedics: OrgUnit


@pytest.fixture
def pilot(app_db) -> Pilot:
    with write_session(app_db) as session:
        world = World(session, stage="pilot")
        hospital = make_org_unit(session, name="Länssjukhuset")
        emergency = make_org_unit(session, name="Akutkliniken", parent=hospital)
        orthopaedics = make_org_unit(session, name="Ortopedkliniken", parent=hospital)
        session.add(RoleAssignment(user_id=world.reporter.id, role="reporter", org_unit_id=emergency.id))
        make_user(session, username="benefitowner", display_name="Nora Nyttoägare")
        benefit = make_benefit(session, world.initiative, title="Shorter waits")
        waits = make_indicator(session, benefit, code="WAIT", name="Waiting days", unit="days", direction="lower",
                               frequency="month", aggregation="sum", baseline_value=120.0,
                               baseline_date=date(2026, 1, 1), target_value=60.0, target_date=date(2026, 12, 1))
        unmeasured = make_indicator(session, benefit, code="CALLS", name="Calls answered", baseline_value=50.0,
                                    target_value=80.0)
        for period, at_emergency, at_orthopaedics in ((date(2026, 3, 1), 50.0, 40.0), (date(2026, 4, 1), 45.0, 35.0)):
            make_measurement(session, waits, period=period, value=at_emergency, org_unit=emergency)
            make_measurement(session, waits, period=period, value=at_orthopaedics, org_unit=orthopaedics)
        make_calculation(session, world.initiative, [
            CashflowYear(2026, investment=100_000, operation=10_000),
            CashflowYear(2027, operation=10_000, benefit=80_000, benefit_low=60_000, benefit_high=90_000),
            CashflowYear(2028, operation=10_000, benefit=80_000, benefit_low=60_000, benefit_high=90_000),
        ], discount_rate=0.03)
    return Pilot(world, world.initiative.id, benefit, waits, unmeasured, hospital, emergency, orthopaedics)


@pytest.fixture
def realising(app_db) -> tuple[World, Indicator]:
    """An initiative in benefits realisation whose pilot gate was passed (so its baselines are locked)."""
    with write_session(app_db) as session:
        world = World(session, stage="benefits_realisation")
        indicator = make_indicator(session, make_benefit(session, world.initiative), code="READM",
                                   name="Readmissions", direction="lower", baseline_value=200.0, target_value=100.0)
        session.add(GateDecision(initiative_id=world.initiative.id, outcome="go", from_stage="pilot",
                                 to_stage="scale_up", decided_by_id=world.owner.id))
    return world, indicator


def _metrics(at) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


FIGURES = ["Indicator", "Baseline", "Target", "Latest", "Progress to target", "Status"]


def _figures(at) -> list[list[str]]:
    """The rows of the benefits' tables of indicator figures."""
    assert all(list(t.value.columns) == FIGURES for t in at.table)
    return [row for t in at.table for row in t.value.values.tolist()]


def _open_indicator(at, indicator: Indicator, tab: str = "Chart"):
    """Open an indicator's expander on ``tab`` (English): its sections are drawn only when opened."""
    at.session_state[f"open_indicator_{indicator.id}"] = True
    at.session_state[f"indicator_tab_{indicator.id}"] = tab
    return no_exception(at.run())


def _stored(engine, model, row_id: int):
    with read_session(engine) as session:
        return session.get(model, row_id)


def test_benefits_tab_shows_indicators_against_baseline_and_target(app, pilot):
    sign_in(app, "owner")
    open_initiative(app, pilot.initiative_id, "Benefits")
    assert "### Shorter waits" in texts(app.markdown)
    # Progress: from 120 towards 60, now at 80 (45 + 35, the latest month's sum); ahead of the planned path.
    assert _figures(app) == [
        ["Waiting days · WAIT", "120", "60", "80", "67 %", "🟢 On track · ⚠️ Measurement overdue"],
        ["Calls answered · CALLS", "50", "80", "–", "–", "⚪ Not measured yet · ⚠️ Measurement overdue"],
    ]
    # Net 2026-2028: -110,000, 70,000, 70,000, discounted at 3 % to the first year.
    assert _metrics(app) == [
        ("Net present value", "23,943"), ("Range (low – high)", "-14,327 – 43,078"), ("Payback year", "2028")]
    # Each indicator is an expander; its chart, like the calculation's, is drawn when opened.
    assert ["Waiting days · WAIT", "Calls answered · CALLS"] == [e.label for e in app.expander][:2]
    assert not app.get("vega_lite_chart")
    _open_indicator(app, pilot.waits)
    _open_indicator(app, pilot.unmeasured)
    open_section(app, "open_calculation_chart")
    # One chart per measured indicator and one for the benefit calculation.
    assert len(app.get("vega_lite_chart")) == 2
    assert "No measurements yet." in texts(app.info)
    assert "Latest combined value: 80 for the period starting 2026-04-01." in texts(app.caption)


def test_breakdown_rolls_values_up_the_org_tree(app, pilot):
    sign_in(app, "owner")
    open_initiative(app, pilot.initiative_id, "Benefits")
    _open_indicator(app, pilot.waits, "Breakdown by org unit")
    _open_indicator(app, pilot.unmeasured, "Breakdown by org unit")
    breakdown = next(d.value for d in app.dataframe if list(d.value.columns) == ["Org unit", "Value", "Values"])
    # A sum indicator: the hospital's value is its clinics' added up, for the latest month.
    assert breakdown.values.tolist() == [["Länssjukhuset", 80.0, 2], ["\u2003Akutkliniken", 45.0, 1],
                                         ["\u2003Ortopedkliniken", 35.0, 1]]
    assert "No values per org unit yet." in texts(app.caption)  # the unmeasured indicator


def test_reporter_cannot_enter_figures_for_another_unit(app, pilot, app_db):
    sign_in(app, "reporter")
    open_initiative(app, pilot.initiative_id, "Benefits")
    _open_indicator(app, pilot.waits, "Enter measurements")
    key = f"grid_{pilot.waits.id}_0"
    before = benefits_snapshot(app_db)
    app.session_state[key] = {"edited_rows": {}, "deleted_rows": [],
                              "added_rows": [{"period": "2026-12", "org_unit": "Ortopedkliniken", "value": 4}]}
    app.button(key=f"save_grid_{pilot.waits.id}").click().run()
    assert texts(app.error) == ["Row 5: you may not report figures for Ortopedkliniken."]
    assert benefits_snapshot(app_db) == before


def test_reporter_enters_figures_for_their_own_unit(app, pilot, app_db):
    sign_in(app, "reporter")
    open_initiative(app, pilot.initiative_id, "Benefits")
    _open_indicator(app, pilot.waits, "Enter measurements")
    key = f"grid_{pilot.waits.id}_0"
    app.session_state[key] = {"edited_rows": {}, "deleted_rows": [],
                              "added_rows": [{"period": "2026-12", "org_unit": "Akutkliniken", "value": 7.5}]}
    app.button(key=f"save_grid_{pilot.waits.id}").click().run()
    assert texts(app.success) == ["The measurements are saved.\n\n**2026-12:** Akutkliniken 7.5"]
    with read_session(app_db) as session:
        stored = session.exec(select(Measurement).where(Measurement.indicator_id == pilot.waits.id,
                                                        Measurement.org_unit_id == pilot.emergency.id)
                              .order_by(Measurement.period_start.desc())).all()
    assert [(m.period_start.isoformat(), m.value, m.source) for m in stored][0] == ("2026-12-01", 7.5, "form")
    assert len(stored) == 3


def test_locked_baseline_needs_the_owner_and_a_reason(app, realising, app_db):
    world, indicator = realising
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id, "Benefits")
    _open_indicator(app, indicator, "Change the baseline")
    # Halfway to the target: a revised baseline that leaves the target on its side of the direction.
    revised = 150.0
    before = benefits_snapshot(app_db)
    app.number_input(key=f"revise_{indicator.id}_value").set_value(revised)
    app.button(key=f"revise_{indicator.id}").click().run()
    assert texts(app.error) == ["Give a reason for changing a locked baseline."]
    assert benefits_snapshot(app_db) == before

    app.number_input(key=f"revise_{indicator.id}_value").set_value(revised)
    app.text_area(key=f"revise_{indicator.id}_reason").input("The first baseline missed one ward.")
    app.button(key=f"revise_{indicator.id}").click().run()
    assert "The baseline is changed." in texts(app.success)
    assert _figures(app)[0][:2] == ["Readmissions · READM", "150 (original 200)"]
    saved = _stored(app_db, Indicator, indicator.id)
    assert (saved.baseline_value, saved.original_baseline_value) == (150.0, 200.0)


def test_lead_is_not_offered_to_change_a_locked_baseline(app, realising):
    world, indicator = realising
    sign_in(app, "lead")
    open_initiative(app, world.initiative.id, "Benefits")
    _open_indicator(app, indicator, "Change the indicator")
    assert f"indicator_{indicator.id}_target" in [n.key for n in app.number_input]  # the lead edits the rest
    assert "Change the baseline" not in [t.label for t in app.tabs]
    assert not [b for b in app.button if b.key == f"revise_{indicator.id}"]


def test_benefit_form_reports_every_problem(app, pilot, app_db):
    sign_in(app, "owner")
    open_initiative(app, pilot.initiative_id, "Benefits")
    open_section(app, "open_add_benefit")
    before = benefits_snapshot(app_db)
    app.text_input(key="benefit_title").input("  ")
    app.number_input(key="benefit_money").set_value(None)
    app.button(key="FormSubmitter:benefit_form-Add benefit").click().run()
    assert texts(app.error) == ["The title must not be empty."]
    assert benefits_snapshot(app_db) == before


def test_steering_member_reads_but_cannot_change(app, pilot):
    sign_in(app, "steering")
    open_initiative(app, pilot.initiative_id, "Benefits")
    assert {"Only the implementation lead or the portfolio owner may change the benefits of this initiative.",
            "Only the implementation lead or the portfolio owner may change the benefit calculation."} <= set(
        texts(app.caption))
    assert "Add a benefit" not in [e.label for e in app.expander]
    assert _figures(app)[0][3] == "80"
    open_section(app, "open_calculation")
    assert app.button(key="save_calculation").disabled
    _open_indicator(app, pilot.waits)
    assert not [f for f in app.text_input if f.key == "benefit_title"]
    # Only what a reader may do: the chart, the breakdown and the measurements, which they may not enter.
    assert [t.label for t in app.tabs][3:6] == ["Chart", "Breakdown by org unit", "Enter measurements"]
    assert "Change the indicator" not in [t.label for t in app.tabs]
    open_section(app, "open_calculation_chart")
    assert len(app.get("vega_lite_chart")) == 2  # the measured indicator's and the calculation's


def test_owner_names_a_benefit_owner_on_an_existing_benefit(app, pilot, app_db):
    sign_in(app, "owner")
    open_initiative(app, pilot.initiative_id, "Benefits")
    benefit = pilot.benefit
    assert benefit.owner_id is None
    open_section(app, f"open_benefit_{benefit.id}")
    prefix = f"benefit_{benefit.id}"
    owner_box = app.selectbox(key=f"{prefix}_owner")
    owner_box.select_index(owner_box.options.index("Nora Nyttoägare"))
    app.button(key=f"FormSubmitter:{prefix}_form-Save benefit").click().run()
    assert "The benefit is saved." in texts(app.success)
    with read_session(app_db) as session:
        saved = session.get(Benefit, benefit.id)
        nora = session.exec(select(User).where(User.username == "benefitowner")).one()
        event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (saved.owner_id, saved.version) == (nora.id, benefit.version + 1)
    assert (event.action, event.before, event.after.get("owner_id")) == (
        "benefit.update", {"owner_id": None}, nora.id)
    assert "Benefit owner: Nora Nyttoägare" in " ".join(texts(app.caption))


def test_owner_changes_an_indicator_target(app, pilot, app_db):
    sign_in(app, "owner")
    open_initiative(app, pilot.initiative_id, "Benefits")
    indicator = pilot.waits
    _open_indicator(app, indicator, "Change the indicator")
    prefix = f"indicator_{indicator.id}_"
    app.number_input(key=prefix + "target").set_value(61.0)
    app.button(key=f"FormSubmitter:{prefix}form-Save indicator").click().run()
    assert "The indicator is saved." in texts(app.success)
    saved = _stored(app_db, Indicator, indicator.id)
    assert (saved.target_value, saved.baseline_value, saved.version) == (61.0, 120.0, indicator.version + 1)
    assert _figures(app)[0][2] == "61"


def test_owner_adds_an_indicator_through_the_form_built_from_its_input_model(app, pilot, app_db):
    sign_in(app, "owner")
    open_initiative(app, pilot.initiative_id, "Benefits")
    benefit = pilot.benefit
    open_section(app, f"open_add_indicator_{benefit.id}")
    prefix = f"ind_{benefit.id}_"
    assert (app.selectbox(key=prefix + "frequency").value, app.number_input(key=prefix + "amber").value,
            app.number_input(key=prefix + "red").value) == ("month", 10.0, 25.0)  # IndicatorInput's defaults
    app.text_input(key=prefix + "code").input("FORM-1")
    app.text_input(key=prefix + "name").input("Readmissions")
    app.text_input(key=prefix + "source").input("Patient register")
    app.selectbox(key=prefix + "direction").select("lower")
    app.number_input(key=prefix + "baseline").set_value(40.0)
    app.date_input(key=prefix + "baseline_date").set_value(date(2026, 1, 1))
    app.number_input(key=prefix + "target").set_value(30.0)
    app.date_input(key=prefix + "target_date").set_value(date(2027, 6, 30))
    app.number_input(key=prefix + "amber").set_value(15.0)
    app.number_input(key=prefix + "max").set_value(100.0)
    app.button(key=f"FormSubmitter:{prefix}form-Add indicator").click().run()
    assert "The indicator is added." in texts(app.success)
    with read_session(app_db) as session:
        added = session.exec(select(Indicator).where(Indicator.code == "FORM-1")).one()
    assert (added.benefit_id, added.name, added.data_source, added.direction, added.frequency, added.baseline_value,
            added.baseline_date, added.target_value, added.target_date, added.amber_tolerance, added.red_tolerance,
            added.valid_min, added.valid_max) == (
        benefit.id, "Readmissions", "Patient register", "lower", "month", 40.0, date(2026, 1, 1), 30.0,
        date(2027, 6, 30), 0.15, 0.25, None, 100.0)


def test_indicator_form_shows_the_stored_values_and_keeps_the_baseline_to_its_own_form(app, pilot):
    sign_in(app, "owner")
    open_initiative(app, pilot.initiative_id, "Benefits")
    _open_indicator(app, pilot.waits, "Change the indicator")
    prefix = f"indicator_{pilot.waits.id}_"
    baseline = app.number_input(key=prefix + "baseline")
    assert (app.text_input(key=prefix + "code").value, app.selectbox(key=prefix + "aggregation").value,
            baseline.value, baseline.disabled, app.number_input(key=prefix + "red").value) == (
        "WAIT", "sum", 120.0, True, 25.0)


def test_a_form_must_hint_every_field_of_its_input_model():
    @dataclass
    class Input:
        code: str
        name: str = ""

    with pytest.raises(TypeError, match=r"missing \['name'\]"):
        FormSpec(Input, ((Hint("code", "Code"),),))
    with pytest.raises(TypeError, match=r"unknown or repeated \['code'\]"):
        FormSpec(Input, ((Hint("code", "Code"), Hint("name", "Name"), Hint("code", "Code")),))
    # The tab's own forms hint every field of their models (they are built when the module is imported).
    assert [h.field for h in BENEFIT_FORM.hints] == [
        "title", "description", "category", "recipient", "kind", "owner_id", "planned_realisation_date",
        "money_per_unit", "strategic_goal"]
