"""Single sign-on end to end: a real OpenID Connect provider on 127.0.0.1, the app served by Streamlit with
its ``[auth]`` secrets, and Chromium following the redirects both ways."""

from __future__ import annotations

import threading

import oidc_provider_mock
import pytest
import werkzeug.serving
from playwright.sync_api import Page, expect
from sqlmodel import func, select

from db.engine import get_engine, read_session, write_session
from db.models import AuditEvent, User
from tests.browser.conftest import _free_port, serve
from tests.factories import make_portfolio, make_user

pytestmark = pytest.mark.browser

# The provider's users: a subject the test picks on its authorization page, and the claims it sends.
ANNA = oidc_provider_mock.User(sub="7d1e-anna", claims={"email": "anna@region.se", "email_verified": True,
                                                         "name": "Anna Berg"})
STRANGER = oidc_provider_mock.User(sub="c4b0-stranger", claims={"email": "stranger@region.se",
                                                                 "email_verified": True})


@pytest.fixture
def provider():
    """A real OpenID Connect provider (authorization code flow, signed ID tokens) on 127.0.0.1."""
    app = oidc_provider_mock.app(user_claims=[ANNA, STRANGER], require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def sso_app(sqlite_url, provider, tmp_path):
    """The app on a database with Anna's account linked to her e-mail address, its secrets in a file
    outside the repository (``--secrets.files``)."""
    engine = get_engine(sqlite_url)
    with write_session(engine) as session:
        make_user(session, username="anna", display_name="Anna Berg", sso_identity="anna@region.se",
                  role="steering", portfolio=make_portfolio(session, name="Primärvård"))
    engine.dispose()
    port = _free_port()
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f"""
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "a-cookie-secret-only-for-this-test"

[auth.Region]
client_id = "portfolio"
client_secret = "portfolio-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""", encoding="utf-8")
    with serve(sqlite_url, port=port, env={"PORTFOLIO_DEMO": "0", "PORTFOLIO_SSO_CLAIM": "email"},
               options=("--secrets.files", str(secrets))) as base:
        yield base


def sign_in_at_provider(page: Page, base: str, subject: str) -> None:
    page.goto(base)
    page.get_by_role("button", name="Sign in with Region").click()
    # The provider's own authorization page: choose who signs in.
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_role("button", name=subject, exact=True).click()


def test_a_linked_identity_lands_on_their_start_page_signed_in(page: Page, sso_app, sqlite_url):
    page.set_default_timeout(30_000)
    sign_in_at_provider(page, sso_app, ANNA.sub)
    expect(page.get_by_role("heading", name="Portfolio dashboard")).to_be_visible()
    expect(page.get_by_text("Signed in as Anna Berg")).to_be_visible()
    with read_session(get_engine(sqlite_url)) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.sign_in_sso")).one()
        anna = session.exec(select(User).where(User.username == "anna")).one()
    assert (event.user_id, event.after["identity"]) == (anna.id, "anna@region.se")

    # Signing out leaves the provider too, so the next visit starts at the sign-in page.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="End Session")).to_be_visible()
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("button", name="Sign in with Region")).to_be_visible()


def test_an_unknown_identity_is_refused_and_no_account_appears(page: Page, sso_app, sqlite_url):
    page.set_default_timeout(30_000)
    with read_session(get_engine(sqlite_url)) as session:
        users_before = session.exec(select(func.count()).select_from(User)).one()
    sign_in_at_provider(page, sso_app, STRANGER.sub)
    expect(page.get_by_text("Your account has not been set up; ask an administrator.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out of the identity provider")).to_be_visible()
    expect(page.get_by_role("heading", name="Portfolio overview")).to_have_count(0)
    with read_session(get_engine(sqlite_url)) as session:
        assert session.exec(select(func.count()).select_from(User)).one() == users_before

    # The way out: sign out of the provider, and the page offers a fresh sign-in.
    page.get_by_role("button", name="Sign out of the identity provider").click()
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("button", name="Sign in with Region")).to_be_visible()
    expect(page.get_by_text("Your account has not been set up; ask an administrator.")).to_have_count(0)
