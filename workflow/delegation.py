"""Deputies (Plh/Plt): an official who holds a role for a period while its holder is away.

A delegation is active while `starts_at <= now < ends_at` and it was not ended early, judged
against the caller's (injected) clock: it starts and ends by itself, no job has to flip it. While
active the deputy gets the role's prompts and may act in it; what they do is recorded with the
role (so the records still group by it) and `as_deputy` (the delegation's id) in the audit
event's data, which the records show as "Plh. <role name>". Separation of duties applies to a
deputy as to anyone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Delegation, User
from workflow.errors import NotAllowed, NotFound
from workflow.spec import SopSpec

AS_DEPUTY = "as_deputy"  # the audit event's data key: the delegation the actor acted under


def active_at(now: datetime) -> ColumnElement[bool]:
    return and_(
        Delegation.starts_at <= now,
        Delegation.ends_at > now,
        or_(Delegation.ended_at.is_(None), Delegation.ended_at > now),
    )


def is_active(delegation: Delegation, now: datetime) -> bool:
    ended = delegation.ended_at
    return delegation.starts_at <= now < delegation.ends_at and (ended is None or ended > now)


def end_of(delegation: Delegation) -> datetime:
    """When it stops (or stopped): its end, or the moment it was ended early."""
    return min(delegation.ends_at, delegation.ended_at or delegation.ends_at)


def period(spec: SopSpec, first: date, last: date) -> tuple[datetime, datetime]:
    """Whole days in the office's zone: from the first day's 00:00 to the end of the last."""
    zone = ZoneInfo(spec.office.timezone)
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


async def active(
    session: AsyncSession, now: datetime, *, role: str | None = None, deputy_id: int | None = None
) -> list[Delegation]:
    query = select(Delegation).where(active_at(now)).order_by(Delegation.id)
    if role is not None:
        query = query.where(Delegation.role == role)
    if deputy_id is not None:
        query = query.where(Delegation.deputy_id == deputy_id)
    return list(await session.scalars(query))


async def acting_for(
    session: AsyncSession, user: User, role: str, now: datetime
) -> Delegation | None:
    """The delegation under which `user` may act in `role` now (None if they hold it or not)."""
    if role in user.role_keys:
        return None
    found = await active(session, now, role=role, deputy_id=user.id)
    return found[0] if found else None


async def deputy_roles(session: AsyncSession, user: User, now: datetime) -> set[str]:
    return {d.role for d in await active(session, now, deputy_id=user.id)}


async def roles_now(session: AsyncSession, user: User, now: datetime) -> set[str]:
    """The roles a user may act in now: their own and those they deputise."""
    return user.role_keys | await deputy_roles(session, user, now)


async def lapsed(session: AsyncSession, user: User, role: str, now: datetime) -> Delegation | None:
    """The user's latest delegation for `role` that is over (for a polite refusal)."""
    rows = await session.scalars(
        select(Delegation)
        .where(Delegation.deputy_id == user.id, Delegation.role == role)
        .order_by(Delegation.ends_at.desc())
    )
    for delegation in rows:
        if delegation.starts_at <= now and not is_active(delegation, now):
            return delegation
    return None


async def deputies(session: AsyncSession, role: str, now: datetime) -> list[User]:
    rows = await active(session, now, role=role)
    users = [await session.get(User, d.deputy_id) for d in rows]
    return [u for u in users if u is not None]


async def create(
    session: AsyncSession,
    spec: SopSpec,
    *,
    role: str,
    deputy: User,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    created_by: User | None = None,
    holder: User | None = None,
) -> Delegation:
    """Refused (with the reason) for a role the SOP lacks, the applicant's role, a deputy who
    holds the role already, an empty or past period, or one overlapping another of theirs."""
    if role not in spec.roles or role == spec.applicant_role:
        known = ", ".join(k for k in spec.roles if k != spec.applicant_role)
        raise NotFound("unknown_role", role=role, known=known)
    name = spec.role_name(role)
    if role in deputy.role_keys:
        raise NotAllowed("deputy_holds_role", name=deputy.name, role=name)
    if ends_at <= starts_at:
        raise NotAllowed("period_empty")
    if ends_at <= now:
        raise NotAllowed("period_past")
    if holder is None:
        holders = list(
            await session.scalars(
                select(User).where(User.roles.any(role=role)).where(User.id != deputy.id)
            )
        )
        holder = holders[0] if len(holders) == 1 else None
    overlapping = await session.scalar(
        select(Delegation.id).where(
            Delegation.deputy_id == deputy.id,
            Delegation.role == role,
            Delegation.ended_at.is_(None),
            Delegation.starts_at < ends_at,
            Delegation.ends_at > starts_at,
        )
    )
    if overlapping is not None:
        raise NotAllowed(
            "deputy_overlap", name=deputy.name, title=spec.role_title(role, True), id=overlapping
        )
    delegation = Delegation(
        role=role,
        holder_id=holder.id if holder else None,
        deputy_id=deputy.id,
        starts_at=starts_at.astimezone(UTC),
        ends_at=ends_at.astimezone(UTC),
        created_by=created_by.id if created_by else None,
        created_at=now,
    )
    session.add(delegation)
    await session.flush()
    return delegation


async def end(session: AsyncSession, delegation_id: int, now: datetime) -> Delegation:
    delegation = await session.get(Delegation, delegation_id, with_for_update=True)
    if delegation is None:
        raise NotFound("delegation_not_found", id=delegation_id)
    if delegation.ended_at is not None or delegation.ends_at <= now:
        raise NotAllowed("delegation_over", id=delegation_id)
    delegation.ended_at = now
    return delegation


async def listed(session: AsyncSession, now: datetime) -> list[Delegation]:
    """Current and coming delegations, then the ten latest over, newest first."""
    rows = list(await session.scalars(select(Delegation).order_by(Delegation.starts_at.desc())))
    live = [d for d in rows if end_of(d) > now]
    over = [d for d in rows if end_of(d) <= now][:10]
    return sorted(live, key=lambda d: d.starts_at) + over


def title_of(spec: SopSpec, role: str | None, data: dict[str, object] | None) -> str:
    """The role an audit event was done in, as the records show it ("Plh. Kepala Dinas")."""
    return spec.role_title(role or "", bool((data or {}).get(AS_DEPUTY)))
