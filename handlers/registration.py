"""Journalist registration wizard: the person (name, NIK, phone, press card), then the outlet.

The outlet is picked from the registry (by name or code) or registered new; a new outlet is
asked exactly what the office's rules (`qualification:`) require for its media type, in the
YAML's order (handlers/registration_outlet.py). Each answer is saved as it comes (on the user
row or in the conversation), so a restart, a wrong file or "Nanti saja" never loses what was
already given; /start asks the step again.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from handlers import parsing, registration_outlet
from handlers.callbacks import Callback, Op
from handlers.context import Ctx, ensure_user
from handlers.events import MessageEvent
from handlers.platforms import phone_of
from handlers.render import label, toast
from handlers.replies import Button, InlineKeyboard, RemoveKeyboard, ReplyKeyboard
from handlers.uploads import receive
from storage import crypto
from storage.models import MediaOutlet, User
from workflow import outlets

log = logging.getLogger(__name__)

PERSON_STEPS = ("name", "nik", "phone", "press_card")


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
    elif step == "press_card":
        ctx.say("ask_press_card", max_mb=max_mb, markup=RemoveKeyboard())
    elif step == "outlet":
        ctx.say("ask_outlet", markup=RemoveKeyboard())
    elif step == "pick":
        await registration_outlet.ask_pick(ctx)
    elif step == "kind":
        buttons = tuple(
            Button(name, Callback(Op.kind, 0, key).pack())
            for key, name in parsing.MEDIA_KINDS.items()
        )
        ctx.say(
            "ask_kind", outlet=ctx.state.data.get("outlet", ""), markup=InlineKeyboard((buttons,))
        )
    else:  # an outlet item, or a step of an older wizard: carry on from what is saved
        await registration_outlet.ask_next(ctx)


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
    await ctx.set_state("reg:item", **{**ctx.state.data, "kind": kind})
    await registration_outlet.ask_next(ctx)


async def _take(ctx: Ctx, step: str, event: MessageEvent) -> None:
    user = await ensure_user(ctx)
    text = (event.text or "").strip()
    if step == "press_card":
        await _take_press_card(ctx, event)
        return
    if step not in ("name", "nik", "phone", "outlet", "pick", "kind"):
        await registration_outlet.take(ctx, user, event)
        return
    if step == "phone" and event.contact is not None:
        if event.contact.user_id not in (None, ctx.sender.account_id):
            raise parsing.InputError("phone_not_own")
        user.phone = parsing.phone(event.contact.phone_number)
        await _advance(ctx, "press_card")
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
        await _advance(ctx, "press_card")
    elif step in ("outlet", "pick"):  # a name typed again while the choices are shown: search
        typed = parsing.outlet_name(text)
        await ctx.set_state("reg:pick", **{**ctx.state.data, "outlet": typed})
        await registration_outlet.ask_pick(ctx)
    else:
        raise parsing.InputError("kind_buttons")


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
    known = phone_of(ctx.chat)
    if known is not None:  # WhatsApp: the number she writes from is hers, and is verified
        user.phone = parsing.phone(known)
        ctx.say("phone_from_chat", phone=user.phone)
        await _advance(ctx, "press_card")
        return
    await _advance(ctx, "phone")


async def _take_press_card(ctx: Ctx, event: MessageEvent) -> None:
    document = await receive(ctx, event, "press_card", "press_card")
    size = parsing.human_size(document.size)
    ctx.say("file_saved", slot="press_card", name=document.file_name, size=size)
    await _advance(ctx, "outlet")


async def _advance(ctx: Ctx, step: str, **data: object) -> None:
    await ctx.set_state(f"reg:{step}", **{**ctx.state.data, **data})
    await ask(ctx, step)


async def on_pick(ctx: Ctx, outlet_id: int) -> None:
    """A button under the search result: join that outlet (id), or register a new one (0)."""
    if ctx.state.name != "reg:pick":
        ctx.answer(toast("stale"))
        return
    ctx.answer()
    if outlet_id == 0:
        await _advance(ctx, "kind")
        return
    outlet = await ctx.session.get(MediaOutlet, outlet_id)
    if outlet is None:
        await ask(ctx, "outlet")
        return
    user = await ensure_user(ctx)
    await outlets.join(ctx.session, user, outlet, ctx.now)
    await registration_outlet.finish(ctx, user, outlet, joined=True)


def in_registration(state_name: str) -> bool:
    return state_name.startswith("reg:")
