"""After a transition: edit the handled prompts, prompt the next holders, tell the applicant."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import media_center
from handlers.callbacks import Callback, Op
from handlers.outbox import edits_of, prompt_copies
from handlers.platforms import Chat, chat_of
from handlers.prompts import prompt_messages, verb_of
from handlers.render import label, render
from handlers.replies import (
    Button,
    InlineKeyboard,
    Reply,
    document,
    message,
)
from storage.archive import Archive
from storage.models import Agreement, Case, Document, MediaOutlet, Task, User
from workflow import delegation, office
from workflow.engine import Transition
from workflow.records import DOCX_MIME
from workflow.spec import ActionKind, SopSpec


async def after(session: AsyncSession, archive: Archive, result: Transition) -> list[Reply]:
    out: list[Reply] = []
    spec, case = result.spec, result.case
    actor = await session.get(User, result.event.actor_id) if result.event.actor_id else None
    if result.closed_task is not None and result.closed_task.kind == "step":
        out += await edit_handled(session, spec, case, result.closed_task, actor, result)
    out += await _tell_applicant(session, archive, spec, case, actor, result)
    if result.resumed_task is not None:
        out += await prompt_messages(
            session,
            spec,
            case,
            result.resumed_task,
            headline=render("resumed_headline"),
            now=result.event.at,
        )
    for task in result.new_tasks:
        if task.kind == "step":
            out += await prompt_messages(session, spec, case, task, now=result.event.at)
    out += await media_center.notes(session, result)
    return out


async def edit_handled(
    session: AsyncSession,
    spec: SopSpec,
    case: Case,
    task: Task,
    actor: User | None,
    result: Transition,
) -> list[Reply]:
    step = spec.step(task.step_number)
    icon, verb = verb_of(spec, step, result.event.action)
    text = render(
        "task_done",
        tz=spec.office.timezone,
        icon=icon,
        step=step,
        total=spec.total_steps,
        case=case,
        verb=verb,
        actor=actor.name if actor else "-",
        role=delegation.title_of(spec, result.event.role or task.role, result.event.data),
        at=result.event.at,
        note=result.event.note,
        own=task.role == spec.applicant_role,  # her own step, in her own chat: no name needed
    )
    return [edit for edit in edits_of(await prompt_copies(session, task.id), text, None)]


async def _tell_applicant(
    session: AsyncSession,
    archive: Archive,
    spec: SopSpec,
    case: Case,
    actor: User | None,
    result: Transition,
) -> list[Reply]:
    applicant = await session.get(User, case.applicant_id)
    own_action = actor is not None and actor.id == applicant.id if applicant else False
    if applicant is None or (own_action and not result.numbers and not result.case_closed):
        return []
    chat, tz = chat_of(applicant), spec.office.timezone
    who = actor.name if actor else "-"
    role = delegation.title_of(spec, result.event.role, result.event.data)
    out: list[Reply] = []
    if "agenda_number" in result.numbers:
        outlet = await session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
        out.append(
            message(
                chat,
                render(
                    "receipt",
                    tz=tz,
                    case=case,
                    outlet_name=outlet.name if outlet else "-",
                    actor=who,
                    role=role,
                    at=result.event.at,
                ),
            )
        )
    if "agreement_number" in result.numbers:
        out += await _agreement_messages(session, archive, spec, case, chat)
    kind = result.action.kind if result.action else None
    if kind == ActionKind.return_:
        revision = result.new_tasks[0]
        out.append(
            message(
                chat,
                render(
                    "returned",
                    tz=tz,
                    case=case,
                    actor=who,
                    role=role,
                    reason=result.event.note or "-",
                    due=revision.due_at,
                ),
                InlineKeyboard(
                    ((Button(label("resubmit"), Callback(Op.resubmit, case.id).pack()),),)
                ),
            )
        )
    elif result.case_closed and case.outcome == "rejected":
        out.append(
            message(
                chat, render("rejected", case=case, actor=who, role=role, reason=result.event.note)
            )
        )
    elif result.case_closed and case.outcome == "archived":
        out.append(message(chat, render("archived", case=case, reason=result.event.note)))
    elif result.case_closed:
        agreement = await session.scalar(select(Agreement).where(Agreement.case_id == case.id))
        number = agreement.number if agreement else None
        out.append(message(chat, render("completed", case=case, agreement_number=number)))
    return out


async def _agreement_messages(
    session: AsyncSession, archive: Archive, spec: SopSpec, case: Case, chat: Chat
) -> list[Reply]:
    agreement = await session.scalar(select(Agreement).where(Agreement.case_id == case.id))
    if agreement is None:
        return []
    files = list(
        await session.scalars(
            select(Document).where(
                Document.case_id == case.id,
                Document.kind == "attachment",
                Document.mime_type != DOCX_MIME,  # edited drafts are versions, not the scan
            )
        )
    )
    text = render(
        "agreement_ready",
        tz=spec.office.timezone,
        number=agreement.number,
        case=case,
        signed_at=agreement.signed_at,  # None where the SOP has no signing step
        periods=agreement.periods if any(s.starts_period for s in spec.steps) else None,
        period_label=agreement.period_label,
        news_per_period=agreement.news_per_period,
        files=files,
        office=office.contact(spec),
    )
    out: list[Reply] = [message(chat, text)]
    for doc in files:
        out.append(
            document(
                chat,
                doc.file_name,
                str(archive.path_of(doc)),
                doc.mime_type,
                caption=f"MoU/PKS {agreement.number}"[:1024],
            )
        )
    return out
