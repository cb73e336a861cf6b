"""Both SOPs run from submission to their last step, with every branch, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage.models import Agreement, AuditEvent, Case, Payment, Task
from tests.factories import builtin, make_journalist, make_officials
from workflow import engine
from workflow.clock import ManualClock
from workflow.registry import install

# Monday 23 November 2026, 09:00 WIB
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


async def _setup(sessions, clock, sop_id):
    spec = builtin(sop_id)
    async with sessions() as s, s.begin():
        version = await install(s, spec, clock)
        officials = await make_officials(s, spec, clock.now())
        journalist, outlet = await make_journalist(s, clock.now())
    return spec, version, officials, journalist, outlet


async def _submit(sessions, clock, version, journalist, outlet):
    async with sessions() as s, s.begin():
        result = await engine.submit_case(
            s,
            version=version,
            applicant=journalist,
            outlet_id=outlet.id,
            subject="Kerja sama publikasi",
            now=clock.now(),
        )
    return result.case.id


async def _open_task(sessions, case_id) -> Task:
    async with sessions() as s:
        task = await engine.open_task_of_case(s, case_id)
        assert task is not None
        return task


async def _do(sessions, clock, case_id, actor, action, note=None):
    task = await _open_task(sessions, case_id)
    clock.advance(minutes=3)
    async with sessions() as s, s.begin():
        user = await s.merge(actor)
        return await engine.act(
            s,
            task_id=task.id,
            actor=user,
            action=action,
            note=note,
            confirm_checklist=True,
            now=clock.now(),
        )


async def _case(sessions, case_id) -> Case:
    async with sessions() as s:
        case = await s.get(Case, case_id)
        assert case is not None
        return case


async def test_sanggau_runs_every_step_and_all_publication_periods(sessions, clock):
    spec, version, who, journalist, outlet = await _setup(sessions, clock, "sanggau-hubungan-media")
    case_id = await _submit(sessions, clock, version, journalist, outlet)
    assert (await _open_task(sessions, case_id)).step_number == 2  # step 1 is the submission

    result = await _do(sessions, clock, case_id, who["admin"], "receive")
    assert result.numbers["agenda_number"] == "001/AGENDA/DISKOMINFO-IKP/2026"
    for role, action in [("fungsional", "draft"), ("kabid", "paraf"), ("sekretaris", "paraf")]:
        await _do(sessions, clock, case_id, who[role], action)
    await _do(sessions, clock, case_id, who["kadis"], "sign")
    result = await _do(sessions, clock, case_id, who["admin"], "number")
    assert result.numbers["agreement_number"] == "000.8.3.3/1/DISKOMINFO-IKP/2026"

    periods = spec.agreement.periods
    for period in range(1, periods + 1):
        task = await _open_task(sessions, case_id)
        assert (task.step_number, task.period) == (8, period)
        async with sessions() as s, s.begin():
            await engine.add_news(
                s,
                case_id=case_id,
                actor=await s.merge(journalist),
                title=f"Bupati meresmikan jembatan {period}",
                url="https://wk.id/berita",
                published_on=date(2026, 11, 24),
                now=clock.now(),
            )
        await _do(sessions, clock, case_id, journalist, "news_done")
        await _do(sessions, clock, case_id, who["admin"], "spj")
        await _do(sessions, clock, case_id, journalist, "paid")

    case = await _case(sessions, case_id)
    assert (case.status, case.outcome, case.period) == ("closed", "completed", periods)
    async with sessions() as s:
        payments = (await s.scalars(select(Payment).where(Payment.case_id == case_id))).all()
        assert sorted(p.period for p in payments) == list(range(1, periods + 1))
        assert all(p.confirmed_at and p.spj_ready_at for p in payments)
        agreement = await s.scalar(select(Agreement).where(Agreement.case_id == case_id))
        assert agreement is not None and agreement.signed_by == who["kadis"].id
        parafs = await s.scalar(
            select(func.count()).where(AuditEvent.case_id == case_id, AuditEvent.action == "paraf")
        )
        assert parafs == 2
        open_left = await s.scalar(
            select(func.count()).where(Task.case_id == case_id, Task.status == "open")
        )
        assert open_left == 0


async def test_trenggalek_yes_ends_with_a_numbered_agreement(sessions, clock):
    _, version, who, journalist, outlet = await _setup(
        sessions, clock, "trenggalek-kerjasama-media"
    )
    case_id = await _submit(sessions, clock, version, journalist, outlet)
    steps = [
        ("sekretaris", "receive"),
        ("kadis", "dispose"),
        ("fungsional", "evaluate"),
        ("kasi", "propose"),
        ("kabid", "yes"),
        ("kasi", "direct"),
    ]
    for role, action in steps:
        await _do(sessions, clock, case_id, who[role], action)
    result = await _do(sessions, clock, case_id, who["fungsional"], "done")
    assert result.case_closed and result.numbers["agreement_number"] == "7.1/1/PKS/2026"
    case = await _case(sessions, case_id)
    assert (case.status, case.outcome, case.agenda_number) == (
        "closed",
        "completed",
        "001/AGENDA/DISKOMINFO/2026",
    )


async def test_trenggalek_no_archives_the_request_with_its_reason(sessions, clock):
    _, version, who, journalist, outlet = await _setup(
        sessions, clock, "trenggalek-kerjasama-media"
    )
    case_id = await _submit(sessions, clock, version, journalist, outlet)
    for role, action in [
        ("sekretaris", "receive"),
        ("kadis", "dispose"),
        ("fungsional", "evaluate"),
        ("kasi", "propose"),
    ]:
        await _do(sessions, clock, case_id, who[role], action)
    result = await _do(sessions, clock, case_id, who["kabid"], "no", note="Belum terverifikasi")
    assert result.case_closed
    case = await _case(sessions, case_id)
    assert (case.status, case.outcome) == ("closed", "archived")
    assert result.event.note == "Belum terverifikasi"


async def test_reject_closes_the_case_with_the_reason(sessions, clock):
    _, version, who, journalist, outlet = await _setup(sessions, clock, "sanggau-hubungan-media")
    case_id = await _submit(sessions, clock, version, journalist, outlet)
    for role, action in [("admin", "receive"), ("fungsional", "draft"), ("kabid", "paraf")]:
        await _do(sessions, clock, case_id, who[role], action)
    result = await _do(
        sessions, clock, case_id, who["sekretaris"], "reject", note="Anggaran 2026 habis"
    )
    assert result.case_closed
    case = await _case(sessions, case_id)
    assert (case.outcome, case.current_step) == ("rejected", None)


async def test_return_pauses_the_officials_clock_until_the_journalist_resubmits(sessions, clock):
    _, version, who, journalist, outlet = await _setup(
        sessions, clock, "trenggalek-kerjasama-media"
    )
    case_id = await _submit(sessions, clock, version, journalist, outlet)
    await _do(sessions, clock, case_id, who["sekretaris"], "receive")
    await _do(sessions, clock, case_id, who["kadis"], "dispose")
    task = await _open_task(sessions, case_id)  # step 3, 2 working days
    due_before = task.due_at
    await _do(sessions, clock, case_id, who["fungsional"], "return", note="Akta perusahaan kurang")
    assert (await _case(sessions, case_id)).status == "returned"

    clock.advance(days=1)  # Tuesday: a whole working day spent waiting on the journalist
    async with sessions() as s, s.begin():
        result = await engine.resubmit(
            s, case_id=case_id, actor=await s.merge(journalist), now=clock.now(), note="Sudah"
        )
    resumed = result.resumed_task
    assert resumed is not None and resumed.id == task.id and resumed.status == "open"
    assert resumed.due_at - due_before == timedelta(days=1)  # the day of waiting does not count
    result = await _do(sessions, clock, case_id, who["fungsional"], "evaluate")
    assert result.new_tasks[0].step_number == 4
