"""trust: audit chain, demo marker, sign-in failures, sso identity, initiative data version

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 04:52:55.947161
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

from db.audit_hash import GENESIS, link_hash


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Rewriting audit_event (new columns, backfilled hashes) needs its append-only guards lifted for
    # the length of this migration; SQLite's batch mode also rebuilds the table, which drops them.
    _drop_audit_guards_0001()
    op.create_table('audit_chain',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('database_info',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('sign_in_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_failure_username_at', ['username', 'at'], unique=False)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sso_identity', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True))
        batch_op.create_unique_constraint('uq_app_user_sso_identity', ['sso_identity'])

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    heads = _chain_existing_events()
    heads.setdefault(0, (0, GENESIS))
    for chain_id, (seq, digest) in sorted(heads.items()):
        op.execute(sa.text("INSERT INTO audit_chain (id, seq, hash) VALUES (:id, :seq, :hash)")
                   .bindparams(id=chain_id, seq=seq, hash=digest))
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('chain_id', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint('uq_audit_event_chain_seq', ['chain_id', 'seq'])

    with op.batch_alter_table('initiative', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leads_since_last_gate', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('data_version', sa.Integer(), server_default=sa.text('1'), nullable=False))
    # The current lead of each initiative is the one lead since its last gate (history before this
    # migration is in the audit trail, not here).
    bind = op.get_bind()
    initiative = sa.table('initiative', sa.column('id', sa.Integer), sa.column('lead_id', sa.Integer),
                          sa.column('leads_since_last_gate', sa.JSON))
    for initiative_id, lead_id in bind.execute(sa.select(initiative.c.id, initiative.c.lead_id)
                                               .where(initiative.c.lead_id.is_not(None))).all():
        bind.execute(initiative.update().where(initiative.c.id == initiative_id)
                     .values(leads_since_last_gate=[lead_id]))
    _guard_audit_trail()


def downgrade() -> None:
    _drop_audit_guards()
    with op.batch_alter_table('initiative', schema=None) as batch_op:
        batch_op.drop_column('data_version')
        batch_op.drop_column('leads_since_last_gate')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_event_chain_seq', type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
        batch_op.drop_column('chain_id')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint('uq_app_user_sso_identity', type_='unique')
        batch_op.drop_column('sso_identity')

    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_failure_username_at')

    op.drop_table('sign_in_failure')
    op.drop_table('database_info')
    op.drop_table('audit_chain')
    _restore_audit_guards_0001()


def _chain_existing_events() -> dict[int, tuple[int, str]]:
    """Number the events already written, per initiative (chain 0 for the rest), in id order, and link
    them into their hash chains. Returns each chain's head (last seq and hash)."""
    bind = op.get_bind()
    audit = sa.table('audit_event', sa.column('id', sa.Integer), sa.column('chain_id', sa.BigInteger),
                     sa.column('seq', sa.BigInteger),
                     sa.column('at', sa.DateTime(timezone=True)), sa.column('user_id', sa.Integer),
                     sa.column('action', sa.String), sa.column('entity', sa.String),
                     sa.column('entity_id', sa.Integer), sa.column('initiative_id', sa.Integer),
                     sa.column('before', sa.JSON), sa.column('after', sa.JSON),
                     sa.column('prev_hash', sa.String), sa.column('hash', sa.String))
    rows = bind.execute(sa.select(audit.c.id, audit.c.at, audit.c.user_id, audit.c.action, audit.c.entity,
                                  audit.c.entity_id, audit.c.initiative_id, audit.c.before, audit.c.after)
                        .order_by(audit.c.id)).all()
    heads: dict[int, tuple[int, str]] = {}
    for row in rows:
        chain_id = row.initiative_id or 0
        seq, prev = heads.get(chain_id, (0, GENESIS))
        seq += 1
        digest = link_hash(chain_id=chain_id, seq=seq, at=row.at, user_id=row.user_id, action=row.action,
                           entity=row.entity, entity_id=row.entity_id, initiative_id=row.initiative_id,
                           before=row.before, after=row.after, prev_hash=prev)
        bind.execute(audit.update().where(audit.c.id == row.id)
                     .values(chain_id=chain_id, seq=seq, prev_hash=prev, hash=digest))
        heads[chain_id] = (seq, digest)
    return heads


def _guard_audit_trail() -> None:
    """Append-only, in the database itself: no UPDATE, DELETE or TRUNCATE of audit_event, and on SQLite
    no INSERT OR REPLACE (which deletes the old row without firing a DELETE trigger)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_event is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute("CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
        op.execute("CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()")
        # A chain head moves forward (UPDATE) but is never removed.
        op.execute("CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
        op.execute("CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                       "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END")
        op.execute("CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event "
                   "WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id "
                   "OR (chain_id = NEW.chain_id AND seq = NEW.seq)) "
                   "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END")
        op.execute("CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain "
                   "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END")


def _drop_audit_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_delete ON audit_chain")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_truncate ON audit_chain")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_replace")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_delete")
    _drop_audit_guards_0001()


def _drop_audit_guards_0001() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


def _restore_audit_guards_0001() -> None:
    """The guards as revision 0001 made them (UPDATE and DELETE only)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_event is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute("CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                       "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END")
