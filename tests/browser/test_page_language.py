"""No English on a page read in Swedish or Norwegian: every page and tab, as the browser draws it.

The catalogue test proves that every msgid has a translation; this test proves that the page uses them. It
signs in as a user whose profile language is sv or nb, opens every page, every tab of the initiative page and
every section of the Benefits tab, and looks for English in what the browser shows: any line that is an
English msgid of the catalogue, any longer English sentence inside a line, and the words Streamlit draws
itself ("Choose an option", "Upload", "Download as CSV", ...).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from db.engine import write_session
from db.models import Initiative, RoleAssignment, User
from portfolio.i18n import translator
from tests.browser.conftest import settled, sign_in
from tests.factories import make_benefit, make_indicator, make_initiative, make_measurement
from tests.test_translations import _catalog

pytestmark = pytest.mark.browser

# Streamlit's own words: substrings that must not be seen, or whole lines.
STREAMLIT_PHRASES = ("Choose an option", "Drag and drop", "Browse files", "per file", "Download as CSV",
                     "No results", "Press Enter", "Show/hide columns")
STREAMLIT_LINES = {"Upload", "None", "Search", "Fullscreen", "Running...", "Stop"}
HEADINGS = {"sv": ("Portföljöversikt", "Mina beslut"), "nb": ("Porteføljeoversikt", "Mine beslutninger")}


def _english(language: str) -> tuple[set[str], set[str]]:
    """English msgids whose translation differs: whole lines, and sentences of three words or more."""
    lines = set()
    for message in _catalog(language):
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        text = message.string if isinstance(message.string, str) else message.string[0]
        if msgid and text and text != msgid and "{" not in msgid:
            lines.add(msgid.strip())
    return lines, {line for line in lines if len(line.split()) >= 3}


# The main area's text as the reader sees it: icons (drawn from ligature words such as "upload") and text that
# style rules shrink to nothing (the words Streamlit draws, replaced by translated ones) are left out.
_VISIBLE_TEXT = """main => {
  const hidden = [...main.querySelectorAll('*')].filter(e => e.matches('[data-testid=stIconMaterial]')
      || getComputedStyle(e).fontSize === '0px');
  const saved = hidden.map(e => e.style.display);
  hidden.forEach(e => { e.style.display = 'none'; });
  const text = main.innerText;
  hidden.forEach((e, i) => { e.style.display = saved[i]; });
  return text;
}"""


def _seen(page: Page) -> list[str]:
    """The lines of text the page shows, the placeholders of its inputs and the text that style rules draw."""
    main = page.locator("[data-testid='stMain']")
    lines = [line.strip() for line in main.evaluate(_VISIBLE_TEXT).splitlines() if line.strip()]
    lines += [value for value in page.locator("input[placeholder], textarea[placeholder]").evaluate_all(
        "elements => elements.map(e => e.placeholder)") if value]
    lines += [value.strip('"') for value in page.locator("[data-testid='stFileUploaderDropzone'] p, "
                                                         "[data-testid='stFileUploaderDropzoneInstructions'] span")
              .evaluate_all("elements => elements.map(e => getComputedStyle(e, '::after').content)")
              if value not in ("none", "normal")]
    return lines


def _english_in(lines: list[str], language: str) -> list[str]:
    whole, sentences = _english(language)
    found = []
    for line in lines:
        if line in whole or line in STREAMLIT_LINES:
            found.append(line)
        found += [f"{phrase!r} in {line!r}" for phrase in (*sentences, *STREAMLIT_PHRASES) if phrase in line]
    return found


@pytest.mark.parametrize("language", ["sv", "nb"])
def test_no_page_shows_english_to_a_swedish_or_norwegian_reader(page: Page, served_app, world, app_db, language):
    with write_session(app_db) as session:
        for user in session.exec(select(User)).all():
            user.language = language
        initiative = session.get(Initiative, world.initiative.id)
        initiative.title = "Digital triage i primärvården"
        benefit = make_benefit(session, initiative, title="Kortare väntetider")
        indicator = make_indicator(session, benefit, name="Väntetid till första kontakt", unit="dagar",
                                   baseline_value=40, target_value=25, direction="lower")
        for month, value in ((1, 36.5), (2, 31.25)):
            make_measurement(session, indicator, period=date(2026, month, 1), value=value, org_unit=world.unit)
        # The owner also leads an initiative and reports for the unit, so the worklists have rows to show.
        session.add_all([RoleAssignment(user_id=world.owner.id, role="implementation_lead",
                                        portfolio_id=world.portfolio.id),
                         RoleAssignment(user_id=world.owner.id, role="reporter", org_unit_id=world.unit.id)])
        led = make_initiative(session, portfolio=world.portfolio, creator=world.owner, lead=world.owner,
                              stage="pilot", org_unit=world.unit, title="Läkemedelsrobot")
        make_indicator(session, make_benefit(session, led, title="Frigjord tid"), name="Timmar per vecka",
                       frequency="week")
    _ = translator(language)
    overview, decisions = HEADINGS[language]
    sign_in(page, served_app, "owner", heading=decisions)
    settled(page)
    seen: dict[str, list[str]] = {"my decisions": _seen(page)}

    page.get_by_role("link", name=overview).click()
    expect(page.get_by_role("heading", name=overview)).to_be_visible()
    settled(page)
    seen["overview"] = _seen(page)

    for worklist in (_("My initiatives"), _("Figures to report")):
        page.get_by_role("link", name=worklist).click()
        expect(page.get_by_role("heading", name=worklist)).to_be_visible()
        settled(page)
        seen[worklist] = _seen(page)

    page.goto(f"{served_app}/initiative?id={initiative.id}")
    expect(page.get_by_role("heading", name="Digital triage i primärvården")).to_be_visible()
    for tab in page.get_by_role("tab").all_inner_texts():
        page.get_by_role("tab", name=tab, exact=True).click()
        settled(page)
        seen[f"tab {tab}"] = _seen(page)
        if tab == _("Benefits"):
            # Each closed section of the tab draws its content only when opened: open them one by one.
            for _number in range(page.locator("[data-testid='stExpander'] details:not([open]) summary").count()):
                closed = page.locator("[data-testid='stExpander'] details:not([open]) summary")
                if not closed.count():
                    break
                label = closed.first.inner_text().replace("keyboard_arrow_right", "").strip()
                closed.first.click()
                settled(page)
                seen[f"tab {tab}, section {label}"] = _seen(page)

    page.goto(f"{served_app}/new-idea")
    expect(page.get_by_role("heading", name=_("New idea"))).to_be_visible()
    settled(page)
    seen["new idea"] = _seen(page)

    found = {where: english for where, lines in seen.items() if (english := _english_in(lines, language))}
    assert found == {}, "\n".join(f"{where}: {english}" for where, english in found.items())
    # The figures are in the language's own digits: decimal comma.
    assert any(re.search(r"\b31,25\b", line) for lines in seen.values() for line in lines)
