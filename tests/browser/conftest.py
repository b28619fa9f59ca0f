"""Browser tests: the real app served by Streamlit, driven in Debian's headless Chromium.

Each test builds the rows it needs with the factories (tests/factories.py), on a fresh database that is
SQLite once and the session's PostgreSQL server once (``db_url``), and signs in through the user-name and
password form, as a person does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from db.engine import get_engine, write_session
from portfolio.sessions import SESSION_COOKIE
from tests.factories import PASSWORD, World

ROOT = Path(__file__).resolve().parents[2]
# Two cores shared with a Streamlit server: give each expectation room before it fails.
expect.set_options(timeout=20_000)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed (make test installs it with apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(database_url: str, *, port: int | None = None, env: dict[str, str] | None = None,
          options: tuple[str, ...] = ()):
    """Streamlit serving the app as ``make run`` does (``portfolio/ui/server.py``: the app and its session
    cookie routes) on ``database_url`` (on ``port``, default a free one, with ``env`` added to the environment
    and ``options`` to the command line); yields the base URL."""
    port = port or _free_port()
    # The caller's own switches for demo and local sign-in do not reach the app: the tests say what they need.
    env = {**{k: v for k, v in os.environ.items() if k not in ("PORTFOLIO_DEMO", "PORTFOLIO_LOCAL_SIGNIN")},
           "DATABASE_URL": database_url, "PORTFOLIO_LANGUAGE": "en", **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "portfolio/ui/server.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", *options],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            output = process.stdout.read().decode() if process.stdout else ""
            process.kill()
            pytest.fail(f"Streamlit did not start:\n{output}")
        time.sleep(0.2)
    try:
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def app_db(db_url) -> Engine:
    """The engine of the database the served app uses: fresh and migrated, on SQLite and on PostgreSQL."""
    return get_engine(db_url)


@pytest.fixture
def served_app(db_url):
    """Streamlit serving the app on the test's database; yields the base URL. The server reads every row
    when a page runs, so rows the test builds before its first page load are there."""
    with serve(db_url) as base:
        yield base


@pytest.fixture
def world(app_db) -> World:
    """A small organisation (tests/factories.World) with one ready idea, "Digital triage", whose gate the
    portfolio owner ("owner") decides."""
    with write_session(app_db) as session:
        return World(session)


def settled(page: Page) -> None:
    """Wait until the run a click caused has ended, so that what follows sees the page as drawn, not one being
    replaced. The pauses let a run start that the check would otherwise come before."""
    page.wait_for_timeout(300)
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute("data-test-script-state", "notRunning")
    page.wait_for_timeout(300)


def sign_in(page: Page, url: str, username: str, password: str = PASSWORD, *,
            heading: str = "My decisions") -> None:
    """Open ``url`` (the app, or a link to one of its pages), sign in through the user-name and password form
    (factory users share ``PASSWORD``) and wait for the page's ``heading`` (by default that of "My decisions",
    where the app's own address takes the portfolio owner): the sign-in must succeed. The tab
    shows the page at once, then fetches its session cookie and loads the page again: this waits for both."""
    page.set_default_timeout(30_000)
    page.goto(url)
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    deadline = time.monotonic() + 20
    while not any(c["name"] == SESSION_COOKIE for c in page.context.cookies()):
        if time.monotonic() > deadline:
            pytest.fail("the browser got no session cookie after signing in")
        page.wait_for_timeout(100)
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
