"""The WhatsApp adapter: a signed webhook from the fake becomes the core's event, in order per
person; an unsigned one is refused; answers to presses go out at once through the port."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.outbox_sender import OutboxSender
from bot.runtime import MASK, TOKEN_FILTER
from bot.whatsapp import ids
from bot.whatsapp.adapter import WhatsAppAdapter
from bot.whatsapp.config import WhatsAppSettings
from bot.whatsapp.fake import FakeWhatsApp
from bot.whatsapp.window import new_task
from handlers.events import CallbackEvent, Event, MessageEvent, SeenEvent
from handlers.outbox import to_payload
from handlers.ports import FileFetcher
from handlers.replies import (
    AnswerCallback,
    Button,
    InlineKeyboard,
    PromptRef,
    Reply,
    ReplyKeyboard,
    SendMessage,
)
from storage import ledger
from storage.db import reading, transaction
from storage.models import ChatReach, Outbox
from tests.factories import builtin, make_officials
from workflow.clock import ManualClock

from .conftest import ALICE, BUDI

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
VERIFY = "verify-wa-adapter"


@dataclass
class RecordingApp:
    """A ChatApp that records what reaches it, answers presses, and fetches files."""

    events: list[Event] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)

    async def handle(self, event: Event, files: FileFetcher) -> list[Reply]:
        self.events.append(event)
        if isinstance(event, MessageEvent) and event.file is not None:
            self.files[event.file.file_id] = await files.download(event.file.file_id)
        if isinstance(event, CallbackEvent) and event.data == "act:7:accept":
            return [AnswerCallback(event.callback_id, "Tombol ini sudah tidak berlaku.")]
        return []

    async def prompt_sent(self, *args: object, **kwargs: object) -> None:
        return None

    async def startup(self) -> list[Reply]:
        return []


@dataclass
class Bot:
    fake: FakeWhatsApp
    app: RecordingApp
    adapter: WhatsAppAdapter
    sessions: async_sessionmaker[AsyncSession]
    url: str
    wrote: dict[int, datetime]


def wa_settings(fake: FakeWhatsApp) -> WhatsAppSettings:
    return WhatsAppSettings(
        phone_id=fake.phone_id,
        token=fake.token,  # type: ignore[arg-type]
        app_secret=fake.app_secret,  # type: ignore[arg-type]
        verify_token=VERIFY,  # type: ignore[arg-type]
        graph_url=fake.base_url,
        listen="127.0.0.1:0",
    )


@pytest.fixture
async def bot(
    fake: FakeWhatsApp, wa_sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Bot]:
    app = RecordingApp()
    wrote: dict[int, datetime] = {}

    async def last_inbound(chat_id: int) -> datetime | None:
        return wrote.get(chat_id)

    adapter = WhatsAppAdapter(
        wa_settings(fake), app, wa_sessions, ManualClock(NOW), last_inbound=last_inbound
    )
    await adapter.start()
    url = f"http://127.0.0.1:{adapter.port}/whatsapp"
    assert await fake.verify_webhook(url, VERIFY)
    fake.idle_probe = lambda: adapter.inflight.idle
    try:
        yield Bot(fake, app, adapter, wa_sessions, url, wrote)
    finally:
        await adapter.stop()


async def test_what_a_person_does_reaches_the_core_as_its_events(bot: Bot) -> None:
    alice = bot.fake.user(ALICE, "Alice")
    bot.fake.open_window(ALICE)
    bot.wrote[int(ALICE)] = NOW
    await alice.send("daftar")
    # A prompt sent through the port: its buttons are pressed, a stale one is answered.
    prompt = SendMessage(
        int(ALICE),
        "<b>Langkah 2/9</b>",
        InlineKeyboard(((Button("Terima", "act:7:accept"), Button("Tolak", "act:7:reject")),)),
        PromptRef(7, 3),
        platform="whatsapp",
    )
    number = await bot.adapter.api.execute_reply(prompt)
    await alice.press("Tolak")
    await alice.press("Terima")
    assert alice.last.text == "Tombol ini sudah tidak berlaku."  # the answer, at once
    # A reply keyboard's choice is typed text; a template's quick reply is "seen".
    await bot.adapter.api.execute_reply(
        SendMessage(
            int(ALICE), "Jenis media?", ReplyKeyboard((("Online", "Cetak"),)), platform="whatsapp"
        )
    )
    await alice.press("Cetak")
    received, _ = bot.fake.check(new_task(ALICE, "Permohonan #12", "open"))
    bot.fake.accounts[ALICE].received.append(received)
    await alice.press("Buka tugas")
    card = await alice.send_document(b"%PDF-1.4 kartu pers", "kartu.pdf", "application/pdf")
    text, reject, accept, typed, seen, document = bot.app.events
    assert isinstance(text, MessageEvent) and text.text == "daftar"
    assert (text.sender.account_id, text.chat_id) == (int(ALICE), int(ALICE))
    assert text.sender.first_name == "Alice"
    assert isinstance(reject, CallbackEvent) and reject.data == "act:7:reject"
    assert reject.message_id == number  # the prompt it was pressed on
    assert isinstance(accept, CallbackEvent) and accept.callback_id != reject.callback_id
    assert isinstance(typed, MessageEvent) and typed.text == "Cetak"
    assert isinstance(seen, SeenEvent) and seen.chat_id == int(ALICE)
    assert isinstance(document, MessageEvent) and document.file is not None
    assert (document.file.file_id, document.file.file_name) == (card, "kartu.pdf")
    assert bot.app.files[card] == b"%PDF-1.4 kartu pers"
    assert len({e.update_id for e in bot.app.events}) == 6
    assert bot.fake.refused == []


async def test_a_forged_press_names_no_message_of_ours(bot: Bot) -> None:
    alice = bot.fake.user(ALICE, "Alice")
    await alice.press_id("c:act:99:accept", "Terima", context="wamid.NOT-OURS")
    (press,) = bot.app.events
    assert isinstance(press, CallbackEvent) and press.message_id == 0
    assert press.data == ""  # nothing to act on: the core answers "unknown button"
    async with reading(bot.sessions) as session:
        assert await ids.number_of(session, "wamid.NOT-OURS") is None


async def test_an_unsigned_or_wrongly_signed_webhook_is_refused(bot: Bot) -> None:
    bot.fake.user(ALICE, "Alice")
    body = bot.fake.envelope(
        {
            "messages": [
                {
                    "from": ALICE,
                    "id": "wamid.X1",
                    "timestamp": "1",
                    "type": "text",
                    "text": {"body": "hai"},
                }
            ]
        }
    )
    assert await bot.fake.post_webhook(body, sign=False) == 403
    assert await bot.fake.post_webhook(body, secret="guessed") == 403
    await bot.fake.settle()
    assert bot.app.events == []
    assert await bot.fake.post_webhook(body) == 200
    await bot.fake.settle()
    assert len(bot.app.events) == 1


async def test_a_redelivered_webhook_is_the_same_update(bot: Bot) -> None:
    """The core's processed_update drops the second: the adapter's part is a stable id."""
    bot.fake.user(BUDI, "Budi")
    message = {
        "from": BUDI,
        "id": "wamid.HBgNNjI4MTIzNDUwMDAwMhUCABIYFjNFQjA",
        "timestamp": "1765000000",
        "type": "text",
        "text": {"body": "halo"},
    }
    body = bot.fake.envelope({"messages": [message]})
    for _ in range(2):
        assert await bot.fake.post_webhook(body) == 200
        await bot.fake.settle()
    first, again = bot.app.events
    assert first.update_id is not None and first.update_id == again.update_id


async def test_a_late_131047_holds_the_chat_and_its_message_goes_again(
    wa_sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The real Cloud API accepts a message outside the window and reports it failed later."""
    async with FakeWhatsApp(late_failures=True) as fake:
        app = RecordingApp()
        wrote = {int(BUDI): NOW}  # our record: he just wrote; WhatsApp's: never

        async def last_inbound(chat_id: int) -> datetime | None:
            return wrote.get(chat_id)

        clock = ManualClock(NOW)
        adapter = WhatsAppAdapter(
            wa_settings(fake), app, wa_sessions, clock, last_inbound=last_inbound
        )
        await adapter.start()
        try:
            assert await fake.verify_webhook(f"http://127.0.0.1:{adapter.port}/whatsapp", VERIFY)
            fake.idle_probe = lambda: adapter.inflight.idle
            budi = fake.user(BUDI, "Budi")
            spec = builtin("sanggau-hubungan-media")
            sender = OutboxSender(wa_sessions, adapter.api, clock, spec, platform="whatsapp")
            reply = SendMessage(int(BUDI), "Ada pesan untuk Anda.", platform="whatsapp")
            async with transaction(wa_sessions) as session:
                session.add(
                    Outbox(
                        platform="whatsapp",
                        chat_id=int(BUDI),
                        kind="message",
                        payload=to_payload(reply),
                        created_at=NOW,
                        next_attempt_at=NOW,
                        state="pending",
                        attempts=0,
                    )
                )
            await sender.deliver_due()
            await fake.settle()
            assert [r.template for r in budi.received] == ["pesan_menunggu"]
            async with reading(wa_sessions) as session:
                row = await session.scalar(select(Outbox))
                reach = await session.get(ChatReach, ("whatsapp", int(BUDI)))
            assert row is not None and row.state == "pending"
            assert reach is not None and reach.reason == "window" and reach.reported
            fake.open_window(BUDI)  # he presses "Baca pesan"; the core lets his rows go
            async with transaction(wa_sessions) as session:
                await ledger.reachable_again(session, int(BUDI), "whatsapp")
            await sender.deliver_due()
            assert budi.last.text == "Ada pesan untuk Anda." and budi.last.template is None
        finally:
            await adapter.stop()


def test_bot_platforms_name_one_app_or_both() -> None:
    assert Settings(bot_platforms="telegram").platforms() == ("telegram",)
    assert Settings(bot_platforms=" WhatsApp ").platforms() == ("whatsapp",)
    assert Settings(bot_platforms="telegram,whatsapp").platforms() == ("telegram", "whatsapp")
    with pytest.raises(ValueError, match="signal"):
        Settings(bot_platforms="telegram,signal").platforms()


async def test_whatsapp_alone_runs_without_a_bot_token_and_masks_its_secrets(
    fake: FakeWhatsApp,
    wa_sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import asyncio
    import socket

    from bot.runtime import run_polling

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name, value in {
        "WHATSAPP_PHONE_ID": fake.phone_id,
        "WHATSAPP_TOKEN": fake.token,
        "WHATSAPP_APP_SECRET": fake.app_secret,
        "WHATSAPP_VERIFY_TOKEN": VERIFY,
        "WHATSAPP_GRAPH_URL": fake.base_url,
        "WHATSAPP_LISTEN": f"127.0.0.1:{port}",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings(bot_platforms="whatsapp", bot_token=None)
    product = _Product(wa_sessions)
    stop = asyncio.Event()
    running = asyncio.create_task(
        run_polling(settings, product.app, stop_event=stop, with_scheduler=product)  # type: ignore[arg-type]
    )
    try:
        url = f"http://127.0.0.1:{port}/whatsapp"
        for _ in range(200):
            try:
                if await fake.verify_webhook(url, VERIFY):
                    break
            except OSError:
                await asyncio.sleep(0.02)
        assert fake.webhook_url == url
        with caplog.at_level(logging.INFO):
            logging.getLogger("test").warning("leaked %s %s", fake.token, VERIFY)
        assert {fake.token, fake.app_secret, VERIFY} <= TOKEN_FILTER.tokens
        record = caplog.records[-1]
        assert TOKEN_FILTER.filter(record)
        assert fake.token not in record.getMessage() and MASK in record.getMessage()
    finally:
        stop.set()
        await asyncio.wait_for(running, 20)
        TOKEN_FILTER.tokens -= {fake.token, fake.app_secret, VERIFY}


@dataclass
class _Deps:
    spec: object = field(default_factory=lambda: builtin("sanggau-hubungan-media"))
    archive: object = None

    @dataclass
    class _Drawing:
        def close(self) -> None:
            return None

    drawing: _Drawing = field(default_factory=_Drawing)


@dataclass
class _App(RecordingApp):
    deps: _Deps = field(default_factory=_Deps)
    on_queued: object = None

    def wakes(self, waker: object) -> None:
        self.on_queued = waker


class _Product:
    """What run_polling reads of the product (bot/factory.Product): its app, database, clock."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.clock = ManualClock(NOW)
        self.app = _App()


def test_missing_whatsapp_settings_are_named_never_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_TOKEN", "EAAG-secret-token")
    monkeypatch.delenv("WHATSAPP_PHONE_ID", raising=False)
    with pytest.raises(ValueError) as missing:
        Settings(bot_platforms="whatsapp").whatsapp()
    assert "WHATSAPP_PHONE_ID" in str(missing.value)
    assert "EAAG-secret-token" not in str(missing.value)


async def test_a_late_131026_makes_the_chat_unreachable_and_tells_the_desk(
    wa_sessions: async_sessionmaker[AsyncSession],
) -> None:
    spec = builtin("sanggau-hubungan-media")
    async with transaction(wa_sessions) as session:
        desk = await make_officials(session, spec, NOW)
    async with FakeWhatsApp(late_failures=True) as fake:
        adapter = WhatsAppAdapter(
            wa_settings(fake),
            RecordingApp(),
            wa_sessions,
            ManualClock(NOW),
            last_inbound=lambda _chat: _now(),
            spec=spec,
        )
        await adapter.start()
        try:
            assert await fake.verify_webhook(f"http://127.0.0.1:{adapter.port}/whatsapp", VERIFY)
            fake.idle_probe = lambda: adapter.inflight.idle
            fake.user(BUDI, "Budi")
            fake.open_window(BUDI)
            fake.block(BUDI)
            await adapter.api.execute_reply(
                SendMessage(int(BUDI), "Ada pesan untuk Anda.", platform="whatsapp")
            )
            await fake.settle()
            async with reading(wa_sessions) as session:
                reach = await session.get(ChatReach, ("whatsapp", int(BUDI)))
                notices = list(await session.scalars(select(Outbox)))
            assert reach is not None and reach.reason == "undeliverable"
            assert {n.chat_id for n in notices} <= {u.telegram_id for u in desk.values()}
            assert notices  # the desk hears of it once
        finally:
            await adapter.stop()


async def _now() -> datetime:
    return NOW


async def test_a_press_on_the_second_list_of_a_long_checklist_names_a_message_of_ours(
    bot: Bot,
) -> None:
    alice = bot.fake.user(ALICE, "Alice")
    bot.fake.open_window(ALICE)
    bot.wrote[int(ALICE)] = NOW
    rows = tuple((Button(f"Berkas nomor {n}", f"chk:7:{n}"),) for n in range(13))
    number = await bot.adapter.api.execute_reply(
        SendMessage(
            int(ALICE),
            "<b>Daftar periksa</b>",
            InlineKeyboard(rows),
            PromptRef(7, 3),
            platform="whatsapp",
        )
    )
    first, second = alice.received
    await alice.pick("Berkas nomor 12", message=second)
    await alice.pick("Berkas nomor 0", message=first)
    later, earlier = bot.app.events
    assert isinstance(later, CallbackEvent) and isinstance(earlier, CallbackEvent)
    assert later.data == "chk:7:12" and earlier.data == "chk:7:0"
    assert earlier.message_id == number  # the prompt's own number: its first list
    assert later.message_id not in (0, number)  # the second list's, known to be ours
