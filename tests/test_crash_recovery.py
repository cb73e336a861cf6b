"""The bot process killed (SIGKILL) while a send is in flight after its commit, then restarted:
the message arrives once. Run as an operator runs it, `mitramedia run` in its own process."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import pytest

from bot.fakeapi import faults
from bot.fakeapi.server import FakeTelegram
from tests.test_main_job import _run_bot

TOKEN = "987654321:SECRET-crash-token"


def _outbox(folder: Path) -> list[tuple[str, int]]:
    """The bot's outbox, by state, read from its SQLite file (another process writes it)."""
    with sqlite3.connect(folder / "bot.db") as db:
        return list(db.execute("SELECT state, count(*) FROM outbox GROUP BY state"))


async def _until(predicate: object, within: float = 180.0) -> None:
    # The state lives in another process (its HTTP calls, its database file): no event to
    # wait on from here, so look again until it holds.
    async with asyncio.timeout(within):
        while not predicate():  # type: ignore[operator]  # noqa: ASYNC110
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_a_send_cut_off_by_sigkill_arrives_once_after_the_restart(
    tmp_path: Path, framework: str
) -> None:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    gate = faults.hang()
    rina = fake.user(4343, "Rina")
    fake.faults.add("sendMessage", gate, chat_id=rina.chat_id)
    env = {"BOT_FRAMEWORK": framework, "SWEEP_SECONDS": "3600"}
    first = await _run_bot(tmp_path, TOKEN, fake.base_url, **env)
    second = None
    try:
        fake.inject_text(rina.id, "/start")
        await gate.reached(timeout=180)  # the welcome is committed and on the wire
        first.send_signal(signal.SIGKILL)
        await first.wait()
        await gate.drained(timeout=10)  # the server saw the client go: nothing was stored
        assert faults.delivered_texts(fake, rina.chat_id) == []

        second = await _run_bot(tmp_path, TOKEN, fake.base_url, **env)
        await _until(lambda: faults.delivered_texts(fake, rina.chat_id))
        await _until(lambda: _outbox(tmp_path) == [("sent", 1)])  # nothing left to send again
        faults.assert_delivered_once(fake, rina.chat_id, "Selamat datang di Mitra Media")
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 30)
        await fake.stop()
