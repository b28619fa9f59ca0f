"""Data for BI tools: every table a BI user needs, as CSV and as Parquet, with stable column names.

``TABLES`` declares each file: its columns in order, with their Arrow type and meaning (the README's tables
are written from it, and a test holds the two together), and the query that reads its rows. ``write_bi_export``
reads each table in chunks of ``CHUNK`` rows from one consistent read of the database and writes each chunk to
both files as it comes, so the 4.8 million measurements of a national portfolio never sit in memory at once.

CSV files go through ``portfolio.exports`` (text cells that a spreadsheet would take as a formula are
neutralised), as UTF-8 with a byte-order mark, comma-separated, with a decimal point, ISO dates and UTC times.
Parquet files carry the same columns with their types. Column names only ever grow: a column is never renamed
or given a new meaning, so a Power BI report built on these files keeps working.

This is the organisation's own data for its own analysts, so it holds what the transparency export leaves out
(internal initiatives and texts, with their internal flags as columns, and the estimated cost). It names no
people: who leads, decides or reports is in the app and in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Select, case, literal
from sqlmodel import Session, col, select

from db.models import (
    Benefit,
    BenefitCalculation,
    CalculationYear,
    GateDecision,
    Indicator,
    Initiative,
    Measurement,
    OrgUnit,
    Portfolio,
)
from portfolio.exports import csv_text
from portfolio.indicator_figures import _per_period, _pick, _progress, _status
from workflows.lifecycle import FINAL_STAGES
from workflows.vocabulary import InitiativeStatus

# Rows read and written at a time: large enough for speed, small enough that memory stays flat (an indicator's
# row with its texts takes about a kilobyte; a chunk is a Parquet row group).
CHUNK = 20_000

INTEGER, TEXT, BOOLEAN, DECIMAL, DATE = pa.int64(), pa.string(), pa.bool_(), pa.float64(), pa.date32()
TIMESTAMP = pa.timestamp("us", tz="UTC")
# How the README names each type.
TYPE_NAMES = {INTEGER: "integer", TEXT: "text", BOOLEAN: "boolean", DECIMAL: "decimal", DATE: "date",
              TIMESTAMP: "timestamp (UTC)"}


@dataclass(frozen=True)
class Column:
    """One column of a file: its stable name, its type, and what it means (for the README)."""

    name: str
    type: pa.DataType
    meaning: str


@dataclass(frozen=True)
class Table:
    """One file of the export (``<name>.csv`` and ``<name>.parquet``): what a row is, its columns, and how its
    rows are read (``rows(session)`` yields lists of tuples in the columns' order)."""

    name: str
    meaning: str
    columns: tuple[Column, ...]
    rows: Callable[[Session], Iterator[Sequence[tuple]]]

    @property
    def schema(self) -> pa.Schema:
        """The Parquet file's schema."""
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])


def _streamed(query: Select) -> Callable[[Session], Iterator[Sequence[tuple]]]:
    def rows(session: Session) -> Iterator[Sequence[tuple]]:
        # yield_per streams: a server-side cursor on PostgreSQL, fetchmany on SQLite.
        yield from session.execute(query.execution_options(yield_per=CHUNK)).partitions()
    return rows


_STATUS = case((col(Initiative.stage).in_([str(stage) for stage in FINAL_STAGES]), literal(InitiativeStatus.CLOSED.value)),
               (Initiative.on_hold, literal(InitiativeStatus.ON_HOLD.value)),
               else_=literal(InitiativeStatus.ACTIVE.value))


# The indicator columns of the file, in order, before the latest figures that are computed from measurements.
_INDICATOR_COLUMNS = (
    Indicator.id, Indicator.benefit_id, Benefit.initiative_id, Indicator.code, Indicator.name, Indicator.unit,
    Indicator.direction, Indicator.frequency, Indicator.aggregation, Indicator.baseline_value,
    Indicator.original_baseline_value, Indicator.baseline_date, Indicator.baseline_period, Indicator.baseline_source,
    Indicator.target_value, Indicator.target_date, Indicator.amber_tolerance, Indicator.red_tolerance,
    Indicator.valid_min, Indicator.valid_max, Indicator.volume_per_year, Indicator.data_source, Indicator.definition,
    Indicator.method, Indicator.deviation_explanation,
)


def _indicator_rows(session: Session) -> Iterator[Sequence[tuple]]:
    """The indicators with their latest combined figures, as the Benefits tab computes them. Rows, not ORM
    objects: a national portfolio has 110,000 indicators."""
    latest = {indicator_id: points[-1]
              for indicator_id, points in _per_period(session, select(Indicator.id), latest_only=True).items()}
    query = (select(*_INDICATOR_COLUMNS).join(Benefit, Benefit.id == Indicator.benefit_id)
             .order_by(col(Indicator.id)).execution_options(yield_per=CHUNK))
    for chunk in session.execute(query).partitions():
        rows = []
        for indicator in chunk:
            # A row reads like an indicator (baseline_value, direction, ...) for the figures' functions.
            period, total, mean = latest.get(indicator.id, (None, None, None))
            value = None if period is None else _pick(indicator.aggregation, total, mean)
            rows.append((*indicator, period, value, _progress(indicator, value), _status(indicator, period, value)))
        del chunk
        yield rows


TABLES: tuple[Table, ...] = (
    Table("portfolios", "One row per portfolio; portfolios nest.", (
        Column("portfolio_id", INTEGER, "The portfolio's number."),
        Column("name", TEXT, "Its name."),
        Column("parent_portfolio_id", INTEGER, "The portfolio it belongs to; empty for a top portfolio."),
    ), _streamed(select(Portfolio.id, Portfolio.name, Portfolio.parent_id).order_by(col(Portfolio.id)))),
    Table("org_units", "One row per org unit of the organisation tree (region, hospital, clinic, ward, ...).", (
        Column("org_unit_id", INTEGER, "The unit's number."),
        Column("name", TEXT, "Its name."),
        Column("code", TEXT, "Its code in the organisation's register (HSA-id, RESH-id); may be empty."),
        Column("parent_org_unit_id", INTEGER, "The unit above it; empty for the top of the tree."),
    ), _streamed(select(OrgUnit.id, OrgUnit.name, OrgUnit.code, OrgUnit.parent_id).order_by(col(OrgUnit.id)))),
    Table("initiatives", "One row per initiative.", (
        Column("initiative_id", INTEGER, "The initiative's number, as the app shows it."),
        Column("title", TEXT, "Its title."),
        Column("portfolio_id", INTEGER, "Its portfolio (portfolios)."),
        Column("org_unit_id", INTEGER, "Its owning unit (org_units); may be empty."),
        Column("stage", TEXT, "Its stage: idea, concept, pilot, scale_up, benefits_realisation, realised, stopped."),
        Column("status", TEXT, "active, on_hold, or closed (realised or stopped)."),
        Column("on_hold", BOOLEAN, "True while a hold decision keeps it in its stage."),
        Column("hold_review_date", DATE, "When a hold is to be reviewed; empty unless on hold."),
        Column("estimated_cost", DECIMAL, "The estimated cost in SEK/NOK; may be empty."),
        Column("created_at", TIMESTAMP, "When it was proposed."),
        Column("stage_entered_at", TIMESTAMP, "When it entered its current stage."),
        Column("description", TEXT, "What it is."),
        Column("need_description", TEXT, "The need it meets."),
        Column("need_owner", TEXT, "Who owns the need (as typed)."),
        Column("expected_effects", TEXT, "The effects it is expected to have."),
        Column("internal", BOOLEAN, "True when the whole initiative is left out of the transparency export."),
        Column("description_internal", BOOLEAN, "True when its description is left out of the transparency export."),
        Column("need_description_internal", BOOLEAN, "True when its need is left out of the transparency export."),
        Column("expected_effects_internal", BOOLEAN,
               "True when its expected effects are left out of the transparency export."),
        Column("stop_reason_internal", BOOLEAN,
               "True when the reason it was stopped is left out of the transparency export."),
        Column("lessons_learned_internal", BOOLEAN,
               "True when the lessons learned of its stop are left out of the transparency export."),
        Column("rationale_internal", BOOLEAN,
               "True when the rationales of its decisions are left out of the transparency export."),
    ), _streamed(select(
        Initiative.id, Initiative.title, Initiative.portfolio_id, Initiative.org_unit_id, Initiative.stage,
        _STATUS, Initiative.on_hold, Initiative.hold_review_date, Initiative.estimated_cost, Initiative.created_at,
        Initiative.stage_entered_at, Initiative.description, Initiative.need_description, Initiative.need_owner,
        Initiative.expected_effects, Initiative.internal, Initiative.description_internal,
        Initiative.need_description_internal, Initiative.expected_effects_internal, Initiative.stop_reason_internal,
        Initiative.lessons_learned_internal, Initiative.rationale_internal).order_by(col(Initiative.id)))),
    Table("decisions", "One row per gate decision, in the order taken.", (
        Column("decision_id", INTEGER, "The decision's number."),
        Column("initiative_id", INTEGER, "The initiative decided on (initiatives)."),
        Column("decided_at", TIMESTAMP, "When it was decided."),
        Column("outcome", TEXT, "go, conditional_go, hold, recycle, stop or fast_track."),
        Column("from_stage", TEXT, "The stage whose gate was decided."),
        Column("to_stage", TEXT, "The stage the initiative went to (the same stage for a hold)."),
        Column("rationale", TEXT, "Why."),
        Column("conditions", TEXT, "A conditional go's conditions."),
        Column("conditions_met", BOOLEAN, "True once a conditional go's conditions are marked met."),
        Column("hold_review_date", DATE, "A hold's review date."),
        Column("stop_reason", TEXT, "A stop's reason."),
        Column("lessons_learned", TEXT, "A stop's lessons learned."),
        Column("rework", TEXT, "What a recycle sent back to be redone."),
    ), _streamed(select(
        GateDecision.id, GateDecision.initiative_id, GateDecision.decided_at, GateDecision.outcome,
        GateDecision.from_stage, GateDecision.to_stage, GateDecision.rationale, GateDecision.conditions,
        GateDecision.conditions_met, GateDecision.hold_review_date, GateDecision.stop_reason,
        GateDecision.lessons_learned, GateDecision.rework).order_by(col(GateDecision.id)))),
    Table("benefits", "One row per benefit (or dis-benefit) an initiative promises.", (
        Column("benefit_id", INTEGER, "The benefit's number."),
        Column("initiative_id", INTEGER, "Its initiative (initiatives)."),
        Column("title", TEXT, "Its title."),
        Column("category", TEXT, "quality_patient_safety, access_waiting_times, cash_savings, freed_capacity, "
                                 "work_environment, patient_experience or sustainability."),
        Column("recipient", TEXT, "patients_citizens, staff, organisation, other_public_bodies or society."),
        Column("kind", TEXT, "benefit or dis_benefit."),
        Column("description", TEXT, "What it is."),
        Column("planned_realisation_date", DATE, "When it is planned to be realised."),
        Column("money_per_unit", DECIMAL, "SEK/NOK per unit of its indicators' improvement; may be empty."),
        Column("strategic_goal", TEXT, "The strategic goal it serves."),
    ), _streamed(select(
        Benefit.id, Benefit.initiative_id, Benefit.title, Benefit.category, Benefit.recipient, Benefit.kind,
        Benefit.description, Benefit.planned_realisation_date, Benefit.money_per_unit, Benefit.strategic_goal)
        .order_by(col(Benefit.id)))),
    Table("indicators", "One row per indicator, with its latest figures as the app computes them.", (
        Column("indicator_id", INTEGER, "The indicator's number."),
        Column("benefit_id", INTEGER, "The benefit it measures (benefits)."),
        Column("initiative_id", INTEGER, "The benefit's initiative (initiatives)."),
        Column("code", TEXT, "Its unique code, as measurement files name it."),
        Column("name", TEXT, "Its name."),
        Column("unit", TEXT, "The unit of its values."),
        Column("direction", TEXT, "higher or lower: which way is better."),
        Column("frequency", TEXT, "day, week, month, quarter or year: how often it is measured."),
        Column("aggregation", TEXT, "sum or mean: how values of several org units combine."),
        Column("baseline_value", DECIMAL, "The baseline (revised, when it was revised)."),
        Column("original_baseline_value", DECIMAL, "The first baseline, when it was revised; else empty."),
        Column("baseline_date", DATE, "The day of the baseline."),
        Column("baseline_period", TEXT, "The period the baseline covers (as typed)."),
        Column("baseline_source", TEXT, "Where the baseline comes from."),
        Column("target_value", DECIMAL, "The target."),
        Column("target_date", DATE, "When the target is to be reached."),
        Column("amber_tolerance", DECIMAL, "Share of the distance to target behind plan at which it is amber."),
        Column("red_tolerance", DECIMAL, "Share of the distance to target behind plan at which it is red."),
        Column("valid_min", DECIMAL, "The lowest valid value; may be empty."),
        Column("valid_max", DECIMAL, "The highest valid value; may be empty."),
        Column("volume_per_year", DECIMAL, "Cases a year one unit of improvement counts for; may be empty."),
        Column("data_source", TEXT, "Where its values come from."),
        Column("definition", TEXT, "What it measures."),
        Column("method", TEXT, "How it is measured."),
        Column("deviation_explanation", TEXT, "Why it ended away from its target, when explained."),
        Column("latest_period_start", DATE, "The first day of the latest period with a value; empty before one."),
        Column("latest_value", DECIMAL, "The latest period's value: for the whole initiative, or the units' sum "
                                        "or mean."),
        Column("progress", DECIMAL, "(latest - baseline) / (target - baseline): 1 is the target reached."),
        Column("status", TEXT, "green, amber, red, or unknown: the latest value against the planned path."),
    ), _indicator_rows),
    Table("measurements", "One row per stored value: one indicator, one period, one org unit or the whole "
                          "initiative.", (
        Column("measurement_id", INTEGER, "The value's number."),
        Column("indicator_id", INTEGER, "Its indicator (indicators)."),
        Column("period_start", DATE, "The first day of its period (by the indicator's frequency)."),
        Column("org_unit_id", INTEGER, "The org unit it was reported for; empty for the whole initiative."),
        Column("value", DECIMAL, "The value, in the indicator's unit."),
        Column("source", TEXT, "form, import or integration: where it came from."),
        Column("reported_at", TIMESTAMP, "When it was last written."),
    ), _streamed(select(
        Measurement.id, Measurement.indicator_id, Measurement.period_start, Measurement.org_unit_id,
        Measurement.value, Measurement.source, Measurement.reported_at).order_by(col(Measurement.id)))),
    Table("calculation_years", "One row per year of an initiative's benefit calculation.", (
        Column("initiative_id", INTEGER, "The initiative (initiatives)."),
        Column("year", INTEGER, "The year."),
        Column("investment", DECIMAL, "Investment that year, SEK/NOK."),
        Column("operation", DECIMAL, "Operating cost that year, SEK/NOK."),
        Column("benefit", DECIMAL, "Expected monetised benefit that year, SEK/NOK."),
        Column("benefit_low", DECIMAL, "Low estimate of the benefit; may be empty."),
        Column("benefit_high", DECIMAL, "High estimate of the benefit; may be empty."),
        Column("benefit_from_indicators", BOOLEAN, "True when the benefit is the indicators' money, not typed."),
        Column("discount_rate", DECIMAL, "The calculation's discount rate (0.03 is 3 %)."),
    ), _streamed(select(
        BenefitCalculation.initiative_id, CalculationYear.year, CalculationYear.investment, CalculationYear.operation,
        CalculationYear.benefit, CalculationYear.benefit_low, CalculationYear.benefit_high,
        CalculationYear.benefit_from_indicators, BenefitCalculation.discount_rate)
        .join(BenefitCalculation, BenefitCalculation.id == CalculationYear.calculation_id)
        .order_by(col(BenefitCalculation.initiative_id), col(CalculationYear.year)))),
)


def _utc(value: Optional[datetime]) -> Optional[datetime]:
    # SQLite hands time stamps back without their zone; they were written in UTC.
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _as_values(table: Table, chunk: Sequence[tuple]) -> list[list[Any]]:
    """The chunk's values column by column, time stamps in UTC and vocabulary ids as plain text."""
    columns = [list(values) for values in zip(*chunk)] if chunk else [[] for _ in table.columns]
    for index, column in enumerate(table.columns):
        if column.type == TIMESTAMP:
            columns[index] = [_utc(value) for value in columns[index]]
        elif column.type == TEXT:
            columns[index] = [None if value is None else str(value) for value in columns[index]]
    return columns


@dataclass(frozen=True)
class Written:
    """One table written: its name, how many rows, and the two files."""

    table: str
    rows: int
    csv: Path
    parquet: Path


def write_table(session: Session, table: Table, directory: Path) -> Written:
    """Write one table as ``<name>.csv`` and ``<name>.parquet`` in ``directory``, chunk by chunk."""
    csv_path, parquet_path = directory / f"{table.name}.csv", directory / f"{table.name}.parquet"
    count = 0
    with csv_path.open("w", encoding="utf-8-sig", newline="") as csv_file, \
            pq.ParquetWriter(parquet_path, table.schema) as parquet:
        csv_file.write(csv_text([[c.name for c in table.columns]]))
        for chunk in table.rows(session):
            columns = _as_values(table, chunk)
            parquet.write_table(pa.Table.from_arrays(
                [pa.array(values, type=c.type) for values, c in zip(columns, table.columns)], schema=table.schema))
            csv_file.write(csv_text(zip(*columns)))
            count += len(chunk)
            del chunk, columns  # before the next chunk is read, not after
    return Written(table.name, count, csv_path, parquet_path)


def write_bi_export(*, session: Session, directory: Path,
                    progress: Optional[Callable[[Written], None]] = None) -> list[Written]:
    """Write every table of ``TABLES`` into ``directory`` (created when missing), all from one consistent read
    of the database; ``progress`` is told of each table as it is written."""
    directory.mkdir(parents=True, exist_ok=True)
    if session.get_bind().dialect.name == "postgresql":
        # One snapshot for every table, so that no row refers to a row written after its table was read.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    written = []
    for table in TABLES:
        done = write_table(session, table, directory)
        written.append(done)
        if progress is not None:
            progress(done)
    return written


def readme_tables() -> str:
    """The README's tables of the files, written from ``TABLES`` (a test checks that the README holds them)."""
    parts = []
    for table in TABLES:
        lines = [f"**`{table.name}.csv` / `{table.name}.parquet`**: {table.meaning}", "",
                 "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {TYPE_NAMES[c.type]} | {c.meaning} |" for c in table.columns]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
