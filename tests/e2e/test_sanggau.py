"""A whole Sanggau case through the chat: request, every official's step, MoU, news, payment."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import AuditEvent, NewsItem, Payment
from tests.e2e.conftest import PDF, PNG, BotUnderTest
from tests.e2e.helpers import approve, message_with

UPLOADS = ["media_proof.pdf", "press_card.pdf", "surat-permohonan.pdf"]
SANGGAU = {
    "admin": "Budi Admin",
    "fungsional": "Sari Fungsional",
    "kabid": "Agus Kabid",
    "sekretaris": "Dewi Sekretaris",
    "kadis": "Hendra Kadis",
}


async def test_full_sanggau_case_to_payment_confirmation(bot: BotUnderTest) -> None:
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3001)

    await rina.send("/ajukan")
    assert "surat permohonan" in rina.last.text
    await rina.upload_document(PDF, "surat-permohonan.pdf", "application/pdf")
    assert "Permohonan terkirim" in rina.last.text and "#1" not in rina.last.text

    admin = who["admin"]
    prompt = admin.last.text
    assert "Langkah 2/10" in prompt and "Warta Kapuas" in prompt and "Batas" in prompt
    assert "Permohonan 23 Nov, Warta Kapuas" in prompt and "#1" not in prompt  # no agenda yet
    expected = {"Terima", "Kembalikan ke pemohon", "Tolak", "📎 Dokumen", "📝 Catatan"}
    assert set(admin.buttons()) >= expected
    assert admin.buttons()[0] == "Terima"  # the step's actions first
    await approve(admin, "Terima")
    receipt = rina.texts()[-2]  # the text; the PDF receipt follows it
    assert "Tanda terima" in receipt and "001/AGENDA/DISKOMINFO-IKP/2026" in receipt

    fungsional = who["fungsional"]
    await fungsional.press("📎 Dokumen")
    names = sorted(name for name, _content, _caption in fungsional.documents)
    # The uploads re-sent; the draft made at this step came in its own message before.
    assert names == ["konsep-mou-pks-1-v1.docx", *UPLOADS]
    await fungsional.press("📝 Catatan")
    await fungsional.send("Berita 3 bulan terakhir <sesuai> & layak")
    assert "Catatan disposisi tersimpan" in fungsional.last.text
    note_shown = message_with(fungsional, "Teruskan konsep").text
    assert "Berita 3 bulan terakhir <sesuai> & layak" in note_shown  # on the prompt at once
    await approve(fungsional, "Teruskan konsep")

    kabid = who["kabid"]
    prompt = message_with(kabid, "Paraf & teruskan").text  # the newest draft follows it
    assert "Berita 3 bulan terakhir <sesuai> & layak" in prompt  # the note travels on
    await approve(kabid, "Paraf & teruskan")
    await approve(who["sekretaris"], "Paraf & teruskan")
    await approve(who["kadis"], "Tanda tangani")

    await admin.press("➕ Lampirkan")
    await admin.upload_document(PDF, "mou-pks-ttd.pdf", "application/pdf")
    assert "dilampirkan" in admin.last.text
    await approve(admin, "Beri nomor & serahkan")
    assert any("000.8.3.3/1/DISKOMINFO-IKP/2026" in t for t in rina.texts())
    assert ("mou-pks-ttd.pdf", PDF) in [(n, c) for n, c, _ in rina.documents]

    for period in (1, 2, 3):
        assert f"periode {period}/3" in message_with(rina, "Kirim berita").text
        await rina.press("📰 Kirim berita")
        await rina.send(f"Bupati Sanggau resmikan jembatan ke-{period}")
        await rina.send(f"https://wartakapuas.id/berita/{period}")
        typed = rina.mark()
        await rina.send("besok lusa")
        assert any("Format tanggal" in t for t in rina.texts(typed))
        await rina.send("hari ini")
        await rina.upload_photo(PNG)
        assert "Berita tersimpan" in rina.texts()[-2] and "1/4" in rina.texts()[-2]
        await approve(rina, "Selesai kirim berita")
        await approve(admin, "SPJ siap dibayar")
        await approve(rina, "Pembayaran diterima")

    assert "selesai" in rina.last.text and "000.8.3.3/1/DISKOMINFO-IKP/2026" in rina.last.text
    case = await bot.case()
    assert (case.status, case.outcome, case.period) == ("closed", "completed", 3)
    async with bot.session() as s:
        assert await s.scalar(select(func.count(NewsItem.id))) == 3
        paid = await s.scalar(
            select(func.count(Payment.id)).where(Payment.confirmed_at.is_not(None))
        )
        assert paid == 3
        actions = list(await s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions[:3] == ["submit", "submit", "receive"] or actions[0] == "submit"
        assert actions.count("paraf") == 2 and "sign" in actions and "note" in actions

    await rina.send("/status")
    assert "selesai" in rina.last.text and "001/AGENDA/DISKOMINFO-IKP/2026" in rina.last.text
    bot.assert_clean()
