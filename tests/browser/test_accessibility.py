"""WCAG 2.1 AA in the browser: axe-core's rules run on every page of the app as Chromium draws it.

Public bodies in Sweden and Norway must meet WCAG 2.1 AA. Each page (and each tab of the initiative page, with
its charts open) is checked with axe-core's WCAG 2.0 and 2.1 level A and AA rules; any serious or critical
violation fails the test and is printed with its rule, impact, element and help. A violation in Streamlit's own
markup, which the project cannot change, is allowed only by its rule and the Streamlit element it is in
(``STREAMLIT_OWN`` below, also listed in the README), so anything new fails. Every chart drawn must have a text
alternative (its name), and the page must say the reader's language and have a title of its own, which axe
cannot judge.

The markup does not depend on the database, so the pages are checked on SQLite only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Callable, Optional

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Frame, Page, expect

from db.engine import write_session
from db.models import DatabaseInfo, GateDecision, Initiative, RoleAssignment, User
from portfolio.benefits_math import CashflowYear
from portfolio.snapshots import freeze_report
from tests.browser.conftest import settled, sign_in
from tests.factories import (
    World,
    actor,
    make_benefit,
    make_calculation,
    make_indicator,
    make_initiative,
    make_measurement,
)

pytestmark = pytest.mark.browser

# WCAG 2.0 and 2.1, levels A and AA: what the law asks of Swedish and Norwegian public bodies.
RULE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
FAILING = ("serious", "critical")
UNNAMED_CHART = "Vega visualization"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": list(RULE_TAGS)}, "resultTypes": ["violations"],
               # Each frame is checked on its own (the snapshot's report is a data address, which axe's messages
               # between frames cannot reach).
               "iframes": False}

# Violations in Streamlit's own markup, which nothing the app passes or styles can change: (rule id, a pattern of
# the element's Streamlit names, its data-testid and its ancestors', innermost first). Each is listed in the README's
# "Accessibility" section. With Streamlit 1.67 there is none: the one these pages showed, the grey of captions
# (color-contrast, stCaptionContainer), is put right by the app's style rules (portfolio/ui/components.py).
STREAMLIT_OWN: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Violation:
    """One element that breaks one rule: where it is (axe's selector, and the Streamlit element names of the
    element and its ancestors, the ``data-testid`` attributes Streamlit gives its own markup) and why."""

    rule: str
    impact: str
    target: str
    elements: str
    help: str
    detail: str

    def __str__(self) -> str:
        return (f"{self.rule} ({self.impact}) at {self.target} [{self.elements}]: {self.help}. {self.detail}")


# The data-testid of the element and of each ancestor, innermost first ("stCaptionContainer < stMarkdown < ...").
_ELEMENTS = """element => {
  const names = [];
  for (let e = element; e; e = e.parentElement) {
    if (e.dataset && e.dataset.testid) names.push(e.dataset.testid);
  }
  return names.join(' < ');
}"""


def _violation(frame: Frame, rule: dict, node: dict) -> Violation:
    # axe names the element by a CSS selector (a list of them inside a shadow root: the last is the element).
    selector = node["target"][-1] if isinstance(node["target"][-1], str) else node["target"][-1][-1]
    located = frame.locator(selector).first
    elements = located.evaluate(_ELEMENTS) if located.count() else ""
    where = "" if frame.parent_frame is None else f"(in the frame {frame.name or frame.url[:40]}) "
    checks = [check["message"] for kind in ("any", "all", "none") for check in node.get(kind, [])]
    return Violation(rule["id"], node.get("impact") or rule["impact"], where + selector, elements, rule["help"],
                     " ".join(checks[:1]) + f" {node['html'][:160]}")


def violations(page: Page) -> list[Violation]:
    """Every violation of the WCAG A and AA rules on the page and in each of its frames."""
    axe = Axe()
    return [_violation(frame, rule, node) for frame in page.frames
            for rule in axe.run(frame, options=AXE_OPTIONS).response["violations"] for node in rule["nodes"]]


def allowed(violation: Violation) -> bool:
    """Whether the violation is one of Streamlit's own, listed in ``STREAMLIT_OWN``."""
    return any(violation.rule == rule and re.search(pattern, violation.elements) for rule, pattern in STREAMLIT_OWN)


# ---------------------------------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Site:
    initiative_id: int
    unit_id: int
    portfolio_id: int
    snapshot_id: int


def _build(engine, *, demo: bool = False) -> Site:
    """World's organisation with something on every page: "Digital triage" (an idea the owner decides) with a
    benefit, an indicator measured this year and a benefit calculation; "Läkemedelsrobot" (a pilot the lead
    leads, given a conditional go whose conditions are past due); two frozen snapshots. With ``demo``, the
    database is marked a demo database (the sign-in page offers demo accounts, every page has the banner)."""
    today = date.today()
    with write_session(engine) as session:
        if demo:
            session.add(DatabaseInfo(id=1, is_demo=True))
        world = World(session)
        initiative = session.get(Initiative, world.initiative.id)
        initiative.estimated_cost = 250_000.0
        benefit = make_benefit(session, initiative, title="Shorter waits", money_per_unit=120.0)
        waiting = make_indicator(session, benefit, code="WAIT", name="Waiting days", unit="days", direction="lower",
                                 frequency="month", baseline_value=40.0, baseline_date=date(today.year, 1, 1),
                                 target_value=25.0, target_date=date(today.year + 1, 1, 1))
        for month, value in ((1, 39.0), (2, 36.5), (3, 31.25)):
            make_measurement(session, waiting, period=date(today.year, month, 1), value=value, org_unit=world.unit)
        make_calculation(session, initiative, [CashflowYear(today.year, investment=100_000.0, benefit=20_000.0),
                                               CashflowYear(today.year + 1, operation=10_000.0, benefit=90_000.0)])
        session.add(RoleAssignment(user_id=world.lead.id, role="implementation_lead",
                                   portfolio_id=world.portfolio.id))
        robot = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead,
                                stage="pilot", org_unit=world.unit, title="Läkemedelsrobot", estimated_cost=90_000.0)
        session.add(GateDecision(initiative_id=robot.id, outcome="conditional_go", from_stage="concept",
                                 to_stage="pilot", decided_by_id=world.owner.id, conditions="A signed DPIA",
                                 decided_at=datetime(today.year, 1, 2, 9, tzinfo=timezone.utc)))
        make_indicator(session, make_benefit(session, robot, title="Freed time"), code="HOURS",
                       name="Hours a week", frequency="week")
        steering = actor(session, world.steering)
        snapshots = [freeze_report(session=session, actor=steering, portfolio_id=world.portfolio.id,
                                   meeting_name=name, meeting_date=day, period_from=date(today.year, 1, 1),
                                   period_to=today, language="en")
                     for name, day in (("Steering group, spring", date(today.year, 3, 1)),
                                       ("Steering group, autumn", date(today.year, 9, 1)))]
        return Site(initiative.id, world.unit.id, world.portfolio.id, snapshots[-1].id)


# --------------------------------------------------------------------------------------------------- the pages


@dataclass(frozen=True)
class Visit:
    """Who opens which address (none: signed out), the heading that says the page is drawn, what is opened on it
    before the check, whether the database is a demo database (its banner on every page) and whether the browser
    asks for the dark theme."""

    user: Optional[str]
    address: Callable[[Site], str]
    heading: str
    then: Callable[[Page], None] = lambda page: None
    demo: bool = False
    dark: bool = False


def _open_expander(label: str, tab: Optional[str] = None, chart: bool = True) -> Callable[[Page], None]:
    """Open the Benefits tab's expander ``label`` (and its tab ``tab``); with ``chart``, wait for its chart."""
    def open_(page: Page) -> None:
        page.locator("[data-testid='stExpander'] summary", has_text=label).first.click()
        settled(page)
        opened = page.locator("[data-testid='stExpander'] details[open]")
        if tab is not None:
            opened.get_by_role("tab", name=tab).click()
            settled(page)
        if chart:
            expect(opened.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
                   .first).to_be_attached()
        else:
            expect(opened.locator("[data-testid='stExpanderDetails'] [data-testid='stElementContainer']").first)\
                .to_be_visible()
    return open_


def _charts_drawn(page: Page) -> None:
    charts = page.locator("[data-testid='stVegaLiteChart']")
    expect(charts.first).to_be_visible()
    for index in range(charts.count()):
        expect(charts.nth(index).locator("canvas, svg").first).to_be_attached()


def _initiative(tab: str, user: str = "owner", then: Callable[[Page], None] = lambda page: None) -> Visit:
    return Visit(user, lambda s: f"initiative?id={s.initiative_id}&initiative_tabs={tab}", "Digital triage", then)


PAGES = {
    "sign-in": Visit(None, lambda s: "", "Initiative portfolio"),
    "sign-in, demo database": Visit(None, lambda s: "", "Initiative portfolio", demo=True),
    "my decisions": Visit("owner", lambda s: "my-decisions", "My decisions"),
    "overview": Visit("owner", lambda s: "overview", "Portfolio overview"),
    "lead's worklist": Visit("lead", lambda s: "my-initiatives", "My initiatives"),
    "reporter's worklist": Visit("reporter", lambda s: "figures-to-report", "Figures to report"),
    **{f"initiative, {tab}": _initiative(tab) for tab in ("Gate", "Checklist", "Details", "Decision owners",
                                                          "History")},
    "initiative, Gate, as the lead": _initiative("Gate", user="lead"),
    "initiative, Benefits, indicator chart": _initiative("Benefits", then=_open_expander("Waiting days")),
    "initiative, Benefits, measurements": _initiative(
        "Benefits", then=_open_expander("Waiting days", tab="Enter measurements", chart=False)),
    "initiative, Benefits, calculation chart": _initiative("Benefits", then=_open_expander("Chart")),
    "initiative, Benefits, money from indicators": _initiative(
        "Benefits", then=_open_expander("Money from indicators", chart=False)),
    "initiative, Benefits, years": _initiative("Benefits", then=_open_expander("Years and discount rate", chart=False)),
    "new idea": Visit("owner", lambda s: "new-idea", "New idea"),
    "dashboard": Visit("steering", lambda s: "dashboard", "Portfolio dashboard", _charts_drawn),
    "follow-up by level": Visit("steering", lambda s: f"follow-up-by-level?unit={s.unit_id}&level=tactical",
                                "Follow-up by level", _charts_drawn),
    "benefit report": Visit("steering", lambda s: "benefit-report", "Benefit report", _charts_drawn),
    "benefit report, dark theme": Visit("steering", lambda s: "benefit-report", "Benefit report", _charts_drawn, dark=True),
    "meeting snapshots": Visit("steering", lambda s: f"meeting-snapshots?portfolio={s.portfolio_id}"
                                                     f"&snapshot={s.snapshot_id}", "Meeting snapshots"),
    "transparency": Visit("owner", lambda s: "transparency", "Transparency export"),
    "failed sign-ins": Visit("admin", lambda s: "sign-in-failures", "Failed sign-ins"),
}


@pytest.fixture
def db_url(sqlite_url):
    """SQLite only: the markup under test is the same on either database."""
    return sqlite_url


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_wcag_violation_of_our_own(page: Page, app_db, served_app, name):
    visit = PAGES[name]
    site = _build(app_db, demo=visit.demo)
    if visit.dark:
        page.emulate_media(color_scheme="dark")
    url = f"{served_app}/{visit.address(site)}"
    if visit.user is None:
        page.goto(url)
    else:
        sign_in(page, url, visit.user, heading=visit.heading)
    expect(page.get_by_role("heading", name=visit.heading, exact=True).first).to_be_visible()
    settled(page)
    visit.then(page)
    settled(page)
    failing = [v for v in violations(page) if v.impact in FAILING and not allowed(v)]
    assert failing == [], "\n".join(str(v) for v in failing)
    # Every chart has a text alternative: Streamlit names a chart (role graphics-document) by its ``alt``; without
    # one, Vega names it "Vega visualization".
    names = page.locator("[data-testid='stVegaLiteChart']").evaluate_all(
        "charts => charts.map(chart => chart.getAttribute('aria-label'))")
    assert all(name and name != UNNAMED_CHART for name in names), f"a chart without a text alternative: {names}"


def test_the_page_says_its_language_and_has_a_title_of_its_own(page: Page, app_db, served_app):
    """WCAG 3.1.1 and 2.4.2, which axe cannot judge: a Swedish reader's page says it is Swedish (Streamlit's own
    page says English), so a screen reader speaks it with a Swedish voice; each page names the browser tab."""
    with write_session(app_db) as session:
        world = World(session)
        session.get(User, world.owner.id).language = "sv"
    page.goto(served_app)
    expect(page.get_by_role("heading", name="Initiative portfolio")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title("Sign in – Initiative portfolio")

    sign_in(page, served_app, "owner", heading="Mina beslut")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page).to_have_title("Mina beslut – Initiativportfölj")
    page.get_by_role("link", name="Portföljöversikt").click()
    expect(page.get_by_role("heading", name="Portföljöversikt")).to_be_visible()
    expect(page).to_have_title("Portföljöversikt – Initiativportfölj")

    page.get_by_role("combobox", name="Språk").click()
    page.get_by_role("option", name="Norsk bokmål").click()
    expect(page.get_by_role("heading", name="Porteføljeoversikt")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page).to_have_title("Porteføljeoversikt – Tiltaksportefølje")
