"""Building blocks for tests: people with roles, a journalist with documents, the built-in SOPs."""

from __future__ import annotations

from datetime import date, datetime
from itertools import count

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Document, MediaOutlet, User, UserRole
from workflow import engine
from workflow.clock import ManualClock
from workflow.loader import builtin_sops, load_spec
from workflow.registry import install
from workflow.spec import SopSpec

_ids = count(1000)


def builtin(sop_id: str) -> SopSpec:
    return load_spec(builtin_sops()[sop_id])


async def make_user(
    session: AsyncSession, name: str, now: datetime, roles: tuple[str, ...] = ()
) -> User:
    user = User(telegram_id=next(_ids), name=name, created_at=now)
    user.roles = [UserRole(role=r, granted_at=now) for r in roles]
    session.add(user)
    await session.flush()
    return user


async def make_journalist(
    session: AsyncSession, now: datetime, with_documents: bool = True
) -> tuple[User, MediaOutlet]:
    user = User(
        telegram_id=next(_ids),
        name="Rina Wartawan",
        nik=str(3200000000000000 + next(_ids)),
        is_journalist=True,
        registered_at=now,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    outlet = MediaOutlet(
        owner_id=user.id,
        name="Warta Kapuas",
        kind="online",
        website="https://wk.id",
        created_at=now,
    )
    session.add(outlet)
    if with_documents:
        for kind in ("press_card", "media_proof"):
            session.add(
                Document(
                    owner_id=user.id,
                    kind=kind,
                    file_name=f"{kind}.pdf",
                    mime_type="application/pdf",
                    size=10,
                    sha256="0" * 64,
                    path=f"x/{kind}.pdf",
                    uploaded_at=now,
                )
            )
    await session.flush()
    return user, outlet


async def make_officials(session: AsyncSession, spec: SopSpec, now: datetime) -> dict[str, User]:
    return {
        key: await make_user(session, f"Pejabat {key}", now, (key,))
        for key, role in spec.roles.items()
        if not role.applicant
    }


async def new_case(
    sessions: async_sessionmaker[AsyncSession], spec: SopSpec, now: datetime
) -> tuple[dict[str, User], User, int]:
    """An office with one official per role, a journalist with documents, and a submitted case."""
    async with sessions() as s, s.begin():
        version = await install(s, spec, ManualClock(now))
        officials = await make_officials(s, spec, now)
        journalist, outlet = await make_journalist(s, now)
        result = await engine.submit_case(
            s, version=version, applicant=journalist, outlet_id=outlet.id, subject="x", now=now
        )
    return officials, journalist, result.case.id


def outlet_paper(
    owner: int, outlet: int, kind: str, at: datetime, ends: date | None = None
) -> Document:
    """One of an outlet's papers (akta, NIB, a Dewan Pers certificate...), valid until `ends`."""
    return Document(
        owner_id=owner,
        outlet_id=outlet,
        kind=kind,
        file_name=f"{kind}.pdf",
        mime_type="application/pdf",
        size=10,
        sha256="0" * 64,
        path=f"x/{kind}-{ends}.pdf" if ends else f"x/{kind}.pdf",
        uploaded_at=at,
        expires_on=ends,
    )
