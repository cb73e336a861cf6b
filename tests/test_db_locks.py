"""On SQLite a transaction that only reads takes no write lock: reports, sweeps and health checks
run beside an update that writes, instead of queueing behind it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from storage.db import create_engine, reading, session_factory, transaction
from storage.migrate import upgrade
from storage.models import Counter


async def test_a_read_runs_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'locks.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url, connect_args={"timeout": 2})
    sessions = session_factory(engine)
    writing, read_done = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with transaction(sessions) as session:
            session.add(Counter(scope="agenda", year=2026, value=1))
            await session.flush()
            writing.set()
            await read_done.wait()  # the write lock is held until the reader has finished

    async def reader() -> int:
        await writing.wait()
        async with reading(sessions) as session:
            count = await session.scalar(select(func.count(Counter.id)))
        read_done.set()
        return int(count or 0)

    try:
        _, seen = await asyncio.wait_for(asyncio.gather(writer(), reader()), 20)
    finally:
        await engine.dispose()
    assert seen == 0  # it read the last committed state, beside the uncommitted write
