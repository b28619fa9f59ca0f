"""AppTest fixtures: the real app script on a fresh database, once on SQLite and once on PostgreSQL.

Each test builds the rows it needs with the factories (tests/factories.py) and signs in through the
sign-in form, as a person does. Only the tests of the demo itself load demo data (``demo_db``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from db.engine import get_engine, write_session
from portfolio.demo import load_demo
from tests.factories import PASSWORD, World

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
DEMO_DAY = date(2026, 11, 2)
SIGN_IN = "FormSubmitter:sign_in-Sign in"


def serve(url: str, monkeypatch) -> Engine:
    """Point the app at ``url``, in English, with nothing cached from an earlier test."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PORTFOLIO_LANGUAGE", "en")
    monkeypatch.delenv("PORTFOLIO_DEMO", raising=False)
    monkeypatch.delenv("PORTFOLIO_LOCAL_SIGNIN", raising=False)
    # Cached reads and resources outlive an AppTest; a new database must not see the last one's.
    st.cache_data.clear()
    st.cache_resource.clear()
    return get_engine(url)


@pytest.fixture
def app_db(db_url, monkeypatch) -> Engine:
    """The engine of the database the app serves: fresh and empty, on SQLite and on PostgreSQL."""
    return serve(db_url, monkeypatch)


@pytest.fixture
def world(app_db) -> World:
    """A small organisation (tests/factories.World) with one ready idea, "Digital triage"."""
    with write_session(app_db) as session:
        return World(session)


@pytest.fixture
def demo_db(db_url, monkeypatch) -> Engine:
    """A new demo database (loaded the way ``make run`` loads it), for the tests of the demo itself."""
    engine = serve(db_url, monkeypatch)
    with write_session(engine) as session:
        load_demo(session=session, initiatives=6, seed=7, today=DEMO_DAY)
    return engine


@pytest.fixture
def app(app_db) -> AppTest:
    """The app, signed out; build rows with the factories, then ``sign_in(app, "owner")``."""
    return AppTest.from_file(APP, default_timeout=30).run()


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def type_sign_in(at: AppTest, username: str, password: str) -> AppTest:
    """Type a user name and a password into the sign-in form and press Sign in."""
    fields = {field.label: field for field in at.text_input}
    fields["User name"].input(username)
    fields["Password"].input(password)
    return no_exception(at.button(key=SIGN_IN).click().run())


def sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    """Sign in through the form (factory users share ``PASSWORD``); the sign-in must succeed."""
    type_sign_in(at, username, password)
    assert "user_id" in at.session_state, [e.value for e in at.error]
    return at


def open_initiative(at: AppTest, initiative_id: int, tab: str | None = None) -> AppTest:
    """Open the initiative page on ``tab`` (its English label; the Gate tab when None), as its link does
    (``?id=N``): only that tab runs."""
    at.query_params["id"] = str(initiative_id)
    if tab is not None:
        at.session_state["initiative_tabs"] = tab
    return no_exception(at.switch_page("portfolio/ui/initiative.py").run())


def open_tab(at: AppTest, tab: str) -> AppTest:
    """Switch the open initiative page to ``tab`` (its English label), as a click on the tab does: the
    open tab is bound to the URL, which AppTest sends again with every run."""
    at.session_state["initiative_tabs"] = tab
    at.query_params["initiative_tabs"] = tab
    return no_exception(at.run())


def open_section(at: AppTest, key: str, value: bool | str = True) -> AppTest:
    """Open a section drawn only while it is open, as a click on it does: the expander with ``key`` (``value``
    True), or the tab labelled ``value`` (English) of the tabs with ``key``."""
    at.session_state[key] = value
    return no_exception(at.run())


def texts(elements) -> list[str]:
    return [element.value for element in elements]
