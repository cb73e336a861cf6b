"""Simulated users against real bots: an aiogram Dispatcher, a PTB Application, a webhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiogram import Bot, Dispatcher, F, Router, html
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandStart
from aiogram.methods import SendMessage
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from telegram import InlineKeyboardButton as PtbButton
from telegram import InlineKeyboardMarkup as PtbMarkup
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.fakeapi import FakeTelegram

from .conftest import ALICE, BOB, png_bytes


def menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="✅ Setuju", callback_data="agree")],
            [InlineKeyboardButton(text="Tolak", callback_data="reject")],
            [InlineKeyboardButton(text="Situs", url="https://diskominfo.example.go.id")],
        ]
    )


def build_router(busy: list[bool]) -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        assert message.from_user is not None
        name = html.quote(message.from_user.first_name)
        await message.answer(f"<b>Selamat datang</b>, {name}!", reply_markup=menu())

    @router.callback_query(F.data == "agree")
    async def agree(callback: CallbackQuery) -> None:
        assert isinstance(callback.message, Message)
        await callback.message.edit_text("Terima kasih, Anda setuju.")
        await callback.answer("Tersimpan", show_alert=True)

    @router.callback_query(F.data == "reject")
    async def reject(callback: CallbackQuery) -> None:
        await callback.answer()

    @router.message(Command("kontak"))
    async def ask_contact(message: Message) -> None:
        keyboard = ReplyKeyboardMarkup(
            keyboard=[
                [KeyboardButton(text="📱 Kirim nomor", request_contact=True)],
                [KeyboardButton(text="Batal")],
            ],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await message.answer("Bagikan nomor Anda", reply_markup=keyboard)

    @router.message(F.contact)
    async def got_contact(message: Message) -> None:
        assert message.contact is not None
        await message.answer(
            f"Nomor {message.contact.phone_number} tersimpan", reply_markup=ReplyKeyboardRemove()
        )

    @router.message(F.document)
    async def got_document(message: Message, bot: Bot) -> None:
        assert message.document is not None
        buffer = await bot.download(message.document)
        assert buffer is not None
        data = buffer.read()
        name = f"balasan_{message.document.file_name}"
        await message.answer_document(
            BufferedInputFile(data.upper(), name), caption=f"{len(data)} byte diterima"
        )

    @router.message(F.photo)
    async def got_photo(message: Message) -> None:
        assert message.photo is not None
        largest = message.photo[-1]
        await message.answer(f"Foto {largest.width}x{largest.height}: {message.caption}")

    @router.message(Command("lambat"))
    async def slow(message: Message) -> None:
        busy[0] = True
        await asyncio.sleep(0.3)  # thinking without any API call: only idle_probe can tell
        await message.answer("selesai")
        busy[0] = False

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"Anda menulis: {html.quote(message.text or '')}")

    return router


def make_bot(fake: FakeTelegram) -> Bot:
    return Bot(
        fake.token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)),
        default=DefaultBotProperties(parse_mode="HTML"),
    )


async def wait_for_poller(fake: FakeTelegram) -> None:
    await fake.wait_for_poll(timeout=30)


@asynccontextmanager
async def aiogram_polling(fake: FakeTelegram) -> AsyncIterator[list[bool]]:
    busy = [False]
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router(busy))
    bot = make_bot(fake)
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1)
    )
    await wait_for_poller(fake)
    try:
        yield busy
    finally:
        await dispatcher.stop_polling()
        await polling


@pytest.fixture
async def aiogram_fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake, aiogram_polling(fake):
        yield fake


async def test_start_press_and_edit(aiogram_fake: FakeTelegram) -> None:
    fake = aiogram_fake
    alice = fake.user(ALICE, "Alice <3", "alice")
    await alice.send("/start")
    assert alice.last.text == "Selamat datang, Alice <3!"
    assert alice.last.html == "<b>Selamat datang</b>, Alice &lt;3!"
    assert alice.buttons() == ["✅ Setuju", "Tolak", "Situs"]

    mark = alice.mark()
    answer = await alice.press("Setuju")  # partial label match
    assert answer is not None and answer.text == "Tersimpan" and answer.show_alert
    assert alice.texts(since=mark) == ["Terima kasih, Anda setuju."]
    assert alice.texts() == ["Terima kasih, Anda setuju."]  # edited in place
    assert alice.last.edits[0].text == "Selamat datang, Alice <3!"
    assert alice.buttons() == []
    assert fake.rejected == [] and fake.unanswered_callbacks() == []


async def test_press_errors_are_clear(aiogram_fake: FakeTelegram) -> None:
    alice = aiogram_fake.user(ALICE, "Alice")
    await alice.send("/start")
    with pytest.raises(AssertionError, match=r"no inline button 'Hapus'.*'✅ Setuju', 'Tolak'"):
        await alice.press("Hapus")
    with pytest.raises(AssertionError, match="is a url button"):
        await alice.press("Situs")
    answer = await alice.press("Tolak")
    assert answer is not None and answer.text is None


async def test_forged_press_and_stale_message(aiogram_fake: FakeTelegram) -> None:
    alice = aiogram_fake.user(ALICE, "Alice")
    await alice.send("/start")
    menu_id = alice.last.message_id
    await alice.press("Setuju")
    # The old message was edited; a forged press with unknown data goes unanswered.
    assert await alice.press_data("hapus-semua", menu_id) is None
    assert [q.data for q in aiogram_fake.unanswered_callbacks()] == ["hapus-semua"]


async def test_reply_keyboard_contact(aiogram_fake: FakeTelegram) -> None:
    alice = aiogram_fake.user(ALICE, "Alice")
    await alice.send("/kontak")
    await alice.tap_reply_button("Kirim nomor")
    assert alice.last.text == f"Nomor 62812{ALICE:08d} tersimpan"
    assert aiogram_fake.chat(ALICE).reply_keyboard is None
    with pytest.raises(AssertionError, match="no reply keyboard"):
        await alice.tap_reply_button("Batal")


async def test_documents_and_photos_round_trip(aiogram_fake: FakeTelegram) -> None:
    alice = aiogram_fake.user(ALICE, "Alice")
    await alice.upload_document(b"proposal", "proposal.txt", "text/plain")
    assert alice.documents == [("balasan_proposal.txt", b"PROPOSAL", "8 byte diterima")]
    await alice.upload_photo(png_bytes(1200, 900), caption="spanduk")
    assert alice.last.text == "Foto 1200x900: spanduk"
    assert aiogram_fake.rejected == []


async def test_two_users_are_separate_chats(aiogram_fake: FakeTelegram) -> None:
    alice = aiogram_fake.user(ALICE, "Alice")
    bob = aiogram_fake.user(BOB, "Bob")
    await alice.send("halo <b>")
    await bob.send("/start")
    assert alice.texts() == ["Anda menulis: halo <b>"]
    assert bob.texts() == ["Selamat datang, Bob!"]
    assert [m.from_bot for m in alice.messages] == [False, True]


async def test_idle_probe_covers_silent_work() -> None:
    async with FakeTelegram() as fake, aiogram_polling(fake) as busy:
        alice = fake.user(ALICE, "Alice")
        # Without a probe, settle() can't see a handler that thinks without API calls...
        fake.inject_text(ALICE, "/lambat")
        await fake.settle()
        assert alice.texts() == []
        # ...with one, it waits for the handler to finish.
        fake.idle_probe = lambda: not busy[0]
        await fake.settle()
        assert alice.texts() == ["selesai"]


async def test_blocked_user_cannot_write_until_unblocked(aiogram_fake: FakeTelegram) -> None:
    alice = aiogram_fake.user(ALICE, "Alice")
    await alice.send("/start")
    aiogram_fake.block(ALICE)
    with pytest.raises(AssertionError, match="blocked the bot"):
        await alice.send("halo")
    aiogram_fake.unblock(ALICE)
    await alice.send("halo lagi")
    assert alice.last.text == "Anda menulis: halo lagi"


# --- python-telegram-bot -------------------------------------------------------------


async def ptb_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = PtbMarkup([[PtbButton("Daftar", callback_data="register")]])
    await update.effective_message.reply_html("<i>Halo</i> dari PTB", reply_markup=keyboard)


async def ptb_register(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Terdaftar")
    await query.edit_message_text("Pendaftaran diterima")


async def test_ptb_application_polling() -> None:
    async with FakeTelegram() as fake:
        app = (
            Application.builder()
            .token(fake.token)
            .base_url(f"{fake.base_url}/bot")
            .base_file_url(f"{fake.base_url}/file/bot")
            .build()
        )
        app.add_handler(CommandHandler("start", ptb_start))
        app.add_handler(CallbackQueryHandler(ptb_register, pattern="^register$"))
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            alice = fake.user(ALICE, "Alice")
            await alice.send("/start")
            assert alice.last.text == "Halo dari PTB"
            answer = await alice.press("Daftar")
            assert answer is not None and answer.text == "Terdaftar"
            assert alice.texts() == ["Pendaftaran diterima"]
            await app.updater.stop()
            await app.stop()
        assert fake.rejected == []


# --- webhook delivery ------------------------------------------------------------------


async def test_webhook_delivery_with_secret_and_reply_in_response() -> None:
    seen_secrets: list[str | None] = []
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> SendMessage:
        # Returned instead of awaited: aiogram puts it in the webhook response body.
        return message.answer("Halo via webhook")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo {html.quote(message.text or '')}")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)

    @web.middleware
    async def record_secret(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        seen_secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        return await handler(request)

    async with FakeTelegram() as fake:
        bot = make_bot(fake)
        app = web.Application(middlewares=[record_secret])
        SimpleRequestHandler(
            dispatcher, bot, handle_in_background=False, secret_token="rahasia"
        ).register(app, path="/hook")
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="rahasia")
            alice = fake.user(ALICE, "Alice")
            await alice.send("/start")
            await alice.send("apa kabar")
            assert alice.texts() == ["Halo via webhook", "echo apa kabar"]
            assert seen_secrets == ["rahasia", "rahasia"]
            assert fake.rejected == []
            assert (await bot.get_webhook_info()).pending_update_count == 0
        finally:
            await bot.delete_webhook()
            await runner.cleanup()
            await bot.session.close()
