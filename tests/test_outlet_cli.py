"""`mitramedia outlet list|show|export|lapsing`, as an operator runs them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli_outlet import outlet_app
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from tests.factories import make_journalist
from workflow import outlets

runner = CliRunner()


def test_outlet_register_list_show_export_and_lapsing(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FILES_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("SOP", "sanggau-hubungan-media")
    upgrade(url)
    today = datetime.now(UTC).date()

    async def seed() -> None:
        db = create_engine(url)
        try:
            async with session_factory(db)() as s, s.begin():
                now = datetime.now(UTC)
                user, outlet = await make_journalist(s, now)
                outlet.code, outlet.legal_form, outlet.dewan_pers = "M0001", "pt", "faktual"
                outlet.registered_until = today + timedelta(days=3)
                await outlets.join(s, user, outlet, now)
                _other, lapsed = await make_journalist(s, now)
                lapsed.name, lapsed.code = "Suara Sekadau", "M0002"
                lapsed.registered_until = today - timedelta(days=1)
        finally:
            await db.dispose()

    asyncio.run(seed())
    listed = runner.invoke(outlet_app, ["list"])
    assert listed.exit_code == 0, listed.output
    assert (
        "M0001" in listed.output and "Suara Sekadau" in listed.output and "HABIS" in listed.output
    )
    shown = runner.invoke(outlet_app, ["show", "m0001"])
    assert (
        shown.exit_code == 0 and "Badan hukum" in shown.output and "Rina Wartawan" in shown.output
    )
    assert "Kurang:" in shown.output and "Akta pendirian" in shown.output  # no papers yet
    # The clerk reads words, as the journalist chose them, never the stored keys.
    assert "PT" in shown.output and "Terverifikasi faktual" in shown.output
    assert ": pt" not in shown.output and "nib_kbli" not in shown.output
    assert runner.invoke(outlet_app, ["show", "M9999"]).exit_code == 1

    xlsx = tmp_path / "register.xlsx"
    exported = runner.invoke(outlet_app, ["export", "--xlsx", str(xlsx)])
    assert exported.exit_code == 0, exported.output
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref.startswith("A2:")
    assert [c.value for c in sheet[2]][:3] == ["Kode", "Nama media", "Jenis"]
    codes = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=14).value for r in (3, 4)}
    assert codes == {"M0001": "berlaku", "M0002": "habis"}

    ends = today + timedelta(days=3)
    month = runner.invoke(outlet_app, ["lapsing", "--month", f"{ends:%Y-%m}"])
    assert month.exit_code == 0 and "M0001" in month.output
