"""`mitramedia export agenda` and `mitramedia archive verify`, as an operator runs them; who may
open a case's files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli_export import archive_app, export_app
from handlers.documents import may_see
from storage.archive import Archive
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Case, User
from tests import records_seed as rs
from tests.factories import make_user

runner = CliRunner()


def test_agenda_export_and_archive_verify(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    files = tmp_path / "files"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FILES_DIR", str(files))
    monkeypatch.setenv("SOP", rs.SANGGAU)
    upgrade(url)
    archive = Archive(files)

    async def seed() -> list[Path]:
        db = create_engine(url)
        try:
            sessions = session_factory(db)
            seeded = await rs.seed(sessions, rs.SANGGAU, through=2)
            async with sessions() as s, s.begin():
                stored = [
                    await archive.add(
                        s,
                        owner_id=seeded.journalist.id,
                        kind=kind,
                        content=content,
                        file_name=f"{kind}.pdf",
                        mime_type="application/pdf",
                        now=seeded.clock.now(),
                        case_id=seeded.case_id,
                    )
                    for kind, content in (("receipt", b"%PDF-a"), ("disposition", b"%PDF-b"))
                ]
                return [archive.path_of(d) for d in stored]
        finally:
            await db.dispose()

    receipt, sheet = asyncio.run(seed())

    result = runner.invoke(export_app, ["agenda", "--year", "2025", "--xlsx", "out/agenda.xlsx"])
    assert result.exit_code == 0, result.output
    book = load_workbook("out/agenda.xlsx")
    assert book.sheetnames == ["2025"]
    row = [c.value for c in book["2025"][3]]
    assert row[:4] == [
        "001/AGENDA/DISKOMINFO-IKP/2025",
        "4 Juni 2025",
        "Rina Kartika",
        "Warta Kapuas",
    ]
    empty = runner.invoke(export_app, ["agenda", "--year", "2024", "--xlsx", "out/2024.xlsx"])
    assert empty.exit_code == 0 and "(0 permohonan)" in empty.output

    intact = runner.invoke(archive_app, ["verify"])
    # The seeded registration documents have no bytes on disk: they are reported missing.
    assert intact.exit_code == 1 and "hilang: berkas #1 kartu-pers.jpg" in intact.output
    assert "receipt.pdf" not in intact.output

    receipt.write_bytes(b"%PDF-tampered")
    sheet.unlink()
    broken = runner.invoke(archive_app, ["verify"])
    assert broken.exit_code == 1
    assert "berubah: berkas #3 receipt.pdf (receipt, permohonan #1)" in broken.output
    assert "hilang: berkas #4 disposition.pdf" in broken.output
    assert "4 dari 4 berkas hilang atau berubah" in broken.output


async def test_files_only_for_the_applicant_and_roles_working_on_the_case(sessions) -> None:
    seeded = await rs.seed(sessions, rs.SANGGAU, through=1)  # received, at the Fungsional
    async with sessions() as s, s.begin():
        case = await s.get(Case, seeded.case_id)
        other = await make_user(s, "Wartawan Lain", seeded.clock.now())
        other.is_journalist = True
        users = {u.id: u for u in await s.scalars(select(User))}
        journalist = users[seeded.journalist.id]
        admin, fungsional, kabid = (
            users[seeded.officials[r].id] for r in ("admin", "fungsional", "kabid")
        )
        assert await may_see(s, journalist, case)
        assert not await may_see(s, other, case)  # another journalist's case
        assert await may_see(s, admin, case) and await may_see(s, fungsional, case)
        assert not await may_see(s, kabid, case)  # no task of his role on it yet
        assert not await may_see(s, None, case)
