"""The dispatcher: the one path of a change for pages, the command line and tests."""

from __future__ import annotations

import pytest

from db.engine import write_session
from db.models import Initiative, RoleAssignment, User
from portfolio.auth import sign_in
from portfolio.dispatch import Dispatcher
from portfolio.errors import PermissionDenied, ValidationError
from portfolio.initiatives import update_initiative
from tests.factories import make_initiative, make_portfolio, make_user, snapshot


@pytest.fixture
def world(engine):
    with write_session(engine) as session:
        owner = make_user(session)
        portfolio = make_portfolio(session, owner=owner)
        session.add(RoleAssignment(user_id=owner.id, role="portfolio_owner", portfolio_id=portfolio.id))
        stranger = make_user(session)
        initiative = make_initiative(session, portfolio=portfolio, creator=owner)
        return {"owner": owner.id, "stranger": stranger.id, "initiative": initiative.id,
                "version": initiative.version}


def _rename(world, title: str):
    return dict(initiative_id=world["initiative"], expected_version=world["version"], changes={"title": title})


def test_a_done_action_returns_its_result_committed(engine, world):
    done = Dispatcher(world["owner"], engine=engine).run(update_initiative, **_rename(world, "Video visits"))
    assert (done.ok, done.problems, done.result.title) == (True, (), "Video visits")
    assert snapshot(engine, world["initiative"])["title"] == "Video visits"


def test_a_refusal_comes_back_as_its_messages_and_nothing_is_written(engine, world):
    before = snapshot(engine, world["initiative"])
    done = Dispatcher(world["stranger"], engine=engine).run(update_initiative, **_rename(world, "Mine now"))
    assert (done.ok, type(done.error), [m.render("en") for m in done.problems]) == (
        False, PermissionDenied,
        ["Only the implementation lead, the portfolio owner or an administrator may edit this initiative."])
    assert snapshot(engine, world["initiative"]) == before


def test_every_problem_of_a_refused_form_is_returned(engine, world):
    before = snapshot(engine, world["initiative"])
    done = Dispatcher(world["owner"], engine=engine).run(
        update_initiative, initiative_id=world["initiative"], expected_version=world["version"],
        changes={"title": " ", "estimated_cost": -5})
    assert (type(done.error), [m.render("en") for m in done.problems]) == (
        ValidationError, ["The title must not be empty.", "The estimated cost must be zero or more."])
    assert snapshot(engine, world["initiative"]) == before


def test_the_user_is_loaded_once_per_dispatcher(engine, world):
    """A page run reuses the user it loaded; a new dispatcher (a callback, the next command) loads
    the user as they are now."""
    page_run = Dispatcher(world["owner"], engine=engine)
    assert page_run.run(update_initiative, **_rename(world, "First")).ok
    with write_session(engine) as session:
        session.get(User, world["owner"]).is_active = False
    world["version"] = snapshot(engine, world["initiative"])["version"]
    assert page_run.run(update_initiative, **_rename(world, "Second")).ok
    world["version"] = snapshot(engine, world["initiative"])["version"]
    before = snapshot(engine, world["initiative"])
    fresh = Dispatcher(world["owner"], engine=engine).run(update_initiative, **_rename(world, "Third"))
    assert [m.render("en") for m in fresh.problems] == ["You must sign in first."]
    assert snapshot(engine, world["initiative"]) == before


def test_an_anonymous_dispatcher_passes_no_actor(engine, world):
    with write_session(engine) as session:
        username = session.get(User, world["owner"]).username
    done = Dispatcher(None, engine=engine).run(sign_in, username=username, password="secret-password",
                                               demo_mode=False)
    assert done.ok and done.result.user.id == world["owner"]


def test_a_bug_is_not_turned_into_a_message(engine, world):
    def broken(*, session, actor):
        session.get(Initiative, world["initiative"]).title = "half-done"
        raise KeyError("bug")

    with pytest.raises(KeyError):
        Dispatcher(world["owner"], engine=engine).run(broken)
    assert snapshot(engine, world["initiative"])["title"] != "half-done"


def test_run_or_raise_raises_the_refusal(engine, world):
    with pytest.raises(PermissionDenied):
        Dispatcher(world["stranger"], engine=engine).run_or_raise(update_initiative, **_rename(world, "x"))
