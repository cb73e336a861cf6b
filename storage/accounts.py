"""When each platform account last wrote: WhatsApp's 24-hour window, and where a person is now."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import Account, User

# Platforms that only let a business write freely for a while after the person wrote.
WINDOWED = frozenset({"whatsapp"})
# Elsewhere the time only says which of a person's accounts they use now: coarse is enough,
# and an update need not write a row for it.
COARSE = timedelta(hours=1)


async def wrote(session: AsyncSession, platform: str, external_id: int, now: datetime) -> None:
    """Notes that the account wrote to us now (in the update's own transaction). Every update
    runs this: statements on the table, compiled once (see storage.ledger)."""
    values = {"on": platform, "account": external_id, "now": now}
    if platform in WINDOWED:
        await session.execute(_WROTE_WINDOWED, values)
        return
    await session.execute(_WROTE, {**values, "stale": now - COARSE})


_ACCOUNTS = cast(Table, Account.__table__)
# An account of a windowed platform is recorded even before its person registers: the window
# is theirs from their first message.
_WROTE_WINDOWED = text(
    f"INSERT INTO {_ACCOUNTS.name} (platform, external_id, last_inbound_at, created_at)"
    " VALUES (:on, :account, :now, :now)"
    " ON CONFLICT (platform, external_id) DO UPDATE SET last_inbound_at = :now"
).bindparams(bindparam("now", type_=_ACCOUNTS.c.last_inbound_at.type))
_WHEN = _ACCOUNTS.c.last_inbound_at.type
_WROTE = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.platform == bindparam("on"))
    .where(_ACCOUNTS.c.external_id == bindparam("account"))
    .where(
        or_(
            _ACCOUNTS.c.last_inbound_at.is_(None),
            _ACCOUNTS.c.last_inbound_at < bindparam("stale", type_=_WHEN),
        )
    )
    .values(last_inbound_at=bindparam("now", type_=_WHEN))
)


async def last_inbound(session: AsyncSession, platform: str, external_id: int) -> datetime | None:
    return await session.scalar(
        select(Account.last_inbound_at).where(
            Account.platform == platform, Account.external_id == external_id
        )
    )


async def find_account(session: AsyncSession, platform: str, external_id: int) -> Account | None:
    return await session.scalar(
        select(Account).where(Account.platform == platform, Account.external_id == external_id)
    )


async def find_user(session: AsyncSession, platform: str, external_id: int) -> User | None:
    """The person behind a platform account, if it belongs to one. Every update asks: the
    account's user id first (a small statement compiled once; most strangers stop there), then
    the user with their roles and accounts in one query (their relationships' own loading
    takes three)."""
    user_id = await session.scalar(_USER_OF, {"on": platform, "account": external_id})
    if user_id is None:
        return None
    result = await session.execute(_USER, {"user": user_id})
    return result.unique().scalar_one_or_none()


_USER_OF = select(_ACCOUNTS.c.user_id).where(
    _ACCOUNTS.c.platform == bindparam("on"), _ACCOUNTS.c.external_id == bindparam("account")
)
_USER = (
    select(User)
    .options(joinedload(User.roles), joinedload(User.accounts))
    .where(User.id == bindparam("user"))
)
