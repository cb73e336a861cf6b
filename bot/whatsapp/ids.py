"""WhatsApp message ids (``wamid.…`` strings) as the integers the core keeps.

The core stores message ids as integers (an outbox row's sent message, a prompt copy, an
update's id for deduplication); WhatsApp's are strings of about 60 characters. Each wamid gets a
number once, in the table ``wa_message``: the same wamid always maps to the same number (a
redelivered webhook is then the same update id, and the core's processed_update drops it), and
a number maps back to its wamid (an "edit" is a follow-up that quotes the original).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import transaction
from storage.ledger import insert_for

from .core import WaMessage

Sessions = async_sessionmaker[AsyncSession]


async def number_for(
    sessions_or_session: Sessions | AsyncSession, wamid: str, chat_id: int, now: datetime
) -> int:
    """The number of ``wamid`` (inserted the first time; concurrent callers wait on the unique
    key and read the same number). Given a session, inside its transaction."""
    if isinstance(sessions_or_session, AsyncSession):
        return await _number_in(sessions_or_session, wamid, chat_id, now)
    async with transaction(sessions_or_session) as session:
        return await _number_in(session, wamid, chat_id, now)


async def _number_in(session: AsyncSession, wamid: str, chat_id: int, now: datetime) -> int:
    insert = insert_for(session)
    await session.execute(
        insert(WaMessage)
        .values(wamid=wamid, chat_id=chat_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["wamid"])
    )
    number = await session.scalar(select(WaMessage.id).where(WaMessage.wamid == wamid))
    if number is None:  # pragma: no cover - the insert or the other writer made it
        raise RuntimeError("wa_message row vanished")
    return int(number)


async def wamid_for(session: AsyncSession, number: int) -> str | None:
    return await session.scalar(select(WaMessage.wamid).where(WaMessage.id == number))


async def chat_for(session: AsyncSession, wamid: str) -> int | None:
    """The chat a numbered message belongs to (a pressed button's answer goes there)."""
    chat = await session.scalar(select(WaMessage.chat_id).where(WaMessage.wamid == wamid))
    return int(chat) if chat is not None else None


async def number_of(session: AsyncSession, wamid: str) -> int | None:
    """The number of a wamid already numbered (a press names one of our messages); None for
    one we never sent, e.g. a forged press: never inserted, so it cannot match anything."""
    number = await session.scalar(select(WaMessage.id).where(WaMessage.wamid == wamid))
    return int(number) if number is not None else None
