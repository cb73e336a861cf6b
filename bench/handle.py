"""CPU per update of the chat application itself, in one process, without a framework or the
fake Bot API: `MitraApp.handle` on a fresh SQLite database, one update after another.

  read   /bantuan from strangers (500 of them, each several times): the read-only update
  press  an official ticking and unticking kelengkapan items on a submitted case's prompt: a
         write update (the task's checklist, an audit event, the prompt redrawn as an edit)

Prints the process's CPU and the wall time per update. CPU includes aiosqlite's thread, so it
counts the hand-offs to it; on a shared machine compare runs made in the same minutes.

.venv/bin/python bench/handle.py [--updates 2000] [--kind read press] [--profile PREFIX]
(--profile: cProfile of the timed updates into PREFIX.<kind>.prof; snakeviz or pstats read it)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The suite's data key, as the other benches' bots use their own: NIKs are encrypted with it.
os.environ.setdefault("DATA_KEY", "bWl0cmFtZWRpYS10ZXN0LWRhdGEta2V5LTMyYnl0ZXM=")
os.environ.setdefault("DRAW_WORKERS", "0")

from sqlalchemy import select  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.factory import Product, build_product  # noqa: E402
from handlers.callbacks import Callback, Op  # noqa: E402
from handlers.events import CallbackEvent, Event, MessageEvent, Sender  # noqa: E402
from storage.models import Task  # noqa: E402
from tests.factories import new_case  # noqa: E402


async def _no_files(*_args: object, **_kwargs: object) -> object:
    raise RuntimeError("no file is fetched in this bench")


async def readers(product: Product) -> Callable[[int], Event]:
    def event(n: int) -> Event:
        uid = 70_000 + n % 500
        return MessageEvent(Sender(uid, "Orang"), uid, n, text="/bantuan", update_id=n)

    return event


async def presses(product: Product) -> Callable[[int], Event]:
    spec = product.app.deps.spec
    officials, _journalist, case_id = await new_case(product.sessions, spec, product.clock.now())
    async with product.sessions() as session:
        task = await session.scalar(
            select(Task).where(Task.case_id == case_id, Task.status == "open")
        )
    assert task is not None
    keys = [k.key for k in spec.step(task.step_number).kelengkapan if not k.document]
    who = officials[task.role].telegram_id

    def event(n: int) -> Event:
        data = Callback(Op.check, task.id, keys[n % len(keys)]).pack()
        return CallbackEvent(Sender(who, "Pejabat"), who, 77, f"q{n}", data, update_id=n)

    return event


KINDS = {"read": readers, "press": presses}


async def run(kind: str, updates: int, profile: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-handle-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        product = await build_product(Settings(database_url=url, files_dir=Path(tmp) / "files"))
        try:
            event = await KINDS[kind](product)
            for n in range(1, 201):  # warm: caches, the first compiles, the pool
                await product.app.handle(event(n), _no_files)  # type: ignore[arg-type]
            spy = cProfile.Profile() if profile else None
            cpu, wall = time.process_time(), time.perf_counter()
            if spy:
                spy.enable()
            for n in range(201, 201 + updates):
                await product.app.handle(event(n), _no_files)  # type: ignore[arg-type]
            if spy:
                spy.disable()
                spy.dump_stats(f"{profile}.{kind}.prof")
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        finally:
            await product.engine.dispose()
    print(
        f"{kind:5s} {updates} updates: {cpu / updates * 1000:.2f} ms CPU, "
        f"{wall / updates * 1000:.2f} ms wall per update (load {os.getloadavg()[0]:.2f})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--kind", nargs="+", choices=list(KINDS), default=list(KINDS))
    parser.add_argument("--profile")
    args = parser.parse_args()
    for kind in args.kind:
        asyncio.run(run(kind, args.updates, args.profile))


if __name__ == "__main__":
    main()
