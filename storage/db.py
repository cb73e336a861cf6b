"""Engine and session factories for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_loop


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # A failed statement's error text never carries its values (NIK, phone, typed text) into
    # the logs or any other error sink.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            private_file(Path(database))
        kwargs.setdefault("connect_args", {"timeout": 30})
        if parsed.get_driver_name() == "aiosqlite":
            # A write transaction runs on the event loop's thread (storage/sqlite_loop.py).
            kwargs.setdefault("module", sqlite_loop.dbapi())
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def private_file(path: Path) -> None:
    """The SQLite file (and so its -wal/-shm, which SQLite makes with its mode) readable by the
    service's user only, its folder too, whatever the umask."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        os.chmod(path.parent, 0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own BEGIN handling is off so that _sqlite_begin_immediate decides instead
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit (about 4.6 ms here, three
    # commits per reply: update, lease, sent). A commit survives a crash of the process (the
    # outbox's guarantee); only a power cut or OS crash may lose the last ones, never corrupt.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One state change = one transaction: commit on success, roll back on any error.

    On SQLite the writers of this process take turns in a FIFO queue before BEGIN IMMEDIATE.
    SQLite has one writer at a time anyway; without the queue, the connections that find the
    write lock taken wait in SQLite's busy handler, which sleeps (1, 2, 5 ... 100 ms) rather
    than being woken, so under load most of an update's time was spent asleep. Other
    processes on the same file still wait in the busy handler, as before."""
    lock = _writer_lock(sessions)
    if lock is None:
        async with sessions() as session, session.begin():
            yield session
        return
    async with lock:
        token = _writing.set(True)
        try:
            async with sessions() as session, session.begin():
                yield session
        finally:
            _writing.reset(token)


# The SQLite engines' writer queues, one per engine and event loop (an asyncio.Lock belongs to
# one loop; tests run several).
_LOCKS: weakref.WeakKeyDictionary[Any, dict[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)
# Set while this task holds a writer's turn: a transaction opened inside another one (which
# SQLite cannot run beside it anyway) does not queue behind itself for ever.
_writing: ContextVar[bool] = ContextVar("mitramedia_writing", default=False)


def _writer_lock(sessions: async_sessionmaker[AsyncSession]) -> asyncio.Lock | None:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine) or bind.dialect.name != "sqlite" or _writing.get():
        return None
    loops = _LOCKS.setdefault(bind.sync_engine, {})
    loop = asyncio.get_running_loop()
    lock = loops.get(loop)
    if lock is None:
        for old in [lp for lp in loops if lp.is_closed()]:
            del loops[old]
        lock = loops[loop] = asyncio.Lock()
    return lock


@asynccontextmanager
async def reading(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A transaction that only reads: on SQLite it takes no write lock, so reports, sweeps and
    health checks never queue behind (or hold up) the updates that write."""
    async with sessions() as session:
        await session.connection(execution_options={READ_ONLY: True})
        yield session


READ_ONLY = "mitramedia_read_only"


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads, then writes, fails at once with SQLITE_BUSY when another
    # connection wrote meanwhile; taking the write lock up front makes it wait (busy_timeout).
    # Reads (see reading()) stay deferred: WAL lets them run beside a writer.
    read_only = connection.get_execution_options().get(READ_ONLY)
    sql = "BEGIN" if read_only else sqlite_loop.WRITE_BEGIN
    adapted = connection.connection.dbapi_connection
    if isinstance(adapted, sqlite_loop.LoopConnection):
        adapted.defer_begin(sql)  # said with the first statement, in the same call
    else:
        connection.exec_driver_sql(sql)
