""" "💬 Tanya petugas": a journalist's stray question reaches the admin desk with a "Balas"
button, the answer comes back in her chat, and both are in her case's history. Only the desk
role may answer. One adapter: nothing here depends on the framework."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import AuditEvent
from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import button_data, message_with
from tests.e2e.test_sanggau import SANGGAU


@pytest.mark.parametrize("framework", ["aiogram"])
async def test_a_stray_question_reaches_the_desk_and_the_answer_comes_back(
    bot: BotUnderTest,
) -> None:
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3801)
    await rina.send("/ajukan")
    await rina.press("Lewati")

    await rina.send("/bantuan")  # the office's contact, and the way to ask
    assert "Jam layanan: Senin–Kamis 07.30–16.00, Jumat 07.30–16.30" in rina.last.text
    assert "tanyakan alamatnya kepada Petugas Admin lewat /tanya" in rina.last.text

    await rina.send("halo pak, kapan diproses?")
    assert "belum mengerti" not in rina.last.text and "Petugas Admin" in rina.last.text
    admin = who["admin"]
    asked = message_with(admin, "Balas")
    assert "kapan diproses?" in asked.text and "Rina Wartawati" in asked.text

    # Another role's official cannot answer with the same button (forwarded, or guessed).
    kabid = who["kabid"]
    own = kabid.bot_messages[-1].message_id
    answer = await kabid.press_data(button_data(asked, "Balas"), message_id=own)
    assert answer is not None and answer.show_alert

    await admin.press("Balas", message_id=asked.message_id)
    await admin.send("Sedang kami periksa, paling lambat besok siang.")
    assert "terkirim" in admin.last.text
    assert "paling lambat besok siang" in rina.last.text
    await admin.press("Balas", message_id=asked.message_id)  # a second answer is fine
    await admin.send("Sudah diterima, nomor agenda menyusul.")
    assert "nomor agenda menyusul" in rina.last.text

    async with bot.session() as s:
        events = list(
            await s.scalars(select(AuditEvent).where(AuditEvent.action.in_(("question", "answer"))))
        )
    assert [e.action for e in events] == ["question", "answer", "answer"]
    await rina.send("/status")
    # Each /status history row starts with a capital ("— Pertanyaan Anda: «...»").
    assert "Pertanyaan Anda" in rina.last.text and "Jawaban petugas" in rina.last.text
    bot.assert_clean()
