"""The initiative lifecycle as a python-statemachine ``StateMachine`` (strict).

The machine only declares stages and gate outcomes. Who may decide and which rules must hold
live in ``portfolio.permissions`` and ``workflows.rules``; the one action that moves an
initiative is ``portfolio.gates.record_gate_decision``.
"""

from __future__ import annotations

from dataclasses import dataclass

from statemachine import State, StateMachine

from messages import N_

STAGE_ORDER = ("idea", "concept", "pilot", "scale_up", "benefits_realisation")
FINAL_STAGES = ("realised", "stopped")
STAGES = STAGE_ORDER + FINAL_STAGES
OUTCOMES = ("go", "conditional_go", "hold", "recycle", "stop", "fast_track")

# Labels for the stage and outcome ids (the ids are English and stay in code and database). "fast_track"
# is also the name of the fast-track checklist and its gate, hence its stage label.
STAGE_LABELS = {
    "idea": N_("Idea"),
    "concept": N_("Concept"),
    "pilot": N_("Pilot"),
    "scale_up": N_("Scale-up"),
    "benefits_realisation": N_("Benefits realisation"),
    "realised": N_("Realised"),
    "stopped": N_("Stopped"),
    "fast_track": N_("Fast track"),
}
OUTCOME_LABELS = {
    "go": N_("Go"),
    "conditional_go": N_("Conditional go"),
    "hold": N_("Hold"),
    "recycle": N_("Recycle"),
    "stop": N_("Stop"),
    "fast_track": N_("Fast track to scale-up"),
}


class Lifecycle(StateMachine):
    """idea → concept → pilot → scale-up → benefits realisation → realised, or stopped."""

    idea = State(initial=True, value="idea")
    concept = State(value="concept")
    pilot = State(value="pilot")
    scale_up = State(value="scale_up")
    benefits_realisation = State(value="benefits_realisation")
    realised = State(final=True, value="realised")
    stopped = State(final=True, value="stopped")

    go = (
        idea.to(concept)
        | concept.to(pilot)
        | pilot.to(scale_up)
        | scale_up.to(benefits_realisation)
        | benefits_realisation.to(realised)
    )
    conditional_go = (
        idea.to(concept)
        | concept.to(pilot)
        | pilot.to(scale_up)
        | scale_up.to(benefits_realisation)
        | benefits_realisation.to(realised)
    )
    hold = (
        idea.to.itself()
        | concept.to.itself()
        | pilot.to.itself()
        | scale_up.to.itself()
        | benefits_realisation.to.itself()
    )
    recycle = (
        concept.to(idea) | pilot.to(concept) | scale_up.to(pilot) | benefits_realisation.to(scale_up)
    )
    stop = (
        idea.to(stopped)
        | concept.to(stopped)
        | pilot.to(stopped)
        | scale_up.to(stopped)
        | benefits_realisation.to(stopped)
    )
    fast_track = idea.to(scale_up)


@dataclass(frozen=True)
class Move:
    """One transition of the lifecycle: gate outcome ``outcome`` takes an initiative from ``source`` to ``target``."""

    source: str
    outcome: str
    target: str


def _moves() -> tuple[Move, ...]:
    """Every transition the machine declares, read from its states, in stage and outcome order."""
    moves = {
        (state.value, event.id): Move(state.value, event.id, transition.target.value)
        for state in Lifecycle.states
        for transition in state.transitions
        if transition.source is state
        for event in transition.events
    }
    return tuple(sorted(moves.values(), key=lambda move: (STAGES.index(move.source), OUTCOMES.index(move.outcome))))


MOVES = _moves()
_TARGETS = {(move.source, move.outcome): move.target for move in MOVES}


def target_stage(stage: str, outcome: str) -> str | None:
    """The stage ``outcome`` leads to from ``stage``, or None where the lifecycle has no such move."""
    return _TARGETS.get((stage, outcome))


def allowed_outcomes(stage: str) -> list[str]:
    """The gate outcomes the lifecycle allows from ``stage``, in the canonical order."""
    return [outcome for outcome in OUTCOMES if (stage, outcome) in _TARGETS]


def advance(model: object, outcome: str) -> str:
    """Run ``outcome`` on ``model`` (which has a ``stage`` field) and return the new stage.

    Raises ``statemachine.exceptions.TransitionNotAllowed`` when the lifecycle has no such move from the current stage.
    """
    machine = Lifecycle(model=model, state_field="stage")
    machine.send(outcome)
    return getattr(model, "stage")
