""" "💬 Tanya petugas": a journalist's free question goes to the SOP's desk role with a "Balas"
button; the typed answer comes back in her chat. Both are recorded on her case when she has one.

Who answers is the role the applicant reports to (``reports_to``), else the admin desk (see
``SopSpec.desk_role``). The button carries only the journalist's id; every press and every
answer re-checks that the official holds that role, so a forwarded or old button grants nothing.
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from handlers.callbacks import Callback, Op
from handlers.context import Ctx
from handlers.platforms import chat_of
from handlers.render import label, render, toast
from handlers.replies import Button, InlineKeyboard, message
from storage.models import AuditEvent, Case, MediaOutlet, User, UserRole

ASK_STATE = "ask"
ANSWER_STATE = "answer"
MAX_QUESTION = 1000  # characters kept of a question or an answer


async def cmd_ask(ctx: Ctx, arg: str) -> None:
    """/tanya [pertanyaan]: with text it goes at once; without, the next message is the question."""
    if ctx.user is None or not ctx.user.is_journalist:
        ctx.say("not_registered")
        return
    if arg:
        await send_question(ctx, arg)
        return
    await ctx.set_state(ASK_STATE)
    ctx.say("ask_question", desk=_desk_name(ctx))


def _desk_name(ctx: Ctx) -> str:
    desk = ctx.deps.spec.desk_role
    return ctx.deps.spec.role_name(desk) if desk else ""


async def _her_case(ctx: Ctx, journalist: User) -> Case | None:
    """The case a question belongs to: her open one, else her latest."""
    cases = list(
        await ctx.session.scalars(
            select(Case).where(Case.applicant_id == journalist.id).order_by(Case.id.desc())
        )
    )
    return next((c for c in cases if c.status != "closed"), cases[0] if cases else None)


async def send_question(ctx: Ctx, text: str) -> None:
    assert ctx.user is not None
    await ctx.clear_state()
    spec, journalist = ctx.deps.spec, ctx.user
    question = text.strip()[:MAX_QUESTION]
    case = await _her_case(ctx, journalist)
    desk = spec.desk_role
    if case is not None:
        ctx.session.add(
            AuditEvent(
                case_id=case.id,
                actor_id=journalist.id,
                role=spec.applicant_role,
                action="question",
                note=question,
                at=ctx.now.astimezone(UTC),
            )
        )
    officials = (
        list(
            await ctx.session.scalars(
                select(User).join(UserRole).where(UserRole.role == desk).order_by(User.id)
            )
        )
        if desk
        else []
    )
    outlet = await ctx.session.scalar(
        select(MediaOutlet).where(MediaOutlet.owner_id == journalist.id).order_by(MediaOutlet.id)
    )
    button = InlineKeyboard(
        ((Button(label("reply_question"), Callback(Op.answer, journalist.id).pack()),),)
    )
    for official in officials:
        ctx.send(
            message(
                chat_of(official),
                render(
                    "question_in",
                    name=journalist.name,
                    outlet=outlet.name if outlet else "",
                    case=case,
                    question=question,
                ),
                button,
            )
        )
    ctx.say("question_sent", desk=_desk_name(ctx), reached=bool(officials))


async def on_reply_button(ctx: Ctx, journalist_id: int) -> None:
    """ "Balas": only a holder of the desk role may answer; the next text is the answer."""
    if not _may_answer(ctx):
        ctx.answer(toast("not_for_you"), alert=True)
        return
    journalist = await ctx.session.get(User, journalist_id)
    if journalist is None or not journalist.is_journalist:
        ctx.answer(toast("stale"))
        return
    await ctx.set_state(ANSWER_STATE, user_id=journalist.id)
    ctx.answer(toast("write_answer"))
    ctx.say("answer_ask", name=journalist.name)


def _may_answer(ctx: Ctx) -> bool:
    desk = ctx.deps.spec.desk_role
    return bool(ctx.user is not None and desk and desk in ctx.user.role_keys)


async def send_answer(ctx: Ctx, text: str) -> None:
    user_id = int(ctx.state.data.get("user_id", 0))
    await ctx.clear_state()
    if not _may_answer(ctx):  # the role was taken away between the button and the text
        ctx.say("answer_not_allowed", desk=_desk_name(ctx))
        return
    assert ctx.user is not None
    journalist = await ctx.session.get(User, user_id)
    if journalist is None:
        ctx.say("answer_not_allowed", desk=_desk_name(ctx))
        return
    answer = text.strip()[:MAX_QUESTION]
    spec = ctx.deps.spec
    case = await _her_case(ctx, journalist)
    if case is not None:
        ctx.session.add(
            AuditEvent(
                case_id=case.id,
                actor_id=ctx.user.id,
                role=spec.desk_role,
                action="answer",
                note=answer,
                at=ctx.now.astimezone(UTC),
            )
        )
    ctx.send(
        message(
            chat_of(journalist),
            render("answer_in", desk=_desk_name(ctx), official=ctx.user.name, answer=answer),
        )
    )
    ctx.say("answer_sent", name=journalist.name)
