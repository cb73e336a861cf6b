"""The branches: Trenggalek YES and NO, return-and-resubmit, reject, and buttons misused."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import AuditEvent, Task
from tests.e2e.conftest import PDF, BotUnderTest
from tests.e2e.helpers import approve, button_data, current, evaluate, message_with, with_reason
from tests.e2e.test_sanggau import SANGGAU

TRENGGALEK = {
    "sekretaris": "Wati Sekretaris",
    "kadis": "Edi Kadis",
    "fungsional": "Tono Fungsional",
    "kasi": "Lina Kasi",
    "kabid": "Joko Kabid",
}


async def _trenggalek_to_decision(bot: BotUnderTest):
    who = await bot.officials(TRENGGALEK)
    rina = await bot.seeded_journalist(3101)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    assert "Permohonan terkirim" in rina.last.text
    assert "Langkah 1/7" in who["sekretaris"].last.text
    await approve(who["sekretaris"], "Terima & catat")
    assert "001/AGENDA/DISKOMINFO/2026" in rina.last.content_text  # the PDF receipt
    await approve(who["kadis"], "Disposisikan")
    await evaluate(who["fungsional"])  # the form first: the step waits for it
    await approve(who["fungsional"], "Kirim hasil evaluasi")
    await approve(who["kasi"], "Usulkan kerja sama")
    assert "Langkah 5/7" in who["kabid"].last.text
    assert {"Ya, tetapkan", "Tidak, dokumentasikan"} <= set(who["kabid"].buttons())
    return who, rina


async def test_trenggalek_yes_ends_with_the_numbered_agreement(trenggalek_bot: BotUnderTest):
    bot = trenggalek_bot
    who, rina = await _trenggalek_to_decision(bot)
    await approve(who["kabid"], "Ya, tetapkan")
    await approve(who["kasi"], "Arahkan proses")
    await approve(who["fungsional"], "Selesaikan & arsipkan")
    texts = "\n".join(rina.texts())
    assert "7.1/1/PKS/2026" in texts and "selesai" in texts
    assert "ditandatangani" not in texts  # the sheet has no signing step: only numbered
    assert rina.documents[-1][0] == "mou-pks-7-1-1-PKS-2026.pdf"  # the numbered agreement
    case = await bot.case()
    assert (case.status, case.outcome) == ("closed", "completed")
    bot.assert_clean()


async def test_trenggalek_no_archives_and_tells_the_journalist_why(trenggalek_bot: BotUnderTest):
    bot = trenggalek_bot
    who, rina = await _trenggalek_to_decision(bot)
    await with_reason(who["kabid"], "Tidak, dokumentasikan", "Media belum terverifikasi Dewan Pers")
    assert "didokumentasikan" in rina.last.text
    assert "Media belum terverifikasi Dewan Pers" in rina.last.text
    case = await bot.case()
    assert (case.status, case.outcome) == ("closed", "archived")
    bot.assert_clean()


async def test_return_then_resubmit_resumes_with_the_same_official(bot: BotUnderTest):
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3201)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    admin = who["admin"]
    await with_reason(admin, "Kembalikan", "Kartu pers sudah kedaluwarsa <2025>")
    returned = rina.last.text
    assert "dikembalikan" in returned and "Kartu pers sudah kedaluwarsa <2025>" in returned
    handled = current(admin, message_with_text(admin, "Langkah 2/10")).text
    assert "Dikembalikan ke pemohon oleh Budi Admin" in handled  # past tense, what happened

    await bot.restart()  # nothing is lost across a restart while waiting on the journalist
    await rina.upload_document(PDF, "kartu-pers-baru.pdf", "application/pdf")
    assert "tersimpan untuk perbaikan" in rina.last.text
    await rina.press("Kirim ulang")
    assert "Perbaikan permohonan #1 terkirim" in rina.texts()[-1] or "terkirim" in rina.last.text
    assert "Perbaikan dari pemohon diterima" in admin.last.text
    assert "<b>" not in admin.last.text
    await approve(admin, "Terima")
    assert "Tanda terima" in rina.last.content_text  # the PDF receipt, after the text
    async with bot.session() as s:
        resubmits = await s.scalar(select(func.count()).where(AuditEvent.action == "resubmit"))
        assert resubmits == 1
    bot.assert_clean()


def message_with_text(person, text: str):
    return next(m for m in reversed(person.bot_messages) if text in m.text)


async def test_reject_tells_the_journalist_the_reason(bot: BotUnderTest):
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3301)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    await approve(who["admin"], "Terima")
    await approve(who["fungsional"], "Teruskan konsep")
    await approve(who["kabid"], "Paraf & teruskan")
    await with_reason(who["sekretaris"], "Tolak", "Anggaran kemitraan 2026 sudah habis")
    assert "tidak dapat diproses" in rina.last.text
    assert "Anggaran kemitraan 2026 sudah habis" in rina.last.text
    assert (await bot.case()).outcome == "rejected"
    bot.assert_clean()


async def test_stale_forged_and_double_presses_change_nothing(bot: BotUnderTest):
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3401)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    admin, kadis = who["admin"], who["kadis"]
    prompt = message_with(admin, "Terima")
    receive = button_data(prompt, "Terima")

    # A tampered client can put any data on a button of its own chat.
    answer = await kadis.press_data(receive, kadis.last.message_id)  # another role's button
    assert answer is not None and answer.show_alert and "Petugas Admin" in (answer.text or "")
    answer = await rina.press_data(receive, rina.last.message_id)  # the journalist forging it
    assert answer is not None and "tidak memegang peran" in (answer.text or "")
    answer = await admin.press_data("v1:a:99999:receive", prompt.message_id)  # no such task
    assert answer is not None and "tidak ditemukan" in (answer.text or "")
    answer = await admin.press_data("hack:drop-table", prompt.message_id)
    assert answer is not None and "tidak dikenal" in (answer.text or "")
    assert (await bot.case()).current_step == 2

    await approve(admin, "Terima")
    answer = await admin.press_data(receive, prompt.message_id)  # a second press of the same
    assert answer is not None and "sudah selesai" in (answer.text or "")
    async with bot.session() as s:
        receives = await s.scalar(select(func.count()).where(AuditEvent.action == "receive"))
        assert receives == 1
        open_tasks = await s.scalar(select(func.count()).where(Task.status == "open"))
        assert open_tasks == 1
    assert (await bot.case()).current_step == 3
    bot.assert_clean()


async def test_tugas_lists_open_tasks_and_reopens_a_prompt(bot: BotUnderTest):
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3501)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    admin = who["admin"]
    await admin.send("/tugas")
    assert "Tugas terbuka Anda (1)" in admin.last.text and "#1" not in admin.last.text
    assert "Permohonan 23 Nov, Warta Kapuas" in admin.last.text  # named, not numbered
    await admin.press("Buka Permohonan 23 Nov")
    assert "Langkah 2/10" in admin.last.text
    await approve(admin, "Terima")
    await admin.send("/tugas")
    assert "Tidak ada tugas terbuka" in admin.last.text
    await rina.send("/tugas")
    assert "untuk petugas" in rina.last.text
    bot.assert_clean()


async def test_journalist_cannot_fetch_anyone_elses_files_or_cases(bot: BotUnderTest):
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3801)
    await rina.send("/ajukan")
    await rina.upload_document(PDF, "surat-rahasia.pdf", "application/pdf")
    prompt = message_with(who["admin"], "📎 Dokumen")
    docs = button_data(prompt, "📎 Dokumen")

    eko = await bot.seeded_journalist(3802, "Eko Pewarta")
    answer = await eko.press_data(docs, eko.last.message_id)
    assert answer is not None and answer.show_alert and "tidak berwenang" in (answer.text or "")
    assert eko.documents == []
    await eko.send("/status")
    assert "#1" not in eko.last.text and "Belum ada permohonan" in eko.last.text
    # The kabid holds no task on it and is not one of the SOP's records_roles (the kadis is).
    answer = await who["kabid"].press_data(docs, who["kabid"].last.message_id)
    assert answer is not None and "tidak berwenang" in (answer.text or "")
    bot.assert_clean()


async def test_restart_while_an_official_types_a_reason(bot: BotUnderTest):
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3901)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    admin = who["admin"]
    await admin.press("Tolak")
    assert "Tulis alasan" in admin.last.text
    await bot.restart()
    await admin.send("Media belum berbadan hukum")
    await admin.press("✅ Ya")
    assert "tidak dapat diproses" in rina.last.text
    assert "Media belum berbadan hukum" in rina.last.text
    bot.assert_clean()


async def test_an_official_invited_late_is_told_about_waiting_tasks(bot: BotUnderTest):
    rina = await bot.seeded_journalist(4001)
    await rina.send("/ajukan")
    await rina.press("Lewati")  # nobody holds the admin role yet
    admin = await bot.official(2101, "Budi Admin", "admin")
    assert "Sudah ada 1 tugas terbuka" in admin.last.text
    await admin.send("/tugas")
    await admin.press("Buka ")
    await approve(admin, "Terima")
    assert "Tanda terima" in rina.last.content_text  # the PDF receipt, after the text
    bot.assert_clean()


async def test_expired_and_used_invites_are_refused(bot: BotUnderTest):
    from handlers.officials import create_invite

    async with bot.session() as s, s.begin():
        invite = await create_invite(s, "kabid", "Agus", bot.clock.now(), 72)
    first = bot.fake.user(2201, "Agus")
    await first.send(f"/start {invite.code}")
    assert "Selamat bergabung" in first.last.text
    second = bot.fake.user(2202, "Penyusup")
    await second.send(f"/start {invite.code}")
    assert "sudah pernah dipakai" in second.last.text
    async with bot.session() as s, s.begin():
        late = await create_invite(s, "kabid", "Lambat", bot.clock.now(), 72)
    bot.clock.advance(hours=73)
    third = bot.fake.user(2203, "Lambat")
    await third.send(f"/start {late.code}")
    assert "kedaluwarsa" in third.last.text
    await third.send("/tugas")
    assert "untuk petugas" in third.last.text or "/start" in third.last.text
    bot.assert_clean()
