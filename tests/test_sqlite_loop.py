"""The SQLite adapter that runs a write transaction on the event loop's thread
(storage/sqlite_loop.py) keeps what transactions promised: the write lock is held from the
first statement, a failed transaction leaves nothing behind and no lock, statements return their
rows and counts; a write that finds another process's lock waits for it without stopping the
bot; the WAL is checkpointed although SQLite's own checkpoint is off."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import sqlite_loop
from storage.db import create_engine, reading, session_factory, transaction
from storage.migrate import upgrade
from storage.models import Counter
from storage.sqlite_loop import LoopConnection


@pytest.fixture
async def url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}"
    await asyncio.to_thread(upgrade, url)
    return url


@pytest.fixture
async def engines(url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines on one file, as two processes (the bot and the CLI) have; the second gives up
    on a lock after a moment instead of 30 s."""
    first, second = create_engine(url), create_engine(url, connect_args={"timeout": 0.2})
    yield first, second
    await first.dispose()
    await second.dispose()


async def count(engine: AsyncEngine) -> int:
    async with reading(session_factory(engine)) as session:
        return int(await session.scalar(select(func.count(Counter.id))) or 0)


async def test_the_adapter_is_the_loop_one(engines: tuple[AsyncEngine, AsyncEngine]) -> None:
    async with engines[0].connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.dbapi_connection, LoopConnection)


async def test_a_transaction_that_has_read_holds_the_write_lock(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    """BEGIN IMMEDIATE goes with the first statement, even a read: a writer elsewhere waits
    (here: gives up), so the read-then-write can never fail half way with SQLITE_BUSY."""
    mine, other = (session_factory(e) for e in engines)
    async with transaction(mine) as session:
        assert await session.scalar(select(func.count(Counter.id))) == 0
        with pytest.raises(OperationalError, match="locked"):
            async with transaction(other) as elsewhere:
                elsewhere.add(Counter(scope="agenda", year=2026, value=1))
        session.add(Counter(scope="agenda", year=2026, value=7))
    async with reading(mine) as session:
        assert await session.scalar(select(Counter.value)) == 7


async def test_a_failed_transaction_leaves_nothing_and_no_lock(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    mine, other = (session_factory(e) for e in engines)
    async with transaction(mine) as session:
        session.add(Counter(scope="agenda", year=2026, value=1))
    with pytest.raises(IntegrityError):
        async with transaction(mine) as session:
            session.add(Counter(scope="mou", year=2026, value=1))
            await session.flush()
            session.add(Counter(scope="agenda", year=2026, value=2))  # the unique key
    async with transaction(other) as session:  # not locked out by what failed
        session.add(Counter(scope="pks", year=2026, value=1))
    async with reading(mine) as session:
        scopes = set(await session.scalars(select(Counter.scope)))
    assert scopes == {"agenda", "pks"}


async def test_a_transaction_that_said_nothing_holds_no_lock(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    mine, other = (session_factory(e) for e in engines)
    async with transaction(mine):
        async with transaction(other) as session:
            session.add(Counter(scope="agenda", year=2026, value=1))
    async with transaction(mine) as session:  # and the connection it used starts afresh
        session.add(Counter(scope="mou", year=2026, value=1))
    assert await count(engines[1]) == 2


async def test_statements_return_rows_and_counts(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    sessions = session_factory(engines[0])
    async with transaction(sessions) as session:
        await session.execute(
            insert(Counter), [{"scope": f"s{n}", "year": 2026, "value": n} for n in range(5)]
        )
        changed = await session.execute(
            update(Counter).where(Counter.value >= 3).values(value=Counter.value + 10)
        )
        assert changed.rowcount == 2  # type: ignore[attr-defined]
        returned = await session.execute(
            insert(Counter).values(scope="x", year=2027, value=99).returning(Counter.id)
        )
        new_id = returned.scalar_one()
        gone = await session.execute(delete(Counter).where(Counter.value == 0))
        assert gone.rowcount == 1  # type: ignore[attr-defined]
    async with reading(sessions) as session:
        values = list(await session.scalars(select(Counter.value).order_by(Counter.id)))
        assert values == [1, 2, 13, 14, 99]
        assert await session.scalar(select(Counter.scope).where(Counter.id == new_id)) == "x"
        streamed = [row async for row in await session.stream_scalars(select(Counter.value))]
        assert sorted(streamed) == [1, 2, 13, 14, 99]


async def test_core_statements_on_a_connection_run_after_the_lock_is_taken(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    """AsyncConnection.execute insists that each call awaited something (the migrations and
    operator commands use it); a write transaction's statements run on this thread and must
    still count as having awaited."""
    async with engines[0].begin() as connection:
        await connection.execute(insert(Counter).values(scope="agenda", year=2026, value=1))
        await connection.execute(text("UPDATE counter SET value = value + 1"))
        await connection.exec_driver_sql("UPDATE counter SET value = value + 1")
        assert (await connection.execute(select(Counter.value))).scalar_one() == 3


async def test_a_write_waits_for_another_process_without_stopping_the_bot(url: str) -> None:
    """An operator's command (another process) holds the write lock: an update's transaction
    waits for it on aiosqlite's thread, while the event loop goes on answering (here: a read
    finishes before the other process lets go), then commits."""
    path = url.removeprefix("sqlite+aiosqlite:///")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    engine = create_engine(url)
    sessions = session_factory(engine)
    began = asyncio.Event()

    async def update() -> None:
        began.set()
        async with transaction(sessions) as session:
            session.add(Counter(scope="agenda", year=2026, value=1))

    try:
        writer = asyncio.create_task(update())
        await began.wait()
        await asyncio.sleep(0)  # the writer has asked for the lock
        assert await asyncio.wait_for(count(engine), 10) == 0  # the loop is not stuck
        assert not writer.done()
        other.execute("ROLLBACK")
        await asyncio.wait_for(writer, 10)
        assert await count(engine) == 1
    finally:
        other.close()
        await engine.dispose()


async def _wal_after_commits(url: str, commits: int) -> int:
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        for n in range(commits):
            async with transaction(sessions) as session:
                session.add(Counter(scope=f"s{n}", year=2026, value=n))
        # Read while the bot is still connected: the last connection to close checkpoints
        # and removes the WAL.
        wal = Path(url.removeprefix("sqlite+aiosqlite:///") + "-wal")
        return (await asyncio.to_thread(wal.stat)).st_size
    finally:
        await engine.dispose()


async def test_the_wal_is_checkpointed_every_so_many_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's own checkpoint is off on the bot's connections (it would sync the file inside a
    commit, on the event loop's thread): without the adapter's own, the WAL would grow with
    every commit until the bot stops."""
    urls = []
    for name in ("checkpointed", "never"):
        url = f"sqlite+aiosqlite:///{tmp_path / name}.db"
        await asyncio.to_thread(upgrade, url)
        urls.append(url)
    monkeypatch.setattr(sqlite_loop, "CHECKPOINT_EVERY", 10)
    checkpointed = await _wal_after_commits(urls[0], 200)
    monkeypatch.setattr(sqlite_loop, "CHECKPOINT_EVERY", 10**9)
    never = await _wal_after_commits(urls[1], 200)
    assert checkpointed * 4 < never
