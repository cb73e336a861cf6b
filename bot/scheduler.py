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
from storage.archive import Archive
from workflow.clock import Clock
from workflow.retention import RetentionRun
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
        archive: Archive | None = None,
    ) -> None:
        self.sessions, self.clock, self.spec, self.on_queued = sessions, clock, spec, on_queued
        self.every_seconds = every_seconds
        self.archive = archive  # None: no retention job (tests of the sweep alone)
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
        await self.deputies_tick()
        if result.claimed:
            log.info("SLA sweep: %d notices (%s)", len(result.claimed), ", ".join(result.claimed))
        if result.replies:
            self.on_queued()
        return result

    async def deputies_tick(self) -> int:
        """Deputies whose period has begun get the role's open tasks (once each)."""
        from handlers.deputies import prompt_started
        from handlers.outbox import enqueue
        from storage.db import transaction

        now = self.clock.now()
        try:
            async with transaction(self.sessions) as session:
                replies = await prompt_started(session, now)
                await enqueue(session, replies, now)
        except Exception:
            log.exception("deputies' prompts failed")
            return 0
        if replies:
            self.on_queued()
        return len(replies)

    async def retention_tick(self) -> RetentionRun:
        """The SOP's retention of identity files (daily); counts are logged, never names."""
        from storage.db import transaction
        from workflow.retention import apply

        if self.archive is None:
            return RetentionRun()
        try:
            async with transaction(self.sessions) as session:
                return await apply(session, self.archive, self.spec, self.clock.now())
        except Exception:
            log.exception("retention run failed")
            return RetentionRun()

    def start(self) -> None:
        self._scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.every_seconds,
            id="sla-sweep",
            max_instances=1,  # a slow sweep is not overlapped by the next one
            coalesce=True,
        )
        if self.archive is not None and self.spec.retention.id_documents_years:
            self._scheduler.add_job(
                self.retention_tick,
                "cron",
                hour=1,  # at night in the office's zone, once a day
                timezone=self.spec.office.timezone,
                id="retention",
                max_instances=1,
                coalesce=True,
            )
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
