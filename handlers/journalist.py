"""Journalists: submit a request, follow it (/status), answer a return, send news."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers import notify, parsing, payments
from handlers.callbacks import Callback, Op
from handlers.context import Ctx
from handlers.events import MessageEvent
from handlers.platforms import Chat
from handlers.prompts import prompt_messages, short
from handlers.render import SUBJECT_PREFIX, done_word, label, render, shown_length, toast
from handlers.replies import Button, InlineKeyboard, edit, message
from handlers.uploads import receive
from storage.models import AuditEvent, Case, MediaOutlet, SopVersion, Task, User
from workflow import access, delegation, engine, outlets, qualification, terms
from workflow.errors import NotAllowed, NotFound
from workflow.registry import spec_of
from workflow.spec import SopSpec

HISTORY_PAGE = 5  # events per page of /status: the message must fit a phone screen
STATUS_LIMIT = 500  # characters as shown, with its buttons: one 360 x 640 screen
HISTORY_NOTE = 80  # a return or rejection reason, in the history line
EARLIER_SHOWN = 3  # her earlier requests, one line each

# Office events kept out of the journalist's history: notes, the terms being drafted, records
# sent to officials, the payment moments (her /status shows where her payment stands instead).
OFFICE_ONLY = (
    "note",
    terms.TERMS_CHANGED,
    access.RECORD_VIEW,
    payments.SPJ_SIGNED,
    payments.NOT_RECEIVED,
)


def skip_keyboard() -> InlineKeyboard:
    return InlineKeyboard(((Button(label("skip"), Callback(Op.skip).pack()),),))


def _journalist(ctx: Ctx) -> User | None:
    user = ctx.user
    if user is None or not user.is_journalist:
        ctx.say("not_registered")
        return None
    return user


async def _outlet(ctx: Ctx, user: User) -> MediaOutlet | None:
    return await outlets.outlet_of(ctx.session, user)


# ---------------------------------------------------------------- /ajukan


async def start_request(ctx: Ctx) -> None:
    user = _journalist(ctx)
    if user is None:
        return
    open_case = await ctx.session.scalar(
        select(Case).where(Case.applicant_id == user.id, Case.status != "closed")
    )
    if open_case is not None:
        ctx.say("already_open", case=open_case)
        return
    outlet = await _outlet(ctx, user)
    if outlet is not None and outlets.is_lapsed(outlet, ctx.now.date()):
        # The yearly registration ran out: no new request until it is renewed (/perpanjang).
        ctx.say("registration_lapsed", outlet=outlet)
        return
    if await _grade_refused(ctx, outlet):
        return
    await ctx.set_state("req:letter")
    if ctx.deps.spec.sop.warnings:
        ctx.say("sop_warnings", warnings=ctx.deps.spec.sop.warnings)
    ctx.say("ask_request_letter", outlet=outlet, markup=skip_keyboard())


async def _grade_refused(ctx: Ctx, outlet: MediaOutlet | None) -> bool:
    """Refuses an outlet whose grade the office does not accept (`accept_grades`), naming what
    the nearest accepted grade still needs. A legacy outlet (registered before the registry:
    no registration period on file) is let through: it never went through these rules, and
    refusing every old partner the day a rule set is switched on would stop the office's work
    without notice; its first /perpanjang puts it under the rules like any other.
    Said in the chat, not raised: from the Lewati button an alert would cut the list at 200
    characters. Callers stop before anything is stored (the letter is not even received)."""
    if outlet is None or outlet.registered_until is None:
        return False
    rules = ctx.deps.spec.qualification
    today = ctx.now.astimezone(ZoneInfo(ctx.tz)).date()
    facts = await outlets.facts(ctx.session, outlet)
    owed = qualification.short_of(rules, facts, today)
    if owed is None:
        return False
    target, needs = owed
    refusal = NotAllowed(
        "grade_not_accepted",
        outlet=outlet.name,
        grade=qualification.grade(rules, facts, today),
        accepted=", ".join(rules.accept_grades),
        target=target,
        needs=needs,
        rules=rules,
    )
    await ctx.clear_state()
    ctx.answer()
    ctx.say("refused", message=refusal.message)
    return True


async def on_request_letter(ctx: Ctx, event: MessageEvent) -> None:
    if await _grade_refused(ctx, await _outlet(ctx, ctx.user)):  # type: ignore[arg-type]
        return  # before the letter is received: nothing stored
    try:
        document = await receive(ctx, event, "request_letter", "request_letter")
    except parsing.InputError as error:
        ctx.say("invalid", message=error.message)
        outlet = await _outlet(ctx, ctx.user)  # type: ignore[arg-type]
        ctx.say("ask_request_letter", outlet=outlet, markup=skip_keyboard())
        return
    await submit(ctx, [document.id])


async def submit(ctx: Ctx, attachments: list[int]) -> None:
    user = _journalist(ctx)
    if user is None:
        return
    await ctx.clear_state()
    outlet = await _outlet(ctx, user)
    if outlet is not None and outlets.is_lapsed(outlet, ctx.now.date()):
        ctx.say("registration_lapsed", outlet=outlet)
        return
    if await _grade_refused(ctx, outlet):
        return
    version = await ctx.session.get(SopVersion, ctx.deps.version_id)
    assert version is not None
    result = await engine.submit_case(
        ctx.session,
        version=version,
        applicant=user,
        outlet_id=outlet.id if outlet else None,
        subject=f"{SUBJECT_PREFIX} {outlet.name if outlet else ''}".strip(),
        now=ctx.now,
        attachments=attachments,
    )
    next_task = await engine.open_task_of_case(ctx.session, result.case.id)
    assert next_task is not None
    step = result.spec.step(next_task.step_number)
    ctx.say(
        "submitted",
        case=result.case,
        outlet=outlet,
        next_role=result.spec.role_name(step.role),
        next_activity=step.name,
        due=next_task.due_at,
    )
    ctx.out.extend(await notify.after(ctx.session, ctx.deps.archive, result))


# ---------------------------------------------------------------- /status


async def status(ctx: Ctx) -> None:
    """Her newest request in full (where it stands, whose turn, by when), its latest history
    with "Lebih lama »" for the rest, and her earlier requests one line each."""
    user = _journalist(ctx)
    if user is None:
        return
    cases = list(
        await ctx.session.scalars(
            select(Case)
            .where(Case.applicant_id == user.id)
            .order_by(Case.id.desc())
            .limit(1 + EARLIER_SHOWN)
        )
    )
    if not cases:
        ctx.say("status", current=None, earlier=[])
        return
    current = await _case_view(ctx, cases[0])
    earlier = [await _case_view(ctx, c, with_history=False) for c in cases[1:]]
    history = current.pop("history")
    assert isinstance(history, list)
    # The newest events that fit one screen beside where the request stands (a publication
    # period's block takes room); "Lebih lama »" opens the pages, which start again at the
    # newest when fewer than a page were shown, so no event is skipped.
    for shown in range(min(HISTORY_PAGE, len(history)), -1, -1):
        text = render(
            "status",
            tz=ctx.tz,
            current=current,
            earlier=earlier,
            history=history[len(history) - shown :][::-1],
        )
        if shown_length(text) <= STATUS_LIMIT:
            break
    first = -1 if shown < min(HISTORY_PAGE, len(history)) else 0
    rows = list(_history_buttons(cases[0].id, first, len(history)))
    if cases[0].status == "returned":  # her turn: the button to send the correction, here too
        rows.insert(0, (Button(label("resubmit"), Callback(Op.resubmit, cases[0].id).pack()),))
    ctx.send(message(ctx.chat, text, InlineKeyboard(tuple(rows)) if rows else None))


async def history_page(ctx: Ctx, case_id: int, page: int, message_id: int) -> None:
    """ "Lebih lama »": the status message shows an older page of one request's history."""
    user = _journalist(ctx)
    if user is None:
        return
    case = await ctx.session.get(Case, case_id)
    if case is None or case.applicant_id != user.id:  # the button names; it never authorises
        raise NotFound("case_not_found")
    spec = await spec_of(ctx.session, case.sop_version_id)
    rows = (await _history(ctx, spec, case))[::-1]  # newest first
    pages = max(1, -(-len(rows) // HISTORY_PAGE))
    page = min(max(page, 0), pages - 1)
    ctx.answer()
    ctx.send(
        edit(
            ctx.chat,
            message_id,
            render(
                "status_history",
                tz=ctx.tz,
                case=case,
                rows=rows[page * HISTORY_PAGE : (page + 1) * HISTORY_PAGE],
                page=page + 1,
                pages=pages,
            ),
            InlineKeyboard(tuple(_history_buttons(case.id, page, len(rows)))),
        )
    )


def _history_buttons(case_id: int, page: int, total: int) -> list[tuple[Button, ...]]:
    """`page` -1: /status showed fewer than a page, so "Lebih lama »" opens the first page."""
    if page < 0:
        return [(Button(label("older"), Callback(Op.older, case_id, "0").pack()),)] if total else []
    row = []
    if page > 0:
        row.append(Button(label("newer"), Callback(Op.older, case_id, str(page - 1)).pack()))
    if (page + 1) * HISTORY_PAGE < total:
        row.append(Button(label("older"), Callback(Op.older, case_id, str(page + 1)).pack()))
    return [tuple(row)] if row else []


async def _case_view(ctx: Ctx, case: Case, with_history: bool = True) -> dict[str, object]:
    spec = await spec_of(ctx.session, case.sop_version_id)
    outlet = await ctx.session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
    task = await engine.open_task_of_case(ctx.session, case.id)
    view: dict[str, object] = {
        "case": case,
        "outlet": outlet.name if outlet else "-",
        "status": case.outcome or case.status,
        "step": None,
        "news": None,
        "history": await _history(ctx, spec, case) if with_history else [],
    }
    view.update(await payments.status_view(ctx.session, spec, case, task))
    if task is None:
        return view
    step = spec.step(task.step_number)
    mine = task.role == spec.applicant_role
    due: datetime | None = task.due_at
    if case.status == "returned":
        # The case waits on her: her own deadline, not the official's paused one.
        revision = await ctx.session.scalar(
            select(Task).where(
                Task.case_id == case.id, Task.kind == "revision", Task.status == engine.OPEN
            )
        )
        mine, due = True, revision.due_at if revision else None
    view.update(
        step=step.number,
        total=spec.total_steps,
        name=step.name,
        holder=None if mine else spec.role_name(task.role),
        returned=case.status == "returned",
        due=due,
    )
    if step.starts_period:
        view.update(
            news=await engine.news_count(ctx.session, case.id, case.period),
            news_target=await terms.news_target(ctx.session, spec, case),
            period=case.period,
        )
    return view


async def _history(ctx: Ctx, spec: SopSpec, case: Case) -> list[dict[str, object]]:
    """One line per event, oldest first: her submission once (the sheet's step 1 is done by
    submitting, so its action is the same event), every action in the past tense."""
    events = await ctx.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id, AuditEvent.action.not_in(("check", *OFFICE_ONLY)))
        .order_by(AuditEvent.id)
    )
    rows: list[dict[str, object]] = []
    for event in events:
        step = spec.step(event.step_number) if event.step_number else None
        action = step.action(event.action) if step else None
        own_submit = step is not None and step.number == spec.start and event.action == "submit"
        if own_submit and rows and rows[-1]["kind"] == "submit":
            continue
        applicant = event.role == spec.applicant_role
        role = "" if applicant else delegation.title_of(spec, event.role, event.data)
        if event.action == "document_view" and rows:
            last = rows[-1]
            if last["kind"] == "document_view" and last["role"] == role:
                last["files"] = int(str(last["files"])) + 1  # one opening of several files
                continue
        rows.append(
            {
                "at": event.at,
                "kind": event.action,
                "step": step.number if step else None,
                "done": done_word(action) if action else event.action,
                "role": role,  # her own actions need no name; an official's are shown by role
                "files": 1,
                "note": short(event.note, HISTORY_NOTE)
                if event.note and event.action in ("return", "reject", "no", "question", "answer")
                else "",
            }
        )
    return rows


# ---------------------------------------------------------------- returns


async def resubmit(ctx: Ctx, case_id: int) -> None:
    if ctx.user is None:
        raise NotAllowed("not_registered")
    result = await engine.resubmit(ctx.session, case_id=case_id, actor=ctx.user, now=ctx.now)
    await ctx.clear_state()
    ctx.answer(toast("resubmitted"))
    ctx.say("resubmitted", case=result.case)
    ctx.out.extend(await notify.after(ctx.session, ctx.deps.archive, result))


async def revision_file(ctx: Ctx, event: MessageEvent, case_id: int) -> None:
    """A file sent while a request is returned is kept as part of the correction."""
    try:
        document = await receive(ctx, event, "revision", "revision", case_id=case_id)
    except parsing.InputError as error:
        ctx.say("invalid", message=error.message)
        return
    ctx.say(
        "revision_file",
        name=document.file_name,
        case=await ctx.session.get(Case, case_id),
        markup=InlineKeyboard(
            ((Button(label("resubmit"), Callback(Op.resubmit, case_id).pack()),),)
        ),
    )


async def returned_case(ctx: Ctx) -> Case | None:
    if ctx.user is None or not ctx.user.is_journalist:
        return None
    return await ctx.session.scalar(
        select(Case).where(Case.applicant_id == ctx.user.id, Case.status == "returned")
    )


# ---------------------------------------------------------------- news


async def start_news(ctx: Ctx, case_id: int | None = None) -> None:
    user = _journalist(ctx)
    if user is None:
        return
    case = await _publishing_case(ctx, user, case_id)
    if case is None:
        ctx.say("news_not_now")
        return
    await ctx.set_state("news:title", case_id=case.id)
    ctx.say("news_ask_title", case=case, period=case.period)


async def _publishing_case(ctx: Ctx, user: User, case_id: int | None) -> Case | None:
    query = (
        select(Case)
        .join(Task, Task.case_id == Case.id)
        .where(Case.applicant_id == user.id, Task.status == engine.OPEN)
    )
    if case_id is not None:
        case = await ctx.session.get(Case, case_id)
        if case is None or case.applicant_id != user.id:
            raise NotFound("case_not_found")
        candidates = [case]
    else:
        candidates = list(await ctx.session.scalars(query.distinct()))
    for case in candidates:
        task = await engine.open_task_of_case(ctx.session, case.id)
        spec = await spec_of(ctx.session, case.sop_version_id)
        if (
            task is not None
            and task.status == engine.OPEN
            and spec.step(task.step_number).starts_period
        ):
            return case
    return None


async def on_news_message(ctx: Ctx, event: MessageEvent) -> None:
    step = ctx.state.name.removeprefix("news:")
    data = dict(ctx.state.data)
    try:
        if step == "title":
            data["title"] = parsing.news_title(event.text or "")
            await ctx.set_state("news:link", **data)
            ctx.say("news_ask_link")
        elif step == "link":
            data["url"] = parsing.news_url(event.text or "")
            await ctx.set_state("news:date", **data)
            ctx.say("news_ask_date")
        elif step == "date":
            today = ctx.now.astimezone(ZoneInfo(ctx.tz)).date()
            data["date"] = parsing.published_date(event.text or "", today).isoformat()
            await ctx.set_state("news:shot", **data)
            ctx.say("news_ask_screenshot", markup=skip_keyboard())
        elif step == "shot":
            document = await receive(ctx, event, "screenshot", "screenshot", int(data["case_id"]))
            await save_news(ctx, document.id)
    except parsing.InputError as error:
        ctx.say("invalid", message=error.message)


async def save_news(ctx: Ctx, screenshot_id: int | None) -> None:
    data = dict(ctx.state.data)
    await ctx.clear_state()
    assert ctx.user is not None
    case_id = int(data["case_id"])
    item = await engine.add_news(
        ctx.session,
        case_id=case_id,
        actor=ctx.user,
        title=str(data["title"]),
        url=str(data["url"]),
        published_on=date.fromisoformat(str(data["date"])),
        now=ctx.now,
        screenshot_id=screenshot_id,
    )
    case = await ctx.session.get(Case, case_id)
    assert case is not None
    spec = await spec_of(ctx.session, case.sop_version_id)
    count = await engine.news_count(ctx.session, case.id, case.period)
    ctx.say(
        "news_saved",
        title=item.title,
        published=item.published_on,
        count=count,
        target=await terms.news_target(ctx.session, spec, case),
    )
    task = await engine.open_task_of_case(ctx.session, case.id)
    if task is not None:
        for prompt in await prompt_messages(ctx.session, spec, case, task):
            if Chat(prompt.platform, prompt.chat_id) == ctx.chat:
                ctx.send(prompt)
