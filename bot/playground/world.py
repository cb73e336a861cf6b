"""One SOP's playground: the fake Telegram, the real bot on it, and the people in the chats.

A :class:`World` starts the built-in Bot API server, builds the product exactly as production
does (its own SQLite database under ./data/playground/<sop>/, the persistent outbox and its
sender, the real SLA scheduler) with a clock the trainer can run fast, and onboards one
official per role of the SOP through real invite links. The page drives the people through the
fake server's harness and watches every chat change (new message, edit, callback answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from bot.config import Settings
from bot.delivery import InFlight
from bot.demo import OFFICIAL_NAMES
from bot.factory import Product, build_product
from bot.fakeapi.harness import FakeUser
from bot.fakeapi.server import ApiError, FakeTelegram, StoredMessage
from bot.outbox_sender import OutboxSender, sender_for
from bot.playground.clock import PlaygroundClock
from bot.runtime import BotAdapter, build_adapter
from bot.scheduler import SlaScheduler
from bot.whatsapp.adapter import WhatsAppAdapter
from bot.whatsapp.config import WhatsAppSettings
from bot.whatsapp.fake import FakeWhatsApp, Received, StoredMedia
from bot.whatsapp.render import text as wa_text
from handlers.officials import create_invite
from handlers.platforms import TELEGRAM, WHATSAPP
from storage import accounts, read
from storage.db import transaction
from workflow.loader import load_spec, resolve_sop
from workflow.registry import calendar_of
from workflow.sla import Window, moments
from workflow.spec import SopSpec
from workflow.timefmt import format_span, format_when

log = logging.getLogger(__name__)

TOKEN = "5151515151:PLAYGROUND-fake-token"
BOT_USERNAME = "mitramedia_playground_bot"
PLAYGROUND_DIR = Path("data/playground")  # relative to the working directory, like ./data
JOURNALIST_ID = 880_000_001
# The second journalist writes on WhatsApp, from this made-up number (her chat's id is its
# digits, as on WhatsApp); her own person, since the core links no accounts between apps.
WA_JOURNALIST_NUMBER = "6281299990001"
WA_JOURNALIST_ID = int(WA_JOURNALIST_NUMBER)
WA_VERIFY_TOKEN = "playground-verify"
FIRST_OFFICIAL_ID = 880_000_100
FAST_WORKING_HOURS_PER_SECOND = 1.0
FAST_STEP_SECONDS = 0.25
WATCH_SECONDS = 0.1


@dataclass
class Persona:
    key: str  # the SOP role key (the applicant's role for the journalist)
    name: str
    title: str  # what the side list shows under the name
    user: FakeUser | None  # on Telegram
    read_upto: int = 0  # the newest bot message id the page has shown
    wa: WaChat | None = None  # on WhatsApp

    @property
    def id(self) -> int:
        if self.wa is not None:
            return self.wa.id
        assert self.user is not None
        return self.user.id

    @property
    def platform(self) -> str:
        return WHATSAPP if self.wa is not None else TELEGRAM

    @property
    def tg(self) -> FakeUser:
        """The Telegram side (every persona but the WhatsApp journalist)."""
        assert self.user is not None, "a WhatsApp persona has no Telegram chat"
        return self.user


@dataclass
class WaLine:
    """One bubble of a WhatsApp chat: what the bot sent (``received``) or what the person did
    (a text, a file, a pressed button or list row, quoting the message it answers)."""

    id: int
    from_bot: bool
    at: datetime
    received: Received | None = None
    text: str | None = None
    media: StoredMedia | None = None
    quote: int | None = None  # the line this one answers


@dataclass
class WaChat:
    """A WhatsApp chat as the person's phone shows it: the fake Cloud API keeps only what the
    bot sent, so what the person sent is kept here, in one timeline with it."""

    number: str
    name: str
    lines: list[WaLine] = field(default_factory=list)
    seen_received: int = 0  # how many of the account's received messages are lines already

    @property
    def id(self) -> int:
        return int(self.number)

    def add(self, at: datetime, **what: Any) -> WaLine:
        line = WaLine(len(self.lines) + 1, at=at, **what)
        self.lines.append(line)
        return line

    def find(self, line_id: int) -> WaLine | None:
        return self.lines[line_id - 1] if 0 < line_id <= len(self.lines) else None

    def line_of(self, wamid: str | None) -> WaLine | None:
        for line in self.lines:
            if line.received is not None and wamid is not None and line.received.id == wamid:
                return line
        return None


class PlaygroundWhatsApp(FakeWhatsApp):
    """The fake Cloud API on the playground's clock: a fast clock or a jump to a deadline
    closes a person's 24-hour window there as it does for the bot, which reads the same clock."""

    def __init__(self, clock: PlaygroundClock) -> None:
        super().__init__()
        self.clock = clock

    def now(self) -> float:
        return self.clock.now().timestamp()


@dataclass
class Press:
    persona: Persona
    message_id: int
    label: str
    at: datetime
    query_id: str
    answered: bool = False


class World:
    def __init__(self, sop: str, settings: Settings, *, root: Path = PLAYGROUND_DIR) -> None:
        self.spec: SopSpec = load_spec(resolve_sop(sop))
        self.directory = root / self.spec.id
        self.base_settings = settings
        self.calendar = calendar_of(self.spec)
        self.clock = PlaygroundClock(datetime.now(UTC))
        self.fake = FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME)
        self.wa_fake = PlaygroundWhatsApp(self.clock)
        self.personas: dict[int, Persona] = {}
        self.fast = False
        self.listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self._stamps: dict[tuple[int, int], datetime] = {}  # (chat, message) -> first seen
        self._presses: list[Press] = []
        self._shown_extras: dict[int, dict[str, Any]] = {}
        self._seen_seq = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._product: Product | None = None
        self._adapter: BotAdapter | None = None
        self._sender: OutboxSender | None = None
        self._wa_adapter: WhatsAppAdapter | None = None
        self._wa_sender: OutboxSender | None = None
        self._scheduler: SlaScheduler | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def settings(self) -> Settings:
        return self.base_settings.model_copy(
            update={
                "bot_token": SecretStr(TOKEN),
                "telegram_api_base": self.fake.base_url,
                "database_url": f"sqlite+aiosqlite:///{self.directory / 'mitramedia.db'}",
                "files_dir": self.directory / "files",
                "sop": self.spec.id,
                # One person clicking: nobody waits behind the GIL, and a restart of the world
                # need not start (and warm up) a drawing process each time.
                "draw_workers": 0,
            }
        )

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # The product first (its database), then the fake server that continues its history.
        product = self._product = await build_product(self.settings(), clock=self.clock)
        async with product.sessions() as session:
            latest = await read.latest_activity(session)
            known = await read.known_message_ids(session)
            last_update = await read.last_update_id(session)
        if latest is not None:  # a fast clock left time ahead: carry on from there
            self.clock.jump_to(latest)
        if last_update is not None:  # the bot drops update ids it has already processed
            self.fake = FakeTelegram(
                token=TOKEN, bot_username=BOT_USERNAME, first_update_id=last_update + 1
            )
        await self.fake.start()
        await self.wa_fake.start()
        self._make_personas()
        settings = self.settings()
        for chat_id, message_id in known.items():
            # The chats of an earlier run are gone with its fake server, but the database still
            # names their messages (prompts it may edit): new ones must not reuse those ids.
            if chat_id in self.personas and self.personas[chat_id].platform == TELEGRAM:
                chat = self.fake.chat(chat_id)
                chat.next_message_id = max(chat.next_message_id, message_id + 1)
        inflight = InFlight()
        adapter = self._adapter = build_adapter(settings, product.app, inflight, polling_timeout=5)
        sender = self._sender = sender_for(product, adapter.api, settings)
        wa_adapter = self._wa_adapter = WhatsAppAdapter(
            self.wa_settings(),
            product.app,
            product.sessions,
            self.clock,
            inflight=inflight,
            office=self.spec.office.name,
            spec=self.spec,
        )
        wa_sender = self._wa_sender = sender_for(
            product, wa_adapter.api, settings, platform=WHATSAPP
        )

        def idle() -> bool:
            return inflight.idle and sender.idle and wa_sender.idle

        self.fake.idle_probe = self.wa_fake.idle_probe = idle
        self._scheduler = SlaScheduler(
            product.sessions,
            self.clock,
            self.spec,
            lambda: product.app.on_queued(),  # every platform's sender (sender_for added them)
            every_seconds=5,
            archive=product.app.deps.archive,
        )
        await adapter.start()
        await wa_adapter.start()
        webhook = f"http://127.0.0.1:{wa_adapter.port}{wa_adapter.webhook.path}"
        if not await self.wa_fake.verify_webhook(webhook, WA_VERIFY_TOKEN):
            raise RuntimeError("the playground's WhatsApp webhook did not answer the handshake")
        await self._carry_on_whatsapp()
        await sender.start()
        await wa_sender.start()
        self._scheduler.start()
        await self._onboard()
        self._tasks = [
            asyncio.create_task(self._watch(), name="playground-watch"),
            asyncio.create_task(self._fast_clock(), name="playground-clock"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._scheduler is not None:
            self._scheduler.stop()
        if self._adapter is not None:
            await self._adapter.stop()
        if self._wa_adapter is not None:
            await self._wa_adapter.drain(2.0)
        for sender in (self._sender, self._wa_sender):
            if sender is not None:
                await sender.stop(within=2.0)
        if self._wa_adapter is not None:
            await self._wa_adapter.stop(2.0)
        if self._product is not None:
            await self._product.close()
        await self.fake.stop()
        await self.wa_fake.stop()

    def wa_settings(self) -> WhatsAppSettings:
        """The bot's WhatsApp settings, pointed at the fake Cloud API (no Meta account)."""
        fake = self.wa_fake
        return WhatsAppSettings(
            phone_id=fake.phone_id,
            token=SecretStr(fake.token),
            app_secret=SecretStr(fake.app_secret),
            verify_token=SecretStr(WA_VERIFY_TOKEN),
            graph_url=fake.base_url,
            listen="127.0.0.1:0",
            number=fake.display_number,
        )

    async def _carry_on_whatsapp(self) -> None:
        """A restart: the fake's window of each WhatsApp person opens when the database says
        they last wrote, so the bot and the fake agree on who may get a free-form message."""
        async with self.product.sessions() as session:
            for persona in self.personas.values():
                if persona.wa is None:
                    continue
                last = await accounts.last_inbound(session, WHATSAPP, persona.id)
                if last is not None:
                    self.wa_fake.accounts[persona.wa.number].last_inbound = last.timestamp()

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until both fakes and the bot are quiet (what a person did has all been answered)."""
        await self.fake.settle(timeout=timeout)
        await self.wa_fake.settle(timeout=timeout)
        await self.fake.settle(timeout=timeout)

    @property
    def product(self) -> Product:
        assert self._product is not None, "the world has not started"
        return self._product

    def _make_personas(self) -> None:
        applicant = self.spec.applicant_role
        journalist = self.fake.user(JOURNALIST_ID, "Rina")
        self.personas[journalist.id] = Persona(
            applicant, "Rina Wartawati", self.spec.role_name(applicant), journalist
        )
        self.wa_fake.user(WA_JOURNALIST_NUMBER, "Maya")
        maya = WaChat(WA_JOURNALIST_NUMBER, "Maya")
        self.personas[maya.id] = Persona(
            applicant, "Maya Pewarta", self.spec.role_name(applicant), None, wa=maya
        )
        officials = [key for key, role in self.spec.roles.items() if not role.applicant]
        for index, key in enumerate(officials):
            name = OFFICIAL_NAMES[index % len(OFFICIAL_NAMES)]
            user = self.fake.user(FIRST_OFFICIAL_ID + index, name.split()[0])
            self.personas[user.id] = Persona(key, name, self.spec.role_name(key), user)

    async def _onboard(self) -> None:
        """Each official not yet holding their role joins through a one-time invite link, the
        only way there is; on a later start the database already knows them."""
        officials = [p for p in self.personas.values() if p.key != self.spec.applicant_role]
        async with self.product.sessions() as session:
            held = await read.role_members(session, [p.id for p in officials])
        for persona in officials:
            if persona.key in held.get(persona.id, []):
                continue
            async with transaction(self.product.sessions) as session:
                invite = await create_invite(
                    session, persona.key, persona.name, self.clock.now(), 72
                )
            self.fake.inject_text(persona.id, f"/start {invite.code}")
        with contextlib.suppress(TimeoutError):
            await self.fake.settle(timeout=30)
        for persona in officials:  # the welcome is not news the trainer has to open
            persona.read_upto = max((m.message_id for m in persona.tg.bot_messages), default=0)

    # -- what the people do -------------------------------------------------------------

    def persona(self, persona_id: int) -> Persona:
        try:
            return self.personas[persona_id]
        except KeyError:
            raise LookupError(f"no persona {persona_id}") from None

    def send_text(self, persona: Persona, text: str) -> None:
        self.fake.inject_text(persona.id, text)

    def share_contact(self, persona: Persona) -> None:
        phone = (
            "+6281234567890" if persona.id == JOURNALIST_ID else f"+62812{persona.id % 10**7:07d}"
        )
        contact = {
            "phone_number": phone,
            "first_name": persona.tg.first_name,
            "user_id": persona.id,
        }
        self.fake.inject_message(persona.id, contact=contact)

    def upload(self, persona: Persona, content: bytes, file_name: str, mime_type: str) -> None:
        """An image goes as a photo (as Telegram sends one by default), anything else as a file."""
        if mime_type in ("image/png", "image/jpeg", "image/webp"):
            try:
                sizes = self.fake.process_photo(content)
            except ApiError:
                pass  # not an image Telegram would take as a photo: send it as a file
            else:
                self.fake.inject_message(persona.id, photo=sizes, original_photo=content)
                return
        stored = self.fake.register_file(
            "document", content, file_name=file_name, mime_type=mime_type
        )
        self.fake.inject_message(persona.id, document=stored)

    def press(
        self, persona: Persona, message_id: int, row: int, column: int, label: str | None = None
    ) -> None:
        """Taps the button at (row, column); with ``label``, only if it still is that button
        (the bot may have edited the keyboard since the page drew it)."""
        message = self.fake.chat(persona.id).find(message_id)
        if message is None or message.deleted or not message.from_bot:
            raise LookupError("message not on screen")
        try:
            button = message.inline_keyboard[row][column]
        except IndexError:
            raise LookupError("no such button") from None
        if label is not None and button["text"] != label:
            raise LookupError("the buttons have changed")
        data = button.get("callback_data")
        if data is None:
            raise LookupError("not a callback button")
        query = self.fake.inject_callback_query(persona.id, message_id, str(data))
        self._presses.append(Press(persona, message_id, button["text"], self.clock.now(), query.id))
        view = self.view(persona, message)  # the press shows at once, before any answer
        self._broadcast({"type": "message", "persona": persona.id, "message": view})

    def mark_read(self, persona: Persona) -> None:
        if persona.wa is not None:
            persona.read_upto = max(
                (line.id for line in persona.wa.lines if line.from_bot), default=persona.read_upto
            )
            return
        persona.read_upto = max(
            (m.message_id for m in persona.tg.bot_messages), default=persona.read_upto
        )

    # -- what the WhatsApp person does (each reaches the bot as Meta's signed webhook) ----------

    async def say(self, persona: Persona, text: str) -> None:
        """Types a message, on either app."""
        if persona.wa is None:
            self.send_text(persona, text)
            return
        self._wa_line(persona, from_bot=False, text=text)
        await self._wa_deliver(persona, {"type": "text", "text": {"body": text}})

    async def send_file(
        self, persona: Persona, content: bytes, file_name: str, mime_type: str
    ) -> None:
        """Sends a file, on either app; on WhatsApp an image goes as a photo, as the phone
        sends one from its gallery."""
        if persona.wa is None:
            self.upload(persona, content, file_name, mime_type)
            return
        media = self.wa_fake.store_media(content, mime_type, file_name)
        self._wa_line(persona, from_bot=False, media=media)
        kind = "image" if mime_type in ("image/png", "image/jpeg") else "document"
        body: dict[str, Any] = {"id": media.id, "mime_type": mime_type, "sha256": media.sha256}
        if kind == "document":
            body["filename"] = file_name
        await self._wa_deliver(persona, {"type": kind, kind: body})

    async def choose(self, persona: Persona, line_id: int, index: int, label: str | None) -> None:
        """Presses a WhatsApp message's reply button (a template's quick reply too) or picks a
        row of its list: ``index`` counts its buttons, then its rows, as the page shows them;
        with ``label``, only if it still is that choice."""
        assert persona.wa is not None
        line = persona.wa.find(line_id)
        received = line.received if line is not None else None
        if line is None or received is None:
            raise LookupError("message not on screen")
        choices = [(i, t, None) for i, t in received.buttons] + list(received.rows)
        if not 0 <= index < len(choices):
            raise LookupError("no such choice")
        choice_id, title, description = choices[index]
        if label is not None and title != label:
            raise LookupError("the choices have changed")
        content: dict[str, Any]
        if received.kind == "template":
            content = {"type": "button", "button": {"payload": choice_id, "text": title}}
        elif index < len(received.buttons):
            reply = {"id": choice_id, "title": title}
            content = {
                "type": "interactive",
                "interactive": {"type": "button_reply", "button_reply": reply},
            }
        else:
            row = {"id": choice_id, "title": title}
            if description is not None:
                row["description"] = description
            content = {
                "type": "interactive",
                "interactive": {"type": "list_reply", "list_reply": row},
            }
        self._wa_line(persona, from_bot=False, text=title, quote=line.id)
        content["context"] = {"from": self.wa_fake.display_number, "id": received.id}
        await self._wa_deliver(persona, content)

    def _wa_line(self, persona: Persona, **what: Any) -> WaLine:
        assert persona.wa is not None
        if not what.get("from_bot"):  # what the bot sent before it comes first in the timeline
            self._scan_whatsapp()
        line = persona.wa.add(self.clock.now(), **what)
        self._broadcast(
            {"type": "message", "persona": persona.id, "message": self.wa_view(persona, line)}
        )
        return line

    async def _wa_deliver(self, persona: Persona, content: dict[str, Any]) -> None:
        assert persona.wa is not None
        account = self.wa_fake.accounts[persona.wa.number]
        await self.wa_fake.deliver(account, content)

    # -- the clock ------------------------------------------------------------------------

    def set_fast(self, fast: bool) -> None:
        self.fast = fast
        self._broadcast(self.clock_view())

    async def jump_to_next_deadline(self) -> datetime | None:
        """Moves the clock just past the next SLA moment of any open task (a warning, the
        deadline, an escalation) and sweeps, so its notice goes out now."""
        now = self.clock.now()
        upcoming = [at for at in await self._sla_moments() if at > now]
        if not upcoming:
            return None
        target = min(upcoming) + timedelta(seconds=1)
        self.clock.jump_to(target)
        await self._sweep()
        self._broadcast(self.clock_view())
        return target

    async def _sla_moments(self) -> list[datetime]:
        async with self.product.sessions() as session:
            cases = await read.open_cases(session, self.spec.applicant_role)
        out: list[datetime] = []
        for case in cases:
            if case.task_id is None or case.due_at is None or case.sla_start_at is None:
                continue
            step = self.spec.step(case.step_number) if case.step_number else None
            policy = (
                self.spec.sla
                if step is None or case.task_kind == "revision"
                else self.spec.sla_for(step)
            )
            clock: Literal["working", "calendar"] = (
                "calendar" if case.clock == "calendar" else "working"
            )
            window = Window(case.task_id, case.sla_start_at, case.due_at, clock)
            out.extend(moments(window, policy, self.calendar).values())
        return out

    async def _sweep(self) -> None:
        if self._scheduler is not None:
            await self._scheduler.tick()

    async def _fast_clock(self) -> None:
        """While fast: one working hour per second on the office calendar, swept each second."""
        since_sweep = 0.0
        while True:
            await asyncio.sleep(FAST_STEP_SECONDS)
            if not self.fast:
                continue
            span = timedelta(hours=FAST_WORKING_HOURS_PER_SECOND * FAST_STEP_SECONDS)
            self.clock.jump_to(self.calendar.extend(self.clock.now(), span, "working"))
            since_sweep += FAST_STEP_SECONDS
            if since_sweep >= 1.0:
                since_sweep = 0.0
                await self._sweep()
                self._broadcast(self.clock_view())

    def clock_view(self) -> dict[str, Any]:
        now = self.clock.now()
        tz = self.spec.office.timezone
        return {
            "type": "clock",
            "now": now.isoformat(),
            "label": format_when(now, tz),
            "open": self.calendar.is_open(now),
            "fast": self.fast,
        }

    # -- watching the chats -----------------------------------------------------------------

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                self._scan()
            except Exception:  # a view that fails must not stop the stream
                log.exception("playground watch failed")

    def _scan(self) -> None:
        seq = self.fake.mark()
        changed: list[tuple[Persona, StoredMessage]] = []
        if seq != self._seen_seq:
            for persona in self.personas.values():
                if persona.user is None:
                    continue
                for message in persona.user.messages:
                    if message.seq > self._seen_seq:
                        changed.append((persona, message))
            self._seen_seq = seq
        for press in self._presses:
            if press.answered:
                continue
            query = self.fake.callback_queries.get(press.query_id)
            if query is None or query.answer is None:
                continue
            press.answered = True
            pressed = self.fake.chat(press.persona.id).find(press.message_id)
            if pressed is not None and all(m is not pressed for _p, m in changed):
                changed.append((press.persona, pressed))
            if query.answer.text:
                self._broadcast(
                    {
                        "type": "toast",
                        "persona": press.persona.id,
                        "text": query.answer.text,
                        "alert": query.answer.show_alert,
                    }
                )
        for persona, message in changed:
            view = self.view(persona, message)
            self._broadcast({"type": "message", "persona": persona.id, "message": view})
        self._scan_whatsapp()
        for persona in self.personas.values():  # the reply keyboard and the command menu
            extras = self._extras(persona)
            if extras != self._shown_extras.get(persona.id):
                self._shown_extras[persona.id] = extras
                self._broadcast({"type": "chat", "persona": persona.id, **extras})
        if changed:
            self._broadcast({"type": "panel"})

    def _scan_whatsapp(self) -> None:
        """What the bot sent each WhatsApp person since the last look, as new lines (the
        watch looks often; a chat's view looks first, so it is never behind the fake)."""
        any_new = False
        for persona in self.personas.values():
            if persona.wa is None:
                continue
            received = self.wa_fake.accounts[persona.wa.number].received
            for message in received[persona.wa.seen_received :]:
                quoted = persona.wa.line_of(message.context)
                self._wa_line(
                    persona,
                    from_bot=True,
                    received=message,
                    quote=quoted.id if quoted is not None else None,
                )
                any_new = True
            persona.wa.seen_received = len(received)
        if any_new:
            self._broadcast({"type": "panel"})

    def _broadcast(self, event: dict[str, Any]) -> None:
        for queue in list(self.listeners):
            queue.put_nowait(event)

    # -- views for the page -------------------------------------------------------------------

    def unread(self, persona: Persona) -> int:
        if persona.wa is not None:
            return sum(
                1 for line in persona.wa.lines if line.from_bot and line.id > persona.read_upto
            )
        return sum(
            1 for m in persona.tg.bot_messages if m.message_id > persona.read_upto and not m.deleted
        )

    def personas_view(self) -> list[dict[str, Any]]:
        return [
            {
                "id": p.id,
                "name": p.name,
                "title": p.title,
                "role": p.key,
                "journalist": p.key == self.spec.applicant_role,
                "platform": p.platform,
                "unread": self.unread(p),
            }
            for p in self.personas.values()
        ]

    def chat_view(self, persona: Persona) -> dict[str, Any]:
        if persona.wa is not None:
            self._scan_whatsapp()
            return {
                "persona": persona.id,
                "platform": WHATSAPP,
                "messages": [self.wa_view(persona, line) for line in persona.wa.lines],
                **self._extras(persona),
            }
        chat = self.fake.chat(persona.id)
        return {
            "persona": persona.id,
            "messages": [self.view(persona, m) for m in chat.messages if not m.deleted],
            **self._extras(persona),
        }

    def _extras(self, persona: Persona) -> dict[str, Any]:
        if persona.wa is not None:  # WhatsApp has neither a reply keyboard nor a command menu
            return {"keyboard": None, "commands": []}
        return {
            "keyboard": self.fake.chat(persona.id).reply_keyboard,
            "commands": self.fake.commands(scope_chat_id=persona.id),
        }

    def stamp(self, message: StoredMessage) -> datetime:
        key = (message.chat_id, message.message_id)
        if key not in self._stamps:
            self._stamps[key] = self.clock.now()
        return self._stamps[key]

    def view(self, persona: Persona, message: StoredMessage) -> dict[str, Any]:
        tz = self.spec.office.timezone
        at = self.stamp(message)
        out: dict[str, Any] = {
            "id": message.message_id,
            "from_bot": message.from_bot,
            "at": at.isoformat(),
            "time": format_when(at, tz).rsplit(" pukul ", 1)[-1],
            "text": message.text if message.text is not None else message.caption,
            "entities": message.entities if message.text is not None else message.caption_entities,
            "edited": bool(message.edits),
            "deleted": message.deleted,
            "buttons": [
                [
                    {"text": b["text"], "url": b.get("url"), "callback": "callback_data" in b}
                    for b in row
                ]
                for row in message.inline_keyboard
            ],
            "presses": [
                {"label": p.label, "by": p.persona.name, "when": format_when(p.at, tz)}
                for p in self._presses
                if p.persona is persona and p.message_id == message.message_id
            ],
        }
        if message.document is not None:
            out["document"] = {
                "name": message.document.file_name or "berkas",
                "size": message.document.size,
            }
        if message.photo:
            out["photo"] = True
        if message.contact is not None:
            out["contact"] = message.contact.get("phone_number")
        return out

    def wa_view(self, persona: Persona, line: WaLine) -> dict[str, Any]:
        """A WhatsApp bubble for the page: its text in WhatsApp's own markup (*tebal*,
        _miring_), the reply buttons under it, a list's button and rows, a template's name."""
        assert persona.wa is not None
        tz = self.spec.office.timezone
        out: dict[str, Any] = {
            "id": line.id,
            "from_bot": line.from_bot,
            "at": line.at.isoformat(),
            "time": format_when(line.at, tz).rsplit(" pukul ", 1)[-1],
            "text": line.text,
            "buttons": [],
            "rows": [],
            "list_button": None,
            "template": None,
        }
        media = line.media
        received = line.received
        if received is not None:
            out.update(
                text=received.text or None,
                kind=received.kind,
                buttons=[title for _id, title in received.buttons],
                rows=[{"title": t, "description": d} for _id, t, d in received.rows],
                list_button=received.list_button,
                template=received.template,
            )
            media = received.media
        if media is not None:
            if media.mime_type.startswith("image/"):
                out["photo"] = True
            else:
                out["document"] = {"name": media.file_name or "berkas", "size": len(media.data)}
        quoted = persona.wa.find(line.quote) if line.quote is not None else None
        if quoted is not None:
            who = wa_text("quote_bot" if quoted.from_bot else "quote_you")
            first = (self.wa_view(persona, quoted)["text"] or "").split("\n", 1)[0]
            if not first and quoted.media is not None:
                first = quoted.media.file_name or ""
            if not first and quoted.received is not None and quoted.received.media is not None:
                first = quoted.received.media.file_name or ""
            out["quote"] = {"who": who, "text": first[:120]}
        return out

    def file_of(self, persona: Persona, message_id: int) -> tuple[bytes, str, str] | None:
        """(content, file name, mime type) of a document or photo in the persona's chat."""
        if persona.wa is not None:
            line = persona.wa.find(message_id)
            media = None if line is None else line.received.media if line.received else line.media
            if media is None:
                return None
            extension = media.mime_type.rsplit("/", 1)[-1]
            return (
                media.data,
                media.file_name or f"berkas-{message_id}.{extension}",
                media.mime_type,
            )
        message = self.fake.chat(persona.id).find(message_id)
        if message is None or message.deleted:
            return None
        if message.document is not None:
            document = message.document
            return document.data, document.file_name or "berkas", document.mime_type or ""
        if message.photo_bytes is not None:
            return message.photo_bytes, f"foto-{message_id}.jpg", "image/jpeg"
        return None

    async def panel_view(self) -> dict[str, Any]:
        now = self.clock.now()
        tz = self.spec.office.timezone
        async with self.product.sessions() as session:
            cases = await read.open_cases(session, self.spec.applicant_role)
            histories = {c.case_id: await read.case_history(session, c.case_id) for c in cases}
        out = []
        for case in cases:
            step = self.spec.step(case.step_number) if case.step_number else None
            item: dict[str, Any] = {
                "id": case.case_id,
                "agenda": case.agenda_number,
                "outlet": case.outlet,
                "applicant": case.applicant,
                "status": case.status,
                "step": case.step_number,
                "total": self.spec.total_steps,
                "activity": step.activity if step else None,
                "role": self.spec.role_name(case.role) if case.role else None,
                "holders": list(case.holders),
                "history": [self._history_view(h, tz) for h in histories[case.case_id]],
            }
            if case.due_at is not None and case.sla_start_at is not None:
                clock = case.clock or "working"
                late = now > case.due_at
                span = (
                    self.calendar.elapsed(case.due_at, now, clock)  # type: ignore[arg-type]
                    if late
                    else self.calendar.elapsed(now, case.due_at, clock)  # type: ignore[arg-type]
                )
                item.update(
                    due=format_when(case.due_at, tz),
                    late=late,
                    left=format_span(span, fold_days=clock == "calendar"),
                    progress=round(
                        self.calendar.progress(case.sla_start_at, case.due_at, now, clock) * 100  # type: ignore[arg-type]
                    ),
                    standard=str(step.time) if step else None,
                )
            out.append(item)
        return {"cases": out, "clock": self.clock_view()}

    def _history_view(self, entry: read.HistoryEntry, tz: str) -> dict[str, Any]:
        label = entry.action
        if entry.step_number is not None:
            with contextlib.suppress(KeyError):
                action = self.spec.step(entry.step_number).action(entry.action)
                if action is not None:
                    label = action.label
        return {
            "when": format_when(entry.at, tz),
            "action": label,
            "step": entry.step_number,
            "actor": entry.actor,
            "role": self.spec.role_title(entry.role, entry.as_deputy) if entry.role else None,
            "note": entry.note,
        }


def reset(root: Path = PLAYGROUND_DIR) -> None:
    """Starts over: every SOP's playground database and files go."""
    if root.exists():
        shutil.rmtree(root)
