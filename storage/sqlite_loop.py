"""SQLAlchemy's aiosqlite adapter, with a write transaction run on the event loop's own thread.

aiosqlite runs each call on its connection's own thread. Every hand-off there and back (a queue
put, a thread wake-up, the GIL changing hands, a wake-up of the event loop through its
self-pipe) cost more CPU than the statement itself: a statement of this bot takes microseconds
of SQLite on pages in memory. Worse, while the event loop was busy the thread waited for the
GIL (up to 5 ms) with SQLite's one write lock held, and every other update queued behind it.

So a write transaction (storage/db.py says BEGIN IMMEDIATE) runs where it is called: its BEGIN
with its first statement, every later statement, and its commit. Nothing on this thread may
wait for a lock, so the connection's busy timeout is 0 here. When SQLite answers "busy" before
anything was done (another process holds the write lock: an operator's command, a backup; or a
second connection of this process that wrote outside `storage.db.transaction`), the statement
goes to aiosqlite's thread, which waits with the connection's own busy timeout (sqlite3's
`timeout`) while the loop goes on. Once BEGIN IMMEDIATE went through, nothing can be busy: in
WAL mode the holder of the write lock never waits. The price: a long write transaction (a
migration, an import of many rows) holds the event loop for its length; it held every other
writer anyway, and the bot's own take milliseconds.

What stays on aiosqlite's thread, one trip per statement (BEGIN with the first): read-only
transactions (`storage.db.reading`: reports, sweeps, health checks, whose statements may be
long and should not stop the loop), statements outside a transaction, and server-side cursors
(`yield_per`, `stream`), which keep the adapter's own cursor.

A commit here must not sync the file, so SQLite's automatic checkpoint (which runs inside the
commit that fills the WAL) is off on these connections; every `CHECKPOINT_EVERY` write commits
of an engine, that commit goes to the thread and checkpoints the WAL there (PASSIVE: it never
waits for readers or writers).

What a statement returns is unchanged: description, rows (fetched at once, as the adapter's
default cursor already did), lastrowid and rowcount as sqlite3 gives them.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

_Result = tuple[Any, list[Any], int | None, int]
WRITE_BEGIN = "BEGIN IMMEDIATE"
# About what SQLite's own automatic checkpoint would do (1,000 pages): a reply's transaction
# writes a handful of pages.
CHECKPOINT_EVERY = 100
_BUSY = 5  # SQLITE_BUSY, the primary code of every "database is locked"


def _execute(
    connection: sqlite3.Connection, begin: str | None, sql: str, parameters: Any
) -> _Result:
    """The transaction's BEGIN if it is still to be said, then the whole statement, rows
    included."""
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        if cursor.description:
            return cursor.description, cursor.fetchall(), -1, -1
        return None, [], cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


def _executemany(
    connection: sqlite3.Connection, begin: str | None, sql: str, parameters: Sequence[Any]
) -> _Result:
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    try:
        cursor.executemany(sql, parameters)
        return None, [], cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


def _commit_and_checkpoint(connection: sqlite3.Connection) -> None:
    connection.commit()
    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _waiting(busy_ms: int, function: Callable[..., Any], *args: Any) -> Any:
    """On aiosqlite's thread: `function` with the connection's own busy timeout (it may wait
    for another process's lock there); back to 0 after, for the loop's statements."""
    connection: sqlite3.Connection = args[0]
    connection.execute(f"PRAGMA busy_timeout={busy_ms}")
    try:
        return function(*args)
    finally:
        connection.execute("PRAGMA busy_timeout=0")


def _busy(error: Exception) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.OperationalError) and code is not None and code & 0xFF == _BUSY


async def _here(function: Callable[..., Any], *args: Any) -> Any:
    # Called through an await all the same: SQLAlchemy's AsyncConnection refuses a call that
    # never awaited (AwaitRequired). A coroutine that does not suspend costs a greenlet switch,
    # not a trip to the event loop.
    return function(*args)


class _Commits:
    """An engine's write commits, counted for its checkpoints."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class LoopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _run(self, function: Any, operation: Any, parameters: Any) -> None:
        adapted: LoopConnection = self._adapt_connection  # type: ignore[assignment]
        begin, adapted.begin_sql = adapted.begin_sql, None
        if begin is not None:
            adapted.writing = begin == WRITE_BEGIN
        try:
            # `_conn` raises "no active connection" once closed, which the adapter maps.
            raw = adapted.raw()
            if adapted.writing:
                result = self.await_(
                    adapted.here_or_waiting(function, raw, begin, operation, parameters)
                )
            else:
                result = self.await_(adapted.on_thread(function, raw, begin, operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        description, rows, self.lastrowid, self.rowcount = result
        self.description = description
        self._rows = deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._run(_execute, operation, parameters)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._run(_executemany, operation, seq_of_parameters)


class LoopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("begin_sql", "busy_ms", "commits", "writing")

    def __init__(self, dbapi: Any, connection: Any, commits: _Commits) -> None:
        super().__init__(dbapi, connection)
        self.begin_sql: str | None = None  # said before the next statement, in the same call
        self.writing = False  # in a write transaction: its statements run on the loop's thread
        self.busy_ms: int | None = None  # the connection's own busy timeout, read on first use
        self.commits = commits

    def defer_begin(self, sql: str) -> None:
        self.begin_sql = sql

    def raw(self) -> sqlite3.Connection:
        connection: sqlite3.Connection = self._connection._conn  # type: ignore[attr-defined]
        if self.busy_ms is None:
            self.busy_ms = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
            connection.execute("PRAGMA busy_timeout=0")
            connection.execute("PRAGMA wal_autocheckpoint=0")
        return connection

    async def on_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        """aiosqlite's own queue, as SQLAlchemy's adapter uses it for isolation_level."""
        thread = self._connection
        return await thread._execute(_waiting, self.busy_ms, function, *args)

    async def here_or_waiting(
        self,
        function: Callable[..., Any],
        raw: sqlite3.Connection,
        begin: str | None,
        operation: Any,
        parameters: Any,
    ) -> Any:
        try:
            return function(raw, begin, operation, parameters)
        except sqlite3.OperationalError as error:
            # Busy before anything was done: the BEGIN, or a first statement a BEGIN that went
            # through could not follow. Anything later holds the write lock and is never busy.
            if not _busy(error) or begin is None:
                raise
        if raw.in_transaction:
            raw.rollback()
        return await self.on_thread(function, raw, begin, operation, parameters)

    def _open(self) -> bool:
        """Whether there is a transaction to end (no BEGIN said yet: none, and none to say)."""
        if self.begin_sql is not None:
            self.begin_sql = None
            self.writing = False
            return False
        try:
            # Read on this thread: nothing else runs on the connection while SQLAlchemy ends
            # its transaction.
            return bool(self.raw().in_transaction)
        except Exception as error:
            self._handle_exception(error)

    def commit(self) -> None:
        wrote, self.writing = self.writing, False
        if not self._open():
            return
        try:
            if wrote:
                self.commits.count += 1
                if self.commits.count % CHECKPOINT_EVERY == 0:
                    self.await_(self.on_thread(_commit_and_checkpoint, self.raw()))
                    return
            self.await_(self._end_here(self.raw().commit))
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        self.writing = False
        if not self._open():
            return
        try:
            self.await_(_here(self.raw().rollback))
        except Exception as error:
            self._handle_exception(error)

    async def _end_here(self, end: Callable[[], None]) -> None:
        try:
            end()
        except sqlite3.OperationalError as error:
            # Only a rollback-journal database (not WAL) can make a commit wait for readers.
            if not _busy(error):
                raise
            await self.on_thread(lambda _connection: end(), self.raw())

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            return super().cursor(server_side=True)
        return LoopCursor(self)


class LoopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Passed to create_async_engine as `module`: the dialect stays SQLAlchemy's aiosqlite."""

    def __init__(self, aiosqlite: Any, sqlite: Any) -> None:
        super().__init__(aiosqlite, sqlite)
        self.commits = _Commits()

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        # The connection is made on aiosqlite's thread and also used on the event loop's, never
        # by both at once (each call is awaited before the next).
        kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        if type(adapted) is not AsyncAdapt_aiosqlite_connection:
            return adapted  # async_fallback (sync tests of SQLAlchemy's own): left as it was
        return LoopConnection(self, adapted._connection, self.commits)


def dbapi() -> LoopDBAPI:
    return LoopDBAPI(aiosqlite, sqlite3)
