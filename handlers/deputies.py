"""Deputies (Plh/Plt) in the chat and their prompts: `/petugas plh ...` for the SOP's
manager_roles, the role's open tasks prompted to a deputy when the period starts, and a polite
refusal for a deputy pressing an old button after it ended (workflow.delegation holds the rules).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import parsing
from handlers.context import Ctx
from handlers.platforms import chat_of, chats_of
from handlers.prompts import keyboard, prompt_text
from handlers.render import render
from handlers.replies import PromptRef, Reply, message
from storage.models import Case, Delegation, Task, User
from workflow import delegation, engine
from workflow.errors import NotAllowed
from workflow.registry import spec_of
from workflow.spec import SopSpec
from workflow.timefmt import format_when


async def refuse_if_over(ctx: Ctx, spec: SopSpec, task: Task) -> None:
    """A deputy whose period is over, pressing a button of the role: told so (not "you do not
    hold that role"), and nothing is taken."""
    user = ctx.user
    if user is None or task.role == spec.applicant_role or task.role in user.role_keys:
        return
    if await delegation.acting_for(ctx.session, user, task.role, ctx.now) is not None:
        return
    over = await delegation.lapsed(ctx.session, user, task.role, ctx.now)
    if over is not None:
        raise NotAllowed(
            "deputy_ended",
            title=spec.role_title(task.role, True),
            until=_local(spec, delegation.end_of(over)),
            role=spec.role_name(task.role),
        )


def _local(spec: SopSpec, value: datetime) -> str:
    return format_when(value, spec.office.timezone)


async def appointed(
    session: AsyncSession, spec: SopSpec, item: Delegation, now: datetime
) -> list[Reply]:
    """The deputy is told of the appointment; if it has started, the role's open tasks follow."""
    deputy = await session.get(User, item.deputy_id)
    if deputy is None:
        return []
    out: list[Reply] = [
        message(
            chat_of(deputy),
            render(
                "deputy_appointed",
                tz=spec.office.timezone,
                title=spec.role_title(item.role, True),
                starts=item.starts_at,
                ends=item.ends_at,
                started=delegation.is_active(item, now),
            ),
        )
    ]
    return out + await prompt_started(session, now, only=item)


async def prompt_started(
    session: AsyncSession, now: datetime, only: Delegation | None = None
) -> list[Reply]:
    """Every running delegation not yet prompted: its deputy gets a prompt for each open task
    of the role (never of their own request); marked, so each deputy gets them once."""
    rows: list[Delegation] = [only] if only is not None else []
    if only is None:  # several processes may run this: each delegation is taken by one
        rows = list(
            await session.scalars(
                select(Delegation)
                .where(delegation.active_at(now), Delegation.prompted_at.is_(None))
                .order_by(Delegation.id)
                .with_for_update(skip_locked=True)
            )
        )
    out: list[Reply] = []
    for item in rows:
        if item.prompted_at is not None or not delegation.is_active(item, now):
            continue
        item.prompted_at = now
        deputy = await session.get(User, item.deputy_id)
        if deputy is None:
            continue
        tasks = await session.scalars(
            select(Task)
            .where(Task.role == item.role, Task.status == engine.OPEN, Task.kind == "step")
            .order_by(Task.due_at)
        )
        for task in tasks:
            case = await session.get(Case, task.case_id)
            if case is None or case.applicant_id == deputy.id:
                continue
            spec = await spec_of(session, case.sop_version_id)
            text = await prompt_text(session, spec, case, task)
            out.append(
                message(
                    chat_of(deputy),
                    text,
                    keyboard(spec, task),
                    PromptRef(task.id, deputy.id),
                )
            )
    return out


# ---------------------------------------------------------------- /petugas plh ...


async def command(ctx: Ctx, arg: str) -> None:
    """`/petugas plh ROLE DARI SAMPAI NAMA|ID` or `/petugas akhiri-plh ID` (a manager)."""
    from handlers.staff import find_official

    assert ctx.user is not None
    spec = ctx.deps.spec
    words = arg.split()
    verb = words[0].lower() if words else ""
    try:
        if verb in ("plh", "plt") and len(words) >= 5:
            first, last = parsing.calendar_date(words[2]), parsing.calendar_date(words[3])
            deputy = await find_official(ctx.session, " ".join(words[4:]))
            starts, ends = delegation.period(spec, first, last)
            item = await delegation.create(
                ctx.session,
                spec,
                role=words[1].lower(),
                deputy=deputy,
                starts_at=starts,
                ends_at=ends,
                now=ctx.now,
                created_by=ctx.user,
            )
            ctx.say(
                "deputy_created",
                id=item.id,
                name=deputy.name,
                title=spec.role_title(item.role, True),
                starts=item.starts_at,
                ends=item.ends_at,
            )
            ctx.out.extend(await appointed(ctx.session, spec, item, ctx.now))
            return
        if verb == "akhiri-plh" and len(words) == 2 and words[1].isdigit():
            await end(ctx, int(words[1]))
            return
    except parsing.InputError as error:
        ctx.say("invalid", message=error.message)
        return
    ctx.say("deputy_usage", roles=[r for r in spec.roles if r != spec.applicant_role])


async def end(ctx: Ctx, delegation_id: int) -> None:
    spec = ctx.deps.spec
    item = await delegation.end(ctx.session, delegation_id, ctx.now)
    deputy = await ctx.session.get(User, item.deputy_id)
    name = deputy.name if deputy else "-"
    ctx.answer()
    ctx.say("deputy_ended", name=name, title=spec.role_title(item.role, True))
    if deputy is not None and ctx.chat not in chats_of(deputy):
        ctx.send(
            message(
                chat_of(deputy),
                render("deputy_ended", name=name, title=spec.role_title(item.role, True)),
            )
        )


async def rows(session: AsyncSession, spec: SopSpec, now: datetime) -> list[dict[str, object]]:
    """Current and coming delegations for /petugas and the CLI."""
    out: list[dict[str, object]] = []
    for item in await delegation.listed(session, now):
        if delegation.end_of(item) <= now:
            continue
        deputy = await session.get(User, item.deputy_id)
        out.append(
            {
                "id": item.id,
                "name": deputy.name if deputy else "-",
                "title": spec.role_title(item.role, True),
                "starts": item.starts_at,
                "ends": item.ends_at,
                "active": delegation.is_active(item, now),
            }
        )
    return out
