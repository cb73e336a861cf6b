"""The WhatsApp side of the bot: the webhook server in, the core's events, the port out.

Same surface as runtime.BotAdapter (inflight, api, deliver, start, drain, stop). An aiohttp
server (WHATSAPP_LISTEN, behind the reverse proxy at WHATSAPP_WEBHOOK_PATH) serves Meta's
webhook (bot/whatsapp/webhook.py: handshake, signatures, decoding); each message becomes one
handlers event, handled in order per person (KeyedLocks) and counted in InFlight from the
moment the webhook is acknowledged:

- a text -> MessageEvent(text);
- a reply button or list row whose id is ``c:<data>`` -> CallbackEvent(data), its message id
  the number of the message pressed, its callback id the press's wamid; ``t:<text>`` (a reply
  keyboard's choice) -> MessageEvent(text); any other id -> the row's title, as typed;
- a template's quick reply -> SeenEvent (the person wrote: what waited for them goes);
- an image or a document -> MessageEvent(file) (downloaded through the port); other kinds
  (audio, stickers, locations...) -> an empty MessageEvent, answered politely by the core;
- a failed status with 131047 (the window closed after all) -> the chat waits (port.py); with
  131026 (not on WhatsApp, or it blocked us) -> unreachable as a Telegram 403: the chat waits
  and the office is told once.

Every update id is the number of the message's wamid (bot/whatsapp/ids.py), so a webhook Meta
delivers again is the same update and the core's processed_update drops it. What handle()
returns (answers to presses) goes out at once through the port, like the Telegram Deliverer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import Deliverer, InFlight, KeyedLocks, UpdateRunner
from bot.webhook import parse_listen
from handlers.delivery_notices import report_unreachable
from handlers.events import CallbackEvent, Event, IncomingFile, MessageEvent, SeenEvent, Sender
from handlers.platforms import WHATSAPP
from handlers.ports import ChatApp
from handlers.replies import Reply
from storage import ledger
from storage.db import transaction
from workflow.clock import Clock
from workflow.spec import SopSpec

from . import ids, inbound
from .client import OUTSIDE_WINDOW, UNDELIVERABLE, WhatsAppClient
from .config import WhatsAppSettings
from .port import LastInbound, WhatsAppApi
from .render import CALLBACK_PREFIX, TEXT_PREFIX
from .webhook import WhatsAppWebhook

log = logging.getLogger(__name__)

MAX_WAMID = 200  # wa_message.wamid; Meta's are about 60 characters
FILE_KINDS = ("image", "document")


class WhatsAppAdapter:
    def __init__(
        self,
        settings: WhatsAppSettings,
        app: ChatApp,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        inflight: InFlight | None = None,
        office: str = "Mitra Media",
        client: WhatsAppClient | None = None,
        last_inbound: LastInbound | None = None,
        spec: SopSpec | None = None,
    ) -> None:
        """``spec``: whose desk hears of a number WhatsApp cannot deliver to (None: logged)."""
        self.settings = settings
        self.spec = spec
        self.sessions = sessions
        self.clock = clock
        self.client = client or WhatsAppClient(
            settings.phone_id,
            settings.token.get_secret_value(),
            base_url=settings.graph_url,
            version=settings.api_version,
        )
        self.api = WhatsAppApi(
            self.client, sessions, clock, office=office, last_inbound=last_inbound
        )
        self.runner = UpdateRunner(app, self.api, inflight, Deliverer(self.api, app))
        self.webhook = WhatsAppWebhook(
            settings.verify_token.get_secret_value(),
            settings.app_secret.get_secret_value(),
            self.submit,
            path=settings.webhook_path,
        )
        self.host, self.port = parse_listen(settings.listen)
        self._in_order = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self._site_runner: web.AppRunner | None = None

    @property
    def inflight(self) -> InFlight:
        return self.runner.inflight

    async def deliver(self, replies: Sequence[Reply]) -> None:
        with self.inflight.track():
            await self.runner.deliverer.deliver(replies)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listens for Meta's webhook (no startup replies: WhatsApp has no command menu)."""
        self._site_runner = web.AppRunner(self.webhook.application(), access_log=None)
        await self._site_runner.setup()
        await web.TCPSite(self._site_runner, self.host, self.port).start()
        self.port = int(self._site_runner.addresses[0][1])  # port 0: the one given
        log.info("WhatsApp webhook listening on %s:%s%s", self.host, self.port, self.webhook.path)

    async def drain(self, drain_timeout: float = 10.0) -> None:
        """Stops taking webhooks (Meta delivers them again later) and lets the events already
        taken finish; the port still sends afterwards."""
        runner, self._site_runner = self._site_runner, None
        if runner is not None:
            await runner.cleanup()
        if not await self.inflight.wait_idle(drain_timeout):
            log.warning("stopping with %d WhatsApp events in flight", self.inflight.count)

    async def stop(self, drain_timeout: float = 10.0) -> None:
        await self.drain(drain_timeout)
        for task in list(self._tasks):
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await self.client.close()

    # -- in ------------------------------------------------------------------------------------

    def submit(self, event: inbound.Event) -> None:
        """Called by the webhook for each decoded message or status, in order; returns at once
        (Meta wants its 200 quickly) and handles it in the background, in order per person."""
        self.inflight.enter()
        task = asyncio.get_running_loop().create_task(self._feed(event))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.inflight.leave()

    async def _feed(self, event: inbound.Event) -> None:
        person = event.recipient if isinstance(event, inbound.Status) else event.sender
        async with self._in_order.hold(int(person) if person.isdigit() else None):
            try:
                if isinstance(event, inbound.Status):
                    await self._status(event)
                    return
                translated = await self.to_event(event)
            except Exception:
                log.exception("WhatsApp %s could not be taken", type(event).__name__)
                return
            await self.runner.run(translated)

    async def to_event(self, message: inbound.Inbound) -> Event | None:
        """The core's event for one WhatsApp message (None: nothing the core handles)."""
        if len(message.message_id) > MAX_WAMID:
            log.warning("WhatsApp message with an over-long id: skipped")
            return None
        chat = int(message.sender)
        person = Sender(chat, message.name or message.sender, platform=WHATSAPP)
        async with transaction(self.sessions) as session:
            number = await ids.number_for(session, message.message_id, chat, self.clock.now())
            pressed = await ids.number_of(session, message.context) if message.context else None
        match message:
            case inbound.TextMessage(text=text):
                return MessageEvent(person, chat, number, text=text, update_id=number)
            case (
                inbound.ButtonReply(id=choice, title=title)
                | inbound.ListReply(id=choice, title=title)
            ):
                if choice.startswith(CALLBACK_PREFIX):
                    # A press that names no message of ours (only a tampered client sends one)
                    # carries no data: the core refuses it as an unknown button.
                    data = choice[len(CALLBACK_PREFIX) :] if pressed else ""
                    return CallbackEvent(
                        person, chat, pressed or 0, message.message_id, data, update_id=number
                    )
                text = choice[len(TEXT_PREFIX) :] if choice.startswith(TEXT_PREFIX) else title
                return MessageEvent(person, chat, number, text=text, update_id=number)
            case inbound.QuickReply():
                seen: Event = SeenEvent(person, chat, update_id=number)
                return seen
            case inbound.MediaMessage(kind=kind) if kind in FILE_KINDS:
                file = IncomingFile(
                    file_id=message.media_id,
                    file_unique_id=message.sha256 or message.media_id,
                    file_name=message.file_name,
                    mime_type=message.mime_type,
                    size=None,
                    is_photo=kind == "image",
                )
                return MessageEvent(
                    person, chat, number, caption=message.caption, file=file, update_id=number
                )
        # audio, video, stickers, locations...: nothing to read; the core says so politely
        return MessageEvent(person, chat, number, update_id=number)

    async def _status(self, status: inbound.Status) -> None:
        if status.status != "failed":
            return  # sent, delivered, read: read receipts are not needed
        if not status.recipient.isdigit():
            log.warning("a failed WhatsApp status without a readable recipient: skipped")
            return
        codes = [error.code for error in status.errors]
        if OUTSIDE_WINDOW in codes:
            log.info("chat %s: a message failed outside the window; it waits", status.recipient)
            await self.api.window_closed(int(status.recipient), status.message_id)
            return
        if UNDELIVERABLE in codes:  # not on WhatsApp (any more), or it blocked us: as a 403
            await self._unreachable(int(status.recipient))
            return
        log.warning("a WhatsApp message to chat %s failed: %s", status.recipient, codes)

    async def _unreachable(self, chat_id: int) -> None:
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            new = await ledger.mark_unreachable(session, chat_id, "undeliverable", now, WHATSAPP)
            if new is not None:
                log.info("chat %s cannot be reached on WhatsApp: its messages wait", chat_id)
                if self.spec is not None:
                    await report_unreachable(session, self.spec, new, now)
