"""Officials: invites, task buttons (act, confirm, checklist, documents, notes, attach), /tugas."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import (
    agreement_terms,
    deputies,
    documents,
    evaluation,
    notify,
    parsing,
    payments,
    staff,
)
from handlers.callbacks import Callback, Op
from handlers.context import Ctx, ensure_user
from handlers.events import MessageEvent
from handlers.menus import commands_for
from handlers.mydata import dossier
from handlers.outbox import edits_of, prompt_copies
from handlers.platforms import Chat, phone_of
from handlers.prompts import (
    View,
    confirm_keyboard,
    details_text,
    prompt_messages,
    prompt_text,
    question_keyboard,
    screen,
)
from handlers.render import case_name, done_word, label, render, toast
from handlers.replies import Button, InlineKeyboard, RemoveKeyboard, document, edit, message
from storage.models import Case, Invite, Task, UserRole
from workflow import access, delegation, engine
from workflow.errors import KelengkapanMissing, NotAllowed, NotFound
from workflow.registry import calendar_of, spec_of
from workflow.spec import SopSpec
from workflow.timefmt import format_span

INVITE_PREFIX = "inv_"
TASKS_SHOWN = 15  # most overdue first; the rest are counted


def new_invite_code() -> str:
    return INVITE_PREFIX + secrets.token_urlsafe(18)


async def accept_invite(ctx: Ctx, code: str, contact_event: MessageEvent | None = None) -> None:
    invite = await ctx.session.scalar(select(Invite).where(Invite.code == code).with_for_update())
    if invite is None:
        ctx.say("invite_bad", why="unknown")
        return
    if invite.cancelled_at is not None:
        await ctx.clear_state()
        ctx.say("invite_bad", why="cancelled")
        return
    if invite.used_at is not None:
        ctx.say("invite_bad", why="used")
        return
    if invite.expires_at <= ctx.now:
        ctx.say("invite_bad", why="expired")
        return
    verdict = staff.bound_phone_ok(invite, contact_event, ctx.sender.account_id, phone_of(ctx.chat))
    if verdict is None:  # bound to a phone: the person shares their own contact first
        await staff.ask_contact(ctx, invite)
        return
    if not verdict:  # another number, or someone else's contact: refused, the invite kept
        await ctx.clear_state()
        staff.wrong_contact(ctx)
        return
    user = await ensure_user(ctx)
    if invite.phone and not user.phone:
        user.phone = invite.phone
    if invite.role not in user.role_keys:
        user.roles.append(UserRole(role=invite.role, granted_at=ctx.now))
    if not user.registered_at:
        user.name = invite.name
    invite.used_at, invite.used_by = ctx.now, user.id
    await ctx.session.flush()
    await ctx.clear_state()
    spec = ctx.deps.spec
    waiting = await ctx.session.scalar(
        select(func.count(Task.id)).where(
            Task.role == invite.role, Task.status == engine.OPEN, Task.kind == "step"
        )
    )
    ctx.say(
        "invite_ok",
        name=user.name,
        role=spec.role_name(invite.role),
        office=spec.office.name,
        waiting=waiting or 0,
        markup=RemoveKeyboard() if invite.phone else None,
    )
    ctx.send(commands_for(ctx.chat, user.role_keys, user.is_journalist, ctx.deps.spec))


# ---------------------------------------------------------------- button presses


async def on_task_button(ctx: Ctx, cb: Callback, message_id: int) -> None:
    if cb.op == Op.act:
        await _act(ctx, cb.id, cb.arg, message_id, confirm=False)
    elif cb.op == Op.confirm:
        await _act(ctx, cb.id, cb.arg, message_id, confirm=True)
    elif cb.op == Op.check:
        await _toggle(ctx, cb.id, cb.arg, message_id)
    elif cb.op == Op.back:
        await _drop_question(ctx, cb.id)
        await _redraw(ctx, cb.id, message_id)
    elif cb.op == Op.checklist:
        await _redraw(ctx, cb.id, message_id, view=View.checklist)
    elif cb.op == Op.details:
        await _send_details(ctx, cb.id, message_id)
    elif cb.op == Op.yes:
        await _answer_yes(ctx, cb.id, cb.arg, message_id)
    elif cb.op == Op.no:
        await _drop_question(ctx, cb.id)
        await _redraw(ctx, cb.id, message_id, answer=toast("cancelled"))
    elif cb.op == Op.docs:
        await _send_documents(ctx, cb.id)
    elif cb.op == Op.note:
        await _ask_text(ctx, cb.id, "note")
    elif cb.op == Op.attach:
        await _ask_text(ctx, cb.id, "attach")
    elif cb.op in (Op.sheet, Op.upload):
        await documents.on_button(ctx, cb)
    elif cb.op == Op.terms:
        await agreement_terms.on_button(ctx, cb)
    elif cb.op == Op.unpaid:
        await payments.on_unpaid(ctx, cb.id)
    elif cb.op == Op.spj_signed:
        await payments.on_spj_signed(ctx, cb.id, cb.arg)
    elif cb.op == Op.late:
        await payments.on_late(ctx, cb.id)


async def _task(ctx: Ctx, task_id: int) -> tuple[Task, Case, SopSpec]:
    task = await ctx.session.get(Task, task_id)
    if task is None:
        raise NotFound("task_not_found")
    case = await ctx.session.get(Case, task.case_id)
    if case is None:
        raise NotFound("case_not_found")
    return task, case, await spec_of(ctx.session, case.sop_version_id)


async def _act(ctx: Ctx, task_id: int, action_name: str, message_id: int, confirm: bool) -> None:
    task, case, spec = await _task(ctx, task_id)
    actor = ctx.user
    if actor is None:
        raise NotAllowed("not_registered")
    await deputies.refuse_if_over(ctx, spec, task)
    action = spec.step(task.step_number).action(action_name)
    if action is not None and action.needs_reason and task.status == engine.OPEN:
        await engine.authorise(ctx.session, spec, case, task, actor, ctx.now)
        is_reason = action.kind.value in ("return", "reject")  # else a decision's note
        await ctx.set_state("reason", task_id=task.id, action=action.name)
        ctx.answer()
        ctx.say(
            "ask_reason",
            label=action.label,
            case=case,
            is_reason=is_reason,
            markup=InlineKeyboard(((Button(label("cancel"), Callback(Op.cancel).pack()),),)),
        )
        return
    question = action.confirm if action is not None else None
    if action is not None and not question:  # a period closed below the agreed count
        question = await payments.short_period_question(ctx.session, spec, case, task, action)
    if action is not None and question and task.status == engine.OPEN:
        # The SOP's question first, in place of the prompt: "Ya" takes the action, "Batal" not.
        await engine.authorise(ctx.session, spec, case, task, actor, ctx.now)
        await ctx.set_state("confirm", task_id=task.id, action=action.name, checklist=confirm)
        text = await prompt_text(ctx.session, spec, case, task, warning=question)
        ctx.answer()  # the question replaces the prompt's buttons: Ya / Batal, nothing else
        ctx.send(edit(ctx.chat, message_id, text, question_keyboard(task, action.name)))
        return
    # Her own step asks her no office checklist: her tap is her confirmation.
    own = task.role == spec.applicant_role
    await _take(ctx, task, case, spec, action_name, message_id, checklist=confirm or own)


async def _take(
    ctx: Ctx,
    task: Task,
    case: Case,
    spec: SopSpec,
    action_name: str,
    message_id: int,
    *,
    checklist: bool,
    note: str | None = None,
    then: Op = Op.confirm,
) -> bool:
    """The action itself; False when unticked kelengkapan must be confirmed first (asked)."""
    assert ctx.user is not None
    action = spec.step(task.step_number).action(action_name)
    await evaluation.require_complete(ctx, task, spec, action_name)
    try:
        result = await engine.act(
            ctx.session,
            task_id=task.id,
            actor=ctx.user,
            action=action_name,
            note=note,
            now=ctx.now,
            confirm_checklist=checklist,
        )
    except KelengkapanMissing as missing:
        if not missing.confirmable or action is None:
            raise
        # The checklist itself (numbered, full labels) with which items are still open: the
        # engine's sentence lists every label and would not fit the screen.
        step = spec.step(task.step_number)
        open_items = [n for n, k in enumerate(step.kelengkapan, 1) if k.label in missing.missing]
        warning = render("check_missing", numbers=open_items, label=action.label)
        text = await prompt_text(
            ctx.session, spec, case, task, warning=warning, view=View.checklist
        )
        ctx.answer(toast("check_first"))
        markup = confirm_keyboard(task, action.name, action.label, then)
        ctx.send(edit(ctx.chat, message_id, text, markup))
        return False
    # A toast is plain text: the past-tense word, never HTML ("Diterima & dicatat.").
    ctx.answer(toast("done", done_word(action) if action else action_name))
    # The form is final before the next prompts are drawn: they show its result.
    await evaluation.complete(ctx, spec.step(task.step_number), case, action_name)
    ctx.out.extend(await notify.after(ctx.session, ctx.deps.archive, result))
    await documents.follow(ctx, result)
    return True


async def take_reason(ctx: Ctx, text: str) -> None:
    """The typed reason for a return/reject (or a decision's note): the action happens now."""
    task_id, action = int(ctx.state.data["task_id"]), str(ctx.state.data["action"])
    if ctx.user is None:
        await ctx.clear_state()
        raise NotAllowed("not_registered")
    task, case, spec = await _task(ctx, task_id)
    await deputies.refuse_if_over(ctx, spec, task)
    chosen = spec.step(task.step_number).action(action)
    if chosen is not None and chosen.confirm and task.status == engine.OPEN:
        # The SOP's question, with the reason quoted: nothing is taken before "Ya".
        await engine.authorise(ctx.session, spec, case, task, ctx.user, ctx.now)
        await ctx.set_state("confirm", task_id=task_id, action=action, note=text, checklist=True)
        ctx.say(
            "ask_confirm",
            question=chosen.confirm,
            label=chosen.label,
            case=case,
            reason=text,
            markup=question_keyboard(task, action),
        )
        return
    await ctx.clear_state()
    await evaluation.require_complete(ctx, task, spec, action)
    result = await engine.act(
        ctx.session,
        task_id=task_id,
        actor=ctx.user,
        action=action,
        note=text,
        now=ctx.now,
        confirm_checklist=True,
    )
    word = done_word(result.action) if result.action else action
    ctx.say("done_ok", label=word, name=case_name(case, spec.office.timezone))
    await evaluation.complete(ctx, spec.step(task.step_number), case, action)
    ctx.out.extend(await notify.after(ctx.session, ctx.deps.archive, result))
    await documents.follow(ctx, result)


# ---------------------------------------------------------------- questions about a task


def _ttl(ctx: Ctx) -> timedelta:
    return timedelta(minutes=ctx.deps.prompt_ttl_minutes)


async def drop_prompt(ctx: Ctx) -> None:
    """A command ends a question about a task (a registration wizard keeps its place)."""
    if ctx.state.task_prompt:
        await ctx.clear_state()


async def expire_prompt(ctx: Ctx) -> None:
    """A question that lapsed, or whose task someone has handled, ends before the text reaches
    it: the user is told, and the text is then read as a new message."""
    state = ctx.state
    if not state.task_prompt:
        return
    task = await ctx.session.get(Task, int(state.data.get("task_id", 0)))
    expired = state.expired(ctx.now, _ttl(ctx))
    if task is not None and task.status == engine.OPEN and not expired:
        return
    await ctx.clear_state()
    ctx.say(
        "prompt_dropped",
        expired=expired,
        minutes=ctx.deps.prompt_ttl_minutes,
        case=await ctx.session.get(Case, task.case_id) if task else None,
        purpose=state.name,
    )


async def _drop_question(ctx: Ctx, task_id: int) -> None:
    if ctx.state.name == "confirm" and ctx.state.data.get("task_id") == task_id:
        await ctx.clear_state()


async def _answer_yes(ctx: Ctx, task_id: int, action_name: str, message_id: int) -> None:
    """'Ya' on an SOP confirm: question: only the question this user was asked, while it stands."""
    state = ctx.state
    data = state.data
    if state.name != "confirm" or (data.get("task_id"), data.get("action")) != (
        task_id,
        action_name,
    ):
        ctx.answer(toast("stale"), alert=True)
        return
    await ctx.clear_state()
    if state.expired(ctx.now, _ttl(ctx)):
        ctx.answer(toast("question_expired"), alert=True)
        await _redraw(ctx, task_id, message_id)
        return
    found = await _held_open_task(ctx, task_id)
    if found is None:
        return
    task, case, spec = found
    note = data.get("note")
    reason = str(note) if note is not None else None
    taken = await _take(
        ctx,
        task,
        case,
        spec,
        action_name,
        message_id,
        checklist=bool(data.get("checklist")),
        note=reason,
        then=Op.yes,
    )
    if not taken:  # kelengkapan shown for confirming: the question stays answered
        await ctx.set_state("confirm", **{**data, "checklist": True})
    elif reason is not None:  # the question was its own message: it loses its buttons
        action = spec.step(task.step_number).action(action_name)
        ctx.send(
            edit(
                ctx.chat,
                message_id,
                render(
                    "ask_confirm",
                    question=action.confirm if action else "",
                    label=action.label if action else action_name,
                    case=case,
                    reason=reason,
                    answered=True,
                ),
                None,
            )
        )


async def _toggle(ctx: Ctx, task_id: int, key: str, message_id: int) -> None:
    if ctx.user is None:
        raise NotAllowed("not_registered")
    task_row, _case, spec = await _task(ctx, task_id)
    await deputies.refuse_if_over(ctx, spec, task_row)
    task = await engine.toggle_check(
        ctx.session, task_id=task_id, actor=ctx.user, key=key, now=ctx.now
    )
    await _redraw(ctx, task.id, message_id, answer=toast("checked"), view=View.checklist)


async def _redraw(
    ctx: Ctx,
    task_id: int,
    message_id: int,
    answer: str | None = None,
    view: View = View.main,
) -> None:
    found = await _held_open_task(ctx, task_id)
    if found is None:
        return
    task, case, spec = found
    shown = await screen(ctx.session, spec, case, task, view=view)
    ctx.answer(answer)
    ctx.send(edit(ctx.chat, message_id, shown.text, shown.markup))


async def _send_details(ctx: Ctx, task_id: int, message_id: int) -> None:
    """ "ℹ️ Rincian": the step's full SOP text and every note, as a reply to the prompt (the
    prompt itself stays one screen, its buttons where they were)."""
    found = await _held_open_task(ctx, task_id)
    if found is None:
        return
    task, case, spec = found
    ctx.answer()
    text = await details_text(ctx.session, spec, case, task)
    ctx.send(message(ctx.chat, text, reply_to=message_id))


async def _held_open_task(ctx: Ctx, task_id: int) -> tuple[Task, Case, SopSpec] | None:
    """The task, if the presser holds its role and it is still open; else say why, and None."""
    task, case, spec = await _task(ctx, task_id)
    await _must_hold(ctx, spec, case, task)
    if task.status != engine.OPEN:
        ctx.answer(toast("handled"), alert=True)
        return None
    return task, case, spec


async def _must_hold(ctx: Ctx, spec: SopSpec, case: Case, task: Task) -> None:
    user = ctx.user
    await deputies.refuse_if_over(ctx, spec, task)
    allowed = user is not None and (
        task.role in await delegation.roles_now(ctx.session, user, ctx.now)
        or (task.role == spec.applicant_role and case.applicant_id == user.id)
    )
    if not allowed:
        raise NotAllowed("case_not_yours")
    assert user is not None
    access.check_not_applicant(spec, case, task.role, user)


async def _send_documents(ctx: Ctx, task_id: int) -> None:
    """The case's files and its applicant's dossier, to an official who may see them now
    (the button's task id only names the case); each file shown is recorded."""
    _task_row, case, spec = await _task(ctx, task_id)
    if ctx.user is None:
        raise NotAllowed("not_registered")
    role = await access.require_view(ctx.session, spec, case, ctx.user, ctx.now)
    docs = await engine.case_documents(ctx.session, case)
    ctx.answer()
    if not docs:
        ctx.say("docs_none", case=case)
        return
    ctx.say("docs_header", case=case, count=len(docs), **await dossier(ctx.session, case))
    deputy = await delegation.acting_for(ctx.session, ctx.user, role, ctx.now)
    for doc in docs:
        access.record_view(
            ctx.session, case, ctx.user, role, doc, ctx.now, as_deputy=deputy.id if deputy else None
        )
        ctx.send(
            document(
                ctx.chat,
                doc.file_name,
                str(ctx.deps.archive.path_of(doc)),
                doc.mime_type,
                caption=render("doc_caption", case=case, kind=doc.kind, name=doc.file_name),
                telegram_file_id=None,
            )
        )


async def _ask_text(ctx: Ctx, task_id: int, purpose: str) -> None:
    found = await _held_open_task(ctx, task_id)
    if found is None:
        return
    task, case, _spec = found
    ctx.answer()
    cancel = InlineKeyboard(((Button(label("cancel"), Callback(Op.cancel).pack()),),))
    await ctx.set_state(purpose, task_id=task.id)
    if purpose == "note":
        ctx.say("ask_note", case=case, step=task.step_number, markup=cancel)
    else:
        ctx.say("ask_attach", case=case, markup=cancel)


async def take_note(ctx: Ctx, text: str) -> None:
    task_id = int(ctx.state.data["task_id"])
    await ctx.clear_state()
    if ctx.user is None:
        raise NotAllowed("not_registered")
    event = await engine.add_note(
        ctx.session, task_id=task_id, actor=ctx.user, note=text, now=ctx.now
    )
    ctx.say("note_saved", case=await ctx.session.get(Case, event.case_id))
    await _refresh_prompts(ctx, task_id)


async def _refresh_prompts(ctx: Ctx, task_id: int) -> None:
    """Every holder's copy of the prompt shows the new disposition note at once."""
    task, case, spec = await _task(ctx, task_id)
    shown = await screen(ctx.session, spec, case, task)
    for refreshed in edits_of(await prompt_copies(ctx.session, task.id), shown.text, shown.markup):
        ctx.send(refreshed)


# ---------------------------------------------------------------- /tugas


async def list_tasks(ctx: Ctx) -> None:
    user = ctx.user
    roles = await delegation.roles_now(ctx.session, user, ctx.now) if user else set()
    if user is None or not roles:
        ctx.say("officials_only")
        return
    rows: list[dict[str, Any]] = []
    tasks = await ctx.session.scalars(
        select(Task).where(Task.status == engine.OPEN, Task.role.in_(roles), Task.kind == "step")
    )
    for task in tasks:
        case = await ctx.session.get(Case, task.case_id)
        if case is None or case.applicant_id == user.id:  # never one's own request
            continue
        spec = await spec_of(ctx.session, case.sop_version_id)
        late = calendar_of(spec).elapsed(task.due_at, ctx.now, task.clock)  # type: ignore[arg-type]
        rows.append(
            {
                "task_id": task.id,
                "case_id": case.id,
                "name": case_name(case, spec.office.timezone),
                "step": task.step_number,
                "role": spec.role_title(task.role, task.role not in user.role_keys),
                "activity": spec.step(task.step_number).name,
                "due": task.due_at,
                "late": format_span(late) if ctx.now > task.due_at else "",
                "sort": task.due_at,
            }
        )
    rows.sort(key=lambda r: r["sort"])
    buttons = tuple(
        (
            Button(
                label("open_task", r["name"], r["step"]),
                Callback(Op.back, int(r["task_id"]), "new").pack(),
            ),
        )
        for r in rows[:10]
    )
    ctx.say(
        "tasks",
        rows=rows[:TASKS_SHOWN],
        more=max(0, len(rows) - TASKS_SHOWN),
        total=len(rows),
        markup=InlineKeyboard(buttons) if buttons else None,
    )


async def reopen_prompt(ctx: Ctx, task_id: int) -> None:
    """'Buka' from /tugas: a fresh prompt message (recorded, so it is edited when handled)."""
    found = await _held_open_task(ctx, task_id)
    if found is None:
        return
    task, case, spec = found
    ctx.answer()
    assert ctx.user is not None
    for prompt in await prompt_messages(ctx.session, spec, case, task, now=ctx.now):
        if Chat(prompt.platform, prompt.chat_id) == ctx.chat:
            ctx.send(prompt)


async def create_invite(
    session: AsyncSession,
    role: str,
    name: str,
    now: datetime,
    ttl_hours: int,
    phone: str | None = None,
) -> Invite:
    """A one-time, expiring invite: the only way an official account comes to exist. Bound to
    `phone`, only the account that shares that number's contact may use it."""
    invite = Invite(
        code=new_invite_code(),
        role=role,
        name=name,
        created_at=now,
        expires_at=now + timedelta(hours=ttl_hours),
        phone=parsing.phone(phone) if phone else None,
    )
    session.add(invite)
    await session.flush()
    return invite
