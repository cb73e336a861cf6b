"""Writes templates/documents/konsep_mou_pks.docx, the Word template of the MoU/PKS draft.

An office may edit the .docx itself in Word (keep the {{ ... }} fields); this script only
recreates the shipped one: `.venv/bin/python tools/make_docx_template.py`.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Pt

TARGET = Path(__file__).resolve().parent.parent / "templates" / "documents" / "konsep_mou_pks.docx"


def build() -> None:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)

    def center(text: str, bold: bool = True) -> None:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(text).bold = bold

    def para(text: str) -> None:
        p = doc.add_paragraph(text)
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    def article(number: int, title: str, *lines: str) -> None:
        center(f"Pasal {number}")
        center(title)
        for line in lines:
            para(line)

    def parties() -> None:
        para(
            "1. {{ head_name }}, {{ d.office.head_title }} {{ d.office.name }}, "
            "NIP {{ head_nip }}, dalam hal ini bertindak untuk dan atas nama "
            "{{ d.office.name }}, selanjutnya disebut PIHAK PERTAMA;"
        )
        para(
            "2. {{ d.case.applicant_name }}, dalam hal ini bertindak untuk dan atas nama "
            "{{ d.case.outlet_name }} ({{ d.case.outlet_kind | media }}"
            "{% if d.case.outlet_website %}, {{ d.case.outlet_website }}{% endif %}), "
            "selanjutnya disebut PIHAK KEDUA."
        )

    def signatures() -> None:
        table = doc.add_table(rows=2, cols=2)
        table.cell(0, 0).text = "PIHAK KEDUA,\n{{ d.case.outlet_name }}"
        table.cell(0, 1).text = "PIHAK PERTAMA,\n{{ d.office.head_title }} {{ d.office.name }}"
        table.cell(1, 0).text = "\n\n\n{{ d.case.applicant_name }}"
        table.cell(1, 1).text = "\n\n\n{{ head_name }}\nNIP {{ head_nip }}"
        for row in table.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER

    center("NOTA KESEPAHAMAN (MoU)")
    center("ANTARA")
    center("{{ d.office.name | upper }}")
    center("DENGAN")
    center("{{ d.case.outlet_name | upper }}")
    center("TENTANG")
    center("KERJA SAMA PUBLIKASI INFORMASI PEMERINTAH KABUPATEN {{ d.office.regency | upper }}")
    center("Nomor: {{ number }}", bold=False)
    para("Pada hari ini, tanggal {{ d.drafted_on | tanggal }}, yang bertanda tangan di bawah ini:")
    parties()
    para(
        "Kedua belah pihak sepakat untuk menjalin kerja sama publikasi informasi program dan "
        "kinerja Pemerintah Kabupaten {{ d.office.regency }} dengan ketentuan sebagai berikut."
    )
    article(
        1,
        "MAKSUD DAN TUJUAN",
        "Kesepahaman ini dimaksudkan sebagai dasar kerja sama penyebarluasan informasi "
        "pemerintah daerah melalui {{ d.case.outlet_kind | media }} milik PIHAK KEDUA.",
    )
    article(
        2,
        "RUANG LINGKUP",
        "Ruang lingkup kesepahaman ini meliputi penayangan berita dan informasi pemerintah "
        "daerah yang rinciannya diatur dalam Perjanjian Kerja Sama (PKS).",
    )
    article(
        3,
        "JANGKA WAKTU",
        "Kesepahaman ini berlaku selama {{ d.terms.periods }} {{ d.terms.period_label }} sejak "
        "ditandatangani oleh kedua belah pihak.",
    )
    signatures()
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    center("PERJANJIAN KERJA SAMA (PKS)")
    center("ANTARA")
    center("{{ d.office.name | upper }}")
    center("DENGAN")
    center("{{ d.case.outlet_name | upper }}")
    center("Nomor: {{ number }}", bold=False)
    para("Yang bertanda tangan di bawah ini:")
    parties()
    para(
        "Berdasarkan Nota Kesepahaman Nomor {{ number }} dan permohonan dengan nomor agenda "
        "{{ d.case.agenda_number or '-' }}, kedua belah pihak sepakat sebagai berikut."
    )
    article(
        1,
        "OBJEK PERJANJIAN",
        "PIHAK KEDUA menayangkan {{ d.terms.news_per_period }} berita per "
        "{{ d.terms.period_label }} selama {{ d.terms.periods }} {{ d.terms.period_label }} "
        "mengenai program dan kinerja Pemerintah Kabupaten {{ d.office.regency }}.",
    )
    article(
        2,
        "NILAI PERJANJIAN",
        "Nilai perjanjian sebesar {{ d.terms.total | rupiah }}, yaitu "
        "{{ d.terms.tariff_per_item | rupiah }} per berita, atau "
        "{{ d.terms.per_period | rupiah }} per {{ d.terms.period_label }}.",
    )
    article(
        3,
        "BUKTI TAYANG",
        "PIHAK KEDUA menyampaikan judul, tautan dan tangkapan layar setiap berita paling "
        "lambat {{ d.proof_days }} hari setelah tayang. Berita yang dilaporkan melewati batas "
        "tersebut tidak dihitung dalam pembayaran.",
    )
    article(
        4,
        "PEMBAYARAN",
        "Pembayaran dilakukan per {{ d.terms.period_label }} setelah rekap berita dan Surat "
        "Pertanggungjawaban (SPJ) disusun sesuai ketentuan pengadaan barang/jasa.",
    )
    article(
        5,
        "PENUTUP",
        "Perjanjian ini dibuat rangkap dua, masing-masing bermeterai cukup dan mempunyai "
        "kekuatan hukum yang sama.",
    )
    signatures()
    doc.save(TARGET)


if __name__ == "__main__":
    build()
