"""The records in the chat, against the fake Bot API: a PDF receipt, the .docx draft and its
edited version travelling on to the Kepala Dinas as PDF, the numbered MoU/PKS to the journalist."""

from __future__ import annotations

import io

from docx import Document as Word
from pypdf import PdfReader

from tests.e2e.conftest import PDF, BotUnderTest
from tests.e2e.helpers import approve
from tests.e2e.test_sanggau import SANGGAU

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EDIT = "Pasal tambahan: liputan khusus Hari Jadi Kabupaten Sanggau"


def pdf_text(content: bytes) -> str:
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def docx_text(content: bytes) -> str:
    return " ".join(p.text for p in Word(io.BytesIO(content)).paragraphs)


def newest(person, suffix: str) -> bytes:  # type: ignore[no-untyped-def]
    found = [content for name, content, _caption in person.documents if name.endswith(suffix)]
    assert found, f"{person!r} got no {suffix} file: {[n for n, _c, _x in person.documents]}"
    return found[-1]


async def test_receipt_draft_versions_and_numbered_agreement(bot: BotUnderTest) -> None:
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3101)
    await rina.send("/ajukan")
    await rina.upload_document(PDF, "surat-permohonan.pdf", "application/pdf")
    await approve(who["admin"], "Terima")
    receipt = pdf_text(newest(rina, ".pdf"))
    assert "TANDA TERIMA" in receipt and "001/AGENDA/DISKOMINFO-IKP/2026" in receipt

    fungsional = who["fungsional"]
    draft = newest(fungsional, ".docx")
    assert "NOTA KESEPAHAMAN" in docx_text(draft) and "Warta Kapuas" in docx_text(draft)
    await fungsional.press("📄 Lembar disposisi")
    sheet = pdf_text(newest(fungsional, ".pdf"))
    assert "LEMBAR DISPOSISI" in sheet and "Budi Admin" in sheet

    edited = Word(io.BytesIO(draft))
    edited.add_paragraph(EDIT)
    out = io.BytesIO()
    edited.save(out)
    await fungsional.press("📤 Unggah versi baru")
    assert "versi 2" in fungsional.last.text
    await fungsional.upload_document(out.getvalue(), "konsep-disunting.docx", DOCX)
    assert "dilampirkan" in fungsional.last.text
    await approve(fungsional, "Teruskan konsep")

    kabid = who["kabid"]
    assert EDIT in docx_text(newest(kabid, ".docx"))  # the newest version travels on
    await approve(kabid, "Paraf & teruskan")
    await approve(who["sekretaris"], "Paraf & teruskan")
    kadis = who["kadis"]
    assert EDIT in pdf_text(newest(kadis, ".pdf"))  # he signs what he has read
    await approve(kadis, "Tanda tangani")
    await approve(who["admin"], "Beri nomor & serahkan")

    final = pdf_text(newest(rina, ".pdf"))
    assert "Nomor: 000.8.3.3/1/DISKOMINFO-IKP/2026" in final and EDIT in final
    assert "Ditandatangani oleh Hendra Kadis" in final
    assert any("ditandatangani dan bernomor" in t for t in rina.texts())
    kinds = [d.kind for d in await bot.documents()]
    for kind in ("receipt", "draft", "disposition", "draft_pdf", "agreement", "agreement_docx"):
        assert kind in kinds, kinds
    bot.assert_clean()
