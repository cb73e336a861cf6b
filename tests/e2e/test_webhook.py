"""Webhook mode end to end (issue 8, issue 16): the fake Bot API POSTs each update to the bot.

Both adapters, both databases: a normal update is answered; a request without the secret gets
401 and its body is never logged; an update the framework cannot read is acknowledged (so
Telegram does not resend it) and answered politely; a stop (what SIGTERM does) lets an update
already acknowledged finish and its reply go out.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import aiohttp
import pytest

from bot.fakeapi import FakeTelegram, faults
from bot.intake import ALLOWED_UPDATES
from bot.runtime import run_polling
from bot.webhook import SECRET_HEADER, WebhookConfig
from handlers.render import render
from tests.e2e.conftest import PDF, BotUnderTest

SECRET = "s3cret-webhook-token_e2e"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def webhook_config(path: str = "/tg/hook") -> WebhookConfig:
    port = free_port()
    return WebhookConfig(f"http://127.0.0.1:{port}{path}", "127.0.0.1", port, SECRET)


async def webhook_info(fake: FakeTelegram) -> dict[str, Any]:
    _, body = await fake.execute("getWebhookInfo", {})
    return dict(body["result"])


@pytest.fixture
def bot_webhook() -> WebhookConfig:
    return webhook_config()  # the e2e `bot` of this module takes its updates by webhook


@pytest.fixture
def hooked(bot: BotUnderTest) -> BotUnderTest:
    return bot


async def test_a_webhook_update_is_answered_and_telegram_was_told_where(
    hooked: BotUnderTest,
) -> None:
    fake = hooked.fake
    [set_hook] = fake.calls("setWebhook")
    assert set_hook.params["secret_token"] == SECRET
    assert hooked.webhook is not None and set_hook.params["url"] == hooked.webhook.url
    assert "allowed_updates" in set_hook.params
    polls = len(fake.calls("getUpdates"))

    rina = fake.user(4242, "Rina")
    await rina.send("/start")
    assert "Selamat datang di Mitra Media" in (rina.last.text or "")
    assert len(fake.calls("getUpdates")) == polls  # it came by webhook, not by a poll
    assert fake.pending_updates == []
    info = await webhook_info(fake)
    assert "last_error_message" not in info, info
    assert set(info["allowed_updates"]) == set(ALLOWED_UPDATES)
    hooked.assert_clean()


async def test_a_request_without_the_secret_gets_401_and_its_body_is_not_logged(
    hooked: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert hooked.webhook is not None
    forged = {
        "update_id": 999_001,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": 4343, "type": "private", "first_name": "Eve"},
            "from": {"id": 4343, "is_bot": False, "first_name": "Eve"},
            "text": "/start NIK-6101010101900007",
        },
    }
    async with aiohttp.ClientSession() as client:
        for headers in ({}, {SECRET_HEADER: "wrong-secret"}, {SECRET_HEADER: SECRET[:-1]}):
            async with client.post(hooked.webhook.url, json=forged, headers=headers) as response:
                assert response.status == 401, headers
    await hooked.fake.settle()

    assert "NIK-6101010101900007" not in caplog.text and "Eve" not in caplog.text
    assert "401" in caplog.text  # it is logged, without the body
    sent_to = {str(c.params.get("chat_id")) for c in hooked.fake.calls("sendMessage")}
    assert "4343" not in sent_to  # and nothing was done with it
    rina = hooked.fake.user(4242, "Rina")  # the real Telegram still gets through
    await rina.send("/start")
    assert "Selamat datang di Mitra Media" in (rina.last.text or "")


async def test_an_unreadable_webhook_update_is_acknowledged_and_answered_politely(
    hooked: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    fake = hooked.fake
    caplog.set_level(logging.INFO)
    bob = fake.user(5001, "Bob")
    await bob.send("/start")
    forward = {
        "message_id": 90,
        "date": 1_790_000_000,
        "chat": {"id": bob.id, "type": "private", "first_name": "Bob"},
        "from": {"id": bob.id, "is_bot": False, "first_name": "Bob"},
        "forward_origin": {"type": "hidden_user", "date": 1_700_000_000},  # aiogram issue 1840
        "text": "berita rahasia dari sumber",
    }
    bad = fake.inject_raw_update("message", forward)
    await fake.settle()

    assert bob.last.text == render("unreadable")
    info = await webhook_info(fake)
    assert "last_error_message" not in info, info  # acknowledged with 200: never resent
    assert fake.pending_updates == []
    lines = [r.getMessage() for r in caplog.records if str(bad["update_id"]) in r.getMessage()]
    assert len(lines) == 1 and "cannot be read" in lines[0], lines
    assert "rahasia" not in caplog.text
    await bob.send("/bantuan")  # and the bot keeps answering
    assert bob.last.text != render("unreadable")
    hooked.assert_clean()


async def test_a_stop_finishes_the_update_in_flight_and_sends_its_reply(
    bot: BotUnderTest,
) -> None:
    """What SIGTERM does to `mitramedia run --webhook`: run_polling's own stop path (PTB's
    sends failed once its HTTP client was closed before the outbox's last pass)."""
    await bot.stop()  # the fixture's process gives way to run_polling (same database)
    config = webhook_config()
    settings = bot.settings.model_copy(
        update={"webhook_url": config.url, "webhook_listen": f"127.0.0.1:{config.listen_port}"}
    )
    from bot.factory import build_product

    bot.product = await build_product(settings, clock=bot.clock)
    fake = bot.fake
    fake.idle_probe = None
    stop = asyncio.Event()
    running = asyncio.create_task(
        run_polling(settings, bot.product.app, stop_event=stop, with_scheduler=bot.product)
    )
    told = faults.hang()
    fake.faults.add("setWebhook", told)
    gate = faults.hang()
    fake.faults.add("getFile", gate)
    await told.reached()  # the server listens; Telegram is being told where
    told.release()
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"http://127.0.0.1:{config.listen_port}/healthz") as response,
    ):
        health = await response.json()
    assert response.status == 200, health  # the product's report (bot.health), not a stub
    assert health["outbox"]["pending"] == 0 and "last_sweep_at" in health
    rina = fake.user(4242, "Rina")
    stored = fake.register_file("document", PDF, file_name="surat.pdf", mime_type="application/pdf")
    fake.inject_message(rina.id, document=stored)
    await gate.reached()  # acknowledged, and being handled: its download hangs

    stop.set()  # SIGTERM
    await asyncio.sleep(0)
    assert not running.done()  # waiting for the update in flight
    gate.release()
    await asyncio.wait_for(running, 30)
    assert rina.texts(), "the update in flight got no reply before the process exited"
    assert fake.pending_updates == []
