"""The fake through python-telegram-bot 22's real client (httpx, JSON/form bodies)."""

from __future__ import annotations

import asyncio

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter

from bot.fakeapi import FakeTelegram

from .conftest import ALICE, BOB, png_bytes, ptb_bot, started


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])


async def test_initialize_and_get_me(ptb: telegram.Bot) -> None:
    assert ptb.username == "mitramedia_bot"
    me = await ptb.get_me()
    assert me.id == 123456 and me.is_bot


async def test_wrong_token(fake: FakeTelegram) -> None:
    bot = telegram.Bot("123456:WRONG", base_url=f"{fake.base_url}/bot")
    with pytest.raises(InvalidToken):
        await bot.initialize()


async def test_send_message_html_keyboard(fake: FakeTelegram, ptb: telegram.Bot) -> None:
    alice = started(fake)
    sent = await ptb.send_message(
        ALICE, "<b>Halo</b> Alice", parse_mode="HTML", reply_markup=keyboard(("Setuju", "ok"))
    )
    assert sent.text == "Halo Alice"
    assert sent.entities[0].type == "bold"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "ok"
    assert alice.buttons() == ["Setuju"]
    # PTB sends form fields with JSON-encoded nested values; they must decode the same.
    assert isinstance(fake.calls("sendMessage")[0].params["reply_markup"], str)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_errors_raise_ptb_exceptions(fake: FakeTelegram, ptb: telegram.Bot) -> None:
    started(fake)
    fake.user(BOB, "Bob")
    with pytest.raises(BadRequest, match="Chat not found"):
        await ptb.send_message(BOB, "hi")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await ptb.send_message(ALICE, "")
    with pytest.raises(BadRequest, match="Message is too long"):
        await ptb.send_message(ALICE, "a" * 4097)
    # PTB strips "Bad Request: " and re-capitalizes Telegram's description.
    with pytest.raises(BadRequest, match='parse entities: unsupported start tag "br" at byte'):
        await ptb.send_message(ALICE, "a<br>b", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await ptb.send_message(ALICE, "x", reply_markup=keyboard(("Go", "x" * 65)))
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await ptb.send_document(ALICE, b"data", filename="a.txt", caption="c" * 1025)
    fake.block(ALICE)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await ptb.send_message(ALICE, "hi")
    fake.unblock(ALICE)
    fake.rate_limit(ALICE, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await ptb.send_message(ALICE, "hi")
    assert caught.value.retry_after == 3


async def test_edit_and_callback_answer(fake: FakeTelegram, ptb: telegram.Bot) -> None:
    alice = started(fake)
    sent = await ptb.send_message(ALICE, "Pilih", reply_markup=keyboard(("A", "a")))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await ptb.edit_message_text(
            "Pilih", ALICE, sent.message_id, reply_markup=keyboard(("A", "a"))
        )
    await ptb.edit_message_text("Dipilih: A", ALICE, sent.message_id)
    assert alice.last.text == "Dipilih: A" and alice.last.edits[0].text == "Pilih"
    assert alice.buttons() == []
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await ptb.edit_message_reply_markup(ALICE, 777, reply_markup=keyboard(("B", "b")))
    query = fake.inject_callback_query(ALICE, sent.message_id, "a")
    assert await ptb.answer_callback_query(query.id, text="Tersimpan")
    with pytest.raises(BadRequest, match="Query is too old"):
        await ptb.answer_callback_query(query.id)


async def test_long_poll_and_conflict(fake: FakeTelegram, ptb: telegram.Bot) -> None:
    fake.user(ALICE, "Alice")
    poll = asyncio.create_task(ptb.get_updates(timeout=5, read_timeout=10))
    await fake.wait_for_poll()
    fake.inject_text(ALICE, "/start hello")
    updates = await asyncio.wait_for(poll, 2)
    assert updates[0].message is not None and updates[0].message.text == "/start hello"
    assert updates[0].message.entities[0].type == "bot_command"
    assert updates[0].message.entities[0].length == 6

    # A second bot instance polling the same token (PTB's own pool serializes getUpdates).
    offset = updates[0].update_id + 1
    first = asyncio.create_task(ptb.get_updates(offset, timeout=5, read_timeout=10))
    await fake.wait_for_poll()
    twin = ptb_bot(fake)
    async with twin:
        assert await twin.get_updates(offset, timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_files_both_ways(fake: FakeTelegram, ptb: telegram.Bot) -> None:
    alice = started(fake)
    sent = await ptb.send_document(ALICE, b"%PDF-1.7", filename="mou.pdf")
    assert sent.document is not None and sent.document.file_name == "mou.pdf"
    file = await sent.document.get_file()
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.7"
    assert alice.documents == [("mou.pdf", b"%PDF-1.7", None)]

    photo = await ptb.send_photo(ALICE, png_bytes(), caption="grafik")
    assert photo.photo[-1].width == 40 and photo.caption == "grafik"
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await ptb.send_photo(ALICE, b"plain text, not a picture")

    sizes = fake.process_photo(png_bytes(1000, 500))
    fake.inject_message(ALICE, photo=sizes)
    largest = fake.pending_updates[-1]["message"]["photo"][-1]
    assert (largest["width"], largest["height"]) == (1000, 500)
    data = await (await ptb.get_file(largest["file_id"])).download_as_bytearray()
    assert bytes(data[:3]) == b"\xff\xd8\xff"  # Telegram re-encodes photos as JPEG


async def test_commands(fake: FakeTelegram, ptb: telegram.Bot) -> None:
    started(fake)
    await ptb.set_my_commands([("start", "Mulai"), ("bantuan", "Bantuan")])
    await ptb.set_my_commands(
        [("laporan", "Laporan")], scope=telegram.BotCommandScopeAllPrivateChats()
    )
    assert [c["command"] for c in fake.commands(ALICE)] == ["laporan"]
    assert [c.command for c in await ptb.get_my_commands()] == ["start", "bantuan"]
    await ptb.delete_my_commands(scope=telegram.BotCommandScopeAllPrivateChats())
    assert [c["command"] for c in fake.commands(ALICE)] == ["start", "bantuan"]


async def test_webhook_info(fake: FakeTelegram, ptb: telegram.Bot) -> None:
    assert await ptb.set_webhook("https://bot.example.org/tg", secret_token="s3cret")
    info = await ptb.get_webhook_info()
    assert info.url == "https://bot.example.org/tg" and info.pending_update_count == 0
    with pytest.raises(Conflict, match="webhook is active"):
        await ptb.get_updates()
    with pytest.raises(BadRequest, match="Secret token contains unallowed characters"):
        await ptb.set_webhook("https://bot.example.org/tg", secret_token="no spaces")
    assert await ptb.delete_webhook(drop_pending_updates=True)
