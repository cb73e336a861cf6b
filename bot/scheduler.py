"""The SLA sweep on a timer inside the bot process (APScheduler 3, AsyncIOScheduler).

The scheduler keeps no job state of its own: deadlines and sent notices live in the database,
so a restart loses nothing and repeats nothing. Several processes may run it on one PostgreSQL
database; the notice claims make each message go out once.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.sla import SweepResult, sweep
from workflow.clock import Clock
from workflow.spec import SopSpec

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class SlaScheduler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        spec: SopSpec,
        on_queued: Callable[[], None],
        every_seconds: int = 30,
    ) -> None:
        self.sessions, self.clock, self.spec, self.on_queued = sessions, clock, spec, on_queued
        self.every_seconds = every_seconds
        self.worker = worker_name()
        self.last_sweep_at: datetime | None = None  # /healthz: reminders still run
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    async def tick(self) -> SweepResult:
        """One sweep (its notices queued in the outbox); a failure is logged and the next tick
        tries again."""
        now = self.clock.now()
        try:
            result = await sweep(self.sessions, now, self.spec, self.worker)
        except Exception:
            log.exception("SLA sweep failed")  # last_sweep_at stays: /healthz shows it aging
            return SweepResult([], [])
        self.last_sweep_at = now
        if result.claimed:
            log.info("SLA sweep: %d notices (%s)", len(result.claimed), ", ".join(result.claimed))
        if result.replies:
            self.on_queued()
        return result

    def start(self) -> None:
        self._scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.every_seconds,
            id="sla-sweep",
            max_instances=1,  # a slow sweep is not overlapped by the next one
            coalesce=True,
        )
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
