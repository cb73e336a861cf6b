"""Journalist registration wizard: name, NIK, phone, outlet, type, website, press card, proof.

Each answer is saved as it comes (on the user row or in the conversation), so a restart or a
wrong file never loses what was already given; the step is simply asked again.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from handlers import parsing
from handlers.callbacks import Callback, Op
from handlers.context import Ctx, ensure_user
from handlers.events import MessageEvent
from handlers.menus import commands_for
from handlers.render import label, toast
from handlers.replies import Button, InlineKeyboard, RemoveKeyboard, ReplyKeyboard
from handlers.uploads import receive
from storage import crypto
from storage.models import MediaOutlet, User

log = logging.getLogger(__name__)


def phone_keyboard() -> ReplyKeyboard:
    return ReplyKeyboard(((label("share_phone"),),), request_contact=True)


async def begin(ctx: Ctx) -> None:
    await ensure_user(ctx)
    await ctx.set_state("reg:name")
    ctx.say("welcome_new", office=ctx.deps.spec.office.name)


async def ask(ctx: Ctx, step: str) -> None:
    """(Re)ask one step: used after a wrong answer and after a restart."""
    max_mb = ctx.deps.max_upload_bytes // 1048576
    if step == "name":
        ctx.say("welcome_new", office=ctx.deps.spec.office.name)
    elif step == "nik":
        ctx.say("ask_nik")
    elif step == "phone":
        ctx.say("ask_phone", markup=phone_keyboard())
    elif step == "outlet":
        ctx.say("ask_outlet", markup=RemoveKeyboard())
    elif step == "kind":
        buttons = tuple(
            Button(label, Callback(Op.kind, 0, key).pack())
            for key, label in parsing.MEDIA_KINDS.items()
        )
        ctx.say(
            "ask_kind", outlet=ctx.state.data.get("outlet", ""), markup=InlineKeyboard((buttons,))
        )
    elif step == "website":
        ctx.say("ask_website")
    elif step == "press_card":
        ctx.say("ask_press_card", max_mb=max_mb)
    elif step == "media_proof":
        ctx.say("ask_media_proof", max_mb=max_mb)


async def on_message(ctx: Ctx, event: MessageEvent) -> None:
    step = ctx.state.name.removeprefix("reg:")
    try:
        await _take(ctx, step, event)
    except parsing.InputError as error:
        ctx.say("invalid", message=error.message)
        await ask(ctx, step)


async def on_kind(ctx: Ctx, kind: str) -> None:
    if ctx.state.name != "reg:kind" or kind not in parsing.MEDIA_KINDS:
        ctx.answer(toast("stale"))
        return
    ctx.answer(parsing.MEDIA_KINDS[kind])
    await _advance(ctx, "website", kind=kind)


async def _take(ctx: Ctx, step: str, event: MessageEvent) -> None:
    user = await ensure_user(ctx)
    text = (event.text or "").strip()
    if step in ("press_card", "media_proof"):
        await _take_file(ctx, user, step, event)
        return
    if step == "phone" and event.contact is not None:
        if event.contact.user_id not in (None, ctx.sender.telegram_id):
            raise parsing.InputError("phone_not_own")
        user.phone = parsing.phone(event.contact.phone_number)
        await _advance(ctx, "outlet")
        return
    if not text:
        raise parsing.InputError("text_please")
    if step == "name":
        user.name = parsing.person_name(text)
        await _advance(ctx, "nik")
    elif step == "nik":
        await _take_nik(ctx, user, text)
    elif step == "phone":
        user.phone = parsing.phone(text)
        await _advance(ctx, "outlet")
    elif step == "outlet":
        await _advance(ctx, "kind", outlet=parsing.outlet_name(text))
    elif step == "kind":
        raise parsing.InputError("kind_buttons")
    elif step == "website":
        await _advance(ctx, "press_card", website=parsing.website(text))


async def _take_nik(ctx: Ctx, user: User, text: str) -> None:
    value = parsing.nik(text)
    owner = await ctx.session.scalar(
        select(User.id).where(User.nik_index == crypto.current().index(value))
    )
    if owner is not None and owner != user.id:
        # Says nothing of who holds it (nor more than that it cannot be used here).
        log.info("registration with a NIK already in use (user %s)", user.id)
        raise parsing.InputError("nik_taken")
    user.nik = value
    await _advance(ctx, "phone")


async def _take_file(ctx: Ctx, user: User, step: str, event: MessageEvent) -> None:
    document = await receive(ctx, event, step, step)
    size = parsing.human_size(document.size)
    ctx.say("file_saved", slot=step, name=document.file_name, size=size)
    if step == "press_card":
        await _advance(ctx, "media_proof")
    else:
        await _finish(ctx, user)


async def _advance(ctx: Ctx, step: str, **data: object) -> None:
    await ctx.set_state(f"reg:{step}", **{**ctx.state.data, **data})
    await ask(ctx, step)


async def _finish(ctx: Ctx, user: User) -> None:
    data = ctx.state.data
    outlet = MediaOutlet(
        owner_id=user.id,
        name=str(data.get("outlet", "")),
        kind=str(data.get("kind", "online")),
        website=str(data.get("website", "")),
        created_at=ctx.now,
    )
    ctx.session.add(outlet)
    user.is_journalist, user.registered_at = True, ctx.now
    await ctx.session.flush()
    await ctx.clear_state()
    masked = crypto.mask(user.nik)
    ctx.say("registered", user=user, outlet=outlet, nik_masked=masked, markup=RemoveKeyboard())
    ctx.send(commands_for(ctx.chat_id, user.role_keys, True, ctx.deps.spec))


def in_registration(state_name: str) -> bool:
    return state_name.startswith("reg:")
