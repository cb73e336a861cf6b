"""The drawing pool (workflow.drawing): documents are drawn in another process, an error a
drawing raises comes back as itself, and a worker that dies does not lose the document."""

from __future__ import annotations

import os
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest

from workflow.drawing import DrawPool


async def test_drawing_runs_in_a_worker_process_that_outlives_one_document() -> None:
    pool = DrawPool(1, warm=False)
    try:
        first = await pool.run(os.getpid)
        assert first != os.getpid()
        assert await pool.run(os.getpid) == first  # long-lived: fonts and templates stay loaded
    finally:
        pool.close()
    assert await pool.run(len, b"abc") == 3  # closed: a later drawing starts a new pool


async def test_an_error_in_a_drawing_comes_back_as_itself() -> None:
    pool = DrawPool(1, warm=False)
    try:
        with pytest.raises(ValueError):
            await pool.run(int, "bukan angka")
        assert await pool.run(int, "7") == 7  # the worker is still there
    finally:
        pool.close()


async def test_a_killed_worker_does_not_lose_the_next_drawing() -> None:
    pool = DrawPool(1, warm=False)
    try:
        worker = await pool.run(os.getpid)
        os.kill(worker, signal.SIGKILL)  # out of memory, or killed by an operator
        again = await pool.run(os.getpid)
        assert again != worker
    finally:
        pool.close()


async def test_a_drawing_that_kills_its_worker_every_time_fails_like_any_drawing() -> None:
    pool = DrawPool(1, warm=False)
    try:
        with pytest.raises(BrokenProcessPool):
            await pool.run(os._exit, 3)
        assert await pool.run(len, b"ab") == 2  # and the next document is drawn
    finally:
        pool.close()


async def test_without_workers_drawing_stays_in_this_process() -> None:
    assert await DrawPool(0).run(os.getpid) == os.getpid()
