"""benefits from indicators: an indicator's volume per year, and calculation years whose benefit the indicators give

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('volume_per_year', sa.Float(), nullable=True))
    # Every year saved so far was typed by hand.
    with op.batch_alter_table('calculation_year', schema=None) as batch_op:
        batch_op.add_column(sa.Column('benefit_from_indicators', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('calculation_year', schema=None) as batch_op:
        batch_op.drop_column('benefit_from_indicators')
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_column('volume_per_year')
