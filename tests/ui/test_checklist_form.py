"""AppTest for the checklist form: what is on the page is either saved, or marked "Not saved" with the reason
beside the item; a stale entry is refused as a conflict; the proposer keeps the checklist until a lead is
appointed."""

from __future__ import annotations

import pytest

from db.engine import read_session, write_session
from db.models import Initiative
from portfolio.checklists import ChecklistChange, update_checklist
from tests.factories import World, actor, checklist_items, make_user, snapshot
from tests.ui.conftest import open_initiative, sign_in, texts

REASON = "Covered by the regional plan"
NOT_SAVED = "**Not saved**"
PLAN, COST = "Pilot plan with start and end dates, test group and partners", "Cost of the pilot estimated"


@pytest.fixture
def concept(app_db) -> World:
    """An initiative in the concept stage whose checklist items are all open; "lead" leads it."""
    with write_session(app_db) as session:
        return World(session, stage="concept", ready=False)


def _items(engine, world: World):
    with read_session(engine) as session:
        return checklist_items(session, world.initiative.id, "concept")


def _status(app, item):
    return app.selectbox(key=f"checklist_{item.id}_{item.version}_status")


def _reason(app, item):
    return app.text_input(key=f"checklist_{item.id}_{item.version}_reason")


def _save(app):
    return app.button(key="save_checklist").click().run()


def test_a_refused_save_keeps_every_entry_marked_not_saved_with_its_reason(app, app_db, concept):
    sign_in(app, "lead")
    open_initiative(app, concept.initiative.id, "Checklist")
    plan, cost, *rest = _items(app_db, concept)
    before = snapshot(app_db, concept.initiative.id)
    _status(app, plan).select("not_applicable")
    _status(app, cost).select("done")
    _save(app)
    assert texts(app.error) == [
        f"{NOT_SAVED}\n\n{PLAN}: give a reason when an item is not applicable.",
        NOT_SAVED,
        "Nothing in the checklist was saved. Correct the items marked below and save again.",
    ]
    assert snapshot(app_db, concept.initiative.id) == before
    # The entries stay on the page as they were made; the items not touched show what is saved.
    assert [_status(app, item).value for item in (plan, cost, *rest)] == [
        "not_applicable", "done", *["open"] * len(rest)]

    _reason(app, plan).input(REASON)
    _save(app)
    assert (texts(app.success), texts(app.error)) == (["The checklist is saved."], [])
    after = _items(app_db, concept)
    assert [(i.status, i.not_applicable_reason, i.version) for i in after[:2]] == [
        ("not_applicable", REASON, 2), ("done", "", 2)]
    assert [(i.status, i.version) for i in after[2:]] == [("open", 1)] * len(rest)
    # The form now shows the saved items, at their new versions.
    assert (_status(app, after[0]).value, _reason(app, after[0]).value, _status(app, after[1]).value) == (
        "not_applicable", REASON, "done")


def test_a_stale_entry_is_refused_as_a_conflict(app, app_db, concept):
    sign_in(app, "lead")
    open_initiative(app, concept.initiative.id, "Checklist")
    plan, cost, *_ = _items(app_db, concept)
    # The owner ticks the pilot plan in another tab after the lead opened the checklist.
    with write_session(app_db) as session:
        update_checklist(session=session, actor=actor(session, concept.owner), initiative_id=concept.initiative.id,
                         changes=[ChecklistChange(plan.id, plan.version, "done")])
    before = snapshot(app_db, concept.initiative.id)
    _status(app, plan).select("not_applicable")
    _reason(app, plan).input(REASON)
    _status(app, cost).select("done")
    _save(app)
    assert texts(app.error) == [
        NOT_SAVED,
        "Someone else changed this checklist while you were working on it. Nothing of yours was saved. "
        "Reload the page to see the latest version and try again.",
    ]
    assert snapshot(app_db, concept.initiative.id) == before
    # The pilot plan shows the owner's change; the cost keeps the lead's entry, not saved, to save again.
    plan = _items(app_db, concept)[0]
    assert (_status(app, plan).value, _status(app, cost).value) == ("done", "done")
    _save(app)
    assert texts(app.success) == ["The checklist is saved."]
    assert [(i.status, i.version) for i in _items(app_db, concept)[:2]] == [("done", 2), ("done", 2)]


def test_saving_an_unchanged_checklist_says_so(app, app_db, concept):
    sign_in(app, "lead")
    open_initiative(app, concept.initiative.id, "Checklist")
    before = snapshot(app_db, concept.initiative.id)
    _save(app)
    assert texts(app.warning) == ["Nothing to save: no item was changed."]
    assert snapshot(app_db, concept.initiative.id) == before


def test_steering_member_sees_the_checklist_but_cannot_save_it(app, app_db, concept):
    sign_in(app, "steering")
    open_initiative(app, concept.initiative.id, "Checklist")
    assert app.button(key="save_checklist").disabled
    assert all(_status(app, item).disabled for item in _items(app_db, concept))
    assert "Only the implementation lead or the portfolio owner may update the checklist." in texts(app.caption)


@pytest.fixture
def proposed(app_db) -> World:
    """The world's idea, proposed by "proposer" (no role of their own), with no implementation lead yet."""
    with write_session(app_db) as session:
        world = World(session, ready=False)
        world.proposer = make_user(session, username="proposer", display_name="Petra Förslag")
        # Test set-up, written directly: who proposed it, and no lead appointed yet.
        initiative = session.get(Initiative, world.initiative.id)
        initiative.created_by_id, initiative.lead_id = world.proposer.id, None
        session.add(initiative)
    return world


def test_the_proposer_is_the_contact_and_keeps_the_checklist_until_a_lead_is_appointed(app, app_db, proposed):
    sign_in(app, "proposer")
    open_initiative(app, proposed.initiative.id, "Checklist")
    assert "**Contact:** Petra Förslag" in app.markdown[0].value
    with read_session(app_db) as session:
        item = checklist_items(session, proposed.initiative.id, "idea")[0]
    _status(app, item).select("done")
    _save(app)
    assert texts(app.success) == ["The checklist is saved."]
    assert _items_status(app_db, proposed) == "done"

    with write_session(app_db) as session:
        session.get(Initiative, proposed.initiative.id).lead_id = proposed.lead.id
    open_initiative(app, proposed.initiative.id, "Checklist")
    assert "**Implementation lead:** Leif Ledare" in app.markdown[0].value
    assert app.button(key="save_checklist").disabled
    assert ("You proposed this idea and were its contact until an implementation lead was appointed; now only "
            "the lead or the portfolio owner may update its checklist.") in texts(app.caption)


def _items_status(engine, world: World) -> str:
    with read_session(engine) as session:
        return checklist_items(session, world.initiative.id, "idea")[0].status
