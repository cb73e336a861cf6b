"""Both adapters, end to end over HTTP against the fake Bot API, driven by a tiny ChatApp.

Every test runs once on aiogram and once on python-telegram-bot: the adapters must be
interchangeable, so the same conversation must look the same in the user's chat.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from bot.config import Settings
from bot.delivery import Blocked, ChatPacer, Deliverer, InFlight, KeyedLocks, RetryAfter
from bot.fakeapi import FakeTelegram
from bot.runtime import MASK, BotAdapter, build_adapter, run_polling
from handlers.events import CallbackEvent, Event, MemberEvent, MessageEvent
from handlers.ports import FileFetcher
from handlers.replies import (
    AnswerCallback,
    Button,
    EditMessage,
    InlineKeyboard,
    PromptRef,
    Reply,
    SendDocument,
    SendMessage,
    SetCommands,
)

# PTB warns from inside RetryAfter.__init__ that retry_after will become a timedelta; the
# adapter reads either form, and opting in (PTB_TIMEDELTA env) would change PTB process-wide.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

FRAMEWORKS = ["aiogram", "ptb"]
DEFAULT_MENU = (("start", "Mulai"), ("bantuan", "Bantuan"))
CHAT_MENU = (("start", "Mulai"), ("admin", "Menu admin"))
MENU_TEXT = "Pilih <b>satu</b>:"
MENU_KEYBOARD = InlineKeyboard(rows=((Button("Ya", "yes"), Button("Sama", "same")),))


def png_bytes(width: int = 120, height: int = 60) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def digest(data: bytes) -> str:
    return f"{hashlib.sha256(data).hexdigest()} {len(data)}"


@dataclass
class EchoApp:
    """A ChatApp with just enough behaviour to exercise every reply kind."""

    outbox_dir: Path
    prompts: list[tuple[PromptRef, int, int]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    downloads: list[bytes] = field(default_factory=list)
    last_file_id: str | None = None

    async def startup(self) -> list[Reply]:
        return [SetCommands(DEFAULT_MENU)]

    async def prompt_sent(
        self, ref: PromptRef, chat_id: int, message_id: int, platform: str = "telegram"
    ) -> None:
        self.prompts.append((ref, chat_id, message_id))

    async def handle(self, event: Event, files: FileFetcher) -> list[Reply]:
        self.events.append(event)
        if isinstance(event, MemberEvent):
            return []
        if isinstance(event, MessageEvent) and event.text == "slow":
            await asyncio.sleep(0.3)
        if isinstance(event, CallbackEvent):
            return self.on_callback(event)
        if event.file is not None:
            data = await files.download(event.file.file_id)
            self.downloads.append(data)
            self.last_file_id = None if event.file.is_photo else event.file.file_id
            kind = "foto" if event.file.is_photo else "dokumen"
            return [SendMessage(event.chat_id, f"{kind} {digest(data)}")]
        if event.contact is not None:
            return [SendMessage(event.chat_id, f"nomor {event.contact.phone_number}")]
        return self.on_text(event, event.text or "")

    def on_text(self, event: MessageEvent, text: str) -> list[Reply]:
        chat = event.chat_id
        word, _, rest = text.partition(" ")
        match word:
            case "menu":
                return [SendMessage(chat, MENU_TEXT, MENU_KEYBOARD)]
            case "slow":
                return [SendMessage(chat, "lambat")]
            case "prompt":
                return [
                    SendMessage(chat, "Tugas baru", prompt=PromptRef(7, event.sender.account_id))
                ]
            case "burst":
                return [SendMessage(chat, f"pesan {i}") for i in range(1, int(rest) + 1)]
            case "relay":  # two messages to another chat, then a confirmation here
                other = int(rest)
                return [
                    SendMessage(other, "satu"),
                    SendMessage(other, "dua"),
                    SendMessage(chat, "terkirim"),
                ]
            case "cmds":
                return [SetCommands(CHAT_MENU, chat_id=chat)]
            case "file":
                return [self.send_file(chat, "laporan.pdf", b"%PDF-1.4 laporan\n" * 50)]
            case "photo":
                return [self.send_file(chat, "poster.png", png_bytes(), as_photo=True)]
            case "again" if self.last_file_id:
                return [
                    SendDocument(
                        chat,
                        "lagi.bin",
                        "/nonexistent",
                        "application/octet-stream",
                        caption="lagi",
                        telegram_file_id=self.last_file_id,
                    )
                ]
        return [SendMessage(chat, f"echo: {html.escape(text)}")]

    def send_file(self, chat: int, name: str, data: bytes, *, as_photo: bool = False) -> Reply:
        path = self.outbox_dir / name
        path.write_bytes(data)
        mime = "image/png" if as_photo else "application/pdf"
        return SendDocument(
            chat, name, str(path), mime, caption=f"<i>{name}</i>", as_photo=as_photo
        )

    def on_callback(self, event: CallbackEvent) -> list[Reply]:
        # The answer comes last on purpose: the deliverer must send it first anyway.
        if event.data == "same":
            edit = EditMessage(event.chat_id, event.message_id, MENU_TEXT, MENU_KEYBOARD)
            return [edit, AnswerCallback(event.callback_id, "tidak berubah")]
        edit = EditMessage(event.chat_id, event.message_id, f"dipilih: {event.data}")
        return [edit, AnswerCallback(event.callback_id, "oke")]


class VirtualTime:
    """The adapter's pacing clock and sleep: a paced or retried send waits no real time, and
    the fake server's clock moves along, so its flood control judges the virtual instant.
    Closing `gate` holds every such wait until the test opens it."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.now = 0.0
        self.slept: list[float] = []
        self.gate: asyncio.Event | None = None

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.gate is not None:
            await self.gate.wait()
        self.now += seconds
        self.fake.advance_time(seconds)


@dataclass
class Running:
    fake: FakeTelegram
    app: EchoApp
    adapter: BotAdapter
    inflight: InFlight
    time: VirtualTime


@pytest.fixture(params=FRAMEWORKS)
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def settings_for(fake: FakeTelegram, framework: str) -> Settings:
    return Settings(
        bot_token=fake.token,  # type: ignore[arg-type]  # pydantic coerces str to SecretStr
        bot_framework=framework,  # type: ignore[arg-type]
        telegram_api_base=fake.base_url,
    )


@pytest.fixture
async def bot(framework: str, tmp_path: Path) -> AsyncIterator[Running]:
    async with FakeTelegram() as fake:
        app = EchoApp(tmp_path)
        inflight = InFlight()
        fake.idle_probe = lambda: inflight.idle
        virtual = VirtualTime(fake)
        adapter = build_adapter(
            settings_for(fake, framework), app, inflight, clock=virtual.clock, sleep=virtual.sleep
        )
        await adapter.start()
        try:
            yield Running(fake, app, adapter, inflight, virtual)
        finally:
            await adapter.stop()


def rejected(fake: FakeTelegram) -> list[tuple[str, int | None, str | None]]:
    # fake.rejected also lists requests still waiting for their answer (the open long poll).
    return [(r.method, r.error_code, r.description) for r in fake.rejected if r.error_code]


# --- good paths -------------------------------------------------------------------------------


async def test_text_round_trip_is_html_escaped(bot: Running) -> None:
    alice = bot.fake.user(1001, "Alice")
    await alice.send("halo <dunia> & kamu")
    assert alice.last.text == "echo: halo <dunia> & kamu"
    assert alice.last.parse_mode == "HTML"  # the default parse mode reached the API
    event = bot.app.events[-1]
    assert isinstance(event, MessageEvent)
    assert (event.sender.account_id, event.sender.first_name, event.private) == (
        1001,
        "Alice",
        True,
    )
    await alice.send("/start")
    assert alice.last.text == "echo: /start"
    assert rejected(bot.fake) == []


async def test_startup_menu_and_per_chat_commands(bot: Running) -> None:
    assert bot.fake.calls("deleteWebhook"), "the webhook is deleted before polling"
    assert [c["command"] for c in bot.fake.commands()] == ["start", "bantuan"]
    alice = bot.fake.user(1001, "Alice")
    await alice.send("cmds")
    assert [c["command"] for c in bot.fake.commands(alice.chat_id)] == ["start", "admin"]
    assert [c["command"] for c in bot.fake.commands(9999)] == ["start", "bantuan"]
    assert rejected(bot.fake) == []


async def test_button_press_answers_then_edits(bot: Running) -> None:
    alice = bot.fake.user(1001, "Alice")
    await alice.send("menu")
    menu = alice.last
    assert alice.buttons() == ["Ya", "Sama"]
    answer = await alice.press("Ya")
    assert answer is not None and answer.text == "oke"
    assert alice.last.message_id == menu.message_id
    assert alice.last.text == "dipilih: yes"
    assert len(alice.last.edits) == 1
    methods = [r.method for r in bot.fake.requests if r.method != "getUpdates"]
    assert methods.index("answerCallbackQuery") < methods.index("editMessageText")
    assert rejected(bot.fake) == []


async def test_not_modified_edit_is_swallowed(bot: Running) -> None:
    alice = bot.fake.user(1001, "Alice")
    await alice.send("menu")
    answer = await alice.press("Sama")
    assert answer is not None and answer.text == "tidak berubah"
    assert alice.last.edits == []
    [(method, code, description)] = rejected(bot.fake)
    assert (method, code) == ("editMessageText", 400)
    assert description and "message is not modified" in description
    await alice.send("masih hidup")  # the bot carries on
    assert alice.last.text == "echo: masih hidup"


async def test_uploaded_document_is_downloaded_byte_for_byte(bot: Running) -> None:
    alice = bot.fake.user(1001, "Alice")
    content = bytes(range(256)) * 300
    await alice.upload_document(content, "data.bin", "application/octet-stream", caption="isi")
    assert bot.app.downloads == [content]
    assert alice.last.text == f"dokumen {digest(content)}"
    event = bot.app.events[-1]
    assert isinstance(event, MessageEvent) and event.file is not None
    assert (event.file.file_name, event.file.size, event.caption) == (
        "data.bin",
        len(content),
        "isi",
    )
    assert rejected(bot.fake) == []


async def test_photo_takes_the_largest_size(bot: Running) -> None:
    alice = bot.fake.user(1001, "Alice")
    await alice.upload_photo(png_bytes(400, 200))
    sent = next(m for m in alice.messages if not m.from_bot and m.photo)
    assert sent.photo is not None and len(sent.photo) > 1
    largest = sent.photo[-1]
    event = bot.app.events[-1]
    assert isinstance(event, MessageEvent) and event.file is not None
    assert event.file.is_photo and event.file.file_id == largest.file_id
    assert bot.app.downloads == [largest.data]
    assert alice.last.text == f"foto {digest(largest.data)}"
    assert rejected(bot.fake) == []


async def test_contact(bot: Running) -> None:
    alice = bot.fake.user(1001, "Alice")
    await alice.share_contact("+6281234567890")
    assert alice.last.text == "nomor +6281234567890"
    event = bot.app.events[-1]
    assert isinstance(event, MessageEvent) and event.contact is not None
    assert event.contact.user_id == 1001
    assert rejected(bot.fake) == []


async def test_documents_and_photos_reach_the_user(bot: Running) -> None:
    alice = bot.fake.user(1001, "Alice")
    await alice.send("file")
    name, data, caption = alice.documents[-1]
    assert (name, data, caption) == ("laporan.pdf", b"%PDF-1.4 laporan\n" * 50, "laporan.pdf")
    await alice.send("photo")
    assert alice.last.photo_bytes == png_bytes()
    # Re-sending by Telegram file_id: the path is not read at all.
    await alice.upload_document(b"arsip", "arsip.txt", "text/plain")
    await alice.send("again")
    assert alice.documents[-1] == ("arsip.txt", b"arsip", "lagi")
    assert rejected(bot.fake) == []


async def test_prompt_sent_reports_the_message_id(bot: Running) -> None:
    alice = bot.fake.user(1001, "Alice")
    await alice.send("prompt")
    assert bot.app.prompts == [(PromptRef(7, 1001), 1001, alice.last.message_id)]
    assert rejected(bot.fake) == []


# --- flood control, 429 and 403 ---------------------------------------------------------------


async def test_sends_are_paced_per_chat_without_429(bot: Running) -> None:
    alice = bot.fake.user(1001, "Alice")
    await alice.send("burst 5")
    assert alice.texts() == [f"pesan {i}" for i in range(1, 6)]
    assert bot.time.slept == [1.0, 1.0]  # 3 at once, then one per second
    assert rejected(bot.fake) == []  # the fake's flood control saw the paced (virtual) times


async def test_a_paced_chat_does_not_hold_up_others(bot: Running) -> None:
    alice, bob = bot.fake.user(1001, "Alice"), bot.fake.user(1002, "Bob")
    await bob.send("hai")
    bot.time.gate = asyncio.Event()  # Alice's burst stops at its first paced send
    bot.fake.inject_text(alice.id, "burst 6")
    bot.fake.inject_text(bob.id, "cepat")
    # Settled (all fetched, quiet) once Bob has his answer; Alice's update is still held.
    bot.fake.idle_probe = lambda: "echo: cepat" in bob.texts()
    await bot.fake.settle()
    assert len(alice.texts()) < 6, "Bob was answered while Alice's burst was still paced"
    bot.fake.idle_probe = lambda: bot.inflight.idle
    bot.time.gate.set()
    await bot.fake.settle()
    assert len(alice.texts()) == 6
    assert rejected(bot.fake) == []


async def test_one_users_updates_are_handled_in_order(bot: Running) -> None:
    alice = bot.fake.user(1001, "Alice")
    bot.fake.inject_text(alice.id, "slow")
    bot.fake.inject_text(alice.id, "cepat")
    await bot.fake.settle()
    assert alice.texts() == ["lambat", "echo: cepat"]
    assert rejected(bot.fake) == []


async def test_429_is_retried_after_retry_after(bot: Running) -> None:
    alice = bot.fake.user(1001, "Alice")
    await alice.send("halo")
    bot.fake.rate_limit(alice.chat_id, times=1, retry_after=1)
    await alice.send("lagi")
    assert bot.time.slept == [1]  # waited retry_after before trying again
    assert alice.texts() == ["echo: halo", "echo: lagi"]  # arrived, and only once
    assert [(m, c) for m, c, _ in rejected(bot.fake)] == [("sendMessage", 429)]


async def test_blocked_user_is_skipped_and_others_still_served(bot: Running) -> None:
    alice, bob = bot.fake.user(1001, "Alice"), bot.fake.user(1002, "Bob")
    await alice.send("halo")
    bot.fake.block(alice.id)
    before = len(bot.fake.calls("sendMessage"))
    await bob.send(f"relay {alice.id}")
    assert bob.last.text == "terkirim"
    to_alice = [
        r
        for r in bot.fake.calls("sendMessage")[before:]
        if r.params["chat_id"] in (alice.id, str(alice.id))
    ]
    assert len(to_alice) == 1, "after the 403 the rest of Alice's replies are skipped"
    assert [(m, c) for m, c, _ in rejected(bot.fake)] == [("sendMessage", 403)]
    await bob.send("masih?")
    assert bob.last.text == "echo: masih?"


# --- logging and lifecycle --------------------------------------------------------------------


async def test_token_never_reaches_the_logs(
    framework: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeTelegram() as fake:
        inflight = InFlight()
        fake.idle_probe = lambda: inflight.idle
        adapter = build_adapter(settings_for(fake, framework), EchoApp(tmp_path), inflight)
        await adapter.start()
        try:
            alice = fake.user(1001, "Alice")
            await alice.send("halo")
            await alice.upload_document(b"abc", "a.txt", "text/plain")
            await alice.send("file")
            # Whatever a library might log (a request URL, an exception), the token is masked.
            logging.getLogger("somewhere").warning("GET %s/bot%s/getMe", fake.base_url, fake.token)
        finally:
            await adapter.stop()
    assert caplog.records, "something was logged at DEBUG"
    assert fake.token not in caplog.text
    assert all(fake.token not in r.getMessage() for r in caplog.records)
    assert MASK in caplog.text


async def test_run_polling_stops_on_event(framework: str, tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        inflight, stop = InFlight(), asyncio.Event()
        fake.idle_probe = lambda: inflight.idle
        task = asyncio.create_task(
            run_polling(
                settings_for(fake, framework), EchoApp(tmp_path), inflight=inflight, stop_event=stop
            )
        )
        alice = fake.user(1001, "Alice")
        await alice.send("halo")
        assert alice.last.text == "echo: halo"
        stop.set()
        await asyncio.wait_for(task, 10)
        assert rejected(fake) == []


# --- the deliverer alone ----------------------------------------------------------------------


async def test_keyed_locks_serialize_per_key_and_forget_idle_keys() -> None:
    locks, order, b1_done = KeyedLocks(), [], asyncio.Event()

    async def job(key: int, name: str, until: asyncio.Event | None = None) -> None:
        async with locks.hold(key):
            if until is not None:
                await until.wait()  # a1 holds key 1 until b1 (key 2) got through
            order.append(name)
            if name == "b1":
                b1_done.set()

    await asyncio.wait_for(
        asyncio.gather(job(1, "a1", until=b1_done), job(1, "a2"), job(2, "b1")), 10
    )
    assert order == ["b1", "a1", "a2"]
    assert len(locks) == 0


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_pacer_allows_a_burst_of_three_then_one_per_second() -> None:
    clock = FakeClock()
    pacer = ChatPacer(clock=clock)
    assert [pacer.reserve(1) for _ in range(5)] == [0, 0, 0, 1.0, 2.0]
    assert pacer.reserve(2) == 0  # another chat has its own bucket
    clock.now = 10.0
    assert [pacer.reserve(1) for _ in range(4)] == [0, 0, 0, 1.0]


class RecordingPort:
    """An ApiPort that records calls and raises what a test queued for a chat."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.failures: dict[int, list[Exception]] = {}

    async def send_message(
        self, chat_id: int, text: str, markup: object, reply_to: int | None = None
    ) -> int:
        failures = self.failures.get(chat_id)
        if failures:
            raise failures.pop(0)
        self.calls.append(f"send {chat_id} {text}")
        return len(self.calls)

    async def edit_message(self, chat_id: int, message_id: int, text: str, markup: object) -> None:
        self.calls.append(f"edit {chat_id}")

    async def answer_callback(self, callback_id: str, text: str | None, alert: bool) -> None:
        self.calls.append(f"answer {callback_id}")

    async def send_document(self, doc: SendDocument) -> int:
        return 0

    async def set_commands(self, commands: object, chat_id: int | None) -> None:
        self.calls.append("commands")

    async def download(self, file_id: str) -> bytes:
        return b""


async def test_deliverer_answers_callbacks_first_and_keeps_chat_order() -> None:
    port, app = RecordingPort(), EchoApp(Path("."))
    await Deliverer(port, app).deliver(
        [
            SendMessage(1, "a"),
            EditMessage(1, 5, "b"),
            SendMessage(1, "c", prompt=PromptRef(1, 1)),
            AnswerCallback("q"),
        ]
    )
    assert port.calls == ["answer q", "send 1 a", "edit 1", "send 1 c"]
    assert app.prompts == [(PromptRef(1, 1), 1, 4)]


async def test_deliverer_drops_a_reply_rather_than_wait_out_a_long_flood_ban() -> None:
    port, slept = RecordingPort(), []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    port.failures[1] = [RetryAfter(2), RetryAfter(600)]
    port.failures[2] = [Blocked()]
    deliverer = Deliverer(port, EchoApp(Path(".")), sleep=sleep)
    await deliverer.deliver(
        [SendMessage(1, "a"), SendMessage(1, "b"), SendMessage(2, "x"), SendMessage(2, "y")]
    )
    assert slept == [2]  # retried after 2 s; the 600 s ban dropped "a" at once
    assert port.calls == ["send 1 b"]  # chat 2 blocked: "y" skipped
