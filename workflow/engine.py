"""The SOP engine: cases move only along the actions their SOP version defines.

Every function takes the caller's session and changes state inside it; the caller commits once
per use case, so a refused action leaves the database exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import numbering
from storage.models import (
    Agreement,
    AuditEvent,
    Case,
    Delegation,
    Document,
    NewsItem,
    Payment,
    SopVersion,
    Task,
    User,
    UserRole,
)
from workflow import access, delegation, terms
from workflow.durations import Duration
from workflow.errors import (
    KelengkapanMissing,
    NotAllowed,
    NotFound,
    ReasonRequired,
    TaskClosed,
    UnknownAction,
)
from workflow.records import GENERATED
from workflow.registry import calendar_of, spec_of
from workflow.sla_schedule import schedule
from workflow.spec import END, Action, ActionKind, Condition, Effect, SopSpec, Step

OPEN, WAITING, DONE, CANCELLED = "open", "waiting", "done", "cancelled"
NOTE_MAX = 1000


@dataclass
class Transition:
    """What one action changed, so the front end can tell the right people."""

    case: Case
    spec: SopSpec
    event: AuditEvent
    closed_task: Task | None = None
    action: Action | None = None
    new_tasks: list[Task] = field(default_factory=list)
    resumed_task: Task | None = None
    case_closed: bool = False
    numbers: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- submission


async def submit_case(
    session: AsyncSession,
    *,
    version: SopVersion,
    applicant: User,
    outlet_id: int | None,
    subject: str,
    now: datetime,
    attachments: list[int] | None = None,
) -> Transition:
    spec = await spec_of(session, version.id)
    case = Case(
        sop_version_id=version.id,
        applicant_id=applicant.id,
        outlet_id=outlet_id,
        status=OPEN,
        current_step=spec.start,
        period=0,
        subject=_clean_note(subject) or "",
        created_at=now,
    )
    session.add(case)
    await session.flush()
    for doc_id in attachments or []:
        doc = await session.get(Document, doc_id)
        if doc is not None and doc.owner_id == applicant.id:
            doc.case_id = case.id
    event = _event(session, case, None, applicant, spec.applicant_role, "submit", now, subject)
    first = await _open_task(session, spec, case, spec.step(spec.start), now)
    result = Transition(case=case, spec=spec, event=event, new_tasks=[first])
    if first.role == spec.applicant_role:
        # The sheet's first step is the applicant's own submission: it is done by submitting.
        submit = next(a for a in spec.step(spec.start).actions if a.kind == ActionKind.forward)
        result = await act(session, task_id=first.id, actor=applicant, action=submit.name, now=now)
        result.event = event
    return result


# ---------------------------------------------------------------- acting on a task


async def act(
    session: AsyncSession,
    *,
    task_id: int,
    actor: User,
    action: str,
    now: datetime,
    note: str | None = None,
    confirm_checklist: bool = False,
) -> Transition:
    task, case, spec = await _load_open_task(session, task_id, for_update=True)
    step = spec.step(task.step_number)
    chosen = step.action(action) if task.kind == "step" else None
    if chosen is None:
        raise UnknownAction("unknown_action")
    deputy = await authorise(session, spec, case, task, actor, now)
    text = _clean_note(note)
    if chosen.needs_reason and not text:
        raise ReasonRequired(_reason_code(chosen))
    if chosen.kind in (ActionKind.forward, ActionKind.finish):
        await _check_kelengkapan(session, spec, case, task, step, confirm_checklist)
        if confirm_checklist:
            task.checklist = {**task.checklist, **{k.key: True for k in step.kelengkapan}}
    if chosen.kind == ActionKind.return_:
        returned = await _return_to_applicant(session, spec, case, task, actor, chosen, text, now)
        _as_deputy(returned.event, deputy)
        return returned
    task.status, task.closed_at, task.closed_by, task.action = DONE, now, actor.id, chosen.name
    task.next_notice_at = None  # no notices for a task that is not open
    task.assignee_id = task.assignee_id or actor.id
    numbers = await _apply_effects(session, spec, case, chosen, actor, now)
    event = _event(session, case, task, actor, task.role, chosen.name, now, text)
    event.data = {
        "kind": chosen.kind.value,
        "effects": [e.value for e in chosen.effects],
        **numbers,
    }
    _as_deputy(event, deputy)
    result = Transition(case=case, spec=spec, event=event, closed_task=task, action=chosen)
    result.numbers = numbers
    if chosen.kind == ActionKind.reject:
        await _close_case(session, case, "rejected", now)
        result.case_closed = True
        return result
    target = await _target(session, spec, case, chosen)
    if target == END or chosen.kind == ActionKind.finish:
        await _close_case(session, case, chosen.outcome or "completed", now)
        result.case_closed = True
        return result
    next_step = spec.step(int(target))
    result.new_tasks.append(await _open_task(session, spec, case, next_step, now))
    return result


async def resubmit(
    session: AsyncSession, *, case_id: int, actor: User, now: datetime, note: str | None = None
) -> Transition:
    """The applicant answers a return: the paused official task resumes with its time extended."""
    case = await _get_case(session, case_id)
    spec = await spec_of(session, case.sop_version_id)
    if case.applicant_id != actor.id:
        raise NotAllowed("not_your_case")
    revision = await session.scalar(
        select(Task).where(Task.case_id == case.id, Task.kind == "revision", Task.status == OPEN)
    )
    if revision is None or revision.parent_task_id is None:
        raise TaskClosed("not_waiting_revision")
    parent = await session.get(
        Task, revision.parent_task_id, with_for_update=True, populate_existing=True
    )
    if parent is None or parent.status != WAITING or parent.paused_at is None:
        raise TaskClosed("not_waiting_revision")
    revision.status, revision.closed_at, revision.closed_by = DONE, now, actor.id
    revision.action = "resubmit"
    revision.next_notice_at = None
    calendar = calendar_of(spec)
    paused = calendar.elapsed(parent.paused_at, now, parent.clock)  # type: ignore[arg-type]
    parent.due_at = calendar.extend(parent.due_at, paused, parent.clock)  # type: ignore[arg-type]
    parent.sla_start_at = calendar.extend(
        parent.sla_start_at or parent.created_at,
        paused,
        parent.clock,  # type: ignore[arg-type]
    )
    parent.paused_seconds += int((now - parent.paused_at).total_seconds())
    parent.paused_at, parent.status = None, OPEN
    schedule(spec, parent)  # its window moved: look again from its first moment
    case.status = OPEN
    attachments = await _docs_since(session, case, revision.created_at)
    event = _event(session, case, revision, actor, spec.applicant_role, "resubmit", now, note)
    event.attachments = attachments
    return Transition(case=case, spec=spec, event=event, closed_task=revision, resumed_task=parent)


async def toggle_check(
    session: AsyncSession, *, task_id: int, actor: User, key: str, now: datetime
) -> Task:
    task, case, spec = await _load_open_task(session, task_id, for_update=True)
    deputy = await authorise(session, spec, case, task, actor, now)
    step = spec.step(task.step_number)
    if key not in {k.key for k in step.kelengkapan}:
        raise UnknownAction("unknown_check")
    value = not bool(task.checklist.get(key))
    task.checklist = {**task.checklist, key: value}
    task.assignee_id = task.assignee_id or actor.id
    event = _event(session, case, task, actor, task.role, "check", now, None)
    event.data = {key: value}
    _as_deputy(event, deputy)
    return task


async def add_note(
    session: AsyncSession, *, task_id: int, actor: User, note: str, now: datetime
) -> AuditEvent:
    """A disposition note: an event of its own, so the disposition sheet can be rebuilt."""
    task, case, spec = await _load_open_task(session, task_id)
    deputy = await authorise(session, spec, case, task, actor, now)
    text = _clean_note(note)
    if not text:
        raise ReasonRequired("note_empty")
    event = _event(session, case, task, actor, task.role, "note", now, text)
    _as_deputy(event, deputy)
    return event


async def add_news(
    session: AsyncSession,
    *,
    case_id: int,
    actor: User,
    title: str,
    url: str,
    published_on: date,
    now: datetime,
    screenshot_id: int | None = None,
) -> NewsItem:
    case = await _get_case(session, case_id)
    spec = await spec_of(session, case.sop_version_id)
    if case.applicant_id != actor.id:
        raise NotAllowed("not_your_case")
    task = await open_task_of_case(session, case.id)
    if task is None or not spec.step(task.step_number).starts_period:
        raise TaskClosed("not_news_time")
    item = NewsItem(
        case_id=case.id,
        period=case.period,
        title=title.strip()[:300],
        url=url.strip()[:500],
        published_on=published_on,
        screenshot_id=screenshot_id,
        submitted_at=now,
    )
    session.add(item)
    await session.flush()
    event = _event(session, case, task, actor, spec.applicant_role, "news", now, title)
    event.data = {"news_id": item.id, "url": item.url, "period": case.period}
    event.attachments = [screenshot_id] if screenshot_id else []
    return item


# ---------------------------------------------------------------- queries


async def open_task_of_case(session: AsyncSession, case_id: int) -> Task | None:
    return await session.scalar(
        select(Task)
        .where(Task.case_id == case_id, Task.status.in_((OPEN, WAITING)), Task.kind == "step")
        .order_by(Task.id.desc())
    )


async def news_count(session: AsyncSession, case_id: int, period: int) -> int:
    count = await session.scalar(
        select(func.count(NewsItem.id)).where(
            NewsItem.case_id == case_id, NewsItem.period == period
        )
    )
    return int(count or 0)


async def holders(
    session: AsyncSession, spec: SopSpec, task: Task, case: Case, now: datetime | None = None
) -> list[User]:
    """Everyone who may act on a task: the applicant for his own steps, else the role's holders
    (and, given `now`, the role's deputies then)."""
    if task.role == spec.applicant_role:
        applicant = await session.get(User, case.applicant_id)
        return [applicant] if applicant else []
    rows = list(
        await session.scalars(
            select(User).join(UserRole).where(UserRole.role == task.role).order_by(User.id)
        )
    )
    if now is not None:
        rows += [u for u in await delegation.deputies(session, task.role, now) if u not in rows]
    return [user for user in rows if user.id != case.applicant_id]  # never on one's own case


async def case_documents(session: AsyncSession, case: Case) -> list[Document]:
    """The case's own files plus the applicant's registration documents (uploads: the records
    Mitra Media draws itself are sent with their steps, see handlers.documents)."""
    own = (Document.case_id == case.id) | (
        (Document.owner_id == case.applicant_id) & Document.case_id.is_(None)
    )
    if case.outlet_id is not None:  # and the outlet's papers from the registry
        own = own | ((Document.outlet_id == case.outlet_id) & Document.case_id.is_(None))
    rows = await session.scalars(
        select(Document).where(own).where(Document.kind.not_in(GENERATED)).order_by(Document.id)
    )
    return list(rows)


# ---------------------------------------------------------------- internals


async def _load_open_task(
    session: AsyncSession, task_id: int, for_update: bool = False
) -> tuple[Task, Case, SopSpec]:
    # populate_existing: the caller may have loaded the task already in this session; the row
    # as it is once our lock is granted (another process may just have acted on it) must
    # replace that copy, or both presses pass the status check below.
    task = await session.get(
        Task, task_id, with_for_update=for_update, populate_existing=for_update
    )
    if task is None:
        raise NotFound("task_not_found")
    case = await _get_case(session, task.case_id)
    spec = await spec_of(session, case.sop_version_id)
    if task.status == WAITING:
        raise TaskClosed("task_waiting_applicant")
    if task.status != OPEN:
        raise TaskClosed("task_done")
    return task, case, spec


async def _get_case(session: AsyncSession, case_id: int) -> Case:
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFound("case_not_found")
    return case


async def authorise(
    session: AsyncSession, spec: SopSpec, case: Case, task: Task, actor: User, now: datetime
) -> Delegation | None:
    """check_actor, with the role's deputies at `now`: the delegation acted under, or None."""
    deputy = None
    if task.role != spec.applicant_role and task.role not in actor.role_keys:
        deputy = await delegation.acting_for(session, actor, task.role, now)
    check_actor(spec, case, task, actor, deputy_for={deputy.role} if deputy else set())
    return deputy


def _as_deputy(event: AuditEvent, deputy: Delegation | None) -> None:
    if deputy is not None:
        event.data = {**(event.data or {}), delegation.AS_DEPUTY: deputy.id}


def check_actor(
    spec: SopSpec, case: Case, task: Task, actor: User, deputy_for: set[str] | None = None
) -> None:
    if task.role == spec.applicant_role:
        if case.applicant_id != actor.id:
            raise NotAllowed("applicant_only")
        return
    if task.role not in actor.role_keys and task.role not in (deputy_for or set()):
        raise NotAllowed("not_your_role", role=spec.role_name(task.role))
    access.check_not_applicant(spec, case, task.role, actor)


async def _check_kelengkapan(
    session: AsyncSession,
    spec: SopSpec,
    case: Case,
    task: Task,
    step: Step,
    confirm_checklist: bool,
) -> None:
    present = await _present_kinds(session, case)
    missing_docs = [
        k.label for k in step.kelengkapan if k.required and k.document and k.document not in present
    ]
    missing_checks = [
        k.label
        for k in step.kelengkapan
        if k.required and not k.document and not task.checklist.get(k.key)
    ]
    if missing_docs:
        raise KelengkapanMissing(
            "kelengkapan_unattached",
            missing_docs + missing_checks,
            confirmable=False,
        )
    if missing_checks and not confirm_checklist:
        raise KelengkapanMissing(
            "kelengkapan_unchecked",
            missing_checks,
            confirmable=True,
        )


async def _present_kinds(session: AsyncSession, case: Case) -> set[str]:
    documents = await case_documents(session, case)
    kinds = {d.kind for d in documents}
    if any(d.outlet_id is not None for d in documents):
        kinds.add("media_proof")  # the outlet's registry papers prove it owns the medium
    if await news_count(session, case.id, case.period):
        kinds.add("news")
    return kinds


async def _return_to_applicant(
    session: AsyncSession,
    spec: SopSpec,
    case: Case,
    task: Task,
    actor: User,
    action: Action,
    note: str | None,
    now: datetime,
) -> Transition:
    task.status, task.paused_at = WAITING, now
    task.next_notice_at = None  # paused: resubmit() schedules it again
    task.assignee_id = task.assignee_id or actor.id
    case.status = "returned"
    revision = await _new_task(
        session,
        spec,
        case,
        task.step_number,
        spec.applicant_role,
        now,
        spec.revision_time,
        "calendar",
        kind="revision",
        parent_task_id=task.id,
    )
    event = _event(session, case, task, actor, task.role, action.name, now, note)
    event.data = {"kind": "return"}
    return Transition(
        case=case, spec=spec, event=event, closed_task=task, action=action, new_tasks=[revision]
    )


async def _open_task(
    session: AsyncSession, spec: SopSpec, case: Case, step: Step, now: datetime
) -> Task:
    if step.starts_period:
        case.period += 1
    case.current_step = step.number
    return await _new_task(session, spec, case, step.number, step.role, now, step.time, step.clock)


async def _new_task(
    session: AsyncSession,
    spec: SopSpec,
    case: Case,
    step_number: int,
    role: str,
    now: datetime,
    standard: Duration,
    clock: Literal["working", "calendar"],
    *,
    kind: str = "step",
    parent_task_id: int | None = None,
) -> Task:
    task = Task(
        case_id=case.id,
        step_number=step_number,
        kind=kind,
        role=role,
        period=case.period,
        status=OPEN,
        checklist={},
        created_at=now,
        sla_start_at=now,
        due_at=calendar_of(spec).add(now, standard, clock),
        clock=clock,
        parent_task_id=parent_task_id,
    )
    schedule(spec, task)
    session.add(task)
    await session.flush()
    return task


async def _target(session: AsyncSession, spec: SopSpec, case: Case, action: Action) -> int | str:
    if action.to is not None:
        return action.to
    for branch in action.branches:
        if branch.when is None or await _holds(session, case, spec, branch.when):
            return branch.to
    return END


async def _holds(session: AsyncSession, case: Case, spec: SopSpec, condition: Condition) -> bool:
    if condition == Condition.periods_remaining:
        agreement = await _agreement(session, spec, case)
        return case.period < agreement.periods
    raise ValueError(condition)


async def _apply_effects(
    session: AsyncSession, spec: SopSpec, case: Case, action: Action, actor: User, now: datetime
) -> dict[str, str]:
    numbers: dict[str, str] = {}
    local = now.astimezone(ZoneInfo(spec.office.timezone))
    for effect in action.effects:
        if effect == Effect.agenda_number and case.agenda_number is None:
            seq = await numbering.next_value(session, f"{spec.id}:agenda", local.year)
            case.agenda_number = numbering.format_number(
                spec.numbering.agenda, seq, local.year, local.month
            )
            numbers["agenda_number"] = case.agenda_number
        elif effect == Effect.agreement_number:
            agreement = await _agreement(session, spec, case)
            if agreement.number is None:
                seq = await numbering.next_value(session, f"{spec.id}:agreement", local.year)
                agreement.number = numbering.format_number(
                    spec.numbering.agreement, seq, local.year, local.month
                )
                agreement.numbered_at = now
            numbers["agreement_number"] = agreement.number
        elif effect == Effect.sign:
            agreement = await _agreement(session, spec, case)
            agreement.signed_at, agreement.signed_by = now, actor.id
        elif effect in (Effect.spj_ready, Effect.payment_confirmed):
            payment = await _payment(session, case)
            if effect == Effect.spj_ready:
                payment.spj_ready_at = now
            else:
                payment.confirmed_at = now
    return numbers


async def _agreement(session: AsyncSession, spec: SopSpec, case: Case) -> Agreement:
    return await terms.ensure_agreement(session, spec, case)


async def _payment(session: AsyncSession, case: Case) -> Payment:
    payment = await session.scalar(
        select(Payment).where(Payment.case_id == case.id, Payment.period == case.period)
    )
    if payment is None:
        payment = Payment(case_id=case.id, period=case.period)
        session.add(payment)
        await session.flush()
    return payment


async def _close_case(session: AsyncSession, case: Case, outcome: str, now: datetime) -> None:
    case.status, case.outcome, case.closed_at, case.current_step = "closed", outcome, now, None
    rows = await session.scalars(
        select(Task).where(Task.case_id == case.id, Task.status.in_((OPEN, WAITING)))
    )
    for other in rows:
        other.status, other.closed_at = CANCELLED, now
        other.next_notice_at = None


async def _docs_since(session: AsyncSession, case: Case, since: datetime) -> list[Any]:
    rows = await session.scalars(
        select(Document.id).where(
            Document.owner_id == case.applicant_id, Document.uploaded_at >= since
        )
    )
    return list(rows)


def _event(
    session: AsyncSession,
    case: Case,
    task: Task | None,
    actor: User | None,
    role: str | None,
    action: str,
    now: datetime,
    note: str | None,
) -> AuditEvent:
    event = AuditEvent(
        case_id=case.id,
        task_id=task.id if task else None,
        step_number=task.step_number if task else None,
        actor_id=actor.id if actor else None,
        role=role,
        action=action,
        note=_clean_note(note),
        attachments=[],
        data={},
        at=now.astimezone(UTC),
    )
    session.add(event)
    return event


def _clean_note(note: str | None) -> str | None:
    if note is None:
        return None
    text = note.strip()
    return text[:NOTE_MAX] if text else None


def _reason_code(action: Action) -> str:
    """The refusal code (templates/messages/refusals.txt.j2) for a missing reason or note."""
    if action.kind == ActionKind.reject:
        return "reason_for_reject"
    if action.kind == ActionKind.return_:
        return "reason_for_return"
    return "note_required"
