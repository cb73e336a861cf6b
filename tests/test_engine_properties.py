"""Property: whatever anyone presses, in any order, the engine keeps the case consistent.

Random sequences of (actor, action, note) are thrown at a case; refused ones must leave the
database untouched, accepted ones must follow the SOP, and the invariants hold after each.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.pool import StaticPool

from storage.db import create_engine, session_factory
from storage.models import AuditEvent, Base, Case, Task
from tests.factories import builtin, make_user, new_case
from workflow import engine
from workflow.clock import ManualClock
from workflow.errors import WorkflowError

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SPECS = {sop: builtin(sop) for sop in ("sanggau-hubungan-media", "trenggalek-kerjasama-media")}
ACTION_NAMES = sorted({a.name for s in SPECS.values() for st_ in s.steps for a in st_.actions})

ops = st.lists(
    st.tuples(
        st.integers(
            min_value=0, max_value=20
        ),  # who: index into everyone (officials, journalist, outsider)
        st.sampled_from([*ACTION_NAMES, "resubmit", "bogus"]),
        st.sampled_from([None, "", "Alasan jelas"]),
        st.booleans(),  # confirm the checklist
        st.booleans(),  # press an older task's button instead of the current one
    ),
    max_size=30,
)


async def _snapshot(s) -> tuple:
    events = await s.scalar(select(func.count(AuditEvent.id)))
    tasks = (await s.execute(select(Task.id, Task.status, Task.due_at))).all()
    case = (await s.execute(select(Case.status, Case.current_step, Case.period))).one()
    return events, sorted(map(tuple, tasks)), tuple(case)


async def _invariants(s, case_id: int) -> None:
    case = await s.get(Case, case_id)
    open_steps = (
        await s.scalars(
            select(Task).where(
                Task.case_id == case_id, Task.kind == "step", Task.status.in_(("open", "waiting"))
            )
        )
    ).all()
    open_revisions = await s.scalar(
        select(func.count()).where(
            Task.case_id == case_id, Task.kind == "revision", Task.status == "open"
        )
    )
    if case.status == "closed":
        assert not open_steps and not open_revisions and case.current_step is None
        assert case.outcome in {"completed", "rejected", "archived"}
    else:
        assert len(open_steps) == 1 and open_steps[0].step_number == case.current_step
        waiting = open_steps[0].status == "waiting"
        assert waiting == (case.status == "returned") == (open_revisions == 1)


async def _run(sop_id: str, sequence: list) -> None:
    spec = SPECS[sop_id]
    db = create_engine("sqlite+aiosqlite://", poolclass=StaticPool)
    async with db.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = session_factory(db)
    clock = ManualClock(START)
    who, journalist, case_id = await new_case(sessions, spec, START)
    officials = list(who.values())
    async with sessions() as s, s.begin():
        outsider = await make_user(s, "Orang lain", START)
    people = [*officials, journalist, outsider]
    for who, action, note, confirm, older in sequence:
        clock.advance(timedelta(minutes=7))
        async with sessions() as s:
            before = await _snapshot(s)
            task_ids = (await s.scalars(select(Task.id).where(Task.case_id == case_id))).all()
            current = await engine.open_task_of_case(s, case_id)
        task_id = task_ids[0] if older or current is None else current.id
        actor = people[who % len(people)]
        try:
            async with sessions() as s, s.begin():
                user = await s.merge(actor)
                if action == "resubmit":
                    await engine.resubmit(s, case_id=case_id, actor=user, now=clock.now())
                else:
                    result = await engine.act(
                        s,
                        task_id=task_id,
                        actor=user,
                        action=action,
                        note=note,
                        confirm_checklist=confirm,
                        now=clock.now(),
                    )
                    task = await s.get(Task, task_id)
                    role = task.role
                    assert role in user.role_keys or (
                        role == spec.applicant_role and user.id == journalist.id
                    )
                    assert spec.step(task.step_number).action(action) is not None
                    assert result.event.action == action
        except WorkflowError:
            async with sessions() as s:
                assert await _snapshot(s) == before
        async with sessions() as s:
            after = await _snapshot(s)
            assert after[0] >= before[0]
            await _invariants(s, case_id)
    await db.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sop_id=st.sampled_from(sorted(SPECS)), sequence=ops)
def test_any_sequence_of_presses_keeps_the_case_consistent(sop_id: str, sequence: list) -> None:
    asyncio.run(_run(sop_id, sequence))


@settings(max_examples=25, deadline=None)
@given(sop_id=st.sampled_from(sorted(SPECS)), data=st.data())
def test_walking_forward_with_the_right_people_always_ends(sop_id: str, data) -> None:
    spec = SPECS[sop_id]

    async def walk() -> None:
        db = create_engine("sqlite+aiosqlite://", poolclass=StaticPool)
        async with db.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        sessions = session_factory(db)
        clock = ManualClock(START)
        officials, journalist, case_id = await new_case(sessions, spec, START)
        for _ in range(100):
            async with sessions() as s, s.begin():
                task = await engine.open_task_of_case(s, case_id)
                if task is None:
                    break
                step = spec.step(task.step_number)
                choices = [a for a in step.actions if a.kind.value in ("forward", "finish")]
                action = data.draw(st.sampled_from(choices))
                actor = journalist if task.role == spec.applicant_role else officials[task.role]
                if step.starts_period:
                    await engine.add_news(
                        s,
                        case_id=case_id,
                        actor=await s.merge(journalist),
                        title="Berita",
                        url="https://x.id/a",
                        published_on=START.date(),
                        now=clock.now(),
                    )
                await engine.act(
                    s,
                    task_id=task.id,
                    actor=await s.merge(actor),
                    action=action.name,
                    note="Catatan",
                    confirm_checklist=True,
                    now=clock.advance(minutes=5),
                )
        async with sessions() as s:
            case = await s.get(Case, case_id)
            assert case.status == "closed" and case.outcome in {"completed", "archived"}
        await db.dispose()

    asyncio.run(walk())
