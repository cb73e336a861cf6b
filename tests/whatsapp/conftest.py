"""Fixtures: the fake Cloud API, a client for it, the webhook receiver it posts to, and a
database with the table of WhatsApp message ids."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.whatsapp import core
from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.fake import FakeWhatsApp
from bot.whatsapp.inbound import Event
from bot.whatsapp.webhook import WhatsAppWebhook

ALICE = "6281234500001"  # made-up numbers: the fake plays these people
BUDI = "6281234500002"
VERIFY_TOKEN = "verify-me-please"


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhatsApp]:
    async with FakeWhatsApp() as server:
        yield server


@pytest.fixture
async def client(fake: FakeWhatsApp) -> AsyncIterator[WhatsAppClient]:
    async with WhatsAppClient(fake.phone_id, fake.token, base_url=fake.base_url) as c:
        yield c


@dataclass
class Receiver:
    hook: WhatsAppWebhook
    url: str
    events: list[Event] = field(default_factory=list)


@pytest.fixture
async def receiver(fake: FakeWhatsApp) -> AsyncIterator[Receiver]:
    """The bot's webhook receiver on a free port, verified by the fake as Meta does."""
    events: list[Event] = []
    hook = WhatsAppWebhook(VERIFY_TOKEN, fake.app_secret, events.append)
    runner = web.AppRunner(hook.application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}{hook.path}"
    assert await fake.verify_webhook(url, VERIFY_TOKEN)
    try:
        yield Receiver(hook, url, events)
    finally:
        await runner.cleanup()


@pytest.fixture
async def wa_sessions(
    sessions: async_sessionmaker[AsyncSession], db_engine: AsyncEngine
) -> async_sessionmaker[AsyncSession]:
    """The test database with the wa_message table: until the core's migration (i13_1) adds it,
    bot/whatsapp/core.py's stand-in model is created here."""
    if core.WA_MESSAGE_SHIM:
        async with db_engine.begin() as conn:
            await conn.run_sync(core.WaMessage.metadata.create_all)
            await conn.execute(text("DELETE FROM wa_message"))
    return sessions
