"""Agreement terms per case, the SPJ's signing, the office's settings (Media Center group)

agreement.tariff_per_item / tariff_per_period: the Fungsional's terms at the drafting step
(NULL: the SOP's default). payment.spj_signed_at: the office marked the SPJ signed.
office_setting: settings changed while the bot runs, shared by every process.

Revision ID: i7_1
Revises: i9_1
Create Date: 2026-12-06 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'i7_1'
down_revision: str | None = 'i9_1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tariff_per_item', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('tariff_per_period', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spj_signed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'office_setting',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_office_setting')),
    )


def downgrade() -> None:
    op.drop_table('office_setting')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_column('spj_signed_at')
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_column('tariff_per_period')
        batch_op.drop_column('tariff_per_item')
