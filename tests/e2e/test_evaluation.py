"""Trenggalek step 3: the functional officer fills the lembar isian evaluasi from the chat,
criterion by criterion; the deciding officials see the result; its PDF is in the case."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from storage.models import Document, Evaluation
from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import approve, current, evaluate, message_with

TRENGGALEK = {
    "sekretaris": "Sri Sekretaris",
    "kadis": "Edif Kadis",
    "fungsional": "Fajar Fungsional",
    "kasi": "Kiki Kasi",
    "kabid": "Bima Kabid",
}


@pytest.fixture
def framework() -> str:
    return "ptb"  # the adapter does not matter here: one is enough


async def test_evaluation_form_at_step_3_is_saved_shown_and_printed(
    trenggalek_bot: BotUnderTest,
) -> None:
    bot = trenggalek_bot
    who = await bot.officials(TRENGGALEK)
    rina = await bot.seeded_journalist(7101)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    await approve(who["sekretaris"], "Terima & catat")
    await approve(who["kadis"], "Disposisikan")

    fajar = who["fungsional"]
    prompt = message_with(fajar, "Kirim hasil evaluasi")
    refusal = await fajar.press("Kirim hasil evaluasi", message_id=prompt.message_id)
    assert refusal is not None and "evaluasi belum lengkap" in str(refusal.text)  # form first
    criteria = bot.product.app.deps.spec.qualification.evaluation
    await evaluate(fajar, unmet=(4,), notes={4: "Belum terverifikasi <Dewan Pers>"})
    done = fajar.last.text
    assert "Lengkap" in done and "Nilai: 75/100" in done  # weights 3+2+1+3+1+2, the 3 unmet
    await fajar.press("📎 Dokumen", message_id=fajar.bot_messages[-1].message_id)
    assert fajar.documents  # the case's and the outlet's papers, one tap away

    # The completed form ticked its kelengkapan item: the action needs no "Semua lengkap" tap.
    prompt = message_with(fajar, "Kirim hasil evaluasi")
    await fajar.press("Kirim hasil evaluasi", message_id=prompt.message_id)
    if "✅ Ya" in fajar.buttons(current(fajar, prompt)):
        await fajar.press("✅ Ya", message_id=prompt.message_id)
    handled = current(fajar, prompt)
    assert "oleh" in handled.text and not fajar.buttons(handled), handled.text
    for official, step in ((who["kasi"], "Langkah 4/7"), (who["kabid"], None)):
        if step is None:
            await approve(who["kasi"], "Usulkan kerja sama")
        shown = message_with(official, "Ya, tetapkan" if step is None else "Usulkan").text
        assert "Evaluasi: nilai 75/100" in shown
        assert "Belum terverifikasi &lt;Dewan Pers&gt;" not in shown  # text, not HTML source
        assert "Belum terverifikasi <Dewan Pers>" in shown
        assert f"❌ {criteria[3].label}" in shown  # what was not met, on the prompt itself
        prompt = message_with(official, "Rincian")
        await official.press("ℹ️ Rincian", message_id=prompt.message_id)
        details = official.last.text  # every criterion, one tap away
        assert f"❌ {criteria[3].label}" in details and f"✅ {criteria[0].label}" in details

    async with bot.session() as s:
        saved = await s.scalar(select(Evaluation))
        assert saved is not None and saved.score == 75 and saved.completed_at is not None
        assert saved.answers["dewan_pers"] == {
            "met": False,
            "note": "Belum terverifikasi <Dewan Pers>",
        }
        pdf_doc = await s.scalar(select(Document).where(Document.kind == "evaluation"))
        assert pdf_doc is not None and pdf_doc.case_id == saved.case_id
    name, content, _caption = next(d for d in fajar.documents if d[0].startswith("lembar-evaluasi"))
    pages = PdfReader(io.BytesIO(content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())  # lines wrap
    assert "LEMBAR ISIAN EVALUASI" in text and "Nilai: 75/100" in text
    assert "Tidak memenuhi" in text and "Belum terverifikasi <Dewan Pers>" in text
    assert "Fajar Fungsional" in text and name.endswith(".pdf")
    bot.assert_clean()
