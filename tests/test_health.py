"""`GET /healthz` (webhook mode): database, outbox backlog and its oldest row, last SLA sweep.

Over HTTP against the webhook server, on both databases, with an injected clock: what a
monitoring probe sees as a process goes from healthy to stuck and back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.health import HealthRules, product_health, rules_for
from bot.scheduler import SlaScheduler
from bot.webhook import WebhookConfig, WebhookServer
from handlers.outbox import enqueue
from handlers.replies import SendMessage
from storage import ledger
from storage.db import create_engine, session_factory, transaction
from workflow.clock import ManualClock
from workflow.loader import load_spec, resolve_sop

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ALICE, BOB = 1001, 1002


async def probe(health: Any) -> tuple[int, dict[str, Any]]:
    server = WebhookServer(WebhookConfig("http://127.0.0.1/hook", health=health), lambda raw: None)
    async with TestClient(TestServer(server.application())) as client:
        response = await client.get("/healthz")
        return response.status, await response.json()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def scheduler(sessions: async_sessionmaker[AsyncSession], clock: ManualClock) -> SlaScheduler:
    spec = load_spec(resolve_sop("sanggau-hubungan-media"))
    return SlaScheduler(sessions, clock, spec, lambda: None, every_seconds=30)


async def test_healthz_reports_backlog_age_and_sweep_and_fails_when_stuck(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, scheduler: SlaScheduler
) -> None:
    health = product_health(sessions, clock, scheduler, rules_for(30))
    status, report = await probe(health)
    assert status == 200, report
    assert report["database"] == "ok"
    assert report["outbox"] == {
        "pending": 0,
        "oldest_pending_age_seconds": None,
        "waiting_for_unreachable_chats": 0,
    }
    assert report["last_sweep_at"] is None  # a young process has not swept yet: fine

    await scheduler.tick()
    async with transaction(sessions) as s:
        await enqueue(s, [SendMessage(ALICE, "satu"), SendMessage(BOB, "dua")], clock.now())
    clock.advance(minutes=4)
    await scheduler.tick()
    status, report = await probe(health)
    assert status == 200, report
    assert report["outbox"]["pending"] == 2
    assert report["outbox"]["oldest_pending_age_seconds"] == 240.0
    assert report["last_sweep_at"] == clock.now().isoformat()

    clock.advance(minutes=12)  # 16 minutes and not delivered; and no sweep for 12 minutes
    status, report = await probe(health)
    assert status == 503
    assert report["reasons"] == ["outbox", "sla_sweep"]
    assert report["last_sweep_age_seconds"] == 720.0

    # Both people blocked the bot: their rows wait for them by design, not a fault.
    async with transaction(sessions) as s:
        for chat in (ALICE, BOB):
            await ledger.mark_unreachable(s, chat, "blocked", clock.now(), "telegram")
    await scheduler.tick()
    status, report = await probe(health)
    assert status == 200, report
    assert report["outbox"] == {
        "pending": 2,
        "oldest_pending_age_seconds": None,
        "waiting_for_unreachable_chats": 2,
    }


async def test_a_process_that_never_swept_is_unhealthy_once_it_should_have(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, scheduler: SlaScheduler
) -> None:
    health = product_health(sessions, clock, scheduler, HealthRules())
    clock.advance(minutes=6)
    status, report = await probe(health)
    assert (status, report["reasons"]) == (503, ["sla_sweep"])


async def test_healthz_is_503_when_the_database_does_not_answer(
    tmp_path: Path, clock: ManualClock
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    try:
        status, report = await probe(product_health(session_factory(engine), clock))
    finally:
        await engine.dispose()
    assert status == 503
    assert report["reasons"] == ["database"]
    assert report["database"] == "OperationalError"
    assert "outbox" not in report


def test_the_sweep_rule_follows_the_sweep_interval() -> None:
    assert rules_for(30).sweep_late_after == timedelta(minutes=5)
    assert rules_for(600).sweep_late_after == timedelta(minutes=30)
