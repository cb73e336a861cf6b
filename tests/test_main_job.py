"""The main job as an operator runs it: `mitramedia run` in its own process, real token path,
answering a user through the (fake) Bot API, stopping cleanly on SIGTERM, token never logged."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.fakeapi.server import FakeTelegram

TOKEN = "987654321:SECRET-main-job-token"


async def _run_bot(
    tmp_path: Path, token: str, api_base: str, **extra: str
) -> asyncio.subprocess.Process:
    """`mitramedia run` in its own process, on a fresh SQLite file, logging at DEBUG into
    `bot.log` beside it (a file, not a pipe: a pipe nobody reads fills up and stalls the bot)."""
    env = {
        **os.environ,
        "BOT_TOKEN": token,
        "TELEGRAM_API_BASE": api_base,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "FILES_DIR": str(tmp_path / "files"),
        "LOG_LEVEL": "DEBUG",
        **extra,
    }
    with (tmp_path / "bot.log").open("ab") as log:  # the child keeps its own descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )


def bot_log(tmp_path: Path) -> str:
    return (tmp_path / "bot.log").read_text(errors="replace")


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_mitramedia_run_serves_users_and_stops_on_sigterm(
    tmp_path: Path, framework: str
) -> None:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    process = await _run_bot(
        tmp_path, TOKEN, fake.base_url, BOT_FRAMEWORK=framework, SWEEP_SECONDS="1"
    )
    try:
        await fake.wait_for_poll()  # however long the process takes to start
        rina = fake.user(4242, "Rina")
        fake.inject_text(rina.id, "/start")
        await fake.wait_for_bot_messages(rina.chat_id)  # its own process: no idle probe
        assert "Selamat datang di Mitra Media" in rina.last.text
        assert fake.commands(None)  # the default menu was set at start
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        await fake.stop()
    logs = bot_log(tmp_path)
    assert process.returncode == 0, logs[-2000:]
    assert TOKEN not in logs and "SECRET-main-job-token" not in logs
    assert (tmp_path / "bot.db").exists()


async def test_a_wrong_token_gets_one_clear_line_and_no_secret(tmp_path: Path) -> None:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    wrong = "111111:WRONG-token-never-printed"
    process = await _run_bot(tmp_path, wrong, fake.base_url)
    await asyncio.wait_for(process.wait(), 60)
    await fake.stop()
    logs = bot_log(tmp_path)
    assert process.returncode == 1
    assert "Periksa BOT_TOKEN" in logs
    assert "WRONG-token-never-printed" not in logs and "Traceback" not in logs
