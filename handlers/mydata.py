"""A journalist's own data (/datasaya) and the dossier an authorised official opens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import Ctx
from handlers.platforms import chat_of
from handlers.render import render
from handlers.replies import document, message
from storage import crypto
from storage.models import Case, MediaOutlet, User, UserRole
from workflow import personal_data


async def dossier(session: AsyncSession, case: Case) -> dict[str, Any]:
    """The applicant's identity in full, for an official allowed to see the case's files."""
    applicant = await session.get(User, case.applicant_id)
    outlet = await session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
    return {
        "applicant": applicant.name if applicant else "-",
        "nik": (applicant.nik if applicant else None) or "-",
        "phone": (applicant.phone if applicant else None) or "-",
        "outlet": outlet.name if outlet else "-",
    }


async def cmd_mydata(ctx: Ctx, arg: str) -> None:
    """/datasaya: what is stored about me, and a file with all of it; `/datasaya hapus` asks
    the office to erase it (the head of office and the desk are told how)."""
    user = ctx.user
    if user is None or not (user.is_journalist or user.nik or user.phone):
        ctx.say("not_registered")
        return
    if arg.strip().lower() == "hapus":
        await _ask_erasure(ctx, user)
        return
    data = await personal_data.collect(ctx.session, user)
    archive = ctx.deps.archive
    path = personal_data.write_private(
        personal_data.export_path(archive, user),
        await personal_data.export_zip(ctx.session, archive, user),
    )
    ctx.say(
        "mydata",
        user=user,
        nik=crypto.mask(user.nik),
        outlets=[o["nama"] for o in data["media"]],
        cases=len(data["permohonan"]),
        files=len(data["berkas"]),
    )
    ctx.send(
        document(
            ctx.chat,
            "data-saya.zip",
            str(path),
            "application/zip",
            caption=render("mydata_caption"),
        )
    )


async def _ask_erasure(ctx: Ctx, user: User) -> None:
    spec = ctx.deps.spec
    managers = await ctx.session.scalars(
        select(User).join(UserRole).where(UserRole.role.in_(spec.manager_roles)).distinct()
    )
    open_cases = await personal_data.open_cases(ctx.session, user)
    for manager in managers:
        if manager.id != user.id:
            ctx.send(
                message(
                    chat_of(manager),
                    render(
                        "erasure_requested",
                        user_id=user.id,
                        name=user.name,
                        open_cases=len(open_cases),
                    ),
                )
            )
    ctx.say("erasure_asked", open_cases=len(open_cases))
