"""The evaluation form in the chat: at a step whose YAML says `evaluation: true` (Trenggalek
step 3) the holder answers each criterion met / not met, with a note where needed, the case's
and outlet's papers one tap away; the step's forward action needs the form complete, and then
the lembar isian evaluasi PDF is drawn into the case (after the commit, like other records).

Buttons carry only the task id and the criterion's index: the task must be open at an
evaluation step and the presser hold its role, checked here on every press.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import documents, prompts  # prompts imports this module: use it by attribute
from handlers.callbacks import Callback, Op
from handlers.context import Ctx
from handlers.outbox import edits_of, prompt_copies
from handlers.render import label, render, toast
from handlers.replies import Button, InlineKeyboard
from storage.models import Case, MediaOutlet, Task, User
from workflow import engine, evaluation, outlets, records
from workflow.documents import evaluation_pdf
from workflow.errors import NotAllowed, NotFound, WorkflowError
from workflow.registry import spec_of
from workflow.spec import ActionKind, SopSpec, Step

NOTE_STATE = "evalnote"


def button(task: Task) -> Button:
    return Button(label("evaluation"), Callback(Op.evaluate, task.id).pack())


async def _open_task(ctx: Ctx, task_id: int) -> tuple[Task, Case, SopSpec]:
    task = await ctx.session.get(Task, task_id)
    case = await ctx.session.get(Case, task.case_id) if task else None
    if task is None or case is None:
        raise NotFound("task_not_found")
    spec = await spec_of(ctx.session, case.sop_version_id)
    if ctx.user is None:
        raise NotAllowed("not_registered")
    engine.check_actor(spec, case, task, ctx.user)
    if task.status != engine.OPEN or not spec.step(task.step_number).evaluation:
        raise WorkflowError("evaluation_closed")
    return task, case, spec


async def on_button(ctx: Ctx, task_id: int, arg: str) -> None:
    task, case, spec = await _open_task(ctx, task_id)
    criteria = spec.qualification.evaluation
    assert ctx.user is not None
    if arg:
        what, index = arg[0], int(arg[1:]) if arg[1:].isdigit() else -1
        if not 0 <= index < len(criteria) or what not in "ync":
            ctx.answer(toast("stale"))
            return
        key = criteria[index].key
        if what == "c":
            await ctx.set_state(NOTE_STATE, task_id=task.id, key=key)
            ctx.answer()
            ctx.say("evaluation_ask_note", criterion=criteria[index], case=case)
            return
        await evaluation.answer(
            ctx.session, case, key, met=what == "y", actor_id=ctx.user.id, now=ctx.now
        )
        await _tick_when_complete(ctx, task, case, spec)
    ctx.answer()
    await show(ctx, task, case, spec)


async def _tick_when_complete(ctx: Ctx, task: Task, case: Case, spec: SopSpec) -> None:
    """The form answered in full ticks the step's kelengkapan item that stands for it (YAML
    `evaluation: true`), recorded like a tap, and every copy of the prompt shows it."""
    step = spec.step(task.step_number)
    items = [k.key for k in step.kelengkapan if k.evaluation and not task.checklist.get(k.key)]
    row = await evaluation.of_case(ctx.session, case.id)
    answers = dict(row.answers) if row else {}
    if not items or ctx.user is None:
        return
    if evaluation.next_open(spec.qualification.evaluation, answers) is not None:
        return
    for key in items:
        await engine.toggle_check(
            ctx.session, task_id=task.id, actor=ctx.user, key=key, now=ctx.now
        )
    shown = await prompts.screen(ctx.session, spec, case, task)
    for edit in edits_of(await prompt_copies(ctx.session, task.id), shown.text, shown.markup):
        ctx.send(edit)


async def take_note(ctx: Ctx, text: str) -> None:
    task_id, key = int(ctx.state.data.get("task_id", 0)), str(ctx.state.data.get("key", ""))
    await ctx.clear_state()
    task, case, spec = await _open_task(ctx, task_id)
    assert ctx.user is not None
    if key not in {c.key for c in spec.qualification.evaluation}:
        raise WorkflowError("criterion_gone")
    await evaluation.answer(
        ctx.session,
        case,
        key,
        note=" ".join(text.split())[:500],
        actor_id=ctx.user.id,
        now=ctx.now,
    )
    await _tick_when_complete(ctx, task, case, spec)
    await show(ctx, task, case, spec)


async def show(ctx: Ctx, task: Task, case: Case, spec: SopSpec) -> None:
    """The next criterion to answer (with the answers so far), or the completed form."""
    criteria = spec.qualification.evaluation
    row = await evaluation.of_case(ctx.session, case.id)
    answers = dict(row.answers) if row else {}
    index = evaluation.next_open(criteria, answers)
    docs = Button(label("docs"), Callback(Op.docs, task.id).pack())
    if index is None:
        ctx.say(
            "evaluation_form",
            case=case,
            criteria=criteria,
            answers=answers,
            current=None,
            score=evaluation.score(criteria, answers),
            markup=InlineKeyboard(((docs,),)),
        )
        return
    ident = task.id
    rows = (
        (
            Button(label("met"), Callback(Op.evaluate, ident, f"y{index}").pack()),
            Button(label("not_met"), Callback(Op.evaluate, ident, f"n{index}").pack()),
        ),
        (Button(label("note"), Callback(Op.evaluate, ident, f"c{index}").pack()), docs),
    )
    ctx.say(
        "evaluation_form",
        case=case,
        criteria=criteria,
        answers=answers,
        current=index,
        score=None,
        markup=InlineKeyboard(rows),
    )


async def require_complete(ctx: Ctx, task: Task, spec: SopSpec, action_name: str) -> None:
    """The evaluation step's forward action waits for every criterion to be answered."""
    step = spec.step(task.step_number)
    action = step.action(action_name)
    if not step.evaluation or action is None or action.kind is not ActionKind.forward:
        return
    row = await evaluation.of_case(ctx.session, task.case_id)
    criteria = spec.qualification.evaluation
    if evaluation.next_open(criteria, dict(row.answers) if row else {}) is not None:
        raise WorkflowError("evaluation_incomplete")


async def complete(ctx: Ctx, step: Step, case: Case, action_name: str) -> None:
    """After the evaluation step's forward action: the form is final; its PDF goes into the
    case (drawn after the commit) and to the officer who filled it."""
    action = step.action(action_name)
    if not step.evaluation or action is None or action.kind is not ActionKind.forward:
        return
    row = await evaluation.of_case(ctx.session, case.id)
    if row is None or ctx.user is None:
        return
    spec = await spec_of(ctx.session, case.sop_version_id)
    criteria = spec.qualification.evaluation
    outlet = await ctx.session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
    standing = (
        await outlets.standing(ctx.session, outlet, spec.qualification, ctx.now.date())
        if outlet
        else None
    )
    row.score = evaluation.score(criteria, dict(row.answers))
    row.grade = standing.grade if standing else None
    row.completed_at = ctx.now
    data = await records.evaluation_sheet(ctx.session, spec, case, row, outlet, ctx.user, step)
    made = documents.Made(
        "evaluation",
        f"lembar-evaluasi-{documents.slug(case.agenda_number or str(case.id))}.pdf",
        documents.PDF,
        ctx.user.id,
        case.id,
    )
    caption = render("record_caption", kind="evaluation", case=case)
    chat = ctx.chat
    documents.later(
        ctx,
        lambda: [(made, evaluation_pdf(data))],
        lambda docs: documents.send(ctx, [chat], docs[0], caption),
    )


async def summary(session: AsyncSession, spec: SopSpec, case: Case) -> dict[str, object] | None:
    """What later steps (the deciding officials) see of a completed evaluation."""
    row = await evaluation.of_case(session, case.id)
    if row is None or row.completed_at is None:
        return None
    criteria = spec.qualification.evaluation
    by = await session.get(User, row.filled_by) if row.filled_by else None
    return {
        "score": row.score,
        "grade": row.grade,
        "criteria": criteria,
        "answers": dict(row.answers),
        "by": by.name if by else "-",
        "at": row.completed_at,
    }
