"""Plain text only: whatever a user typed (titles, descriptions, names, reasons, conditions, notes)
is shown as the characters typed on every page, never as a link, an image, HTML or other markup."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from db.engine import write_session
from portfolio.benefits import BenefitInput, IndicatorInput, create_benefit, create_indicator, explain_deviation
from portfolio.gates import DecisionInput, record_gate_decision
from portfolio.initiatives import InitiativeCreate, create_initiative
from portfolio.permissions import load_actor
from portfolio.ui.text import WORD_JOINER, plain
from tests.factories import World
from tests.ui.conftest import open_initiative, open_section, open_tab, sign_in

TITLE = "[Logga in igen](http://evil.example/login)"
DESCRIPTION = "![t](http://host/pixel.png)"
RATIONALE = "<img src=x onerror=alert(1)>"
CONDITIONS = "**Sign** the <b>DPIA</b> at www.evil.example :material/home: $x^2$"
BENEFIT = "[Benefit](http://evil.example/benefit)"
INDICATOR = "<img src=x onerror=alert(2)>"
EXPLANATION = "![pixel](http://host/pixel2.png) mail me: a@evil.example"
NEED_OWNER = "# Heading\n- list item\n    indented code"

# Markdown bodies in which a link, an image or HTML would come alive.
MARKDOWN_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error")
LIVE = [
    re.compile(r"(?<!\\)\]\("),            # [text](address) or ![alt](address)
    re.compile(r"(?<!\\)<\s*(img|b|a)\b"),  # raw HTML
    re.compile(r"https?://|www\.|\w@\w"),   # addresses GitHub Markdown turns into links by themselves
    re.compile(r"(?<!\\):material/"),       # Streamlit icons
    re.compile(r"(?<!\\)\$"),               # math
]


def bodies(at) -> list[str]:
    return [element.value for kind in MARKDOWN_ELEMENTS for element in getattr(at, kind)]


def assert_nothing_live(at) -> None:
    live = [(pattern.pattern, body) for body in bodies(at) for pattern in LIVE if pattern.search(body)]
    assert live == []


@pytest.fixture
def hostile(app_db, world: World) -> int:
    """An idea whose every typed field is hostile, put on hold with a hostile rationale, with a benefit
    and an indicator whose names and explanation are hostile too."""
    with write_session(app_db) as session:
        owner = world.owner
        actor = load_actor(session=session, user_id=owner.id)
        initiative = create_initiative(session=session, actor=actor, data=InitiativeCreate(
            title=TITLE, portfolio_id=world.portfolio.id, description=DESCRIPTION, need_owner=NEED_OWNER))
        benefit = create_benefit(session=session, actor=actor, initiative_id=initiative.id, data=BenefitInput(
            title=BENEFIT, category="access_waiting_times", recipient="patients_citizens", description=DESCRIPTION,
            strategic_goal=CONDITIONS, owner_id=owner.id))
        indicator = create_indicator(session=session, actor=actor, benefit_id=benefit.id, data=IndicatorInput(
            code="EVIL-1", name=INDICATOR, unit="$", baseline_value=10.0, baseline_date=date(2026, 1, 1),
            target_value=20.0, target_date=date(2027, 1, 1), baseline_source=DESCRIPTION))
        explain_deviation(session=session, actor=actor, indicator_id=indicator.id,
                          expected_version=indicator.version, explanation=EXPLANATION)
        initiative_id = initiative.id
    with write_session(app_db) as session:
        record_gate_decision(
            session=session, actor=load_actor(session=session, user_id=world.owner.id), initiative_id=initiative_id,
            expected_version=1, data=DecisionInput(outcome="hold", rationale=RATIONALE,
                                                   hold_review_date=date.today() + timedelta(days=30)))
    return initiative_id


def test_plain_escapes_what_markdown_would_read():
    assert plain(TITLE) == f"\\[Logga in igen\\](http\\:{WORD_JOINER}//evil\\.example/login\\)"
    assert plain(DESCRIPTION) == f"\\!\\[t\\](http\\:{WORD_JOINER}//host/pixel\\.png\\)"
    assert plain(RATIONALE) == "\\<img src\\=x onerror\\=alert(1\\)\\>"
    # Words joined by an underscore, quotes and ordinary punctuation stay as typed.
    assert plain("scale_up, 'pilot'; 50 % (ok)?") == "scale_up, 'pilot'; 50 % (ok\\)?"
    # Each line stays a line, and no indentation turns into a code block.
    assert plain(NEED_OWNER) == "\\# Heading  \n\\- list item  \nindented code"
    assert plain(None) == ""


def test_the_initiative_page_shows_typed_text_as_typed(app, hostile):
    sign_in(app, "owner")
    open_initiative(app, hostile)
    assert app.title[0].value == plain(TITLE)
    assert_nothing_live(app)
    for tab in ("Checklist", "Decision owners"):
        assert_nothing_live(open_tab(app, tab))
    open_tab(app, "History")
    assert f"Rationale: {plain(RATIONALE)}" in [c.value for c in app.caption]
    assert_nothing_live(app)
    open_tab(app, "Benefits")
    assert f"### {plain(BENEFIT)}" in [m.value for m in app.markdown]
    # An expander's label and a table's cells are read as Markdown too.
    assert [e.label for e in app.expander][0] == f"{plain(INDICATOR)} · {plain('EVIL-1')}"
    assert app.table[0].value.iloc[0, 0] == f"{plain(INDICATOR)} · {plain('EVIL-1')}"
    indicator = next(key for key in app.session_state.keys() if key.startswith("open_indicator_"))
    open_section(app, indicator)
    assert f"Deviation explained: {plain(EXPLANATION)}" in [c.value for c in app.caption]
    assert_nothing_live(app)
    # Inputs hold the text exactly as typed (they never interpret it).
    open_tab(app, "Details")
    assert app.text_input(key="details_title").value == TITLE
    assert app.text_area(key="details_description").value == DESCRIPTION
    assert_nothing_live(app)


def test_my_decisions_and_the_overview_show_typed_text_as_typed(app, hostile):
    sign_in(app, "owner").switch_page("portfolio/ui/overview.py").run()
    assert TITLE in list(app.dataframe[0].value["Title"])  # a table cell is never read as Markdown
    assert_nothing_live(app)
    app.switch_page("portfolio/ui/my_decisions.py").run()
    assert any(m.value.startswith(f"**{plain(TITLE)}**") for m in app.markdown)
    assert_nothing_live(app)


def test_a_conditional_go_shows_its_conditions_as_typed(app, app_db, world, hostile):
    with write_session(app_db) as session:
        record_gate_decision(session=session, actor=load_actor(session=session, user_id=world.owner.id),
                             initiative_id=world.initiative.id, expected_version=world.initiative.version,
                             data=DecisionInput(outcome="conditional_go", rationale=TITLE, conditions=CONDITIONS))
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id, "History")
    captions = [c.value for c in app.caption]
    assert f"Conditions: {plain(CONDITIONS)}" in captions and f"Rationale: {plain(TITLE)}" in captions
    assert_nothing_live(app)


def test_a_new_idea_is_confirmed_with_its_title_as_typed(app, world):
    sign_in(app, "reporter")
    app.switch_page("portfolio/ui/new_idea.py").run()
    app.text_input(key="new_idea_title").input(TITLE)
    app.button(key="FormSubmitter:new_idea-Propose idea").click().run()
    assert [s.value for s in app.success] == [
        f"The idea {plain(TITLE)} is registered as number {world.initiative.id + 1}."]
    assert_nothing_live(app)
