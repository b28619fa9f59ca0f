"""Measurements: validating and writing the editable grid, CSV/Excel imports and command-line imports.

Every way in (grid, file, command line) goes through ``import_measurements``: all rows are
validated first, every problem is reported with its row number, and the rows are written all
or nothing. A value that is already stored is left alone, so importing a file twice changes
nothing; a changed value is a correction whose old value goes to the audit trail.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, NamedTuple, Optional

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.models import Benefit, Indicator, Initiative, Measurement, OrgUnit, utcnow
from portfolio import benefits_math
from portfolio.audit import record_many
from portfolio.benefits_math import Frequency
from portfolio.errors import Conflict, FieldProblem, ValidationError
from portfolio.i18n import N_, Message, Np_
from portfolio.measurement_files import RawRow
from portfolio.measurement_files import cell_text as _text
from portfolio.permissions import Actor, Scope, allowed
from portfolio.locking import lock_initiatives, stale

MAX_LISTED_PROBLEMS = 200
# Values people report lie far inside this; it keeps every SQL SUM and AVG of them finite.
MAX_ABS_VALUE = 1e15
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportResult:
    inserted: int
    corrected: int
    unchanged: int


# Digits as people write them: ASCII only, one sign, one decimal comma or point, an optional
# exponent, and groups of three digits parted by a space, a no-break space or a narrow no-break space.
_NUMBER = re.compile(
    r"[+\-\u2212]?(?:[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)(?:[.,][0-9]*)?(?:[eE][+-]?[0-9]+)?"
    r"|[+\-\u2212]?[.,][0-9]+(?:[eE][+-]?[0-9]+)?")
_GROUP_SEPARATOR = re.compile(r"[ \u00a0\u202f]")


def parse_number(value: Any) -> Optional[float]:
    """The number in a cell, or None when it is not a number as people write one.

    Numbers (from Excel or the grid) are taken as they are; text must match ``_NUMBER``, so
    ``1_000``, ``٣``, ``１``, ``inf`` and ``nan`` are not numbers. The result may still be out of
    range (``1e400`` gives infinity): see ``number_in_range``.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an int beyond any float
            return math.inf if value > 0 else -math.inf
        return None if math.isnan(number) else number
    text = value.strip() if type(value) is str else _text(value)
    if not _NUMBER.fullmatch(text):
        return None
    if not text.isascii() or " " in text:  # digit groups or a minus sign (checks cost less than a sub)
        text = _GROUP_SEPARATOR.sub("", text).replace("\u2212", "-")
    return float(text.replace(",", "."))


def number_in_range(number: float) -> bool:
    """True when ``number`` lies within ±``MAX_ABS_VALUE`` (so it is finite too)."""
    return -MAX_ABS_VALUE <= number <= MAX_ABS_VALUE


# ------------------------------------------------------------------ validation and writing


@dataclass(frozen=True)
class _IndicatorInfo:
    """What validation needs of one indicator, read once per import (plain values, not ORM rows)."""

    id: int
    code: str
    frequency: Frequency
    valid_min: Optional[float]
    valid_max: Optional[float]
    initiative_id: int
    portfolio_id: int
    lead_id: Optional[int]
    benefit_owner_id: Optional[int]


@dataclass
class _Lookups:
    indicators: dict[str, _IndicatorInfo]
    units_by_key: dict[str, Optional[tuple[int, str]]]  # (id, name); None marks a name several units share
    permission: dict[tuple[int, Optional[int]], bool] = field(default_factory=dict)


def _load_lookups(session: Session, rows: list[RawRow]) -> _Lookups:
    codes = {_text(r.indicator) for r in rows}
    found = session.exec(
        select(Indicator.id, Indicator.code, Indicator.frequency, Indicator.valid_min, Indicator.valid_max,
               Initiative.id, Initiative.portfolio_id, Initiative.lead_id, Benefit.owner_id)
        .join(Benefit, Benefit.id == Indicator.benefit_id)
        .join(Initiative, Initiative.id == Benefit.initiative_id)
        .where(col(Indicator.code).in_(codes))
    ).all() if codes else []
    units = session.exec(select(OrgUnit.id, OrgUnit.name, OrgUnit.code).order_by(col(OrgUnit.id))).all()
    units_by_key: dict[str, Optional[tuple[int, str]]] = {}
    for unit_id, name, _code in units:
        # A name shared by two units names neither: the row must give the unit's code.
        key = name.casefold()
        units_by_key[key] = None if key in units_by_key else (unit_id, name)
    for unit_id, name, code in units:  # a code wins over a name that happens to look the same
        if code:
            units_by_key[code.casefold()] = (unit_id, name)
    return _Lookups(
        indicators={code: _IndicatorInfo(indicator_id, code, Frequency(frequency), low, high, *rest)
                    for indicator_id, code, frequency, low, high, *rest in found},
        units_by_key=units_by_key,
    )


def _may_report(lookups: _Lookups, actor: Actor, indicator: _IndicatorInfo, unit_id: Optional[int]) -> bool:
    key = (indicator.id, unit_id)
    if key not in lookups.permission:
        owner = indicator.benefit_owner_id
        scope = Scope(portfolio_id=indicator.portfolio_id, lead_id=indicator.lead_id, org_unit_id=unit_id,
                      benefit_owner_ids=frozenset({owner} if owner else ()))
        lookups.permission[key] = allowed("measurement.report", actor, scope)
    return lookups.permission[key]


class _ValidRow(NamedTuple):
    initiative_id: int
    indicator_id: int
    period_start: date
    org_unit_id: Optional[int]
    value: float
    row: int = 0
    seen_version: Optional[int] = None


def _row_problem(row: int, msgid: str, **params) -> FieldProblem:
    return FieldProblem(f"row {row}", Message(msgid, {"row": row, **params}))


_MISSING = object()


def _memo(cache: dict, cell: Any, compute: Callable[[Any], Any]) -> Any:
    """``compute(cell)``, remembered for text cells: a file repeats its codes, units and periods."""
    if type(cell) is not str:  # 1, 1.0 and True are equal keys, but not the same cell text
        return compute(cell)
    found = cache.get(cell, _MISSING)
    if found is _MISSING:
        found = cache[cell] = compute(cell)
    return found


def validate_rows(
    session: Session, actor: Actor, rows: list[RawRow], progress: Optional[Progress] = None,
    sink: Optional[Callable[[list[_ValidRow]], None]] = None,
) -> tuple[list[_ValidRow], list[FieldProblem]]:
    """Check every row; return the valid rows and every problem found, each naming its row.

    Every row gets every check; what repeats from row to row (an indicator code, a unit, a period
    of a frequency, a permission per indicator and unit) is looked up once per import. ``sink``
    receives the valid rows every 5,000 rows for as long as no row has had a problem."""
    lookups = _load_lookups(session, rows)
    indicators, units_by_key = lookups.indicators, lookups.units_by_key
    code_cache: dict[str, tuple[str, Optional[_IndicatorInfo]]] = {}
    unit_cache: dict[str, tuple[str, Optional[tuple[int, str]]]] = {}
    period_caches: dict[Frequency, dict[str, tuple[str, Optional[date]]]] = defaultdict(dict)

    def indicator_of(cell: Any) -> tuple[str, Optional[_IndicatorInfo]]:
        code = _text(cell)
        return code, indicators.get(code)

    def unit_of(cell: Any) -> tuple[str, Optional[tuple[int, str]]]:
        unit_text = _text(cell)
        return unit_text, units_by_key.get(unit_text.casefold()) if unit_text else None

    def period_parser(frequency: Frequency) -> Callable[[Any], tuple[str, Optional[date]]]:
        def parse(cell: Any) -> tuple[str, Optional[date]]:
            period_text = _text(cell)
            try:
                return period_text, benefits_math.parse_period(frequency, period_text)
            except ValueError:
                return period_text, None
        return parse

    parsers = {frequency: period_parser(frequency) for frequency in Frequency}
    first_row_of: dict[tuple[int, date, Optional[int]], int] = {}
    valid: list[_ValidRow] = []
    problems: list[FieldProblem] = []
    total, sent = len(rows), 0
    for done, raw in enumerate(rows, start=1):
        if done % 5000 == 0:
            if progress:
                progress(done, total)
            if sink and not problems:
                sink(valid[sent:])
                sent = len(valid)
        if raw.problem is not None:  # the row could not be read faithfully, so its cells mean nothing
            problems.append(FieldProblem(f"row {raw.row}", raw.problem))
            continue
        row_ok = True
        cell = raw.indicator
        found = code_cache.get(cell) if type(cell) is str else None
        code, indicator = found if found is not None else _memo(code_cache, cell, indicator_of)
        if indicator is None:
            problems.append(_row_problem(raw.row, N_("Row {row}: unknown indicator {code}."), code=repr(code)))
            row_ok = False
        cell = raw.org_unit
        found = unit_cache.get(cell) if type(cell) is str else None
        unit_text, unit = found if found is not None else _memo(unit_cache, cell, unit_of)
        unit_id = unit[0] if unit is not None else None
        if unit_text and unit is None:
            if unit_text.casefold() in units_by_key:
                problems.append(_row_problem(raw.row, N_(
                    "Row {row}: several org units are named {unit}; give the unit's code instead."),
                    unit=repr(unit_text)))
            else:
                problems.append(_row_problem(raw.row, N_("Row {row}: unknown org unit {unit}."),
                                             unit=repr(unit_text)))
            row_ok = False
        period = None
        if indicator is not None:
            frequency = indicator.frequency
            cell, cache = raw.period, period_caches[frequency]
            found = cache.get(cell) if type(cell) is str else None
            period_text, period = found if found is not None else _memo(cache, cell, parsers[frequency])
            if period is None:
                problems.append(_row_problem(
                    raw.row, N_("Row {row}: {period} is not a period of the {frequency} indicator {code}; "
                                "write it as {format}."),
                    period=repr(period_text), frequency=Message(FREQUENCY_NAMES[frequency]), code=code,
                    format=benefits_math.PERIOD_FORMATS[frequency]))
                row_ok = False
        value = parse_number(raw.value)
        if value is None:
            problems.append(_row_problem(raw.row, N_("Row {row}: the value {value} is not a number."),
                                         value=repr(_text(raw.value))))
            row_ok = False
        elif not number_in_range(value):
            problems.append(_row_problem(raw.row, N_(
                "Row {row}: the value {value} is out of range; values must lie between -1e15 and 1e15."),
                value=repr(_text(raw.value) if isinstance(raw.value, str) else f"{value:g}")))
            row_ok = False
        elif indicator is not None and not _in_valid_range(indicator, value):
            problems.append(_row_problem(
                raw.row, N_("Row {row}: the value {value} is outside the valid range {low} to {high} "
                            "of indicator {code}."),
                value=_text(value), low=_bound(indicator.valid_min), high=_bound(indicator.valid_max), code=code))
            row_ok = False
        if indicator is not None and (unit is not None or not unit_text):
            permitted = lookups.permission.get((indicator.id, unit_id))
            if permitted is None:
                permitted = _may_report(lookups, actor, indicator, unit_id)
            if not permitted:
                if unit is None:
                    problems.append(_row_problem(raw.row, N_(
                        "Row {row}: you may not report figures for the whole initiative, only for your own units.")))
                else:
                    problems.append(_row_problem(raw.row, N_("Row {row}: you may not report figures for {unit}."),
                                                 unit=unit[1]))
                row_ok = False
        if indicator is not None and period is not None:
            key = (indicator.id, period, unit_id)
            first = first_row_of.get(key)
            if first is not None:
                problems.append(_row_problem(raw.row, N_(
                    "Row {row} repeats row {first}: the same indicator, period and org unit."), first=first))
                row_ok = False
            else:
                first_row_of[key] = raw.row
        if row_ok:
            valid.append(_ValidRow(indicator.initiative_id, indicator.id, period, unit_id, value, raw.row,
                                   raw.seen_version))
    if sink and not problems:
        sink(valid[sent:])
    if progress:
        progress(total, total)
    return valid, problems


FREQUENCY_NAMES = {"day": N_("daily"), "week": N_("weekly"), "month": N_("monthly"),
                   "quarter": N_("quarterly"), "year": N_("yearly")}


def _bound(value: Optional[float]) -> str:
    if value is None:
        return "–"
    return _text(value)


def _in_valid_range(indicator: _IndicatorInfo, value: float) -> bool:
    return (indicator.valid_min is None or value >= indicator.valid_min) and (
        indicator.valid_max is None or value <= indicator.valid_max)


def import_measurements(
    *, session: Session, actor: Actor, rows: list[RawRow], source: str = "import", file_name: str = "",
    progress: Optional[Progress] = None,
) -> ImportResult:
    """Validate every row, then write all of them or none. Raises ValidationError listing every problem.

    The initiatives the rows belong to are locked first (in id order), so what the import reads as
    stored is what it replaces: each correction's old value in the audit trail is the true one. A
    row that carries the version the user saw (the grid) is refused as stale when the stored value
    has changed since.
    """
    codes = {_text(r.indicator) for r in rows} - {""}  # as validation reads them (a 1.0 cell is code 1)
    if codes:
        lock_initiatives(session, list(session.exec(
            select(Benefit.initiative_id).join(Indicator, Indicator.benefit_id == Benefit.id)
            .where(col(Indicator.code).in_(codes)).distinct()).all()))
    changes = _Changes(session, actor, source, utcnow(), codes,
                       stream=len(rows) >= STREAM_FROM_ROWS and session.connection().dialect.name == "postgresql")
    try:
        valid, problems = validate_rows(session, actor, rows, progress, changes.take if changes.stream else None)
        if not changes.stream and valid and not problems:
            changes.take(valid)
    except BaseException:
        changes.abort()
        raise
    if problems or changes.stale or not valid:
        changes.abort()
    if problems:
        if len(problems) > MAX_LISTED_PROBLEMS:
            problems = problems[:MAX_LISTED_PROBLEMS] + [FieldProblem("file", Message(
                Np_("… and {count} more problem.", "… and {count} more problems."), {"count": len(problems) - MAX_LISTED_PROBLEMS}))]
        raise ValidationError(problems)
    if not valid:
        raise ValidationError([FieldProblem("file", Message(N_("There are no measurements to import.")))])
    if changes.stale:
        raise stale(Measurement)
    initiative_of = {r.indicator_id: r.initiative_id for r in valid}
    inserts, corrections, unchanged = changes.inserts, changes.corrections, changes.unchanged
    if not inserts and not corrections:
        return ImportResult(0, 0, unchanged)

    table, now = Measurement.__table__, changes.now
    try:
        changes.finish()
        if corrections:
            session.execute(
                update(table).where(table.c.id == bindparam("b_id")).values(
                    value=bindparam("b_value"), source=source, reported_by_id=actor.user_id, reported_at=now,
                    version=table.c.version + 1),
                [{"b_id": measurement_id, "b_value": r.value} for measurement_id, _, r in corrections],
            )
    except IntegrityError:
        # Another import stored the same indicator, period and unit after we read what was there.
        raise Conflict(Message(N_(
            "Someone else saved figures for the same indicators and periods at the same time. "
            "Nothing of yours was saved. Try again to see what changed.")))
    _audit_import(session, actor, inserts, corrections, initiative_of, source, file_name)
    return ImportResult(len(inserts), len(corrections), unchanged)


# From this many rows on, an import on PostgreSQL streams its new values into COPY while the rest of the
# file is being validated: the server checks keys and references on its own core meanwhile.
STREAM_FROM_ROWS = 5000


class _Aborted(Exception):
    """Ends a COPY whose rows are not to be kept (a problem or a stale row turned up later)."""


class _Changes:
    """What the valid rows change against what is stored: new values, corrections, unchanged ones.

    Streaming (``stream``), new values go to COPY inside a savepoint as soon as each part of the file
    is valid; ``abort`` undoes them all when a later row has a problem, so the import stays all or
    nothing. Otherwise everything is written by ``finish``, after the whole file was validated."""

    def __init__(self, session: Session, actor: Actor, source: str, now: Any, codes: set[str], stream: bool) -> None:
        self.session, self.actor, self.source, self.now, self.stream = session, actor, source, now, stream
        self.codes = codes
        self.existing: Optional[dict[tuple, tuple]] = None
        self.inserts: list[tuple] = []
        self.corrections: list[tuple] = []
        self.unchanged = 0
        self.stale = False
        self._copy: Any = None
        self._copy_context: Any = None
        self._savepoint: Any = None

    def take(self, rows: list[_ValidRow]) -> None:
        """Sort valid rows into new values, corrections and unchanged ones (streaming: send the new ones)."""
        if not rows:
            return
        if self.existing is None:
            self.existing = self._stored({r.indicator_id for r in rows} if not self.stream else None)
        existing, first_new = self.existing, len(self.inserts)
        source, user_id, now = self.source, self.actor.user_id, self.now
        for r in rows:
            found = existing.get((r.indicator_id, r.period_start, r.org_unit_id))
            # A grid row says which version it saw: 0 for a cell that was empty on the user's screen.
            if r.seen_version is not None and (found[2] if found else 0) != r.seen_version:
                self.stale = True
            if found is None:
                self.inserts.append((r.indicator_id, r.period_start, r.org_unit_id, r.value, source, user_id, now, 1))
            elif found[1] != r.value:
                self.corrections.append((found[0], found[1], r))
            else:
                self.unchanged += 1
        if self.stream and not self.stale and len(self.inserts) > first_new:
            self._send(self.inserts[first_new:])

    def _stored(self, indicator_ids: Optional[set[int]]) -> dict[tuple, tuple]:
        """(measurement id, value, version) by (indicator, period, unit) of the import's indicators
        (streaming: of every indicator the rows name, since validation has not finished yet)."""
        query = select(Measurement.id, Measurement.indicator_id, Measurement.period_start, Measurement.org_unit_id,
                       Measurement.value, Measurement.version)
        if indicator_ids is not None:
            query = query.where(col(Measurement.indicator_id).in_(indicator_ids))
        else:
            query = query.join(Indicator, Indicator.id == Measurement.indicator_id).where(
                col(Indicator.code).in_(self.codes))
        return {(indicator_id, period, unit_id): (measurement_id, value, version)
                for measurement_id, indicator_id, period, unit_id, value, version in self.session.exec(query).all()}

    def _send(self, rows: list[tuple]) -> None:
        if self._copy is None:
            self._savepoint = self.session.begin_nested()
            cursor = self.session.connection().connection.dbapi_connection.cursor()
            self._copy_context = cursor.copy(_COPY_STATEMENT)
            self._copy = self._copy_context.__enter__()
        for start in range(0, len(rows), 10_000):
            self._copy.write(_copy_lines(rows[start:start + 10_000]))

    def finish(self) -> None:
        """Write what is still to be written: end the COPY, or insert every new value now."""
        if not self.stream:
            insert_measurement_tuples(self.session, self.inserts)
            return
        if self._copy is None:
            return
        import psycopg

        context, self._copy = self._copy_context, None
        try:
            context.__exit__(None, None, None)
        except psycopg.IntegrityError as error:  # the driver's own error: COPY bypasses SQLAlchemy
            raise IntegrityError("COPY measurement", None, error) from error
        self._savepoint.commit()

    def abort(self) -> None:
        """Undo whatever was streamed (nothing else was written)."""
        if self._copy is None:
            return
        context, self._copy = self._copy_context, None
        try:
            context.__exit__(_Aborted, _Aborted(), None)
        finally:
            self._savepoint.rollback()


AUDIT_PART = 1000


def _audit_import(session: Session, actor: Actor, inserts: list[tuple], corrections: list[tuple],
                  initiative_of: dict[int, int], source: str, file_name: str) -> None:
    """One audit event per initiative touched, listing every value the import changed: ``before``
    holds the old value of each correction, ``after`` the new value of every new or corrected one."""
    codes = dict(session.exec(select(Indicator.id, Indicator.code)
                              .where(col(Indicator.id).in_(set(initiative_of)))).all())

    iso = _memoised(date.isoformat)

    def key(indicator_id: int, period: date, unit_id: Optional[int]) -> dict[str, Any]:
        return {"indicator": codes[indicator_id], "period": iso(period), "org_unit_id": unit_id}

    by_initiative: dict[int, dict[str, Any]] = defaultdict(lambda: {"before": [], "after": [], "inserted": 0})
    for indicator_id, period, unit_id, value, *_ in inserts:
        changes = by_initiative[initiative_of[indicator_id]]
        changes["inserted"] += 1
        changes["after"].append({"indicator": codes[indicator_id], "period": iso(period), "org_unit_id": unit_id,
                                 "value": value})
    for _measurement_id, old, r in corrections:
        changes = by_initiative[initiative_of[r.indicator_id]]
        changes["before"].append({**key(r.indicator_id, r.period_start, r.org_unit_id), "value": old})
        changes["after"].append({**key(r.indicator_id, r.period_start, r.org_unit_id), "value": r.value})
    events = []
    for initiative_id, changes in sorted(by_initiative.items()):
        # Large imports are audited in parts of AUDIT_PART values each: every part is hashed and
        # stored on its own, so no single step holds the interpreter for long in a shared app server.
        old_by_key = {(v["indicator"], v["period"], v["org_unit_id"]): v for v in changes["before"]}
        for start in range(0, len(changes["after"]), AUDIT_PART):
            part = changes["after"][start:start + AUDIT_PART]
            old = [old_by_key[k] for k in ((v["indicator"], v["period"], v["org_unit_id"]) for v in part)
                   if k in old_by_key]
            events.append(dict(
                user_id=actor.user_id, action="measurement.import" if source == "import" else "measurement.record",
                entity="measurement", entity_id=None, initiative_id=initiative_id,
                before={"values": old} if old else None,
                after={"file": file_name, "source": source, "inserted": len(part) - len(old), "corrected": len(old),
                       "values": part},
            ))
    record_many(session=session, events=events)


_INSERT_COLUMNS = ("indicator_id", "period_start", "org_unit_id", "value", "source", "reported_by_id",
                   "reported_at", "version")


def _memoised(convert: Optional[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """``convert`` remembered per value (dates and times repeat from row to row)."""
    if convert is None:
        return lambda value: value
    cache: dict[Any, Any] = {}

    def converted(value: Any) -> Any:
        found = cache.get(value, _MISSING)
        if found is _MISSING:
            found = cache[value] = convert(value)
        return found
    return converted


def insert_measurement_tuples(session: Session, rows: list[tuple]) -> None:
    """Bulk insert of rows given as tuples in ``_INSERT_COLUMNS`` order: PostgreSQL's COPY, else one
    executemany of the driver's own statement, with dates and times converted once per distinct value
    (SQLAlchemy's per-row parameter handling costs more than SQLite's insert itself)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        columns = Measurement.__table__.c
        as_date = _memoised(columns.period_start.type.dialect_impl(dialect).bind_processor(dialect))
        as_time = _memoised(columns.reported_at.type.dialect_impl(dialect).bind_processor(dialect))
        statement = (f"INSERT INTO measurement ({', '.join(_INSERT_COLUMNS)}) "
                     f"VALUES ({', '.join('?' for _ in _INSERT_COLUMNS)})")
        connection.exec_driver_sql(statement, [
            (indicator_id, as_date(period), unit_id, float(value), source, reported_by_id, as_time(at), version)
            for indicator_id, period, unit_id, value, source, reported_by_id, at, version in rows])
        return
    import psycopg

    cursor = connection.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(_COPY_STATEMENT) as copy:
            for start in range(0, len(rows), 10_000):
                copy.write(_copy_lines(rows[start:start + 10_000]))
    except psycopg.IntegrityError as error:  # the driver's own error: COPY bypasses SQLAlchemy
        raise IntegrityError("COPY measurement", None, error) from error


_COPY_STATEMENT = f"COPY measurement ({', '.join(_INSERT_COLUMNS)}) FROM STDIN"


def _copy_lines(rows: list[tuple]) -> str:
    """Rows in COPY's text format, written here rather than row by row by the driver (a third of the
    time): ids and versions are ints, values finite floats (repr reads back exactly), dates ISO text."""
    as_date, as_time, as_text = _memoised(date.isoformat), _memoised(datetime.isoformat), _memoised(_copy_text)
    return "".join([
        f"{int(indicator_id)}\t{as_date(period)}\t{_copy_int(unit_id)}\t{float(value)!r}\t"
        f"{as_text(source)}\t{_copy_int(reported_by_id)}\t{as_time(at)}\t{int(version)}\n"
        for indicator_id, period, unit_id, value, source, reported_by_id, at, version in rows])


def _copy_int(value: Optional[int]) -> str:
    return "\\N" if value is None else str(int(value))


def _copy_text(value: str) -> str:
    """A text field in COPY's text format: backslash, tab and line ends escaped."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
