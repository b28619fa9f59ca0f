"""The initiative lifecycle as a python-statemachine ``StateMachine`` (strict).

The machine only declares stages and gate outcomes. Who may decide and which rules must hold
live in ``portfolio.permissions`` and ``workflows.rules``; the one action that moves an
initiative is ``portfolio.gates.record_gate_decision``.
"""

from __future__ import annotations

from dataclasses import dataclass

from statemachine import StateMachine
from statemachine.states import States

from workflows.vocabulary import FAST_TRACK_CHECKLIST_LABEL, Outcome, Stage


class Lifecycle(StateMachine):
    """idea → concept → pilot → scale-up → benefits realisation → realised, or stopped.

    Its states are the ``Stage`` vocabulary (a state's value is the ``Stage`` member) and its events the
    ``Outcome`` ids."""

    stages = States.from_enum(Stage, initial=Stage.IDEA, final={Stage.REALISED, Stage.STOPPED})

    go = (
        stages.IDEA.to(stages.CONCEPT)
        | stages.CONCEPT.to(stages.PILOT)
        | stages.PILOT.to(stages.SCALE_UP)
        | stages.SCALE_UP.to(stages.BENEFITS_REALISATION)
        | stages.BENEFITS_REALISATION.to(stages.REALISED)
    )
    conditional_go = (
        stages.IDEA.to(stages.CONCEPT)
        | stages.CONCEPT.to(stages.PILOT)
        | stages.PILOT.to(stages.SCALE_UP)
        | stages.SCALE_UP.to(stages.BENEFITS_REALISATION)
        | stages.BENEFITS_REALISATION.to(stages.REALISED)
    )
    hold = (
        stages.IDEA.to.itself()
        | stages.CONCEPT.to.itself()
        | stages.PILOT.to.itself()
        | stages.SCALE_UP.to.itself()
        | stages.BENEFITS_REALISATION.to.itself()
    )
    recycle = (
        stages.CONCEPT.to(stages.IDEA)
        | stages.PILOT.to(stages.CONCEPT)
        | stages.SCALE_UP.to(stages.PILOT)
        | stages.BENEFITS_REALISATION.to(stages.SCALE_UP)
    )
    stop = (
        stages.IDEA.to(stages.STOPPED)
        | stages.CONCEPT.to(stages.STOPPED)
        | stages.PILOT.to(stages.STOPPED)
        | stages.SCALE_UP.to(stages.STOPPED)
        | stages.BENEFITS_REALISATION.to(stages.STOPPED)
    )
    fast_track = stages.IDEA.to(stages.SCALE_UP)


# Derived from the vocabulary and the machine; the ids themselves are written only in workflows.vocabulary.
STAGES: tuple[Stage, ...] = tuple(Stage)
FINAL_STAGES: tuple[Stage, ...] = tuple(state.value for state in Lifecycle.states if state.final)
# The stages that have a gate, in lifecycle order.
STAGE_ORDER: tuple[Stage, ...] = tuple(stage for stage in Stage if stage not in FINAL_STAGES)
OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)

# Label tables (id → msgid), kept for the pages and the command line that look labels up by id; new code
# reads ``member.label``. The fast-track checklist is listed under its stage labels by its name.
STAGE_LABELS: dict[str, str] = {**Stage.labels(), Outcome.FAST_TRACK.value: FAST_TRACK_CHECKLIST_LABEL}
OUTCOME_LABELS: dict[str, str] = Outcome.labels()


@dataclass(frozen=True)
class Move:
    """One transition of the lifecycle: gate outcome ``outcome`` takes an initiative from ``source`` to ``target``."""

    source: Stage
    outcome: Outcome
    target: Stage


def _moves() -> tuple[Move, ...]:
    """Every transition the machine declares, read from its states, in stage and outcome order."""
    moves = {
        (state.value, event.id): Move(state.value, Outcome(event.id), transition.target.value)
        for state in Lifecycle.states
        for transition in state.transitions
        if transition.source is state
        for event in transition.events
    }
    return tuple(sorted(moves.values(), key=lambda move: (STAGES.index(move.source), OUTCOMES.index(move.outcome))))


MOVES = _moves()
_TARGETS = {(move.source, move.outcome): move.target for move in MOVES}


def _ahead_of(stage: Stage) -> list[Stage]:
    """The stages that one go after another lead to from ``stage``."""
    ahead = []
    while (stage := _TARGETS.get((stage, Outcome.GO))) is not None:
        ahead.append(stage)
    return ahead


# Outcomes that move an initiative forward (each of their moves lands further along the go path: fast track
# skips part of it), and so need every rule of the gate to hold.
FORWARD_OUTCOMES: tuple[Outcome, ...] = tuple(
    outcome for outcome in Outcome
    if all(move.target in _ahead_of(move.source) for move in MOVES if move.outcome == outcome)
)


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
