"""What `GET /healthz` says about one bot process (webhook mode), for the office's monitoring.

The report: does the database answer, how many outbox rows wait and how old the oldest is,
and when this process last ran the SLA sweep. 200 when all is well, 503 with the reasons:

- the database does not answer;
- the oldest pending outbox row is older than `stale_after` (15 min): messages are not going
  out (Telegram unreachable, the sender stuck). Rows for chats that blocked the bot are left
  out of that rule — they wait for the person by design — and only counted;
- the last SLA sweep is older than `sweep_late_after` (three sweep intervals, at least five
  minutes), or none ran yet although the process is older than that: reminders stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.webhook import Health
from storage.db import reading
from storage.models import ChatReach, Outbox
from workflow.clock import Clock


class Sweeper(Protocol):
    @property
    def last_sweep_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class HealthRules:
    stale_after: timedelta = timedelta(minutes=15)
    sweep_late_after: timedelta = timedelta(minutes=5)


def rules_for(sweep_seconds: int) -> HealthRules:
    return HealthRules(
        sweep_late_after=max(timedelta(minutes=5), timedelta(seconds=3 * sweep_seconds))
    )


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else round(max((now - then).total_seconds(), 0.0), 1)


def product_health(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    sweeper: Sweeper | None = None,
    rules: HealthRules | None = None,
) -> Health:
    """The /healthz report of a process running the outbox sender (and the sweep, if given)."""
    rules = rules or HealthRules()
    started = clock.now()

    async def health() -> dict[str, Any]:
        now = clock.now()
        reasons: list[str] = []
        report: dict[str, Any] = {"database": "ok"}
        try:
            async with reading(sessions) as session:
                away = select(ChatReach.chat_id)
                pending = Outbox.state == "pending"
                count, waiting = (
                    await session.execute(
                        select(
                            func.count(Outbox.id),
                            func.count(Outbox.id).filter(Outbox.chat_id.in_(away)),
                        ).where(pending)
                    )
                ).one()
                oldest = await session.scalar(
                    select(func.min(Outbox.created_at)).where(pending, Outbox.chat_id.not_in(away))
                )
        except Exception as exc:
            report["database"] = type(exc).__name__
            reasons.append("database")
        else:
            age = _age(now, oldest)
            report["outbox"] = {
                "pending": int(count or 0),
                "oldest_pending_age_seconds": age,
                "waiting_for_unreachable_chats": int(waiting or 0),
            }
            if age is not None and age > rules.stale_after.total_seconds():
                reasons.append("outbox")
        if sweeper is not None:
            last = sweeper.last_sweep_at
            report["last_sweep_at"] = last.isoformat() if last is not None else None
            report["last_sweep_age_seconds"] = _age(now, last)
            if now - (last or started) > rules.sweep_late_after:
                reasons.append("sla_sweep")
        report["ok"] = not reasons
        if reasons:
            report["reasons"] = reasons
        return report

    return health
