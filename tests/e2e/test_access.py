"""Who may see a case's files, and nobody acts on their own request (issue 9)."""

from __future__ import annotations

from sqlalchemy import select

from handlers.officials import create_invite
from storage.models import AuditEvent
from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import approve, button_data, message_with
from tests.e2e.test_sanggau import SANGGAU

DOCS = "📎 Dokumen"


async def test_files_only_within_reach_and_every_view_is_in_the_history(bot: BotUnderTest):
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3401)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    admin, fungsional, kabid = who["admin"], who["fungsional"], who["kabid"]

    await admin.press(DOCS)
    assert "NIK: 6101010101903401" in admin.texts()[-3]  # the dossier, in full, for its holder
    assert sorted(n for n, _c, _cap in admin.documents) == ["media_proof.pdf", "press_card.pdf"]
    # The head of office may see every case's records (the SOP's records_roles).
    kadis = who["kadis"]
    await kadis.press_data(button_data(message_with(admin, DOCS), DOCS), kadis.last.message_id)
    assert len(kadis.documents) == 2
    await approve(admin, "Terima")  # the case moves on to the fungsional

    # The kabid holds no task on it and may not see every record: the fungsional's button
    # data, replayed from his own chat, is refused; so is a task id that does not exist.
    forged = button_data(message_with(fungsional, DOCS), DOCS)
    answer = await kabid.press_data(forged, kabid.last.message_id)
    assert answer is not None and answer.show_alert and "tidak berwenang" in (answer.text or "")
    version, op, _task_id = forged.split(":")
    answer = await kabid.press_data(f"{version}:{op}:999", kabid.last.message_id)
    assert answer is not None and "tidak ditemukan" in (answer.text or "")
    assert kabid.documents == []

    async with bot.session() as s:
        views = list(
            await s.scalars(select(AuditEvent).where(AuditEvent.action == "document_view"))
        )
    seen = sorted((v.role or "", v.data["document_id"]) for v in views)  # who, which file
    assert seen == [("admin", 1), ("admin", 2), ("kadis", 1), ("kadis", 2)]
    await rina.send("/status")
    assert "berkas Anda dibuka oleh Petugas Admin" in rina.last.text
    assert "berkas Anda dibuka oleh Kepala Dinas" in rina.last.text
    bot.assert_clean()


async def test_an_applicant_holding_an_official_role_cannot_act_on_her_own_request(
    bot: BotUnderTest,
):
    budi = await bot.official(2100, "Budi Admin", "admin")
    rina = await bot.seeded_journalist(3402)
    async with bot.session() as s, s.begin():
        invite = await create_invite(s, "admin", "Rina Wartawati", bot.clock.now(), 72)
    await rina.send(f"/start {invite.code}")
    assert "Selamat bergabung" in rina.last.text
    await rina.send("/ajukan")
    await rina.press("Lewati")
    assert "Langkah 2/10" in budi.last.text
    assert not any("Langkah 2/10" in t for t in rina.texts())  # her own case is not her task

    accept = button_data(message_with(budi, "Terima"), "Terima")
    answer = await rina.press_data(accept, rina.last.message_id)
    assert answer is not None and "Anda adalah pemohon" in (answer.text or "")
    answer = await rina.press_data(
        button_data(message_with(budi, DOCS), DOCS), rina.last.message_id
    )
    assert answer is not None and "Anda adalah pemohon" in (answer.text or "")
    await rina.send("/tugas")
    assert "Tidak ada tugas terbuka" in rina.last.text  # the admin's task on it is not hers
    case = await bot.case()
    assert case.agenda_number is None and case.current_step == 2
    bot.assert_clean()
