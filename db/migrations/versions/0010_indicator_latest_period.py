"""indicator latest period: the latest period with a value, kept by the database as measurements are written

The dashboard and the worklists ask, for every indicator in view, when it was last measured. At national
scale that was one index probe per indicator (about 110,000) on every fresh read. The database now keeps the
answer on the indicator: triggers on measurement move it forward on insert and recompute it on the rare
delete or change of period, whichever path wrote the rows (the import's bulk insert, PostgreSQL's COPY, a
grid save, a script).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_RECOMPUTE = ('UPDATE indicator SET latest_period = (SELECT max(period_start) FROM measurement '
              'WHERE measurement.indicator_id = indicator.id)')


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): SQLite cannot drop the indicator table while measurements refer to it.
    op.add_column('indicator', sa.Column('latest_period', sa.Date(), nullable=True))
    op.execute(_RECOMPUTE)
    if op.get_bind().dialect.name == 'postgresql':
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _postgresql_triggers() -> None:
    # Statement-level, with the inserted rows as a transition table: one UPDATE per INSERT or COPY, not one per
    # row (an import of 100,000 values stays one statement).
    op.execute(
        """
        CREATE FUNCTION measurement_latest_insert() RETURNS trigger AS $$
        BEGIN
            UPDATE indicator SET latest_period = inserted.latest
            FROM (SELECT indicator_id, max(period_start) AS latest FROM inserted_rows GROUP BY indicator_id)
                 AS inserted
            WHERE indicator.id = inserted.indicator_id
              AND (indicator.latest_period IS NULL OR indicator.latest_period < inserted.latest);
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute('CREATE TRIGGER measurement_latest_on_insert AFTER INSERT ON measurement '
               'REFERENCING NEW TABLE AS inserted_rows '
               'FOR EACH STATEMENT EXECUTE FUNCTION measurement_latest_insert()')
    op.execute(
        """
        CREATE FUNCTION measurement_latest_recompute() RETURNS trigger AS $$
        BEGIN
            UPDATE indicator SET latest_period = (SELECT max(period_start) FROM measurement
                                                  WHERE measurement.indicator_id = indicator.id)
            WHERE indicator.id IN (OLD.indicator_id, NEW.indicator_id);
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    # A row trigger: only deletes and changed periods fire it, and the application does neither in bulk.
    op.execute('CREATE TRIGGER measurement_latest_on_change AFTER DELETE OR UPDATE OF period_start, indicator_id '
               'ON measurement FOR EACH ROW EXECUTE FUNCTION measurement_latest_recompute()')


def _sqlite_triggers() -> None:
    op.execute('CREATE TRIGGER measurement_latest_on_insert AFTER INSERT ON measurement BEGIN '
               'UPDATE indicator SET latest_period = NEW.period_start WHERE id = NEW.indicator_id '
               'AND (latest_period IS NULL OR latest_period < NEW.period_start); END')
    recompute = ('UPDATE indicator SET latest_period = (SELECT max(period_start) FROM measurement '
                 'WHERE measurement.indicator_id = indicator.id) WHERE id IN ({ids});')
    op.execute('CREATE TRIGGER measurement_latest_on_delete AFTER DELETE ON measurement BEGIN '
               f'{recompute.format(ids="OLD.indicator_id")} END')
    op.execute('CREATE TRIGGER measurement_latest_on_update AFTER UPDATE OF period_start, indicator_id '
               f'ON measurement BEGIN {recompute.format(ids="OLD.indicator_id, NEW.indicator_id")} END')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS measurement_latest_on_change ON measurement')
        op.execute('DROP TRIGGER IF EXISTS measurement_latest_on_insert ON measurement')
        op.execute('DROP FUNCTION IF EXISTS measurement_latest_recompute()')
        op.execute('DROP FUNCTION IF EXISTS measurement_latest_insert()')
    else:
        for name in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER IF EXISTS measurement_latest_on_{name}')
    op.drop_column('indicator', 'latest_period')
