"""The records an official asks for in the chat, and the agreement's terms, against the fake Bot
API (one adapter: nothing here depends on it): the buku agenda from /agenda, the Fungsional's
terms at the drafting step flowing into the next draft, the recap and the period loop."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from storage.db import transaction
from storage.models import Agreement, AuditEvent
from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import approve, arrived, current, message_with
from tests.e2e.test_branches import _trenggalek_to_decision
from tests.e2e.test_records import docx_text, newest, pdf_text
from tests.e2e.test_sanggau import SANGGAU
from workflow import media_center


@pytest.fixture
def framework() -> str:
    return "aiogram"


async def test_agenda_book_from_the_bot_for_records_roles_and_heads(bot: BotUnderTest) -> None:
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3801)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    await approve(who["admin"], "Terima")

    kadis, fungsional = who["kadis"], who["fungsional"]
    assert "agenda" in [c["command"] for c in bot.fake.commands(kadis.chat_id)]
    assert "agenda" in [c["command"] for c in bot.fake.commands(who["admin"].chat_id)]
    assert "agenda" not in [c["command"] for c in bot.fake.commands(fungsional.chat_id)]
    await kadis.send("/agenda")
    name, content, caption = kadis.documents[-1]
    assert name == "buku-agenda-2026.xlsx" and "1 permohonan" in (caption or "")
    sheet = load_workbook(io.BytesIO(content))["2026"]
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref
    rows = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert rows[0][0] == "001/AGENDA/DISKOMINFO-IKP/2026" and rows[0][3] == "Warta Kapuas"

    await kadis.send("/agenda dua ribu")
    assert "4 angka" in kadis.last.text
    await fungsional.send("/agenda")
    assert "⚠️" in fungsional.last.text and len(fungsional.documents) == 1  # only the draft
    bot.assert_clean()


async def test_terms_set_at_the_drafting_step_reach_the_next_draft(bot: BotUnderTest) -> None:
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3802)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    await approve(who["admin"], "Terima")
    fungsional, kabid = who["fungsional"], who["kabid"]

    await fungsional.press("✏️ Ketentuan")
    terms = fungsional.last.text
    assert "3 bulan" in terms and "Rp375.000 per berita" in terms and "Rp4.500.000" in terms
    await fungsional.press("Jumlah periode")
    await fungsional.send("dua")
    assert "Tulis angka saja" in fungsional.last.text  # asked again, nothing lost
    await fungsional.send("30")
    assert "antara 1 dan 24" in fungsional.last.text
    await fungsional.send("2")
    assert "Periode: 2 bulan" in fungsional.last.text
    await fungsional.press("Nilai total")
    await fungsional.send("Rp3.000.001")
    assert "habis dibagi" in fungsional.last.text
    await fungsional.send("3 juta")
    shown = fungsional.last.text
    assert "Rp1.500.000 per bulan" in shown and "Nilai total: Rp3.000.000" in shown

    # The kabid holds no drafting task: the button's data from his chat is refused.
    forged = next(
        b["callback_data"]
        for row in fungsional.last.reply_markup["inline_keyboard"]
        for b in row
        if b["text"] == "Berita per periode"
    )
    answer = await kabid.press_data(forged, kabid.last.message_id)
    assert answer is not None and answer.show_alert

    await fungsional.press("✅ Selesai")
    draft = docx_text(newest(fungsional, ".docx"))
    assert "Rp3.000.000" in draft and "selama 2 bulan" in draft
    await approve(fungsional, "Teruskan konsep")
    assert "Rp3.000.000" in docx_text(newest(kabid, ".docx"))  # the newest version travels on

    async with bot.session() as s:
        agreement = await s.scalar(select(Agreement))
        events = list(await s.scalars(select(AuditEvent).where(AuditEvent.action == "terms")))
    assert agreement is not None and (agreement.periods, agreement.tariff_per_period) == (
        2,
        1_500_000,
    )
    assert [e.data["field"] for e in events] == ["periods", "total"]
    assert events[1].data["after"]["tariff_per_period"] == 1_500_000
    assert events[0].data["before"]["periods"] == 3 and events[0].data["after"]["periods"] == 2
    bot.assert_clean()


async def test_period_payment_and_late_news_from_the_chat(bot: BotUnderTest) -> None:
    who = await bot.officials(SANGGAU)
    admin, fungsional = who["admin"], who["fungsional"]
    group = -1009876543210  # set by the operator (mitramedia media-center set)
    bot.fake.group(group, "Media Center")
    async with transaction(bot.product.sessions) as s:
        await media_center.set_group(s, group, bot.clock.now(), by="cli")
    rina = await bot.seeded_journalist(3803)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    await approve(admin, "Terima")
    await fungsional.press("📄 Lembar disposisi")
    await approve(fungsional, "Teruskan konsep")
    await approve(who["kabid"], "Paraf & teruskan")
    await approve(who["sekretaris"], "Paraf & teruskan")
    await approve(who["kadis"], "Tanda tangani")
    await approve(admin, "Beri nomor & serahkan")
    number = "000.8.3.3/1/DISKOMINFO-IKP/2026"
    numbered = [(n, c) for n, _b, c in admin.documents if n.startswith("mou-pks-")]
    assert any(n.endswith(".pdf") and number in (c or "") for n, c in numbered)
    notes = [m.text for m in bot.fake.group_messages(group)]
    assert any("ditandatangani" in n and "Hendra Kadis" in n for n in notes), notes
    assert any("bernomor" in n and number in n for n in notes), notes

    await rina.send("/status")
    assert "Periode 1 dari 3 bulan: terkirim 0, kurang 4 dari 4 berita" in rina.last.text
    for title, day in (("Bupati resmikan jembatan", "hari ini"), ("Pasar murah", "10-11-2026")):
        await rina.press("📰 Kirim berita")
        await rina.send(title)
        await rina.send("https://wartakapuas.id/berita/" + title.split()[0].lower())
        await rina.send(day)
        await rina.press("Lewati")
    await rina.send("/status")
    assert "terkirim 2, kurang 2 dari 4 berita (1 terlambat, tidak dibayar)" in rina.last.text

    prompt = message_with(rina, "Selesai kirim berita")
    await rina.press("Selesai kirim berita", message_id=prompt.message_id)
    assert "Baru 2 dari 4 berita" in current(rina, prompt).text  # asked before the period closes
    await rina.press("Batal", message_id=prompt.message_id)
    assert (await bot.case()).current_step == 8
    await approve(rina, "Selesai kirim berita")

    late = message_with(admin, "➕ Hitung")
    assert "Pasar murah" in late.text and "Bupati" not in late.text
    assert "Jumlah dibayarkan Rp375.000" in pdf_text(newest(admin, ".pdf"))  # the late one out
    asked = admin.mark()
    await admin.press("➕ Hitung", message_id=late.message_id)
    assert any("Tulis alasan" in t for t in admin.texts(asked))
    drawn = len(admin.documents)
    await admin.send("Terlambat karena gangguan jaringan di Kapuas")
    await arrived(admin, drawn + 1)  # the recap is drawn again after the commit
    recap = pdf_text(newest(admin, ".pdf"))
    assert "dihitung: Terlambat karena gangguan jaringan" in recap
    assert "Jumlah dibayarkan Rp750.000" in recap

    await approve(admin, "SPJ siap dibayar")
    await rina.send("/status")
    assert "SPJ disiapkan" in rina.last.text and "SPJ ditandatangani: belum" in rina.last.text
    await rina.press("⏳ Belum diterima")
    assert "Pembayaran belum diterima" in message_with(admin, "✍️ SPJ ditandatangani").text
    await admin.press("✍️ SPJ ditandatangani")
    assert "sudah ditandatangani" in rina.last.text
    await rina.send("/status")
    assert "SPJ ditandatangani: belum" not in rina.last.text
    assert "melapor belum menerima" in rina.last.text
    await approve(rina, "Pembayaran diterima")
    assert (await bot.case()).period == 2  # the agreement's next period

    async with bot.session() as s:
        events = list(await s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    actions = [e.action for e in events]
    assert {"include_late", "spj_signed", "payment_not_received"} <= set(actions)
    views = {(e.role, e.data["kind"]) for e in events if e.action == "record_view"}
    for seen in (
        ("fungsional", "disposition"),
        ("fungsional", "draft"),
        ("kadis", "draft_pdf"),
        ("admin", "agreement"),
        ("admin", "recap_pdf"),
    ):
        assert seen in views, views
    bot.assert_clean()


async def test_trenggalek_terms_changed_at_the_last_step_reach_the_numbered_agreement(
    trenggalek_bot: BotUnderTest,
) -> None:
    bot = trenggalek_bot
    who, rina = await _trenggalek_to_decision(bot)
    await approve(who["kabid"], "Ya, tetapkan")
    await approve(who["kasi"], "Arahkan proses")
    fungsional = who["fungsional"]
    await fungsional.press("✏️ Ketentuan")
    await fungsional.press("Berita per periode")
    await fungsional.send("10")
    assert "Berita per bulan: 10" in fungsional.last.text
    # Straight on to the end, without "Selesai": the numbered MoU/PKS is drawn from the new terms.
    await approve(fungsional, "Selesaikan & arsipkan")
    final = pdf_text(newest(rina, ".pdf"))
    assert "7.1/1/PKS/2026" in final and "menayangkan 10 berita" in final
    bot.assert_clean()
