"""Whole Sanggau cases under load: simulated journalists and officials, beside the bare bots.

    .venv/bin/python bench/cases.py [--cases 20] [--bots ...] [--postgres URL]

Each case is the SOP from request to the first payment, as a person does it through the fake Bot
API (tests/e2e/test_sanggau.py is the same story, one case at a time): the journalist sends
/ajukan and uploads the request letter; the admin accepts (and ticks "Semua lengkap"), the
fungsional forwards the draft, the kabid and sekretaris initial it, the kadis signs; the admin
attaches the signed MoU and numbers it; the journalist presses "Kirim berita", types title,
link and date, uploads a photo and presses "Selesai"; the admin marks the SPJ ready, the
journalist confirms payment. All cases run at once, each journalist on their own, the five
officials shared by every case (one office), every actor acting as soon as what it waits for is
on screen (no think time: a closed loop).

Latency: from an update being queued in the fake to the bot's first answer to it (the
answerCallbackQuery of a press; for a text or an upload, the bot's next message to that chat).
The bare echo bots (bench/echo_*.py) cannot run a case; they get the same updates as the
product did, the same number per person (texts, presses on one of their messages, uploads), in
the same closed loop, which is what a framework alone costs for that load.

The product runs on a fresh SQLite database, or with --postgres on that database (emptied:
give a bench_* database). Prints one JSON line per bot and a table; nothing here is a test.
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
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402
    TOKEN,
    BotProcess,
    bot_command,
    bot_env,
    load_average,
    profiler,
)
from bot.fakeapi.server import FakeTelegram, StoredMessage  # noqa: E402

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OFFICIALS = {
    "admin": (9001, "Budi Admin"),
    "fungsional": (9002, "Sari Fungsional"),
    "kabid": (9003, "Agus Kabid"),
    "sekretaris": (9004, "Dewi Sekretaris"),
    "kadis": (9005, "Hendra Kadis"),
}
ANSWERS = {"sendmessage", "senddocument", "sendphoto", "editmessagetext", "editmessagereplymarkup"}
BOTS = ("aiogram-echo", "ptb-echo", "mitra-aiogram", "mitra-ptb")


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG = _png()


class CaseFake(FakeTelegram):
    """The fake, timing every update from the moment it is queued to the bot's first answer."""

    def __init__(self) -> None:
        super().__init__(TOKEN, flood_control=False)
        self.latencies: list[float] = []
        self.kinds: Counter[str] = Counter()
        self._by_chat: dict[int, deque[float]] = {}
        self._by_query: dict[str, float] = {}
        self._spoke = asyncio.Event()  # replaced, after being set, whenever the bot speaks

    async def execute(self, method: str, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, body = await super().execute(method, raw)
        if status == 200:
            now = time.perf_counter()
            name = method.lower()
            if name == "answercallbackquery":
                began = self._by_query.pop(str(raw.get("callback_query_id")), None)
                if began is not None:
                    self.latencies.append(now - began)
                self._wake()
            elif name in ANSWERS:
                waiting = self._by_chat.get(int(raw["chat_id"]))
                if waiting:
                    self.latencies.append(now - waiting.popleft())
                self._wake()
        return status, body

    def _wake(self) -> None:
        spoke, self._spoke = self._spoke, asyncio.Event()
        spoke.set()

    def timed_text(self, user_id: int, text: str) -> None:
        self.kinds["text"] += 1
        self._by_chat.setdefault(user_id, deque()).append(time.perf_counter())
        self.inject_text(user_id, text)

    def timed_upload(self, user_id: int, *, photo: bool = False) -> None:
        self.kinds["photo" if photo else "document"] += 1
        self._by_chat.setdefault(user_id, deque()).append(time.perf_counter())
        if photo:
            self.inject_message(user_id, photo=self.process_photo(PNG), original_photo=PNG)
        else:
            stored = self.register_file(
                "document", PDF, file_name="surat.pdf", mime_type="application/pdf"
            )
            self.inject_message(user_id, document=stored)

    def timed_press(self, user_id: int, message_id: int, data: str) -> None:
        self.kinds["press"] += 1
        query = self.inject_callback_query(user_id, message_id, data)
        self._by_query[query.id] = time.perf_counter()

    async def until(self, found: Callable[[], Any], within: float = 300) -> Any:
        """Waits until `found()` returns something (re-checked whenever the bot speaks)."""
        async with asyncio.timeout(within):
            while True:
                spoke = self._spoke  # taken before looking: nothing said after it is missed
                result = found()
                if result:
                    return result
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(spoke.wait(), 0.5)


# --- reading a chat ---------------------------------------------------------------------------


def _button(message: StoredMessage, label: str) -> str | None:
    for row in (message.reply_markup or {}).get("inline_keyboard", []):
        for button in row:
            if label in button["text"] and "callback_data" in button:
                return str(button["callback_data"])
    return None


def _prompt(fake: FakeTelegram, chat_id: int, label: str, mark: str) -> StoredMessage | None:
    """The newest bot message in the chat with a `label` button whose text names `mark`."""
    for message in reversed(fake.chat(chat_id).messages):
        if message.from_bot and not message.deleted and mark in (message.text or ""):
            if _button(message, label) is not None:
                return message
    return None


def _said(fake: FakeTelegram, chat_id: int, words: str, after: int) -> bool:
    return any(m.from_bot and words in (m.text or "") for m in fake.chat(chat_id).messages[after:])


def _count(fake: FakeTelegram, chat_id: int) -> int:
    return len(fake.chat(chat_id).messages)


# --- one case -------------------------------------------------------------------------------


class Case:
    def __init__(self, fake: CaseFake, journalist: int, outlet: str) -> None:
        self.fake, self.me, self.outlet = fake, journalist, outlet

    async def say(self, chat: int, text: str, expect: str | None = None) -> None:
        seen = _count(self.fake, chat)
        self.fake.timed_text(chat, text)
        await self.fake.until(
            lambda: (
                _said(self.fake, chat, expect, seen)
                if expect
                else _count(self.fake, chat) > seen + 1
            )
        )

    async def upload(self, chat: int, expect: str, *, photo: bool = False) -> None:
        seen = _count(self.fake, chat)
        self.fake.timed_upload(chat, photo=photo)
        await self.fake.until(lambda: _said(self.fake, chat, expect, seen))

    async def press(
        self,
        chat: int,
        label: str,
        *,
        mark: str | None = None,
        edits: bool = True,
        on: int | None = None,
    ) -> None:
        """Presses `label` on this case's newest prompt in `chat` (or on message `on`), then
        waits until the prompt shows the press was taken (`edits`: it changes; else also a new
        message), ticking "Semua lengkap" if asked, as tests/e2e/helpers.approve does."""
        mark = self.outlet if mark is None else mark
        if on is None:
            prompt = await self.fake.until(lambda: _prompt(self.fake, chat, label, mark))
        else:
            # The same message, redrawn: its checklist view need not name the outlet.
            prompt = self.fake.chat(chat).find(on)
            assert prompt is not None
        before = (prompt.text, json.dumps(prompt.reply_markup, sort_keys=True))
        seen = _count(self.fake, chat)
        self.fake.timed_press(chat, prompt.message_id, str(_button(prompt, label)))

        def changed() -> bool:
            now = self.fake.chat(chat).find(prompt.message_id)
            if now is not None and (now.text, json.dumps(now.reply_markup, sort_keys=True)) != (
                before
            ):
                return True
            return not edits and _count(self.fake, chat) > seen

        await self.fake.until(changed)
        current = self.fake.chat(chat).find(prompt.message_id)
        if current is not None and _button(current, "✅ Ya") is not None:
            # Asked first, as tests/e2e/helpers.approve answers (e.g. news done with fewer
            # items than the period's quota).
            await self.press(chat, "✅ Ya", edits=edits, on=current.message_id)
            return
        if edits and current is not None and _button(current, "Semua lengkap") is not None:
            await self.press(chat, "Semua lengkap", on=current.message_id)

    async def run(self) -> None:
        admin, fungsional, kabid, sekretaris, kadis = (o[0] for o in OFFICIALS.values())
        await self.say(self.me, "/ajukan", "surat permohonan")
        await self.upload(self.me, "Permohonan terkirim")
        await self.press(admin, "Terima")
        await self.press(fungsional, "Teruskan konsep")
        await self.press(kabid, "Paraf & teruskan")
        await self.press(sekretaris, "Paraf & teruskan")
        await self.press(kadis, "Tanda tangani")
        async with OFFICE_DESK:  # one attachment at a time: the admin's chat is one screen
            await self.press(admin, "Lampirkan", edits=False)
            await self.upload(admin, "dilampirkan")
        await self.press(admin, "Beri nomor & serahkan")
        await self.press(self.me, "Kirim berita", mark="", edits=False)
        await self.say(self.me, f"Bupati Sanggau meresmikan jembatan, liputan {self.outlet}")
        await self.say(self.me, f"https://{self.me}.example.id/berita/1")
        await self.say(self.me, "hari ini")
        await self.upload(self.me, "Berita tersimpan", photo=True)
        await self.press(self.me, "Selesai kirim berita", mark="")
        await self.press(admin, "SPJ siap dibayar")
        await self.press(self.me, "Pembayaran diterima", mark="")


OFFICE_DESK = asyncio.Lock()


# --- seeding --------------------------------------------------------------------------------


async def reset_postgres(url: str) -> None:
    from sqlalchemy import text

    from storage.db import create_engine

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def seed(url: str, files: Path, journalists: list[int]) -> dict[str, str]:
    """The SOP installed, invites for the five officials, journalists registered with their
    outlet and papers (as tests/e2e/conftest.py does); returns the invite codes."""
    from bot.config import Settings
    from bot.factory import build_product
    from handlers.officials import create_invite
    from storage.db import transaction
    from storage.models import MediaOutlet, User

    product = await build_product(Settings(database_url=url, files_dir=files))
    now = product.clock.now()
    codes = {}
    async with transaction(product.sessions) as s:
        for role, (_id, name) in OFFICIALS.items():
            codes[role] = (await create_invite(s, role, name, now, 72)).code
        for uid in journalists:
            user = User(
                telegram_id=uid,
                name=f"Wartawan {uid}",
                nik=f"{6101010101900000 + uid}"[:16],
                phone="+6281234567890",
                is_journalist=True,
                registered_at=now,
                created_at=now,
            )
            s.add(user)
            await s.flush()
            s.add(
                MediaOutlet(
                    owner_id=user.id,
                    name=outlet_of(uid),
                    kind="online",
                    website=f"https://{uid}.example.id",
                    created_at=now,
                )
            )
            for kind in ("press_card", "media_proof"):
                await product.app.deps.archive.add(
                    s,
                    owner_id=user.id,
                    kind=kind,
                    content=PDF,
                    file_name=f"{kind}.pdf",
                    mime_type="application/pdf",
                    now=now,
                )
    await product.close()
    return codes


def outlet_of(uid: int) -> str:
    return f"Media Kapuas {uid}"


# --- runs ----------------------------------------------------------------------------------


def quantiles(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


async def start(name: str, fake: CaseFake, env_extra: dict[str, str], workdir: Path) -> BotProcess:
    log = workdir / f"{name}.log"
    env = bot_env(name, fake, workdir, None)
    env.update(env_extra)
    out = log.open("wb")
    process = await asyncio.create_subprocess_exec(
        *bot_command(name), cwd=workdir, env=env, stdout=out, stderr=out
    )
    bot = BotProcess(name, process, time.perf_counter(), workdir, log)
    while not fake.calls("getUpdates"):
        if process.returncode is not None:
            raise RuntimeError(f"{name} exited: {log.read_text()[-3000:]}")
        await asyncio.sleep(0.01)
    return bot


async def stop(bot: BotProcess) -> None:
    if bot.process.returncode is None:
        bot.process.terminate()
        try:
            await asyncio.wait_for(bot.process.wait(), 20)
        except TimeoutError:
            bot.process.kill()
            await bot.process.wait()


async def measured(
    bot: BotProcess, fake: CaseFake, work: Callable[[], Awaitable[object]]
) -> dict[str, Any]:
    fake.latencies.clear()
    fake.kinds.clear()
    cpu0, began = bot.cpu_seconds(), time.perf_counter()
    await work()
    took = time.perf_counter() - began
    cpu = bot.cpu_seconds() - cpu0
    n = len(fake.latencies)
    return {
        "updates_per_s": round(n / took, 1),
        **quantiles(fake.latencies),
        "cpu_s_per_1000": round(cpu / n * 1000, 2),
        "peak_rss_mb": round(bot.proc("VmHWM") / 1024, 1),
        "updates": n,
        "mix": dict(fake.kinds),
        "seconds": round(took, 2),
    }


async def product_run(
    name: str, cases: int, postgres: str | None, profile: str | None = None
) -> dict[str, Any]:
    journalists = [50_000 + i for i in range(cases)]
    with tempfile.TemporaryDirectory(prefix=f"bench-cases-{name}-") as tmp:
        workdir = Path(tmp)
        url = postgres or f"sqlite+aiosqlite:///{workdir}/bench.db"
        if postgres:
            await reset_postgres(postgres)
        codes = await seed(url, workdir / "files", journalists)
        fake = CaseFake()
        async with fake:
            bot = await start(name, fake, {"DATABASE_URL": url}, workdir)
            try:
                for role, (uid, person) in OFFICIALS.items():
                    fake.user(uid, person.split()[0])
                    fake.timed_text(uid, f"/start {codes[role]}")
                    await fake.until(lambda: _said(fake, uid, "Selamat bergabung", 0))  # noqa: B023
                for uid in journalists:
                    fake.user(uid, f"Wartawan{uid}")
                runs = [Case(fake, uid, outlet_of(uid)) for uid in journalists]
                spy = await profiler(bot, profile) if profile else None
                figures = await measured(
                    bot, fake, lambda: asyncio.gather(*(case.run() for case in runs))
                )
                if spy is not None:
                    spy.send_signal(2)  # SIGINT: py-spy writes what it sampled
                    await spy.wait()
            finally:
                await stop(bot)
    return figures


async def echo_run(name: str, mix: dict[str, int], people: int) -> dict[str, Any]:
    """The product's update mix, spread over as many people, against a bare echo bot."""
    per_person = {kind: -(-count // people) for kind, count in mix.items()}
    with tempfile.TemporaryDirectory(prefix=f"bench-cases-{name}-") as tmp:
        workdir = Path(tmp)
        fake = CaseFake()
        async with fake:
            bot = await start(name, fake, {}, workdir)
            try:
                uids = [60_000 + i for i in range(people)]
                for uid in uids:
                    fake.user(uid, f"Orang{uid}")

                async def person(uid: int) -> None:
                    async def wait_answer(seen: int) -> None:
                        await fake.until(lambda: _count(fake, uid) > seen + 1)

                    seen = _count(fake, uid)
                    fake.timed_text(uid, "/mulai")
                    await wait_answer(seen)
                    last = fake.chat(uid).messages[-1]
                    for kind, count in per_person.items():
                        for _ in range(count - (1 if kind == "text" else 0)):
                            seen = _count(fake, uid)
                            if kind == "press":
                                answered = len(fake.latencies)
                                fake.timed_press(uid, last.message_id, "x")
                                await fake.until(lambda: len(fake.latencies) > answered)  # noqa: B023
                            else:
                                if kind == "text":
                                    fake.timed_text(uid, "teks")
                                else:
                                    fake.timed_upload(uid, photo=kind == "photo")
                                await wait_answer(seen)

                figures = await measured(
                    bot, fake, lambda: asyncio.gather(*(person(uid) for uid in uids))
                )
            finally:
                await stop(bot)
    return figures


async def run(args: argparse.Namespace) -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = []
    mix: dict[str, int] | None = None
    products = [b for b in args.bots if b.startswith("mitra-")]
    echoes = [b for b in args.bots if not b.startswith("mitra-")]
    for name in products:
        load = load_average()
        figures = await product_run(name, args.cases, args.postgres, args.profile)
        figures.update(load_before=load, load_after=load_average())
        mix = mix or figures["mix"]
        label = f"{name} ({'postgres' if args.postgres else 'sqlite'})"
        print(json.dumps({"bot": label, **figures}), flush=True)
        rows.append((label, figures))
    for name in echoes:
        load = load_average()
        figures = await echo_run(name, mix or {"text": 8, "press": 12, "document": 2}, args.cases)
        figures.update(load_before=load, load_after=load_average())
        print(json.dumps({"bot": name, **figures}), flush=True)
        rows.append((name, figures))
    return rows


def table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    base = next((f["updates_per_s"] for name, f in rows if name == "aiogram-echo"), None)
    lines = [
        "| bot | updates/s | x aiogram echo | p50 | p95 | p99 | CPU s/1000 | peak RSS | load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, f in rows:
        ratio = f"{f['updates_per_s'] / base:.2f}" if base else "-"
        lines.append(
            f"| {name} | {f['updates_per_s']} | {ratio} | {f['p50_ms']} ms | {f['p95_ms']} ms"
            f" | {f['p99_ms']} ms | {f['cpu_s_per_1000']} | {f['peak_rss_mb']} MB"
            f" | {f['load_before']}/{f['load_after']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--bots", nargs="+", default=list(BOTS), choices=BOTS)
    parser.add_argument("--postgres", help="run the product on this (emptied) bench_* database")
    parser.add_argument(
        "--profile", help="py-spy the product during the cases into PREFIX.<bot>.txt"
    )
    args = parser.parse_args()
    if args.postgres and "bench" not in args.postgres.rsplit("/", 1)[-1]:
        parser.error("--postgres must name a bench_* database: it is emptied")
    rows = asyncio.run(run(args))
    print(f"\nload average {load_average()}, {os.cpu_count()} cores\n")
    print(table(rows))


if __name__ == "__main__":
    main()
