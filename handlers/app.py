"""The chat application: one update in, its effects and replies in one database transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import (
    agenda,
    agreement_terms,
    conversation,
    evaluation,
    journalist,
    linking,
    mydata,
    officials,
    outlet_admin,
    outlet_lapsing,
    parsing,
    payments,
    questions,
    registration,
    registration_outlet,
    reports,
    staff,
)
from handlers.callbacks import Op, unpack
from handlers.content import is_unknown_content, unknown_content_reply
from handlers.context import Ctx, Deps, Job
from handlers.delivery_notices import report_unreachable
from handlers.events import CallbackEvent, Event, MemberEvent, MessageEvent, SeenEvent
from handlers.menus import commands_for, default_commands, role_extras
from handlers.outbox import enqueue
from handlers.platforms import POPUPS, Chat
from handlers.ports import FileFetcher
from handlers.prefetch import prefetch
from handlers.render import fit, render, toast
from handlers.replies import AnswerCallback, EditMessage, PromptRef, Reply, SendMessage, message
from handlers.uploads import receive
from storage import accounts, ledger
from storage.accounts import find_user
from storage.db import transaction
from storage.models import Case, Task, TaskPrompt
from workflow import delegation, media_center, office
from workflow.clock import Clock
from workflow.errors import NotAllowed, WorkflowError

log = logging.getLogger(__name__)


class MitraApp:
    """One update in: its effects and every reply they cause committed in one transaction, the
    replies as outbox rows (delivered by the sender after the commit). What `handle` returns is
    only what must go at once and is worthless later: the answer to a pressed button."""

    # Update ids count per bot: another bot (a new token, the playground's fake) starts its own
    # sequence, so the ids recorded are scoped to the bot that sent them. Per platform: a
    # WhatsApp update's id is its message's number (bot/whatsapp/ids.py), a sequence of its own.
    update_scope = "telegram"

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, deps: Deps
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.deps = deps
        self.on_queued: Callable[[], None] = lambda: None  # the sender's wake-up
        self._wakers: list[Callable[[], None]] = []

    def wakes(self, waker: Callable[[], None]) -> None:
        """Adds a sender to wake after every commit (one per platform)."""
        self._wakers.append(waker)
        wakers = list(self._wakers)

        def wake_all() -> None:
            for wake in wakers:
                wake()

        self.on_queued = wake_all if len(wakers) > 1 else waker

    async def startup(self) -> list[Reply]:
        return [default_commands()]

    async def prompt_sent(
        self, ref: PromptRef, chat_id: int, message_id: int, platform: str = "telegram"
    ) -> None:
        async with transaction(self.sessions) as session:
            session.add(
                TaskPrompt(
                    task_id=ref.task_id,
                    user_id=ref.user_id,
                    platform=platform,
                    chat_id=chat_id,
                    message_id=message_id,
                    sent_at=self.clock.now().astimezone(UTC),
                )
            )

    async def handle(self, event: Event, files: FileFetcher) -> list[Reply]:
        if isinstance(event, MemberEvent):
            await self._membership(event)
            return []
        if isinstance(event, SeenEvent):
            await self._seen(event)
            return []
        if isinstance(event, MessageEvent) and not event.private:
            await self._group(event)  # the bot works in private chats, but for binding a group
            return []
        if isinstance(event, MessageEvent) and is_unknown_content(event):
            return unknown_content_reply(event)  # a sticker, poll, location, service message...
        # Network before the transaction: a slow getFile must not hold the database.
        fetched = await prefetch(event, files, self.deps.max_upload_bytes)
        callback_id = event.callback_id if isinstance(event, CallbackEvent) else None
        later: list[Job] = []
        try:
            async with transaction(self.sessions) as session:
                if not await self._first_time(session, event):
                    return []
                ctx = await self._context(session, event, fetched)
                await self._dispatch(ctx, event)
                now_replies: list[Reply] = _answers(ctx)
                if callback_id and not ctx.answered:
                    now_replies.insert(0, AnswerCallback(callback_id))
                await enqueue(session, ctx.out, ctx.now)
                later = ctx.later
        except WorkflowError as refusal:
            return await self._refuse(event, refusal.message)
        except Exception:
            log.exception("update from a %s chat failed", event.sender.platform)
            return await self._refuse(event, None)
        self.on_queued()
        for job in later:
            await self._run_later(job)
        return now_replies

    async def _first_time(self, session: AsyncSession, event: Event) -> bool:
        """Records the update (a redelivery changes nothing); a person who writes to us, or
        unblocks the bot, can be reached again, so their waiting messages may go."""
        platform = event.sender.platform
        if event.update_id is not None and not await ledger.first_time(
            session, event.update_id, self.clock.now(), self._scope(platform)
        ):
            log.info("update %s already handled: skipped", event.update_id)
            return False
        blocking = isinstance(event, MemberEvent) and event.status == "kicked"
        if not blocking:
            await accounts.wrote(session, platform, event.sender.account_id, self.clock.now())
            if await ledger.reachable_again(session, event.chat_id, platform):
                log.info("a %s chat is reachable again", platform)
        return True

    def _scope(self, platform: str) -> str:
        return self.update_scope if platform == "telegram" else platform

    async def _seen(self, event: SeenEvent) -> None:
        async with transaction(self.sessions) as session:
            await self._first_time(session, event)
        self.on_queued()

    async def _membership(self, event: MemberEvent) -> None:
        """The user blocked the bot ("kicked"): their messages wait, the office is told once."""
        async with transaction(self.sessions) as session:
            if not await self._first_time(session, event):
                return
            if event.status == "kicked":
                new = await ledger.mark_unreachable(
                    session, event.chat_id, "blocked", self.clock.now(), event.sender.platform
                )
                if new is not None:
                    await report_unreachable(session, self.deps.spec, new, self.clock.now())
        self.on_queued()

    async def _group(self, event: MessageEvent) -> None:
        """`/start <code>` in a group (the bot added through the Media Center link) binds it as
        the office's Media Center; anything else said in a group is not for the bot."""
        command, _, arg = (event.text or "").strip().partition(" ")
        code = arg.strip()
        if command.split("@", 1)[0] != "/start" or not code.startswith(media_center.CODE_PREFIX):
            return
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            if not await self._first_time(session, event):
                return
            bound = await media_center.bind(
                session,
                code,
                event.chat_id,
                now,
                by=f"{event.sender.platform}:{event.sender.account_id}",
            )
            log.info("Media Center group %s: %s", event.chat_id, "bound" if bound else "refused")
            reply = SendMessage(
                event.chat_id,
                render("media_center_bound", bound=bound),
                platform=event.sender.platform,
            )
            await enqueue(session, [reply], now)
        self.on_queued()

    async def _refuse(self, event: Event, message: str | None) -> list[Reply]:
        """The change was rolled back; the refusal itself is recorded and queued on its own."""
        reply = self._refusal(event, message)
        if isinstance(event, CallbackEvent):
            return reply
        try:
            async with transaction(self.sessions) as session:
                if not await self._first_time(session, event):
                    return []
                await enqueue(session, reply, self.clock.now())
        except Exception:
            log.exception("recording a refusal failed; answering directly")
            return reply
        self.on_queued()
        return []

    async def _run_later(self, job: Job) -> None:
        """Work that must not hold the transaction (drawing a chart, writing a workbook), whose
        replies are queued in a short transaction of their own."""
        try:
            replies = await job()
            async with transaction(self.sessions) as session:
                await enqueue(session, replies, self.clock.now())
        except Exception:
            log.exception("follow-up work failed")
            return
        self.on_queued()

    def _refusal(self, event: Event, message: str | None) -> list[Reply]:
        text = render("refused", message=message) if message else render("error_generic")
        if isinstance(event, CallbackEvent):
            plain = message or toast("error")
            return [AnswerCallback(event.callback_id, plain[:200], alert=True)]
        return [SendMessage(event.chat_id, text, platform=event.sender.platform)]

    async def _context(self, session: AsyncSession, event: Event, files: FileFetcher) -> Ctx:
        ctx = Ctx(
            session=session,
            now=self.clock.now(),
            sender=event.sender,
            chat_id=event.chat_id,
            deps=self.deps,
            files=files,
            callback_id=event.callback_id if isinstance(event, CallbackEvent) else None,
        )
        ctx.user = await find_user(session, event.sender.platform, event.sender.account_id)
        ctx.state = await conversation.load(session, ctx.chat)
        return ctx

    async def _dispatch(self, ctx: Ctx, event: MessageEvent | CallbackEvent) -> None:
        if isinstance(event, CallbackEvent):
            await on_callback(ctx, event)
        else:
            await on_message(ctx, event)


def _answers(ctx: Ctx) -> list[Reply]:
    """The answers to a pressed button. Where they are not pop-ups (WhatsApp: a message each),
    a passing word ("Diterima.") is left out when the press also changed what the chat shows
    (its follow-up says it); a refusal or warning (alert) is kept."""
    answers = [r for r in ctx.out if isinstance(r, AnswerCallback)]
    if ctx.platform in POPUPS:
        return list(answers)
    shown = any(
        isinstance(r, SendMessage | EditMessage) and Chat(r.platform, r.chat_id) == ctx.chat
        for r in ctx.out
    )
    return [
        AnswerCallback(a.callback_id, None) if shown and a.text and not a.alert else a
        for a in answers
    ]


# ---------------------------------------------------------------- messages

Command = Callable[[Ctx, str], Awaitable[None]]


# The public WhatsApp link (wa.me/<number>?text=daftar) and invites sent there ("daftar CODE")
# open the chat with a word, since WhatsApp has no /start; it means what /start means.
START_WORD = "daftar"


async def on_message(ctx: Ctx, event: MessageEvent) -> None:
    text = (event.text or "").strip()
    word, _, rest = text.partition(" ")
    if word.lower() == START_WORD and not ctx.state.name:
        text = f"/start {rest}".strip()
    elif word.lower() == linking.WORD and rest.strip():  # "tautkan KODE" from the other app
        text = f"/tautkan {rest}"
    if text.startswith("/"):
        name, _, arg = text[1:].partition(" ")
        name = name.split("@", 1)[0].lower()
        if name not in ("batal", "cancel"):  # /batal says what it cancelled
            await officials.drop_prompt(ctx)  # any command ends a question about a task
        handler = COMMANDS.get(name)
        if handler is not None:
            await handler(ctx, arg.strip())
            return
    else:
        await officials.expire_prompt(ctx)  # lapsed, or its task handled: the text is new
    state = ctx.state.name
    if state == staff.BOUND_STATE:
        await staff.on_bound_contact(ctx, event)
    elif registration.in_registration(state):
        await registration.on_message(ctx, event)
    elif state == evaluation.NOTE_STATE and text:
        await evaluation.take_note(ctx, text)
    elif state == "renew:doc":
        await outlet_admin.on_renew_paper(ctx, event)
    elif state == "req:letter":
        await journalist.on_request_letter(ctx, event)
    elif state.startswith("news:"):
        await journalist.on_news_message(ctx, event)
    elif state == "confirm":
        ctx.say("confirm_pending")
    elif state == questions.ASK_STATE and text:
        await questions.send_question(ctx, text)
    elif state == questions.ANSWER_STATE and text:
        await questions.send_answer(ctx, text)
    elif state == agreement_terms.STATE and text:
        await agreement_terms.take(ctx, text)
    elif state == payments.LATE_STATE and text:
        await payments.take_late_reason(ctx, text)
    elif state in ("reason", "note") and text:
        await (officials.take_reason if state == "reason" else officials.take_note)(ctx, text)
    elif state == "attach":
        await _attach(ctx, event)
    elif event.file is not None and (case := await journalist.returned_case(ctx)) is not None:
        await journalist.revision_file(ctx, event, case.id)
    elif state in (
        "reason",
        "note",
        questions.ASK_STATE,
        questions.ANSWER_STATE,
        agreement_terms.STATE,
        payments.LATE_STATE,
    ):
        ctx.say("text_please")
    elif text and not text.startswith("/") and ctx.user is not None and ctx.user.is_journalist:
        # "halo pak, kapan diproses?" is a question for the office, not a command we missed.
        await questions.send_question(ctx, text)
    else:
        ctx.say(
            "unknown_text",
            journalist=bool(ctx.user and ctx.user.is_journalist),
            official=bool(ctx.user and ctx.user.role_keys),
        )


async def _attach(ctx: Ctx, event: MessageEvent) -> None:
    task = await ctx.session.get(Task, int(ctx.state.data["task_id"]))
    if (
        task is None
        or ctx.user is None
        or task.role not in await delegation.roles_now(ctx.session, ctx.user, ctx.now)
    ):
        await ctx.clear_state()
        raise NotAllowed("attach_not_allowed")
    try:
        document = await receive(ctx, event, "attachment", "attachment", case_id=task.case_id)
    except parsing.InputError as error:
        ctx.say("invalid", message=error.message)
        return
    await ctx.clear_state()
    ctx.say("attached", name=document.file_name, case=await ctx.session.get(Case, task.case_id))


async def cmd_start(ctx: Ctx, arg: str) -> None:
    if arg.startswith(officials.INVITE_PREFIX):
        await officials.accept_invite(ctx, arg)
        return
    user = ctx.user
    if user is not None and user.is_journalist:
        await ctx.clear_state()
        ctx.say("menu_journalist")
        ctx.send(commands_for(ctx.chat, user.role_keys, True, ctx.deps.spec))
    elif user is not None and user.role_keys:
        await ctx.clear_state()
        roles = ", ".join(ctx.deps.spec.role_name(r) for r in sorted(user.role_keys))
        menu = commands_for(ctx.chat, user.role_keys, False, ctx.deps.spec)
        ctx.say("menu_official", roles=roles, extra=role_extras(menu))
        ctx.send(menu)
    elif registration.in_registration(ctx.state.name):
        await registration.ask(ctx, ctx.state.name.removeprefix("reg:"))  # pick up where we were
    else:
        await registration.begin(ctx)


async def cmd_cancel(ctx: Ctx, _arg: str) -> None:
    if not ctx.state.name:
        ctx.say("nothing_to_cancel")
        return
    if registration.in_registration(ctx.state.name):
        await ctx.clear_state()
        ctx.say("registration_stopped")
        return
    await ctx.clear_state()
    ctx.say("cancelled")


async def cmd_help(ctx: Ctx, _arg: str) -> None:
    """One message: the menus of what the user is, then how to reach the office."""
    user, spec = ctx.user, ctx.deps.spec
    parts: list[str] = []
    if user is not None and user.is_journalist:
        parts.append(render("menu_journalist", tz=ctx.tz))
    if user is not None and user.role_keys:
        roles = ", ".join(spec.role_name(r) for r in sorted(user.role_keys))
        menu = commands_for(ctx.chat, user.role_keys, False, spec)
        parts.append(render("menu_official", tz=ctx.tz, roles=roles, extra=role_extras(menu)))
    if user is None or not (user.is_journalist or user.role_keys):
        parts.append(render("help_guest", tz=ctx.tz))
    asks = user is None or user.is_journalist or not user.role_keys
    parts.append(render("office_contact", office=office.contact(spec), asks=asks))
    ctx.send(message(ctx.chat, fit("\n\n".join(parts))))


async def cmd_request(ctx: Ctx, _arg: str) -> None:
    await journalist.start_request(ctx)


async def cmd_status(ctx: Ctx, _arg: str) -> None:
    await journalist.status(ctx)


async def cmd_news(ctx: Ctx, _arg: str) -> None:
    await journalist.start_news(ctx)


async def cmd_tasks(ctx: Ctx, _arg: str) -> None:
    await officials.list_tasks(ctx)


COMMANDS: dict[str, Command] = {
    "start": cmd_start,
    "batal": cmd_cancel,
    "cancel": cmd_cancel,
    "bantuan": cmd_help,
    "help": cmd_help,
    "ajukan": cmd_request,
    "status": cmd_status,
    "berita": cmd_news,
    "tugas": cmd_tasks,
    "laporan": reports.laporan,
    "agenda": agenda.cmd_agenda,
    "petugas": staff.cmd_staff,
    "datasaya": mydata.cmd_mydata,
    "tanya": questions.cmd_ask,
    "media": outlet_admin.cmd_media,
    "perpanjang": outlet_admin.cmd_renew,
    "kedaluwarsa": outlet_lapsing.cmd_lapsing,
    "tautkan": linking.cmd_link,
}


# ---------------------------------------------------------------- buttons


async def on_callback(ctx: Ctx, event: CallbackEvent) -> None:
    cb = unpack(event.data)
    if cb is None:
        ctx.answer(toast("unknown_button"), alert=True)
        return
    if cb.op == Op.kind:
        await registration.on_kind(ctx, cb.arg)
    elif cb.op == Op.outlet:
        await registration.on_pick(ctx, cb.id)
    elif cb.op == Op.pick:
        await registration_outlet.on_choice(ctx, cb.arg)
    elif cb.op == Op.later:
        await registration_outlet.on_later(ctx)
    elif cb.op == Op.evaluate:
        await evaluation.on_button(ctx, cb.id, cb.arg)
    elif cb.op == Op.change:
        await outlet_admin.on_change(ctx, cb.id, cb.arg == "ok")
    elif cb.op == Op.cancel:
        await ctx.clear_state()
        ctx.answer(toast("cancelled"))
        ctx.say("cancelled")
    elif cb.op == Op.skip:
        await _skip(ctx)
    elif cb.op == Op.resubmit:
        await journalist.resubmit(ctx, cb.id)
    elif cb.op == Op.news:
        ctx.answer()
        await journalist.start_news(ctx, cb.id)
    elif cb.op == Op.older:
        await journalist.history_page(ctx, cb.id, int(cb.arg or 0), event.message_id)
    elif cb.op == Op.back and cb.arg == "new":
        await officials.reopen_prompt(ctx, cb.id)
    elif cb.op == Op.answer:
        await questions.on_reply_button(ctx, cb.id)
    elif cb.op == Op.report:
        await reports.on_period(ctx, cb.arg)
    elif cb.op in (Op.revoke, Op.uninvite, Op.undelegate):
        await staff.on_button(ctx, cb)
    else:
        await officials.on_task_button(ctx, cb, event.message_id)


async def _skip(ctx: Ctx) -> None:
    if ctx.state.name == "req:letter":
        ctx.answer()
        await journalist.submit(ctx, [])
    elif ctx.state.name == "reg:item":
        await registration_outlet.on_skip(ctx)
    elif ctx.state.name == "news:shot":
        ctx.answer()
        await journalist.save_news(ctx, None)
    else:
        ctx.answer(toast("stale"))
