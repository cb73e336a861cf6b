"""`make run` without a token plays the demo: a whole case, on either SOP and either adapter,
kept in DATABASE_URL, with nothing refused by the (strict) fake Bot API server."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.demo import run_demo
from storage.db import create_engine, session_factory
from storage.models import Case


@pytest.mark.parametrize(
    ("framework", "sop", "steps"),
    [
        # The last step is hers: its handled prompt says what she did, in her words.
        ("aiogram", "sanggau-hubungan-media", "Pembayaran diterima oleh Anda"),
        ("ptb", "sanggau-hubungan-media", "Pembayaran diterima oleh Anda"),
        ("ptb", "trenggalek-kerjasama-media", "Langkah 7/7"),
    ],
)
async def test_demo_plays_a_whole_case_into_the_database(
    tmp_path: Path, framework: str, sop: str, steps: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    settings = Settings(database_url=url, files_dir=tmp_path / "files", sop=sop)
    transcript = await run_demo(settings, framework)
    assert "0 ditolak server" in transcript
    assert "/2026: selesai" in transcript and steps in transcript
    assert "#1" not in transcript and "completed" not in transcript  # its name, in Indonesian
    assert "Baru 1 dari" not in transcript  # no period closed short and left unanswered
    assert "Rina Wartawati — Pers (pemohon)" in transcript
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        case = await session.scalar(select(Case))
        assert case is not None and case.outcome == "completed"
    await engine.dispose()
    again = await run_demo(settings, framework)  # a second run on the same database works too
    assert "Permohonan 002/AGENDA/" in again


def test_demo_takes_the_sop_by_name_and_names_the_known_ones_on_a_typo(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(app, ["demo", "--sop", "trengalek", "--database-url", url])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an error raised
    assert "trenggalek-kerjasama-media" in result.output  # the names it knows, not a traceback
    assert not (tmp_path / "demo.db").exists()  # nothing played
