"""Task prompts: what a holder of a step's role sees, with buttons for exactly the SOP's actions."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import documents, evaluation, payments
from handlers.callbacks import Callback, Op
from handlers.render import label, render
from handlers.replies import Button, InlineKeyboard, PromptRef, SendMessage
from storage.models import AuditEvent, Case, MediaOutlet, Task, User
from workflow import engine, terms
from workflow.spec import ActionKind, SopSpec, Step

TOGGLE_LABEL = 30
NOTE_SHOWN = 300


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def case_labels(session: AsyncSession, case: Case) -> tuple[str, str]:
    outlet = await session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
    applicant = await session.get(User, case.applicant_id)
    outlet_text = f"{outlet.name} ({outlet.kind})" if outlet else "-"
    return outlet_text, applicant.name if applicant else "-"


async def prompt_text(
    session: AsyncSession,
    spec: SopSpec,
    case: Case,
    task: Task,
    *,
    headline: str = "",
    warning: str = "",
) -> str:
    step = spec.step(task.step_number)
    outlet, applicant = await case_labels(session, case)
    applicant_step = task.role == spec.applicant_role
    news = None
    if step.starts_period:
        news = await engine.news_count(session, case.id, case.period)
    notes = await _notes(session, case.id)
    return render(
        "task_prompt",
        tz=spec.office.timezone,
        headline=Markup(headline),  # our own markup (no user text): not to be escaped
        icon="📝" if applicant_step else "📥",
        step=step,
        total=spec.total_steps,
        role_name=spec.role_name(task.role),
        case=case,
        outlet=outlet,
        applicant=applicant,
        period=case.period if case.period else None,
        task=task,
        marks=await _marks(session, spec, case, task, step),
        news=news,
        news_target=await terms.news_target(session, spec, case),
        notes=notes,
        warning=warning,
        evaluation=await evaluation.summary(session, spec, case),
    )


async def _marks(
    session: AsyncSession, spec: SopSpec, case: Case, task: Task, step: Step
) -> dict[str, bool]:
    kinds = {d.kind for d in await engine.case_documents(session, case)}
    if step.starts_period and await engine.news_count(session, case.id, case.period):
        kinds.add("news")
    return {
        k.key: (k.document in kinds) if k.document else bool(task.checklist.get(k.key))
        for k in step.kelengkapan
    }


async def _notes(session: AsyncSession, case_id: int) -> list[str]:
    rows = await session.execute(
        select(AuditEvent.note, User.name, AuditEvent.role)
        .join(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.case_id == case_id, AuditEvent.action == "note")
        .order_by(AuditEvent.id)
    )
    # The newest few, each shortened: the prompt must stay within one Telegram message.
    return [f"{name}: {short(note, NOTE_SHOWN)}" for note, name, _role in rows.all()][-5:]


def keyboard(spec: SopSpec, task: Task, marks: dict[str, bool] | None = None) -> InlineKeyboard:
    step = spec.step(task.step_number)
    rows: list[tuple[Button, ...]] = []
    applicant_step = task.role == spec.applicant_role
    for k in step.kelengkapan:
        if k.document:
            continue  # documents are checked by the system, not by a tap
        mark = "✅" if (marks or {}).get(k.key, task.checklist.get(k.key)) else "⬜"
        rows.append(
            (Button(f"{mark} {short(k.label, TOGGLE_LABEL)}", _cb(Op.check, task.id, k.key)),)
        )
    if step.starts_period:
        rows.append((Button(label("news"), _cb(Op.news, task.case_id)),))
    if step.evaluation and not applicant_step:
        rows.append((evaluation.button(task),))
    actions = [Button(a.label, _cb(Op.act, task.id, a.name)) for a in step.actions]
    rows.extend(tuple(actions[i : i + 2]) for i in range(0, len(actions), 2))
    rows.extend(payments.buttons(spec, task))
    if not applicant_step:
        rows.append(
            (
                Button(label("docs"), _cb(Op.docs, task.id)),
                Button(label("note"), _cb(Op.note, task.id)),
                Button(label("attach"), _cb(Op.attach, task.id)),
            )
        )
        rows.append(documents.buttons(spec, task))
    return InlineKeyboard(tuple(rows))


def confirm_keyboard(
    task: Task, action_name: str, action_label: str, op: Op = Op.confirm
) -> InlineKeyboard:
    """'All kelengkapan complete — <action>'; `op` is Op.yes once the SOP question is answered."""
    return InlineKeyboard(
        (
            (
                Button(
                    label("confirm_all", short(action_label, 24)),
                    _cb(op, task.id, action_name),
                ),
            ),
            (Button(label("back"), _cb(Op.back, task.id)),),
        )
    )


def question_keyboard(task: Task, action_name: str) -> InlineKeyboard:
    """Ya / Batal for an action's `confirm:` question in the SOP."""
    return InlineKeyboard(
        (
            (
                Button(label("yes"), _cb(Op.yes, task.id, action_name)),
                Button(label("cancel"), _cb(Op.no, task.id)),
            ),
        )
    )


def _cb(op: Op, ident: int, arg: str = "") -> str:
    return Callback(op, ident, arg).pack()


async def prompt_messages(
    session: AsyncSession,
    spec: SopSpec,
    case: Case,
    task: Task,
    headline: str = "",
    now: datetime | None = None,
) -> list[SendMessage]:
    """One prompt per holder of the task's role (the applicant for his own steps), and per
    deputy of the role at `now`."""
    text = await prompt_text(session, spec, case, task, headline=headline)
    markup = keyboard(spec, task)
    return [
        SendMessage(user.telegram_id, text, markup, PromptRef(task.id, user.id))
        for user in await engine.holders(session, spec, task, case, now)
    ]


def verb_of(spec: SopSpec, step: Step, action_name: str) -> tuple[str, str]:
    action = step.action(action_name)
    if action is None:
        return "ℹ️", action_name
    icons = {
        ActionKind.forward: "✅",
        ActionKind.finish: "🏁",
        ActionKind.return_: "↩️",
        ActionKind.reject: "❌",
    }
    return icons[action.kind], action.label
