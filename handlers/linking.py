"""One person, several chats: `/tautkan` in a chat already theirs gives a one-time code, and
sending `tautkan KODE` from their other app (Telegram or WhatsApp) joins that chat to them.

A code, never a NIK or a phone number typed in: whoever knows someone's NIK must not be able to
take over their requests. The person's other chats are told of every new link, so a link they
did not make does not go unnoticed.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select

from handlers.context import Ctx
from handlers.menus import commands_for
from handlers.platforms import chats_of
from handlers.render import render
from handlers.replies import message
from storage.accounts import find_account
from storage.models import Account, Case, Document, LinkCode, User
from workflow.errors import NotAllowed

LINK_TTL = timedelta(minutes=15)
CODE_DIGITS = 8  # digits: typed on a phone keypad from a note; 10^8 codes for 15 minutes
WORD = "tautkan"


async def cmd_link(ctx: Ctx, arg: str) -> None:
    code = "".join(arg.split())
    if code:
        await redeem(ctx, code)
        return
    user = ctx.user
    if user is None or not (user.registered_at or user.roles):
        raise NotAllowed("link_registered_only")
    row = LinkCode(
        code=_new_code(),
        user_id=user.id,
        created_at=ctx.now,
        expires_at=ctx.now + LINK_TTL,
    )
    ctx.session.add(row)
    await ctx.session.flush()
    ctx.say(
        "link_code",
        code=row.code,
        minutes=int(LINK_TTL.total_seconds() // 60),
        platforms=sorted({a.platform for a in user.accounts}),
    )


async def redeem(ctx: Ctx, code: str) -> None:
    row = await ctx.session.scalar(select(LinkCode).where(LinkCode.code == code).with_for_update())
    if row is None or row.used_at is not None or row.expires_at <= ctx.now:
        ctx.say("link_bad", why="unknown" if row is None else "used_or_expired")
        return
    owner = await ctx.session.get(User, row.user_id)
    if owner is None or not owner.accounts:  # erased since
        ctx.say("link_bad", why="unknown")
        return
    shell = ctx.user
    if shell is not None and shell.id == owner.id:
        ctx.say("link_bad", why="same")
        return
    if shell is not None and await _has_own_data(ctx, shell):
        # This chat is someone's (or holds a registration begun here): never merged silently.
        ctx.say("link_bad", why="taken")
        return
    account = await find_account(ctx.session, ctx.platform, ctx.sender.account_id)
    if account is None:
        account = Account(
            platform=ctx.platform, external_id=ctx.sender.account_id, created_at=ctx.now
        )
    elif shell is not None:
        shell.accounts.remove(account)
    account.last_inbound_at = ctx.now  # the chat they write from now is where they are
    others = chats_of(owner)
    owner.accounts.append(account)
    row.used_at = ctx.now
    if shell is not None:
        await ctx.session.delete(shell)  # an empty user made by a /start here
    await ctx.session.flush()
    ctx.user = owner
    await ctx.clear_state()
    ctx.say("link_done", name=owner.name, platform=ctx.platform)
    ctx.send(commands_for(ctx.chat, owner.role_keys, owner.is_journalist, ctx.deps.spec))
    notice = render("link_notice", platform=ctx.platform, at=ctx.now, tz=ctx.tz)
    ctx.out.extend(message(chat, notice) for chat in others if chat != ctx.chat)


async def _has_own_data(ctx: Ctx, user: User) -> bool:
    if user.registered_at or user.roles or user.nik_cipher or user.is_journalist:
        return True
    cases = await ctx.session.scalar(
        select(func.count(Case.id)).where(Case.applicant_id == user.id)
    )
    files = await ctx.session.scalar(
        select(func.count(Document.id)).where(Document.owner_id == user.id)
    )
    return bool(cases or files)


def _new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
