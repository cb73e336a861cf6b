"""The office's contact from the SOP's `office:` wherever someone is sent to the office: the
address and hours when the SOP gives them, whom to ask when it does not."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from handlers.render import render
from tests.factories import builtin
from workflow.loader import load_spec
from workflow.office import contact

OTHER = Path(__file__).parent / "sops" / "lain-hubungan-media.yaml"


def _agreement(spec_office: dict[str, object]) -> str:
    return render(
        "agreement_ready",
        tz="Asia/Jakarta",
        number="7.1/3/PKS/2026",
        # The message names the case as every message does (case_name reads these fields).
        case=SimpleNamespace(
            id=3,
            agenda_number="003/AGENDA/2026",
            subject="Permohonan kerja sama Warta Kapuas",
            created_at=None,
        ),
        signed_at=None,
        periods=None,
        period_label="bulan",
        news_per_period=4,
        files=[],
        office=spec_office,
    )


def test_a_known_address_is_given_with_hours_phone_whatsapp_and_map() -> None:
    office = contact(load_spec(OTHER))
    help_text = render("office_contact", office=office)
    assert "📍 Jalan Contoh No. 1, Kota Uji" in help_text
    assert "Senin–Jumat 08.00–15.00" in help_text and "☎️ 0564 000000" in help_text
    assert '<a href="https://wa.me/6281200000000">0812 0000 0000</a>' in help_text
    assert "belum tercatat" not in help_text
    ready = _agreement(office)
    assert "Dokumen asli dapat diambil di kantor dinas:" in ready
    assert "Jalan Contoh No. 1" in ready and "Jam layanan: Senin–Jumat 08.00–15.00" in ready


def test_without_an_address_it_says_whom_to_ask_and_the_hours_it_counts_by() -> None:
    for sop_id, desk in (
        ("sanggau-hubungan-media", "Petugas Admin"),
        ("trenggalek-kerjasama-media", "Fungsional"),  # no admin role: pers reports to it
    ):
        ready = _agreement(contact(builtin(sop_id)))
        assert f"tanyakan alamatnya kepada {desk} lewat /tanya" in ready
        assert "Jam layanan: Senin–Kamis 07.30–16.00, Jumat 07.30–16.30" in ready
