"""invite bound to a phone, cancelled; NIK encrypted with a blind index

Existing NIKs are encrypted in place with the data key (storage.crypto: DATA_KEY or the key
file under the data directory), then the plain column is dropped.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:42:38.164826
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nik_cipher', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('nik_index', sa.String(length=64), nullable=True))

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, nik FROM app_user WHERE nik IS NOT NULL")).all()
    if rows:
        from storage import crypto

        vault = crypto.current()
        for user_id, nik in rows:
            bind.execute(
                sa.text("UPDATE app_user SET nik_cipher = :c, nik_index = :i WHERE id = :id"),
                {"c": vault.encrypt(nik), "i": vault.index(nik), "id": user_id},
            )

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_app_user_nik'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_app_user_nik_index'), ['nik_index'])
        batch_op.drop_column('nik')

    with op.batch_alter_table('invite', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('invite', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('phone')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nik', sa.VARCHAR(length=16), nullable=True))

    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, nik_cipher FROM app_user WHERE nik_cipher IS NOT NULL")
    ).all()
    if rows:
        from storage import crypto

        vault = crypto.current()
        for user_id, token in rows:
            bind.execute(
                sa.text("UPDATE app_user SET nik = :n WHERE id = :id"),
                {"n": vault.decrypt(token), "id": user_id},
            )

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_app_user_nik_index'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_app_user_nik'), ['nik'])
        batch_op.drop_column('nik_index')
        batch_op.drop_column('nik_cipher')
