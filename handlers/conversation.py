"""Where each user is in a dialogue, kept in the database so a restart loses nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

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
    row = await session.get(Conversation, (chat.platform, chat.id))
    return State(row.state, dict(row.data), row.updated_at) if row else State()


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
