"""Property: whatever file arrives, the import ends in a result or in the product's own refusal.

Hypothesis generates CSV and .xlsx files of every kind a person or an attacker might send: random
bytes, truncated rows and files, wrong column counts, huge and odd numbers, mixed encodings, empty
and header-only files, damaged workbooks. Each goes through reading, validation and the import
into a real database. Any exception other than ``DomainError`` fails the test, and a refused file
must leave the stored measurements as they were. At least 2,000 files run on SQLite and a smaller
sample on PostgreSQL.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func
from sqlmodel import select

from db.engine import get_engine, read_session, write_session
from db.models import Measurement
from portfolio.errors import DomainError
from portfolio.measurement_files import COLUMNS, read_file
from portfolio.measurements import import_measurements
from tests.factories import World, actor, make_benefit, make_indicator

EXAMPLES = {"sqlite": 2000, "postgresql": 200}
CODES = ["WAIT", "CALLS", "SAT", "wait", "NOPE", ""]
PERIODS = ["2026-01", "2026-W05", "2026", "2026-01-15", "2026-Q1", "2026-13", "26-1", ""]
UNITS = ["HSA-1", "Vårdcentralen Centrum", "vårdcentralen centrum", "", "Nowhere"]
ODD_NUMBERS = ["1_000", "１２", "١٢", "inf", "-inf", "nan", "1e400", "-1e400", "1e308", "1e15", "-1e15", "1e16",
               "12,5", "1 000,5", "1\u00a0000", "1\u202f000", "1.234,5", "12 kr", "0x10", "−3", ",5", "5.", "",
               "9" * 400, "-0", "+7", "1e-400", "2,5E3"]
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def _cell() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(CODES), st.sampled_from(PERIODS), st.sampled_from(UNITS), st.sampled_from(ODD_NUMBERS),
        st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers().map(str), TEXT,
        st.sampled_from(['"', '"quoted"', 'a"b', "=1+1", "'=x", "\r", "\n", "\x00", ";", ",", "\t"]),
        st.just("x" * 1001),
    )


@st.composite
def _good_row(draw) -> list[str]:
    """A row that passes validation."""
    code, period = draw(st.sampled_from([("WAIT", "2026-0{m}"), ("CALLS", "2026-W0{m}"), ("SAT", "202{m}")]))
    value = draw(st.one_of(st.integers(0, 100).map(str), st.floats(0, 100).map(lambda v: f"{v:.2f}".replace(".", ","))))
    return [code, period.format(m=draw(st.integers(1, 9))), draw(st.sampled_from(["HSA-1", ""])), value]


@st.composite
def _table(draw) -> tuple[list[list], bool]:
    """A header and rows, and whether every row is valid."""
    header = list(COLUMNS)
    shape = draw(st.sampled_from(["clean", "clean", "as is", "shuffled", "missing", "extra", "twice", "upper",
                                  "none"]))
    if shape == "clean":  # every row valid, so that many files really import
        return [header, *draw(st.lists(_good_row(), min_size=1, max_size=12,
                                       unique_by=lambda row: tuple(row[:3])))], True
    if shape == "shuffled":
        header = draw(st.permutations(header))
    elif shape == "missing":
        header.remove(draw(st.sampled_from(header)))
    elif shape == "extra":
        header.insert(draw(st.integers(0, 4)), draw(TEXT))
    elif shape == "twice":
        header.append(draw(st.sampled_from(header)))
    elif shape == "upper":
        header = [name.upper() for name in header]
    rows = draw(st.lists(st.one_of(_good_row(), st.lists(_cell(), max_size=7)), max_size=12))
    return (rows if shape == "none" else [header, *rows]), False


def _csv(draw, table: list[list], clean: bool) -> bytes:
    delimiter = draw(st.sampled_from([";", "\t"] if clean else [",", ";", "\t", "|"]))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quote = draw(st.booleans())
    encodings = ["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]
    whole = draw(st.sampled_from(encodings + ["mixed"]))
    parts = []
    for number, row in enumerate(table):
        cells = [f'"{cell}"' if quote else str(cell) for cell in row]
        line = delimiter.join(cells) + ending
        encoding = draw(st.sampled_from(["utf-8", "cp1252"])) if whole == "mixed" else whole
        if encoding == "utf-8-sig" and number:
            encoding = "utf-8"
        if encoding == "utf-16" and number:
            encoding = "utf-16-le"  # one byte-order mark, at the start
        parts.append(line.encode(encoding, errors="replace"))
    return b"".join(parts)


def _xlsx_value(draw, cell):
    kind = draw(st.sampled_from(["text", "number", "float", "date", "none", "bool", "huge"]))
    if kind == "number":
        return draw(st.integers(-10 ** 20, 10 ** 20))
    if kind == "float":
        return draw(st.floats(allow_nan=True, allow_infinity=True))
    if kind == "date":
        return draw(st.sampled_from([datetime(2026, 1, 1), date(2026, 2, 1), datetime(1900, 1, 1)]))
    if kind == "none":
        return None
    if kind == "bool":
        return draw(st.booleans())
    if kind == "huge":
        return draw(st.sampled_from([1.7976931348623157e308, -1e300, 1e15, 1e15 + 1, 10 ** 300]))
    return ILLEGAL_CHARACTERS_RE.sub("", str(cell))


def _xlsx(draw, table: list[list], clean: bool) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for number, row in enumerate(table):
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", str(cell)) if number == 0 or clean or draw(st.booleans())
                      else _xlsx_value(draw, cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@st.composite
def files(draw) -> tuple[str, bytes, str]:
    """(kind, content, file name) of one generated import file."""
    kind = draw(st.sampled_from(["random bytes", "csv", "csv", "csv", "xlsx", "xlsx", "empty", "header only"]))
    if kind == "random bytes":
        return kind, draw(st.binary(max_size=3000)), draw(st.sampled_from(["m.csv", "m.xlsx", "m.txt"]))
    if kind == "empty":
        return kind, draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\n", b"\r\n\r\n", b" ", b",,,"])), "m.csv"
    table, clean = draw(_table())
    if kind == "header only":
        table = table[:1]
    excel = kind == "xlsx" or (kind == "header only" and draw(st.booleans()))
    content = _xlsx(draw, table, clean) if excel else _csv(draw, table, clean)
    damage = "none" if clean else draw(st.sampled_from(["none", "none", "truncate", "flip"]))
    # Positions are drawn as shares of the length: a workbook's length varies with the time it is saved.
    if damage == "truncate" and content:
        content = content[:draw(st.integers(0, 999)) * len(content) // 1000]
    elif damage == "flip" and content:
        rng = random.Random(draw(st.integers(0, 2 ** 32)))
        data = bytearray(content)
        for _ in range(draw(st.integers(1, 8))):
            data[rng.randrange(len(data))] = rng.randrange(256)
        content = bytes(data)
    return f"{kind}, damage: {damage}", content, "m.xlsx" if excel else "m.csv"


@pytest.fixture
def world(engine):
    with write_session(engine) as session:
        world = World(session, stage="pilot")
        world.unit.code = "HSA-1"
        session.add(world.unit)
        benefit = make_benefit(session, world.initiative, title="Shorter waits")
        make_indicator(session, benefit, code="WAIT", name="Waiting days", direction="lower", frequency="month",
                       valid_min=0, valid_max=100)
        make_indicator(session, benefit, code="CALLS", name="Calls answered", frequency="week")
        make_indicator(session, benefit, code="SAT", name="Satisfaction", frequency="year", aggregation="mean")
    return world


def _stored(engine) -> int:
    with read_session(engine) as session:
        return session.exec(select(func.count()).select_from(Measurement)).one()


def test_every_generated_file_ends_in_an_import_or_the_products_own_refusal(db_url, world):
    engine = get_engine(db_url)
    database = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    outcomes: Counter = Counter()

    @settings(max_examples=EXAMPLES[database], deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=files())
    def check(case: tuple[str, bytes, str]) -> None:
        kind, content, name = case
        before = _stored(engine)
        try:
            parsed = read_file(content, name)
            with write_session(engine) as session:
                import_measurements(session=session, actor=actor(session, world.owner), rows=parsed.rows,
                                    file_name=name)
        except DomainError:
            outcomes[(kind.split(",")[0], "refused")] += 1
            assert _stored(engine) == before, "a refused file wrote measurements"
            return
        outcomes[(kind.split(",")[0], "imported")] += 1

    check()
    total = sum(outcomes.values())
    print(f"\nimport fuzz on {database}: {total} files; " + ", ".join(
        f"{kind} {outcome}: {count}" for (kind, outcome), count in sorted(outcomes.items())))
    assert total >= EXAMPLES[database]
    assert outcomes[("csv", "imported")] and outcomes[("xlsx", "imported")], "no generated file ever imported"
