"""Throttled sign-in: after 5 failures for a user name within 15 minutes that name waits 1, 2, 4 ... (at most
60) minutes, whatever password comes next; failures are recorded and administrators can read them; an unknown
user name costs one argon2 verification like a known one. Time is passed in (``now``), nothing sleeps."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import SignInFailure, User
from portfolio import auth
from portfolio.auth import locked_until, recent_sign_in_failures, sign_in
from portfolio.cli import main
from portfolio.errors import PermissionDenied
from tests.factories import World, actor, make_user, snapshot

PASSWORD = "secret-password"  # the factory's password
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
WRONG = "Wrong user name or password."
ONE_MINUTE = "Too many failed sign-ins for this user name. Try again in 1 minute."


def minutes(count: int) -> str:
    return f"Too many failed sign-ins for this user name. Try again in {count} minutes."


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def attempt(engine, username: str, password: str, now: datetime) -> str:
    """Who is signed in, or the refusal (English), for one attempt in its own transaction."""
    with write_session(engine) as session:
        result = sign_in(session=session, username=username, password=password, now=now)
        return f"signed in as {result.user.username}" if result.user else result.refusal.render("en")


def failures(engine) -> list[tuple[str, datetime]]:
    with read_session(engine) as session:
        rows = session.exec(select(SignInFailure.username, SignInFailure.at).order_by(col(SignInFailure.id))).all()
    return [(name, moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)) for name, moment in rows]


@pytest.fixture
def anna(engine):
    with write_session(engine) as session:
        make_user(session, username="anna")
        make_user(session, username="bertil")


# ---------------------------------------------------------------- the rule, on failure times alone

MIN = 60
# failure times (seconds after T0, oldest first) -> end of the wait they cause (seconds after T0), or None
WAITS = {
    "four failures: no wait": ([0, 1, 2, 3], None),
    "five within 15 minutes: 1 minute after the fifth": ([0, 1, 2, 3, 4], 4 + MIN),
    "five spread over 16 minutes: no wait": ([0, 4 * MIN, 8 * MIN, 12 * MIN, 16 * MIN], None),
    "five, the first 15 minutes before the fifth: no wait": ([0, 5 * MIN, 10 * MIN, 14 * MIN, 15 * MIN], None),
    "a failure after the wait: 2 minutes": ([0, 1, 2, 3, 4, 2 * MIN], 2 * MIN + 2 * MIN),
    "and another: 4 minutes": ([0, 1, 2, 3, 4, 2 * MIN, 5 * MIN], 5 * MIN + 4 * MIN),
    "a failure recorded during a wait does not count": ([0, 1, 2, 3, 4, 30], 4 + MIN),
    "15 quiet minutes after a wait end the streak": ([0, 1, 2, 3, 4, 4 + MIN + 15 * MIN], None),
    "the wait stops growing at 60 minutes": (
        [0, 1, 2, 3, 4, 65, 186, 427, 908, 1869, 3790, 7391, 10992], 10992 + 60 * MIN),
}


@pytest.mark.parametrize("case", list(WAITS))
def test_the_wait_a_streak_of_failures_causes(case):
    seconds, expected = WAITS[case]
    assert locked_until([at(s) for s in seconds]) == (None if expected is None else at(expected))


def test_a_streak_longer_than_the_history_read_is_at_the_longest_wait():
    assert locked_until([at(0)], saturated=True) == at(60 * MIN)


# ---------------------------------------------------------------- signing in, on both databases


# (seconds after T0, password typed for anna) -> what the person sees
SEQUENCE = [
    (0, "wrong-1", WRONG),
    (1, "wrong-2", WRONG),
    (2, "wrong-3", WRONG),
    (3, "wrong-4", WRONG),
    (4, "wrong-5", ONE_MINUTE),  # the fifth failure within 15 minutes starts a wait of 1 minute
    (30, PASSWORD, ONE_MINUTE),  # the right password does not shorten it
    (63, PASSWORD, ONE_MINUTE),  # one second left is still "1 minute"
    (65, "wrong-6", minutes(2)),  # a failure after the wait: twice as long
    (66, PASSWORD, minutes(2)),
    (185, PASSWORD, "signed in as anna"),  # the wait is over
    (190, "wrong-7", minutes(4)),  # the streak goes on: 4 minutes
    (191, PASSWORD, minutes(4)),
]


def test_five_failures_make_the_user_name_wait_longer_each_time(engine, anna):
    actual = [(seconds, password, attempt(engine, "anna", password, at(seconds))) for seconds, password, _ in SEQUENCE]
    assert actual == SEQUENCE
    # Failures are recorded with the name and the time; attempts refused during a wait are not failures.
    assert failures(engine) == [("anna", at(s)) for s in (0, 1, 2, 3, 4, 65, 190)]


def test_the_wait_is_per_user_name(engine, anna):
    for second in range(5):
        attempt(engine, "anna", "wrong", at(second))
    assert attempt(engine, "anna", PASSWORD, at(10)) == ONE_MINUTE
    assert attempt(engine, "bertil", PASSWORD, at(10)) == "signed in as bertil"
    assert attempt(engine, " anna ", PASSWORD, at(10)) == ONE_MINUTE  # the name as it is looked up


@pytest.mark.parametrize("username", ["nobody", "anna\x00", "x" * 500, "\ud800"],
                         ids=["unknown", "nul-byte", "over-long", "half-surrogate"])
def test_an_unknown_or_impossible_user_name_is_refused_and_throttled_like_a_known_one(engine, anna, username):
    before = snapshot(engine)
    seen = [attempt(engine, username, PASSWORD, at(second)) for second in range(6)]
    assert seen == [WRONG, WRONG, WRONG, WRONG, ONE_MINUTE, ONE_MINUTE]
    recorded = failures(engine)
    assert len(recorded) == 5 and len({name for name, _ in recorded}) == 1
    name = recorded[0][0]
    assert len(name) <= 200 and "\x00" not in name and "\ud800" not in name
    assert snapshot(engine) == before  # no account, no audit event, nothing else written


class CountingHasher:
    """The real argon2 hasher, counting which hashes it verifies (to see that every attempt costs the same)."""

    def __init__(self, inner):
        self.inner, self.verified = inner, []

    def verify(self, password_hash, password):
        self.verified.append(password_hash)
        return self.inner.verify(password_hash, password)

    def hash(self, password):
        return self.inner.hash(password)


@pytest.mark.parametrize("username, password", [
    ("anna", PASSWORD), ("anna", "wrong"), ("nobody", PASSWORD), ("gone", PASSWORD), ("old_demo", "demo"),
    ("", ""),
], ids=["right", "wrong-password", "unknown", "deactivated", "demo-account-in-a-real-database", "empty"])
def test_every_attempt_costs_one_argon2_verification(engine, anna, monkeypatch, username, password):
    with write_session(engine) as session:
        make_user(session, username="gone", is_active=False)
        make_user(session, username="old_demo", is_demo=True, password_hash=auth.hash_password("demo"))
    hasher = CountingHasher(auth._hasher)
    monkeypatch.setattr(auth, "_hasher", hasher)
    attempt(engine, username, password, at(0))
    assert len(hasher.verified) == 1
    if username in ("nobody", ""):
        assert hasher.verified == [auth._DUMMY_HASH]


def test_no_password_is_checked_during_a_wait(engine, anna, monkeypatch):
    for second in range(5):
        attempt(engine, "anna", "wrong", at(second))
    hasher = CountingHasher(auth._hasher)
    monkeypatch.setattr(auth, "_hasher", hasher)
    assert attempt(engine, "anna", PASSWORD, at(20)) == ONE_MINUTE
    assert hasher.verified == []


def test_parallel_attempts_cannot_slip_past_the_count(engine, anna):
    # Twelve guesses at once: they queue on the user name, so only five passwords are ever checked.
    results: list[str] = []
    barrier = threading.Barrier(12)

    def guess(number: int) -> None:
        barrier.wait()
        results.append(attempt(engine, "anna", f"guess-{number}", at(0)))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == sorted([WRONG] * 4 + [ONE_MINUTE] * 8)
    assert len(failures(engine)) == 5


# ---------------------------------------------------------------- administrators see the failures


@pytest.fixture
def world(engine):
    with write_session(engine) as session:
        return World(session)


def test_administrators_see_recent_failures_newest_first(engine, world):
    attempt(engine, "owner", "wrong", at(0))
    attempt(engine, "nobody", "wrong", at(60))
    attempt(engine, "owner", "wrong", at(120))
    attempt(engine, "owner", "wrong", T0 - timedelta(days=8))  # older than the 7 days shown
    with read_session(engine) as session:
        shown = recent_sign_in_failures(session=session, actor=actor(session, world.admin), now=at(180))
        assert [(f.username, f.at) for f in shown] == [("owner", at(120)), ("nobody", at(60)), ("owner", at(0))]
        for user in (world.owner, world.steering, world.lead):
            with pytest.raises(PermissionDenied) as refused:
                recent_sign_in_failures(session=session, actor=actor(session, user), now=at(180))
            assert refused.value.render("en") == ["Only an administrator may see the failed sign-ins."]


def test_the_cli_lists_failures_for_an_administrator_only(db_url, engine, world, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    attempt(engine, "=HYPERLINK(\"x\")", "wrong", now - timedelta(minutes=2))
    attempt(engine, "owner", "wrong", now - timedelta(minutes=1))
    listed = CliRunner().invoke(main, ["sign-in-failures", "--as", "admin"])
    assert (listed.exit_code, listed.stdout) == (0, (
        f"{(now - timedelta(minutes=1)).isoformat()}\towner\n"
        f"{(now - timedelta(minutes=2)).isoformat()}\t\"'=HYPERLINK(\"\"x\"\")\"\n"))
    refused = CliRunner().invoke(main, ["sign-in-failures", "--as", "steering"])
    assert (refused.exit_code, refused.stdout, refused.stderr) == (
        1, "", "error: Only an administrator may see the failed sign-ins.\n")


def test_a_failure_is_written_in_the_sign_in_transaction(engine, anna):
    with pytest.raises(RuntimeError):
        with write_session(engine) as session:
            sign_in(session=session, username="anna", password="wrong", now=at(0))
            raise RuntimeError("the transaction fails after the attempt")
    assert failures(engine) == []
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 2
