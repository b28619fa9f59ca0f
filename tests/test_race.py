"""Two people decide the same gate at the same moment: exactly one wins, the other is told so."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, func, select

from db.engine import read_session, write_session
from db.models import AuditEvent, GateDecision, Initiative
from portfolio.errors import Conflict
from portfolio.gates import DecisionInput, record_gate_decision
from tests.factories import World, actor, at_once, make_decision_owner, make_initiative, make_user

STALE = ("Someone else changed this initiative while you were working on it. Nothing of yours was saved. "
         "Reload the page to see the latest version and try again.")
ROUNDS = 5


def _race(engine, actors, initiative_id: int, version: int, inputs: list[DecisionInput]) -> list[object]:
    """Each actor decides in its own thread and transaction; all start together. Returns per actor the
    decision or the exception."""
    def decide(index: int):
        with write_session(engine) as session:
            return record_gate_decision(session=session, actor=actors[index], initiative_id=initiative_id,
                                        expected_version=version, data=inputs[index])

    return at_once(*(lambda index=index: decide(index) for index in range(len(actors))))


IN_A_MONTH = date.today() + timedelta(days=30)


@pytest.mark.parametrize("inputs", [
    (DecisionInput(outcome="go", rationale="Go, says the decision owner"),
     DecisionInput(outcome="go", rationale="Go, says the portfolio owner")),
    (DecisionInput(outcome="go", rationale="Every rule of the gate holds"),
     DecisionInput(outcome="hold", hold_review_date=IN_A_MONTH)),
], ids=["both-go", "go-against-hold"])
def test_two_deciders_at_once_exactly_one_wins(engine, inputs):
    with write_session(engine) as session:
        world = World(session, owner_decides=True)
        decider = make_user(session, username="decider")
        initiative_ids = []
        for round_number in range(ROUNDS):
            initiative = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead,
                                         ready=True, title=f"Race {round_number}")
            make_decision_owner(session, initiative, decider)
            initiative_ids.append(initiative.id)
    # Actors are loaded before the race, outside the racing transactions.
    with read_session(engine) as session:
        actors = [actor(session, decider), actor(session, world.owner)]
    winners = []
    for initiative_id in initiative_ids:
        with read_session(engine) as session:
            version = session.get(Initiative, initiative_id).version
        results = _race(engine, actors, initiative_id, version, list(inputs))
        won = [i for i, r in enumerate(results) if isinstance(r, GateDecision)]
        lost = [r for r in results if not isinstance(r, GateDecision)]
        assert len(won) == 1, results
        assert len(lost) == 1 and isinstance(lost[0], Conflict), results
        assert [str(m) for m in lost[0].messages] == [STALE]
        winners.append(won[0])
        with read_session(engine) as session:
            decisions = session.exec(select(GateDecision).where(GateDecision.initiative_id == initiative_id)).all()
            gate_events = session.exec(
                select(func.count()).select_from(AuditEvent)
                .where(AuditEvent.initiative_id == initiative_id, col(AuditEvent.action).startswith("gate."))
            ).one()
            stored = session.get(Initiative, initiative_id)
        assert len(decisions) == 1 and gate_events == 1
        winner = results[won[0]]
        assert decisions[0].id == winner.id and decisions[0].decided_by_id == actors[won[0]].user_id
        assert decisions[0].outcome == inputs[won[0]].outcome
        assert (stored.version, stored.stage) == (version + 1, winner.to_stage)
    assert len(winners) == ROUNDS
