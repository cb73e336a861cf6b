"""Where documents are drawn: in a small pool of worker processes, so that WeasyPrint, fontTools
and python-docx (about 100 ms of CPU per document, all of it holding the GIL) do not stall
every other user's update in the bot's event loop.

What crosses into a worker is plain picklable data (a module-level function and its
arguments: ``workflow.records`` dataclasses, paths, bytes) and what comes back is bytes. The
archive write and the database rows stay in the bot process (handlers.documents), so the
archive-follows-transaction rule of storage.archive is unchanged.

The pool is created on first use (a bot that draws nothing starts no process) with the
``spawn`` start method: a forked child would inherit the running asyncio loop, the database
connections and the HTTP sessions of the bot. ``workers=0`` draws in a thread of this process
instead (tests, the playground, a one-shot CLI: no process to start and warm up).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def _worker_start(warm: bool) -> None:
    """Ctrl-C reaches the whole process group: the bot stops its workers itself, after the
    drawing in flight is done (bot.runtime), so a worker ignores SIGINT. Then, with ``warm``,
    the drawing libraries are loaded once, not while the first receipt waits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if warm:
        from workflow import documents

        documents.warm_up()


class DrawPool:
    """Runs drawing functions off the bot's GIL; ``close()`` at shutdown."""

    def __init__(self, workers: int = 0, *, warm: bool = True) -> None:
        self.workers = max(0, workers)
        self.warm = warm  # tests of the pool itself skip loading WeasyPrint in each worker
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_start,
                initargs=(self.warm,),
            )
        return self._pool

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker (or a thread, with no workers). An error ``fn`` raises comes
        back as itself. A worker that dies (killed, out of memory) breaks the whole pool: it is
        replaced and the drawing tried once more, since the document is not at fault; a second
        death raises BrokenProcessPool, which the caller handles like any failed drawing."""
        if self.workers == 0:
            return await asyncio.to_thread(fn, *args)
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self._executor()
            try:
                return await loop.run_in_executor(pool, partial(fn, *args))
            except BrokenProcessPool:
                log.warning("a drawing worker died (attempt %s); starting a new pool", attempt)
                if self._pool is pool:  # jobs failing together replace it once
                    self._pool = None
                    pool.shutdown(wait=False, cancel_futures=True)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stops the workers (after the drawing in flight finished); a later run starts anew."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
