"""Telling the office when the bot cannot reach someone, or gave up on a message.

They go to the holders of the role the applicant reports to in the SOP (Sanggau: the admin
clerk; Trenggalek: the Fungsional): the desk that deals with journalists. Never about a
message to that desk itself, which would only loop.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.outbox import enqueue
from handlers.platforms import Chat, chat_of, chats_of
from handlers.render import render
from handlers.replies import message
from storage.accounts import find_user
from storage.models import ChatReach, Outbox, User, UserRole
from workflow.spec import SopSpec

log = logging.getLogger(__name__)


async def _desk(session: AsyncSession, spec: SopSpec) -> list[User]:
    role = spec.next_role_up(spec.applicant_role)
    if role is None:
        return []
    return list(
        await session.scalars(
            select(User).join(UserRole).where(UserRole.role == role).order_by(User.id)
        )
    )


async def _person(session: AsyncSession, chat: Chat) -> User | None:
    return await find_user(session, chat.platform, chat.id)


def _among(desk: list[User], chat: Chat) -> bool:
    return any(chat in chats_of(u) for u in desk)


async def report_unreachable(
    session: AsyncSession, spec: SopSpec, reach: ChatReach, now: datetime
) -> None:
    """Once per episode: the person blocked the bot (or never started it); their messages wait."""
    desk = await _desk(session, spec)
    chat = Chat(reach.platform, reach.chat_id)
    if reach.reported or _among(desk, chat):
        return
    person = await _person(session, chat)
    waiting = len(
        list(
            await session.scalars(
                select(Outbox.id).where(
                    Outbox.platform == chat.platform,
                    Outbox.chat_id == chat.id,
                    Outbox.state == "pending",
                )
            )
        )
    )
    text = render(
        "delivery_unreachable",
        tz=spec.office.timezone,
        name=person.name if person else str(reach.chat_id),
        since=reach.unreachable_since,
        waiting=waiting,
    )
    reach.reported = True
    await enqueue(session, [message(chat_of(u), text) for u in desk], now)


async def report_dead(session: AsyncSession, spec: SopSpec, row: Outbox, now: datetime) -> None:
    """A message given up on (Telegram refused it, or hours of failures): the desk may follow up
    by phone; nothing about the message's own text is repeated."""
    desk = await _desk(session, spec)
    chat = Chat(row.platform, row.chat_id)
    if _among(desk, chat):
        return
    person = await _person(session, chat)
    text = render(
        "delivery_dead",
        tz=spec.office.timezone,
        name=person.name if person else str(row.chat_id),
        created=row.created_at,
        attempts=row.attempts,
    )
    await enqueue(session, [message(chat_of(u), text) for u in desk], now)
