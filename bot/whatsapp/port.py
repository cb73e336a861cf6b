"""The outbox sender's way out to WhatsApp: bot.delivery's ApiPort over the Cloud API client.

A reply is rendered (bot/whatsapp/render.py) and sent as one or more WhatsApp messages; the
integer id it returns (ids.number_for) is the wamid of its main message: the first interactive
one (the message whose buttons are pressed, so a press names the prompt it came from), else
the first one (what a later follow-up quotes).

**The 24-hour window.** Before a free-form send the port reads when the person last wrote; when
their window is closed (window.py, our clock) it sends the approved template that asks them to
write instead, and raises ``Held``: the outbox keeps the chat's rows until they write, without
telling the office. A prompt's template is ``tugas_baru``, a reminder's (a message that replies
to a prompt) ``pengingat_tugas``, anything else ``pesan_menunggu``; their parameters come from
the message's first line. The template goes once per closed window (the outbox does not try the
chat again until the person writes, and the port remembers which window it asked about).
WhatsApp's own refusal (131047: its clock and ours disagree) ends the same way.

**No editing.** An EditMessage is a follow-up replying to the original's wamid; a reminder
(SendMessage.reply_to) quotes its prompt the same way. Outside the window such a follow-up is
dropped rather than held: a paid template that only says "someone else handled it" is noise,
and a later press on the old prompt's buttons is refused politely by the core.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import Held, Rejected
from handlers.platforms import WHATSAPP
from handlers.replies import (
    AnswerCallback,
    EditMessage,
    InlineKeyboard,
    Markup,
    Reply,
    SendDocument,
    SendMessage,
    SetCommands,
)
from storage import ledger
from storage.accounts import last_inbound as stored_last_inbound
from storage.db import reading, transaction
from storage.models import Outbox
from workflow.clock import Clock

from . import ids
from .client import OutsideWindow, WhatsAppClient
from .markup import plain_text
from .render import Outgoing, Payload, render, text
from .window import may_send_free_form, template_message

log = logging.getLogger(__name__)

LastInbound = Callable[[int], Awaitable[datetime | None]]
REOPEN = "open"  # the quick reply's payload: any press reopens the window, the rows then go
_UNSET = object()


class WhatsAppApi:
    """bot.delivery.ApiPort for WhatsApp (the outbox sender and the adapter's answers use it)."""

    platform = WHATSAPP

    def __init__(
        self,
        client: WhatsAppClient,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        office: str = "Mitra Media",
        last_inbound: LastInbound | None = None,
    ) -> None:
        """``office``: who the waiting-message template says the message is from.
        ``last_inbound``: when a chat's person last wrote (default: the core's record)."""
        self.client = client
        self.sessions = sessions
        self.clock = clock
        self.office = office
        self._last_inbound = last_inbound or self._stored_last_inbound
        # chat -> the last_inbound of the closed window its template asked about
        self._asked: dict[int, object] = {}

    async def _stored_last_inbound(self, chat_id: int) -> datetime | None:
        async with reading(self.sessions) as session:
            return await stored_last_inbound(session, WHATSAPP, chat_id)

    # -- the whole reply (bot.delivery.execute hands it over) -------------------------------

    async def execute_reply(self, reply: Reply) -> int | None:
        match reply:
            case AnswerCallback(callback_id=callback_id, text=text, alert=alert):
                await self.answer_callback(callback_id, text, alert)
                return None
            case SetCommands():
                return None  # no command menu on WhatsApp
            case EditMessage(message_id=None):
                raise Rejected("edit", "the message to edit was never sent")
            case EditMessage():
                await self._send(reply)
                return None
        return await self._send(reply)

    # -- bot.delivery.ApiPort ------------------------------------------------------------------

    async def send_message(
        self, chat_id: int, text: str, markup: Markup, reply_to: int | None = None
    ) -> int:
        number = await self._send(SendMessage(chat_id, text, markup, reply_to=reply_to))
        if number is None:
            raise Rejected("messages", "nothing to send")
        return number

    async def edit_message(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboard | None
    ) -> None:
        await self._send(EditMessage(chat_id, message_id, text, markup))

    async def send_document(self, doc: SendDocument) -> int:
        number = await self._send(doc)
        if number is None:
            raise Rejected("media", "nothing to send")
        return number

    async def set_commands(self, commands: Sequence[tuple[str, str]], chat_id: int | None) -> None:
        return None

    async def answer_callback(self, callback_id: str, text: str | None, alert: bool) -> None:
        """A press answered with a text (a refusal, a stale button) becomes a short message to
        the person who pressed (the callback id is the wamid of their press); the press opened
        their window, so no check."""
        if not text:
            return
        async with reading(self.sessions) as session:
            chat_id = await ids.chat_for(session, callback_id)
        if chat_id is None:
            log.warning("answer to an unknown WhatsApp press: dropped")
            return
        for outgoing in render(AnswerCallback(callback_id, text, alert), str(chat_id)):
            try:
                await self.client.send_outgoing(outgoing)
            except OutsideWindow:
                log.info("answer to a press in chat %s: window closed, dropped", chat_id)
                return

    async def download(self, file_id: str) -> bytes:
        return await self.client.download(file_id)

    # -- sending ---------------------------------------------------------------------------

    async def _send(self, reply: SendMessage | EditMessage | SendDocument) -> int | None:
        chat_id = reply.chat_id
        to = str(chat_id)
        quoted = reply.message_id if isinstance(reply, EditMessage) else None
        if isinstance(reply, SendMessage):
            quoted = reply.reply_to
        context = None
        if quoted is not None:
            async with reading(self.sessions) as session:
                context = await ids.wamid_for(session, quoted)
        messages = render(reply, to, reply_to=context)
        if not messages:
            return None
        if isinstance(reply, SendMessage) and context and "context" not in messages[0].payload:
            messages[0].payload["context"] = {"message_id": context}
        last = await self._last_inbound(chat_id)
        if not may_send_free_form(last, self.clock):
            if isinstance(reply, EditMessage):
                self._drop_edit(chat_id)
                return None
            await self._hold(reply, last)
        sent: list[tuple[Outgoing, str]] = []
        for outgoing in messages:
            try:
                sent.append((outgoing, await self.client.send_outgoing(outgoing)))
            except OutsideWindow:
                if isinstance(reply, EditMessage):
                    self._drop_edit(chat_id)
                    return None
                if sent:  # what went stays sent; the whole reply goes again after the window
                    log.info("chat %s: window closed after %d of its messages", chat_id, len(sent))
                await self._hold(reply, last)
        main = next((wamid for out, wamid in sent if out.kind == "interactive"), sent[0][1])
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            # Every part numbered: a press on a second list still names a message of ours.
            numbers = {
                wamid: await ids.number_for(session, wamid, chat_id, now) for _, wamid in sent
            }
        return numbers[main]

    def _drop_edit(self, chat_id: int) -> None:
        """An earlier prompt's new state ("Sudah diterima oleh Budi") outside the window: not
        worth a paid template and a tap; a later press on the old prompt is refused politely."""
        log.info("chat %s: window closed, a follow-up to an earlier message dropped", chat_id)

    async def _hold(self, reply: Reply, last: datetime | None) -> None:
        """Sends the template for this closed window (once), then raises Held."""
        chat_id = getattr(reply, "chat_id", None)
        assert isinstance(chat_id, int)
        if self._asked.get(chat_id, _UNSET) != last:
            await self.client.send(self.template_for(reply))
            self._asked[chat_id] = last
            log.info("chat %s: window closed, template sent; its messages wait", chat_id)
        raise Held("window")

    def template_for(self, reply: Reply) -> Payload:
        """The approved template that stands for ``reply`` outside the window."""
        to = str(getattr(reply, "chat_id", ""))
        text = getattr(reply, "text", None) or getattr(reply, "caption", None) or ""
        first = first_line(text)
        if isinstance(reply, SendMessage) and reply.reply_to is not None and first:
            return template_message(to, "pengingat_tugas", reminder_parameters(first), REOPEN)
        if isinstance(reply, SendMessage) and reply.prompt is not None and first:
            return template_message(to, "tugas_baru", (first,), REOPEN)
        return template_message(to, "pesan_menunggu", (self.office,), REOPEN)

    # -- a late refusal (a statuses webhook) ---------------------------------------------------

    async def window_closed(self, chat_id: int, wamid: str, *, wait: float = 5.0) -> None:
        """WhatsApp accepted a message, then reported it failed as outside the window (131047):
        the chat waits for the person as in ``_hold``, and the message's row is pending again,
        so it goes once they write. The status can overtake the sender's "sent" mark (written
        with its next pass): the row is looked for again for up to ``wait`` seconds."""
        now = self.clock.now()
        last = await self._last_inbound(chat_id)
        async with transaction(self.sessions) as session:
            number = await ids.number_for(session, wamid, chat_id, now)
            new = await ledger.mark_unreachable(session, chat_id, "window", now, WHATSAPP)
            if new is not None:
                new.reported = True
        if self._asked.get(chat_id, _UNSET) != last:
            await self.client.send(
                template_message(str(chat_id), "pesan_menunggu", (self.office,), REOPEN)
            )
            self._asked[chat_id] = last
        for _ in range(max(1, int(wait / 0.25))):
            async with transaction(self.sessions) as session:
                again = await session.execute(
                    update(Outbox)
                    .where(
                        Outbox.platform == WHATSAPP,
                        Outbox.chat_id == chat_id,
                        Outbox.message_id == number,
                        Outbox.state == "sent",
                    )
                    .values(state="pending", next_attempt_at=now, sent_at=None, error="window")
                )
            if again.rowcount:  # type: ignore[attr-defined]
                return
            await asyncio.sleep(0.25)
        log.info("chat %s: the message refused later is not in the outbox (an answer?)", chat_id)


def first_line(html: str) -> str:
    """The first line with words in it, as plain text (a template parameter is one line)."""
    for line in plain_text(html).splitlines():
        if line.strip():
            return line.strip()
    return ""


def reminder_parameters(line: str) -> tuple[str, str]:
    """{{1}} the task and {{2}} when it is due, from a reminder's line ("⏳ Verifikasi (045):
    sisa 2 jam, batas 7/12 10.00"; "⚠️ Verifikasi terlambat 3 jam")."""
    # The line's own sign goes: the template says it in words.
    line = re.sub(r"^[^\w(]+", "", line).strip()
    for late in (" masih terlambat ", " terlambat "):
        what, found, _ = line.partition(late)
        if found:
            return what.strip(), text("due_passed")
    what, _, when = line.partition(":")
    return what.strip(), when.strip() or text("due_soon")
