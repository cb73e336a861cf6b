"""deputies (Plh/Plt): a role held by another official for a period

Revision ID: i9_1
Revises: 0005
Create Date: 2026-12-06 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'i9_1'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'delegation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('holder_id', sa.Integer(), nullable=True),
        sa.Column('deputy_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('prompted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['created_by'], ['app_user.id'], name=op.f('fk_delegation_created_by_app_user')
        ),
        sa.ForeignKeyConstraint(
            ['deputy_id'], ['app_user.id'], name=op.f('fk_delegation_deputy_id_app_user')
        ),
        sa.ForeignKeyConstraint(
            ['holder_id'], ['app_user.id'], name=op.f('fk_delegation_holder_id_app_user')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation')),
    )
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.create_index('ix_delegation_deputy', ['deputy_id', 'role'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegation_role'), ['role'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegation_role'))
        batch_op.drop_index('ix_delegation_deputy')
    op.drop_table('delegation')
