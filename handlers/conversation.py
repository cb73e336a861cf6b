"""Where each user is in a dialogue, kept in the database so a restart loses nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.platforms import Chat
from storage.models import Conversation

# States that wait for typed text (or a Ya/Batal answer) about one task: they belong to that
# task, expire after Deps.prompt_ttl_minutes and end with any command.
TASK_PROMPTS = frozenset({"reason", "note", "attach", "confirm", "terms", "late"})


@dataclass
class State:
    name: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None  # when the question was asked

    @property
    def task_prompt(self) -> bool:
        return self.name in TASK_PROMPTS

    def expired(self, now: datetime, ttl: timedelta) -> bool:
        return self.updated_at is not None and now - self.updated_at > ttl


async def load(session: AsyncSession, chat: Chat) -> State:
    # Every update reads it; most change nothing, so a plain statement (compiled once) rather
    # than the ORM's get. save() and clear() load the row themselves when there is one.
    found = (await session.execute(_LOAD, {"on": chat.platform, "chat": chat.id})).first()
    return State(found.state, dict(found.data), found.updated_at) if found else State()


_TABLE = cast(Table, Conversation.__table__)
_LOAD = select(_TABLE.c.state, _TABLE.c.data, _TABLE.c.updated_at).where(
    _TABLE.c.platform == bindparam("on"), _TABLE.c.chat_id == bindparam("chat")
)


async def save(
    session: AsyncSession, chat: Chat, name: str, data: dict[str, Any], now: datetime
) -> None:
    row = await session.get(Conversation, (chat.platform, chat.id))
    if row is None:
        session.add(
            Conversation(
                platform=chat.platform, chat_id=chat.id, state=name, data=data, updated_at=now
            )
        )
    else:
        row.state, row.data, row.updated_at = name, data, now


async def clear(session: AsyncSession, chat: Chat) -> None:
    row = await session.get(Conversation, (chat.platform, chat.id))
    if row is not None:
        await session.delete(row)
