"""What the benchmarks share: the databases they run on, an engine sized for their threads, and the
measurement organisation and file of the import benchmarks.

Benchmarks run from the project root (``.venv/bin/python bench/<name>.py``) and put the root on
``sys.path`` before importing this module. PostgreSQL is a throwaway server (``tests.pg``), stopped
at the end; SQLite is a file in a temporary directory.
"""

from __future__ import annotations

import csv
import io
import random
import tempfile
from collections.abc import Iterator
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from db.engine import get_engine, write_session
from db.migrate import upgrade
from db.models import OrgUnit, Portfolio, RoleAssignment, User
from portfolio.benefits import BenefitInput, IndicatorInput, create_benefit, create_indicator
from portfolio.benefits_math import Frequency, format_period, next_period_start, period_start
from portfolio.initiatives import InitiativeCreate, create_initiative
from portfolio.permissions import load_actor


def databases(choice: str) -> Iterator[tuple[str, str]]:
    """(label, URL) of an empty database for each of ``choice`` ("sqlite", "postgresql" or "both");
    each database lives until the loop moves on to the next one."""
    if choice in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as directory:
            yield "sqlite", f"sqlite:///{directory}/bench.db"
    if choice in ("postgresql", "both"):
        from tests.pg import throwaway_database

        with throwaway_database() as url:
            yield "postgresql", url


def migrated_engine(url: str, connections: int | None = None) -> Engine:
    """Migrate ``url`` to the latest schema and return an engine for it.

    ``connections`` sizes a PostgreSQL pool for that many threads at once. The product's default pool
    (5 + 10 overflow) would make 20 writer threads queue for a connection instead of for the locks the
    benchmark measures, as an app server with more workers than connections would; a server is
    configured with one connection per worker, and so is the benchmark. SQLite keeps the product's
    engine (its writers queue on the database file either way)."""
    upgrade(url)
    if connections is None or url.startswith("sqlite"):
        return get_engine(url)
    return create_engine(url, pool_pre_ping=True, pool_size=connections, max_overflow=0, pool_timeout=30)


# ------------------------------------------------------------------ the measurement organisation

# (code, frequency, aggregation, share of the rows). Daily indicators carry most rows, as in real use.
INDICATORS = [
    ("VISITS-DIGITAL", "day", "sum", 0.25),
    ("VISITS-PHONE", "day", "sum", 0.25),
    ("CALLBACKS", "day", "sum", 0.25),
    ("WAIT-DAYS", "week", "mean", 0.06),
    ("QUEUE-LENGTH", "week", "mean", 0.06),
    ("NO-SHOWS", "week", "sum", 0.06),
    ("STAFF-HOURS", "month", "sum", 0.03),
    ("SICK-LEAVE", "month", "mean", 0.02),
    ("SATISFACTION", "quarter", "mean", 0.01),
    ("COST-PER-VISIT", "year", "mean", 0.01),
]
START = {"day": date(2022, 1, 1), "week": date(2015, 1, 5), "month": date(2010, 1, 1),
         "quarter": date(2013, 1, 1), "year": date(1976, 1, 1)}


def build_organisation(engine) -> tuple[str, list[str]]:
    """Owner, portfolio, 20 coded org units (region > 4 hospitals > 15 clinics), one initiative with
    one benefit and 10 indicators. Returns the owner's username and the unit codes."""
    with write_session(engine) as session:
        owner = User(username="bench-owner", display_name="Bench Owner", password_hash="x")
        session.add(owner)
        session.flush()
        portfolio = Portfolio(name="Digital care", owner_id=owner.id)
        session.add(portfolio)
        session.flush()
        session.add(RoleAssignment(user_id=owner.id, role="portfolio_owner", portfolio_id=portfolio.id))
        region = OrgUnit(name="Region", code="R00")
        session.add(region)
        session.flush()
        units = [region]
        for h in range(4):
            hospital = OrgUnit(name=f"Hospital {h + 1}", code=f"H{h + 1:02d}", parent_id=region.id)
            session.add(hospital)
            session.flush()
            units.append(hospital)
            for c in range(4 if h < 3 else 3):
                clinic = OrgUnit(name=f"Clinic {h + 1}.{c + 1}", code=f"C{h + 1}{c + 1}", parent_id=hospital.id)
                session.add(clinic)
                units.append(clinic)
        session.flush()
        assert len(units) == 20
        actor = load_actor(session=session, user_id=owner.id)
        initiative = create_initiative(session=session, actor=actor, data=InitiativeCreate(
            title="Digital first line", portfolio_id=portfolio.id, need_description="Long queues",
            org_unit_id=region.id))
        actor = load_actor(session=session, user_id=owner.id)
        benefit = create_benefit(session=session, actor=actor, initiative_id=initiative.id,
                                 data=BenefitInput(title="Better access", category="access_waiting_times",
                                                   recipient="patients_citizens", owner_id=owner.id))
        for code, frequency, aggregation, _ in INDICATORS:
            create_indicator(session=session, actor=actor, benefit_id=benefit.id, data=IndicatorInput(
                code=code, name=code.replace("-", " ").title(), frequency=frequency, aggregation=aggregation,
                valid_min=0, valid_max=1_000_000))
        return owner.username, [u.code for u in units]


def generate_csv(rows: int, unit_codes: list[str], seed: int = 1) -> bytes:
    """``rows`` valid, distinct rows (semicolon-separated, decimal comma, as Swedish Excel writes them)."""
    rng = random.Random(seed)
    quotas = [int(rows * share) for *_, share in INDICATORS]
    quotas[0] += rows - sum(quotas)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["indicator", "period", "org_unit", "value"])
    for (code, frequency, _, _), quota in zip(INDICATORS, quotas):
        freq = Frequency(frequency)
        period = period_start(freq, START[frequency])
        written = 0
        while written < quota:
            label = format_period(freq, period)
            for unit in unit_codes:
                if written == quota:
                    break
                writer.writerow([code, label, unit, f"{rng.uniform(0, 5000):.2f}".replace(".", ",")])
                written += 1
            period = next_period_start(freq, period)
    return buffer.getvalue().encode("utf-8")
