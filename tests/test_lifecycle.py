"""The lifecycle machine, its diagram, the gate-input check and the gate rules: pure, no database."""

from __future__ import annotations

from xml.etree import ElementTree
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from statemachine.exceptions import TransitionNotAllowed

from portfolio.gates import DecisionInput, _check_decision_input
from portfolio.i18n import translator
from portfolio.lifecycle_view import lifecycle_svg
from workflows.lifecycle import MOVES, OUTCOMES, STAGES, Lifecycle, advance, allowed_outcomes, target_stage
from workflows.process import load_process
from workflows.rules import (
    RULES,
    BenefitFact,
    BenefitFacts,
    ChecklistFact,
    GateContext,
    IndicatorFact,
    evaluate,
    incomplete_items,
)

TODAY = date(2025, 3, 14)

# The lifecycle as the README states it: stage -> outcome -> target stage (None: no such move).
TRANSITIONS: dict[str, dict[str, str | None]] = {
    "idea": {"go": "concept", "conditional_go": "concept", "hold": "idea", "recycle": None,
             "stop": "stopped", "fast_track": "scale_up"},
    "concept": {"go": "pilot", "conditional_go": "pilot", "hold": "concept", "recycle": "idea",
                "stop": "stopped", "fast_track": None},
    "pilot": {"go": "scale_up", "conditional_go": "scale_up", "hold": "pilot", "recycle": "concept",
              "stop": "stopped", "fast_track": None},
    "scale_up": {"go": "benefits_realisation", "conditional_go": "benefits_realisation", "hold": "scale_up",
                 "recycle": "pilot", "stop": "stopped", "fast_track": None},
    "benefits_realisation": {"go": "realised", "conditional_go": "realised", "hold": "benefits_realisation",
                             "recycle": "scale_up", "stop": "stopped", "fast_track": None},
    "realised": dict.fromkeys(OUTCOMES),
    "stopped": dict.fromkeys(OUTCOMES),
}
PAIRS = [(stage, outcome) for stage in STAGES for outcome in OUTCOMES]
ALLOWED = [(s, o, TRANSITIONS[s][o]) for s, o in PAIRS if TRANSITIONS[s][o] is not None]
REFUSED = [(s, o) for s, o in PAIRS if TRANSITIONS[s][o] is None]

# How the domain names stages and outcomes in its refusals.
DOMAIN_STAGE = {"idea": "Idea", "concept": "Concept", "pilot": "Pilot", "scale_up": "Scale-up",
                "benefits_realisation": "Benefits realisation", "realised": "Realised", "stopped": "Stopped"}
DOMAIN_OUTCOME = {"go": "Go", "conditional_go": "Conditional go", "hold": "Hold", "recycle": "Recycle",
                  "stop": "Stop", "fast_track": "Fast track to scale-up"}


@pytest.mark.parametrize(("stage", "outcome", "target"), ALLOWED)
def test_allowed_move(stage, outcome, target):
    assert target_stage(stage, outcome) == target
    model = SimpleNamespace(stage=stage)
    assert advance(model, outcome) == target
    assert model.stage == target


@pytest.mark.parametrize(("stage", "outcome"), REFUSED)
def test_refused_move_raises_and_leaves_the_stage(stage, outcome):
    assert target_stage(stage, outcome) is None
    model = SimpleNamespace(stage=stage)
    with pytest.raises(TransitionNotAllowed):
        advance(model, outcome)
    assert model.stage == stage


def test_moves_are_every_transition_of_the_machine():
    assert [(m.source, m.outcome, m.target) for m in MOVES] == ALLOWED


@pytest.mark.parametrize("stage", STAGES)
def test_allowed_outcomes_in_canonical_order(stage):
    assert allowed_outcomes(stage) == [outcome for outcome in OUTCOMES if TRANSITIONS[stage][outcome]]


@pytest.mark.parametrize(("stage", "outcome"), REFUSED)
def test_refused_move_through_the_domain_input_check(stage, outcome):
    # Fill in what each outcome needs, so the only problem left is the move itself.
    data = DecisionInput(outcome=outcome, rationale="Every rule of the gate holds", conditions="Budget confirmed",
                         stop_reason="No benefit", rework="The pilot plan",
                         lessons_learned="Measure first", hold_review_date=TODAY + timedelta(days=30))
    problems = _check_decision_input(data, stage, TODAY)
    assert [(p.field, str(p.message)) for p in problems] == [
        ("outcome", f"The decision {DOMAIN_OUTCOME[outcome]} is not possible in stage {DOMAIN_STAGE[stage]}.")
    ]


@pytest.mark.parametrize(("stage", "outcome", "target"), ALLOWED)
def test_allowed_move_passes_the_domain_input_check(stage, outcome, target):
    data = DecisionInput(outcome=outcome, rationale="Every rule of the gate holds", conditions="Budget confirmed",
                         stop_reason="No benefit", rework="The pilot plan",
                         lessons_learned="Measure first", hold_review_date=TODAY + timedelta(days=30))
    assert _check_decision_input(data, stage, TODAY) == []


def test_unknown_outcome_is_reported_alone():
    problems = _check_decision_input(DecisionInput(outcome="maybe", rationale="Every rule holds"), "idea", TODAY)
    assert [(p.field, str(p.message)) for p in problems] == [("outcome", "Unknown decision 'maybe'.")]


@pytest.mark.parametrize(("data", "expected"), [
    (DecisionInput(outcome="stop", rationale="Every rule of the gate holds"),
     [("stop_reason", "A stop needs a reason."), ("lessons_learned", "A stop needs the lessons learned.")]),
    (DecisionInput(outcome="stop", rationale="Every rule of the gate holds", stop_reason="  ",
                   lessons_learned="Learned"),
     [("stop_reason", "A stop needs a reason.")]),
    (DecisionInput(outcome="conditional_go", rationale="Every rule of the gate holds"), [("conditions", "A conditional go needs its conditions.")]),
    (DecisionInput(outcome="hold", rationale="Every rule of the gate holds"), [("hold_review_date", "A hold needs a review date.")]),
    (DecisionInput(outcome="hold", rationale="Every rule of the gate holds", hold_review_date=TODAY),
     [("hold_review_date", "The review date must be in the future.")]),
    (DecisionInput(outcome="hold", rationale="Every rule of the gate holds", hold_review_date=TODAY - timedelta(days=1)),
     [("hold_review_date", "The review date must be in the future.")]),
    (DecisionInput(outcome="hold", rationale="Every rule of the gate holds", hold_review_date=TODAY + timedelta(days=1)), []),
    (DecisionInput(outcome="go", rationale="Every rule of the gate holds"), []),
], ids=["stop-empty", "stop-blank-reason", "conditional-go", "hold-no-date", "hold-today", "hold-past",
        "hold-tomorrow", "go"])
def test_outcome_specific_input(data, expected):
    assert [(p.field, str(p.message)) for p in _check_decision_input(data, "concept", TODAY)] == expected


# ---------------------------------------------------------------- the lifecycle diagram

SVG = "{http://www.w3.org/2000/svg}"


def machine_transitions() -> list[tuple[str, str, str]]:
    """(source, outcome, target) for every transition, read from the machine class itself."""
    return [(state.value, event.id, transition.target.value)
            for state in Lifecycle.states for transition in state.transitions for event in transition.events]


def _lines(group: ElementTree.Element) -> list[str]:
    """The lines of a box's or an arrow's label."""
    return [span.text for span in group.iter(f"{SVG}tspan")]


def stages(svg: str) -> dict[str, tuple[str, bool]]:
    """stage -> (its label, whether it is highlighted as the current stage)."""
    groups = ElementTree.fromstring(svg).iter(f"{SVG}g")
    return {g.get("data-stage"): (" ".join(_lines(g)), "current" in g.get("class").split())
            for g in groups if "stage" in g.get("class").split()}


def edges(svg: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(source, target) -> (the outcome ids the arrow stands for, its label; an arrow's label may put each
    outcome on a line of its own)."""
    groups = ElementTree.fromstring(svg).iter(f"{SVG}g")
    return {(g.get("data-source"), g.get("data-target")): (g.get("data-outcomes"), " / ".join(_lines(g)))
            for g in groups if g.get("class") == "move"}


def test_the_diagram_has_an_arrow_for_every_transition_but_holds():
    english = translator("en")
    drawn = edges(lifecycle_svg("idea", english))
    moves = [(s, o, t) for s, o, t in machine_transitions() if o != "hold"]
    assert len(moves) == 20  # 5 go, 5 conditional go, 4 recycle, 5 stop, 1 fast track
    assert set(drawn) == {(s, t) for s, _, t in moves}
    for source, outcome, target in moves:
        outcomes, label = drawn[source, target]
        assert outcome in outcomes.split(), (source, outcome)
        assert english(DOMAIN_OUTCOME[outcome]) in label.split(" / "), (source, outcome)
    assert all(source != target for source, target in drawn)


@pytest.mark.parametrize("current", STAGES)
def test_the_diagram_highlights_the_current_stage(current):
    drawn = stages(lifecycle_svg(current, translator("en")))
    assert set(drawn) == set(STAGES)
    assert [stage for stage, (_, highlighted) in drawn.items() if highlighted] == [current]


@pytest.mark.parametrize(("language", "labels", "moves"), [
    ("sv", {"scale_up": "Breddinförande", "stopped": "Avbruten"},
     {("pilot", "scale_up"): "Gå vidare / Villkorat gå vidare", ("pilot", "concept"): "Återremittera",
      ("pilot", "stopped"): "Avbryt", ("idea", "scale_up"): "Snabbspår till breddinförande"}),
    ("nb", {"scale_up": "Oppskalering", "stopped": "Avbrutt"},
     {("pilot", "scale_up"): "Gå videre / Betinget gå videre", ("pilot", "concept"): "Send tilbake",
      ("pilot", "stopped"): "Avbryt", ("idea", "scale_up"): "Hurtigspor til oppskalering"}),
    ("en", {"scale_up": "Scale-up", "stopped": "Stopped", "benefits_realisation": "Benefits realisation"},
     {("pilot", "scale_up"): "Go / Conditional go", ("pilot", "concept"): "Recycle",
      ("pilot", "stopped"): "Stop", ("idea", "scale_up"): "Fast track to scale-up"}),
])
def test_the_diagram_speaks_the_readers_language(language, labels, moves):
    svg = lifecycle_svg("pilot", translator(language))
    assert {stage: stages(svg)[stage][0] for stage in labels} == labels
    assert {pair: edges(svg)[pair][1] for pair in moves} == moves


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
def test_the_diagrams_boxes_lie_inside_the_picture_and_apart(language):
    root = ElementTree.fromstring(lifecycle_svg("idea", translator(language)))
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    boxes = [tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
             for g in root.iter(f"{SVG}g") if g.get("data-stage") for r in g.iter(f"{SVG}rect")]
    assert len(boxes) == len(STAGES)
    assert all(0 <= x and x + w <= width and 0 <= y and y + h <= height for x, y, w, h in boxes)
    for i, (x, y, w, h) in enumerate(boxes):
        for (x2, y2, w2, h2) in boxes[i + 1:]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y


def test_the_diagram_escapes_what_it_is_given():
    svg = lifecycle_svg("idea", lambda msgid: f'{msgid} <b>"q"</b> &')
    assert stages(svg)["idea"][0] == 'Idea <b>"q"</b> &'


# ---------------------------------------------------------------- rules


def fact(key: str, *, stage: str = "idea", required: bool = True, status: str = "open", reason: str = "",
         label: str | None = None) -> ChecklistFact:
    return ChecklistFact(stage=stage, key=key, label=label or f"Item {key}", required=required, status=status,
                         not_applicable_reason=reason)


def indicator(name: str = "Waiting time", **overrides) -> IndicatorFact:
    values = dict(code=name.lower().replace(" ", "_"), name=name, has_baseline_and_target=True,
                  measured_after_baseline=True, at_target=True, deviation_explained=False)
    values.update(overrides)
    return IndicatorFact(**values)


def benefit(title: str = "Shorter waits", **overrides) -> BenefitFact:
    values = dict(title=title, has_owner=True, indicator_count=1)
    values.update(overrides)
    return BenefitFact(**values)


def benefits(**overrides) -> BenefitFacts:
    values = dict(benefits=(benefit(),), indicators=(indicator(),), has_calculation=True)
    values.update(overrides)
    return BenefitFacts(**values)


def complete_context(**overrides) -> GateContext:
    """A context every rule accepts; each test breaks one thing."""
    values = dict(stage="idea", need_description="Long queues", need_owner="Head of care",
                  expected_effects="Shorter waits", org_unit_id=1,
                  checklist=(fact("a", status="done"), fact("f", stage="fast_track", status="done")),
                  benefits=benefits())
    values.update(overrides)
    return GateContext(**values)


RULE_CASES = [
    ("need_described", {"need_description": ""}, "The need is not described."),
    ("need_described", {"need_description": "  \n "}, "The need is not described."),
    ("need_owner_named", {"need_owner": " "}, "No need owner is named."),
    ("owning_unit_named", {"org_unit_id": None}, "No owning unit is chosen."),
    ("expected_effects_described", {"expected_effects": ""}, "The expected effects are not described."),
    ("checklist_complete", {"checklist": (fact("a", label="Need analysed"), fact("b", status="done"))},
     "The checklist for Idea is not complete: 1 required item is open (Need analysed)."),
    ("checklist_complete",
     {"stage": "scale_up", "checklist": (fact("x", stage="scale_up", label="Rollout live"),
                                         fact("y", stage="scale_up", label="Handover"))},
     "The checklist for Scale-up is not complete: 2 required items are open (Rollout live; Handover)."),
    ("fast_track_checklist_complete", {"checklist": (fact("f", stage="fast_track", label="Off the shelf"),)},
     "The checklist for Fast track is not complete: 1 required item is open (Off the shelf)."),
    ("indicator_with_baseline_and_target",
     {"benefits": benefits(indicators=(indicator("A", has_baseline_and_target=False),))},
     "No indicator has both a baseline and a target."),
    ("indicator_with_baseline_and_target", {"benefits": benefits(indicators=())},
     "No indicator has both a baseline and a target."),
    ("measured_after_baseline", {"benefits": benefits(indicators=())}, "The initiative has no indicators to measure."),
    ("measured_after_baseline",
     {"benefits": benefits(indicators=(indicator("A", measured_after_baseline=False), indicator("B"),
                                       indicator("C", measured_after_baseline=False)))},
     "These indicators have no measurement after their baseline: A; C."),
    ("benefit_calculation_present", {"benefits": benefits(has_calculation=False)}, "There is no benefit calculation."),
    ("benefit_owners_and_schedules", {"benefits": benefits(benefits=())}, "The initiative has no benefits."),
    ("benefit_owners_and_schedules", {"benefits": benefits(benefits=(benefit("X", has_owner=False), benefit("Y")))},
     "These benefits have no benefit owner: X."),
    ("benefit_owners_and_schedules", {"benefits": benefits(benefits=(benefit("X", indicator_count=0),))},
     "These benefits have no indicator with a measurement schedule: X."),
    ("benefit_owners_and_schedules",
     {"benefits": benefits(benefits=(benefit("X", has_owner=False), benefit("Y", indicator_count=0)))},
     "These benefits have no benefit owner: X. These have no indicator with a measurement schedule: Y."),
    ("indicators_at_target_or_explained",
     {"benefits": benefits(indicators=(indicator("A", at_target=False),
                                       indicator("B", at_target=False, deviation_explained=True)))},
     "These indicators are not at their target and the deviation is not explained: A."),
]


@pytest.mark.parametrize(("rule", "failing", "message"), RULE_CASES)
def test_rule_fails_with_its_message(rule, failing, message):
    assert RULES[rule](complete_context()) is None
    result = RULES[rule](complete_context(**failing))
    assert result is not None and result.render("en") == message


def test_every_rule_is_covered():
    assert set(RULES) == {rule for rule, _, _ in RULE_CASES}


def test_checklist_rule_counts_only_required_items_of_the_stage():
    ctx = complete_context(checklist=(
        fact("done", status="done"),
        fact("optional_open", required=False),
        fact("na_with_reason", status="not_applicable", reason="No patients involved"),
        fact("na_without_reason", status="not_applicable", reason="   ", label="Manager support"),
        fact("other_stage_open", stage="concept"),
        fact("fast_track_open", stage="fast_track"),
    ))
    assert [item.key for item in incomplete_items(ctx.checklist, "idea")] == ["na_without_reason"]
    assert RULES["checklist_complete"](ctx).render("en") == (
        "The checklist for Idea is not complete: 1 required item is open (Manager support).")


def test_checklist_rule_holds_when_only_optional_items_are_open():
    ctx = complete_context(checklist=(fact("a", status="done"), fact("b", required=False),
                                      fact("c", status="not_applicable", reason="Not relevant")))
    assert RULES["checklist_complete"](ctx) is None


def test_evaluate_runs_every_rule_and_reports_each_unmet_one():
    ctx = GateContext(stage="idea", checklist=(fact("a", label="Need analysed"),))
    names = load_process().rules_for("idea")
    results = evaluate(names, ctx)
    assert [r.name for r in results] == list(names)
    assert [r.message.render("en") for r in results if not r.ok] == [
        "The need is not described.",
        "No need owner is named.",
        "No owning unit is chosen.",
        "The expected effects are not described.",
        "The checklist for Idea is not complete: 1 required item is open (Need analysed).",
    ]
    assert all(r.ok for r in evaluate(names, complete_context()))


def test_default_process_rules():
    process = load_process()
    assert process.rules_for("idea") == ("need_described", "need_owner_named", "owning_unit_named",
                                         "expected_effects_described", "checklist_complete")
    assert process.rules_for("fast_track") == ("need_described", "need_owner_named",
                                               "fast_track_checklist_complete")
    assert process.rules_for("realised") == ()
    assert all(process.rules_for(gate)[-1] == "checklist_complete" for gate in STAGES[:5])
    assert [(i.key, i.required) for i in process.checklist_for("idea")] == [
        ("need_analysis", True), ("existing_solutions", True), ("manager_support", True)]


def test_load_process_rejects_an_unknown_rule(tmp_path):
    path = tmp_path / "process.toml"
    path.write_text('[gates.idea]\nrules = ["need_described", "moon_is_full"]\n', encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_process(path)
    assert str(error.value) == f"{path}: unknown gate rules: moon_is_full"


def test_load_process_reads_a_custom_file(tmp_path):
    path = tmp_path / "custom.toml"
    path.write_text('[gates.idea]\nrules = ["need_described"]\n\n[[checklists.idea]]\nkey = "k"\nlabel = "L"\n'
                    'required = false\n', encoding="utf-8")
    process = load_process(path)
    assert process.rules_for("idea") == ("need_described",)
    assert [(i.key, i.label, i.required) for i in process.checklist_for("idea")] == [("k", "L", False)]


@pytest.mark.parametrize(("outcome", "rationale", "refused"), [
    ("go", "", True), ("go", "Ready", True), ("go", "  Ready  now ", True), ("go", "Every rule holds", False),
    ("conditional_go", "Go, with care", False), ("fast_track", "Urgent", True), ("recycle", "Redo it", True),
    ("stop", "No money left", False), ("hold", "", False),
])
def test_a_decision_that_moves_or_ends_an_initiative_says_why_in_words(outcome, rationale, refused):
    data = DecisionInput(outcome=outcome, rationale=rationale, conditions="Budget confirmed",
                         hold_review_date=TODAY + timedelta(days=1), stop_reason="No benefit",
                         lessons_learned="Ask the users first", rework="The pilot plan")
    stage = "idea" if outcome == "fast_track" else "concept"
    problems = [(p.field, p.message.render("en")) for p in _check_decision_input(data, stage, TODAY)]
    assert problems == ([("rationale", "The decision needs a rationale of at least 3 words: say why.")]
                        if refused else [])
