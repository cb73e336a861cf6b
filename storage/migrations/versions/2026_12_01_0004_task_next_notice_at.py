"""task.next_notice_at: the sweep reads only tasks whose next SLA moment has come

Existing open tasks start with NULL, which the sweep reads as "look now" and fills in.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:17:31.606495
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_notice_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_task_next_notice', ['status', 'next_notice_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_next_notice')
        batch_op.drop_column('next_notice_at')
