"""The gate panel in AppTest: four eyes says who must confirm instead of offering the approval, and what a
recycle sent back to be redone is shown above the rules."""

from __future__ import annotations

import re

from db.engine import write_session
from db.models import Initiative
from portfolio.checklists import create_checklist
from tests.factories import World, complete_checklist
from tests.ui.conftest import no_exception, open_initiative, sign_in, texts

FOUR_EYES = ("You completed checklist items of this gate yourself (3 of 3). Another person must confirm this gate: "
             "someone an administrator makes the decision owner of this gate.")
REWORK = "Interview the evening shift too"


def test_the_owner_who_ticked_the_checklist_is_told_who_must_confirm(app, world, app_db):
    with write_session(app_db) as session:
        complete_checklist(session, session.get(Initiative, world.initiative.id), "idea", by=world.owner)
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id)
    assert texts(app.success) == ["Every rule of the gate holds."]
    assert FOUR_EYES in texts(app.info)
    assert app.selectbox(key="gate_outcome").options == ["Hold", "Stop"]


def test_the_owner_recycles_and_the_panel_says_what_must_be_redone(app, app_db):
    with write_session(app_db) as session:
        world = World(session, stage="concept")
        for earlier in ("idea", "fast_track"):
            create_checklist(session=session, initiative_id=world.initiative.id, stage=earlier)
        complete_checklist(session, session.get(Initiative, world.initiative.id), "idea")
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id)
    app.selectbox(key="gate_outcome").select("recycle").run()
    app.text_area(key="gate_rationale").input("The need is not understood")
    no_exception(app.button(key="record_decision").click().run())
    assert texts(app.error) == ["A recycle needs to say what must be redone."]
    app.text_area(key="gate_rework").input(REWORK)
    no_exception(app.button(key="record_decision").click().run())
    assert "The decision is recorded." in texts(app.success)
    note = next(text for text in texts(app.warning) if "What must be redone" in text)
    assert re.fullmatch(r"Sent back from Concept by Olga Ägare \(.+\)\. What must be redone:\n\n"
                        + re.escape(REWORK), note), note
