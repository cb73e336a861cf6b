"""Managing officials: who holds which role, taking a role away, pending invites, invites bound
to a phone number; the same for the CLI (`mitramedia official ...`) and the chat (/petugas).

A revoked role's open tasks stay with the role (tasks belong to roles, not people); whatever
was assigned to the revoked person goes back to the role, and the other holders are told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import conversation, deputies, parsing
from handlers.callbacks import Callback, Op
from handlers.context import Ctx
from handlers.events import MessageEvent
from handlers.menus import commands_for
from handlers.platforms import chat_of, chats_of
from handlers.render import label, render
from handlers.replies import Button, InlineKeyboard, RemoveKeyboard, Reply, message
from storage.models import AuditEvent, Delegation, Invite, Task, User, UserRole
from workflow import engine
from workflow.errors import NotAllowed, NotFound
from workflow.spec import SopSpec

BOUND_STATE = "invite:contact"


@dataclass(frozen=True)
class OfficialRow:
    id: int
    name: str
    username: str | None
    roles: tuple[str, ...]
    since: datetime | None
    last_active: datetime | None


async def officials(session: AsyncSession) -> list[OfficialRow]:
    """Everyone holding at least one role, with when they got it and when they last acted."""
    users = list(await session.scalars(select(User).join(UserRole).distinct().order_by(User.name)))
    rows = []
    for user in users:
        last = await session.scalar(
            select(func.max(AuditEvent.at)).where(AuditEvent.actor_id == user.id)
        )
        rows.append(
            OfficialRow(
                id=user.id,
                name=user.name,
                username=user.username,
                roles=tuple(sorted(user.role_keys)),
                since=min((r.granted_at for r in user.roles), default=None),
                last_active=last,
            )
        )
    return rows


async def find_official(session: AsyncSession, who: str) -> User:
    """By id, or by name (case-insensitive; a part of it when that names one official only)."""
    if who.isdigit():
        user = await session.get(User, int(who))
        if user is not None and user.roles:
            return user
        raise NotFound("no_official_with_id", who=who)
    pattern = f"%{who.strip().lower()}%"
    found = list(
        await session.scalars(
            select(User).join(UserRole).where(func.lower(User.name).like(pattern)).distinct()
        )
    )
    exact = [u for u in found if u.name.lower() == who.strip().lower()]
    if len(exact) == 1 or len(found) == 1:
        return (exact or found)[0]
    if not found:
        raise NotFound("no_official_named", who=who)
    names = ", ".join(f"{u.name} (id {u.id})" for u in found)
    raise NotFound("several_officials", who=who, names=names)


async def revoke(
    session: AsyncSession,
    spec: SopSpec,
    user: User,
    role: str | None,
    now: datetime,
) -> tuple[list[str], list[Reply]]:
    """Takes `role` (or every role) from `user`; returns the roles taken and who is told."""
    taken = [r for r in user.roles if role is None or r.role == role]
    if not taken:
        holds = ", ".join(sorted(user.role_keys)) or "-"
        raise NotFound("role_not_held", name=user.name, role=role, holds=holds)
    out: list[Reply] = []
    for held in taken:
        user.roles.remove(held)
        await session.flush()
        open_tasks = list(
            await session.scalars(
                select(Task).where(
                    Task.role == held.role, Task.status.in_((engine.OPEN, engine.WAITING))
                )
            )
        )
        for task in open_tasks:
            if task.assignee_id == user.id:
                task.assignee_id = None  # back to the role
        others = await session.scalars(
            select(User).join(UserRole).where(UserRole.role == held.role, User.id != user.id)
        )
        for other in others:
            out.append(
                message(
                    chat_of(other),
                    render(
                        "role_revoked_others",
                        name=user.name,
                        role=spec.role_name(held.role),
                        open_tasks=len(open_tasks),
                    ),
                )
            )
    names = [spec.role_name(r.role) for r in taken]
    if not user.roles:  # no longer an official: no longer anyone's deputy either
        for item in await session.scalars(
            select(Delegation).where(
                Delegation.deputy_id == user.id,
                Delegation.ended_at.is_(None),
                Delegation.ends_at > now,
            )
        ):
            item.ended_at = now
    for chat in chats_of(user):
        state = await conversation.load(session, chat)
        if state.task_prompt or state.name == BOUND_STATE:
            await conversation.clear(session, chat)
    out.append(message(chat_of(user), render("role_revoked", roles=names)))
    out.append(commands_for(chat_of(user), user.role_keys, user.is_journalist, spec))
    return [r.role for r in taken], out


async def pending_invites(session: AsyncSession, now: datetime) -> list[Invite]:
    return list(
        await session.scalars(
            select(Invite)
            .where(Invite.used_at.is_(None), Invite.cancelled_at.is_(None), Invite.expires_at > now)
            .order_by(Invite.created_at)
        )
    )


async def cancel_invite(session: AsyncSession, code_or_id: str, now: datetime) -> Invite:
    query = select(Invite).where(Invite.code == code_or_id)
    if code_or_id.isdigit():
        query = select(Invite).where(Invite.id == int(code_or_id))
    invite = await session.scalar(query.with_for_update())
    if invite is None:
        raise NotFound("invite_not_found")
    if invite.used_at is not None:
        raise NotAllowed("invite_used")
    invite.cancelled_at = invite.cancelled_at or now
    return invite


# ---------------------------------------------------------------- an invite bound to a phone


def bound_phone_ok(
    invite: Invite, event: MessageEvent | None, sender_id: int, known_phone: str | None = None
) -> bool | None:
    """None: no contact shared yet; True/False: it is / is not the invited number's owner.
    `known_phone`: the number the platform vouches for (a WhatsApp chat is its number)."""
    if invite.phone is None:
        return True
    if known_phone is not None:
        try:
            return parsing.phone(known_phone) == invite.phone
        except parsing.InputError:
            return False
    if event is None or event.contact is None:
        return None
    if event.contact.user_id != sender_id:
        return False  # someone else's contact card
    try:
        return parsing.phone(event.contact.phone_number) == invite.phone
    except parsing.InputError:
        return False


async def ask_contact(ctx: Ctx, invite: Invite) -> None:
    from handlers.registration import phone_keyboard

    await ctx.set_state(BOUND_STATE, code=invite.code)
    ctx.say("invite_share_contact", markup=phone_keyboard())


async def on_bound_contact(ctx: Ctx, event: MessageEvent) -> None:
    """What comes while a bound invite waits for the contact: accepted, refused, or asked again."""
    from handlers.officials import accept_invite

    await accept_invite(ctx, str(ctx.state.data.get("code", "")), contact_event=event)


def wrong_contact(ctx: Ctx) -> None:
    ctx.say(
        "invite_bad",
        why="other_phone",
        markup=RemoveKeyboard(),
    )


# ---------------------------------------------------------------- /petugas in the chat


def _manager(ctx: Ctx) -> User:
    user = ctx.user
    if user is None or not (user.role_keys & set(ctx.deps.spec.manager_roles)):
        raise NotAllowed(
            "managers_only",
            roles=", ".join(ctx.deps.spec.role_name(r) for r in ctx.deps.spec.manager_roles),
        )
    return user


async def cmd_staff(ctx: Ctx, arg: str) -> None:
    _manager(ctx)
    if arg.strip():  # /petugas plh ... | akhiri-plh ID
        await deputies.command(ctx, arg)
        return
    spec = ctx.deps.spec
    rows = await officials(ctx.session)
    deputed = await deputies.rows(ctx.session, spec, ctx.now)
    invites = await pending_invites(ctx.session, ctx.now)
    buttons: list[tuple[Button, ...]] = []
    for row in rows:
        for role in row.roles:
            buttons.append(
                (
                    Button(
                        label("revoke_role", row.name, spec.role_name(role)),
                        _role_cb(ctx, row.id, role),
                    ),
                )
            )
    for invite in invites:
        buttons.append(
            (
                Button(
                    label("cancel_invite", invite.name, spec.role_name(invite.role)),
                    Callback(Op.uninvite, invite.id).pack(),
                ),
            )
        )
    for item in deputed:
        buttons.append(
            (
                Button(
                    label("end_deputy", item["name"], item["title"]),
                    Callback(Op.undelegate, int(str(item["id"]))).pack(),
                ),
            )
        )
    ctx.say(
        "staff",
        deputies=deputed,
        rows=[{**row.__dict__, "roles": [spec.role_name(r) for r in row.roles]} for row in rows],
        invites=[
            {
                "name": i.name,
                "role": spec.role_name(i.role),
                "expires": i.expires_at,
                "bound": bool(i.phone),
            }
            for i in invites
        ],
        markup=InlineKeyboard(tuple(buttons[:40])) if buttons else None,
    )


def _role_cb(ctx: Ctx, user_id: int, role: str) -> str:
    return Callback(Op.revoke, user_id, role).pack()


async def on_button(ctx: Ctx, cb: Callback) -> None:
    _manager(ctx)
    spec = ctx.deps.spec
    if cb.op == Op.undelegate:
        await deputies.end(ctx, cb.id)
        return
    if cb.op == Op.uninvite:
        invite = await cancel_invite(ctx.session, str(cb.id), ctx.now)
        ctx.answer()
        ctx.say("invite_cancelled", name=invite.name, role=spec.role_name(invite.role))
        return
    user = await ctx.session.get(User, cb.id)
    if user is None:
        raise NotFound("official_not_found")
    taken, replies = await revoke(ctx.session, spec, user, cb.arg or None, ctx.now)
    ctx.answer()
    ctx.say("role_revoked_done", name=user.name, roles=[spec.role_name(r) for r in taken])
    ctx.out.extend(replies)
