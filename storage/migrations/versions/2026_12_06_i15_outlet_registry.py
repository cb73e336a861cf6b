"""outlet registry: legal data, yearly registration, members, change requests, outlet papers;
the evaluation form of a case

Existing outlets get a code (M + id) and their registering journalist as member; their
registration date stays empty, so the yearly rule holds them only once they renew.

Revision ID: i15_1
Revises: i7_1
Create Date: 2026-12-06 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'i15_1'
down_revision: str | None = 'i7_1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('media_outlet', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('legal_form', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('nib', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('npwp', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('address', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('dewan_pers', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('dewan_pers_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('bank_account', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('chief_editor_ukw', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('publishing_months', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('registered_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('registered_until', sa.Date(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_media_outlet_code'), ['code'])
        batch_op.create_index(
            batch_op.f('ix_media_outlet_registered_until'), ['registered_until'], unique=False
        )

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outlet_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('expires_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_document_outlet_id_media_outlet'), 'media_outlet', ['outlet_id'], ['id']
        )
        batch_op.create_index(batch_op.f('ix_document_outlet_id'), ['outlet_id'], unique=False)

    op.create_table(
        'outlet_member',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('outlet_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['outlet_id'], ['media_outlet.id'], name=op.f('fk_outlet_member_outlet_id_media_outlet'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_outlet_member_user_id_app_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outlet_member')),
        sa.UniqueConstraint('user_id', name=op.f('uq_outlet_member_user_id')),
    )
    with op.batch_alter_table('outlet_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outlet_member_outlet_id'), ['outlet_id'], unique=False)

    op.create_table(
        'outlet_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('outlet_id', sa.Integer(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], name=op.f('fk_outlet_change_decided_by_app_user')),
        sa.ForeignKeyConstraint(['outlet_id'], ['media_outlet.id'], name=op.f('fk_outlet_change_outlet_id_media_outlet'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_outlet_change_user_id_app_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outlet_change')),
    )
    with op.batch_alter_table('outlet_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outlet_change_user_id'), ['user_id'], unique=False)

    op.create_table(
        'evaluation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('grade', sa.String(length=8), nullable=True),
        sa.Column('filled_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_evaluation_case_id_case')),
        sa.ForeignKeyConstraint(['filled_by'], ['app_user.id'], name=op.f('fk_evaluation_filled_by_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation')),
        sa.UniqueConstraint('case_id', name=op.f('uq_evaluation_case_id')),
    )

    # Existing outlets: a code each, and their newest outlet per journalist as membership.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, owner_id, created_at FROM media_outlet ORDER BY id")
    ).all()
    newest: dict[int, tuple[int, object]] = {}
    for outlet_id, owner_id, created_at in rows:
        bind.execute(
            sa.text("UPDATE media_outlet SET code = :code WHERE id = :id"),
            {"code": f"M{outlet_id:04d}", "id": outlet_id},
        )
        newest[owner_id] = (outlet_id, created_at)
    for owner_id, (outlet_id, created_at) in newest.items():
        bind.execute(
            sa.text(
                "INSERT INTO outlet_member (outlet_id, user_id, joined_at) "
                "VALUES (:o, :u, :at)"
            ),
            {"o": outlet_id, "u": owner_id, "at": created_at},
        )


def downgrade() -> None:
    op.drop_table('evaluation')
    with op.batch_alter_table('outlet_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outlet_change_user_id'))
    op.drop_table('outlet_change')
    with op.batch_alter_table('outlet_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outlet_member_outlet_id'))
    op.drop_table('outlet_member')

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_outlet_id'))
        batch_op.drop_constraint(batch_op.f('fk_document_outlet_id_media_outlet'), type_='foreignkey')
        batch_op.drop_column('expires_on')
        batch_op.drop_column('outlet_id')

    with op.batch_alter_table('media_outlet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_outlet_registered_until'))
        batch_op.drop_constraint(batch_op.f('uq_media_outlet_code'), type_='unique')
        batch_op.drop_column('registered_until')
        batch_op.drop_column('registered_on')
        batch_op.drop_column('publishing_months')
        batch_op.drop_column('chief_editor_ukw')
        batch_op.drop_column('bank_account')
        batch_op.drop_column('dewan_pers_date')
        batch_op.drop_column('dewan_pers')
        batch_op.drop_column('address')
        batch_op.drop_column('npwp')
        batch_op.drop_column('nib')
        batch_op.drop_column('legal_form')
        batch_op.drop_column('code')
