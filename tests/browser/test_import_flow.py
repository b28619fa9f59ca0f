"""Upload a file with one bad row: a row-numbered error and nothing imported. Then the corrected
file: the new values reach the indicator and its chart."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func
from sqlmodel import select

from db.engine import get_engine, read_session
from db.models import Benefit, Indicator, Measurement, OrgUnit

pytestmark = pytest.mark.browser
PILOT = 3


def _latest_rows(sqlite_url):
    """The pilot's indicator, its latest period and the codes of the units that reported in it."""
    with read_session(get_engine(sqlite_url)) as session:
        indicator = session.exec(select(Indicator).join(Benefit).where(Benefit.initiative_id == PILOT)).first()
        latest = session.exec(select(func.max(Measurement.period_start))
                              .where(Measurement.indicator_id == indicator.id)).one()
        codes = session.exec(select(OrgUnit.code).join(Measurement, Measurement.org_unit_id == OrgUnit.id)
                             .where(Measurement.indicator_id == indicator.id, Measurement.period_start == latest)
                             .order_by(OrgUnit.code)).all()
    return indicator, latest, codes


def _upload(page: Page, path) -> None:
    """Choose a file and wait until the uploader shows it."""
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    expect(page.locator("[data-testid='stFileChipName']")).to_have_text(path.name)


def _count(sqlite_url) -> int:
    with read_session(get_engine(sqlite_url)) as session:
        return session.exec(select(func.count()).select_from(Measurement)).one()


def test_upload_with_a_bad_row_then_the_corrected_file(page: Page, served_app, sqlite_url, tmp_path):
    indicator, latest, codes = _latest_rows(sqlite_url)
    period = latest.strftime("%Y-%m")
    lines = ["indicator,period,org_unit,value"] + [f"{indicator.code},{period},{code},{10 + n}"
                                                   for n, code in enumerate(codes)]
    bad = tmp_path / "figures-bad.csv"
    bad.write_text("\n".join(lines[:2] + [lines[2].rsplit(",", 1)[0] + ",tolv"] + lines[3:]) + "\n")
    good = tmp_path / "figures.csv"
    good.write_text("\n".join(lines) + "\n")
    before = _count(sqlite_url)

    page.set_default_timeout(30_000)
    page.goto(served_app)
    page.get_by_role("button", name="owner – Portfolio owner and decision owner").click()
    page.get_by_role("link", name="My decisions").click()
    page.locator(f".st-key-gate_{PILOT}").get_by_role("button", name="Open initiative").click()
    page.get_by_role("tab", name="Benefits").click()

    _upload(page, bad)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Nothing was imported from figures-bad.csv.")).to_be_visible()
    expect(page.get_by_text("Row 3: the value 'tolv' is not a number.")).to_be_visible()
    assert _count(sqlite_url) == before

    _upload(page, good)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text(re.compile(r"Imported figures\.csv: 0 new values, \d corrected"))).to_be_visible()
    total = sum(10 + n for n in range(len(codes)))
    expect(page.get_by_text(
        f"Latest combined value: {total} for the period starting {latest.isoformat()}.")).to_be_visible()
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    assert _count(sqlite_url) == before
