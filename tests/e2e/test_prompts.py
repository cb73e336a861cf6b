"""Questions about a task: a typed-text prompt lapses or ends with a command; confirm: is asked."""

from __future__ import annotations

from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import button_data, current, message_with
from tests.e2e.test_sanggau import SANGGAU


async def _submitted(bot: BotUnderTest, journalist_id: int):
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(journalist_id)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    return who["admin"], rina


async def test_a_forgotten_reason_prompt_lapses_and_a_command_ends_one(bot: BotUnderTest):
    admin, rina = await _submitted(bot, 4501)
    await admin.press("Tolak")
    assert "Tulis alasan" in admin.last.text
    bot.clock.advance(minutes=31)
    await admin.send("Terima kasih, nanti saya cek")
    lapsed = admin.texts()[-2:]
    assert any("kedaluwarsa" in t and "permohonan 23 Nov" in t for t in lapsed), lapsed
    assert "tidak dapat diproses" not in rina.last.text

    await admin.press("Tolak")  # asked again, then the official turns to something else
    await admin.send("/tugas")
    assert "Tugas terbuka Anda (1)" in admin.last.text
    await admin.send("Media tidak berbadan hukum")
    assert "belum mengerti" in admin.last.text
    case = await bot.case()
    assert (case.status, case.current_step) == ("open", 2)
    bot.assert_clean()


async def test_reject_asks_the_sops_question_with_the_reason_quoted(bot: BotUnderTest):
    admin, rina = await _submitted(bot, 4601)
    await admin.press("Tolak")
    await admin.send("Kartu pers <palsu>")
    question = admin.last
    assert "Yakin menolak permohonan ini?" in question.text
    assert "Kartu pers <palsu>" in question.text
    yes = button_data(question, "Ya")

    await admin.press("Batal", message_id=question.message_id)  # nothing taken, prompt back
    restored = current(admin, question)
    assert "Tolak" in admin.buttons(restored) and "Yakin" not in restored.text
    reject = button_data(restored, "Tolak")
    assert (await bot.case()).status == "open"
    answer = await admin.press_data(yes, question.message_id)  # the old "Ya", pressed late
    assert answer is not None and "tidak berlaku" in (answer.text or "")
    assert (await bot.case()).status == "open"

    await admin.press("Tolak", message_id=message_with(admin, "Tolak").message_id)
    await admin.send("Kartu pers <palsu>")
    await admin.press("✅ Ya")
    assert "tidak dapat diproses" in rina.last.text and "Kartu pers <palsu>" in rina.last.text
    assert (await bot.case()).outcome == "rejected"
    answer = await admin.press_data(reject, question.message_id)  # the restored copy, stale
    assert answer is not None and "sudah selesai" in (answer.text or "")
    bot.assert_clean()
