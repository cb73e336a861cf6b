"""The publication period and its payment as the journalist and the desk see them (Sanggau steps
8-10, read from the SOP's effects rather than step numbers).

Where a period's payment stands is three moments of its Payment row, each an audit event too:
the SPJ prepared (the step with `spj_ready`, the desk), the SPJ signed (the desk marks it,
"✍️ SPJ ditandatangani", the kelengkapan of the applicant's payment step), and the payment
received (the applicant's `payment_confirmed` action). "⏳ Belum diterima" at the payment step
tells the desk and waits: the journalist confirms later. A period closed below the agreed count
of news asks first. A late news item is counted in the claim after all from the chat: a button
per late item beside the recap, with a typed reason (workflow.terms.include_late).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import Callback, Op
from handlers.context import Ctx
from handlers.platforms import Chat, chat_of
from handlers.render import label, render, toast, words
from handlers.replies import Button, InlineKeyboard, message
from storage.models import AuditEvent, Case, MediaOutlet, NewsItem, Payment, Task, User, UserRole
from workflow import engine, records, terms
from workflow.errors import NotAllowed, NotFound
from workflow.registry import spec_of
from workflow.spec import Action, Effect, SopSpec, Step

SPJ_SIGNED = "spj_signed"
NOT_RECEIVED = "payment_not_received"
LATE_STATE = "late"
LATE_BUTTONS = 5  # a phone's worth; the rest are counted in the message


def pays(step: Step) -> bool:
    return any(Effect.payment_confirmed in a.effects for a in step.actions)


def prepares(step: Step) -> bool:
    return any(Effect.spj_ready in a.effects for a in step.actions)


def spj_step(spec: SopSpec) -> Step | None:
    return next((s for s in spec.steps if prepares(s)), None)


# ---------------------------------------------------------------- buttons on prompts


def buttons(spec: SopSpec, task: Task) -> tuple[tuple[Button, ...], ...]:
    """'⏳ Belum diterima' beside the SOP's payment action on the applicant's payment step."""
    if task.role == spec.applicant_role and pays(spec.step(task.step_number)):
        return ((Button(label("unpaid"), Callback(Op.unpaid, task.id).pack()),),)
    return ()


async def short_period_question(
    session: AsyncSession, spec: SopSpec, case: Case, task: Task, action: Action | None
) -> str | None:
    """Closing a publication period below the agreed count of news: asked before it is taken."""
    step = spec.step(task.step_number)
    if action is None or not step.starts_period or task.role != spec.applicant_role:
        return None
    agreement = await terms.ensure_agreement(session, spec, case)
    sent = await engine.news_count(session, case.id, case.period)
    if sent >= agreement.news_per_period:
        return None
    return render("period_short", sent=sent, target=agreement.news_per_period, period=case.period)


# ---------------------------------------------------------------- what the journalist sees


async def status_view(
    session: AsyncSession, spec: SopSpec, case: Case, task: Task | None
) -> dict[str, object]:
    """The current period (sent, left, deadline, late) and where its payment stands."""
    view: dict[str, object] = {"period_view": None, "payment": None}
    if task is None or case.period < 1:
        return view
    step = spec.step(task.step_number)
    agreement = await terms.ensure_agreement(session, spec, case)
    if step.starts_period:
        recap = await records.recap(session, case)
        view["period_view"] = {
            "period": case.period,
            "periods": agreement.periods,
            "label": agreement.period_label,
            "sent": len(recap.items),
            "late": sum(1 for item in recap.items if item.late and not item.included),
            "left": max(0, agreement.news_per_period - len(recap.items)),
            "target": agreement.news_per_period,
            "due": task.due_at,
            "proof_days": spec.agreement.proof_days.get(recap.case.outlet_kind, 2),
        }
        return view
    payment = await session.scalar(
        select(Payment).where(Payment.case_id == case.id, Payment.period == case.period)
    )
    if prepares(step) or pays(step):
        waiting = await session.scalar(
            select(AuditEvent.at)
            .where(
                AuditEvent.case_id == case.id,
                AuditEvent.action == NOT_RECEIVED,
                AuditEvent.data["period"].as_integer() == case.period,
            )
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
        view["payment"] = {
            "period": case.period,
            "label": agreement.period_label,
            "recap": prepares(step),
            "spj_ready_at": payment.spj_ready_at if payment else None,
            "spj_signed_at": payment.spj_signed_at if payment else None,
            "confirmed_at": payment.confirmed_at if payment else None,
            "not_received_at": waiting,
        }
    return view


# ---------------------------------------------------------------- "Belum diterima"


async def on_unpaid(ctx: Ctx, task_id: int) -> None:
    task = await ctx.session.get(Task, task_id)
    case = await ctx.session.get(Case, task.case_id) if task else None
    if task is None or case is None:
        raise NotFound("payment_not_now")
    spec = await spec_of(ctx.session, case.sop_version_id)
    if ctx.user is None or case.applicant_id != ctx.user.id:
        raise NotAllowed("payment_not_now")
    if task.status != engine.OPEN or not pays(spec.step(task.step_number)):
        raise NotAllowed("payment_not_now")
    _event(ctx, case, task.step_number, spec.applicant_role, NOT_RECEIVED)
    ctx.answer(toast("unpaid_noted"))
    payment = await ctx.session.scalar(
        select(Payment).where(Payment.case_id == case.id, Payment.period == case.period)
    )
    outlet = await ctx.session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
    ctx.say("unpaid_noted", case=case, due=task.due_at)
    text = render(
        "unpaid_desk",
        tz=ctx.tz,
        case=case,
        applicant=ctx.user.name,
        outlet=outlet.name if outlet else "-",
        payment=payment,
    )
    markup = _signed_keyboard(case, payment)
    for user in await _desk(ctx.session, spec, case):
        ctx.send(message(chat_of(user), text, markup))


async def _desk(session: AsyncSession, spec: SopSpec, case: Case) -> list[User]:
    """Who prepares the SPJ (the role of the SOP's `spj_ready` step), never the applicant."""
    step = spj_step(spec)
    role = step.role if step else spec.reports_to.get(spec.applicant_role, "")
    rows = await session.scalars(
        select(User).join(UserRole).where(UserRole.role == role).order_by(User.id)
    )
    return [u for u in rows if u.id != case.applicant_id]


def _event(ctx: Ctx, case: Case, step: int | None, role: str, action: str) -> AuditEvent:
    assert ctx.user is not None
    event = AuditEvent(
        case_id=case.id,
        task_id=None,  # not a step handled: the disposition sheet leaves it out
        step_number=step,
        actor_id=ctx.user.id,
        role=role,
        action=action,
        note=None,
        attachments=[],
        data={"period": case.period},
        at=ctx.now.astimezone(UTC),
    )
    ctx.session.add(event)
    return event


# ---------------------------------------------------------------- the SPJ signed


def _signed_keyboard(case: Case, payment: Payment | None) -> InlineKeyboard | None:
    if payment is None or payment.spj_signed_at is not None or payment.confirmed_at is not None:
        return None
    data = Callback(Op.spj_signed, case.id, str(payment.period)).pack()
    return InlineKeyboard(((Button(label("spj_signed"), data),),))


def after_spj(ctx: Ctx, case: Case, payment_period: int, actor: User | None) -> None:
    """The desk that prepared the SPJ is asked to mark it signed once it is."""
    if actor is None:
        return
    data = Callback(Op.spj_signed, case.id, str(payment_period)).pack()
    ctx.send(
        message(
            chat_of(actor),
            render("spj_prepared", case=case, period=payment_period),
            InlineKeyboard(((Button(label("spj_signed"), data),),)),
        )
    )


async def on_spj_signed(ctx: Ctx, case_id: int, period_text: str) -> None:
    case = await ctx.session.get(Case, case_id)
    if case is None or not period_text.isdigit():
        raise NotFound("spj_not_ready")
    spec = await spec_of(ctx.session, case.sop_version_id)
    step = spj_step(spec)
    if ctx.user is None or step is None or step.role not in ctx.user.role_keys:
        raise NotAllowed("spj_not_yours")
    if case.applicant_id == ctx.user.id:
        raise NotAllowed("spj_not_yours")
    payment = await ctx.session.scalar(
        select(Payment).where(Payment.case_id == case.id, Payment.period == int(period_text))
    )
    if payment is None or payment.spj_ready_at is None or payment.confirmed_at is not None:
        raise NotAllowed("spj_not_ready")
    if payment.spj_signed_at is not None:
        ctx.answer(toast("spj_signed_noted"))
        return
    payment.spj_signed_at = ctx.now
    event = _event(ctx, case, step.number, step.role, SPJ_SIGNED)
    event.data = {"period": payment.period}
    ctx.answer(toast("spj_signed_noted"))
    ctx.say("spj_signed_done", case=case, period=payment.period)
    applicant = await ctx.session.get(User, case.applicant_id)
    if applicant is not None:
        ctx.send(
            message(
                chat_of(applicant),
                render("spj_signed_applicant", case=case, period=payment.period),
            )
        )


# ---------------------------------------------------------------- late items, from the chat


async def late_message(ctx: Ctx, case: Case, recap: records.Recap, chats: list[Chat]) -> None:
    """Beside the recap: the late items not counted, each with a button to count it."""
    late = [line for line in recap.items if line.late and not line.included]
    items = await late_items(ctx.session, recap, case)
    if not late or not items or not chats:
        return
    rows = tuple(
        (Button(label("late", _short(item.title, 22)), Callback(Op.late, item.id).pack()),)
        for item in items[:LATE_BUTTONS]
    )
    text = render("late_items", tz=ctx.tz, case_id=recap.case.case_id, r=recap, late=late)
    ctx.out.extend(message(chat, text, InlineKeyboard(rows)) for chat in chats)


async def late_items(session: AsyncSession, recap: records.Recap, case: Case) -> list[NewsItem]:
    """The period's items reported after their proof deadline and not yet counted."""
    spec = await spec_of(session, case.sop_version_id)
    included = await terms.overrides(session, case.id)
    rows = await session.scalars(
        select(NewsItem)
        .where(NewsItem.case_id == case.id, NewsItem.period == recap.period)
        .order_by(NewsItem.published_on, NewsItem.id)
    )
    kind = recap.case.outlet_kind
    return [i for i in rows if is_late(spec, kind, i) and i.id not in included]


def is_late(spec: SopSpec, outlet_kind: str, item: NewsItem) -> bool:
    """Reported after the proof deadline of its media type (the rule records.recap applies)."""
    days = spec.agreement.proof_days.get(outlet_kind, 2)
    reported = item.submitted_at.astimezone(ZoneInfo(spec.office.timezone)).date()
    return reported > item.published_on + timedelta(days=days)


async def _late_task(ctx: Ctx, news_id: int) -> tuple[NewsItem, Case, Task]:
    """The item, and the open recap task its presser holds (the only place it may be counted)."""
    item = await ctx.session.get(NewsItem, news_id)
    case = await ctx.session.get(Case, item.case_id) if item else None
    if item is None or case is None or ctx.user is None:
        raise NotFound("late_not_yours")
    spec = await spec_of(ctx.session, case.sop_version_id)
    task = await engine.open_task_of_case(ctx.session, case.id)
    if (
        task is None
        or task.status != engine.OPEN
        or not prepares(spec.step(task.step_number))
        or task.role not in ctx.user.role_keys
        or item.period != case.period
    ):
        raise NotAllowed("late_not_yours")
    engine.check_actor(spec, case, task, ctx.user)
    outlet = await ctx.session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
    if not is_late(spec, outlet.kind if outlet else "", item):
        raise NotAllowed("late_not_late")
    return item, case, task


async def on_late(ctx: Ctx, news_id: int) -> None:
    item, case, task = await _late_task(ctx, news_id)
    if item.id in await terms.overrides(ctx.session, case.id):
        ctx.answer(words("late_already"), alert=True)
        return
    ctx.answer()
    await ctx.set_state(LATE_STATE, task_id=task.id, news_id=item.id)
    cancel = InlineKeyboard(((Button(label("cancel"), Callback(Op.cancel).pack()),),))
    ctx.say("late_ask", title=item.title, case=case, markup=cancel)


async def take_late_reason(ctx: Ctx, text: str) -> None:
    item, case, task = await _late_task(ctx, int(ctx.state.data["news_id"]))
    if not text.strip():
        ctx.say("invalid", message=words("late_reason"))
        return
    assert ctx.user is not None
    await terms.include_late(ctx.session, news_id=item.id, actor=ctx.user, reason=text, now=ctx.now)
    await ctx.clear_state()
    ctx.say("late_counted", title=item.title, case=case)
    from handlers import documents  # documents sends the recap and this module's late buttons

    await documents.recap_for(ctx, case, task.role)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
