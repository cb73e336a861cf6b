"""When each platform account last wrote: WhatsApp's 24-hour window, and where a person is now."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ledger import insert_for
from storage.models import Account, User

# Platforms that only let a business write freely for a while after the person wrote.
WINDOWED = frozenset({"whatsapp"})
# Elsewhere the time only says which of a person's accounts they use now: coarse is enough,
# and an update need not write a row for it.
COARSE = timedelta(hours=1)


async def wrote(session: AsyncSession, platform: str, external_id: int, now: datetime) -> None:
    """Notes that the account wrote to us now (in the update's own transaction)."""
    if platform in WINDOWED:
        insert = insert_for(session)
        statement = insert(Account).values(
            platform=platform, external_id=external_id, last_inbound_at=now, created_at=now
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["platform", "external_id"], set_={"last_inbound_at": now}
            )
        )
        return
    await session.execute(
        update(Account)
        .where(Account.platform == platform, Account.external_id == external_id)
        .where(or_(Account.last_inbound_at.is_(None), Account.last_inbound_at < now - COARSE))
        .values(last_inbound_at=now)
        .execution_options(synchronize_session=False)
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
    """The person behind a platform account, if it belongs to one."""
    return await session.scalar(
        select(User)
        .join(Account, Account.user_id == User.id)
        .where(Account.platform == platform, Account.external_id == external_id)
    )
