"""Whole cases with people on both platforms at once (issue 13): the journalist on WhatsApp and
the officials on Telegram, and the reverse, through both fakes in one bot process; WhatsApp's
own ways (no edits, forged presses, the 24-hour window) on the way."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.scheduler import SlaScheduler
from handlers.platforms import TELEGRAM, WHATSAPP
from storage.models import NewsItem, Payment
from tests.e2e.conftest import PDF, PNG
from tests.e2e.platforms import Duo, Person, WhatsAppPerson
from tests.e2e.test_branches import TRENGGALEK
from tests.e2e.test_sanggau import SANGGAU, UPLOADS

MIXES = [
    pytest.param(WHATSAPP, TELEGRAM, id="journalist-wa"),
    pytest.param(TELEGRAM, WHATSAPP, id="officials-wa"),
]
RINA_WA = 6281299990001
RINA_TG = 3901


def rina_number(platform: str) -> int:
    return RINA_WA if platform == WHATSAPP else RINA_TG


@pytest.mark.parametrize(("journalist_on", "officials_on"), MIXES)
async def test_whole_sanggau_case_across_platforms(
    duo: Duo, journalist_on: str, officials_on: str
) -> None:
    who = await duo.officials_on(officials_on, SANGGAU)
    rina = await duo.journalist_on(journalist_on, rina_number(journalist_on))

    await rina.say("/ajukan")
    assert rina.said("surat permohonan")
    await rina.upload(PDF, "surat-permohonan.pdf", "application/pdf")
    assert rina.said("Permohonan terkirim")

    admin = who["admin"]
    prompt = admin.prompt_text("Terima")
    assert "Langkah 2/10" in prompt and "Warta Kapuas" in prompt and "Batas" in prompt
    assert {"Terima", "Tolak", "📎 Dokumen", "📝 Catatan"} <= set(admin.buttons)
    await admin.approve("Terima")
    assert rina.said("Tanda terima") and rina.said("001/AGENDA/DISKOMINFO-IKP/2026")

    fungsional = who["fungsional"]
    await fungsional.press("📎 Dokumen")
    names = sorted(name for name, _content in fungsional.documents)
    assert names == ["konsep-mou-pks-1-v1.docx", *UPLOADS]
    await fungsional.press("📝 Catatan")
    await fungsional.say("Berita 3 bulan terakhir <sesuai> & layak")
    assert fungsional.said("Catatan disposisi tersimpan")
    await fungsional.approve("Teruskan konsep")

    kabid = who["kabid"]
    assert "Berita 3 bulan terakhir <sesuai> & layak" in kabid.prompt_text("Paraf & teruskan")
    await kabid.approve("Paraf & teruskan")
    await who["sekretaris"].approve("Paraf & teruskan")
    await who["kadis"].approve("Tanda tangani")

    await admin.press("➕ Lampirkan")
    await admin.upload(PDF, "mou-pks-ttd.pdf", "application/pdf")
    assert admin.said("dilampirkan")
    await admin.approve("Beri nomor & serahkan")
    assert rina.said("000.8.3.3/1/DISKOMINFO-IKP/2026")
    assert ("mou-pks-ttd.pdf", PDF) in rina.documents

    for period in (1, 2, 3):
        assert f"periode {period}/3" in rina.prompt_text("Kirim berita")
        await rina.press("Kirim berita")
        await rina.say(f"Bupati Sanggau resmikan jembatan ke-{period}")
        await rina.say(f"https://wartakapuas.id/berita/{period}")
        typed = rina.mark()
        await rina.say("besok lusa")
        assert rina.said("Format tanggal", typed)
        await rina.say("hari ini")
        saved = rina.mark()
        await rina.photo(PNG)
        assert rina.said("Berita tersimpan", saved)
        await rina.approve("Selesai kirim berita")
        await admin.approve("SPJ siap dibayar")
        await rina.approve("Pembayaran diterima")

    assert rina.said("selesai")
    case = await duo.case()
    assert (case.status, case.outcome, case.period) == ("closed", "completed", 3)
    async with duo.session() as s:
        assert await s.scalar(select(func.count(NewsItem.id))) == 3
        paid = select(func.count(Payment.id)).where(Payment.confirmed_at.is_not(None))
        assert await s.scalar(paid) == 3
    status = rina.mark()
    await rina.say("/status")
    assert rina.said("selesai", status) and rina.said("001/AGENDA/DISKOMINFO-IKP/2026", status)
    duo.assert_clean()


@pytest.mark.parametrize(("journalist_on", "officials_on"), MIXES)
async def test_whole_trenggalek_case_across_platforms(
    trenggalek_duo: Duo, journalist_on: str, officials_on: str
) -> None:
    duo = trenggalek_duo
    who = await duo.officials_on(officials_on, TRENGGALEK)
    rina = await duo.journalist_on(journalist_on, rina_number(journalist_on) + 1)
    await rina.say("/ajukan")
    await rina.press("Lewati")
    assert rina.said("Permohonan terkirim")
    assert "Langkah 1/7" in who["sekretaris"].prompt_text("Terima & catat")
    await who["sekretaris"].approve("Terima & catat")
    assert rina.said("001/AGENDA/DISKOMINFO/2026") and rina.documents  # the receipt, its PDF
    await who["kadis"].approve("Disposisikan")
    await who["fungsional"].evaluate()  # the form first: the step waits for it
    await who["fungsional"].approve("Kirim hasil evaluasi")
    await who["kasi"].approve("Usulkan kerja sama")
    kabid = who["kabid"]
    assert "Langkah 5/7" in kabid.prompt_text("Ya, tetapkan")
    assert kabid.offered("Tidak, dokumentasikan")
    await kabid.approve("Ya, tetapkan")
    await who["kasi"].approve("Arahkan proses")
    await who["fungsional"].approve("Selesaikan & arsipkan")
    assert rina.said("7.1/1/PKS/2026") and rina.said("selesai")
    assert rina.documents[-1][0] == "mou-pks-7-1-1-PKS-2026.pdf"  # the numbered agreement
    case = await duo.case()
    assert (case.status, case.outcome) == ("closed", "completed")
    duo.assert_clean()


async def _sanggau_to_admin(
    duo: Duo, officials_on: str, co_admin: bool = False
) -> tuple[dict[str, Person], Person]:
    who = await duo.officials_on(officials_on, SANGGAU)
    if co_admin:  # a second holder of the admin role, on Telegram
        who["co_admin"] = await duo.official_on(TELEGRAM, 2099, "Dodi Admin", "admin")
    rina = await duo.journalist_on(TELEGRAM, RINA_TG + 10)
    await rina.say("/ajukan")
    await rina.press("Lewati")
    return who, rina


async def test_forged_and_stale_presses_on_whatsapp_change_nothing(duo: Duo) -> None:
    who, rina = await _sanggau_to_admin(duo, WHATSAPP, co_admin=True)
    admin, kadis = who["admin"], who["kadis"]
    assert isinstance(admin, WhatsAppPerson) and isinstance(kadis, WhatsAppPerson)
    prompt, receive = admin.choice_id("Terima")
    assert receive.startswith("c:")

    # A made-up id on the person's own chat: WhatsApp lets a client send any reply id.
    said = kadis.mark()
    await kadis.press_id(receive, "Terima", on=kadis.user.last)  # another role's button
    assert kadis.said("Petugas Admin", said)
    said = admin.mark()
    version, op, _task, action = receive[2:].split(":")
    await admin.press_id(f"c:{version}:{op}:99999:{action}", "Terima", on=prompt)
    assert admin.said("tidak ditemukan", said)
    said = admin.mark()
    await admin.press_id("c:hack:drop-table", "Terima", on=prompt)
    assert admin.said("tidak dikenal", said)
    assert (await duo.case()).current_step == 2

    # A second admin, on Telegram, handles it: WhatsApp cannot change Budi's prompt, so a
    # follow-up quoting it says who did, and its buttons are refused when pressed later.
    said = admin.mark()
    await who["co_admin"].approve("Terima")
    assert rina.said("Tanda terima")
    told = [r for r in admin.user.received[said:] if "oleh Dodi Admin" in r.text]
    assert len(told) == 1 and told[0].context == prompt.id, admin.texts(said)
    said = admin.mark()
    await admin.press_id(receive, "Terima", on=prompt)  # the old prompt's row, picked late
    assert admin.said("sudah selesai", said)
    assert (await duo.case()).current_step == 3
    duo.assert_clean()


async def test_reminder_outside_the_window_is_a_template_whose_quick_reply_opens_the_task(
    duo: Duo,
) -> None:
    who, rina = await _sanggau_to_admin(duo, WHATSAPP)
    admin = who["admin"]
    assert isinstance(admin, WhatsAppPerson)
    prompt, _ = admin.choice_id("Terima")
    asked = admin.mark()

    def wake() -> None:
        for sender in (duo.sender, duo.wa_sender):
            assert sender is not None
            sender.wake()

    scheduler = SlaScheduler(duo.product.sessions, duo.clock, duo.product.app.deps.spec, wake)
    duo.clock.advance(hours=25)  # the 5-minute step is long overdue and his window closed
    duo.wa_fake.advance_time(25 * 3600)
    await scheduler.tick()
    await duo.settle()

    sent = admin.user.received[asked:]
    assert [r.kind for r in sent] == ["template"], [(r.kind, r.text) for r in sent]
    template = sent[0]
    assert template.template == "pengingat_tugas" and "Pengingat" in template.text
    assert "Buka tugas" in template.titles
    assert not duo.wa_fake.refused  # no free-form message tried outside the window

    await admin.user.press("Buka tugas", message=template)  # his window opens again
    await duo.settle()
    reminder, _ = admin.choice_id("Terima")
    assert reminder is not prompt and reminder.context == prompt.id  # quotes the prompt
    assert "terlambat" in reminder.text
    opened = admin.mark()
    await admin.approve("Terima")  # pressed on the reminder itself
    # Both copies (prompt, reminder) are handled: WhatsApp cannot edit them, so he is told once.
    assert len([t for t in admin.texts(opened) if "oleh Budi Admin" in t]) == 1
    assert rina.said("Tanda terima")
    assert (await duo.case()).current_step == 3
    duo.assert_clean()


async def test_whatsapps_own_window_refusal_ends_the_same_way(duo: Duo) -> None:
    """Our clock says the window is open, WhatsApp's that it closed: its refusal (131047) turns
    into the approved template too, and the prompt waits for his quick reply."""
    admin = await duo.official_on(WHATSAPP, 6281300000100, "Budi Admin", "admin")
    assert isinstance(admin, WhatsAppPerson)
    rina = await duo.journalist_on(TELEGRAM, RINA_TG + 20)
    duo.wa_fake.advance_time(25 * 3600)  # only WhatsApp's clock moves
    asked = admin.mark()
    await rina.say("/ajukan")
    await rina.press("Lewati")
    sent = admin.user.received[asked:]
    assert [(r.kind, r.template) for r in sent] == [("template", "tugas_baru")]
    assert "Langkah 2/10" in sent[0].text
    assert [r.code for r in duo.wa_fake.refused] == [131047]  # the one free-form try

    await admin.user.press("Buka tugas", message=sent[0])
    await duo.settle()
    assert "Langkah 2/10" in admin.prompt_text("Terima")
    await admin.approve("Terima")
    assert rina.said("Tanda terima")
    duo.wa_fake.refused.clear()  # the refusal above was expected; nothing else may be refused
    duo.assert_clean()


async def test_an_approval_on_whatsapp_shows_the_step_not_the_toasts_too(duo: Duo) -> None:
    """Telegram shows a pressed button's answer as a passing pop-up; on WhatsApp it would be one
    more message. Where the press changes the prompt (its follow-up says what happened), the
    passing word ("Diterima.") is left out: the admin sees the checklist, then the handled
    step, two messages rather than four."""
    who = await duo.officials_on(WHATSAPP, SANGGAU)
    rina = await duo.journalist_on(TELEGRAM, RINA_TG)
    await rina.say("/ajukan")
    await rina.upload(PDF, "surat-permohonan.pdf", "application/pdf")
    admin = who["admin"]
    before = len(admin.texts())
    await admin.approve("Terima")
    shown = admin.texts()[before:]
    assert len(shown) == 2, shown
    assert "Kelengkapan 0/2" in shown[0] and "Diterima* oleh Budi" in shown[1]
    assert "Diterima." not in shown and "Periksa kelengkapan dulu." not in shown
    duo.assert_clean()
