"""Who may see a case's files and records, and who may act on it at all.

Button data only names a task; whether its presser may see anything is decided here, from the
case itself: an official sees a case's files while one of their roles holds an open (or waiting)
task on it, or when one of their roles may see every case's records (the SOP's `records_roles`,
e.g. the head of office and the desk). Nobody acts as an official on a case they applied for.
Every file shown is an audit event of the case, so its history says who looked at what.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, Case, Document, Task, User
from workflow import delegation
from workflow.errors import NotAllowed
from workflow.spec import SopSpec

VIEW_ACTION = "document_view"
_LIVE = ("open", "waiting")


def own_case(case: Case, user: User) -> bool:
    return case.applicant_id == user.id


def check_not_applicant(spec: SopSpec, case: Case, role: str, user: User) -> None:
    """Separation of duties: an official's step on one's own request is refused, whatever
    roles one holds (the applicant's own steps stay theirs)."""
    if role != spec.applicant_role and own_case(case, user):
        raise NotAllowed("own_case")


async def viewing_role(
    session: AsyncSession, spec: SopSpec, case: Case, user: User, now: datetime | None = None
) -> str | None:
    """The role through which the user may see this case's files now (a deputy's role counts
    while the delegation runs at `now`), or None."""
    if own_case(case, user):
        return None  # the applicant has their own files; officials' view of them is not theirs
    roles = user.role_keys
    if now is not None:
        roles = roles | await delegation.deputy_roles(session, user, now)
    live = set(
        await session.scalars(
            select(Task.role).where(Task.case_id == case.id, Task.status.in_(_LIVE))
        )
    )
    for role in sorted(roles & live):
        return role
    for role in spec.records_roles:
        if role in roles:
            return role
    return None


async def require_view(
    session: AsyncSession, spec: SopSpec, case: Case, user: User, now: datetime | None = None
) -> str:
    role = await viewing_role(session, spec, case, user, now)
    if role is None:
        if own_case(case, user) and user.role_keys:
            check_not_applicant(spec, case, next(iter(sorted(user.role_keys))), user)
        raise NotAllowed("files_not_yours", case_id=case.id)
    return role


def record_view(
    session: AsyncSession,
    case: Case,
    user: User,
    role: str,
    document: Document,
    now: datetime,
    how: str = "telegram",
    as_deputy: int | None = None,
) -> AuditEvent:
    """One file shown to one official: who, which file, when (an event of the case); a deputy's
    view names the delegation it was made under."""
    event = AuditEvent(
        case_id=case.id,
        task_id=None,
        step_number=None,
        actor_id=user.id,
        role=role,
        action=VIEW_ACTION,
        note=None,
        attachments=[document.id],
        data={
            "document_id": document.id,
            "kind": document.kind,
            "via": how,
            **({delegation.AS_DEPUTY: as_deputy} if as_deputy else {}),
        },
        at=now.astimezone(UTC),
    )
    session.add(event)
    return event


RECORD_VIEW = "record_view"


def record_generated_view(
    session: AsyncSession,
    case_id: int,
    user_id: int,
    role: str,
    document: Document,
    now: datetime,
    how: str = "telegram",
) -> AuditEvent:
    """One record Mitra Media drew (disposition sheet, draft, numbered MoU/PKS, recap) sent to
    one official: who, which file, when. Kept apart from `document_view`, which tells the
    journalist that her own uploads were opened."""
    event = AuditEvent(
        case_id=case_id,
        task_id=None,
        step_number=None,
        actor_id=user_id,
        role=role,
        action=RECORD_VIEW,
        note=document.file_name,
        attachments=[document.id],
        data={"document_id": document.id, "kind": document.kind, "via": how},
        at=now.astimezone(UTC),
    )
    session.add(event)
    return event
