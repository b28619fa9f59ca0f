"""measurement unit index: a unit's own figures, for the reporter's worklist

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:00:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_measurement_unit', 'measurement', ['org_unit_id', 'indicator_id', 'period_start'])


def downgrade() -> None:
    op.drop_index('ix_measurement_unit', table_name='measurement')
