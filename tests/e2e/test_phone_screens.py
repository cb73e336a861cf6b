"""Every screen of a whole case, as it reaches the phone, fits it and tells the truth.

One case per SOP walks every step through the fake Bot API, opening each prompt's checklist
and SOP text, letting a reminder come, returning once, writing a disposition note and asking
/status along the way. Then every version of every message (edits included) is measured as
shown after Telegram's HTML parsing: with buttons at most 500 characters and 5 rows; to an
official at most 1,200 characters; to the journalist no office checklist item and no note.

The main screens are kept as text under tests/snapshots/ (read them as the person who gets
them); set UPDATE_SNAPSHOTS=1 to write them anew after a deliberate change.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.fakeapi.harness import FakeUser
from bot.scheduler import SlaScheduler
from tests.e2e.conftest import PDF, PNG, BotUnderTest
from tests.e2e.helpers import approve, current, evaluate, message_with, with_reason
from tests.e2e.test_branches import TRENGGALEK
from tests.e2e.test_sanggau import SANGGAU
from workflow.loader import load_spec, resolve_sop

WITH_BUTTONS = 500
TO_OFFICIAL = 1200
MAX_ROWS = 5
SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots"
NOTE = "Cek dulu oplah dan sebaran pembaca Warta Kapuas"
# A note as long as officials write them: the prompt shows it shortened, never too long.
LONG_NOTE = (
    "Mohon dicek kembali: oplah cetak Warta Kapuas belum jelas, sebaran pembaca di kecamatan "
    "perbatasan perlu dibuktikan dengan data kunjungan situs tiga bulan terakhir, dan nilai "
    "kerja sama harus sesuai DPA tahun berjalan; bila tidak sesuai, kembalikan ke pemohon "
    "dengan catatan yang jelas supaya pemohon dapat memperbaiki berkasnya."
)
REASON = "Kartu pers sudah kedaluwarsa, mohon kirim yang baru"


@pytest.fixture
def framework() -> str:
    return "aiogram"  # the layout is the handlers'; the adapters are covered elsewhere


def _versions(message: Any) -> list[tuple[str, list[list[dict[str, Any]]]]]:
    """Every state the message had on the phone: each edit's before, then now."""
    states = [
        (e.text or e.caption or "", (e.reply_markup or {}).get("inline_keyboard") or [])
        for e in message.edits
    ]
    states.append((message.content_text, message.inline_keyboard))
    return states


def _screen(message: Any) -> str:
    """A message as its reader sees it: the text, then the buttons row by row."""
    rows = [" | ".join(f"[{b['text']}]" for b in row) for row in message.inline_keyboard]
    reply = " (balasan atas pesan sebelumnya)" if message.reply_to_message_id else ""
    return f"{message.content_text}{reply}\n" + "".join(f"\n{row}" for row in rows) + "\n"


def _check_snapshot(name: str, message: Any) -> None:
    path = SNAPSHOTS / name
    shown = _screen(message)
    if os.environ.get("UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(shown, encoding="utf-8")
    assert shown == path.read_text(encoding="utf-8"), f"{name} changed (UPDATE_SNAPSHOTS=1)"


def _assert_limits(
    officials: list[FakeUser], journalist: FakeUser, office_items: set[str], notes: list[str]
) -> int:
    measured = 0
    widest = {"with_buttons": 0, "to_official": 0, "rows": 0}
    for person in [*officials, journalist]:
        for message in person.bot_messages:
            for text, rows in _versions(message):
                measured += 1
                where = f"{person!r}: {text[:80]!r}"
                if rows:
                    widest["with_buttons"] = max(widest["with_buttons"], len(text))
                    widest["rows"] = max(widest["rows"], len(rows))
                if person is not journalist:
                    widest["to_official"] = max(widest["to_official"], len(text))
                if rows:
                    assert len(text) <= WITH_BUTTONS, (len(text), where)
                    assert len(rows) <= MAX_ROWS, (len(rows), where)
                if person is not journalist:
                    assert len(text) <= TO_OFFICIAL, (len(text), where)
                    continue
                lowered = text.lower()
                for item in office_items:
                    assert item.lower() not in lowered, (item, where)
                for note in notes:
                    assert note not in text, where
    print(f"{measured} message versions; widest: {widest}")  # the figures, with pytest -s
    return measured


def _assert_plain_toasts(bot: BotUnderTest) -> list[str]:
    """A toast is plain text: "Diterima & dicatat.", never "&amp;" or a tag."""
    toasts = [str(r.params.get("text") or "") for r in bot.fake.calls("answerCallbackQuery")]
    for text in toasts:
        assert "&amp;" not in text and "<" not in text, text
    return toasts


def _office_items(sop: str) -> set[str]:
    spec = load_spec(resolve_sop(sop))
    return {
        k.label for step in spec.steps if step.role != spec.applicant_role for k in step.kelengkapan
    }


async def _look_around(person: FakeUser, action: str) -> None:
    """Open the prompt's checklist and SOP text, and come back, as a careful official does."""
    prompt = message_with(person, "ℹ️ Rincian")  # the prompt, not a reminder replying to it
    if any("☑️ Kelengkapan" in b for b in person.buttons(current(person, prompt))):
        await person.press("☑️ Kelengkapan", message_id=prompt.message_id)
        await person.press("« Kembali", message_id=prompt.message_id)
    await person.press("ℹ️ Rincian", message_id=prompt.message_id)  # a reply, the prompt stays
    assert person.last.reply_to_message_id == prompt.message_id
    assert action in person.buttons(current(person, prompt))


async def _remind(bot: BotUnderTest, minutes: int) -> None:
    scheduler = SlaScheduler(
        bot.product.sessions, bot.clock, bot.product.app.deps.spec, bot.sender.wake
    )
    bot.clock.advance(minutes=minutes)
    await scheduler.tick()
    await bot.fake.settle()


async def test_sanggau_screens_fit_a_phone(bot: BotUnderTest) -> None:
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3701)
    await rina.send("/ajukan")
    await rina.upload_document(PDF, "surat-permohonan.pdf", "application/pdf")
    admin = who["admin"]
    prompt = message_with(admin, "Terima")
    _check_snapshot("sanggau/prompt_admin_terima.txt", prompt)
    await _remind(bot, 6)  # the step's standard is 5 minutes
    reminder = admin.last
    assert reminder.reply_to_message_id == prompt.message_id  # a reply to the prompt
    assert len(reminder.text.splitlines()) == 1
    _check_snapshot("sanggau/reminder_admin.txt", reminder)

    await with_reason(admin, "Kembalikan", REASON)
    await rina.send("/status")
    _check_snapshot("sanggau/status_returned.txt", rina.last)
    await rina.upload_document(PDF, "kartu-pers-baru.pdf", "application/pdf")
    await rina.press("Kirim ulang")
    await _look_around(admin, "Terima")
    await approve(admin, "Terima")

    fungsional = who["fungsional"]
    await fungsional.press("📝 Catatan")
    await fungsional.send(NOTE)
    await fungsional.press("📝 Catatan")
    await fungsional.send(LONG_NOTE)
    await _look_around(fungsional, "Teruskan konsep")
    await approve(fungsional, "Teruskan konsep")
    kabid = who["kabid"]
    prompt = message_with(kabid, "Paraf & teruskan")
    _check_snapshot("sanggau/prompt_kabid_paraf.txt", prompt)
    await kabid.press("☑️ Kelengkapan", message_id=prompt.message_id)
    _check_snapshot("sanggau/prompt_kabid_kelengkapan.txt", current(kabid, prompt))
    await kabid.press("« Kembali", message_id=prompt.message_id)
    await kabid.press("ℹ️ Rincian", message_id=prompt.message_id)
    _check_snapshot("sanggau/prompt_kabid_rincian.txt", kabid.last)
    assert LONG_NOTE in kabid.last.text  # every note whole, behind one tap
    await approve(kabid, "Paraf & teruskan")
    _check_snapshot("sanggau/prompt_kabid_done.txt", current(kabid, prompt))
    await _look_around(who["sekretaris"], "Paraf & teruskan")
    await approve(who["sekretaris"], "Paraf & teruskan")
    await _look_around(who["kadis"], "Tanda tangani")
    await approve(who["kadis"], "Tanda tangani")
    await approve(admin, "Beri nomor & serahkan")

    for period in (1, 2, 3):
        if period == 1:
            _check_snapshot("sanggau/prompt_pers_berita.txt", message_with(rina, "Kirim berita"))
        await rina.press("📰 Kirim berita")
        await rina.send(f"Bupati Sanggau resmikan jembatan ke-{period}")
        await rina.send(f"https://wartakapuas.id/berita/{period}")
        await rina.send("hari ini")
        await rina.upload_photo(PNG)
        if period == 1:
            await _remind(bot, 3 * 24 * 60 + 1)  # her own three calendar days run out
        await approve(rina, "Selesai kirim berita")
        await _look_around(admin, "SPJ siap dibayar")
        await approve(admin, "SPJ siap dibayar")
        await approve(rina, "Pembayaran diterima")
        await rina.send("/status")

    _check_snapshot("sanggau/status_done.txt", rina.last)
    if any("Lebih lama" in b for b in rina.buttons(rina.last)):
        await rina.press("Lebih lama »", message_id=rina.last.message_id)
        _check_snapshot("sanggau/status_older.txt", rina.last)
    measured = _assert_limits(
        list(who.values()), rina, _office_items("sanggau-hubungan-media"), [NOTE, LONG_NOTE[:40]]
    )
    assert measured > 100
    toasts = _assert_plain_toasts(bot)
    assert {"Diterima.", "Diparaf.", "Ditandatangani."} <= set(toasts)
    bot.assert_clean()


async def test_trenggalek_screens_fit_a_phone(trenggalek_bot: BotUnderTest) -> None:
    bot = trenggalek_bot
    who = await bot.officials(TRENGGALEK)
    rina = await bot.seeded_journalist(3702)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    sekretaris = who["sekretaris"]
    _check_snapshot("trenggalek/prompt_sekretaris_terima.txt", message_with(sekretaris, "Terima"))
    await _remind(bot, 6)
    _check_snapshot("trenggalek/reminder_sekretaris.txt", sekretaris.last)
    await _look_around(sekretaris, "Terima & catat")
    await approve(sekretaris, "Terima & catat")
    await who["kadis"].press("📝 Catatan")
    await who["kadis"].send(NOTE)
    await _look_around(who["kadis"], "Disposisikan")
    await approve(who["kadis"], "Disposisikan")
    await rina.send("/status")
    _check_snapshot("trenggalek/status_open.txt", rina.last)
    fungsional = who["fungsional"]
    prompt = message_with(fungsional, "Kirim hasil evaluasi")
    before = len(fungsional.bot_messages)
    await _remind(bot, 3 * 24 * 60)  # two working days late: overdue and repeats fall due at once
    assert len(fungsional.bot_messages) == before + 1  # one message, not one per notice
    assert fungsional.last.reply_to_message_id == prompt.message_id
    assert "masih terlambat" in fungsional.last.text
    await _look_around(who["fungsional"], "Kirim hasil evaluasi")
    await evaluate(fungsional)  # the form first: the step waits for it (issue 15)
    await approve(who["fungsional"], "Kirim hasil evaluasi")
    await approve(who["kasi"], "Usulkan kerja sama")
    kabid = who["kabid"]
    prompt = message_with(kabid, "Ya, tetapkan")
    _check_snapshot("trenggalek/prompt_kabid_putuskan.txt", prompt)
    await kabid.press("Tidak, dokumentasikan", message_id=prompt.message_id)
    await kabid.press("Batal")  # the reason asked first; then nothing taken
    await _look_around(kabid, "Ya, tetapkan")
    await approve(kabid, "Ya, tetapkan")
    await approve(who["kasi"], "Arahkan proses")
    await approve(who["fungsional"], "Selesaikan & arsipkan")
    await rina.send("/status")
    _check_snapshot("trenggalek/status_done.txt", rina.last)
    measured = _assert_limits(
        list(who.values()), rina, _office_items("trenggalek-kerjasama-media"), [NOTE]
    )
    assert measured > 50
    toasts = _assert_plain_toasts(bot)
    assert "Diterima & dicatat." in toasts  # the past tense, from the SOP's `done:`
    bot.assert_clean()
