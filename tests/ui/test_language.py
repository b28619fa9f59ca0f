"""The user's own language: taken from their profile at sign-in, held on every page and rerun, and
changed (in the profile too) by the picker."""

from __future__ import annotations

from db.engine import read_session, write_session
from db.models import User
from tests.factories import make_user
from tests.ui.conftest import no_exception, open_initiative, sign_in


def _norwegian(app_db) -> int:
    with write_session(app_db) as session:
        return make_user(session, username="nora", display_name="Nora Nordmann", language="nb").id


def test_a_norwegian_user_reads_every_page_in_norwegian(app, world, app_db):
    _norwegian(app_db)
    sign_in(app, "nora")
    assert app.title[0].value == "Porteføljeoversikt"
    assert app.sidebar.selectbox(key="lang").value == "nb"
    no_exception(app.switch_page("portfolio/ui/my_decisions.py").run())
    assert app.title[0].value == "Mine beslutninger"
    open_initiative(app, world.initiative.id)
    assert (app.title[0].value, app.sidebar.selectbox(key="lang").value) == ("Digital triage", "nb")
    assert app.tabs[0].label == "Beslutningspunkt"
    no_exception(app.run())
    assert app.tabs[0].label == "Beslutningspunkt"


def test_the_picker_changes_the_profile_and_the_next_sign_in_follows(app, world, app_db):
    user_id = _norwegian(app_db)
    sign_in(app, "nora")
    no_exception(app.sidebar.selectbox(key="lang").select("sv").run())
    assert app.title[0].value == "Portföljöversikt"
    with read_session(app_db) as session:
        assert session.get(User, user_id).language == "sv"
    no_exception(app.switch_page("portfolio/ui/new_idea.py").run())
    assert app.title[0].value == "Ny idé"
    no_exception(app.sidebar.button[0].click().run())  # sign out
    no_exception(app.sidebar.selectbox(key="lang").select("en").run())
    assert app.title[0].value == "Initiative portfolio"
    sign_in(app, "nora")
    # Back on the page the tab was on, in the language of the profile.
    assert app.title[0].value == "Ny idé"
