"""The outlet registry: companies, the journalists who represent them, papers, the yearly
registration and its renewal. Every rule comes from the SOP's `qualification:`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Document, MediaOutlet, OutletChange, OutletMember, User
from workflow.qualification import OutletFacts, grade, missing, registration_expiry
from workflow.spec_qualification import OutletField, Qualification

FIELD_COLUMNS = tuple(OutletField.__members__)  # each has a column of its own on MediaOutlet


def code_for(outlet_id: int) -> str:
    return f"M{outlet_id:04d}"


async def outlet_of(session: AsyncSession, user: User) -> MediaOutlet | None:
    """The outlet a journalist represents now (their newest own outlet, for older records)."""
    member = await session.scalar(select(OutletMember).where(OutletMember.user_id == user.id))
    if member is not None:
        return await session.get(MediaOutlet, member.outlet_id)
    return await session.scalar(
        select(MediaOutlet).where(MediaOutlet.owner_id == user.id).order_by(MediaOutlet.id.desc())
    )


async def by_code(session: AsyncSession, code: str) -> MediaOutlet | None:
    return await session.scalar(
        select(MediaOutlet).where(func.upper(MediaOutlet.code) == code.strip().upper())
    )


async def search(session: AsyncSession, text: str, limit: int = 5) -> list[MediaOutlet]:
    """Outlets by their code (exact) or a part of their name, best first."""
    words = " ".join(text.split())
    if not words:
        return []
    pattern = f"%{words.lower()}%"
    query = (
        select(MediaOutlet)
        .where(
            or_(
                func.upper(MediaOutlet.code) == words.upper(),
                func.lower(MediaOutlet.name).like(pattern),
            )
        )
        .order_by(func.length(MediaOutlet.name), MediaOutlet.id)
        .limit(limit)
    )
    return list(await session.scalars(query))


async def create(
    session: AsyncSession,
    owner: User,
    *,
    name: str,
    kind: str,
    fields: dict[str, Any],
    rules: Qualification,
    now: datetime,
    today: date,
) -> MediaOutlet:
    """A new outlet, registered today for the rules' period, its registering journalist its
    first member."""
    outlet = MediaOutlet(
        owner_id=owner.id,
        name=name,
        kind=kind,
        website=str(fields.get("website") or ""),
        created_at=now,
        registered_on=today,
        registered_until=registration_expiry(rules, today),
    )
    for key in FIELD_COLUMNS:
        if key != "website" and fields.get(key) not in (None, ""):
            setattr(outlet, key, _column_value(key, fields[key]))
    session.add(outlet)
    await session.flush()
    outlet.code = code_for(outlet.id)
    await join(session, owner, outlet, now)
    return outlet


def _column_value(key: str, value: Any) -> Any:
    if key == "dewan_pers_date" and isinstance(value, str):
        return date.fromisoformat(value)
    if key == "publishing_months":
        return int(value)
    return value


async def join(session: AsyncSession, user: User, outlet: MediaOutlet, now: datetime) -> bool:
    """Make `user` a representative of `outlet`. A journalist who already represents another
    outlet is not moved: a change request waits for an admin (returns False)."""
    member = await session.scalar(select(OutletMember).where(OutletMember.user_id == user.id))
    if member is None:
        session.add(OutletMember(outlet_id=outlet.id, user_id=user.id, joined_at=now))
        await session.flush()
        return True
    if member.outlet_id == outlet.id:
        return True
    pending = await pending_change(session, user)
    if pending is not None:
        pending.outlet_id, pending.requested_at = outlet.id, now
    else:
        session.add(OutletChange(user_id=user.id, outlet_id=outlet.id, requested_at=now))
    await session.flush()
    return False


async def pending_change(session: AsyncSession, user: User) -> OutletChange | None:
    return await session.scalar(
        select(OutletChange).where(
            OutletChange.user_id == user.id, OutletChange.decided_at.is_(None)
        )
    )


async def decide_change(
    session: AsyncSession, change: OutletChange, admin: User, confirm: bool, now: datetime
) -> None:
    """The admin's answer to a change request: confirmed moves the journalist."""
    change.decided_at, change.decided_by = now, admin.id
    change.outcome = "confirmed" if confirm else "refused"
    if confirm:
        member = await session.scalar(
            select(OutletMember).where(OutletMember.user_id == change.user_id)
        )
        if member is None:
            session.add(
                OutletMember(outlet_id=change.outlet_id, user_id=change.user_id, joined_at=now)
            )
        else:
            member.outlet_id, member.joined_at = change.outlet_id, now
    await session.flush()


async def members(session: AsyncSession, outlet: MediaOutlet) -> list[User]:
    return list(
        await session.scalars(
            select(User)
            .join(OutletMember, OutletMember.user_id == User.id)
            .where(OutletMember.outlet_id == outlet.id)
            .order_by(OutletMember.joined_at, User.id)
        )
    )


async def papers(session: AsyncSession, outlet: MediaOutlet) -> list[Document]:
    """The outlet's papers, the newest of each kind first."""
    return list(
        await session.scalars(
            select(Document)
            .where(Document.outlet_id == outlet.id)
            .order_by(Document.kind, Document.uploaded_at.desc(), Document.id.desc())
        )
    )


async def facts(session: AsyncSession, outlet: MediaOutlet) -> OutletFacts:
    """The outlet as the rules see it: its facts and, per paper, the newest copy's expiry."""
    documents: dict[str, date | None] = {}
    for doc in await papers(session, outlet):
        documents.setdefault(doc.kind, doc.expires_on)
    fields = {key: getattr(outlet, key) for key in FIELD_COLUMNS}
    fields["website"] = outlet.website or None
    return OutletFacts(outlet.kind, fields, documents)


@dataclass(frozen=True)
class Standing:
    grade: str | None
    missing: list[str]
    lapsed: bool  # the yearly registration ran out


async def standing(
    session: AsyncSession, outlet: MediaOutlet, rules: Qualification, today: date
) -> Standing:
    snapshot = await facts(session, outlet)
    return Standing(
        grade=grade(rules, snapshot, today),
        missing=missing(rules, snapshot, today),
        lapsed=is_lapsed(outlet, today),
    )


def is_lapsed(outlet: MediaOutlet, today: date) -> bool:
    return outlet.registered_until is not None and outlet.registered_until <= today


def renew(outlet: MediaOutlet, rules: Qualification, today: date) -> date:
    """Registered again for a new period, counted from today (or from the old end, if that is
    still ahead: renewing early loses nothing)."""
    start = max(today, outlet.registered_until or today)
    outlet.registered_on = today
    outlet.registered_until = registration_expiry(rules, start)
    return outlet.registered_until


async def lapsing(session: AsyncSession, start: date, end: date) -> list[MediaOutlet]:
    """Outlets whose registration runs out in [start, end)."""
    return list(
        await session.scalars(
            select(MediaOutlet)
            .where(MediaOutlet.registered_until >= start, MediaOutlet.registered_until < end)
            .order_by(MediaOutlet.registered_until, MediaOutlet.name)
        )
    )


async def lapsing_items(
    session: AsyncSession, start: date, end: date
) -> list[tuple[MediaOutlet, str, date]]:
    """What of which outlet runs out in [start, end): its yearly registration ("registration")
    or one of its papers (the qualification document key), soonest first."""
    items: list[tuple[MediaOutlet, str, date]] = [
        (o, "registration", o.registered_until)  # type: ignore[misc]
        for o in await lapsing(session, start, end)
    ]
    found = await session.execute(
        select(Document, MediaOutlet)
        .join(MediaOutlet, MediaOutlet.id == Document.outlet_id)
        .where(Document.expires_on >= start, Document.expires_on < end)
    )
    for doc, outlet in found.all():
        # Only the newest copy of a paper counts (as in `facts`): a renewed paper is not lapsing.
        newest = next(d for d in await papers(session, outlet) if d.kind == doc.kind)
        if newest.id == doc.id and doc.expires_on is not None:
            items.append((outlet, doc.kind, doc.expires_on))
    return sorted(items, key=lambda i: (i[2], i[0].name, i[0].id, i[1]))


async def all_outlets(session: AsyncSession) -> list[MediaOutlet]:
    return list(
        await session.scalars(select(MediaOutlet).order_by(MediaOutlet.name, MediaOutlet.id))
    )
