"""AppTests of single sign-on: what the sign-in page offers, and who is signed in after the provider."""

from __future__ import annotations

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from db.engine import read_session, write_session
from db.models import AuditEvent, User
from tests.factories import make_user
from tests.ui.conftest import APP, texts

AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "a-long-random-cookie-secret",
        "Region": {"client_id": "portfolio", "client_secret": "s",
                   "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}
NOT_SET_UP = "Your account has not been set up; ask an administrator."


@pytest.fixture
def linked(app_db):
    """A database with one account, linked to the identity anna@region.se at the provider."""
    with write_session(app_db) as session:
        make_user(session, username="anna", display_name="Anna Berg", sso_identity="anna@region.se")
    return app_db


def app_with(user: dict | None = None, auth: dict | None = AUTH) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if auth is not None:
        at.secrets["auth"] = auth
    if user is not None:
        at.user = user
    return at.run()


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def test_a_configured_provider_is_offered_beside_local_accounts(linked):
    at = app_with()
    assert labels(at)[:2] == ["Sign in with Region", "Sign in"]


def test_without_a_provider_only_local_accounts_are_offered(linked):
    assert "Sign in with Region" not in labels(app_with(auth=None))


def test_switching_local_sign_in_off_hides_the_form_and_the_demo_users(demo_db, monkeypatch):
    at = app_with()
    assert labels(at)[:3] == ["Sign in with Region", "Sign in", "admin – Administrator"]
    monkeypatch.setenv("PORTFOLIO_LOCAL_SIGNIN", "0")
    at.run()
    assert labels(at) == ["Sign in with Region"]
    assert len(at.text_input) == 0


def test_nobody_can_sign_in_without_local_accounts_or_a_provider_says_so(linked, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_LOCAL_SIGNIN", "0")
    at = app_with(auth=None)
    assert labels(at) == []
    assert "Nobody can sign in: local sign-in is switched off and no identity provider is set up." in texts(
        at.warning)


def test_a_linked_identity_lands_on_the_overview_signed_in(linked):
    at = app_with({"is_logged_in": True, "email": "anna@region.se", "sub": "x", "provider": "Region"})
    assert not at.exception
    assert at.session_state["user_id"] is not None
    assert "Signed in as Anna Berg" in [m.value for m in at.sidebar.markdown]
    with read_session(linked) as session:
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "user.sign_in_sso")).all()) == 1


def test_an_unknown_identity_sees_the_refusal_and_a_way_out_and_no_account_appears(linked):
    with read_session(linked) as session:
        before = len(session.exec(select(User)).all())
    at = app_with({"is_logged_in": True, "email": "stranger@region.se", "sub": "y", "provider": "Region"})
    assert texts(at.error) == [NOT_SET_UP]
    assert "Sign out of the identity provider" in labels(at)
    assert "user_id" not in at.session_state
    with read_session(linked) as session:
        assert len(session.exec(select(User)).all()) == before


def test_the_refusal_follows_the_language(linked):
    at = app_with({"is_logged_in": True, "email": "stranger@region.se", "provider": "Region"})
    at.sidebar.selectbox(key="lang").select("sv").run()
    assert texts(at.error) == ["Ditt konto har inte lagts upp; kontakta en administratör."]


def test_signing_out_also_signs_out_of_the_provider(linked):
    at = app_with({"is_logged_in": True, "email": "anna@region.se", "provider": "Region"})
    at.sidebar.button[0].click().run()
    assert at.user["is_logged_in"] is False
    at.run()
    assert "user_id" not in at.session_state
    assert at.title[0].value == "Initiative portfolio"
    assert labels(at)[0] == "Sign in with Region"
