"""The vocabularies (workflows.vocabulary) are the one source of their ids: the database's check constraints
hold exactly their ids, every label is translated, a frequency's period format reads back what it writes,
the lifecycle machine is built from them, and vocabulary columns load as members."""

from __future__ import annotations

import re
from datetime import date

import pytest
from babel.messages.pofile import read_po
from hypothesis import given, strategies as st
from sqlalchemy import CheckConstraint, inspect
from sqlmodel import SQLModel, select

from db.engine import read_session, write_session
from db.models import Indicator, IndicatorCreate, Initiative
from portfolio.benefits_math import format_period, parse_period, period_start
from portfolio.i18n import LOCALE_DIR
from tests.factories import World, make_benefit, make_indicator
from workflows.lifecycle import FINAL_STAGES, FORWARD_OUTCOMES, MOVES, STAGE_ORDER, Lifecycle
from workflows.process import load_process
from workflows.vocabulary import (
    FAST_TRACK_CHECKLIST_LABEL,
    Aggregation,
    BenefitCategory,
    BenefitKind,
    ChecklistStatus,
    Direction,
    Frequency,
    MeasurementSource,
    Outcome,
    Recipient,
    Role,
    Stage,
    Vocabulary,
)

VOCABULARIES = Vocabulary.__subclasses__()

# Each check constraint on vocabulary ids, and the ids it must hold, in order.
CONSTRAINED = {
    ("role_assignment", "ck_role_assignment_role"): tuple(Role),
    ("initiative", "ck_initiative_stage"): tuple(Stage),
    ("gate_decision_owner", "ck_gate_decision_owner_gate"): STAGE_ORDER,
    ("checklist_item", "ck_checklist_item_status"): tuple(ChecklistStatus),
    ("gate_decision", "ck_gate_decision_outcome"): tuple(Outcome),
    ("gate_decision", "ck_gate_decision_from"): tuple(Stage),
    ("gate_decision", "ck_gate_decision_to"): tuple(Stage),
    ("benefit", "ck_benefit_category"): tuple(BenefitCategory),
    ("benefit", "ck_benefit_recipient"): tuple(Recipient),
    ("benefit", "ck_benefit_kind"): tuple(BenefitKind),
    ("indicator", "ck_indicator_direction"): tuple(Direction),
    ("indicator", "ck_indicator_frequency"): tuple(Frequency),
    ("indicator", "ck_indicator_aggregation"): tuple(Aggregation),
    ("measurement", "ck_measurement_source"): tuple(MeasurementSource),
}
QUOTED = re.compile(r"'([^']*)'")


def _model_constraints() -> dict[tuple[str, str], str]:
    return {(table.name, constraint.name): str(constraint.sqltext)
            for table in SQLModel.metadata.tables.values() for constraint in table.constraints
            if isinstance(constraint, CheckConstraint)}


def test_every_vocabulary_column_of_the_models_has_its_constraint():
    assert {key for key, sql in _model_constraints().items() if " IN (" in sql} == set(CONSTRAINED)


def test_the_migrated_database_holds_exactly_the_ids_of_each_vocabulary(engine):
    inspector = inspect(engine)
    reflected = {(table, check["name"]): check["sqltext"]
                 for table in {table for table, _ in CONSTRAINED} for check in inspector.get_check_constraints(table)}
    # PostgreSQL rewrites the text (= ANY (ARRAY['a'::character varying, ...])); the ids and their order stay.
    assert {key: QUOTED.findall(reflected[key]) for key in CONSTRAINED} == {
        key: [str(value) for value in ids] for key, ids in CONSTRAINED.items()}
    if engine.dialect.name == "sqlite":
        # SQLite keeps the migrations' own text: the generated constraints are word for word the same.
        model = _model_constraints()
        assert {key: reflected[key] for key in CONSTRAINED} == {key: model[key] for key in CONSTRAINED}


def _catalogue(language: str) -> dict[str, str]:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {message.id: message.string for message in read_po(handle) if message.id}


@pytest.mark.parametrize("language", ["sv", "nb"])
@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda vocabulary: vocabulary.__name__)
def test_every_label_is_translated(vocabulary, language):
    translated = _catalogue(language)
    assert [member.label for member in vocabulary if not translated.get(member.label)] == []
    assert translated.get(FAST_TRACK_CHECKLIST_LABEL)


def test_every_vocabulary_is_tested():
    assert {vocabulary.__name__ for vocabulary in VOCABULARIES} == {
        "Stage", "Outcome", "ChecklistStatus", "InitiativeStatus", "Role", "BenefitCategory", "Recipient",
        "BenefitKind", "Direction", "Frequency", "Aggregation", "IndicatorStatus", "MeasurementSource", "Level"}


def test_an_id_is_known_only_as_written():
    assert [Direction.has(value) for value in ("higher", Direction.LOWER, "Higher", "up", None, ["higher"])] == [
        True, True, False, False, False, False]
    assert Frequency("week") is Frequency.WEEK and Frequency.WEEK.label == "Weekly"
    assert list(Stage.labels().items())[:2] == [("idea", "Idea"), ("concept", "Concept")]


def _shape(period_format: str) -> re.Pattern[str]:
    """The text a period format describes: YYYY, MM, DD and ww are digits, n is a quarter's number."""
    pattern = period_format.replace("YYYY", r"\d{4}").replace("MM", r"\d{2}").replace("DD", r"\d{2}")
    return re.compile(pattern.replace("ww", r"\d{2}").replace("n", "[1-4]"))


@given(st.sampled_from(list(Frequency)), st.dates(min_value=date(1000, 1, 4), max_value=date(9998, 12, 31)))
def test_a_period_written_in_its_format_reads_back(frequency, day):
    start = period_start(frequency, day)
    text = format_period(frequency, start)
    assert _shape(frequency.period_format).fullmatch(text), (frequency, text)
    assert parse_period(frequency, text) == start


@pytest.mark.parametrize(("frequency", "text"), [
    (Frequency.DAY, "2026-03-05"), (Frequency.WEEK, "2026-W05"), (Frequency.MONTH, "2026-03"),
    (Frequency.QUARTER, "2026-Q1"), (Frequency.YEAR, "2026")])
def test_each_frequency_names_its_format_in_a_refusal(frequency, text):
    assert _shape(frequency.period_format).fullmatch(text)
    with pytest.raises(ValueError, match=f"expected {frequency.period_format}$"):
        parse_period(frequency, "next week")


def test_the_machine_is_built_from_the_vocabularies():
    assert [state.value for state in Lifecycle.states] == list(Stage)
    assert {event.id for event in Lifecycle.events} == set(Outcome)
    assert FINAL_STAGES == (Stage.REALISED, Stage.STOPPED)
    assert STAGE_ORDER == (Stage.IDEA, Stage.CONCEPT, Stage.PILOT, Stage.SCALE_UP, Stage.BENEFITS_REALISATION)


def test_the_forward_outcomes_are_those_whose_every_move_goes_ahead():
    path = [*STAGE_ORDER, Stage.REALISED]  # where go after go leads; stopped is not ahead of anything

    def ahead(move) -> bool:
        return move.target in path and path.index(move.target) > path.index(move.source)

    moves_of = {outcome: [move for move in MOVES if move.outcome == outcome] for outcome in Outcome}
    assert FORWARD_OUTCOMES == (Outcome.GO, Outcome.CONDITIONAL_GO, Outcome.FAST_TRACK)
    assert {outcome for outcome, moves in moves_of.items() if all(ahead(move) for move in moves)} == set(
        FORWARD_OUTCOMES)
    assert all(not any(ahead(move) for move in moves_of[outcome])
               for outcome in set(Outcome) - set(FORWARD_OUTCOMES))


def test_an_input_model_keeps_an_unknown_id_for_the_action_to_name():
    data = IndicatorCreate(code="C", name="N", direction="up", frequency="week")
    assert (data.direction, data.frequency, data.aggregation) == ("up", Frequency.WEEK, Aggregation.SUM)
    assert type(data.frequency) is Frequency and type(data.direction) is str


def test_vocabulary_columns_load_as_members(engine):
    with write_session(engine) as session:
        world = World(session, stage="pilot")
        indicator = make_indicator(session, make_benefit(session, world.initiative), frequency="quarter")
        ids = world.initiative.id, indicator.id
    with read_session(engine) as session:
        initiative = session.get(Initiative, ids[0])
        assert (type(initiative.stage), initiative.stage.label) == (Stage, "Pilot")
        stored = session.get(Indicator, ids[1])
        assert (stored.frequency, stored.frequency.period_format, stored.direction.label) == (
            Frequency.QUARTER, "YYYY-Qn", "Higher is better")
        # A member compares with the stored id in SQL as the id itself does.
        assert session.exec(select(Initiative.id).where(Initiative.stage == Stage.PILOT)).all() == [ids[0]]


def test_a_process_file_names_only_the_lifecycles_gates_and_fast_track(tmp_path):
    path = tmp_path / "process.toml"
    path.write_text('[gates.realised]\nrules = []\n\n[[checklists.pilots]]\nkey = "k"\nlabel = "L"\n', encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_process(path)
    assert str(error.value) == (f"{path}: no such gate or checklist: pilots, realised; "
                                "use one of benefits_realisation, concept, fast_track, idea, pilot, scale_up")
