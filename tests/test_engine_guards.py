"""Refused actions: a clear Indonesian message, and nothing changed in the database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from storage import numbering
from storage.models import AuditEvent, Case, Task
from tests.factories import builtin, make_journalist, make_officials, make_user
from workflow import engine
from workflow.clock import ManualClock
from workflow.errors import KelengkapanMissing, NotAllowed, ReasonRequired, TaskClosed
from workflow.registry import install, spec_of

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def _snapshot(sessions) -> tuple:
    async with sessions() as s:
        events = await s.scalar(select(func.count(AuditEvent.id)))
        tasks = (await s.execute(select(Task.id, Task.status, Task.checklist))).all()
        cases = (await s.execute(select(Case.id, Case.status, Case.current_step))).all()
        return events, sorted(map(tuple, tasks)), sorted(map(tuple, cases))


@pytest.fixture
async def office(sessions):
    clock = ManualClock(NOW)
    spec = builtin("sanggau-hubungan-media")
    async with sessions() as s, s.begin():
        version = await install(s, spec, clock)
        who = await make_officials(s, spec, NOW)
        journalist, outlet = await make_journalist(s, NOW)
        result = await engine.submit_case(
            s, version=version, applicant=journalist, outlet_id=outlet.id, subject="x", now=NOW
        )
        task_id = result.new_tasks[-1].id
    return {"version": version, "who": who, "journalist": journalist, "task_id": task_id}


async def _refused(sessions, exc_type, **kwargs) -> str:
    before = await _snapshot(sessions)
    with pytest.raises(exc_type) as info:
        async with sessions() as s, s.begin():
            kwargs["actor"] = await s.merge(kwargs["actor"])
            await engine.act(s, now=NOW, **kwargs)
    assert await _snapshot(sessions) == before
    return info.value.message


async def test_wrong_role_is_refused(sessions, office):
    message = await _refused(
        sessions,
        NotAllowed,
        task_id=office["task_id"],
        actor=office["who"]["kadis"],
        action="receive",
        confirm_checklist=True,
    )
    assert "Petugas Admin" in message and "tidak memegang peran" in message


async def test_journalist_cannot_act_as_official(sessions, office):
    await _refused(
        sessions,
        NotAllowed,
        task_id=office["task_id"],
        actor=office["journalist"],
        action="receive",
        confirm_checklist=True,
    )


async def test_closed_task_is_refused(sessions, office):
    admin = office["who"]["admin"]
    async with sessions() as s, s.begin():
        await engine.act(
            s,
            task_id=office["task_id"],
            actor=await s.merge(admin),
            action="receive",
            confirm_checklist=True,
            now=NOW,
        )
    message = await _refused(
        sessions,
        TaskClosed,
        task_id=office["task_id"],
        actor=admin,
        action="receive",
        confirm_checklist=True,
    )
    assert "sudah selesai" in message


async def test_reject_without_reason_is_refused(sessions, office):
    message = await _refused(
        sessions,
        ReasonRequired,
        task_id=office["task_id"],
        actor=office["who"]["admin"],
        action="reject",
        note="   ",
    )
    assert "alasan" in message


async def test_unchecked_kelengkapan_is_refused_until_confirmed(sessions, office):
    error = None
    before = await _snapshot(sessions)
    with pytest.raises(KelengkapanMissing) as info:
        async with sessions() as s, s.begin():
            await engine.act(
                s,
                task_id=office["task_id"],
                actor=await s.merge(office["who"]["admin"]),
                action="receive",
                now=NOW,
            )
    error = info.value
    assert await _snapshot(sessions) == before
    assert error.confirmable and "Lembar disposisi" in error.message


async def test_submission_without_press_card_is_refused(sessions):
    spec = builtin("sanggau-hubungan-media")
    clock = ManualClock(NOW)
    async with sessions() as s, s.begin():
        version = await install(s, spec, clock)
        journalist, outlet = await make_journalist(s, NOW, with_documents=False)
    before = await _snapshot(sessions)
    with pytest.raises(KelengkapanMissing) as info:
        async with sessions() as s, s.begin():
            await engine.submit_case(
                s,
                version=version,
                applicant=await s.merge(journalist),
                outlet_id=outlet.id,
                subject="x",
                now=NOW,
            )
    assert not info.value.confirmable
    assert "Tanda pengenal" in info.value.message
    assert await _snapshot(sessions) == before


async def test_checklist_toggle_needs_the_role(sessions, office):
    with pytest.raises(NotAllowed):
        async with sessions() as s, s.begin():
            await engine.toggle_check(
                s,
                task_id=office["task_id"],
                actor=await s.merge(office["who"]["kabid"]),
                key="lembar_disposisi",
                now=NOW,
            )
    async with sessions() as s, s.begin():
        task = await engine.toggle_check(
            s,
            task_id=office["task_id"],
            actor=await s.merge(office["who"]["admin"]),
            key="lembar_disposisi",
            now=NOW,
        )
        assert task.checklist == {"lembar_disposisi": True}


async def test_case_keeps_its_sop_version_after_the_yaml_changes(sessions, office):
    spec = builtin("sanggau-hubungan-media")
    revised = spec.model_copy(update={"title": spec.title + " (revisi)"})
    async with sessions() as s, s.begin():
        new_version = await install(s, revised, ManualClock(NOW))
        old_case = await s.scalar(select(Case))
        assert new_version.id != office["version"].id
        assert old_case.sop_version_id == office["version"].id
        assert (await spec_of(s, old_case.sop_version_id)).title == spec.title
        again = await install(s, spec, ManualClock(NOW))
        assert again.id == office["version"].id  # same content, same version


async def test_running_numbers_are_never_duplicated_under_concurrency(sessions):
    async def one() -> int:
        async with sessions() as s, s.begin():
            return await numbering.next_value(s, "test:agenda", 2026)

    values = await asyncio.gather(*(one() for _ in range(25)))
    assert sorted(values) == list(range(1, 26))
    async with sessions() as s, s.begin():
        assert await numbering.next_value(s, "test:agenda", 2027) == 1


async def test_official_with_two_roles_can_act_in_both(sessions, office):
    async with sessions() as s, s.begin():
        both = await make_user(s, "Merangkap", NOW, ("admin", "fungsional"))
    for action in ("receive", "draft"):
        async with sessions() as s, s.begin():
            task = await engine.open_task_of_case(s, (await s.scalar(select(Case.id))))
            await engine.act(
                s,
                task_id=task.id,
                actor=await s.merge(both),
                action=action,
                confirm_checklist=True,
                now=NOW,
            )
    async with sessions() as s:
        task = await engine.open_task_of_case(s, await s.scalar(select(Case.id)))
        assert task.step_number == 4


async def test_a_deputy_acts_only_in_the_period_and_never_on_their_own_request(sessions, office):
    from datetime import timedelta

    from workflow import delegation

    spec = builtin("sanggau-hubungan-media")
    async with sessions() as s, s.begin():
        for deputy in (office["who"]["kabid"], office["journalist"]):  # the applicant too
            await delegation.create(
                s,
                spec,
                role="admin",
                deputy=await s.merge(deputy),
                starts_at=NOW + timedelta(hours=1),
                ends_at=NOW + timedelta(hours=2),
                now=NOW,
            )
    act = {"task_id": office["task_id"], "action": "receive", "confirm_checklist": True}
    early = await _refused(sessions, NotAllowed, actor=office["who"]["kabid"], **act)
    assert "tidak memegang peran" in early  # not started yet
    own = office["journalist"]
    with pytest.raises(NotAllowed, match="pemohon"):
        async with sessions() as s, s.begin():
            await engine.act(s, actor=await s.merge(own), now=NOW + timedelta(hours=1), **act)
    async with sessions() as s, s.begin():
        kabid = await s.merge(office["who"]["kabid"])
        result = await engine.act(s, actor=kabid, now=NOW + timedelta(minutes=90), **act)
        assert result.event.role == "admin" and result.event.data["as_deputy"] == 1
        assert delegation.title_of(spec, "admin", result.event.data) == "Plh. Petugas Admin"
