"""The fake through aiogram 3's real client: results and errors as aiogram sees them."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiohttp import ClientSession

from bot.fakeapi import FakeTelegram

from .conftest import ALICE, BOB, aiogram_bot, close_aiogram, png_bytes, started


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in pairs]
    )


async def test_get_me(aio: Bot) -> None:
    me = await aio.get_me()
    assert (me.id, me.is_bot, me.username, me.first_name) == (
        123456,
        True,
        "mitramedia_bot",
        "Mitra Media",
    )


async def test_wrong_token_and_unknown_method(fake: FakeTelegram) -> None:
    intruder = Bot("123456:WRONG", session=aiogram_bot(fake).session)
    with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
        await intruder.get_me()

    class Bogus(TelegramMethod[bool]):
        __returning__ = bool
        __api_method__ = "sendTelepathy"

    bot = aiogram_bot(fake)
    with pytest.raises(TelegramNotFound, match="Not Found"):
        await bot(Bogus())
    await close_aiogram(bot)
    await close_aiogram(intruder)


async def test_send_message_html_with_inline_keyboard(fake: FakeTelegram, aio: Bot) -> None:
    alice = started(fake)
    sent = await aio.send_message(
        ALICE,
        "<b>Halo</b> &lt;kamu&gt;",
        parse_mode="HTML",
        reply_markup=keyboard(("Setuju", "agree"), ("Tolak", "reject")),
    )
    assert sent.text == "Halo <kamu>"
    assert sent.entities is not None and sent.entities[0].type == "bold"
    assert sent.chat.id == ALICE and sent.from_user is not None and sent.from_user.is_bot
    assert alice.last.text == "Halo <kamu>"
    assert alice.last.html == "<b>Halo</b> &lt;kamu&gt;"
    assert alice.buttons() == ["Setuju", "Tolak"]
    assert fake.rejected == []


async def test_chat_not_found_for_user_who_never_wrote(fake: FakeTelegram, aio: Bot) -> None:
    fake.user(BOB, "Bob")
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await aio.send_message(BOB, "hi")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await aio.send_message(99999, "hi")
    assert [r.description for r in fake.rejected] == ["Bad Request: chat not found"] * 2


async def test_text_validation(fake: FakeTelegram, aio: Bot) -> None:
    started(fake)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await aio.send_message(ALICE, "   ")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await aio.send_message(ALICE, "<b> </b>", parse_mode="HTML")
    # 4096 UTF-16 code units: 2048 emoji fit, one more letter does not.
    await aio.send_message(ALICE, "😀" * 2048)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await aio.send_message(ALICE, "😀" * 2048 + "a")
    # Length counts after entity parsing: markup is free.
    await aio.send_message(ALICE, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")


async def test_html_errors(fake: FakeTelegram, aio: Bot) -> None:
    started(fake)
    with pytest.raises(TelegramBadRequest) as caught:
        await aio.send_message(ALICE, "Nilai <foo>", parse_mode="HTML")
    assert caught.value.message == (
        'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 6'
    )
    with pytest.raises(TelegramBadRequest, match="Can't find end tag corresponding"):
        await aio.send_message(ALICE, "<b>&", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="unsupported parse_mode"):
        await aio.send_message(ALICE, "x", parse_mode="BBCode")


async def test_inline_keyboard_validation(fake: FakeTelegram, aio: Bot) -> None:
    started(fake)
    with pytest.raises(TelegramBadRequest, match="Bad Request: BUTTON_DATA_INVALID"):
        await aio.send_message(ALICE, "x", reply_markup=keyboard(("Go", "é" * 33)))
    await aio.send_message(ALICE, "x", reply_markup=keyboard(("Go", "é" * 32)))
    text_only = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Go")]])
    with pytest.raises(TelegramBadRequest, match="Text buttons are not allowed"):
        await aio.send_message(ALICE, "x", reply_markup=text_only)
    two_actions = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Go", url="https://a.id", callback_data="x")]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_TYPE_INVALID"):
        await aio.send_message(ALICE, "x", reply_markup=two_actions)
    with pytest.raises(TelegramBadRequest, match="BUTTON_TEXT_INVALID"):
        await aio.send_message(ALICE, "x", reply_markup=keyboard(("", "x")))


async def test_reply_keyboard_and_removal(fake: FakeTelegram, aio: Bot) -> None:
    alice = started(fake)
    markup = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text="Kirim kontak", request_contact=True)],
            [KeyboardButton(text="Batal")],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    sent = await aio.send_message(ALICE, "Bagikan nomor", reply_markup=markup)
    assert sent.reply_markup is None  # reply keyboards are not part of the Message object
    assert fake.chat(ALICE).reply_keyboard is not None
    assert alice.last.reply_markup is not None and alice.last.reply_markup["resize_keyboard"]
    await aio.send_message(ALICE, "ok", reply_markup=ReplyKeyboardRemove())
    assert fake.chat(ALICE).reply_keyboard is None


async def test_blocked_user_is_forbidden(fake: FakeTelegram, aio: Bot) -> None:
    started(fake)
    fake.block(ALICE)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await aio.send_message(ALICE, "hi")
    with pytest.raises(TelegramForbiddenError):
        await aio.send_chat_action(ALICE, "typing")
    fake.unblock(ALICE)
    await aio.send_message(ALICE, "welcome back")
    kinds = [next(k for k in u if k != "update_id") for u in fake.pending_updates]
    assert kinds == ["my_chat_member", "my_chat_member"]


async def test_forced_rate_limit(fake: FakeTelegram, aio: Bot) -> None:
    started(fake)
    fake.rate_limit(ALICE, times=2, retry_after=7)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as caught:
            await aio.send_message(ALICE, "hi")
        assert caught.value.retry_after == 7
    await aio.send_message(ALICE, "now it works")
    assert fake.rejected[0].error_code == 429
    assert fake.rejected[0].description == "Too Many Requests: retry after 7"


async def test_automatic_flood_control() -> None:
    async with FakeTelegram() as fake:
        started(fake)
        bot = aiogram_bot(fake)
        for i in range(4):
            await bot.send_message(ALICE, f"burst {i}")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(ALICE, "one too many")
        assert caught.value.retry_after == 1
        # Edits and chat actions are not messages: they don't count.
        await bot.edit_message_text("edited", chat_id=ALICE, message_id=2)
        await bot.send_chat_action(ALICE, "typing")
        fake.advance_time(1.0)
        await bot.send_message(ALICE, "after a second")
        await close_aiogram(bot)


async def test_global_flood_limit() -> None:
    async with FakeTelegram(global_rate=3) as fake:
        for uid in (1, 2, 3, 4):
            started(fake, uid, f"U{uid}")
        bot = aiogram_bot(fake)
        for uid in (1, 2, 3):
            await bot.send_message(uid, "x")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(4, "x")
        await close_aiogram(bot)


async def test_edit_message(fake: FakeTelegram, aio: Bot) -> None:
    alice = started(fake)
    sent = await aio.send_message(
        ALICE, "<b>Draf</b>", parse_mode="HTML", reply_markup=keyboard(("A", "a"))
    )
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new message"):
        await aio.edit_message_text(
            "<b>Draf</b>",
            chat_id=ALICE,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard(("A", "a")),
        )
    # Same text without markup is a change: it removes the keyboard.
    edited = await aio.edit_message_text(
        "<b>Draf</b>", chat_id=ALICE, message_id=sent.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, object) and alice.last.reply_markup is None
    await aio.edit_message_reply_markup(
        chat_id=ALICE, message_id=sent.message_id, reply_markup=keyboard(("B", "b"))
    )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await aio.edit_message_reply_markup(
            chat_id=ALICE, message_id=sent.message_id, reply_markup=keyboard(("B", "b"))
        )
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await aio.edit_message_text("x", chat_id=ALICE, message_id=999)
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await aio.edit_message_text("x", chat_id=ALICE, message_id=1)  # Alice's own /start
    assert [e.text for e in alice.last.edits] == ["Draf", "Draf"]
    assert alice.buttons() == ["B"]


async def test_delete_message(fake: FakeTelegram, aio: Bot) -> None:
    alice = started(fake)
    sent = await aio.send_message(ALICE, "sementara")
    assert await aio.delete_message(ALICE, sent.message_id)
    assert alice.bot_messages[-1].deleted
    assert alice.texts() == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await aio.delete_message(ALICE, sent.message_id)


async def test_answer_callback_query_rules(fake: FakeTelegram, aio: Bot) -> None:
    started(fake)
    sent = await aio.send_message(ALICE, "Pilih", reply_markup=keyboard(("A", "a")))
    fresh = fake.inject_callback_query(ALICE, sent.message_id, "a")
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await aio.answer_callback_query(fresh.id, text="x" * 201)
    assert await aio.answer_callback_query(fresh.id, text="Oke", show_alert=True)
    assert fresh.answer is not None and fresh.answer.text == "Oke" and fresh.answer.show_alert
    too_old = "query is too old and response timeout expired or query ID is invalid"
    with pytest.raises(TelegramBadRequest, match=too_old):
        await aio.answer_callback_query(fresh.id)  # answered twice
    with pytest.raises(TelegramBadRequest, match=too_old):
        await aio.answer_callback_query("123")  # never existed
    stale = fake.inject_callback_query(ALICE, sent.message_id, "a")
    fake.advance_time(16)
    with pytest.raises(TelegramBadRequest, match=too_old):
        await aio.answer_callback_query(stale.id)
    assert fake.unanswered_callbacks() == [stale]


async def test_long_polling_returns_injected_update(fake: FakeTelegram, aio: Bot) -> None:
    fake.user(ALICE, "Alice", "alice")
    poll = asyncio.create_task(aio.get_updates(timeout=30))
    await fake.wait_for_poll()
    fake.inject_text(ALICE, "/start")
    updates = await asyncio.wait_for(poll, 10)  # the injection ends the poll, not its timeout
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None and message.text == "/start"
    assert message.entities is not None and message.entities[0].type == "bot_command"
    assert message.from_user is not None and message.from_user.language_code == "id"
    assert message.chat.type == "private"
    # Not confirmed yet: still pending, returned again; the offset confirms it.
    assert len(fake.pending_updates) == 1
    again = await aio.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]
    assert await aio.get_updates(offset=updates[0].update_id + 1, timeout=0) == []
    assert fake.pending_updates == []


async def test_empty_long_poll_waits_for_timeout(fake: FakeTelegram, aio: Bot) -> None:
    poll = asyncio.create_task(aio.get_updates(timeout=1))
    await fake.wait_for_poll()
    assert not poll.done()  # held open with nothing to return, until its timeout
    assert await poll == []


async def test_second_poller_terminates_the_first(fake: FakeTelegram, aio: Bot) -> None:
    first = asyncio.create_task(aio.get_updates(timeout=5))
    await fake.wait_for_poll()
    second = asyncio.create_task(aio.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    assert await second == []


async def test_get_updates_conflicts_with_webhook(aio: Bot) -> None:
    assert await aio.set_webhook("https://bot.example.org/hook")
    with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook"):
        await aio.get_updates()
    info = await aio.get_webhook_info()
    assert info.url == "https://bot.example.org/hook"
    assert await aio.delete_webhook()
    assert await aio.get_updates(timeout=0) == []
    with pytest.raises(TelegramBadRequest, match="HTTPS URL must be provided"):
        await aio.set_webhook("http://bot.example.org/hook")


async def test_documents_both_ways(fake: FakeTelegram, aio: Bot) -> None:
    alice = started(fake)
    sent = await aio.send_document(
        ALICE,
        BufferedInputFile(b"%PDF-1.4 laporan", "laporan.pdf"),
        caption="<i>Laporan</i>",
        parse_mode="HTML",
    )
    assert sent.document is not None and sent.document.file_name == "laporan.pdf"
    assert sent.document.mime_type == "application/pdf"
    assert sent.caption == "Laporan"
    assert alice.documents == [("laporan.pdf", b"%PDF-1.4 laporan", "Laporan")]
    assert alice.last.document_bytes == b"%PDF-1.4 laporan"
    # Re-sending by file_id works and keeps the bytes.
    again = await aio.send_document(ALICE, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id

    # The user's upload, injected without waiting for a bot (none runs in this test).
    stored = fake.register_file(
        "document", b"name,phone\n", file_name="data.csv", mime_type="text/csv"
    )
    fake.inject_message(ALICE, document=stored, caption="isi")
    update = fake.pending_updates[-1]["message"]
    assert update["document"]["file_name"] == "data.csv"
    assert update["caption"] == "isi"
    file = await aio.get_file(update["document"]["file_id"])
    assert file.file_path is not None and file.file_path.startswith("documents/")
    downloaded = await aio.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"name,phone\n"


async def test_photos(fake: FakeTelegram, aio: Bot) -> None:
    alice = started(fake)
    with pytest.raises(TelegramBadRequest, match="Bad Request: IMAGE_PROCESS_FAILED"):
        await aio.send_photo(ALICE, BufferedInputFile(b"not an image", "x.png"))
    sent = await aio.send_photo(ALICE, BufferedInputFile(png_bytes(400, 300), "chart.png"))
    assert sent.photo is not None
    assert [(p.width, p.height) for p in sent.photo] == [(90, 68), (320, 240), (400, 300)]
    assert alice.last.photo_bytes == png_bytes(400, 300)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await aio.send_photo(ALICE, sent.photo[-1].file_id, caption="x" * 1025)
    with pytest.raises(TelegramBadRequest, match="can't use file of type Photo as Document"):
        await aio.send_document(ALICE, sent.photo[-1].file_id)

    with pytest.raises(ValueError, match="IMAGE_PROCESS_FAILED"):
        await alice.upload_photo(b"GIF89a nope")


async def test_get_file_limits(fake: FakeTelegram, aio: Bot) -> None:
    big = fake.register_file("document", b"\0" * (20 * 1024 * 1024 + 1), file_name="big.bin")
    with pytest.raises(TelegramBadRequest, match="Bad Request: file is too big"):
        await aio.get_file(big.file_id)
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await aio.get_file("nope")


async def test_commands_with_scopes(fake: FakeTelegram, aio: Bot) -> None:
    started(fake)
    await aio.set_my_commands([BotCommand(command="start", description="Mulai")])
    await aio.set_my_commands(
        [BotCommand(command="admin", description="Panel admin")],
        scope=BotCommandScopeChat(chat_id=ALICE),
    )
    await aio.set_my_commands(
        [BotCommand(command="start", description="Start")], language_code="en"
    )
    assert [c["command"] for c in fake.commands()] == ["start"]
    assert [c["command"] for c in fake.commands(ALICE)] == ["admin"]
    assert fake.commands(language_code="en")[0]["description"] == "Start"
    default = await aio.get_my_commands()
    assert [c.command for c in default] == ["start"]
    await aio.delete_my_commands(scope=BotCommandScopeChat(chat_id=ALICE))
    assert [c["command"] for c in fake.commands(ALICE)] == ["start"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await aio.set_my_commands([BotCommand(command="Bad Command", description="x")])
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await aio.set_my_commands(
            [BotCommand(command="x", description="x")], scope=BotCommandScopeChat(chat_id=BOB)
        )


async def test_requests_are_recorded(fake: FakeTelegram, aio: Bot) -> None:
    started(fake)
    await aio.send_message(ALICE, "hi", disable_notification=True)
    record = fake.calls("sendMessage")[0]
    assert record.ok and record.params["text"] == "hi"
    assert record.params["disable_notification"] == "true"  # aiogram sends forms
    assert record.result["text"] == "hi"


async def test_settle_times_out_with_a_report_when_no_bot_runs(fake: FakeTelegram) -> None:
    alice = fake.user(ALICE, "Alice")
    with pytest.raises(TimeoutError) as caught:
        fake.inject_text(ALICE, "/start")
        await fake.settle(timeout=0.2)
    report = str(caught.value)
    assert "pending update" in report and "text='/start'" in report
    assert "is the bot running?" in report
    assert alice.messages[0].text == "/start" and not alice.messages[0].from_bot


async def test_raw_json_and_get_requests(fake: FakeTelegram) -> None:
    alice = started(fake)
    api = f"{fake.base_url}/bot{fake.token}"
    markup = {"inline_keyboard": [[{"text": "Ya", "callback_data": "yes"}]]}
    async with ClientSession() as http:
        async with http.post(
            f"{api}/sendMessage",
            json={
                "chat_id": ALICE,
                "text": "<u>json</u>",
                "parse_mode": "HTML",
                "reply_markup": markup,
            },
        ) as resp:
            body = await resp.json()
        assert resp.status == 200 and body["ok"] and body["result"]["text"] == "json"
        async with http.get(f"{api}/getMe") as resp:
            assert (await resp.json())["result"]["username"] == "mitramedia_bot"
        async with http.get(f"{api}/sendMessage", params={"chat_id": ALICE, "text": "q"}) as resp:
            assert (await resp.json())["result"]["text"] == "q"
        async with http.post(f"{fake.base_url}/botnot-a-token/getMe") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.post(f"{api}/sendMessage", json={"chat_id": ALICE}) as resp:
            assert await resp.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty",
            }
    assert alice.buttons() == ["Ya"]


async def test_webhook_outside_loopback_is_never_called(fake: FakeTelegram, aio: Bot) -> None:
    fake.user(ALICE, "Alice")
    await aio.set_webhook("https://bot.example.org/hook")
    fake.inject_text(ALICE, "hi")
    with pytest.raises(TimeoutError, match="loopback addresses only"):
        await fake.settle(timeout=0.3)
    info = await aio.get_webhook_info()
    assert info.pending_update_count == 1 and info.last_error_message
