"""SLA notices fire at the right working-time moments, once each, across holidays and pauses.

Sanggau step 9 (Petugas Admin, 5 hari kerja) starts Wednesday 23 December 2026 14:00 WIB.
24-25 December are cuti bersama and Christmas, 1 January 2027 New Year, 5 January 2027 Isra
Mikraj: hand-computed, the standard is 2550 working minutes and
  warning (75 %)      Thursday 31 December 2026 11:52:30 WIB
  overdue (100 %)     Monday 4 January 2027 14:00 WIB
  repeat 1 (+4 jam)   Wednesday 6 January 2027 09:30 WIB (Tuesday is Isra Mikraj)
  escalation (200 %)  Tuesday 12 January 2027 13:30 WIB (to the Kabid, whom the admin reports to)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from handlers.replies import SendMessage
from handlers.sla import sweep
from storage.db import create_engine, session_factory
from storage.models import Notice
from tests.factories import builtin, new_case
from workflow import engine

WIB = ZoneInfo("Asia/Jakarta")


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB).astimezone(UTC)


START = wib(2026, 12, 23, 14, 0)


async def _case_at_step(sessions, sop_id: str, stop_at: int, when: datetime):
    """A case walked forward at `when` until the open task is step `stop_at`."""
    spec = builtin(sop_id)
    who, journalist, case_id = await new_case(sessions, spec, when)
    while True:
        async with sessions() as s, s.begin():
            task = await engine.open_task_of_case(s, case_id)
            if task.step_number == stop_at:
                return spec, who, journalist, case_id, task.id
            step = spec.step(task.step_number)
            actor = journalist if task.role == spec.applicant_role else who[task.role]
            if step.starts_period:
                await engine.add_news(
                    s,
                    case_id=case_id,
                    actor=await s.merge(actor),
                    title="Berita",
                    url="https://x.id/1",
                    published_on=date(2026, 12, 23),
                    now=when,
                )
            forward = next(a for a in step.actions if a.kind.value == "forward")
            await engine.act(
                s,
                task_id=task.id,
                actor=await s.merge(actor),
                action=forward.name,
                confirm_checklist=True,
                now=when,
            )


def _task_messages(result, task_id: int) -> dict[str, list[SendMessage]]:
    by_kind: dict[str, list[SendMessage]] = {}
    for key in result.claimed:
        if key.startswith(f"task:{task_id}:"):
            by_kind.setdefault(key.split(":")[2], [])
    for reply in result.replies:
        if isinstance(reply, SendMessage):
            by_kind.setdefault("_all", []).append(reply)
    return by_kind


def _kinds(result, task_id: int) -> list[str]:
    return sorted(k.split(":")[2] for k in result.claimed if k.startswith(f"task:{task_id}:"))


async def test_warning_overdue_repeat_and_escalation_across_holidays(sessions):
    spec, who, _j, _case_id, task_id = await _case_at_step(
        sessions, "sanggau-hubungan-media", 9, START
    )
    admin, kabid = who["admin"], who["kabid"]

    async def at(moment: datetime) -> tuple[list[str], list[SendMessage]]:
        result = await sweep(sessions, moment, spec, worker="test")
        mine = [
            r
            for r in result.replies
            if (isinstance(r, SendMessage) and "Rekap berita" in r.text)
            or (isinstance(r, SendMessage) and "Eskalasi" in r.text)
        ]
        return _kinds(result, task_id), mine

    assert (await at(wib(2026, 12, 28, 10, 0)))[0] == []  # Monday after Christmas: early days
    assert (await at(wib(2026, 12, 31, 11, 52)))[0] == []
    kinds, messages = await at(wib(2026, 12, 31, 11, 53))
    assert kinds == ["warn"]
    assert [m.chat_id for m in messages] == [admin.telegram_id]
    assert "sisa" in messages[0].text and messages[0].prompt is not None
    assert len(messages[0].text.splitlines()) == 1  # one line; the prompt is the one it answers
    assert "SPJ siap dibayar" in [b.text for row in messages[0].markup.rows for b in row]
    assert (await at(wib(2026, 12, 31, 15, 0)))[0] == []  # sent once

    assert (await at(wib(2027, 1, 1, 12, 0)))[0] == []  # New Year's day: the clock stands still
    assert (await at(wib(2027, 1, 4, 13, 59)))[0] == []
    kinds, messages = await at(wib(2027, 1, 4, 14, 1))
    assert kinds == ["overdue"]
    assert "terlambat" in messages[0].text and "Rina" in messages[0].text  # who is waiting

    assert (await at(wib(2027, 1, 5, 12, 0)))[0] == []  # Isra Mikraj
    assert (await at(wib(2027, 1, 6, 9, 29)))[0] == []
    kinds, messages = await at(wib(2027, 1, 6, 9, 31))
    assert kinds == ["repeat"] and "masih terlambat" in messages[0].text

    assert "escalate" not in (await at(wib(2027, 1, 12, 13, 29)))[0]
    kinds, messages = await at(wib(2027, 1, 12, 13, 31))
    assert "escalate" in kinds
    escalation = [m for m in messages if "Eskalasi" in m.text]
    assert [m.chat_id for m in escalation] == [kabid.telegram_id]
    assert "Petugas Admin" in escalation[0].text

    # A restart: a new engine on the same database sends nothing again.
    restarted = session_factory(create_engine(str(sessions.kw["bind"].url)))
    again = await sweep(restarted, wib(2027, 1, 12, 13, 32), spec, worker="restarted")
    assert _kinds(again, task_id) == []


async def test_short_standards_get_no_warning_only_overdue(sessions):
    spec, _who, _j, _case_id, task_id = await _case_at_step(
        sessions, "sanggau-hubungan-media", 3, wib(2026, 11, 23, 9, 0)
    )
    result = await sweep(sessions, wib(2026, 11, 23, 9, 4), spec)
    assert _kinds(result, task_id) == []  # 5 minutes: no 75 % warning
    result = await sweep(sessions, wib(2026, 11, 23, 9, 6), spec)
    assert _kinds(result, task_id) == ["overdue"]


async def test_time_waiting_on_the_journalist_is_paused(sessions):
    """Trenggalek step 3 (Fungsional, 2 hari) starts Monday 23 Nov 09:00, due Wednesday 09:00;
    returned Monday 10:00, resubmitted Thursday 10:00: the waiting does not count, so the
    overdue notice comes the next Monday (not Wednesday), the warning at 75 % before it."""
    spec, who, journalist, case_id, task_id = await _case_at_step(
        sessions, "trenggalek-kerjasama-media", 3, wib(2026, 11, 23, 9, 0)
    )
    async with sessions() as s, s.begin():
        await engine.act(
            s,
            task_id=task_id,
            actor=await s.merge(who["fungsional"]),
            action="return",
            note="Akta perusahaan belum ada",
            now=wib(2026, 11, 23, 10, 0),
        )
    # Past the old due time (Wed 09:00), and past 75 % of the journalist's 3 calendar days.
    paused = await sweep(sessions, wib(2026, 11, 25, 16, 1), spec)
    assert _kinds(paused, task_id) == []
    revision_reminders = [
        r
        for r in paused.replies
        if "Perbaikan permohonan" in getattr(r, "text", "")
        or "perbaikan permohonan" in getattr(r, "text", "")
    ]
    assert [r.chat_id for r in revision_reminders] == [journalist.telegram_id]

    async with sessions() as s, s.begin():
        await engine.resubmit(
            s, case_id=case_id, actor=await s.merge(journalist), now=wib(2026, 11, 26, 10, 0)
        )
    # Paused Mon 10:00 -> Thu 10:00 = 360 + 510 + 510 + 150 = 1530 working minutes. Both ends
    # of the window move by that much: start Mon 09:00 -> Thu 09:00, due Wed 09:00 -> Mon 30
    # 08:30 (Friday is open until 16:30, half an hour longer). The window is still 1020 min:
    # 75 % = 765 from Thu 09:00: Thu 420 + Fri 345 -> Fri 27 13:15.
    assert _kinds(await sweep(sessions, wib(2026, 11, 27, 13, 14), spec), task_id) == []
    assert _kinds(await sweep(sessions, wib(2026, 11, 27, 13, 16), spec), task_id) == ["warn"]
    assert _kinds(await sweep(sessions, wib(2026, 11, 30, 8, 29), spec), task_id) == []
    assert _kinds(await sweep(sessions, wib(2026, 11, 30, 8, 31), spec), task_id) == ["overdue"]


async def test_morning_digest_once_a_working_day_at_opening(sessions):
    spec, who, _j, _case_id, _task_id = await _case_at_step(
        sessions, "sanggau-hubungan-media", 3, wib(2026, 11, 23, 9, 0)
    )

    async def digests(moment: datetime) -> list[SendMessage]:
        result = await sweep(sessions, moment, spec)
        return [
            r for r in result.replies if isinstance(r, SendMessage) and "Ringkasan pagi" in r.text
        ]

    assert await digests(wib(2026, 11, 24, 7, 29)) == []  # before opening
    sent = await digests(wib(2026, 11, 24, 7, 31))
    assert sorted(m.chat_id for m in sent) == sorted(
        [who["kadis"].telegram_id, who["kabid"].telegram_id]
    )
    text = sent[0].text
    assert "Permohonan terbuka: <b>1</b>" in text and "Pejabat fungsional" in text
    assert "terlambat 1 hari" in text or "terlambat" in text
    assert await digests(wib(2026, 11, 24, 9, 0)) == []  # once a day
    assert await digests(wib(2026, 11, 28, 8, 0)) == []  # Saturday: no digest
    async with sessions() as s:
        assert await s.scalar(select(func.count()).where(Notice.kind == "digest")) == 1


@pytest.mark.parametrize("share", [0.5])
async def test_policy_is_overridable_per_step(sessions, share):
    spec, _who, _j, _case_id, task_id = await _case_at_step(
        sessions, "sanggau-hubungan-media", 9, START
    )
    step9 = spec.step(9).model_copy(update={"sla": spec.sla.model_copy(update={"warn_at": share})})
    custom = spec.model_copy(
        update={"steps": tuple(step9 if s.number == 9 else s for s in spec.steps)}
    )
    from workflow.calendar import WorkingCalendar
    from workflow.sla import Window, moments

    calendar = WorkingCalendar()
    window = Window(task_id, START, calendar.add(START, spec.step(9).time), "working")
    half = moments(window, custom.sla_for(custom.step(9)), calendar)["warn"]
    # 50 % of 2550 minutes = 1275: Wed 120 + Mon 510 + Tue 510 = 1140, +135 -> Wed 30 Dec 09:45
    assert half == wib(2026, 12, 30, 9, 45)
    assert timedelta(0) < moments(window, spec.sla, calendar)["warn"] - half


async def test_one_official_with_several_late_tasks_gets_one_list(sessions):
    """One late task: a reply to its prompt with its actions. Three late tasks in one sweep:
    one message, a line per task and a "Buka" button per task (no task's actions), sent once."""
    from handlers.callbacks import Callback, Op
    from handlers.prompts import MAX_ROWS, PROMPT_LIMIT
    from handlers.render import shown_length

    spec, who, _j, _case_id, alone = await _case_at_step(
        sessions, "sanggau-hubungan-media", 2, wib(2026, 11, 23, 9, 0)
    )
    admin = who["admin"]
    single = await sweep(sessions, wib(2026, 11, 23, 9, 6), spec)  # the standard is 5 minutes
    [reminder] = [r for r in single.replies if r.chat_id == admin.telegram_id]
    assert reminder.prompt is not None and reminder.prompt.task_id == alone
    assert "Terima" in [b.text for row in reminder.markup.rows for b in row]

    # The first task stays open: its overdue notice claimed, its repeat not yet due (its
    # escalation goes to the Kabid, apart).
    tasks = [(await _case_at_step(sessions, spec.id, 2, wib(2026, 11, 23, 10, 0)))[4]]
    tasks += [(await _case_at_step(sessions, spec.id, 2, wib(2026, 11, 23, 10, 1)))[4]]
    tasks += [(await _case_at_step(sessions, spec.id, 2, wib(2026, 11, 23, 10, 2)))[4]]
    result = await sweep(sessions, wib(2026, 11, 23, 10, 8), spec)
    assert sorted(k for k in result.claimed if k.endswith(":overdue")) == sorted(
        f"task:{t}:overdue" for t in tasks
    )
    [bundle] = [r for r in result.replies if r.chat_id == admin.telegram_id]
    lines = bundle.text.splitlines()
    assert "3 tugas" in lines[0] and len(lines) == 4
    assert all("Terima permohonan" in line and "terlambat" in line for line in lines[1:])
    assert all("Rina Wartawan menunggu" in line for line in lines[1:])
    assert "terlambat 3 menit" in lines[1] and "terlambat 1 menit" in lines[3]  # oldest first
    assert [b.callback_data for row in bundle.markup.rows for b in row] == [
        Callback(Op.back, t, "new").pack() for t in tasks
    ]
    assert bundle.prompt is None and bundle.reply_to is None  # about several prompts
    assert shown_length(bundle.text) <= PROMPT_LIMIT and len(bundle.markup.rows) <= MAX_ROWS

    again = await sweep(sessions, wib(2026, 11, 23, 10, 9), spec)
    assert [r for r in again.replies if r.chat_id == admin.telegram_id] == []
    async with sessions() as s:
        assert await s.scalar(select(func.count()).where(Notice.kind == "overdue")) == 4
