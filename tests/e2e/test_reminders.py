"""Reminders reach the right phones with the task's own buttons and can be acted on directly."""

from __future__ import annotations

from bot.scheduler import SlaScheduler
from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import approve, current, message_with
from tests.e2e.test_sanggau import SANGGAU


async def test_overdue_reminder_carries_the_buttons_and_is_sent_once(bot: BotUnderTest) -> None:
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3601)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    admin = who["admin"]
    prompt = message_with(admin, "Terima")
    scheduler = SlaScheduler(
        bot.product.sessions, bot.clock, bot.product.app.deps.spec, bot.sender.wake
    )

    bot.clock.advance(minutes=6)  # the step's standard is 5 minutes
    await scheduler.tick()
    await bot.fake.settle()
    reminder = admin.last
    assert reminder.message_id != prompt.message_id
    assert "terlambat 1 menit" in reminder.text and "Terima permohonan" in reminder.text
    assert "Rina Wartawati (Warta Kapuas) menunggu" in reminder.text  # who is waiting
    assert reminder.reply_to_message_id == prompt.message_id  # a reply, on both adapters
    assert "<b>" not in reminder.text  # markup rendered, not shown
    assert admin.buttons(reminder) == ["Terima", "Kembalikan ke pemohon", "Tolak"]

    before = len(admin.bot_messages)
    await bot.restart()  # a new process: the sweep must not send the same notice again
    scheduler = SlaScheduler(
        bot.product.sessions, bot.clock, bot.product.app.deps.spec, bot.sender.wake
    )
    await scheduler.tick()
    await bot.fake.settle()
    assert len(admin.bot_messages) == before

    await approve(admin, "Terima")  # pressed on the reminder itself
    for message in (prompt, reminder):
        assert "oleh Budi Admin" in current(admin, message).text  # both copies now say so
        assert not admin.buttons(current(admin, message))
    assert "Tanda terima" in rina.last.content_text  # the PDF receipt, after the text
    bot.assert_clean()
