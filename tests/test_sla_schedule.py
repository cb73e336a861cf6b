"""The stored next notice moment (task.next_notice_at) that lets a sweep read only due tasks.

Same Sanggau step 9 as tests/test_sla.py: warning Thursday 31 December 2026 11:52:30 WIB,
overdue Monday 4 January 2027 14:00 WIB, first repeat Wednesday 6 January 2027 09:30 WIB.
"""

from __future__ import annotations

from sqlalchemy import update

from handlers.sla import sweep
from storage.models import Task
from tests.test_sla import START, _case_at_step, _kinds, wib


async def test_each_sweep_stores_the_next_moment_and_old_rows_are_looked_at(sessions):
    spec, _who, _j, _case_id, task_id = await _case_at_step(
        sessions, "sanggau-hubungan-media", 9, START
    )

    async def stored() -> object:
        async with sessions() as s:
            return (await s.get(Task, task_id)).next_notice_at

    assert await stored() == wib(2026, 12, 31, 11, 52, 30)  # set when the step opened
    await sweep(sessions, wib(2026, 12, 31, 12, 0), spec)
    assert await stored() == wib(2027, 1, 4, 14, 0)  # New Year's day does not count

    # A row from before the column (NULL) is read at once and still gets what is due.
    async with sessions() as s, s.begin():
        await s.execute(update(Task).where(Task.id == task_id).values(next_notice_at=None))
    result = await sweep(sessions, wib(2027, 1, 4, 14, 1), spec)
    assert _kinds(result, task_id) == ["overdue"]
    assert await stored() == wib(2027, 1, 6, 9, 30)  # Tuesday is Isra Mikraj
