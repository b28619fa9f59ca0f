"""Upload a file with one bad row: a row-numbered error and nothing imported. Then the corrected
file: the new values reach the indicator and its chart."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import Measurement, OrgUnit
from tests.browser.conftest import sign_in
from tests.factories import World, make_benefit, make_indicator, make_measurement, make_org_unit

pytestmark = pytest.mark.browser

MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)
# What the pilot's two clinics reported before the import: (period, unit code, value).
STORED = [(MARCH, "AKUT-01", 50.0), (MARCH, "ORTO-01", 40.0), (APRIL, "AKUT-01", 45.0), (APRIL, "ORTO-01", 35.0)]
# The file corrects one April value and adds May for both clinics.
GOOD = ["indicator,period,org_unit,value", "WAIT,2026-04,AKUT-01,44", "WAIT,2026-05,AKUT-01,30",
        "WAIT,2026-05,ORTO-01,25"]
BAD = [*GOOD[:2], "WAIT,2026-05,AKUT-01,tolv", *GOOD[3:]]


@pytest.fixture
def pilot(app_db) -> int:
    """A pilot whose indicator (waiting days, a monthly sum, baseline 120, target 60) two clinics with
    register codes reported for March and April; the owner decides its gate."""
    with write_session(app_db) as session:
        world = World(session, stage="pilot")
        hospital = make_org_unit(session, name="Länssjukhuset")
        units = {code: make_org_unit(session, name=name, code=code, parent=hospital)
                 for code, name in (("AKUT-01", "Akutkliniken"), ("ORTO-01", "Ortopedkliniken"))}
        waits = make_indicator(session, make_benefit(session, world.initiative, title="Shorter waits"), code="WAIT",
                               name="Waiting days", unit="days", direction="lower", frequency="month",
                               aggregation="sum", baseline_value=120.0, baseline_date=date(2026, 1, 1),
                               target_value=60.0, target_date=date(2026, 12, 1))
        for period, code, value in STORED:
            make_measurement(session, waits, period=period, value=value, org_unit=units[code])
        return world.initiative.id


def _stored(app_db) -> list[tuple[date, str, float]]:
    """Every stored measurement as (period, unit code, value)."""
    with read_session(app_db) as session:
        return [tuple(row) for row in session.exec(
            select(Measurement.period_start, OrgUnit.code, Measurement.value)
            .join(OrgUnit, OrgUnit.id == Measurement.org_unit_id)
            .order_by(col(Measurement.period_start), col(OrgUnit.code))).all()]


def _upload(page: Page, path) -> None:
    """Choose a file and wait until the uploader shows it."""
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    expect(page.locator("[data-testid='stFileChipName']")).to_have_text(path.name)


def test_upload_with_a_bad_row_then_the_corrected_file(page: Page, pilot, app_db, served_app, tmp_path):
    bad = tmp_path / "figures-bad.csv"
    bad.write_text("\n".join(BAD) + "\n", encoding="utf-8")
    good = tmp_path / "figures.csv"
    good.write_text("\n".join(GOOD) + "\n", encoding="utf-8")
    assert _stored(app_db) == STORED

    sign_in(page, served_app, "owner")
    page.get_by_role("link", name="My decisions").click()
    page.locator(f".st-key-gate_{pilot}").get_by_role("link", name="Open initiative").click()
    page.get_by_role("tab", name="Benefits").click()

    _upload(page, bad)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Nothing was imported from figures-bad.csv.", exact=True)).to_be_visible()
    expect(page.get_by_text("Row 3: the value 'tolv' is not a number.", exact=True)).to_be_visible()
    assert _stored(app_db) == STORED

    _upload(page, good)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Imported figures.csv: 2 new values, 1 corrected, 0 unchanged (read as UTF-8).",
                            exact=True)).to_be_visible()
    # The indicator's chart is drawn when its expander is opened.
    page.get_by_test_id("stExpander").get_by_text("Waiting days · WAIT", exact=True).click()
    expect(page.get_by_text("Latest combined value: 55 for the period starting 2026-05-01.",
                            exact=True)).to_be_visible()
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    assert _stored(app_db) == [*STORED[:2], (APRIL, "AKUT-01", 44.0), STORED[3], (MAY, "AKUT-01", 30.0),
                               (MAY, "ORTO-01", 25.0)]
