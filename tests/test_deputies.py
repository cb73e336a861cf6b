"""A delegation that starts later: the scheduler hands the deputy the role's open tasks once."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.scheduler import SlaScheduler
from handlers import parsing
from storage.models import Delegation, Outbox, TaskPrompt
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


SANGGAU = builtin("sanggau-hubungan-media")


@settings(deadline=None)  # a loaded machine; nothing here is timed
@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    st.integers(min_value=0, max_value=60),
    st.sampled_from(["%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y"]),
)
def test_a_period_is_whole_office_days_and_ends_by_itself(first: date, days: int, fmt: str):
    spec = SANGGAU
    last = first + timedelta(days=days)
    assert parsing.calendar_date(first.strftime(fmt)) == first
    starts, ends = delegation.period(spec, first, last)
    zone = ZoneInfo(spec.office.timezone)
    assert starts.astimezone(zone).time() == time(0) == ends.astimezone(zone).time()
    assert (ends - starts) == timedelta(days=days + 1)  # Jakarta has no daylight saving
    item = Delegation(starts_at=starts, ends_at=ends, ended_at=None)
    tick = timedelta(microseconds=1)
    assert delegation.is_active(item, starts) and delegation.is_active(item, ends - tick)
    assert not delegation.is_active(item, starts - tick) and not delegation.is_active(item, ends)
    item.ended_at = starts + tick  # ended early: over from then on
    assert not delegation.is_active(item, starts + tick) and delegation.end_of(item) < ends
