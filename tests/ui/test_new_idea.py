"""The new-idea form: cleared once saved (a second click cannot save twice), a warning before a second idea
with the same title, and nothing typed lost when the form is refused."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from db.engine import read_session
from db.models import Initiative
from tests.ui.conftest import no_exception, sign_in, texts

PROPOSE = "FormSubmitter:new_idea-Propose idea"


def _count(app_db) -> int:
    with read_session(app_db) as session:
        return session.exec(select(func.count()).select_from(Initiative)).one()


def _new_idea_page(app):
    sign_in(app, "reporter")
    return no_exception(app.switch_page("portfolio/ui/new_idea.py").run())


def test_a_saved_idea_empties_the_form_and_links_to_it(app, world, app_db):
    _new_idea_page(app)
    app.text_input(key="new_idea_title").input("Digital egenvård")
    app.text_area(key="new_idea_need").input("Long queues for routine check-ups")
    no_exception(app.button(key=PROPOSE).click().run())
    number = world.initiative.id + 1
    assert texts(app.success) == [f"The idea Digital egenvård is registered as number {number}."]
    assert (app.text_input(key="new_idea_title").value, app.text_area(key="new_idea_need").value) == ("", "")
    links = [link for link in app.get("page_link") if link.proto.label == f"Open idea {number}"]
    assert len(links) == 1
    # A second click on the emptied form saves nothing.
    no_exception(app.button(key=PROPOSE).click().run())
    assert texts(app.error) == ["The title must not be empty."]
    assert _count(app_db) == number


def test_the_same_title_in_the_portfolio_asks_first(app, world, app_db):
    before = _count(app_db)
    _new_idea_page(app)
    app.text_input(key="new_idea_title").input("  digital TRIAGE ")
    no_exception(app.button(key=PROPOSE).click().run())
    assert texts(app.warning) == [f"An initiative with this title is already in the portfolio: "
                                  f"#{world.initiative.id} Digital triage. Is this a new idea?"]
    assert _count(app_db) == before
    no_exception(app.button(key="new_idea_change").click().run())
    assert (texts(app.warning), _count(app_db)) == ([], before)
    assert app.text_input(key="new_idea_title").value == "  digital TRIAGE "
    no_exception(app.button(key=PROPOSE).click().run())
    no_exception(app.button(key="new_idea_anyway").click().run())
    assert texts(app.success) == [f"The idea digital TRIAGE is registered as number {before + 1}."]
    assert _count(app_db) == before + 1


def test_a_refused_idea_keeps_what_was_typed(app, world, app_db):
    before = _count(app_db)
    _new_idea_page(app)
    app.text_area(key="new_idea_need").input("Long queues")
    no_exception(app.button(key=PROPOSE).click().run())
    assert texts(app.error) == ["The title must not be empty."]
    assert (app.text_area(key="new_idea_need").value, _count(app_db)) == ("Long queues", before)
