"""report snapshots: the benefit report frozen for a steering meeting, immutable in the database

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

REFUSAL = 'report_snapshot is immutable'


def upgrade() -> None:
    op.create_table(
        'report_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('portfolio_id', sa.Integer(), nullable=False),
        sa.Column('meeting_name', sa.String(length=200), nullable=False),
        sa.Column('meeting_date', sa.Date(), nullable=False),
        sa.Column('period_from', sa.Date(), nullable=False),
        sa.Column('period_to', sa.Date(), nullable=False),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('payload_version', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('frozen_by_id', sa.Integer(), nullable=False),
        sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('period_from <= period_to', name='ck_report_snapshot_period'),
        sa.ForeignKeyConstraint(['frozen_by_id'], ['app_user.id']),
        sa.ForeignKeyConstraint(['portfolio_id'], ['portfolio.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('portfolio_id', 'meeting_name', 'meeting_date', name='uq_report_snapshot_meeting'),
    )
    _guard_snapshots()


def _guard_snapshots() -> None:
    """Immutable in the database itself: no UPDATE, DELETE or TRUNCATE of a snapshot, and on SQLite no
    INSERT OR REPLACE (which deletes the old row without firing a DELETE trigger)."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            f"""
            CREATE FUNCTION report_snapshot_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{REFUSAL}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute('CREATE TRIGGER report_snapshot_no_change BEFORE UPDATE OR DELETE ON report_snapshot '
                   'FOR EACH ROW EXECUTE FUNCTION report_snapshot_immutable()')
        op.execute('CREATE TRIGGER report_snapshot_no_truncate BEFORE TRUNCATE ON report_snapshot '
                   'FOR EACH STATEMENT EXECUTE FUNCTION report_snapshot_immutable()')
    else:
        for verb in ('UPDATE', 'DELETE'):
            op.execute(f'CREATE TRIGGER report_snapshot_no_{verb.lower()} BEFORE {verb} ON report_snapshot '
                       f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")
        op.execute('CREATE TRIGGER report_snapshot_no_replace BEFORE INSERT ON report_snapshot '
                   'WHEN EXISTS (SELECT 1 FROM report_snapshot WHERE id = NEW.id OR (portfolio_id = NEW.portfolio_id '
                   'AND meeting_name = NEW.meeting_name AND meeting_date = NEW.meeting_date)) '
                   f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS report_snapshot_no_truncate ON report_snapshot')
        op.execute('DROP TRIGGER IF EXISTS report_snapshot_no_change ON report_snapshot')
        op.execute('DROP FUNCTION IF EXISTS report_snapshot_immutable()')
    else:
        for name in ('update', 'delete', 'replace'):
            op.execute(f'DROP TRIGGER IF EXISTS report_snapshot_no_{name}')
    op.drop_table('report_snapshot')
