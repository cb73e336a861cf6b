"""platform accounts: a person's Telegram and WhatsApp chats; conversations, prompts and
unreachable chats keyed by (platform, chat); WhatsApp message ids as numbers

Every user's Telegram id becomes their Telegram account; what was keyed by a Telegram chat id
alone is now a Telegram chat.

Revision ID: i13_1
Revises: i15_1
Create Date: 2026-12-06 03:30:00
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = 'i13_1'
down_revision: str | None = 'i15_1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _replace_primary_key(batch_op, name: str, columns: list[str]) -> None:  # type: ignore[no-untyped-def]
    # SQLite's batch mode rebuilds the table and reflects its primary key without a name: the
    # new key replaces it there; PostgreSQL drops the named one first.
    if op.get_bind().dialect.name != 'sqlite':
        batch_op.drop_constraint(batch_op.f(name), type_='primary')
    batch_op.create_primary_key(batch_op.f(name), columns)


@contextmanager
def _new_key() -> Iterator[None]:
    # SQLite's batch mode copies the reflected column's own primary_key flag into the rebuilt
    # table beside the new key; SQLAlchemy warns, then keeps the new key, which is what this
    # migration wants. Unfiltered, the warning greeted every new database.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            'ignore',
            message=r"Table '_alembic_tmp_\w+' specifies columns .* as primary_key=True",
            category=sa.exc.SAWarning,
        )
        yield


def upgrade() -> None:
    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('last_inbound_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_account_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('platform', 'external_id', name=op.f('uq_account_platform'))
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_user_id'), ['user_id'], unique=False)
    op.execute(
        "INSERT INTO account (platform, external_id, user_id, created_at) "
        "SELECT 'telegram', telegram_id, id, created_at FROM app_user"
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_app_user_telegram_id'), type_='unique')
        batch_op.drop_column('telegram_id')

    op.create_table('link_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_link_code_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_code')),
    sa.UniqueConstraint('code', name=op.f('uq_link_code_code'))
    )
    with op.batch_alter_table('link_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_code_user_id'), ['user_id'], unique=False)

    op.create_table('wa_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wamid', sa.String(length=200), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wa_message')),
    sa.UniqueConstraint('wamid', name=op.f('uq_wa_message_wamid'))
    )

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('platform', sa.String(length=16), nullable=False, server_default='telegram')
        )
        batch_op.alter_column('telegram_id', new_column_name='chat_id')
        _replace_primary_key(batch_op, 'pk_conversation', ['platform', 'chat_id'])
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.alter_column('platform', server_default=None)

    with _new_key(), op.batch_alter_table('chat_reach', schema=None) as batch_op:
        _replace_primary_key(batch_op, 'pk_chat_reach', ['platform', 'chat_id'])

    with op.batch_alter_table('task_prompt', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('platform', sa.String(length=16), nullable=False, server_default='telegram')
        )
        batch_op.drop_constraint(batch_op.f('uq_task_prompt_chat_id'), type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_task_prompt_platform'), ['platform', 'chat_id', 'message_id']
        )
    with op.batch_alter_table('task_prompt', schema=None) as batch_op:
        batch_op.alter_column('platform', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('task_prompt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_task_prompt_platform'), type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_task_prompt_chat_id'), ['chat_id', 'message_id']
        )
        batch_op.drop_column('platform')
    with _new_key(), op.batch_alter_table('chat_reach', schema=None) as batch_op:
        _replace_primary_key(batch_op, 'pk_chat_reach', ['chat_id'])
    op.execute("DELETE FROM conversation WHERE platform <> 'telegram'")
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        _replace_primary_key(batch_op, 'pk_conversation', ['chat_id'])
        batch_op.drop_column('platform')
        batch_op.alter_column('chat_id', new_column_name='telegram_id')
    op.drop_table('wa_message')
    with op.batch_alter_table('link_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_code_user_id'))
    op.drop_table('link_code')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('telegram_id', sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE app_user SET telegram_id = (SELECT external_id FROM account "
        "WHERE account.user_id = app_user.id AND account.platform = 'telegram')"
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_app_user_telegram_id'), ['telegram_id'])
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_user_id'))
    op.drop_table('account')
