"""Demo data never touches a real database: only a new, empty database becomes a demo database, by loading
demo data into it; any database with something else in it is refused and left as it was; `make run` without
DATABASE_URL serves a demo database of its own, and with DATABASE_URL never writes demo rows."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlmodel import col, select

from db.engine import get_engine, read_session, write_session
from db.models import AuditEvent, DatabaseInfo, Initiative, RoleAssignment, User
from portfolio.audit import verify_chain
from portfolio.auth import is_demo_database
from portfolio.cli import main
from portfolio.demo import DEMO_USERS, EXTRA_LEADS
from tests.factories import make_initiative, make_org_unit, make_portfolio, make_user, snapshot

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ("error: This database holds real data; demo data is only loaded into a new, empty database, "
             "which then becomes a demo database.\n")
DEMO_NAMES = {username for username, _name, _language in DEMO_USERS + EXTRA_LEADS}


@pytest.fixture
def cli(db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args))


def state(engine) -> dict:
    """What a refused demo load must leave as it was, the demo marker included."""
    with read_session(engine) as session:
        return {**snapshot(engine), "database_info": [(i.id, i.is_demo) for i in session.exec(select(DatabaseInfo))],
                "is_demo": is_demo_database(session)}


def test_an_empty_database_becomes_a_demo_database_with_every_account_audited(cli, engine):
    with read_session(engine) as session:
        assert not is_demo_database(session)
    result = cli("demo", "--initiatives", "6", "--seed", "3", "--today", "2026-11-02")
    assert result.exit_code == 0, result.output
    with read_session(engine) as session:
        assert is_demo_database(session)
        users = {u.id: u for u in session.exec(select(User)).all()}
        roles = session.exec(select(RoleAssignment)).all()
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert {u.username for u in users.values()} == DEMO_NAMES and all(u.is_demo for u in users.values())
    created = Counter(e.entity_id for e in events if e.action == "user.create")
    granted = Counter(e.entity_id for e in events if e.action == "role.grant")
    assert created == Counter(users.keys())  # one audit event per account, none without
    assert granted == Counter(r.id for r in roles) and len(roles) == 6
    assert [e.action for e in events if e.initiative_id is None and e.action not in ("user.create", "role.grant")] == [
        "database.mark_demo", "demo.load"]
    assert events[0].after == {"is_demo": True}
    # Every initiative's own chain starts at its creation, and the whole trail verifies.
    first_of = {}
    for event in events:
        if event.initiative_id is not None:
            first_of.setdefault(event.initiative_id, event.action)
    with read_session(engine) as session:
        initiative_ids = session.exec(select(Initiative.id)).all()
        assert verify_chain(session=session).ok
    assert first_of == {initiative_id: "initiative.create" for initiative_id in initiative_ids}


def _real_user(session):
    make_user(session, username="anna")


def _real_initiative(session):
    lead = make_user(session, username="real_lead")
    make_initiative(session, portfolio=make_portfolio(session), creator=lead, lead=lead)


def _real_org_unit(session):
    make_org_unit(session, name="Vårdcentralen Norr")


def _real_portfolio(session):
    make_portfolio(session, name="Regionens portfölj")


def _old_demo_accounts(session):
    # What earlier versions wrote into whatever database they were pointed at: demo accounts, no marker.
    for username in ("admin", "owner"):
        make_user(session, username=username, is_demo=True)


@pytest.mark.parametrize("holding", [_real_user, _real_initiative, _real_org_unit, _real_portfolio,
                                     _old_demo_accounts], ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("flags", [(), ("--if-empty",)], ids=["plain", "if-empty"])
def test_a_database_holding_anything_is_refused_and_left_as_it_was(cli, engine, holding, flags):
    with write_session(engine) as session:
        holding(session)
    before = state(engine)
    result = cli("demo", "--initiatives", "3", *flags)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", REAL_DATA)
    assert state(engine) == before
    assert before["is_demo"] is False


@pytest.mark.parametrize("initiatives", ["4", "0"])
def test_demo_data_is_loaded_once(cli, engine, initiatives):
    assert cli("demo", "--initiatives", initiatives).exit_code == 0
    before = state(engine)
    again = cli("demo", "--if-empty")
    assert (again.exit_code, again.stdout) == (0, "this demo database has its demo data already; nothing loaded\n")
    more = cli("demo", "--initiatives", "2")
    assert (more.exit_code, more.stderr) == (1, "error: This demo database has its demo data already.\n")
    assert state(engine) == before


# ---------------------------------------------------------------- make run


def _fake_environment(tmp_path: Path) -> tuple[Path, Path]:
    """A directory to run the Makefile in, with a virtual environment whose ``portfolio`` is the real command
    line and whose ``streamlit`` only notes how it was started. Returns (directory, log)."""
    work = tmp_path / "checkout"
    bin_dir = work / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    log = work / "commands.log"
    scripts = {
        "python": "exit 0",
        "pip": "exit 0",
        "portfolio": f'exec {sys.executable} -c "from portfolio.cli import main; main()" "$@"',
        "streamlit": "exit 0",
    }
    for name, body in scripts.items():
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $DATABASE_URL $*" >> {log}\n{body}\n')
        script.chmod(0o755)
    # The lock files are older than the install stamp, so make installs nothing.
    for name in ("requirements.lock", "pyproject.toml"):
        (work / name).write_text("")
        os.utime(work / name, (time.time() - 3600, time.time() - 3600))
    (work / "venv" / ".installed").touch()
    return work, log


def make_run(work: Path, database_url: str | None) -> list[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "MAKEFLAGS")}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    done = subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "run", f"VENV={work / 'venv'}"],
                          cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = (work / "commands.log").read_text().splitlines()
    (work / "commands.log").unlink()
    return [line.split(" --server")[0] for line in lines]


def test_make_run_without_database_url_serves_a_demo_database_of_its_own(tmp_path):
    work, _log = _fake_environment(tmp_path)
    demo_url = "sqlite:///data/demo.db"
    assert make_run(work, None) == [
        f"portfolio {demo_url} migrate",
        f"portfolio {demo_url} demo --initiatives 40 --if-empty",
        f"streamlit {demo_url} run portfolio/ui/server.py",
    ]
    engine = get_engine(f"sqlite:///{work / 'data' / 'demo.db'}")
    try:
        with read_session(engine) as session:
            assert is_demo_database(session)
            assert session.exec(select(func.count()).select_from(Initiative)).one() == 40
        # The second start finds its demo and leaves it as it is.
        before = state(engine)
        assert len(make_run(work, None)) == 3
        assert state(engine) == before
    finally:
        engine.dispose()


@pytest.mark.parametrize("content", ["empty", "real data"])
def test_make_run_with_database_url_migrates_and_serves_it_and_writes_no_demo_rows(tmp_path, db_url, engine, content):
    if content == "real data":
        with write_session(engine) as session:
            _real_initiative(session)
    work, _log = _fake_environment(tmp_path)
    before = state(engine)
    assert make_run(work, db_url) == [f"portfolio {db_url} migrate", f"streamlit {db_url} run portfolio/ui/server.py"]
    assert state(engine) == before
    assert not (work / "data").exists()
