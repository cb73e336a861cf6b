"""The outbox drained against Telegram's limits: N notifications to M chats, queued before
`mitramedia run` starts, delivered through the fake Bot API with flood control on (30 a second
overall, about one a second per chat after a burst of 4, as Telegram does), product defaults.

    .venv/bin/python bench/drain.py [--notifications 10000] [--chats 2000] [--framework aiogram]

The floor is what the limits allow: (N - 1) / 30 s overall, and per chat (its messages - 1) / 1 s
after the burst; the run reports its time against the larger, and the 429s the fake answered
(the target is none). Prints JSON; nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import PYTHON, ObservedFake  # noqa: E402
from handlers.outbox import enqueue  # noqa: E402
from handlers.replies import SendMessage  # noqa: E402
from storage.db import create_engine, session_factory, transaction  # noqa: E402
from storage.migrate import upgrade  # noqa: E402


async def queue(url: str, notifications: int, chats: int) -> None:
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    # Round-robin over the chats, as a sweep or a broadcast would queue them.
    replies = [
        SendMessage(1_000_000 + n % chats, f"Pemberitahuan {n // chats + 1} untuk Anda")
        for n in range(notifications)
    ]
    async with transaction(sessions) as session:
        for start in range(0, len(replies), 2000):
            await enqueue(session, replies[start : start + 2000], now)
    await engine.dispose()


async def run(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-drain-") as tmp:
        workdir = Path(tmp)
        url = f"sqlite+aiosqlite:///{workdir}/bench.db"
        await queue(url, args.notifications, args.chats)
        fake = ObservedFake(flood_control=True)
        async with fake:
            for n in range(args.chats):
                fake.user(1_000_000 + n, f"Pembaca {n}")
                fake.account(1_000_000 + n).started = True
            env = {
                "PATH": "/usr/bin:/bin",
                "BOT_TOKEN": fake.token,
                "TELEGRAM_API_BASE": fake.base_url,
                "PYTHONPATH": str(ROOT),
                "LOG_LEVEL": "WARNING",
                "BOT_FRAMEWORK": args.framework,
                "DATABASE_URL": url,
                "FILES_DIR": str(workdir / "files"),
            }
            log = (workdir / "bot.log").open("wb")
            process = await asyncio.create_subprocess_exec(
                PYTHON, "-m", "bot.cli", "run", cwd=workdir, env=env, stdout=log, stderr=log
            )
            try:
                first: float | None = None
                deadline = time.perf_counter() + args.notifications / 30 * 2 + 120
                # A counter, not a scan of the fake's request log: scanning 10,000 records
                # every 0.2 s held the fake's loop and bunched the bot's requests into 429s.
                while time.perf_counter() < deadline:
                    if fake.replies and first is None:
                        first = time.perf_counter()
                    if fake.replies >= args.notifications:
                        break
                    await asyncio.sleep(0.05)
                took = time.perf_counter() - (first or time.perf_counter())
            finally:
                process.terminate()
                await process.wait()
            sent = [r for r in fake.calls("sendMessage") if r.ok]
            limited = [r for r in fake.requests if r.error_code == 429]
    per_chat = -(-args.notifications // args.chats)
    floor = max((args.notifications - 1) / 30, max(0, per_chat - 4) / 1.0)
    return {
        "framework": args.framework,
        "notifications": args.notifications,
        "chats": args.chats,
        "delivered": len(sent),
        "seconds": round(took, 1),
        "floor_s": round(floor, 1),
        "over_floor": f"{(took / floor - 1) * 100:.1f} %" if floor else "-",
        "http_429": len(limited),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--framework", choices=("aiogram", "ptb"), default="aiogram")
    args = parser.parse_args()
    load = Path("/proc/loadavg").read_text().split()[0]
    figures = asyncio.run(run(args))
    print(
        json.dumps(
            {
                "load_before": load,
                **figures,
                "load_after": Path("/proc/loadavg").read_text().split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
