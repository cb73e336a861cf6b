"""SQLAlchemy's aiosqlite adapter with one trip to aiosqlite's thread per statement, not three
or four.

aiosqlite runs each call on its connection's own thread; SQLAlchemy's adapter makes a cursor,
executes, fetches and closes it as four separate calls, each a hand-off to that thread and back
(a queue put, a thread wake-up, the GIL changing hands, a wake-up of the event loop through its
self-pipe). A statement on SQLite itself takes microseconds here; those hand-offs were most of
an update's CPU (a `/bantuan` was 23 of them). Here the thread does all four in one call.

The transaction's BEGIN (storage/db.py issues BEGIN IMMEDIATE) travels with its first statement
instead of alone, and a commit or rollback with nothing to end (the pool's rollback when a
connection comes back after its commit) does not travel at all.

And once a write transaction holds SQLite's write lock (its BEGIN IMMEDIATE went through with
the first statement), its further statements run on the event loop's thread, without a trip:
in WAL mode a transaction holding the write lock never waits for another lock, and a statement
of this bot's takes microseconds of SQLite (the ORM's work on its rows, on this thread anyway,
costs more). The commit still goes to the thread: it may checkpoint the WAL, which syncs the
file. A `/bantuan` is two trips (it was 23), a checklist tick two (it was about 75).

What a statement returns is unchanged: description, rows (fetched at once, as the adapter's
default cursor already did), lastrowid and rowcount as sqlite3 gives them. Server-side cursors
(`yield_per`, `stream`) keep the adapter's own cursor.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

_Result = tuple[Any, list[Any], int | None, int]
WRITE_BEGIN = "BEGIN IMMEDIATE"


def _execute(
    connection: sqlite3.Connection, begin: str | None, sql: str, parameters: Any
) -> _Result:
    """Runs on aiosqlite's thread: the transaction's BEGIN if it is still to be said, then the
    whole statement, rows included."""
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


async def _here(
    function: Any, connection: sqlite3.Connection, sql: str, parameters: Any
) -> _Result:
    return function(connection, None, sql, parameters)  # type: ignore[no-any-return]


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _run(self, function: Any, operation: Any, parameters: Any) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        begin, adapted.begin_sql = adapted.begin_sql, None
        result: Any
        try:
            # `_conn` raises "no active connection" once closed, which the adapter maps.
            if adapted.holds_write_lock:
                # Run here, but through an await all the same: SQLAlchemy's AsyncConnection
                # refuses a call that never awaited (AwaitRequired). A coroutine that does not
                # suspend costs a greenlet switch, not a trip to the event loop.
                result = self.await_(_here(function, connection._conn, operation, parameters))
            else:
                # aiosqlite's own queue, as SQLAlchemy's adapter uses it for isolation_level.
                result = self.await_(
                    connection._execute(function, connection._conn, begin, operation, parameters)
                )
                adapted.holds_write_lock = begin == WRITE_BEGIN
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        description, rows, self.lastrowid, self.rowcount = result
        self.description = description
        self._rows = deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._run(_execute, operation, parameters)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._run(_executemany, operation, seq_of_parameters)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("begin_sql", "holds_write_lock")

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.begin_sql: str | None = None  # said on the thread before the next statement
        # Set once BEGIN IMMEDIATE has succeeded: until the commit or rollback nothing this
        # connection runs can wait for a lock, so its statements run right here.
        self.holds_write_lock = False

    def defer_begin(self, sql: str) -> None:
        self.begin_sql = sql

    def _open(self) -> bool:
        """Whether there is a transaction to end (no BEGIN said yet: none, and none to say)."""
        self.holds_write_lock = False
        if self.begin_sql is not None:
            self.begin_sql = None
            return False
        try:
            # Read on this thread: nothing else runs on the connection while SQLAlchemy ends
            # its transaction.
            return bool(self._connection._conn.in_transaction)  # type: ignore[attr-defined]
        except Exception as error:
            self._handle_exception(error)

    def commit(self) -> None:
        if self._open():
            super().commit()

    def rollback(self) -> None:
        if self._open():
            super().rollback()

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            return super().cursor(server_side=True)
        return OneHopCursor(self)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Passed to create_async_engine as `module`: the dialect stays SQLAlchemy's aiosqlite."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        # The connection is made on aiosqlite's thread and also used on the event loop's, never
        # by both at once (each call is awaited before the next).
        kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        if type(adapted) is not AsyncAdapt_aiosqlite_connection:
            return adapted  # async_fallback (sync tests of SQLAlchemy's own): left as it was
        return OneHopConnection(self, adapted._connection)


def dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
