"""Fixtures: a running fake server and real aiogram / python-telegram-bot clients for it."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
import telegram
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from PIL import Image

from bot.fakeapi import FakeTelegram, FakeUser

ALICE = 1001
BOB = 1002


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    # Flood control has its own tests; elsewhere it would only slow the API tests down.
    async with FakeTelegram(flood_control=False) as server:
        yield server


def aiogram_bot(fake: FakeTelegram) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    return Bot(fake.token, session=session)


async def close_aiogram(bot: Bot) -> None:
    # AiohttpSession.close() sleeps 250 ms for TLS shutdown; nothing here uses TLS.
    client = getattr(bot.session, "_session", None)
    if client is not None:
        await client.close()


@pytest.fixture
async def aio(fake: FakeTelegram) -> AsyncIterator[Bot]:
    bot = aiogram_bot(fake)
    yield bot
    await close_aiogram(bot)


def ptb_bot(fake: FakeTelegram) -> telegram.Bot:
    return telegram.Bot(
        fake.token,
        base_url=f"{fake.base_url}/bot",
        base_file_url=f"{fake.base_url}/file/bot",
    )


@pytest.fixture
async def ptb(fake: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    bot = ptb_bot(fake)
    await bot.initialize()
    yield bot
    await bot.shutdown()


def started(fake: FakeTelegram, user_id: int = ALICE, name: str = "Alice") -> FakeUser:
    """A user who has written to the bot (so the bot may write back); nothing left pending."""
    user = fake.user(user_id, name, name.lower())
    fake.inject_text(user_id, "/start")
    fake.drop_pending_updates()
    return user


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()
