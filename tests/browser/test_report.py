"""A Swedish steering-group member opens the benefit report, chooses the period, reads it in Swedish with no
English left, and downloads its PDF and Excel file; on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import Page, expect

from db.engine import write_session
from db.models import User
from tests.browser.conftest import settled, sign_in
from tests.browser.test_page_language import _english_in, _seen
from tests.test_benefit_report import build

pytestmark = pytest.mark.browser


def test_the_steering_group_reads_and_downloads_the_report_in_swedish(page: Page, app_db, served_app, monkeypatch):
    monkeypatch.delenv("PORTFOLIO_TIMEZONE", raising=False)
    built = build(app_db)
    with write_session(app_db) as session:
        session.get(User, built.world.steering.id).language = "sv"
    sign_in(page, f"{served_app}/benefit-report", "steering", heading="Nyttorapport")

    # The period of the hand-built portfolio: the first half of 2025 (the page starts with this year so far).
    # A date field has a spin button per part (year, month, day), typed into one after the other.
    for label, day in (("Från", ("2025", "01", "01")), ("Till", ("2025", "06", "30"))):
        for part, value in zip(("year", "month", "day"), day):
            field = page.get_by_role("spinbutton", name=f"{part}, {label}")
            field.click()
            field.press_sequentially(value)
        expect(page.get_by_role("spinbutton", name=f"day, {label}")).to_have_attribute(
            "aria-valuenow", str(int(day[2])))
        # The field sends its date when it loses focus (its own calendar button keeps it).
        page.get_by_role("heading", name="Nyttorapport").click()
        settled(page)
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("3 initiativ var öppna under perioden.")
    expect(main).to_contain_text("Är i fasen Avbruten; det var i fasen Idé när perioden började.")
    assert _english_in(_seen(page), "sv") == []

    with page.expect_download() as pdf:
        page.get_by_role("button", name="Ladda ner PDF").click()
    assert pdf.value.suggested_filename == f"benefit-report-{built.world.portfolio.id}-2025-01-01-2025-06-30.pdf", \
        pdf.value.suggested_filename
    assert open(pdf.value.path(), "rb").read(5) == b"%PDF-"

    with page.expect_download() as excel:
        page.get_by_role("button", name="Ladda ner Excel").click()
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(open(excel.value.path(), "rb").read()))
    assert workbook.sheetnames[0] == "Sammanfattning"
    assert workbook["Sammanfattning"]["B2"].value == 3
