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
    # Nothing written so far was marked internal: it is public until someone marks it. Plain ADD COLUMN (no
    # batch copy of the table): SQLite cannot drop the initiative table while other rows refer to it.
    for name in FLAGS:
        op.add_column('initiative', sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), for the same reason as above.
    for name in reversed(FLAGS):
        op.drop_column('initiative', name)
