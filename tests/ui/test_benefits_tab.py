"""AppTest for the Benefits tab: what it shows, and what its forms write or refuse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from db.engine import read_session
from db.models import AuditEvent, Benefit, Indicator, Measurement, OrgUnit
from portfolio.benefits import get_calculation
from portfolio.i18n import format_number
from portfolio.indicator_figures import indicator_summaries
from portfolio.ui.benefits import BENEFIT_FORM
from portfolio.ui.benefits.forms import FormSpec, Hint
from tests.ui.conftest import open_initiative, sign_in, texts

PILOT = 3  # the demo initiative at the pilot gate; its first indicator is monthly, a sum, measured per unit


def _count(engine, model) -> int:
    with read_session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _metrics(at) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


def test_benefits_tab_shows_indicators_against_baseline_and_target(app, demo_db):
    sign_in(app, "owner")
    open_initiative(app, PILOT, "Benefits")
    with read_session(demo_db) as session:
        summaries = indicator_summaries(session=session, initiative_id=PILOT)
        calculation = get_calculation(session=session, initiative_id=PILOT)
    summary = summaries[0]
    indicator = summary.indicator
    metrics = _metrics(app)
    assert metrics[:4] == [
        ("Baseline", format_number(indicator.baseline_value, "en")),
        ("Target", format_number(indicator.target_value, "en")),
        ("Latest", format_number(summary.latest_value, "en")),
        ("Progress to target", f"{format_number(summary.progress * 100, 'en', 0)} %"),
    ]
    assert metrics[4][0] == "Status"
    assert ("Net present value", format_number(calculation.result.npv, "en", 0)) in metrics
    assert ("Payback year", str(calculation.result.payback_year) if calculation.result.payback_year
            else "Not within the period") in metrics
    # One chart per measured indicator and one for the benefit calculation.
    assert len(app.get("vega_lite_chart")) == sum(1 for s in summaries if s.series) + 1
    assert (f"Latest combined value: {format_number(summary.latest_value, 'en', 2)} for the period starting "
            f"{summary.latest_period.isoformat()}.") in texts(app.caption)


def test_breakdown_rolls_values_up_the_org_tree(app, demo_db):
    sign_in(app, "owner")
    open_initiative(app, PILOT, "Benefits")
    breakdown = next(d.value for d in app.dataframe if list(d.value.columns) == ["Org unit", "Value", "Values"])
    with read_session(demo_db) as session:
        indicator = session.exec(select(Indicator).join(Benefit).where(Benefit.initiative_id == PILOT)).first()
        latest = session.exec(select(func.max(Measurement.period_start))
                              .where(Measurement.indicator_id == indicator.id)).one()
        total = session.exec(select(func.sum(Measurement.value)).where(
            Measurement.indicator_id == indicator.id, Measurement.period_start == latest)).one()
    roots = breakdown[~breakdown["Org unit"].str.startswith("\u2003")]
    assert round(roots["Value"].sum(), 2) == round(total, 2)  # a sum indicator: the roots add up to the whole


def test_reporter_cannot_enter_figures_for_another_unit(app, demo_db):
    sign_in(app, "reporter")
    open_initiative(app, PILOT, "Benefits")
    with read_session(demo_db) as session:
        indicator = session.exec(select(Indicator).join(Benefit).where(Benefit.initiative_id == PILOT)).first()
    key = f"grid_{indicator.id}"
    before = _count(demo_db, Measurement)
    audit_before = _count(demo_db, AuditEvent)
    app.session_state[key] = {"edited_rows": {}, "deleted_rows": [],
                              "added_rows": [{"period": "2026-12", "org_unit": "Kirurgkliniken", "value": 4}]}
    app.button(key=f"save_{key}").click().run()
    error = texts(app.error)[0]
    assert error.endswith(": you may not report figures for Kirurgkliniken.")
    assert error.startswith("Row ")
    assert _count(demo_db, Measurement) == before
    assert _count(demo_db, AuditEvent) == audit_before


def test_reporter_enters_figures_for_their_own_unit(app, demo_db):
    sign_in(app, "reporter")
    open_initiative(app, PILOT, "Benefits")
    with read_session(demo_db) as session:
        indicator = session.exec(select(Indicator).join(Benefit).where(Benefit.initiative_id == PILOT)).first()
        own = session.exec(select(OrgUnit).where(OrgUnit.name == "Akutmottagningen")).one()
    key = f"grid_{indicator.id}"
    app.session_state[key] = {"edited_rows": {}, "deleted_rows": [],
                              "added_rows": [{"period": "2026-12", "org_unit": "Akutmottagningen", "value": 7.5}]}
    app.button(key=f"save_{key}").click().run()
    assert "The measurements are saved." in texts(app.success)
    with read_session(demo_db) as session:
        stored = session.exec(select(Measurement).where(Measurement.indicator_id == indicator.id,
                                                        Measurement.org_unit_id == own.id)
                              .order_by(Measurement.period_start.desc())).first()
    assert (stored.period_start.isoformat(), stored.value, stored.source) == ("2026-12-01", 7.5, "form")


def test_locked_baseline_needs_the_owner_and_a_reason(app, demo_db):
    sign_in(app, "owner")
    open_initiative(app, 5, "Benefits")  # in benefits realisation: the pilot gate is passed
    with read_session(demo_db) as session:
        indicator = session.exec(select(Indicator).join(Benefit).where(Benefit.initiative_id == 5)
                                 .order_by(Indicator.id)).first()
    # Halfway to the target: a revised baseline that leaves the target on its side of the direction.
    revised = float(round((indicator.baseline_value + indicator.target_value) / 2))
    app.number_input(key=f"revise_{indicator.id}_value").set_value(revised)
    app.button(key=f"revise_{indicator.id}").click().run()
    assert texts(app.error) == ["Give a reason for changing a locked baseline."]
    with read_session(demo_db) as session:
        assert session.get(Indicator, indicator.id).baseline_value == indicator.baseline_value

    app.number_input(key=f"revise_{indicator.id}_value").set_value(revised)
    app.text_area(key=f"revise_{indicator.id}_reason").input("The first baseline missed one ward.")
    app.button(key=f"revise_{indicator.id}").click().run()
    assert "The baseline is changed." in texts(app.success)
    baseline = next(value for label, value in _metrics(app) if label == "Baseline")  # the first indicator's
    assert baseline == (f"{format_number(revised, 'en')} (original "
                        f"{format_number(indicator.baseline_value, 'en')})")


def test_lead_is_not_offered_to_change_a_locked_baseline(app, demo_db):
    sign_in(app, "lead")
    open_initiative(app, 5, "Benefits")
    with read_session(demo_db) as session:
        indicator = session.exec(select(Indicator).join(Benefit).where(Benefit.initiative_id == 5)
                                 .order_by(Indicator.id)).first()
    assert not [b for b in app.button if b.key == f"revise_{indicator.id}"]


def test_benefit_form_reports_every_problem(app, demo_db):
    sign_in(app, "owner")
    open_initiative(app, PILOT, "Benefits")
    before = _count(demo_db, Benefit)
    app.text_input(key="benefit_title").input("  ")
    app.number_input(key="benefit_money").set_value(None)
    app.button(key="FormSubmitter:benefit_form-Add benefit").click().run()
    assert texts(app.error) == ["The title must not be empty."]
    assert _count(demo_db, Benefit) == before


def test_steering_member_reads_but_cannot_change(app, demo_db):
    sign_in(app, "steering")
    open_initiative(app, PILOT, "Benefits")
    assert app.button(key="save_calculation").disabled
    assert not [f for f in app.text_input if f.key == "benefit_title"]
    with read_session(demo_db) as session:
        measured = sum(1 for s in indicator_summaries(session=session, initiative_id=PILOT) if s.series)
    assert len(app.get("vega_lite_chart")) == measured + 1


def test_owner_names_a_benefit_owner_on_an_existing_benefit(app, demo_db):
    sign_in(app, "owner")
    open_initiative(app, 2, "Benefits")  # at the concept gate: its benefits have no benefit owner yet
    with read_session(demo_db) as session:
        benefit = session.exec(select(Benefit).where(Benefit.initiative_id == 2).order_by(Benefit.id)).first()
    assert benefit.owner_id is None
    prefix = f"benefit_{benefit.id}"
    owner_box = app.selectbox(key=f"{prefix}_owner")
    owner_box.select_index(owner_box.options.index("Nora Nyttoägare"))
    app.button(key=f"FormSubmitter:{prefix}_form-Save benefit").click().run()
    assert "The benefit is saved." in texts(app.success)
    with read_session(demo_db) as session:
        saved = session.get(Benefit, benefit.id)
        event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (saved.version, event.action, event.before, event.after.get("owner_id")) == (
        benefit.version + 1, "benefit.update", {"owner_id": None}, saved.owner_id)
    assert "Benefit owner: Nora Nyttoägare" in " ".join(texts(app.caption))


def test_owner_changes_an_indicator_target(app, demo_db):
    sign_in(app, "owner")
    open_initiative(app, PILOT, "Benefits")
    with read_session(demo_db) as session:
        indicator = session.exec(select(Indicator).join(Benefit).where(Benefit.initiative_id == PILOT)).first()
    prefix = f"indicator_{indicator.id}_"
    app.number_input(key=prefix + "target").set_value(indicator.target_value + 1)
    app.button(key=f"FormSubmitter:{prefix}form-Save indicator").click().run()
    assert "The indicator is saved." in texts(app.success)
    with read_session(demo_db) as session:
        saved = session.get(Indicator, indicator.id)
    assert (saved.target_value, saved.baseline_value, saved.version) == (
        indicator.target_value + 1, indicator.baseline_value, indicator.version + 1)
    assert ("Target", format_number(indicator.target_value + 1, "en")) in _metrics(app)


def test_owner_adds_an_indicator_through_the_form_built_from_its_input_model(app, demo_db):
    sign_in(app, "owner")
    open_initiative(app, PILOT, "Benefits")
    with read_session(demo_db) as session:
        benefit = session.exec(select(Benefit).where(Benefit.initiative_id == PILOT).order_by(Benefit.id)).first()
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
    with read_session(demo_db) as session:
        added = session.exec(select(Indicator).where(Indicator.code == "FORM-1")).one()
    assert (added.benefit_id, added.name, added.data_source, added.direction, added.frequency, added.baseline_value,
            added.baseline_date, added.target_value, added.target_date, added.amber_tolerance, added.red_tolerance,
            added.valid_min, added.valid_max) == (
        benefit.id, "Readmissions", "Patient register", "lower", "month", 40.0, date(2026, 1, 1), 30.0,
        date(2027, 6, 30), 0.15, 0.25, None, 100.0)


def test_indicator_form_shows_the_stored_values_and_keeps_the_baseline_to_its_own_form(app, demo_db):
    sign_in(app, "owner")
    open_initiative(app, PILOT, "Benefits")
    with read_session(demo_db) as session:
        indicator = session.exec(select(Indicator).join(Benefit).where(Benefit.initiative_id == PILOT)).first()
    prefix = f"indicator_{indicator.id}_"
    baseline = app.number_input(key=prefix + "baseline")
    assert (app.text_input(key=prefix + "code").value, app.selectbox(key=prefix + "aggregation").value,
            baseline.value, baseline.disabled, app.number_input(key=prefix + "red").value) == (
        indicator.code, indicator.aggregation, indicator.baseline_value, True, indicator.red_tolerance * 100)


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
