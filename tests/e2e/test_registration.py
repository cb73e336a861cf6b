"""A journalist registers through the chat: wrong input is refused clearly and nothing is lost."""

from __future__ import annotations

import hashlib
import re
from datetime import date

from sqlalchemy import select

from storage.accounts import find_user
from storage.models import MediaOutlet
from tests.e2e.conftest import PDF, PNG, BotUnderTest


async def test_registration_with_uploads_mistakes_and_a_restart(bot: BotUnderTest) -> None:
    rina = bot.fake.user(5001, "Rina")
    await rina.send("/start")
    assert "Selamat datang di Mitra Media" in rina.last.text
    assert "nama lengkap" in rina.last.text

    await rina.send("R")
    assert "Nama harus 3 sampai 100 huruf" in rina.texts()[-2]
    await rina.send("Rina <b>& Sons")
    assert "NIK" in rina.last.text

    await rina.send("12345")
    assert "NIK harus tepat 16 angka" in rina.texts()[-2]
    await rina.send("6171 0545 0190 0001")
    assert "nomor telepon" in rina.last.text

    await bot.restart()  # the process dies mid-wizard; the user just carries on
    await rina.share_contact("+62 812-3456-7890")
    assert "kartu pers" in rina.last.text

    await rina.upload_document(b"MZ\x90\x00", "kartu.exe", "application/x-msdownload")
    assert "tidak diterima" in rina.texts()[-2] and "kartu pers" in rina.last.text
    await rina.upload_document(b"not a pdf at all", "kartu.pdf", "application/pdf")
    assert "Isi berkas tidak sesuai" in rina.texts()[-2]
    await rina.upload_photo(PNG)
    assert "Kartu pers diterima" in rina.texts()[-2]
    assert "nama media" in rina.last.text

    await rina.send("<b>Warta & Kapuas</b>")
    await rina.press("Daftarkan media baru")
    assert "jenis media" in rina.last.text
    assert rina.buttons() == ["Cetak", "Online", "Elektronik"]
    await rina.press("Online")
    # From here the office's rules (Sanggau, online) decide what is asked, in their order.
    rules = bot.product.app.deps.spec.qualification
    assert rules.required("online")[:2] == ("legal_form", "akta")
    assert "Bentuk badan hukum" in rina.last.text
    assert rina.buttons() == ["PT", "Yayasan", "⏸ Nanti saja"]  # Sanggau: no koperasi
    await rina.press("PT")
    assert "Akta pendirian" in rina.last.text
    await rina.press("⏸ Nanti saja")  # she finds the deed tomorrow: nothing is lost
    later = rina.last.text
    assert "tersimpan" in later and "Akta pendirian" in later and "NPWP perusahaan" in later
    assert "Bentuk badan hukum" not in later  # already given
    await rina.send("/start")
    assert "Akta pendirian" in rina.last.text  # picks up where she stopped
    await rina.upload_document(PDF, "akta-pendirian.pdf", "application/pdf")
    await rina.send("12345")
    assert "NIB harus 13 angka" in rina.texts()[-2]
    await rina.send("1234 5678 90123")
    await rina.upload_document(PDF, "nib.pdf", "application/pdf")
    await rina.send("01.234.567.8-901.000")
    await rina.upload_document(PDF, "npwp.pdf", "application/pdf")
    await rina.send("Jl. Sudirman 1, Sanggau")
    assert "Situs web" in rina.last.text
    await rina.send("bukan alamat")
    assert "Alamat tidak valid" in rina.texts()[-2]
    await rina.send("wartakapuas.id")
    await rina.press("Terverifikasi administrasi")
    optional = rules.asked("online")[len(rules.required("online")) :]
    for _ in optional:  # each optional item can be skipped
        assert "boleh dilewati" in rina.last.text
        await rina.press("Lewati")
    summary = rina.last.text
    assert "Pendaftaran selesai" in summary
    assert "Rina <b>& Sons" in summary and "<b>Warta & Kapuas</b>" in summary  # shown, not parsed
    assert "6171**********01" in summary and "+6281234567890" in summary
    assert "M0001" in summary and "Peringkat media: B" in summary
    assert "ajukan" in [c["command"] for c in bot.fake.commands(rina.chat_id)]
    # How many steps depends on her outlet and the office's rules: none promises a total
    # ("Langkah 1/7" was untrue once a new outlet's papers followed step 6).
    numbered = [n for t in rina.texts() for n in re.findall(r"Langkah \d+\S*", t)]
    assert list(dict.fromkeys(numbered)) == [f"Langkah {n}." for n in range(1, 7)], numbered

    async with bot.session() as s:
        user = await find_user(s, "telegram", rina.id)
        assert user is not None and user.is_journalist and user.nik == "6171054501900001"
        assert "6171054501900001" not in (user.nik_cipher or "")  # stored encrypted
        outlet = await s.scalar(select(MediaOutlet).where(MediaOutlet.owner_id == user.id))
        assert outlet is not None
        assert (outlet.kind, outlet.website) == ("online", "https://wartakapuas.id")
        assert (outlet.legal_form, outlet.nib, outlet.npwp) == (
            "pt",
            "1234567890123",
            "012345678901000",
        )
        assert outlet.registered_until == date(2027, 11, 23)  # registered yearly
    docs = await bot.documents()
    assert [d.kind for d in docs] == ["press_card", "akta", "nib_kbli", "npwp_badan"]
    assert {d.outlet_id for d in docs[1:]} == {outlet.id}
    proof = docs[1]
    assert proof.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (bot.settings.files_dir / proof.path).read_bytes() == PDF
    bot.assert_clean()


async def test_one_person_registers_once(bot: BotUnderTest) -> None:
    await bot.seeded_journalist(5101)
    async with bot.session() as s:
        holder = await find_user(s, "telegram", 5101)
        taken = holder.nik if holder else None
    other = bot.fake.user(5102, "Other")
    await other.send("/start")
    await other.send("Orang Lain")
    await other.send(str(taken))
    refusal = other.texts()[-2]
    assert "tidak dapat dipakai" in refusal and "Rina" not in refusal  # nothing of who holds it
    assert "NIK" in other.last.text  # asked again, nothing lost
    bot.assert_clean()


async def test_cancel_and_resume_registration(bot: BotUnderTest) -> None:
    budi = bot.fake.user(5201, "Budi")
    await budi.send("/start")
    await budi.send("Budi Santoso")
    await budi.send("/start")  # pressing start again mid-wizard asks the same step again
    assert "NIK" in budi.last.text
    await budi.send("/batal")
    assert "Pendaftaran dihentikan" in budi.last.text
    await budi.send("halo")
    assert "/start" in budi.last.text
    bot.assert_clean()
