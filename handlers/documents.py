"""The SOP's records in the chat: what a step produces is drawn after the commit, archived with
the case (sha256, size, kind, who, when) and sent to exactly the people the step concerns.

- request received (agenda number): the journalist gets the PDF tanda terima;
- the drafting step (``drafts:`` in the SOP) opens: its holders get the .docx draft, and may
  upload edited versions ("Unggah versi baru"); later officials get the newest version, the
  head who signs gets it as PDF;
- the MoU/PKS is numbered: the journalist gets the numbered PDF (the admin the .docx too);
- the payment step opens (``spj_ready``): the admin gets the news recap and SPJ (xlsx + PDF);
- "📄 Lembar disposisi" on any official's prompt: the sheet as of now, rebuilt from the events.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import payments
from handlers.callbacks import Callback, Op
from handlers.context import Ctx
from handlers.platforms import Chat, chat_of
from handlers.render import label, render
from handlers.replies import Button, InlineKeyboard, Reply, SendDocument, document
from storage.db import transaction
from storage.models import Agreement, Case, Document, Task, User
from workflow import access, delegation, documents, engine, records, signing, terms
from workflow.engine import Transition
from workflow.errors import NotAllowed, NotFound
from workflow.registry import spec_of
from workflow.signing import Certificate
from workflow.spec import Effect, SopSpec, Step

PDF = documents.PDF_MIME
XLSX = documents.XLSX_MIME
DOCX = records.DOCX_MIME
_SLUG = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class Made:
    """A file a job draws: stored under the case as ``kind``, owned by ``owner_id``."""

    kind: str
    file_name: str
    mime: str
    owner_id: int
    case_id: int


# What a job draws, run in a drawing worker (workflow.drawing): a module-level function with
# picklable arguments (functools.partial of the draw_* functions below), never a closure over
# the update's context.
Draw = Callable[[], list[tuple[Made, bytes]]]
Deliver = Callable[[list[Document]], list[Reply]]
# The officials a record goes to: their chat -> (user id, role). Each file sent to one of them is
# logged as an event of the case (who, which file, when), as workflow.access does for uploads.
Viewers = dict[Chat, tuple[int, str]]


def viewers_of(users: list[User], role: str) -> Viewers:
    return {chat_of(user): (user.id, role) for user in users}


def log_views(
    session: AsyncSession,
    replies: list[Reply],
    by_path: dict[str, Document],
    viewers: Viewers,
    now: datetime,
) -> None:
    """Each record sent to an official: an event of its case (who, which file, when)."""
    for reply in replies:
        if not isinstance(reply, SendDocument):
            continue
        chat = Chat(reply.platform, reply.chat_id)
        doc = by_path.get(reply.path)
        if chat in viewers and doc is not None and doc.case_id is not None:
            user_id, role = viewers[chat]
            access.record_generated_view(session, doc.case_id, user_id, role, doc, now)


def slug(text: str | None) -> str:
    return _SLUG.sub("-", text or "").strip("-") or "tanpa-nomor"


def _sessions(ctx: Ctx) -> async_sessionmaker[AsyncSession]:
    # The update's own engine: a job runs after the update's transaction, in one of its own.
    return async_sessionmaker(ctx.session.bind, expire_on_commit=False)


def later(ctx: Ctx, draw: Draw, deliver: Deliver, viewers: Viewers | None = None) -> None:
    """Draw after the commit (in a drawing worker: off this process's GIL), archive in a short
    transaction (with the views of the officials it goes to), then send. A drawing that fails,
    or whose worker dies twice, raises out of the job: MitraApp logs it and nothing is stored
    or sent, as for any follow-up work that fails."""
    sessions, archive, now, drawing = _sessions(ctx), ctx.deps.archive, ctx.now, ctx.deps.drawing

    def store(made: list[tuple[Made, bytes]]) -> None:
        for what, content in made:
            archive.store(content, what.file_name)  # the bytes on disk before any row names them

    async def job() -> list[Reply]:
        made = await drawing.run(draw)
        await asyncio.to_thread(store, made)
        async with transaction(sessions) as session:
            docs = [
                await archive.add(
                    session,
                    owner_id=what.owner_id,
                    kind=what.kind,
                    content=content,
                    file_name=what.file_name,
                    mime_type=what.mime,
                    now=now,
                    case_id=what.case_id,
                )
                for what, content in made
            ]
            replies = deliver(docs)
            if viewers:
                by_path = {str(archive.path_of(doc)): doc for doc in docs}
                log_views(session, replies, by_path, viewers, now)
        return replies

    ctx.later.append(job)


# ---------------------------------------------------------------- what the workers run


def draw_one(made: Made, fn: Callable[..., bytes], *args: object) -> list[tuple[Made, bytes]]:
    return [(made, fn(*args))]


def docx_file_pdf(source: Path) -> bytes:
    """The newest draft (in the archive) as PDF: read in the worker, not in the event loop."""
    return documents.docx_pdf(source.read_bytes())


def draw_redraft(
    data: records.Draft, word: Made, pdf: Made, as_pdf: bool
) -> list[tuple[Made, bytes]]:
    content = documents.draft_docx(data)
    if not as_pdf:
        return [(word, content)]
    return [(word, content), (pdf, documents.docx_pdf(content))]


def draw_recap(data: records.Recap, pdf: Made, xlsx: Made) -> list[tuple[Made, bytes]]:
    return [(pdf, documents.recap_pdf(data)), (xlsx, documents.recap_xlsx(data))]


def draw_numbered(
    source: Path | None,
    data: records.Draft,
    certificate: Certificate | None,
    as_pdf: Made,
    as_docx: Made,
) -> list[tuple[Made, bytes]]:
    draft = source.read_bytes() if source else documents.draft_docx(data)
    pdf, word = numbered_files(draft, data, certificate)
    return [(as_pdf, pdf), (as_docx, word)]


def send(ctx: Ctx, chats: list[Chat], doc: Document, caption: str) -> list[Reply]:
    path = str(ctx.deps.archive.path_of(doc))
    return [
        document(chat, doc.file_name, path, doc.mime_type, caption=caption[:1024]) for chat in chats
    ]


# ---------------------------------------------------------------- after a transition


async def follow(ctx: Ctx, result: Transition) -> None:
    """The records a transition makes (called after notify.after, in the same update)."""
    case, spec = result.case, result.spec
    if "agenda_number" in result.numbers:
        await _receipt(ctx, case)
    for task in result.new_tasks:
        if task.kind == "step" and task.role != spec.applicant_role:
            await _for_new_task(ctx, spec, case, task, result.event.actor_id)
    if "agreement_number" in result.numbers:
        await _numbered(ctx, spec, case, result.event.actor_id, result.event.role)
    if result.action is not None and Effect.spj_ready in result.action.effects:
        actor = await ctx.session.get(User, result.event.actor_id or 0)
        payments.after_spj(ctx, case, case.period, actor)


async def _receipt(ctx: Ctx, case: Case) -> None:
    data = await records.receipt(ctx.session, case)
    applicant = await ctx.session.get(User, case.applicant_id)
    if applicant is None:
        return
    made = Made(
        "receipt", f"tanda-terima-{slug(case.agenda_number)}.pdf", PDF, applicant.id, case.id
    )
    caption = render("record_caption", kind="receipt", case=case)
    chat = chat_of(applicant)
    later(
        ctx,
        partial(draw_one, made, documents.receipt_pdf, data),
        lambda docs: send(ctx, [chat], docs[0], caption),
    )


def _signs(step: Step) -> bool:
    return any(Effect.sign in action.effects for action in step.actions)


async def _for_new_task(
    ctx: Ctx, spec: SopSpec, case: Case, task: Task, actor_id: int | None
) -> None:
    step = spec.step(task.step_number)
    viewers = viewers_of(await engine.holders(ctx.session, spec, task, case, ctx.now), task.role)
    chats = list(viewers)
    if not chats:
        return
    versions = await records.draft_versions(ctx.session, case.id)
    agreement = await ctx.session.scalar(select(Agreement).where(Agreement.case_id == case.id))
    numbered = agreement is not None and agreement.number is not None
    if versions and not numbered and await _stale(ctx, case, versions[-1]):
        # The terms changed after the newest draft: the next officials get one with the new terms.
        await _redraft(ctx, case, versions, viewers, actor_id, as_pdf=_signs(step))
    elif step.drafts and not versions:
        data = await records.draft(ctx.session, case, ctx.now)
        owner = actor_id or case.applicant_id
        made = Made("draft", f"konsep-mou-pks-{case.id}-v1.docx", DOCX, owner, case.id)
        caption = render("record_caption", kind="draft", case=case, version=1, by=None)
        later(
            ctx,
            partial(draw_one, made, documents.draft_docx, data),
            lambda docs: send(ctx, chats, docs[0], caption),
            viewers,
        )
    elif versions and not numbered:
        newest = versions[-1]
        by = await ctx.session.get(User, newest.owner_id) if newest.kind != "draft" else None
        caption = render(
            "record_caption",
            kind="draft_pdf" if _signs(step) else "draft",
            case=case,
            version=len(versions),
            by=by.name if by else None,
            at=newest.uploaded_at,
            tz=ctx.tz,
        )
        if _signs(step):
            source = ctx.deps.archive.path_of(newest)
            name = f"konsep-final-mou-pks-{case.id}-v{len(versions)}.pdf"
            made = Made("draft_pdf", name, PDF, newest.owner_id, case.id)
            later(
                ctx,
                partial(draw_one, made, docx_file_pdf, source),
                lambda docs: send(ctx, chats, docs[0], caption),
                viewers,
            )
        else:
            sent = send(ctx, chats, newest, caption)
            ctx.out.extend(sent)
            path = str(ctx.deps.archive.path_of(newest))
            log_views(ctx.session, sent, {path: newest}, viewers, ctx.now)
    if any(Effect.spj_ready in action.effects for action in step.actions):
        await _recap(ctx, case, viewers, actor_id)


async def _stale(ctx: Ctx, case: Case, newest: Document) -> bool:
    return await terms.changed_since(ctx.session, case.id, newest.uploaded_at)


async def _redraft(
    ctx: Ctx,
    case: Case,
    versions: list[Document],
    viewers: Viewers,
    owner_id: int | None,
    *,
    as_pdf: bool = False,
) -> None:
    """A new version of the draft drawn from the case and its terms as they are now (an edited
    upload's wording is not carried over: the caption says so)."""
    data = await records.draft(ctx.session, case, ctx.now)
    number = len(versions) + 1
    owner = owner_id or case.applicant_id
    word = Made("draft", f"konsep-mou-pks-{case.id}-v{number}.docx", DOCX, owner, case.id)
    pdf = Made("draft_pdf", f"konsep-final-mou-pks-{case.id}-v{number}.pdf", PDF, owner, case.id)
    caption = render(
        "record_caption",
        kind="draft_pdf" if as_pdf else "draft",
        case=case,
        version=number,
        by=None,
        redrawn=True,
        edited_before=bool(versions) and versions[-1].kind != "draft",
    )
    chats = list(viewers)
    draw = partial(draw_redraft, data, word, pdf, as_pdf)
    later(ctx, draw, lambda docs: send(ctx, chats, docs[-1], caption), viewers)


async def redraft_if_stale(ctx: Ctx, spec: SopSpec, case: Case, task: Task) -> bool:
    """'Selesai' after changing the terms: a new draft version for the one who changed them."""
    versions = await records.draft_versions(ctx.session, case.id)
    if versions and not await _stale(ctx, case, versions[-1]):
        return False
    assert ctx.user is not None
    await _redraft(ctx, case, versions, {ctx.chat: (ctx.user.id, task.role)}, ctx.user.id)
    return True


async def recap_for(ctx: Ctx, case: Case, role: str) -> None:
    """The recap and SPJ drawn again for the one who asked (a late item counted after all)."""
    assert ctx.user is not None
    await _recap(ctx, case, {ctx.chat: (ctx.user.id, role)}, ctx.user.id)


async def _recap(ctx: Ctx, case: Case, viewers: Viewers, actor_id: int | None) -> None:
    """The period's news recap and SPJ (PDF, Excel), and beside them the late items not counted,
    each with a button to count it (handlers.payments)."""
    chats = list(viewers)
    data = await records.recap(ctx.session, case)
    owner = actor_id or case.applicant_id
    stem = f"rekap-spj-{case.id}-periode-{data.period}"
    xlsx = Made("recap_xlsx", f"{stem}.xlsx", XLSX, owner, case.id)
    pdf = Made("recap_pdf", f"{stem}.pdf", PDF, owner, case.id)
    caption = render("record_caption", kind="recap", case=case, period=data.period)
    later(
        ctx,
        partial(draw_recap, data, pdf, xlsx),
        lambda docs: [r for doc in docs for r in send(ctx, chats, doc, caption)],
        viewers,
    )
    await payments.late_message(ctx, case, data, chats)


async def _numbered(
    ctx: Ctx, spec: SopSpec, case: Case, actor_id: int | None, role: str | None = None
) -> None:
    """The admin's number goes into the newest draft; the journalist gets the numbered PDF."""
    data = await records.draft(ctx.session, case, ctx.now)
    versions = await records.draft_versions(ctx.session, case.id)
    fresh = versions and not await _stale(ctx, case, versions[-1])  # else: from the new terms
    source = ctx.deps.archive.path_of(versions[-1]) if fresh else None
    applicant = await ctx.session.get(User, case.applicant_id)
    actor = await ctx.session.get(User, actor_id) if actor_id else None
    if applicant is None or data.number is None:
        return
    number = data.number
    owner = actor.id if actor else applicant.id
    stem = f"mou-pks-{slug(number)}"
    as_docx = Made("agreement_docx", f"{stem}.docx", DOCX, owner, case.id)
    as_pdf = Made("agreement", f"{stem}.pdf", PDF, owner, case.id)
    caption = render("record_caption", kind="agreement", case=case, d=data, tz=ctx.tz)
    to_applicant, to_actor = chat_of(applicant), chat_of(actor) if actor else None

    draw = partial(draw_numbered, source, data, ctx.deps.signing, as_pdf, as_docx)

    def deliver(docs: list[Document]) -> list[Reply]:
        out = send(ctx, [to_applicant], docs[0], caption)
        if to_actor is not None and to_actor != to_applicant:
            # The admin who numbered it sees the number in the document he hands over.
            out += send(ctx, [to_actor], docs[0], caption) + send(ctx, [to_actor], docs[1], caption)
        return out

    seen = {chat_of(actor): (actor.id, role)} if actor and role else None
    later(ctx, draw, deliver, seen)


def numbered_files(
    draft: bytes, data: records.Draft, certificate: Certificate | None
) -> tuple[bytes, bytes]:
    """(PDF, .docx) of the numbered agreement; the PDF carries the head's PAdES signature when
    the office configured his certificate and he signed it at the SOP's signing step."""
    assert data.number is not None
    word = documents.number_docx(draft, data.number)
    pdf = documents.docx_pdf(word, final=data)
    if certificate is not None and data.signed_on is not None:
        pdf = signing.sign_pdf(
            pdf,
            certificate,
            reason=f"MoU/PKS {data.number}",
            location=data.office.regency or data.office.name,
        )
    return pdf, word


# ---------------------------------------------------------------- buttons on a prompt


def buttons(spec: SopSpec, task: Task) -> tuple[Button, ...]:
    """'📄 Lembar disposisi' on every official's prompt; 'Unggah versi baru' and the agreement's
    terms ('✏️ Ketentuan') where drafting."""
    row = [Button(label("sheet"), Callback(Op.sheet, task.id).pack())]
    if spec.step(task.step_number).drafts:
        row.append(Button(label("upload_draft"), Callback(Op.upload, task.id).pack()))
        row.append(Button(label("terms"), Callback(Op.terms, task.id).pack()))
    return tuple(row)


async def may_see(
    session: AsyncSession, user: User | None, case: Case, now: datetime | None = None
) -> bool:
    """A journalist sees her own cases' files; an official those of cases his role works on now
    (or every case, for the SOP's records_roles): the one policy of workflow.access."""
    if user is None:
        return False
    if access.own_case(case, user):
        return True
    spec = await spec_of(session, case.sop_version_id)
    return await access.viewing_role(session, spec, case, user, now) is not None


async def _task_case(ctx: Ctx, task_id: int) -> tuple[Task, Case]:
    task = await ctx.session.get(Task, task_id)
    case = await ctx.session.get(Case, task.case_id) if task else None
    if task is None or case is None:
        raise NotFound("case_not_found")
    if not await may_see(ctx.session, ctx.user, case, ctx.now):
        raise NotAllowed("files_not_yours")
    return task, case


async def on_button(ctx: Ctx, cb: Callback) -> None:
    if cb.op == Op.sheet:
        await send_sheet(ctx, cb.id)
    elif cb.op == Op.upload:
        await ask_upload(ctx, cb.id)


async def send_sheet(ctx: Ctx, task_id: int) -> None:
    """The disposition sheet as of now (every note and paraf so far), to the one who asked."""
    _task, case = await _task_case(ctx, task_id)
    assert ctx.user is not None
    spec = await spec_of(ctx.session, case.sop_version_id)
    role = await access.viewing_role(ctx.session, spec, case, ctx.user)
    data = await records.disposition(ctx.session, case)
    made = Made(
        "disposition",
        f"lembar-disposisi-{slug(case.agenda_number or str(case.id))}.pdf",
        PDF,
        ctx.user.id,
        case.id,
    )
    caption = render("record_caption", kind="disposition", case=case)
    chat = ctx.chat
    ctx.answer()
    later(
        ctx,
        partial(draw_one, made, documents.disposition_pdf, data),
        lambda docs: send(ctx, [chat], docs[0], caption),
        {chat: (ctx.user.id, role)} if role else None,
    )


async def ask_upload(ctx: Ctx, task_id: int) -> None:
    """The edited .docx comes as the next message: it is kept as a new version of the draft."""
    task, case = await _task_case(ctx, task_id)
    spec = await spec_of(ctx.session, case.sop_version_id)
    if (
        ctx.user is None
        or task.role not in await delegation.roles_now(ctx.session, ctx.user, ctx.now)
        or task.status != engine.OPEN
    ):
        raise NotAllowed("draft_holder_only")
    if not spec.step(task.step_number).drafts:
        raise NotAllowed("no_drafts_here")
    versions = await records.draft_versions(ctx.session, case.id)
    ctx.answer()
    await ctx.set_state("attach", task_id=task.id)
    cancel = InlineKeyboard(((Button(label("cancel"), Callback(Op.cancel).pack()),),))
    ctx.say("ask_draft_upload", case=case, next_version=len(versions) + 1, markup=cancel)
