"""AppTest for an indicator's measurement grid: a save leaves the indicator open on its measurements and says
which values it stored; a refused save keeps the edits and says why; a save with no edit says so."""

from __future__ import annotations

from datetime import date

import pytest

from db.engine import write_session
from db.models import Indicator
from tests.factories import World, benefits_snapshot, make_benefit, make_indicator, make_measurement, make_org_unit
from tests.ui.conftest import no_exception, open_initiative, sign_in, texts

MARCH = date(2026, 3, 1)


@pytest.fixture
def waits(app_db) -> tuple[int, Indicator]:
    """A pilot's monthly indicator "Waiting days", measured in March by two clinics; "owner" owns the portfolio."""
    with write_session(app_db) as session:
        world = World(session, stage="pilot")
        hospital = make_org_unit(session, name="Länssjukhuset")
        indicator = make_indicator(
            session, make_benefit(session, world.initiative, title="Shorter waits"), code="WAIT", name="Waiting days",
            direction="lower", frequency="month", aggregation="sum", baseline_value=120.0,
            baseline_date=date(2026, 1, 1), target_value=60.0, target_date=date(2026, 12, 1))
        for name, value in (("Akutkliniken", 50.0), ("Ortopedkliniken", 40.0)):
            make_measurement(session, indicator, period=MARCH, value=value,
                             org_unit=make_org_unit(session, name=name, parent=hospital))
        return world.initiative.id, indicator


def _open_grid(app, initiative_id: int, indicator: Indicator):
    sign_in(app, "owner")
    open_initiative(app, initiative_id, "Benefits")
    app.session_state[f"open_indicator_{indicator.id}"] = True
    app.session_state[f"indicator_tab_{indicator.id}"] = "Enter measurements"
    return no_exception(app.run())


def _save(app, indicator: Indicator, round_: int, edited: dict, added: list):
    app.session_state[f"grid_{indicator.id}_{round_}"] = {"edited_rows": edited, "added_rows": added,
                                                          "deleted_rows": []}
    return app.button(key=f"save_grid_{indicator.id}").click().run()


def test_a_save_keeps_the_indicator_open_and_lists_what_it_stored(app, waits):
    initiative_id, indicator = waits
    _open_grid(app, initiative_id, indicator)
    _save(app, indicator, 0, {0: {"value": 12}, 1: {"value": 7.5}},
          [{"period": "2026-04", "org_unit": "", "value": 30}, {"period": "2026-04-01", "org_unit": "Akutkliniken",
                                                               "value": 1200.25}])
    assert texts(app.success) == ["The measurements are saved.\n\n"
                                  "**2026-03:** Akutkliniken 12 · Ortopedkliniken 7.5\n\n"
                                  "**2026-04:** the whole initiative 30 · Akutkliniken 1,200.25"]
    # Still open on the measurements, with a new grid showing what is stored.
    assert (app.session_state[f"open_indicator_{indicator.id}"],
            app.session_state[f"indicator_tab_{indicator.id}"]) == (True, "Enter measurements")
    assert app.session_state[f"grid_{indicator.id}_1"] == {"edited_rows": {}, "added_rows": [], "deleted_rows": []}
    # The confirmation stays through later runs, until the next save.
    no_exception(app.run())
    assert len(texts(app.success)) == 1


def test_a_refused_save_keeps_the_edits_and_says_why(app, app_db, waits):
    initiative_id, indicator = waits
    _open_grid(app, initiative_id, indicator)
    before = benefits_snapshot(app_db)
    _save(app, indicator, 0, {0: {"value": "twelve"}}, [])
    assert texts(app.error) == ["Row 1: the value 'twelve' is not a number."]
    assert (texts(app.success), benefits_snapshot(app_db)) == ([], before)
    # The same grid, its edit still in it.
    assert app.session_state[f"grid_{indicator.id}_0"]["edited_rows"] == {0: {"value": "twelve"}}


def test_a_save_without_an_edit_says_so(app, app_db, waits):
    initiative_id, indicator = waits
    _open_grid(app, initiative_id, indicator)
    before = benefits_snapshot(app_db)
    _save(app, indicator, 0, {}, [])
    assert texts(app.warning) == ["Nothing to save: no value was changed."]
    assert benefits_snapshot(app_db) == before


@pytest.mark.parametrize(("language", "typed", "shown", "stored"), [
    pytest.param("en", "1,200", "1,200", 1200.0, id="en: a comma groups thousands"),
    pytest.param("en", "7.5", "7.5", 7.5, id="en: a decimal point"),
    pytest.param("sv", "1,5", "1,5", 1.5, id="sv: a decimal comma"),
    pytest.param("sv", "1 200", "1\u00a0200", 1200.0, id="sv: a space groups thousands"),
])
def test_values_are_shown_and_read_in_the_readers_digits(app, app_db, waits, language, typed, shown, stored):
    """The grid shows the stored values in the reader's digits, not the browser's, and reads a corrected
    value as the reader writes it: "1,200" is twelve hundred in English, and "1,5" one and a half in Swedish."""
    from sqlmodel import col, select

    from db.engine import read_session
    from db.models import Measurement, User
    from portfolio.i18n import translator

    initiative_id, indicator = waits
    with write_session(app_db) as session:
        session.exec(select(User).where(User.username == "owner")).one().language = language
    sign_in(app, "owner")
    open_initiative(app, initiative_id, translator(language)("Benefits"))
    app.session_state[f"open_indicator_{indicator.id}"] = True
    app.session_state[f"indicator_tab_{indicator.id}"] = translator(language)("Enter measurements")
    no_exception(app.run())
    _save(app, indicator, 0, {0: {"value": typed}}, [])
    with read_session(app_db) as session:
        values = session.exec(select(Measurement.value).where(Measurement.indicator_id == indicator.id)
                              .order_by(col(Measurement.id))).all()
    assert values == [stored, 40.0]
    # The new grid shows what is stored, as the reader writes it.
    grid = app.dataframe[0].value
    assert list(grid["value"]) == [shown, "40"]
