"""`make docs-preview`: every record of a seeded case of each SOP, as files and PNG pages.

Writes into ``data/docs-preview/`` (or the folder given): the PDFs, the .docx draft, the
workbooks, and one PNG per PDF page (pdftoppm, from Debian's poppler-utils) for a reviewer.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Case
from tests import records_seed as seed
from workflow import documents, records


async def _render(url: str, out: Path) -> list[Path]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    pdfs: list[Path] = []
    agenda: list[records.AgendaRow] = []
    for sop_id in (seed.SANGGAU, seed.TRENGGALEK):
        short = sop_id.split("-", 1)[0]
        seeded = await seed.seed(sessions, sop_id)
        if sop_id == seed.SANGGAU:
            await seed.news(seeded, sessions)
        async with sessions() as s:
            case = await s.get(Case, seeded.case_id)
            assert case is not None
            receipt = await records.receipt(s, case)
            sheet = await records.disposition(s, case)
            draft = await records.draft(s, case, seeded.clock.now())
            recap = await records.recap(s, case, 1)
            agenda = await records.agenda(s, 2025)
        docx = documents.draft_docx(records.Draft(**{**draft.__dict__, "number": None}))
        numbered = documents.number_docx(docx, draft.number or "")
        files = {
            f"{short}-tanda-terima.pdf": documents.receipt_pdf(receipt),
            f"{short}-lembar-disposisi.pdf": documents.disposition_pdf(sheet),
            f"{short}-konsep-mou-pks.docx": docx,
            f"{short}-konsep-mou-pks.pdf": documents.docx_pdf(docx),
            f"{short}-mou-pks-bernomor.pdf": documents.docx_pdf(numbered, final=draft),
        }
        if sop_id == seed.SANGGAU:
            files[f"{short}-rekap-spj.pdf"] = documents.recap_pdf(recap)
            files[f"{short}-rekap-spj.xlsx"] = documents.recap_xlsx(recap)
            # The same period on a per-period tariff the Fungsional set (paid pro rata).
            per_period = replace(
                recap, terms=replace(recap.terms, tariff_per_period=2_000_000, tariff_per_item=0)
            )
            files[f"{short}-rekap-spj-tarif-periode.pdf"] = documents.recap_pdf(per_period)
        for name, content in files.items():
            (out / name).write_bytes(content)
            if name.endswith(".pdf"):
                pdfs.append(out / name)
    (out / "buku-agenda-2025.xlsx").write_bytes(
        documents.agenda_xlsx({2025: agenda}, "Diskominfo", "Asia/Jakarta")
    )
    await engine.dispose()
    return pdfs


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "data/docs-preview")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/preview.db"
        upgrade(url)
        pdfs = asyncio.run(_render(url, out))
    for path in pdfs:
        subprocess.run(
            ["pdftoppm", "-r", "80", "-png", str(path), str(path.with_suffix(""))], check=True
        )
    print(f"{len(pdfs)} PDF, {len(list(out.glob('*.png')))} halaman PNG di {out}/")


if __name__ == "__main__":
    main()
