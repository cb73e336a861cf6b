"""Each record of a seeded case of each SOP, rendered and read back as a clerk would read it."""

from __future__ import annotations

import io

import pytest
from docx import Document as Word
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from storage.models import Case, NewsItem
from tests import records_seed as rs
from workflow import documents, records, terms
from workflow.errors import NotAllowed, ReasonRequired


def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())  # lines wrap where the layout wraps them


def docx_text(content: bytes) -> str:
    word = Word(io.BytesIO(content))
    parts = [p.text for p in word.paragraphs]
    parts += [c.text for t in word.tables for row in t.rows for c in row.cells]
    return " ".join(" ".join(parts).split())


async def _read(sessions, case_id, call, *args):
    async with sessions() as s:
        case = await s.get(Case, case_id)
        return await call(s, case, *args)


@pytest.mark.parametrize("sop_id", [rs.SANGGAU, rs.TRENGGALEK])
async def test_receipt_disposition_and_draft_read_back(sessions, sop_id):
    seeded = await rs.seed(sessions, sop_id)
    office = rs.builtin(sop_id).office.name

    receipt = pdf_text(
        documents.receipt_pdf(await _read(sessions, seeded.case_id, records.receipt))
    )
    agenda = (
        "001/AGENDA/DISKOMINFO-IKP/2025" if sop_id == rs.SANGGAU else "001/AGENDA/DISKOMINFO/2025"
    )
    for expected in (agenda, office.upper(), "TANDA TERIMA", "4 Juni 2025", "Rina Kartika"):
        assert expected in receipt
    assert "Warta Kapuas" in receipt and "media online" in receipt
    label = "anggota Pers yang sah" if sop_id == rs.SANGGAU else "Tanda pengenal anggota pers"
    assert label in receipt and "akta-pt.pdf" in receipt  # with its kelengkapan label

    sheet = pdf_text(
        documents.disposition_pdf(await _read(sessions, seeded.case_id, records.disposition))
    )
    assert "LEMBAR DISPOSISI" in sheet and agenda in sheet
    written = [w for _role, _action, note, reason in rs.WALKS[sop_id] for w in (note, reason) if w]
    positions = [sheet.find(w) for w in written]
    assert -1 not in positions, written
    assert positions == sorted(positions)  # every note, in the order it was written
    parafs = [records.initials(rs.NAMES[role]) for role, *_ in rs.WALKS[sop_id]]
    found = [sheet.find(f"Paraf: {p}", at) for p, at in zip(parafs, [0, *positions], strict=False)]
    assert -1 not in found

    data = await _read(sessions, seeded.case_id, records.draft, seeded.clock.now())
    assert data.number is not None  # both walks end with the agreement numbered
    draft = documents.draft_docx(records.Draft(**{**data.__dict__, "number": None}))
    text = docx_text(draft)
    assert "NOTA KESEPAHAMAN" in text and "PERJANJIAN KERJA SAMA" in text
    assert office.upper() in text and "Rina Kartika" in text and "WARTA KAPUAS" in text
    assert documents.NUMBER_BLANK in text and "{{" not in text
    numbered = documents.number_docx(draft, data.number)
    assert f"Nomor: {data.number}" in docx_text(numbered)
    assert documents.NUMBER_BLANK not in docx_text(numbered)
    final = pdf_text(documents.docx_pdf(numbered))
    assert f"Nomor: {data.number}" in final and "PIHAK PERTAMA" in final
    if sop_id == rs.SANGGAU:
        assert "NIP 197306061992021001" in text  # from the header's approved_by
        assert "Rp4.500.000" in text and "Rp375.000" in text and "Rp1.500.000" in text
        assert data.signed_on is not None  # the Kepala Dinas signed at step 6
    else:
        assert "EDIF HAYUNAN SISWANTO" in text and "NIP 19710609 199201 1 002" in text
        assert data.signed_on is None  # the sheet has no signing step


async def test_news_recap_counts_on_time_items_and_the_agenda_book(sessions):
    seeded = await rs.seed(sessions, rs.SANGGAU)
    await rs.news(seeded, sessions)
    recap = await _read(sessions, seeded.case_id, records.recap, 1)
    assert (len(recap.items), recap.on_time, recap.counted) == (4, 3, 3)
    text = pdf_text(documents.recap_pdf(recap))
    assert "000.8.3.3/1/DISKOMINFO-IKP/2025" in text and "5 Juni 2025" in text
    assert "terlambat" in text and "Rp1.125.000" in text  # 3 x Rp375.000: the late one is out
    book = load_workbook(io.BytesIO(documents.recap_xlsx(recap)))
    values = [c for row in book.active.iter_rows(values_only=True) for c in row if c]
    assert "terlambat" in values and "Rp1.125.000" in values

    late = next(i for i, item in enumerate(recap.items) if item.late)
    async with sessions() as s, s.begin():
        news = list(await s.scalars(select(NewsItem).order_by(NewsItem.published_on)))
        admin = await s.merge(seeded.officials["admin"])
        journalist = await s.merge(seeded.journalist)
        with pytest.raises(ReasonRequired):
            await terms.include_late(
                s, news_id=news[late].id, actor=admin, reason=" ", now=seeded.clock.now()
            )
        with pytest.raises(NotAllowed):  # the journalist cannot include her own late item
            await terms.include_late(
                s, news_id=news[late].id, actor=journalist, reason="x", now=seeded.clock.now()
            )
        await terms.include_late(
            s,
            news_id=news[late].id,
            actor=admin,
            reason="Server media sempat mati, bukti dari Dewan Pers",
            now=seeded.clock.now(),
        )
    again = await _read(sessions, seeded.case_id, records.recap, 1)
    assert again.items[late].late and again.counted == 4
    text = pdf_text(documents.recap_pdf(again))
    assert "Rp1.500.000" in text and "Server media sempat mati" in text

    async with sessions() as s:
        rows = await records.agenda(s, 2025)
        assert await records.agenda(s, 2026) == []
    content = documents.agenda_xlsx({2025: rows}, "Diskominfo", "Asia/Jakarta")
    sheet = load_workbook(io.BytesIO(content))["2025"]
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref.startswith("A2:H")
    row = [c.value for c in sheet[3]]
    assert row[0] == "001/AGENDA/DISKOMINFO-IKP/2025" and row[1] == "4 Juni 2025"
    assert row[2:4] == ["Rina Kartika", "Warta Kapuas"] and row[6] == "diproses"
