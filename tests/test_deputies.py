"""A delegation that starts later: the scheduler hands the deputy the role's open tasks once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.scheduler import SlaScheduler
from storage.models import Outbox, TaskPrompt
from tests.factories import builtin, new_case
from tests.test_engine_guards import NOW
from workflow import delegation
from workflow.clock import ManualClock


async def test_the_role_s_open_tasks_reach_the_deputy_when_the_period_starts(sessions) -> None:
    spec = builtin("sanggau-hubungan-media")
    who, _journalist, _case_id = await new_case(sessions, spec, NOW)  # step 2 waits for admin
    async with sessions() as s, s.begin():
        await delegation.create(
            s,
            spec,
            role="admin",
            deputy=await s.merge(who["kabid"]),
            starts_at=NOW + timedelta(days=1),
            ends_at=NOW + timedelta(days=2),
            now=NOW,
        )
    clock = ManualClock(NOW)
    scheduler = SlaScheduler(sessions, clock, spec, lambda: None)
    assert await scheduler.deputies_tick() == 0  # not started yet
    clock.advance(timedelta(days=1))
    assert await scheduler.deputies_tick() == 1
    assert await scheduler.deputies_tick() == 0  # once only
    async with sessions() as s:
        prompt = await s.scalar(select(TaskPrompt).where(TaskPrompt.user_id == who["kabid"].id))
        row = await s.scalar(select(Outbox).where(Outbox.chat_id == who["kabid"].telegram_id))
    assert prompt is not None and row is not None and "Terima" in str(row.payload)
