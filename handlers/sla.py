"""The SLA sweep: reminders, overdue notices, escalations and the morning digest, as replies.

Each notice is claimed in the database (a unique key) in the same transaction that queues its
messages in the outbox, so two bot processes sweeping at the same moment send it once, a
restart does not send it again, and a notice claimed is a notice delivered (the outbox keeps
a message to a blocked user until they are back).

One task late for a person: a one-line reply to its prompt with the step's actions. Several
tasks late for one official in one sweep: one short list with a "Buka" button per task
(sla_bundle.html.j2), not one message each. Escalations to a superior and the journalist's
own reminders stay messages of their own (see _task_notices and _escalation's callers).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import outlet_lapsing
from handlers.callbacks import Callback, Op
from handlers.outbox import enqueue
from handlers.outlet_reminders import expiry_due, expiry_reminders
from handlers.platforms import Chat, chat_of
from handlers.prompts import MAX_ROWS, PROMPT_LIMIT, action_keyboard, case_labels, short
from handlers.render import case_name, label, render, shown_length
from handlers.replies import Button, InlineKeyboard, PromptRef, Reply, SendMessage, message
from storage.db import reading, transaction
from storage.models import Case, MediaOutlet, Notice, Task, TaskPrompt, User, UserRole
from workflow import delegation, engine
from workflow.calendar import WorkingCalendar
from workflow.registry import calendar_of, spec_of
from workflow.sla import due_notices
from workflow.sla_schedule import next_notice_at, policy_of, window_of
from workflow.spec import SopSpec
from workflow.timefmt import format_span

log = logging.getLogger(__name__)
SEVERITY = ("warn", "overdue", "repeat")  # a holder's reminders, mildest first
DIGEST_ROWS = 20  # the oldest overdue tasks; the digest must fit one Telegram text


@dataclass(frozen=True)
class SweepResult:
    replies: list[Reply]
    claimed: list[str]


async def sweep(
    sessions: async_sessionmaker[AsyncSession], now: datetime, spec: SopSpec, worker: str = ""
) -> SweepResult:
    """One pass over the open tasks whose stored next notice moment has come, then the digest.
    `spec` is the office's active SOP (digest).

    Reading is one pass over due tasks only (an index on status, next_notice_at); only the
    tasks with a notice not yet claimed are written to, together in one transaction (so one
    person's reminders can be one message), and the rest have their next moment stored in
    another, so an idle sweep over many open tasks stays cheap."""
    replies: list[Reply] = []
    claimed: list[str] = []
    to_claim, later = await _tasks_with_new_notices(sessions, now)
    if to_claim:
        # All tasks with something new in ONE transaction: a person's reminders of several
        # tasks become one message (_bundle), and that message must be queued with the claims
        # of every task it names. Tasks are taken in id order, so two processes sweeping
        # together wait on each other's claims in the same order (no deadlock).
        async with transaction(sessions) as session:
            got: list[tuple[str, list[Reply]]] = []
            held: list[_Reminder] = []
            for task_id in to_claim:
                notices, holders = await _task_notices(session, task_id, now, worker)
                got += notices
                held += holders
            sent = [m for _key, messages in got for m in messages] + _bundle(held)
            # Claimed and queued in one transaction: "claimed" means "will be delivered".
            await enqueue(session, sent, now)
        claimed += [key for key, _messages in got]
        replies += sent
    if later:
        async with transaction(sessions) as session:
            await _store_next(session, later)
    async with transaction(sessions) as session:
        digest = await _digest(session, spec, now, worker)
        if digest is not None:
            await enqueue(session, digest[1], now)
    if digest is not None:
        claimed.append(digest[0])
        replies.extend(digest[1])
    if expiry_due(sessions, spec, now):
        async with transaction(sessions) as session:
            keys, reminders = await expiry_reminders(session, spec, now, worker)
            await enqueue(session, reminders, now)
        claimed += keys
        replies += reminders
    return SweepResult(replies, claimed)


@dataclass(frozen=True)
class _Next:
    """A task with nothing new to claim: its next moment, valid while its window is unchanged."""

    task_id: int
    due_at: datetime
    at: datetime | None


async def _tasks_with_new_notices(
    sessions: async_sessionmaker[AsyncSession], now: datetime
) -> tuple[list[int], list[_Next]]:
    wanted: dict[str, int] = {}
    later: dict[int, _Next] = {}
    async with reading(sessions) as session:
        rows = await session.execute(
            select(Task, Case.sop_version_id)
            .join(Case, Case.id == Task.case_id)
            .where(
                Task.status == engine.OPEN,
                or_(Task.next_notice_at.is_(None), Task.next_notice_at <= now),
            )
            .order_by(Task.due_at)
        )
        for task, version_id in rows.all():
            spec = await spec_of(session, version_id)
            later[task.id] = _Next(task.id, task.due_at, next_notice_at(spec, task, now))
            window, policy = window_of(task), policy_of(spec, task)
            for notice in due_notices(window, policy, calendar_of(spec), now):
                if task.kind == "revision" and notice.kind == "escalate":
                    continue  # never claimed (see _task_notices): no reason to look again
                wanted[notice.key] = task.id
        taken: set[str] = set()
        keys = list(wanted)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            taken.update(await session.scalars(select(Notice.key).where(Notice.key.in_(chunk))))
    to_claim = sorted({task_id for key, task_id in wanted.items() if key not in taken})
    for task_id in to_claim:
        later.pop(task_id)  # _task_notices stores its next moment along with the claims
    return to_claim, list(later.values())


async def _store_next(session: AsyncSession, later: list[_Next]) -> None:
    # Guarded by status and due_at: a task paused or resumed meanwhile (its window moved)
    # keeps what the engine gave it.
    for item in later:
        await session.execute(
            update(Task)
            .where(Task.id == item.task_id, Task.status == engine.OPEN, Task.due_at == item.due_at)
            .values(next_notice_at=item.at)
        )


async def claim(
    session: AsyncSession, key: str, kind: str, now: datetime, worker: str, task_id: int | None
) -> bool:
    """True for exactly one caller per key, across processes (unique index on key)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(Notice)
        .values(
            key=key,
            kind=kind,
            task_id=task_id,
            claimed_at=now,
            claimed_by=worker[:64],
            recipients=0,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Notice.id)
    )
    return result.scalar_one_or_none() is not None


@dataclass(frozen=True)
class _Reminder:
    """One holder's reminder of one task, held until the sweep knows whether that person has
    reminders of other tasks too (then they share one message, see _bundle)."""

    task_id: int
    due_at: datetime
    message: SendMessage  # the reply to the task's prompt, with its actions, sent when alone
    line: dict[str, object]  # what the bundle says of the task (sla_bundle.html.j2)


async def _task_notices(
    session: AsyncSession, task_id: int, now: datetime, worker: str
) -> tuple[list[tuple[str, list[Reply]]], list[_Reminder]]:
    """The notices of one task claimed now: (key, messages sent as they are) and the holders'
    reminders that may join a bundle (their key is listed with no message of its own)."""
    task = await session.get(Task, task_id)
    if task is None or task.status != engine.OPEN:
        return [], []
    case = await session.get(Case, task.case_id)
    if case is None:
        return [], []
    spec = await spec_of(session, case.sop_version_id)
    calendar = calendar_of(spec)
    out: list[tuple[str, list[Reply]]] = []
    task.next_notice_at = next_notice_at(spec, task, now)
    reminders: list[tuple[str, str]] = []  # (key, kind) claimed for the holders
    for notice in due_notices(window_of(task), policy_of(spec, task), calendar, now):
        if task.kind == "revision" and notice.kind == "escalate":
            continue  # the journalist's own delay; the case simply waits
        if not await claim(session, notice.key, notice.kind, now, worker, task.id):
            continue
        # An escalation stays a message of its own: it asks the superior to see to someone
        # else's delay, with no action of theirs to take, and "Buka" would refuse them (the
        # prompt is the holder's); several at once are rare (200 % of a standard) and grave.
        if notice.kind == "escalate":  # the superior's own message
            messages = await _messages(session, spec, calendar, case, task, notice.kind, now)
            out.append((notice.key, messages))
        else:
            reminders.append((notice.key, notice.kind))
    if not reminders:
        return out, []
    # Several notices at once ("overdue" and a repeat after a stop): one message to each
    # holder, for the gravest; every key is still claimed, so none comes again.
    kind = max((k for _key, k in reminders), key=SEVERITY.index)
    first = reminders[0][0]
    rest: list[tuple[str, list[Reply]]] = [(key, []) for key, _kind in reminders[1:]]
    if task.kind == "revision" or task.role == spec.applicant_role:
        # The journalist's own reminders never join a bundle: she rarely has two tasks at
        # once, her prompt is her own view, and /tugas is for officials.
        messages = await _messages(session, spec, calendar, case, task, kind, now)
        return [*out, (first, messages), *rest], []
    line = await _line(session, spec, calendar, case, task, kind, now)
    out += [(first, []), *rest]  # their messages come from _bundle, in the same transaction
    held = [
        _Reminder(task.id, task.due_at, message, line)
        for message in await _reminder(session, spec, case, task, line, now)
    ]
    return out, held


async def _messages(
    session: AsyncSession,
    spec: SopSpec,
    calendar: WorkingCalendar,
    case: Case,
    task: Task,
    kind: str,
    now: datetime,
) -> list[Reply]:
    late = format_span(calendar.elapsed(task.due_at, now, task.clock))  # type: ignore[arg-type]
    if task.kind == "revision":
        return await _revision_reminder(session, spec, case, task, kind != "warn")
    if kind == "escalate":
        return await _escalation(session, spec, case, task, late, now)
    line = await _line(session, spec, calendar, case, task, kind, now)
    return [*await _reminder(session, spec, case, task, line, now)]


async def _line(
    session: AsyncSession,
    spec: SopSpec,
    calendar: WorkingCalendar,
    case: Case,
    task: Task,
    kind: str,
    now: datetime,
) -> dict[str, object]:
    """What a reminder says of its task: which step, how late (or how long left), who waits."""
    applicant = await session.get(User, case.applicant_id)
    outlet = await session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
    return {
        "tz": spec.office.timezone,
        "kind": kind,
        "step": spec.step(task.step_number),
        "case": case,
        "due": task.due_at,
        "left": format_span(calendar.elapsed(now, task.due_at, task.clock)),  # type: ignore[arg-type]
        "late": format_span(calendar.elapsed(task.due_at, now, task.clock)),  # type: ignore[arg-type]
        "waiting": applicant.name if applicant else "",
        "outlet": outlet.name if outlet else "",
    }


async def _reminder(
    session: AsyncSession,
    spec: SopSpec,
    case: Case,
    task: Task,
    line: dict[str, object],
    now: datetime,
) -> list[SendMessage]:
    text = render("sla_reminder", own=task.role == spec.applicant_role, **line)
    # A short reply to the prompt it is about, with the step's actions only: the full prompt
    # is one tap up. It is a prompt copy too, so it loses its buttons once the step is done.
    markup = action_keyboard(spec, task)
    originals = await _originals(session, task.id)
    return [
        message(
            chat_of(user),
            text,
            markup,
            PromptRef(task.id, user.id),
            reply_to=originals.get(chat_of(user)),
        )
        for user in await engine.holders(session, spec, task, case, now)
    ]


def _bundle(held: list[_Reminder]) -> list[Reply]:
    """Each person's reminders of this sweep: one task alone stays the reply to its prompt with
    its actions; several tasks become one short list with a "Buka" button per task (never
    several tasks' actions in one message), within the phone limits of a prompt."""
    chats: dict[Chat, list[_Reminder]] = {}
    for item in held:
        chats.setdefault(Chat(item.message.platform, item.message.chat_id), []).append(item)
    out: list[Reply] = []
    for chat, items in chats.items():
        if len({item.task_id for item in items}) == 1:
            out += [item.message for item in items]
            continue
        items.sort(key=lambda item: (item.due_at, item.task_id))  # the longest waiting first
        shown = min(len(items), MAX_ROWS)
        while True:
            text = render(
                "sla_bundle",
                total=len(items),
                rows=[item.line for item in items[:shown]],
                more=len(items) - shown,
            )
            if shown == 1 or shown_length(text) <= PROMPT_LIMIT:
                break
            shown -= 1
        buttons = tuple(
            (
                Button(
                    f"{number}. "  # the line's number: the button of that line
                    + label(
                        "open_task",
                        case_name(item.line["case"], str(item.line["tz"])),
                        item.line["step"].number,  # type: ignore[attr-defined]
                    ),
                    Callback(Op.back, item.task_id, "new").pack(),  # as /tugas's "Buka"
                ),
            )
            for number, item in enumerate(items[:shown], start=1)
        )
        out.append(message(chat, text, InlineKeyboard(buttons)))
    return out


async def _originals(session: AsyncSession, task_id: int) -> dict[Chat, int]:
    """The first delivered prompt of the task in each chat (its message id, once sent)."""
    rows = await session.execute(
        select(TaskPrompt.platform, TaskPrompt.chat_id, TaskPrompt.message_id)
        .where(TaskPrompt.task_id == task_id, TaskPrompt.message_id.is_not(None))
        .order_by(TaskPrompt.id.desc())
    )
    return {Chat(p, chat): sent for p, chat, sent in rows.all() if sent is not None}


async def _revision_reminder(
    session: AsyncSession, spec: SopSpec, case: Case, task: Task, overdue: bool
) -> list[Reply]:
    applicant = await session.get(User, case.applicant_id)
    if applicant is None:
        return []
    text = render(
        "sla_revision", tz=spec.office.timezone, case=case, due=task.due_at, overdue=overdue
    )
    markup = InlineKeyboard(((Button(label("resubmit"), Callback(Op.resubmit, case.id).pack()),),))
    return [message(chat_of(applicant), text, markup)]


async def _escalation(
    session: AsyncSession, spec: SopSpec, case: Case, task: Task, late: str, now: datetime
) -> list[Reply]:
    superior = spec.next_role_up(task.role)
    if superior is None:
        return []
    holders = await engine.holders(session, spec, task, case, now)
    outlet, _applicant = await case_labels(session, case)
    step = spec.step(task.step_number)
    text = render(
        "sla_escalation",
        tz=spec.office.timezone,
        case=case,
        outlet=outlet,
        step=step,
        total=spec.total_steps,
        role=spec.role_name(task.role),
        activity=short(step.activity, 160),
        due=task.due_at,
        late=late,
        share=int(spec.sla_for(step).escalate_at * 100 - 100),
        holders=", ".join(u.name for u in holders) or "(belum ada pemegang peran)",
    )
    bosses = list(
        await session.scalars(
            select(User).join(UserRole).where(UserRole.role == superior).order_by(User.id)
        )
    )
    bosses += [u for u in await delegation.deputies(session, superior, now) if u not in bosses]
    return [message(chat_of(u), text) for u in bosses]


# ---------------------------------------------------------------- morning digest


async def _digest(
    session: AsyncSession, spec: SopSpec, now: datetime, worker: str
) -> tuple[str, list[Reply]] | None:
    calendar = calendar_of(spec)
    local = now.astimezone(ZoneInfo(spec.office.timezone))
    today = local.date()
    if not calendar.is_working_day(today):
        return None
    opening = calendar.next_open(local.replace(hour=0, minute=0, second=0, microsecond=0))
    if now < opening:
        return None
    key = f"digest:{spec.id}:{today.isoformat()}"
    roles = [r for r in spec.digest_roles if r in spec.roles]
    readers = list(
        await session.scalars(
            select(User).join(UserRole).where(UserRole.role.in_(roles)).distinct().order_by(User.id)
        )
    )
    if not readers or not await claim(session, key, "digest", now, worker, None):
        return None
    text = render(
        "digest",
        today=today,
        office=spec.office.name,
        open_cases=await session.scalar(select(func.count(Case.id)).where(Case.status != "closed")),
        waiting=await session.scalar(select(func.count(Case.id)).where(Case.status == "returned")),
        overdue=await _overdue_rows(session, now),
        lapsing=len(await outlet_lapsing.this_month(session, spec, today)),
    )
    return key, [message(chat_of(u), text) for u in readers]


async def _overdue_rows(session: AsyncSession, now: datetime) -> list[dict[str, object]]:
    rows = []
    tasks = await session.scalars(
        select(Task)
        .where(Task.status == engine.OPEN, Task.kind == "step", Task.due_at < now)
        .order_by(Task.due_at)
        .limit(DIGEST_ROWS)  # not every overdue task of the office, one query each
    )
    for task in tasks:
        case = await session.get(Case, task.case_id)
        if case is None:
            continue
        spec = await spec_of(session, case.sop_version_id)
        people = await engine.holders(session, spec, task, case, now)
        rows.append(
            {
                "people": ", ".join(p.name for p in people) or "-",
                "role": spec.role_name(task.role),
                "case_id": case.id,
                "name": case_name(case, spec.office.timezone),
                "step": task.step_number,
                "late": format_span(calendar_of(spec).elapsed(task.due_at, now, task.clock)),  # type: ignore[arg-type]
            }
        )
    return rows
