"""internal flags: an initiative, or one of its texts, left out of the transparency export

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The whole initiative, its own texts, its stop decision's texts, and its decisions' rationales.
FLAGS = ('internal', 'description_internal', 'need_description_internal', 'expected_effects_internal',
         'stop_reason_internal', 'lessons_learned_internal', 'rationale_internal')


def upgrade() -> None:
    # Nothing written so far was marked internal: it is public until someone marks it.
    with op.batch_alter_table('initiative', schema=None) as batch_op:
        for name in FLAGS:
            batch_op.add_column(sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('initiative', schema=None) as batch_op:
        for name in reversed(FLAGS):
            batch_op.drop_column(name)
