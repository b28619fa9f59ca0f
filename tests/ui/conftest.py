"""AppTest fixtures: the real app script on a fresh SQLite database with demo data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from db.engine import get_engine, write_session
from portfolio.demo import load_demo

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
DEMO_DAY = date(2026, 11, 2)


@pytest.fixture
def demo_db(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    # Loading demo data makes this a demo database: that alone offers the demo accounts.
    monkeypatch.delenv("PORTFOLIO_DEMO", raising=False)
    monkeypatch.setenv("PORTFOLIO_LANGUAGE", "en")
    with write_session(get_engine(sqlite_url)) as session:
        load_demo(session=session, initiatives=24, seed=7, today=DEMO_DAY)
    st.cache_data.clear()
    st.cache_resource.clear()
    return get_engine(sqlite_url)


@pytest.fixture
def app(demo_db):
    """A signed-out app; call ``sign_in(at, "owner")`` to sign in."""
    return AppTest.from_file(APP, default_timeout=30).run()


def sign_in(at: AppTest, username: str) -> AppTest:
    at.button(key=f"demo_{username}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_initiative(at: AppTest, initiative_id: int, tab: str | None = None) -> AppTest:
    """Open the initiative page on ``tab`` (its English label; the Gate tab when None): only that tab runs."""
    at.session_state["initiative_id"] = initiative_id
    if tab is not None:
        at.session_state["initiative_tabs"] = tab
    at.switch_page("portfolio/ui/initiative.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_tab(at: AppTest, tab: str) -> AppTest:
    """Switch the open initiative page to ``tab`` (its English label), as a click on the tab does: the
    open tab is bound to the URL, which AppTest sends again with every run."""
    at.session_state["initiative_tabs"] = tab
    at.query_params["initiative_tabs"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [element.value for element in elements]
