"""The initiative lifecycle as a python-statemachine ``StateMachine`` (strict).

The machine only declares stages and gate outcomes. Who may decide and which rules must hold
live in ``portfolio.permissions`` and ``workflows.rules``; the one action that moves an
initiative is ``portfolio.gates.record_gate_decision``.
"""

from __future__ import annotations

from statemachine import State, StateMachine

STAGE_ORDER = ("idea", "concept", "pilot", "scale_up", "benefits_realisation")
FINAL_STAGES = ("realised", "stopped")
STAGES = STAGE_ORDER + FINAL_STAGES
OUTCOMES = ("go", "conditional_go", "hold", "recycle", "stop", "fast_track")


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


_TARGETS: dict[tuple[str, str], str] = {}


def _build_targets() -> None:
    for event in OUTCOMES:
        for source in STAGE_ORDER:
            machine = Lifecycle(start_value=source)
            if event in {e.id for e in machine.allowed_events}:
                machine.send(event)
                _TARGETS[(source, event)] = machine.current_state_value


_build_targets()


def target_stage(stage: str, outcome: str) -> str | None:
    """The stage ``outcome`` leads to from ``stage``, or None where the lifecycle has no such move."""
    return _TARGETS.get((stage, outcome))


def allowed_outcomes(stage: str) -> list[str]:
    """The gate outcomes the lifecycle allows from ``stage``, in the canonical order."""
    return [outcome for outcome in OUTCOMES if (stage, outcome) in _TARGETS]


def next_stage(stage: str) -> str | None:
    return target_stage(stage, "go")


def advance(model: object, outcome: str) -> str:
    """Run ``outcome`` on ``model`` (which has a ``stage`` field) and return the new stage.

    Raises ``statemachine.exceptions.TransitionNotAllowed`` when the lifecycle has no such move from the current stage.
    """
    machine = Lifecycle(model=model, state_field="stage")
    machine.send(outcome)
    return getattr(model, "stage")
