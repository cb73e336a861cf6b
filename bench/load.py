"""Load runs against `mitramedia run` and bare echo bots, each its own process, on the in-repo
fake Bot API (127.0.0.1 only), measured from outside: from the moment an update is available
(queued in the fake) to the moment the bot's reply reaches the fake.

    .venv/bin/python bench/load.py closed   [--bots ...] [--users 50] [--rounds 20]
    .venv/bin/python bench/load.py open     [--bots ...] [--rates 20,50,100] [--seconds 10]
    .venv/bin/python bench/load.py startup  [--bots ...]

Bots: aiogram-echo, ptb-echo (the yardsticks), mitra-aiogram, mitra-ptb (the product on a fresh
SQLite database, or on --postgres URL). Every user sends /bantuan as a stranger, the read-only
load of issue 11. The fake runs without flood control here and the product's own limits are
lifted (SEND_PER_SECOND, PACE_BURST): these runs measure what an update costs the bot, not
Telegram's limits (bench/drain.py measures those). Prints one JSON line per bot and run, and a
table; nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.fakeapi.server import FakeTelegram  # noqa: E402

TOKEN = "123456:BENCH-token"
PYTHON = sys.executable
REPLY_METHODS = {"sendmessage", "senddocument", "sendphoto"}
BOTS = ("aiogram-echo", "ptb-echo", "mitra-aiogram", "mitra-ptb")
TICK = os.sysconf("SC_CLK_TCK")


class ObservedFake(FakeTelegram):
    """The fake, telling the bench when a reply to a chat has been taken."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(TOKEN, **kwargs)
        self.waiting: dict[int, deque[tuple[float, asyncio.Future[float]]]] = {}
        self.replies = 0
        self.first_reply: asyncio.Future[float] | None = None

    async def execute(self, method: str, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, body = await super().execute(method, raw)
        if status == 200 and method.lower() in REPLY_METHODS:
            self.replies += 1
            now = time.perf_counter()
            queue = self.waiting.get(int(raw["chat_id"]))
            if queue:
                began, done = queue.popleft()
                if not done.done():
                    done.set_result(now - began)
        return status, body

    def send(self, user_id: int, text: str) -> asyncio.Future[float]:
        """Queues the user's message; the future resolves to the latency of its reply."""
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(user_id, deque()).append((time.perf_counter(), done))
        self.inject_text(user_id, text)
        return done


@dataclass
class BotProcess:
    name: str
    process: asyncio.subprocess.Process
    started: float
    workdir: Path
    log: Path

    def proc(self, field_name: str) -> int:
        """VmRSS / VmHWM of the process, in kB."""
        return status_kb(self.process.pid, field_name)

    def cpu_seconds(self) -> float:
        """The bot's CPU with that of its live child processes (the drawing workers)."""
        return sum(_cpu(pid) for pid in [self.process.pid, *children(self.process.pid)])


def status_kb(pid: int, field_name: str) -> int:
    """A size from /proc/<pid>/status (VmRSS, VmHWM) in kB; 0 once the process is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    """The process's descendants (a bot's drawing workers)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += [int(child), *children(int(child))]
    return found


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # a worker that just ended
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def bot_command(name: str) -> list[str]:
    if name == "aiogram-echo":
        return [PYTHON, str(ROOT / "bench" / "echo_aiogram.py")]
    if name == "ptb-echo":
        return [PYTHON, str(ROOT / "bench" / "echo_ptb.py")]
    return [PYTHON, "-m", "bot.cli", "run"]


def bot_env(name: str, fake: FakeTelegram, workdir: Path, postgres: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=fake.base_url,
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
    )
    if name.startswith("mitra-"):
        env.update(
            BOT_FRAMEWORK=name.removeprefix("mitra-"),
            DATABASE_URL=postgres or f"sqlite+aiosqlite:///{workdir}/bench.db",
            FILES_DIR=str(workdir / "files"),
            SEND_PER_SECOND=os.environ.get("BENCH_SEND_PER_SECOND", "100000"),
            PACE_BURST=os.environ.get("BENCH_PACE_BURST", "100000"),
            PACE_INTERVAL=os.environ.get("BENCH_PACE_INTERVAL", "0.001"),
        )
        if "DRAW_WORKERS" in os.environ:  # e.g. DRAW_WORKERS=2 bench/cases.py
            env["DRAW_WORKERS"] = os.environ["DRAW_WORKERS"]
    return env


@contextlib.asynccontextmanager
async def running(
    name: str, fake: ObservedFake, postgres: str | None = None
) -> AsyncIterator[BotProcess]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        workdir = Path(tmp)  # also the cwd: no .env of the checkout is read
        log = workdir / "bot.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                *bot_command(name),
                cwd=workdir,
                env=bot_env(name, fake, workdir, postgres),
                stdout=out,
                stderr=out,
            )
            bot = BotProcess(name, process, time.perf_counter(), workdir, log)
            try:
                yield bot
            finally:
                if process.returncode is None:
                    process.terminate()
                    try:
                        await asyncio.wait_for(process.wait(), 15)
                    except TimeoutError:
                        process.kill()
                        await process.wait()


async def first_reply(fake: ObservedFake, bot: BotProcess, user: int = 1) -> float:
    """Seconds from the start of the process to its reply to the first /bantuan (sent once the
    bot is polling, since a starting bot may drop what was queued before it)."""
    while not fake.calls("getUpdates"):
        if bot.process.returncode is not None:
            raise RuntimeError(f"{bot.name} exited: {bot.log.read_text()[-2000:]}")
        await asyncio.sleep(0.005)
    fake.user(user, f"U{user}")
    await asyncio.wait_for(fake.send(user, "/bantuan"), 60)
    return time.perf_counter() - bot.started


def quantiles(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


async def closed_loop(bot: BotProcess, fake: ObservedFake, users: int, rounds: int) -> dict:
    ids = [100_000 + i for i in range(users)]
    for uid in ids:
        fake.user(uid, f"Tamu {uid}")
    latencies: list[float] = []

    async def person(uid: int) -> None:
        for _ in range(rounds):
            latencies.append(await asyncio.wait_for(fake.send(uid, "/bantuan"), 60))

    cpu0, began = bot.cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(person(uid) for uid in ids))
    took = time.perf_counter() - began
    cpu = bot.cpu_seconds() - cpu0
    return {
        "replies_per_s": round(len(latencies) / took, 1),
        **quantiles(latencies),
        "cpu_s_per_1000": round(cpu / len(latencies) * 1000, 2),
        "peak_rss_mb": round(bot.proc("VmHWM") / 1024, 1),
        "updates": len(latencies),
        "seconds": round(took, 2),
    }


async def open_loop(bot: BotProcess, fake: ObservedFake, rate: float, seconds: float) -> dict:
    """A fixed arrival rate, whatever the bot does: each update from one of 500 strangers."""
    ids = [200_000 + i for i in range(500)]
    for uid in ids:
        fake.user(uid, f"Tamu {uid}")
    total = int(rate * seconds)
    pending: list[asyncio.Future[float]] = []
    began = time.perf_counter()
    for n in range(total):
        delay = began + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(fake.send(ids[n % len(ids)], "/bantuan"))
    sent_in = time.perf_counter() - began
    try:
        latencies = await asyncio.wait_for(asyncio.gather(*pending), 120)
    except TimeoutError:
        latencies = [f.result() for f in pending if f.done()]
    return {
        "rate": rate,
        "offered_per_s": round(total / sent_in, 1),
        **quantiles(list(latencies)),
        "answered": len(latencies),
        "updates": total,
    }


async def profiler(bot: BotProcess, out: str) -> asyncio.subprocess.Process:
    """py-spy sampling the bot for the length of the load, as collapsed stacks (one line per
    stack with its count: `sort -k2` or speedscope read it)."""
    spy = str(Path(PYTHON).parent / "py-spy")
    target = f"{out}.{bot.name}.txt"
    return await asyncio.create_subprocess_exec(
        spy,
        "record",
        "--format",
        "raw",
        "--rate",
        "200",
        "--nonblocking",
        "-o",
        target,
        "-p",
        str(bot.process.pid),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


@dataclass
class Row:
    bot: str
    figures: dict[str, Any] = field(default_factory=dict)


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


async def run(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    for name in args.bots:
        fake = ObservedFake(flood_control=False)
        async with fake, running(name, fake, args.postgres) as bot:
            figures: dict[str, Any] = {"load_before": load_average()}
            figures["first_reply_s"] = round(await first_reply(fake, bot), 2)
            if args.mode == "startup":
                await asyncio.sleep(args.idle)
                figures["idle_rss_mb"] = round(bot.proc("VmRSS") / 1024, 1)
            elif args.mode == "closed":
                spy = await profiler(bot, args.profile) if args.profile else None
                figures.update(await closed_loop(bot, fake, args.users, args.rounds))
                if spy is not None:
                    spy.send_signal(2)  # SIGINT: py-spy writes what it sampled
                    await spy.wait()
            else:
                for rate in args.rates:
                    figures[f"at_{rate:g}"] = await open_loop(bot, fake, rate, args.seconds)
            figures["load_after"] = load_average()
            row = Row(name, figures)
            print(json.dumps({"mode": args.mode, "bot": name, **figures}), flush=True)
            rows.append(row)
    return rows


def table(mode: str, rows: list[Row]) -> str:
    if mode == "closed":
        base = next((r.figures["replies_per_s"] for r in rows if r.bot == "aiogram-echo"), None)
        lines = [
            "| bot | replies/s | x aiogram echo | p50 | p95 | p99 | CPU s/1000 | peak RSS | load |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            f = r.figures
            ratio = f"{f['replies_per_s'] / base:.2f}" if base else "-"
            lines.append(
                f"| {r.bot} | {f['replies_per_s']} | {ratio} | {f['p50_ms']} ms | {f['p95_ms']} ms"
                f" | {f['p99_ms']} ms | {f['cpu_s_per_1000']} | {f['peak_rss_mb']} MB"
                f" | {f['load_before']}/{f['load_after']} |"
            )
        return "\n".join(lines)
    if mode == "startup":
        lines = ["| bot | start to first reply | idle RSS | load |", "|---|---|---|---|"]
        for r in rows:
            f = r.figures
            lines.append(
                f"| {r.bot} | {f['first_reply_s']} s | {f['idle_rss_mb']} MB | {f['load_before']} |"
            )
        return "\n".join(lines)
    lines = ["| bot | rate | p50 | p95 | p99 | answered | load |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        for key, f in r.figures.items():
            if key.startswith("at_"):
                lines.append(
                    f"| {r.bot} | {f['rate']:g}/s | {f['p50_ms']} ms | {f['p95_ms']} ms"
                    f" | {f['p99_ms']} ms | {f['answered']}/{f['updates']}"
                    f" | {r.figures['load_before']}/{r.figures['load_after']} |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("closed", "open", "startup"))
    parser.add_argument("--bots", nargs="+", default=list(BOTS), choices=BOTS)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--rates", type=lambda s: [float(x) for x in s.split(",")], default=[20, 50, 100]
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--idle", type=float, default=3, help="seconds idle before RSS is read")
    parser.add_argument(
        "--profile", help="py-spy the bot during the closed loop into PREFIX.<bot>.txt"
    )
    parser.add_argument("--postgres", help="the product's DATABASE_URL instead of a fresh SQLite")
    args = parser.parse_args()
    rows = asyncio.run(run(args))
    print(f"\nload average {load_average()}, {os.cpu_count()} cores\n")
    print(table(args.mode, rows))


if __name__ == "__main__":
    main()
