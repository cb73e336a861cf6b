"""Facts recorded once: an update handled, a chat found unreachable (unique keys decide)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatReach, ProcessedUpdate


def insert_for(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def first_time(session: AsyncSession, update_id: int, now: datetime, platform: str) -> bool:
    """True the first time an update is seen; a redelivery (crash before the offset moved on, a
    retried webhook, a second process) gets False and must change nothing. Concurrent callers
    wait on the unique key, so exactly one of them gets True."""
    result = await session.execute(
        _FIRST_TIME, {"platform": platform, "update_id": update_id, "at": now}
    )
    return result.scalar_one_or_none() is not None


# Every update runs this. SQLAlchemy's dialect INSERTs with ON CONFLICT are never cached (their
# cache key is None), so the construct was compiled afresh for each update: a third of a
# /bantuan's CPU. As text it is compiled once; both SQLite and PostgreSQL read this SQL.
_UPDATES = cast(Table, ProcessedUpdate.__table__)
_FIRST_TIME = (
    text(
        f"INSERT INTO {_UPDATES.name} (platform, update_id, at)"
        " VALUES (:platform, :update_id, :at)"
        " ON CONFLICT (platform, update_id) DO NOTHING RETURNING id"
    )
    .bindparams(bindparam("at", type_=_UPDATES.c.at.type))
    .columns(_UPDATES.c.id)
)


async def forget_updates_before(session: AsyncSession, when: datetime) -> None:
    # Telegram redelivers for at most a day; a week of ids is plenty.
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < when))


async def mark_unreachable(
    session: AsyncSession, chat_id: int, reason: str, now: datetime, platform: str = "telegram"
) -> ChatReach | None:
    """Records the chat as unreachable; returns the record if it is new (not yet reported)."""
    insert = insert_for(session)
    result = await session.execute(
        insert(ChatReach)
        .values(
            chat_id=chat_id,
            platform=platform,
            unreachable_since=now,
            reason=reason[:200],
            reported=False,
        )
        .on_conflict_do_nothing(index_elements=["platform", "chat_id"])
        .returning(ChatReach.chat_id)
    )
    if result.scalar_one_or_none() is None:
        return None
    return await session.get(ChatReach, (platform, chat_id))


async def reachable_again(session: AsyncSession, chat_id: int, platform: str = "telegram") -> bool:
    """The person wrote to us (or unblocked the bot): their waiting rows may go. True if they
    had been unreachable."""
    result = await session.execute(_REACHABLE, {"on": platform, "chat": chat_id})
    return bool(result.rowcount)  # type: ignore[attr-defined]


# Every update runs this, for a row that almost never exists: on the table, not the mapped
# class (the ORM's bulk delete would first look for matching objects in the session), and built
# once (building it afresh was half its cost).
_CHAT_REACH = cast(Table, ChatReach.__table__)
_REACHABLE = delete(_CHAT_REACH).where(
    _CHAT_REACH.c.platform == bindparam("on"), _CHAT_REACH.c.chat_id == bindparam("chat")
)
