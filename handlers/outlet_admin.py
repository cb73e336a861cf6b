"""A registered journalist's outlet: /media (what is on file, asking to move to another outlet),
the office confirming that move, /perpanjang (the yearly renewal) and the gate on /ajukan."""

from __future__ import annotations

from sqlalchemy import select

from handlers import parsing
from handlers.callbacks import Callback, Op
from handlers.context import Ctx
from handlers.events import MessageEvent
from handlers.platforms import chat_of
from handlers.render import label, render, toast
from handlers.replies import Button, InlineKeyboard, message
from handlers.uploads import receive
from storage.models import MediaOutlet, OutletChange, User, UserRole
from workflow import outlets
from workflow.errors import NotAllowed
from workflow.qualification import expiry
from workflow.spec import SopSpec


def contact_role(ctx: Ctx) -> str:
    return desk_role(ctx.deps.spec)


def desk_role(spec: SopSpec) -> str:
    """Who in the office handles applicants' paperwork: the applicant's `reports_to` (Sanggau:
    Petugas Admin, Trenggalek: Fungsional), else the first role of the escalation chain."""
    officials = [key for key, role in spec.roles.items() if not role.applicant]
    return spec.reports_to.get(spec.applicant_role) or (spec.escalation or officials)[0]


async def cmd_media(ctx: Ctx, arg: str) -> None:
    user = ctx.user
    if user is None or not user.is_journalist:
        ctx.say("not_registered")
        return
    outlet = await outlets.outlet_of(ctx.session, user)
    if arg and outlet is not None:
        await _ask_change(ctx, user, outlet, arg)
        return
    if outlet is None:
        ctx.say("not_registered")
        return
    rules = ctx.deps.spec.qualification
    standing = await outlets.standing(ctx.session, outlet, rules, ctx.now.date())
    ctx.say(
        "outlet_card",
        outlet=outlet,
        members=await outlets.members(ctx.session, outlet),
        standing=standing,
        rules=rules,
    )


async def _ask_change(ctx: Ctx, user: User, current: MediaOutlet, code: str) -> None:
    target = await outlets.by_code(ctx.session, code)
    if target is None:
        ctx.say("invalid", message=render("outlet_code_unknown", code=code))
        return
    if target.id == current.id:
        ctx.say("invalid", message=render("outlet_code_same", outlet=target))
        return
    await outlets.join(ctx.session, user, target, ctx.now)
    change = await outlets.pending_change(ctx.session, user)
    assert change is not None
    ctx.say("change_requested", current=current, target=target)
    buttons = InlineKeyboard(
        (
            (
                Button(label("confirm_change"), Callback(Op.change, change.id, "ok").pack()),
                Button(label("refuse_change"), Callback(Op.change, change.id, "no").pack()),
            ),
        )
    )
    text = render("change_to_confirm", user=user, current=current, target=target)
    for holder in await _holders(ctx, contact_role(ctx)):
        ctx.send(message(chat_of(holder), text, buttons))


async def _holders(ctx: Ctx, role: str) -> list[User]:
    return list(await ctx.session.scalars(select(User).join(UserRole).where(UserRole.role == role)))


async def on_change(ctx: Ctx, change_id: int, confirm: bool) -> None:
    """The office's answer; the button only identifies the request, the role is checked here."""
    if ctx.user is None or contact_role(ctx) not in ctx.user.role_keys:
        raise NotAllowed("outlet_change_desk_only")
    change = await ctx.session.get(OutletChange, change_id)
    if change is None or change.decided_at is not None:
        ctx.answer(toast("stale"))
        return
    ctx.answer()
    await outlets.decide_change(ctx.session, change, ctx.user, confirm, ctx.now)
    journalist = await ctx.session.get(User, change.user_id)
    target = await ctx.session.get(MediaOutlet, change.outlet_id)
    assert journalist is not None and target is not None
    ctx.say("change_decided", confirm=confirm, user=journalist, target=target)
    ctx.send(
        message(
            chat_of(journalist),
            render("change_decided_journalist", confirm=confirm, target=target),
        )
    )


async def lapsed_outlet(ctx: Ctx, user: User) -> MediaOutlet | None:
    """The journalist's outlet when its yearly registration ran out (then /ajukan waits)."""
    outlet = await outlets.outlet_of(ctx.session, user)
    if outlet is not None and outlets.is_lapsed(outlet, ctx.now.date()):
        return outlet
    return None


async def cmd_renew(ctx: Ctx, _arg: str) -> None:
    """/perpanjang: the yearly re-registration. Lapsed required papers must be sent again
    first (they are listed); then the registration runs for another period."""
    user = ctx.user
    if user is None or not user.is_journalist:
        ctx.say("not_registered")
        return
    outlet = await outlets.outlet_of(ctx.session, user)
    if outlet is None:
        ctx.say("not_registered")
        return
    rules = ctx.deps.spec.qualification
    today = ctx.now.date()
    standing = await outlets.standing(ctx.session, outlet, rules, today)
    papers = [name for name in standing.missing if rules.is_document(name)]
    if papers:
        await ctx.set_state("renew:doc", outlet_id=outlet.id, item=papers[0])
        ctx.say("renew_needs_papers", outlet=outlet, missing=papers, rules=rules)
        return
    await ctx.clear_state()
    until = outlets.renew(outlet, rules, today)
    ctx.say("renewed", outlet=outlet, until=until)


async def on_renew_paper(ctx: Ctx, event: MessageEvent) -> None:
    """A paper sent during /perpanjang: filed on the outlet with its new expiry, then on."""
    item = str(ctx.state.data.get("item", ""))
    outlet = await ctx.session.get(MediaOutlet, int(ctx.state.data.get("outlet_id", 0)))
    user = ctx.user
    if outlet is None or user is None or await outlets.outlet_of(ctx.session, user) != outlet:
        await ctx.clear_state()
        raise NotAllowed("outlet_files_not_yours")
    try:
        document = await receive(ctx, event, "attachment", item)
    except parsing.InputError as error:
        ctx.say("invalid", message=error.message)
        return
    rules = ctx.deps.spec.qualification
    document.outlet_id = outlet.id
    document.expires_on = expiry(rules, item, ctx.now.date())
    await ctx.session.flush()
    await cmd_renew(ctx, "")
