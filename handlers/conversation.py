"""Where each user is in a dialogue, kept in the database so a restart loses nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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


async def load(session: AsyncSession, telegram_id: int) -> State:
    row = await session.get(Conversation, telegram_id)
    return State(row.state, dict(row.data), row.updated_at) if row else State()


async def save(
    session: AsyncSession, telegram_id: int, name: str, data: dict[str, Any], now: datetime
) -> None:
    row = await session.get(Conversation, telegram_id)
    if row is None:
        session.add(Conversation(telegram_id=telegram_id, state=name, data=data, updated_at=now))
    else:
        row.state, row.data, row.updated_at = name, data, now


async def clear(session: AsyncSession, telegram_id: int) -> None:
    row = await session.get(Conversation, telegram_id)
    if row is not None:
        await session.delete(row)
