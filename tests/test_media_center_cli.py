"""`mitramedia media-center`, as an operator runs it: set, show, link, unset; the bind code is
one-time and expires."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli_media_center import media_center_app
from storage.db import create_engine, session_factory, transaction
from storage.models import Outbox
from workflow import media_center

runner = CliRunner()


def test_media_center_commands(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'mc.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FILES_DIR", str(tmp_path / "files"))

    assert "belum dipasang" in runner.invoke(media_center_app, ["show"]).output
    refused = runner.invoke(media_center_app, ["set", "12345"])
    assert refused.exit_code == 1 and "negatif" in refused.output
    done = runner.invoke(media_center_app, ["set", "--", "-100555"])
    assert done.exit_code == 0, done.output
    assert "grup -100555" in runner.invoke(media_center_app, ["show"]).output
    linked = runner.invoke(media_center_app, ["link", "--username", "mitra_bot"])
    assert "https://t.me/mitra_bot?startgroup=mc_" in linked.output
    code = linked.output.split("startgroup=")[1].split()[0]

    async def check() -> None:
        engine = create_engine(url)
        try:
            sessions = session_factory(engine)
            async with sessions() as s:
                greeting = await s.scalar(select(Outbox).where(Outbox.chat_id == -100555))
                assert greeting is not None and "Media Center" in greeting.payload["text"]
            later = datetime.now(UTC) + timedelta(hours=73)
            async with transaction(sessions) as s:
                assert not await media_center.bind(s, code, -100777, later, by="x")  # expired
            async with transaction(sessions) as s:
                now = datetime.now(UTC)
                assert await media_center.bind(s, code, -100777, now, by="x")
            async with transaction(sessions) as s:
                assert not await media_center.bind(s, code, -100888, now, by="y")  # used
                assert (await media_center.current(s) or {})["chat_id"] == -100777
        finally:
            await engine.dispose()

    asyncio.run(check())
    assert "dilepas" in runner.invoke(media_center_app, ["unset"]).output
    assert "belum dipasang" in runner.invoke(media_center_app, ["show"]).output
