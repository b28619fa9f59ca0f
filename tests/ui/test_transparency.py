"""Page tests: the internal flags on the Details tab, and the Transparency export page."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import AuditEvent, Initiative
from portfolio.initiatives import INTERNAL_FLAGS
from tests.factories import snapshot
from tests.ui.conftest import no_exception, open_initiative, sign_in, texts

SAVE_DETAILS = "FormSubmitter:details-Save details"
STOP_FLAGS = ("stop_reason_internal", "lessons_learned_internal")


def _flags(engine, initiative_id: int) -> dict[str, bool]:
    with read_session(engine) as session:
        row = session.get(Initiative, initiative_id)
        return {flag: getattr(row, flag) for flag in INTERNAL_FLAGS}


def test_the_lead_marks_texts_internal_on_the_details_form(app, world, app_db):
    sign_in(app, "lead")
    open_initiative(app, world.initiative.id, "Details")
    labels = {box.key: box.label for box in app.checkbox}
    assert labels == {
        "details_internal": "Internal initiative: left out of the transparency export",
        "details_description_internal": "The description is internal",
        "details_need_description_internal": "The need is internal",
        "details_expected_effects_internal": "The expected effects are internal",
        "details_rationale_internal": "The rationales of its gate decisions are internal",
    }
    app.checkbox(key="details_description_internal").check()
    app.checkbox(key="details_rationale_internal").check()
    app.button(key=SAVE_DETAILS).click().run()
    assert "The details are saved." in texts(app.success)
    assert _flags(app_db, world.initiative.id) == {flag: flag in ("description_internal", "rationale_internal")
                                                   for flag in INTERNAL_FLAGS}
    # The form shows what is saved, and saving it again changes nothing.
    assert app.checkbox(key="details_description_internal").value is True
    with read_session(app_db) as session:
        audited = session.exec(select(AuditEvent.after).where(AuditEvent.action == "initiative.update")).all()
    assert audited == [{"description_internal": True, "rationale_internal": True}]


def test_a_stopped_initiative_shows_the_flags_of_its_stop(app, world, app_db):
    with write_session(app_db) as session:
        row = session.get(Initiative, world.initiative.id)
        row.stage = "stopped"  # test set-up: production code stops it through a gate decision
        session.add(row)
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id, "Details")
    assert app.checkbox(key="details_stop_reason_internal").label == "The reason for stopping is internal"
    assert app.checkbox(key="details_lessons_learned_internal").label == "The lessons learned are internal"
    app.checkbox(key="details_lessons_learned_internal").check()
    app.button(key=SAVE_DETAILS).click().run()
    assert "The details are saved." in texts(app.success)
    assert _flags(app_db, world.initiative.id) == {flag: flag == "lessons_learned_internal" for flag in INTERNAL_FLAGS}


def test_a_refused_save_changes_no_flag(app, world, app_db):
    sign_in(app, "lead")
    open_initiative(app, world.initiative.id, "Details")
    before = snapshot(app_db, world.initiative.id)
    app.checkbox(key="details_internal").check()
    app.checkbox(key="details_need_description_internal").check()
    app.text_input(key="details_title").input(" ")
    app.button(key=SAVE_DETAILS).click().run()
    assert texts(app.error) == ["The title must not be empty."]
    assert snapshot(app_db, world.initiative.id) == before
    assert _flags(app_db, world.initiative.id) == {flag: False for flag in INTERNAL_FLAGS}


def test_whoever_may_not_edit_sees_the_flags_but_cannot_change_them(app, world):
    sign_in(app, "steering")
    open_initiative(app, world.initiative.id, "Details")
    assert all(box.disabled for box in app.checkbox)
    assert app.button(key=SAVE_DETAILS).disabled


@pytest.mark.parametrize(("username", "offered"), [("owner", True), ("admin", True), ("steering", False),
                                                   ("lead", False), ("reporter", False)])
def test_the_transparency_page_is_for_administrators_and_portfolio_owners(app, world, username, offered):
    sign_in(app, username)
    # Only those who may download it have the page in their navigation.
    assert ("transparency" in app.session_state["pages"]) is offered
    if not offered:
        return
    no_exception(app.switch_page("portfolio/ui/transparency.py").run())
    assert [b.proto.label for b in app.get("download_button")] == ["Download the public page (HTML)",
                                                                   "Download the data (JSON)"]
    assert app.selectbox(key="transparency_language").value == "en"
