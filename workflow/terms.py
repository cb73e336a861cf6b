"""Agreement terms in force: a news item reported late is out of the payment claim unless an
official includes it again, with a reason (an audit event, so the recap and SPJ show why)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, Case, NewsItem, Task, User
from workflow.errors import NotAllowed, NotFound, ReasonRequired

INCLUDE_LATE = "include_late"


async def include_late(
    session: AsyncSession, *, news_id: int, actor: User, reason: str, now: datetime
) -> AuditEvent:
    """Count a late item in its period's claim after all; the reason is kept and shown."""
    item = await session.get(NewsItem, news_id)
    case = await session.get(Case, item.case_id) if item else None
    if item is None or case is None:
        raise NotFound("news_not_found")
    text = (reason or "").strip()[:1000]
    if not text:
        raise ReasonRequired("late_news_reason")
    worked = await session.scalar(
        select(Task.id)
        .where(Task.case_id == case.id, Task.role.in_(actor.role_keys or {""}))
        .limit(1)
    )
    if worked is None:
        raise NotAllowed("terms_handlers_only")
    event = AuditEvent(
        case_id=case.id,
        actor_id=actor.id,
        role=sorted(actor.role_keys)[0],
        action=INCLUDE_LATE,
        note=text,
        attachments=[],
        data={"news_id": item.id, "period": item.period},
        at=now.astimezone(UTC),
    )
    session.add(event)
    await session.flush()
    return event


async def overrides(session: AsyncSession, case_id: int) -> dict[int, str]:
    """news id -> the reason it is counted although late (the latest override wins)."""
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.case_id == case_id, AuditEvent.action == INCLUDE_LATE)
        .order_by(AuditEvent.id)
    )
    return {int(e.data["news_id"]): e.note or "" for e in rows}
