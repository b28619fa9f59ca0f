"""From an unmet gate rule to the place that puts it right: every rule names its place, the gate panel links
each unmet rule there, the link opens that place, and a first indicator is added with five fields."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs

import pytest
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import Indicator, Initiative
from portfolio.i18n import translator
from portfolio.initiative_view import Tab
from portfolio.ui.benefits.indicators import NEW_INDICATOR_FORM, PLACES as BENEFIT_PLACES
from portfolio.ui.initiative import PLACES
from portfolio.ui.text import plain
from tests.factories import (
    World,
    benefits_snapshot,
    checklist_items,
    make_benefit,
    make_indicator,
    make_measurement,
)
from tests.ui.conftest import no_exception, open_initiative, sign_in, texts
from workflows.process import load_process
from workflows.rules import FIX_AT, RULES

ADD_INDICATOR = "FormSubmitter:ind_{benefit}_form-Add indicator"


# ------------------------------------------------------------------ every rule has a place


def test_every_rule_names_the_place_that_puts_it_right():
    assert sorted(FIX_AT) == sorted(RULES), "each gate rule needs its place in workflows.rules.FIX_AT"
    for name, fix in FIX_AT.items():
        handled = BENEFIT_PLACES if Tab(fix.tab) is Tab.BENEFITS else PLACES
        assert fix.anchor in handled, f"{name}: no tab opens the place {fix.anchor!r} of {fix.tab!r}"
        assert fix.label.strip(), name


def test_every_rule_of_the_process_has_a_link():
    process = load_process()
    assert {name for rules in process.gate_rules.values() for name in rules} <= FIX_AT.keys()


# ------------------------------------------------------------------ the gate panel links each unmet rule


def _idea(session) -> World:
    """An idea with nothing filled in and no owning unit."""
    world = World(session, ready=False)
    world.initiative.org_unit_id = None
    session.add(world.initiative)
    return world


def _pilot(session) -> World:
    """A pilot whose indicator was never measured, without a benefit calculation."""
    world = World(session, stage="pilot", ready=False)
    make_indicator(session, make_benefit(session, world.initiative), baseline_value=10.0, target_value=20.0)
    return world


def _scale_up(session) -> World:
    """A scale-up whose benefit has neither an owner nor an indicator."""
    world = World(session, stage="scale_up", ready=False)
    make_benefit(session, world.initiative, title="Shorter waits")
    return world


def _realising(session) -> World:
    """In benefits realisation, with an indicator far from its target and no explanation."""
    world = World(session, stage="benefits_realisation", ready=False)
    make_indicator(session, make_benefit(session, world.initiative), baseline_value=10.0, target_value=20.0)
    return world


SCENARIOS = {
    "idea": _idea,
    "concept": lambda session: World(session, stage="concept", ready=False),
    "pilot": _pilot,
    "scale_up": _scale_up,
    "benefits_realisation": _realising,
}

# rule -> (initiative, where its line is, the start of its line, the link's label, its tab and its place)
LINKS = [
    ("need_described", "idea", "go", "The need is not described.",
     "Describe the need", "Details", "need"),
    ("need_owner_named", "idea", "go", "No need owner is named.",
     "Name the need owner", "Details", "need-owner"),
    ("owning_unit_named", "idea", "go", "No owning unit is chosen.",
     "Choose the owning unit", "Details", "owning-unit"),
    ("expected_effects_described", "idea", "go", "The expected effects are not described.",
     "Describe the expected effects", "Details", "expected-effects"),
    # The checklist's links name its first open required item.
    ("checklist_complete", "idea", "go", "The checklist for Idea is not complete",
     "Open the checklist", "Checklist", "item of idea"),
    ("fast_track_checklist_complete", "idea", "fast_track", "The checklist for Fast track is not complete",
     "Open the checklist", "Checklist", "item of fast_track"),
    ("indicator_with_baseline_and_target", "concept", "go", "No indicator has both a baseline and a target.",
     "Add an indicator", "Benefits", "add-indicator"),
    ("measured_after_baseline", "pilot", "go", "These indicators have no measurement after their baseline",
     "Enter measurements", "Benefits", "enter-measurements"),
    ("benefit_calculation_present", "pilot", "go", "There is no benefit calculation.",
     "Fill in the benefit calculation", "Benefits", "calculation"),
    ("benefit_owners_and_schedules", "scale_up", "go", "These benefits have no benefit owner",
     "Complete the benefits", "Benefits", "owner-and-indicator"),
    ("indicators_at_target_or_explained", "benefits_realisation", "go",
     "These indicators are not at their target and the deviation is not explained",
     "Explain the deviation", "Benefits", "explain-deviation"),
]


def test_the_table_covers_every_rule():
    assert sorted(rule for rule, *_ in LINKS) == sorted(RULES)


def _rule_links(app) -> list[tuple[str, str, dict[str, list[str]]]]:
    """Each unmet rule of the gate panel as shown: its line, and the label and address of the link beside it."""
    columns = list(app.columns)
    shown = []
    for left, right in zip(columns, columns[1:]):
        links = [e for e in right.children.values() if e.type == "page_link"]
        lines = [e for e in left.children.values() if e.type == "markdown"]
        if links and lines:
            link = links[0].proto
            shown.append((lines[0].value, link.label, parse_qs(link.query_string)))
    return shown


@pytest.mark.parametrize("rule, scenario, gate, line, label, tab, anchor", LINKS, ids=[row[0] for row in LINKS])
def test_an_unmet_rule_links_to_the_place_that_puts_it_right(app, app_db, rule, scenario, gate, line, label,
                                                             tab, anchor):
    with write_session(app_db) as session:
        world = SCENARIOS[scenario](session)
        if anchor.startswith("item of "):
            first = checklist_items(session, world.initiative.id, anchor.removeprefix("item of "))[0]
            anchor = f"item-{first.id}"
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id)
    if gate == "fast_track":
        assert [e.label for e in app.expander] == ["Fast track to scale-up"]
        shown = _rule_links(app.expander[0])
    else:
        shown = _rule_links(app)
    matching = [(text, link) for text, *link in shown if text.startswith(f"- {line}")]
    assert matching, shown
    assert matching[0][1] == [label, {"id": [str(world.initiative.id)], "initiative_tabs": [tab],
                                      "focus": [anchor]}]


def test_links_name_the_tab_in_the_readers_language(app, app_db):
    with write_session(app_db) as session:
        world = World(session, stage="concept", ready=False)
    sign_in(app, "owner")
    app.sidebar.selectbox(key="lang").select("sv").run()
    open_initiative(app, world.initiative.id)
    tabs = {parse_qs(link.proto.query_string)["initiative_tabs"][0] for link in app.page_link}
    # The tabs are bound to the address by their label: the link names them as the reader's tabs are labelled.
    swedish = translator("sv")
    assert tabs == {swedish("Benefits"), swedish("Checklist")} != {"Benefits", "Checklist"}
    assert tabs <= {tab.label for tab in app.tabs}


# ------------------------------------------------------------------ the link opens the place


def _follow(app, initiative_id: int, tab: str, anchor: str):
    """Open the initiative at ``tab`` and ``anchor``, as the link does (``?id=..&initiative_tabs=..&focus=..``)."""
    app.query_params["initiative_tabs"] = tab
    app.query_params["focus"] = anchor
    return open_initiative(app, initiative_id, tab)


def test_the_link_opens_the_add_indicator_form_with_five_fields(app, app_db):
    with write_session(app_db) as session:
        world = World(session, stage="concept", ready=False)
        benefit = make_benefit(session, world.initiative, title="Shorter waits")
    sign_in(app, "owner")
    _follow(app, world.initiative.id, "Benefits", "add-indicator")
    assert app.session_state[f"open_add_indicator_{benefit.id}"] is True
    form = app.get("form")[0]
    prefix = f"ind_{benefit.id}_"
    assert [key for key in _widget_keys(form) if not _in_more_fields(form, key)] == [
        prefix + "name", prefix + "unit", prefix + "direction", prefix + "baseline", prefix + "target"]
    more = [e for e in app.expander if e.label == "More fields"]
    assert len(more) == 1 and not more[0].proto.expanded
    # The address keeps the tab, but the place is opened once: a later run leaves the page as the user left it.
    assert "focus" not in app.query_params


def _widget_keys(block) -> list[str]:
    keys = []
    for child in block.children.values():
        if getattr(child, "key", None) and not child.key.startswith("FormSubmitter"):
            keys.append(child.key)
        if hasattr(child, "children"):
            keys += _widget_keys(child)
    return keys


def _in_more_fields(form, key: str) -> bool:
    more = [e for e in form.children.values() if e.type == "expander"]
    return any(key in _widget_keys(block) for block in more)


def _world_with(session, stage: str) -> World:
    return World(session, stage=stage, ready=False)


@pytest.mark.parametrize("anchor, opened", [
    ("enter-measurements", ("open_indicator_{unmeasured}", "indicator_tab_{unmeasured}", "Enter measurements")),
    ("explain-deviation", ("open_indicator_{measured}", "indicator_tab_{measured}",
                           "Explain a deviation from the target")),
    ("calculation", ("open_calculation", None, None)),
    ("owner-and-indicator", ("open_benefit_{benefit}", None, None)),
    ("add-indicator", ("open_add_indicator_{benefit}", None, None)),
])
def test_each_benefit_place_opens_its_section(app, app_db, anchor, opened):
    with write_session(app_db) as session:
        world = World(session, stage="benefits_realisation", ready=False)
        benefit = make_benefit(session, world.initiative)
        measured = make_indicator(session, benefit, baseline_value=10.0, baseline_date=date(2026, 1, 1),
                                  target_value=20.0, target_date=date(2027, 1, 1))
        make_measurement(session, measured, period=date(2026, 3, 1), value=12.0)
        unmeasured = make_indicator(session, benefit, baseline_value=5.0, target_value=8.0)
    ids = {"measured": measured.id, "unmeasured": unmeasured.id, "benefit": benefit.id}
    sign_in(app, "owner")
    _follow(app, world.initiative.id, "Benefits", anchor)
    expander, tabs, tab = opened
    assert app.session_state[expander.format(**ids)] is True
    if tabs is not None:
        assert app.session_state[tabs.format(**ids)] == tab
    others = [key for key in app.session_state.keys() if key.startswith("open_") and app.session_state[key]]
    assert others == [expander.format(**ids)]


def test_add_indicator_without_a_benefit_opens_the_benefit_form(app, app_db):
    with write_session(app_db) as session:
        world = World(session, stage="concept", ready=False)
    sign_in(app, "owner")
    _follow(app, world.initiative.id, "Benefits", "add-indicator")
    assert app.session_state["open_add_benefit"] is True
    assert "FormSubmitter:benefit_form-Add benefit" in [e.key for e in app.button]


@pytest.mark.parametrize("anchor", ["need", "open-item", "no-such-place", "<script>"])
def test_a_place_on_another_tab_or_none_leaves_the_benefits_closed(app, app_db, anchor):
    with write_session(app_db) as session:
        world = World(session, stage="concept", ready=False)
        make_benefit(session, world.initiative)
    sign_in(app, "owner")
    no_exception(_follow(app, world.initiative.id, "Benefits", anchor))
    assert not [key for key in app.session_state.keys() if key.startswith("open_") and app.session_state[key]]


# ------------------------------------------------------------------ the short form


@pytest.fixture
def concept(app_db) -> tuple[World, int]:
    """An initiative at the concept gate with a benefit and no indicator; the owner may add one."""
    with write_session(app_db) as session:
        world = World(session, stage="concept", ready=False)
        return world, make_benefit(session, world.initiative, title="Shorter waits").id


def _fill_five(app, prefix: str, name: str, unit: str, direction: str, baseline: float, target: float) -> None:
    app.text_input(key=prefix + "name").input(name)
    app.text_input(key=prefix + "unit").input(unit)
    app.selectbox(key=prefix + "direction").select(direction)
    app.number_input(key=prefix + "baseline").set_value(baseline)
    app.number_input(key=prefix + "target").set_value(target)


def test_the_five_fields_save_a_first_indicator_and_meet_the_rule(app, app_db, concept):
    world, benefit_id = concept
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id)
    assert "No indicator has both a baseline and a target." in [line for line, *_ in _rule_links(app)][0]
    _follow(app, world.initiative.id, "Benefits", "add-indicator")
    prefix = f"ind_{benefit_id}_"
    _fill_five(app, prefix, "Waiting days", "days", "lower", 40.0, 30.0)
    no_exception(app.button(key=ADD_INDICATOR.format(benefit=benefit_id)).click().run())
    assert texts(app.success) == ["The indicator is added."]
    today = date.today()
    with read_session(app_db) as session:
        added = session.exec(select(Indicator)).one()
    assert (added.benefit_id, added.code, added.name, added.unit, added.direction, added.baseline_value,
            added.baseline_date, added.target_value, added.target_date, added.frequency, added.aggregation,
            added.amber_tolerance, added.red_tolerance, added.valid_min, added.valid_max) == (
        benefit_id, f"I{world.initiative.id:04d}-1", "Waiting days", "days", "lower", 40.0, today, 30.0,
        today + timedelta(days=365), "month", "sum", 0.1, 0.25, None, None)
    # The form is empty again, with a free code for the next indicator.
    assert app.text_input(key=prefix + "name").value == ""
    assert app.text_input(key=prefix + "code").value == f"I{world.initiative.id:04d}-2"
    open_initiative(app, world.initiative.id, "Gate")
    assert not [line for line, *_ in _rule_links(app) if "baseline and a target" in line]


def test_the_short_form_lists_every_problem_with_its_field(app, app_db, concept):
    world, benefit_id = concept
    code = f"I{world.initiative.id:04d}-1"
    with write_session(app_db) as session:
        # Another benefit's indicator, without a baseline, holds the first code.
        make_indicator(session, make_benefit(session, session.get(Initiative, world.initiative.id)), code=code)
    before = benefits_snapshot(app_db)
    sign_in(app, "owner")
    _follow(app, world.initiative.id, "Benefits", "add-indicator")
    prefix = f"ind_{benefit_id}_"
    # The suggested code is a free one; a code typed over it that is in use is refused by its field.
    assert app.text_input(key=prefix + "code").value == f"I{world.initiative.id:04d}-2"
    app.text_input(key=prefix + "code").input(code)
    _fill_five(app, prefix, "", "days", "higher", 40.0, 30.0)
    no_exception(app.button(key=ADD_INDICATOR.format(benefit=benefit_id)).click().run())
    assert texts(app.error) == ["\n\n".join([
        f"Code: The indicator code {plain(code)} is already used.",  # as typed, never as markup
        "Name: The indicator name must not be empty.",
        "Target: The target must be above the baseline, because higher is better for this indicator.",
    ])]
    assert benefits_snapshot(app_db) == before
    # A problem in a field under "More fields" opens it; what was typed stays.
    more = [e for e in app.expander if e.label == "More fields"]
    assert more[0].proto.expanded
    assert app.number_input(key=prefix + "target").value == 30.0


def test_the_short_form_hints_every_field_of_the_input_model():
    first = [hint.field for row in NEW_INDICATOR_FORM.rows for hint in row]
    assert first == ["name", "unit", "direction", "baseline_value", "target_value"]
    assert NEW_INDICATOR_FORM.label("code") == "Code" and NEW_INDICATOR_FORM.label("nonexistent") is None


def test_the_checklist_link_names_the_first_item_still_open(app, app_db):
    with write_session(app_db) as session:
        world = World(session, ready=False)
        items = checklist_items(session, world.initiative.id, "idea")
        items[0].status = "done"
        items[1].status, items[1].not_applicable_reason = "not_applicable", ""  # not settled without a reason
        session.add_all(items[:2])
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id)
    links = {line.split(":")[0]: link for line, *link in _rule_links(app)}
    assert links["- The checklist for Idea is not complete"][1]["focus"] == [f"item-{items[1].id}"]
    # The link opens the checklist, at that item (the browser scrolls there; see tests/browser).
    _follow(app, world.initiative.id, "Checklist", f"item-{items[1].id}")
    assert app.subheader[0].value == "Checklist for Idea"
    assert "focus" not in app.query_params
