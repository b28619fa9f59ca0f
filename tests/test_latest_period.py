"""The latest measured period on each indicator, kept by the database (migration 0010): moved forward by every
insert, whichever path wrote it (the ORM, the import's bulk insert, PostgreSQL's COPY), and recomputed when a
measurement is deleted or moved to another period. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timezone

from alembic import command
from sqlalchemy import delete, text, update
from sqlmodel import select

from db.engine import get_engine, read_session, write_session
from db.migrate import alembic_config, upgrade
from db.models import Indicator, Measurement
from portfolio.measurements import insert_measurement_tuples
from tests.factories import World, make_benefit, make_indicator, make_measurement

JAN, FEB, MAR, APR = (date(2026, month, 1) for month in (1, 2, 3, 4))


def _latest(engine) -> dict[str, date | None]:
    with read_session(engine) as session:
        return dict(session.exec(select(Indicator.code, Indicator.latest_period).order_by(Indicator.code)).all())


def _two_indicators(engine) -> tuple[int, int]:
    with write_session(engine) as session:
        benefit = make_benefit(session, World(session).initiative)
        return make_indicator(session, benefit, code="A").id, make_indicator(session, benefit, code="B").id


def test_an_insert_moves_the_latest_period_forward_and_never_back(engine):
    a, _b = _two_indicators(engine)
    assert _latest(engine) == {"A": None, "B": None}
    with write_session(engine) as session:
        indicator = session.get(Indicator, a)
        make_measurement(session, indicator, period=FEB, value=1.0)
    assert _latest(engine) == {"A": FEB, "B": None}
    with write_session(engine) as session:
        make_measurement(session, session.get(Indicator, a), period=JAN, value=2.0)
    assert _latest(engine) == {"A": FEB, "B": None}


def test_the_bulk_insert_and_copy_keep_every_indicator(engine):
    a, b = _two_indicators(engine)
    now = datetime(2026, 5, 1, tzinfo=timezone.utc)
    rows = [(a, period, None, 1.0, "import", None, now, 1) for period in (MAR, JAN, FEB)] + [
        (b, JAN, None, 5.0, "import", None, now, 1)]
    with write_session(engine) as session:
        insert_measurement_tuples(session, rows)  # COPY on PostgreSQL, executemany on SQLite
    assert _latest(engine) == {"A": MAR, "B": JAN}
    with write_session(engine) as session:
        insert_measurement_tuples(session, [(b, APR, None, 6.0, "import", None, now, 1)])
    assert _latest(engine) == {"A": MAR, "B": APR}


def test_a_correction_of_the_value_leaves_it_and_a_delete_or_moved_period_recomputes_it(engine):
    a, b = _two_indicators(engine)
    with write_session(engine) as session:
        indicator = session.get(Indicator, a)
        for period in (JAN, FEB, MAR):
            make_measurement(session, indicator, period=period, value=1.0)
        make_measurement(session, session.get(Indicator, b), period=JAN, value=1.0)
    with write_session(engine) as session:
        session.exec(update(Measurement).where(Measurement.indicator_id == a).values(value=9.0))
    assert _latest(engine) == {"A": MAR, "B": JAN}
    with write_session(engine) as session:
        session.exec(delete(Measurement).where(Measurement.indicator_id == a, Measurement.period_start == MAR))
    assert _latest(engine) == {"A": FEB, "B": JAN}
    with write_session(engine) as session:
        session.exec(update(Measurement).where(Measurement.indicator_id == b).values(period_start=APR))
    assert _latest(engine) == {"A": FEB, "B": APR}
    with write_session(engine) as session:
        session.exec(update(Measurement).where(Measurement.indicator_id == b).values(indicator_id=a))
    assert _latest(engine) == {"A": APR, "B": None}
    with write_session(engine) as session:
        session.exec(delete(Measurement))
    assert _latest(engine) == {"A": None, "B": None}


def test_the_migration_fills_it_from_the_stored_measurements(empty_url):
    upgrade(empty_url)
    engine = get_engine(empty_url)
    a, _b = _two_indicators(engine)
    with write_session(engine) as session:
        for period in (MAR, JAN):
            make_measurement(session, session.get(Indicator, a), period=period, value=1.0)
    command.downgrade(alembic_config(empty_url), "0009")
    upgrade(empty_url)
    assert _latest(engine) == {"A": MAR, "B": None}
    # And the triggers came back with it.
    with write_session(engine) as session:
        session.execute(text("DELETE FROM measurement WHERE period_start = :p"), {"p": MAR})
    assert _latest(engine) == {"A": JAN, "B": None}
    engine.dispose()
