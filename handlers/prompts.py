"""Task prompts: what a holder of a step's role sees, with buttons for exactly the SOP's actions.

A prompt must fit a phone screen (STYLE.md; issue 10): its text at most PROMPT_LIMIT characters
as shown and at most MAX_ROWS rows of buttons, the step's actions first. The SOP's full wording
(`activity`, output, every disposition note) is one tap away behind "ℹ️ Rincian", the
kelengkapan toggles behind "☑️ Kelengkapan n/m"; both come back with "« Kembali".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import documents, evaluation, payments
from handlers.callbacks import Callback, Op
from handlers.platforms import chat_of
from handlers.render import done_word, label, render, shown_length
from handlers.replies import Button, InlineKeyboard, PromptRef, SendMessage, message
from storage.models import Agreement, AuditEvent, Case, MediaOutlet, Task, User
from workflow import engine, terms
from workflow.spec import ActionKind, Condition, SopSpec, Step

TOGGLE_LABEL = 30
NOTE_SHOWN = 90  # the newest note, on the prompt itself
NOTE_DETAIL = 600  # each note behind "Rincian" (fewer notes before shorter ones)
DETAIL_LIMIT = 1200  # "Rincian" is a message to an official without buttons
MAX_ROWS = 5
PROMPT_LIMIT = 500  # characters as shown, with buttons: one 360 x 640 screen
NAMED_TOGGLES = 4  # more items than this: numbered toggles, several to a row


class View(StrEnum):
    main = "main"
    checklist = "checklist"


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def case_labels(session: AsyncSession, case: Case) -> tuple[str, str]:
    outlet = await session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
    applicant = await session.get(User, case.applicant_id)
    outlet_text = f"{outlet.name} ({outlet.kind})" if outlet else "-"
    return outlet_text, applicant.name if applicant else "-"


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboard


async def screen(
    session: AsyncSession,
    spec: SopSpec,
    case: Case,
    task: Task,
    *,
    view: View = View.main,
    headline: str = "",
    warning: str = "",
) -> Screen:
    """The prompt's text and buttons, as one screen of the given view."""
    step = spec.step(task.step_number)
    marks = await _marks(session, spec, case, task, step)
    text = await prompt_text(
        session, spec, case, task, headline=headline, warning=warning, view=view, marks=marks
    )
    return Screen(text, keyboard(spec, task, marks, view))


async def prompt_text(
    session: AsyncSession,
    spec: SopSpec,
    case: Case,
    task: Task,
    *,
    headline: str = "",
    warning: str = "",
    view: View = View.main,
    marks: dict[str, bool] | None = None,
) -> str:
    step = spec.step(task.step_number)
    if marks is None:
        marks = await _marks(session, spec, case, task, step)
    outlet = await session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
    news = None
    if step.starts_period:
        news = await engine.news_count(session, case.id, case.period)
    common = {
        "tz": spec.office.timezone,
        "headline": Markup(headline),  # our own markup (no user text): not to be escaped
        "step": step,
        "total": spec.total_steps,
        "case": case,
        "outlet": outlet,
        "period": case.period if case.period and spec.agreement.periods > 1 else None,
        "periods": spec.agreement.periods,
        "task": task,
        "news": news,
        "news_target": await terms.news_target(session, spec, case),
        "warning": warning,
    }
    if task.role == spec.applicant_role:
        # Her own step in her words: no office checklist, no internal notes (issue 10).
        following = await _next_step(session, spec, case, step)
        return render(
            "applicant_prompt",
            **common,
            next_step=following,
            next_mine=following is not None and following.role == spec.applicant_role,
            next_role=spec.role_name(following.role) if following else "",
        )
    applicant = await session.get(User, case.applicant_id)
    notes = await _notes(session, case.id)
    role = spec.roles.get(task.role)
    evaluated = await evaluation.summary(session, spec, case)
    text = ""
    # Notes are what varies in length: fewer and shorter until the screen fits (the newest
    # kept longest); every note stays whole in the disposition sheet (📄 Lembar disposisi).
    for count, cut in ((1, NOTE_SHOWN), (1, 40), (0, 0)):
        text = render(
            "task_prompt",
            **common,
            view=view.value,
            role_name=(role.short or role.name) if role else task.role,
            applicant=applicant,
            marks=marks,
            ticked=sum(marks.values()),
            notes=notes[-count:] if count else [],
            notes_total=len(notes),
            note_limit=cut,
            evaluation=evaluated,
        )
        if shown_length(text) <= PROMPT_LIMIT:
            break
    return text


async def details_text(session: AsyncSession, spec: SopSpec, case: Case, task: Task) -> str:
    """ "ℹ️ Rincian": the sheet's full wording of the step and the case's disposition notes,
    newest first, as many as fit one message to an official."""
    notes = (await _notes(session, case.id))[::-1]
    evaluated = await evaluation.summary(session, spec, case)
    text = ""
    for count in range(len(notes), -1, -1):
        text = render(
            "task_details",
            tz=spec.office.timezone,
            step=spec.step(task.step_number),
            total=spec.total_steps,
            case=case,
            role_name=spec.role_name(task.role),
            notes=notes[:count],
            notes_total=len(notes),
            note_limit=NOTE_DETAIL,
            evaluation=evaluated,
        )
        if shown_length(text) <= DETAIL_LIMIT:
            break
    return text


async def _next_step(session: AsyncSession, spec: SopSpec, case: Case, step: Step) -> Step | None:
    """Where her step's forward action leads (what happens after hers); None: the end."""
    action = next((a for a in step.actions if a.kind == ActionKind.forward), None)
    if action is None:
        return None
    if action.to is not None:
        return spec.step(action.to) if isinstance(action.to, int) else None
    agreement = await session.scalar(select(Agreement).where(Agreement.case_id == case.id))
    periods = agreement.periods if agreement else spec.agreement.periods
    for branch in action.branches:  # the engine's one condition, read without writing
        if branch.when == Condition.periods_remaining and case.period >= periods:
            continue
        return spec.step(branch.to) if isinstance(branch.to, int) else None
    return None


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


async def _notes(session: AsyncSession, case_id: int) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(AuditEvent.note, User.name)
        .join(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.case_id == case_id, AuditEvent.action == "note")
        .order_by(AuditEvent.id)
    )
    return [(name, note or "") for note, name in rows.all()]


def keyboard(
    spec: SopSpec,
    task: Task,
    marks: dict[str, bool] | None = None,
    view: View = View.main,
) -> InlineKeyboard:
    """The step's actions on the first rows; at most MAX_ROWS rows in every view."""
    step = spec.step(task.step_number)
    if marks is None:
        marks = {k.key: bool(task.checklist.get(k.key)) for k in step.kelengkapan}
    action_rows = _action_rows(step, task)
    if task.role == spec.applicant_role:
        rows = list(action_rows)
        if step.starts_period:  # sending news is what she does here; finishing comes after
            rows.insert(0, (Button(label("news"), _cb(Op.news, task.case_id)),))
        rows.extend(payments.buttons(spec, task))
        return InlineKeyboard(tuple(rows))
    back = (Button(label("back"), _cb(Op.back, task.id)),)
    if view == View.checklist:
        return InlineKeyboard((*_toggles(step, task, marks), back))
    tools: list[Button] = []
    if step.kelengkapan:
        ticked = sum(marks.values())
        tools.append(
            Button(label("checklist", ticked, len(step.kelengkapan)), _cb(Op.checklist, task.id))
        )
    tools.append(Button(label("details"), _cb(Op.details, task.id)))
    if step.evaluation:
        tools.insert(0, evaluation.button(task))
    rows = [
        *action_rows,
        tuple(tools),
        (
            Button(label("docs"), _cb(Op.docs, task.id)),
            Button(label("note"), _cb(Op.note, task.id)),
            Button(label("attach"), _cb(Op.attach, task.id)),
        ),
        documents.buttons(spec, task),
    ]
    if len(rows) > MAX_ROWS:  # many actions: the file tools share one row
        rows[-2:] = [rows[-2] + rows[-1]]
    return InlineKeyboard(tuple(rows))


def _toggles(step: Step, task: Task, marks: dict[str, bool]) -> list[tuple[Button, ...]]:
    items = [(n, k) for n, k in enumerate(step.kelengkapan, 1) if not k.document]
    buttons = [
        Button(
            label("toggle", marks.get(k.key), short(k.label, TOGGLE_LABEL))
            if len(step.kelengkapan) <= NAMED_TOGGLES
            else label("toggle", marks.get(k.key), n),
            _cb(Op.check, task.id, k.key),
        )
        for n, k in items
    ]
    if len(step.kelengkapan) <= NAMED_TOGGLES:
        return [(b,) for b in buttons]
    return [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]


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


def action_keyboard(spec: SopSpec, task: Task) -> InlineKeyboard:
    """Only the step's actions (a reminder: the full prompt is the message it answers)."""
    return InlineKeyboard(tuple(_action_rows(spec.step(task.step_number), task)))


def _action_rows(step: Step, task: Task) -> list[tuple[Button, ...]]:
    actions = [Button(a.label, _cb(Op.act, task.id, a.name)) for a in step.actions]
    return [tuple(actions[i : i + 2]) for i in range(0, len(actions), 2)]


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
    shown = await screen(session, spec, case, task, headline=headline)
    return [
        message(chat_of(user), shown.text, shown.markup, PromptRef(task.id, user.id))
        for user in await engine.holders(session, spec, task, case, now)
    ]


def verb_of(spec: SopSpec, step: Step, action_name: str) -> tuple[str, str]:
    """The icon and the past-tense word of what was done ("Diparaf")."""
    action = step.action(action_name)
    if action is None:
        return "ℹ️", action_name
    icons = {
        ActionKind.forward: "✅",
        ActionKind.finish: "🏁",
        ActionKind.return_: "↩️",
        ActionKind.reject: "❌",
    }
    return icons[action.kind], done_word(action)
