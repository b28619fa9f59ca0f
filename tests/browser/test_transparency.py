"""The transparency export in Chromium: the portfolio owner marks a text internal on the Details tab, downloads
the public page and its data from the Transparency export page, and the page opened from disk shows the
initiative without the internal text and asks nothing of any server."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, Page, expect

from db.engine import write_session
from db.models import Initiative, User
from tests.browser.conftest import settled, sign_in

pytestmark = pytest.mark.browser

SECRET = "Negotiations with the supplier are confidential"


def test_the_owner_marks_a_text_internal_and_downloads_the_public_page(page: Page, browser: Browser, world, app_db,
                                                                        served_app, tmp_path):
    with write_session(app_db) as session:
        initiative = session.get(Initiative, world.initiative.id)
        initiative.description = SECRET
        session.add(initiative)
    sign_in(page, f"{served_app}/initiative?id={world.initiative.id}&initiative_tabs=Details", "owner",
            heading="Digital triage")
    page.get_by_text("The description is internal").click()
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("The details are saved.")).to_be_visible()

    page.get_by_role("link", name="Transparency export").click()
    expect(page.get_by_role("heading", name="Transparency export")).to_be_visible()
    settled(page)
    with page.expect_download(timeout=60_000) as html_download:
        page.get_by_role("button", name="Download the public page (HTML)").click()
    with page.expect_download(timeout=60_000) as json_download:
        page.get_by_role("button", name="Download the data (JSON)").click()
    assert (html_download.value.suggested_filename, json_download.value.suggested_filename) == (
        "transparency.html", "transparency.json")
    html_path, json_path = tmp_path / "transparency.html", tmp_path / "transparency.json"
    html_download.value.save_as(html_path)
    json_download.value.save_as(json_path)
    document = json.loads(json_path.read_text(encoding="utf-8"))
    assert [(i["title"], "description" in i) for i in document["initiatives"]] == [("Digital triage", False)]
    assert SECRET not in html_path.read_text(encoding="utf-8")

    # Opened from disk, the page shows everything and asks for nothing beyond its own file.
    offline = page.context.new_page()
    requests: list[str] = []
    offline.on("request", lambda request: requests.append(request.url))
    offline.goto(html_path.as_uri())
    expect(offline.get_by_role("heading", name="Digital initiatives: transparency report")).to_be_visible()
    expect(offline.get_by_role("heading", name="Digital triage")).to_be_visible()
    expect(offline.get_by_text("Long telephone queues")).to_be_visible()
    assert requests == [html_path.as_uri()]
    offline.close()

    # A Swedish owner reads the page in Swedish.
    with write_session(app_db) as session:
        session.get(User, world.owner.id).language = "sv"
    swedish = browser.new_context().new_page()
    sign_in(swedish, f"{served_app}/transparency", "owner", heading="Öppen redovisning")
    expect(swedish.get_by_role("button", name="Ladda ner den offentliga sidan (HTML)")).to_be_visible()
    expect(swedish.get_by_role("button", name="Ladda ner data (JSON)")).to_be_visible()
    swedish.context.close()
