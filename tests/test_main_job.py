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


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_mitramedia_run_serves_users_and_stops_on_sigterm(
    tmp_path: Path, framework: str
) -> None:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_FRAMEWORK": framework,
        "TELEGRAM_API_BASE": fake.base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "FILES_DIR": str(tmp_path / "files"),
        "SWEEP_SECONDS": "1",
        "LOG_LEVEL": "DEBUG",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(200):  # wait until it polls
            if any(r.method == "getUpdates" for r in fake.requests):
                break
            await asyncio.sleep(0.05)
        rina = fake.user(4242, "Rina")
        await rina.send("/start")
        assert "Selamat datang di Mitra Media" in rina.last.text
        assert fake.commands(None)  # the default menu was set at start
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
        await fake.stop()
    logs = (out + err).decode()
    assert process.returncode == 0, logs[-2000:]
    assert TOKEN not in logs and "SECRET-main-job-token" not in logs
    assert (tmp_path / "bot.db").exists()


async def test_a_wrong_token_gets_one_clear_line_and_no_secret(tmp_path: Path) -> None:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    wrong = "111111:WRONG-token-never-printed"
    env = {
        **os.environ,
        "BOT_TOKEN": wrong,
        "TELEGRAM_API_BASE": fake.base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "FILES_DIR": str(tmp_path / "files"),
        "LOG_LEVEL": "DEBUG",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    await fake.stop()
    logs = (out + err).decode()
    assert process.returncode == 1
    assert "Periksa BOT_TOKEN" in logs
    assert "WRONG-token-never-printed" not in logs and "Traceback" not in logs
