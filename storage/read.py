"""The read layer: what is open, who holds it, by when, and what happened, as plain data.

The playground's side panel reads through here, so a later office dashboard and the chat
handlers can share one place for these queries instead of each writing its own SQL. Nothing
here writes; every function takes a session and returns frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Account,
    AuditEvent,
    Case,
    MediaOutlet,
    Outbox,
    ProcessedUpdate,
    Task,
    TaskPrompt,
    User,
    UserRole,
)

OPEN_TASK = "open"


@dataclass(frozen=True)
class OpenCase:
    """A case not yet closed, with the task it waits on (if any)."""

    case_id: int
    sop_version_id: int
    status: str
    agenda_number: str | None
    subject: str
    applicant: str
    outlet: str | None
    created_at: datetime
    task_id: int | None
    step_number: int | None
    task_kind: str | None
    role: str | None
    period: int
    due_at: datetime | None
    sla_start_at: datetime | None
    clock: str | None
    holders: tuple[str, ...]  # names of the people who may act on the task


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    action: str
    step_number: int | None
    role: str | None
    actor: str | None
    note: str | None
    as_deputy: bool = False  # acted as the role's deputy (Plh/Plt)


async def open_cases(
    session: AsyncSession, applicant_role: str, *, limit: int = 50
) -> list[OpenCase]:
    """Cases not closed, newest first, each with its open task and that task's holders: the
    applicant for his own steps (``applicant_role``), else everyone holding the task's role."""
    rows = await session.execute(
        select(Case, User, MediaOutlet)
        .join(User, User.id == Case.applicant_id)
        .outerjoin(MediaOutlet, MediaOutlet.id == Case.outlet_id)
        .where(Case.status != "closed")
        .order_by(Case.id.desc())
        .limit(limit)
    )
    found = rows.all()
    case_ids = [case.id for case, _user, _outlet in found]
    tasks: dict[int, Task] = {}
    if case_ids:
        for open_task in await session.scalars(
            select(Task)
            .where(Task.case_id.in_(case_ids), Task.status == OPEN_TASK)
            .order_by(Task.id)
        ):
            tasks.setdefault(open_task.case_id, open_task)
    role_holders = await _role_holders(
        session, {t.role for t in tasks.values() if t.role != applicant_role}
    )
    out: list[OpenCase] = []
    for case, applicant, outlet in found:
        task = tasks.get(case.id)
        if task is None:
            holders: tuple[str, ...] = ()
        elif task.role == applicant_role:
            holders = (applicant.name,)
        else:
            holders = role_holders.get(task.role, ())
        out.append(
            OpenCase(
                case_id=case.id,
                sop_version_id=case.sop_version_id,
                status=case.status,
                agenda_number=case.agenda_number,
                subject=case.subject,
                applicant=applicant.name,
                outlet=outlet.name if outlet else None,
                created_at=case.created_at,
                task_id=task.id if task else None,
                step_number=task.step_number if task else None,
                task_kind=task.kind if task else None,
                role=task.role if task else None,
                period=task.period if task else case.period,
                due_at=task.due_at if task else None,
                sla_start_at=(task.sla_start_at or task.created_at) if task else None,
                clock=task.clock if task else None,
                holders=holders,
            )
        )
    return out


async def _role_holders(session: AsyncSession, roles: set[str]) -> dict[str, tuple[str, ...]]:
    if not roles:
        return {}
    rows = await session.execute(
        select(UserRole.role, User.name)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role.in_(roles))
        .order_by(User.id)
    )
    out: dict[str, list[str]] = {}
    for role, name in rows.all():
        out.setdefault(role, []).append(name)
    return {role: tuple(names) for role, names in out.items()}


async def case_history(session: AsyncSession, case_id: int) -> list[HistoryEntry]:
    """The case's audit trail, oldest first, with the actor's name."""
    rows = await session.execute(
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.case_id == case_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [
        HistoryEntry(
            event.at,
            event.action,
            event.step_number,
            event.role,
            name,
            event.note,
            bool((event.data or {}).get("as_deputy")),  # workflow.delegation.AS_DEPUTY
        )
        for event, name in rows.all()
    ]


async def role_members(
    session: AsyncSession, ids: list[int], platform: str = "telegram"
) -> dict[int, list[str]]:
    """Roles held by each of these accounts of a platform (an official onboarded holds one)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Account.external_id, UserRole.role)
        .join(UserRole, UserRole.user_id == Account.user_id)
        .where(Account.platform == platform, Account.external_id.in_(ids))
    )
    out: dict[int, list[str]] = {}
    for account_id, role in rows.all():
        out.setdefault(account_id, []).append(role)
    return out


async def latest_activity(session: AsyncSession) -> datetime | None:
    """When anything last happened: the newest audit event or message queued for sending."""
    found: list[datetime] = []
    for column in (AuditEvent.at, Outbox.created_at):
        latest: datetime | None = await session.scalar(select(func.max(column)))
        if latest is not None:
            found.append(latest)
    return max(found, default=None)


async def known_message_ids(session: AsyncSession) -> dict[int, int]:
    """Per chat, the highest message id the bot has sent or still refers to (a prompt it may
    edit): a new chat session must number its messages above these."""
    out: dict[int, int] = {}
    for table in (Outbox, TaskPrompt):
        rows = await session.execute(
            select(table.chat_id, func.max(table.message_id))
            .where(table.message_id.is_not(None))
            .group_by(table.chat_id)
        )
        for chat_id, message_id in rows.all():
            out[chat_id] = max(out.get(chat_id, 0), int(message_id))
    return out


async def last_update_id(session: AsyncSession) -> int | None:
    """The newest Telegram update id the bot has processed."""
    latest: int | None = await session.scalar(select(func.max(ProcessedUpdate.update_id)))
    return latest
