"""The ``portfolio`` command line, run in-process with Click's runner against real databases."""

from __future__ import annotations

import csv
import io

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import func, inspect
from sqlmodel import select

from db.engine import get_engine, read_session, write_session
from db.models import AuditEvent, GateDecision, Initiative, RoleAssignment, User
from portfolio.auth import verify_password
from portfolio.cli import main
from tests.factories import World, make_initiative, make_portfolio, make_user, snapshot

STALE = ("Someone else changed this initiative while you were working on it. Nothing of yours was saved. "
         "Reload the page to see the latest version and try again.")


@pytest.fixture
def cli(db_url, monkeypatch):
    """Run the CLI against the test database (both SQLite and PostgreSQL)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return run


@pytest.fixture
def world(engine):
    with write_session(engine) as session:
        return World(session)


def test_migrate_creates_the_schema(empty_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", empty_url)
    result = CliRunner().invoke(main, ["migrate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("migrated ")
    tables = set(inspect(get_engine(empty_url)).get_table_names())
    assert {"initiative", "audit_event", "gate_decision", "checklist_item", "alembic_version"} <= tables
    # Migrating again is a no-op, and the migrated database works for the other commands.
    assert CliRunner().invoke(main, ["migrate"], catch_exceptions=False).exit_code == 0
    result = CliRunner().invoke(main, ["create-user", "--username", "first", "--name", "First",
                                       "--password", "long-enough"], catch_exceptions=False)
    assert (result.exit_code, result.stdout) == (0, "created user first\n")


def test_create_user_hashes_the_password_with_argon2(cli, engine):
    result = cli("create-user", "--username", "anna", "--name", "Anna Andersson", "--password", "correct horse",
                 "--language", "en", "--role", "admin", "--role", "steering")
    assert (result.exit_code, result.stdout) == (0, "created user anna\n")
    with read_session(engine) as session:
        user = session.exec(select(User).where(User.username == "anna")).one()
        roles = sorted(session.exec(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id)).all())
        actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert (user.display_name, user.language, user.is_demo, user.is_active) == ("Anna Andersson", "en", False, True)
    assert user.password_hash.startswith("$argon2")
    assert PasswordHasher().verify(user.password_hash, "correct horse")
    assert verify_password(user.password_hash, "correct horse") and not verify_password(user.password_hash, "wrong")
    assert roles == ["admin", "steering"]
    assert actions == ["user.create", "role.grant", "role.grant"]


def test_create_user_reports_every_problem_and_writes_nothing(cli, engine):
    before = snapshot(engine)
    result = cli("create-user", "--username", " ", "--name", " ", "--password", "short")
    assert result.exit_code == 1
    assert result.stderr == ("error: The user name must not be empty.\n"
                             "error: The name must not be empty.\n"
                             "error: The password must have at least 8 characters.\n")
    assert snapshot(engine) == before
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 0


def test_demo_then_list(cli, engine):
    result = cli("demo", "--initiatives", "12", "--seed", "3", "--today", "2025-01-15")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("loaded demo data: 12 initiatives, ")
    with read_session(engine) as session:
        initiatives = session.exec(select(Initiative).order_by(Initiative.id)).all()
        demo_users = session.exec(select(User.username).where(User.is_demo)).all()
    assert len(initiatives) == 12
    assert {"admin", "owner", "lead", "steering", "reporter"} <= set(demo_users)
    listed = cli("list")
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(i.id) for i in initiatives]
    assert [line.split("\t")[2] for line in lines] == [i.title for i in initiatives]
    ideas = cli("list", "--stage", "idea").stdout.splitlines()
    assert ideas and all(line.split("\t")[1] == "Idea" for line in ideas)
    assert len(ideas) == sum(i.stage == "idea" for i in initiatives)
    # --if-empty leaves a loaded database alone.
    again = cli("demo", "--if-empty")
    assert (again.exit_code, again.stdout) == (0, "this demo database has its demo data already; nothing loaded\n")
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(Initiative)).one() == 12


def test_list_with_an_unknown_stage(cli):
    result = cli("list", "--stage", "bogus")
    assert result.exit_code == 1
    assert result.stderr == ("error: Unknown stage 'bogus'. The stages are: idea, concept, pilot, scale_up, "
                             "benefits_realisation, realised, stopped.\n")
    assert result.stdout == ""


def test_new_idea(cli, engine, world):
    before = snapshot(engine)
    result = cli("new-idea", "--as", "steering", "--title", "", "--portfolio-id", str(world.portfolio.id))
    assert (result.exit_code, result.stderr) == (1, "error: The title must not be empty.\n")
    assert snapshot(engine) == before
    swedish = cli("--lang", "sv", "new-idea", "--as", "steering", "--portfolio-id", str(world.portfolio.id))
    assert (swedish.exit_code, swedish.stderr) == (1, "error: Titeln får inte vara tom.\n")
    assert snapshot(engine) == before
    result = cli("new-idea", "--as", "steering", "--title", "Robots", "--portfolio-id", str(world.portfolio.id),
                 "--need", "Heavy lifting")
    assert result.exit_code == 0
    with read_session(engine) as session:
        created = session.exec(select(Initiative).where(Initiative.title == "Robots")).one()
    assert result.stdout == f"created initiative {created.id}\n"
    assert (created.stage, created.need_description, created.created_by_id) == ("idea", "Heavy lifting",
                                                                                world.steering.id)
    # An unknown user is a usage error (exit 2) and writes nothing.
    before = snapshot(engine)
    result = cli("new-idea", "--as", "nobody", "--title", "X", "--portfolio-id", str(world.portfolio.id))
    assert result.exit_code == 2 and "no such user: nobody" in result.stderr
    assert snapshot(engine) == before


def _decide(cli, world, user: str, version: int, *extra: str):
    return cli("decide", "--as", user, "--initiative-id", str(world.initiative.id), "--version", str(version),
               *extra)


def test_decide_refusals(cli, engine, world):
    before = snapshot(engine, world.initiative.id)
    version = world.initiative.version
    for user, version_used, extra, stderr in [
        ("lead", version, ("--outcome", "go"),
         "error: The implementation lead of an initiative may not decide its gates.\n"),
        ("owner", version + 1, ("--outcome", "go"), f"error: {STALE}\n"),
        ("owner", version, ("--outcome", "stop"),
         "error: The decision needs a rationale of at least 3 words: say why.\n"
         "error: A stop needs a reason.\nerror: A stop needs the lessons learned.\n"),
        ("steering", version, ("--outcome", "go"), "error: Only the decision owner of this gate may decide it.\n"),
    ]:
        result = _decide(cli, world, user, version_used, *extra)
        assert (user, result.exit_code, result.stderr, result.stdout) == (user, 1, stderr, "")
        assert snapshot(engine, world.initiative.id) == before


def test_decide_go_and_hold(cli, engine, world):
    version = world.initiative.version
    result = _decide(cli, world, "owner", version, "--outcome", "hold", "--review-date", "2999-12-31")
    assert (result.exit_code, result.stdout) == (0, "Idea → Idea\n")
    result = _decide(cli, world, "owner", version + 1, "--outcome", "go", "--rationale", "A clear need")
    assert (result.exit_code, result.stdout) == (0, "Idea → Concept\n")
    state = snapshot(engine, world.initiative.id)
    assert (state["stage"], state["version"], state["on_hold"]) == ("concept", version + 2, False)


def test_decide_recycle_names_what_must_be_redone(cli, engine):
    with write_session(engine) as session:
        world = World(session, stage="concept")
    version = world.initiative.version
    before = snapshot(engine, world.initiative.id)
    result = _decide(cli, world, "owner", version, "--outcome", "recycle", "--rationale", "The need is unclear")
    assert (result.exit_code, result.stderr) == (1, "error: A recycle needs to say what must be redone.\n")
    assert snapshot(engine, world.initiative.id) == before
    result = _decide(cli, world, "owner", version, "--outcome", "recycle", "--rationale", "The need is unclear",
                     "--rework", "Analyse the need with the staff")
    assert (result.exit_code, result.stdout) == (0, "Concept → Idea\n")
    with read_session(engine) as session:
        assert session.exec(select(GateDecision.rework)).one() == "Analyse the need with the staff"


def test_export_audit_to_a_file(cli, engine, world, tmp_path):
    _decide(cli, world, "owner", world.initiative.version, "--outcome", "go", "--rationale", "A clear need")
    out = tmp_path / "audit.csv"
    result = cli("export-audit", "-o", str(out))
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert out.read_text(encoding="utf-8").splitlines()[0] == "id,at,user,action,entity,entity_id,initiative_id,before,after"
    assert result.stdout == f"wrote {len(rows) - 1} audit events to {out}\n"
    assert [(r[2], r[3]) for r in rows[1:]] == [("lead", "initiative.create"), ("owner", "gate.go")]
    # To standard output, filtered by initiative.
    printed = cli("export-audit", "--initiative-id", str(world.initiative.id))
    assert printed.exit_code == 0
    assert list(csv.reader(io.StringIO(printed.stdout))) == rows


# ---------------------------------------------------------------- regressions (each once a defect)


@pytest.mark.parametrize("has_initiatives", [False, True], ids=["accounts-only", "with-initiatives"])
def test_demo_leaves_a_real_account_with_a_demo_username_alone(db_url, engine, monkeypatch, has_initiatives):
    monkeypatch.setenv("DATABASE_URL", db_url)
    runner = CliRunner()
    created = runner.invoke(main, ["create-user", "--username", "admin", "--name", "Real Admin",
                                   "--password", "long-enough", "--role", "admin"])
    assert created.exit_code == 0
    if has_initiatives:
        with write_session(engine) as session:
            lead = make_user(session, username="real_lead")
            make_initiative(session, portfolio=make_portfolio(session), creator=lead, lead=lead)
    with read_session(engine) as session:
        before = session.exec(select(User).where(User.username == "admin")).one()
    state = snapshot(engine)
    # A database with real accounts is never a demo database: the demo data is refused as a whole.
    result = runner.invoke(main, ["demo", "--if-empty", "--initiatives", "3"])
    assert (result.exit_code, result.stderr) == (1, (
        "error: This database holds real data; demo data is only loaded into a new, empty database, "
        "which then becomes a demo database.\n"))
    with read_session(engine) as session:
        after = session.exec(select(User).where(User.username == "admin")).one()
    assert (after.id, after.is_demo, after.password_hash) == (before.id, False, before.password_hash)
    assert snapshot(engine) == state


def test_create_user_with_an_unknown_portfolio_is_reported(cli, engine):
    before = snapshot(engine)
    result = CliRunner().invoke(main, ["create-user", "--username", "bob", "--name", "Bob", "--password",
                                       "long-enough", "--role", "portfolio_owner", "--portfolio-id", "987654"])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, repr(result.exception)
    assert result.stderr.startswith("error: ")
    assert snapshot(engine) == before
