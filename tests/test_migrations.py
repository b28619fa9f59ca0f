"""Alembic: the schema is built from empty by the migrations, matches the models, and goes back down."""

from __future__ import annotations


from alembic import command
from sqlalchemy import inspect

from db.engine import get_engine
from db.migrate import alembic_config, upgrade

def _tables(url: str) -> set[str]:
    engine = get_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    return tables


def test_migrations_build_the_models_schema_and_go_back_down(empty_url):
    upgrade(empty_url)
    assert {"initiative", "gate_decision", "audit_event", "benefit", "indicator", "measurement"} <= _tables(
        empty_url)
    # Fails when a model changed without a migration.
    command.check(alembic_config(empty_url))
    command.downgrade(alembic_config(empty_url), "base")
    assert _tables(empty_url) == {"alembic_version"}
    upgrade(empty_url)
    command.check(alembic_config(empty_url))


def test_the_internal_flags_migration_keeps_a_database_with_rows(empty_url):
    """Migration 0009 adds and drops columns in place: SQLite cannot copy the initiative table while other
    rows (checklist items, decisions, benefits) refer to it."""
    from sqlalchemy import text

    from db.engine import write_session
    from tests.factories import World

    upgrade(empty_url)
    engine = get_engine(empty_url)
    with write_session(engine) as session:
        initiative_id = World(session).initiative.id
    command.downgrade(alembic_config(empty_url), "0008")
    upgrade(empty_url)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT title, internal, description_internal FROM initiative WHERE id = :id"),
                                 {"id": initiative_id}).one()
    engine.dispose()
    assert (row.title, bool(row.internal), bool(row.description_internal)) == ("Digital triage", False, False)
