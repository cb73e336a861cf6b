"""outbox: durable delivery, processed updates, unreachable chats

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:38:48.943780
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('chat_reach',
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('unreachable_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('reported', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_chat_reach'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('leased_by', sa.String(length=64), nullable=True),
    sa.Column('after_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['after_id'], ['outbox.id'], name=op.f('fk_outbox_after_id_outbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_chat', ['chat_id', 'id'], unique=False)
        batch_op.create_index('ix_outbox_pending', ['state', 'next_attempt_at'], unique=False)

    op.create_table('processed_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('update_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_processed_update')),
    sa.UniqueConstraint('platform', 'update_id', name=op.f('uq_processed_update_platform'))
    )
    with op.batch_alter_table('processed_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_update_at'), ['at'], unique=False)

    with op.batch_alter_table('task_prompt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outbox_id', sa.Integer(), nullable=True))
        batch_op.alter_column('message_id',
               existing_type=sa.BIGINT(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_task_prompt_outbox_id'), ['outbox_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_task_prompt_outbox_id_outbox'), 'outbox', ['outbox_id'], ['id'])



def downgrade() -> None:
    # Prompts still waiting in the outbox have no message id to keep.
    op.execute("DELETE FROM task_prompt WHERE message_id IS NULL")
    with op.batch_alter_table('task_prompt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_task_prompt_outbox_id_outbox'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_task_prompt_outbox_id'))
        batch_op.alter_column('message_id',
               existing_type=sa.BIGINT(),
               nullable=False)
        batch_op.drop_column('outbox_id')

    with op.batch_alter_table('processed_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_update_at'))

    op.drop_table('processed_update')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')
        batch_op.drop_index('ix_outbox_chat')

    op.drop_table('outbox')
    op.drop_table('chat_reach')
