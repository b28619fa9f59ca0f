"""AppTests of sign-in and of errors a person can read, on SQLite and PostgreSQL: the demo banner and demo
accounts only in a demo database, throttled sign-in, a deactivated user signed out, the administrators'
list of failed sign-ins, a database that cannot be reached, and hand-edited initiative links."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from db.engine import get_engine, write_session
from db.migrate import upgrade
from db.models import User
from portfolio.auth import create_user, grant_role
from portfolio.i18n import translator
from tests.factories import World, make_user, snapshot
from tests.ui.conftest import APP, no_exception, serve, sign_in, texts, type_sign_in

BANNER = "Demo data: invented initiatives and users. Do not enter real information."
UNREACHABLE = "The database cannot be reached; trying again."
WRONG = "Wrong user name or password."
WAIT = "Too many failed sign-ins for this user name. Try again in 1 minute."
DEMO_BUTTONS = ["admin – Administrator", "owner – Portfolio owner and decision owner",
                "lead – Implementation lead", "steering – Steering group", "reporter – Unit reporter"]


def _app(monkeypatch, url: str) -> AppTest:
    serve(url, monkeypatch)
    return AppTest.from_file(APP, default_timeout=30)


@pytest.fixture
def demo_app(demo_db) -> AppTest:
    """The app on a new demo database, signed out."""
    return AppTest.from_file(APP, default_timeout=30).run()


@pytest.fixture
def real_app(app_db) -> AppTest:
    """The app on a database of real accounts, where an older version also left a demo account ``owner``."""
    with write_session(app_db) as session:
        anna = create_user(session=session, username="anna", display_name="Anna Berg", password="anna-password",
                           language="en")
        grant_role(session=session, user_id=anna.id, role="admin")
        make_user(session, username="owner", display_name="Old demo owner", is_demo=True,
                  password_hash=session.get(User, anna.id).password_hash)
    return AppTest.from_file(APP, default_timeout=30).run()


def banners(at: AppTest, language: str = "en") -> list[str]:
    text = translator(language)(BANNER)
    return [element.value for element in at.get("html") if text in element.value]


def demo_sign_in(at: AppTest, username: str) -> AppTest:
    return no_exception(at.button(key=f"demo_{username}").click().run())


# ------------------------------------------------------------------ demo database or not


def test_every_page_of_a_demo_database_says_demo_data(demo_app):
    assert len(banners(demo_app)) == 1
    assert demo_app.title[0].value == "Initiative portfolio"
    assert [b.label for b in demo_app.button] == ["Sign in", *DEMO_BUTTONS]  # one demo user per role
    demo_sign_in(demo_app, "owner")
    # The demo owner's profile says Swedish: the banner follows the user's language.
    for page in ("overview", "my_decisions", "new_idea", "initiative"):
        if page == "initiative":
            demo_app.session_state["initiative_id"] = 1
        no_exception(demo_app.switch_page(f"portfolio/ui/{page}.py").run())
        assert (page, len(banners(demo_app, "sv"))) == (page, 1)


def test_a_real_database_has_no_banner_no_demo_buttons_and_its_demo_accounts_cannot_sign_in(real_app):
    assert banners(real_app) == []
    assert [b.label for b in real_app.button] == ["Sign in"]
    type_sign_in(real_app, "owner", "anna-password")
    assert texts(real_app.error) == [WRONG]
    assert "user_id" not in real_app.session_state
    type_sign_in(real_app, "anna", "anna-password")
    assert real_app.session_state["user_id"] and banners(real_app) == []


def test_demo_sign_in_can_be_switched_off_in_a_demo_database(demo_app, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_DEMO", "0")
    no_exception(demo_app.run())
    assert [b.label for b in demo_app.button] == ["Sign in"]
    assert len(banners(demo_app)) == 1  # still demo data
    type_sign_in(demo_app, "owner", "demo")
    assert texts(demo_app.error) == [WRONG]
    assert "user_id" not in demo_app.session_state
    assert demo_app.title[0].value == "Initiative portfolio"


# ------------------------------------------------------------------ throttling


def test_five_failures_make_the_user_name_wait_even_for_the_demo_button(demo_app):
    seen = [texts(type_sign_in(demo_app, "owner", f"guess-{n}").error) for n in range(5)]
    assert seen == [[WRONG]] * 4 + [[WAIT]]
    demo_sign_in(demo_app, "owner")  # the right password, during the wait
    assert texts(demo_app.error) == [WAIT]
    assert "user_id" not in demo_app.session_state
    demo_sign_in(demo_app, "lead")  # another user name is not held up
    assert demo_app.session_state["user_id"]


def test_administrators_see_the_failed_sign_ins(app, world):
    type_sign_in(app, "owner", "guess")
    type_sign_in(app, "nobody", "guess")
    sign_in(app, "owner")
    assert "sign_in_failures" not in app.session_state["pages"]
    no_exception(app.sidebar.button[0].click().run())  # sign out
    assert "user_id" not in app.session_state
    sign_in(app, "admin")
    assert "sign_in_failures" in app.session_state["pages"]
    no_exception(app.switch_page("portfolio/ui/signin_failures.py").run())
    assert app.title[0].value == "Failed sign-ins"
    table = app.dataframe[0].value
    assert list(table["User name"]) == ["nobody", "owner"]


# ------------------------------------------------------------------ sessions


def test_a_user_deactivated_while_signed_in_is_signed_out_on_the_next_click(app, world, app_db):
    sign_in(app, "lead")
    assert app.title[0].value == "My initiatives"
    with write_session(app_db) as session:
        session.get(User, world.lead.id).is_active = False
    no_exception(app.switch_page("portfolio/ui/my_decisions.py").run())
    assert "user_id" not in app.session_state
    assert app.title[0].value == "Initiative portfolio"
    assert texts(app.warning) == ["Your account is no longer active; you have been signed out."]
    assert texts(app.error) == []


def test_a_title_with_a_nul_byte_is_refused_in_words(app, world, app_db):
    sign_in(app, "lead")
    no_exception(app.switch_page("portfolio/ui/new_idea.py").run())
    before = snapshot(app_db)
    app.text_input(key="new_idea_title").input("Robot\x00s")
    no_exception(app.button(key="FormSubmitter:new_idea-Propose idea").click().run())
    assert texts(app.error) == ["title must not contain control characters."]
    assert snapshot(app_db) == before


# ------------------------------------------------------------------ hand-edited links


@pytest.mark.parametrize("raw, expected", [
    ("abc", "No such initiative."),
    ("-1", "No such initiative."),
    ("1e3", "No such initiative."),
    ("١", "No such initiative."),  # an Arabic-Indic digit one
    ("2147483648", "No such initiative."),  # beyond the id column
    ("99999999999999999999999", "No such initiative."),  # beyond 64 bits
    ("2147483647", "There is no initiative number 2147483647."),
])
def test_a_hand_edited_initiative_link_says_there_is_no_such_initiative(app, world, raw, expected):
    sign_in(app, "owner")
    app.query_params["id"] = raw
    no_exception(app.switch_page("portfolio/ui/initiative.py").run())
    assert texts(app.error) == [expected]


# ------------------------------------------------------------------ a database that cannot be reached


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def everything_shown(at: AppTest) -> str:
    """Every value and label the page shows, as one text."""
    parts = []
    for node in at.main, at.sidebar:
        for element in node:
            parts += [str(getattr(element, attribute, "")) for attribute in ("value", "label", "body")]
    parts += [str(element.proto) for element in [*at.get("html"), *at.error, *at.markdown]]
    return "\n".join(parts)


def test_an_unreachable_postgresql_server_is_a_plain_message(monkeypatch):
    port = _free_port()
    at = _app(monkeypatch, f"postgresql+psycopg://portfolio:s3cret@127.0.0.1:{port}/portfolio").run()
    no_exception(at)
    assert texts(at.error) == [UNREACHABLE]
    shown = everything_shown(at)
    for secret in ("127.0.0.1", str(port), "s3cret", "portfolio:", "postgresql", "psycopg", "Traceback"):
        assert secret not in shown


def test_an_unopenable_sqlite_file_is_a_plain_message(monkeypatch, tmp_path):
    path = tmp_path / "secret-folder" / "portfolio.db"
    path.mkdir(parents=True)  # a directory where the database file should be
    at = _app(monkeypatch, f"sqlite:///{path}").run()
    no_exception(at)
    assert texts(at.error) == [UNREACHABLE]
    shown = everything_shown(at)
    for secret in ("secret-folder", str(tmp_path), "sqlite", "unable to open", "Traceback"):
        assert secret not in shown


def test_the_page_comes_back_by_itself_when_the_database_is_back(own_pg_server, monkeypatch):
    admin = get_engine(own_pg_server.url("postgres")).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE portfolio"))
    url = own_pg_server.url("portfolio")
    upgrade(url)
    with write_session(get_engine(url)) as session:
        World(session)
    at = _app(monkeypatch, url).run()
    sign_in(at, "owner")
    assert at.title[0].value == "My decisions"

    own_pg_server.pause()
    no_exception(at.switch_page("portfolio/ui/my_decisions.py").run())
    assert texts(at.error) == [UNREACHABLE]
    assert str(own_pg_server.port) not in everything_shown(at)
    assert at.session_state["user_id"]  # still signed in

    own_pg_server.resume()
    # The retry a few seconds later (the page's own timer) is this run.
    no_exception(at.run())
    assert texts(at.error) == []
    assert at.title[0].value == "My decisions"
    get_engine(url).dispose()
    get_engine(own_pg_server.url("postgres")).dispose()
