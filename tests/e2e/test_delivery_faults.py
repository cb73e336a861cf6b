"""Delivery that loses nothing: the outbox through a flaky uplink, on both adapters.

Faults are scripted on the fake Bot API (bot/fakeapi/faults.py). Retries are scheduled on the
injected clock, so a test moves time forward instead of waiting for it.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.fakeapi import faults
from bot.fakeapi.harness import FakeUser
from storage.models import ChatReach, Outbox
from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import approve, button_data, message_with
from tests.e2e.test_sanggau import SANGGAU


async def _submit(bot: BotUnderTest, journalist: FakeUser) -> None:
    await journalist.send("/ajukan")
    await journalist.press("Lewati")


async def _later(bot: BotUnderTest, seconds: float) -> None:
    """Time passes (retries come due), and the sender looks again."""
    bot.clock.advance(seconds=seconds)
    assert bot.sender is not None
    bot.sender.wake()
    await bot.fake.settle()


def _prompts(person: FakeUser) -> list[str]:
    return [m.text for m in person.bot_messages if "Langkah 2/10" in (m.text or "")]


async def test_server_errors_drops_timeouts_and_429_storms_end_in_one_prompt(
    bot: BotUnderTest,
) -> None:
    who = await bot.officials(SANGGAU)
    admin = who["admin"]
    rina = await bot.seeded_journalist(3701)
    slow = faults.hang()  # a send that never answers: the client times out, nothing stored
    storm = (
        faults.status(502),
        faults.drop(),
        faults.retry_after(1),
        faults.retry_after(1),
        faults.retry_after(90),  # longer than the old 60 s cut-off: waited for, not dropped
        faults.status(500, html=True),
        slow,
    )
    for fault in storm:
        bot.fake.faults.add("sendMessage", fault, chat_id=admin.chat_id)

    await _submit(bot, rina)
    assert "Permohonan terkirim" in rina.last.text  # her chat is not held up by the admin's
    assert _prompts(admin) == []
    for _ in range(len(storm)):
        await _later(bot, 700)  # beyond the longest backoff step
    slow.release()  # the timed-out request was dropped by the server: it ran nothing
    assert len(_prompts(admin)) == 1
    assert len(bot.fake.faults.injected) == len(storm)  # each fault met one attempt

    await approve(admin, "Terima")  # the delivered prompt is a live prompt: its id was kept
    assert "Tanda terima" in rina.last.content_text  # the PDF receipt, after the text
    bot.assert_clean()


async def test_a_refused_message_is_given_up_and_the_desk_is_told(bot: BotUnderTest) -> None:
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3702)
    await rina.send("/ajukan")
    bot.fake.faults.add(
        "sendMessage", faults.error(400, "Bad Request: chat not found"), chat_id=rina.chat_id
    )
    await rina.press("Lewati")  # "Permohonan terkirim" is refused for good
    async with bot.session() as s:
        dead = list(await s.scalars(select(Outbox).where(Outbox.state == "dead")))
    assert [d.chat_id for d in dead] == [rina.chat_id]
    assert "chat not found" in (dead[0].error or "").lower()
    assert "Pesan gagal dikirim" in who["admin"].last.text
    assert "Rina" in who["admin"].last.text
    bot.assert_clean()


async def test_a_blocked_journalist_gets_the_waiting_messages_after_start(
    bot: BotUnderTest,
) -> None:
    who = await bot.officials(SANGGAU)
    admin = who["admin"]
    rina = await bot.seeded_journalist(3703)
    await _submit(bot, rina)
    bot.fake.block(rina.id)
    await bot.fake.settle()
    before, mark = len(rina.bot_messages), rina.mark()

    await approve(admin, "Terima")  # the receipt for Rina waits: she blocked the bot
    assert len(rina.bot_messages) == before
    notices = [m for m in admin.bot_messages if "tidak dapat diantar" in (m.text or "")]
    assert len(notices) == 1  # told once, not once per message
    async with bot.session() as s:
        assert await s.get(ChatReach, ("telegram", rina.chat_id)) is not None

    bot.fake.unblock(rina.id)
    await rina.send("/status")
    texts = rina.texts(since=mark)
    receipt = next(i for i, t in enumerate(texts) if "Tanda terima" in t)
    assert receipt < len(texts) - 1  # the waiting receipt first, then the answer to /status
    assert sum("Tanda terima" in t for t in texts) == 2, texts  # the text and its PDF, once
    bot.assert_clean()


async def test_a_crash_after_the_commit_loses_no_message(bot: BotUnderTest) -> None:
    who = await bot.officials(SANGGAU)
    admin = who["admin"]
    rina = await bot.seeded_journalist(3704)
    gate = faults.hang()
    bot.fake.faults.add("sendMessage", gate, chat_id=admin.chat_id)
    await rina.send("/ajukan")
    lewati = message_with(rina, "Lewati")
    bot.fake.inject_callback_query(rina.id, lewati.message_id, button_data(lewati, "Lewati"))
    await gate.reached()  # committed, and the prompt's send is on the wire

    await bot.crash()  # the process dies: nothing drained, nothing marked
    bot.clock.advance(seconds=60)  # a dead sender's lease runs out
    await bot.start()
    assert len(_prompts(admin)) == 1
    faults.assert_delivered_once(bot.fake, admin.chat_id, "Langkah 2/10")
    await approve(admin, "Terima")
    bot.assert_clean()
