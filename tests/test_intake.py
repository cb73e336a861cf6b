"""One update a framework cannot read must not stop the bot for everyone (issue 16).

Both adapters, over HTTP against the fake Bot API: a batch with an unreadable update in the
middle is handled around it; the unreadable one is logged once and answered politely. Then
the poll loop alone: a getUpdates that keeps failing backs off and logs with a count.
"""

from __future__ import annotations

import json
import logging
import random
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.delivery import InFlight
from bot.fakeapi import FakeTelegram
from bot.intake import ALLOWED_UPDATES, Backoff, Poller, describe_error, polite_replies
from bot.runtime import build_adapter
from handlers.render import render
from handlers.replies import AnswerCallback, SendMessage
from tests.test_adapters import EchoApp, Running, VirtualTime, settings_for

UNREADABLE = render("unreadable")
BOB = 5001


def message(user_id: int, **fields: Any) -> dict[str, Any]:
    """A private-chat message as Telegram sends it; `fields` add to or replace its keys."""
    body: dict[str, Any] = {
        "message_id": 77,
        "date": 1_790_000_000,
        "chat": {"id": user_id, "type": "private", "first_name": "Bob"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Bob"},
        "text": "pesan rahasia Bob",
    }
    body.update(fields)
    return body


def without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in keys}


# Updates neither aiogram 3.31 nor python-telegram-bot 22.8 can decode.
UNREADABLE_SHAPES = {
    # The legacy forward of issue 16 (aiogram issue 1840): no sender_user_name.
    "hidden_user_forward": message(BOB, forward_origin={"type": "hidden_user", "date": 1}),
    # A story reply without its chat (aiogram issue 1587's shape).
    "story_without_chat": message(
        BOB,
        external_reply={
            "origin": {"type": "hidden_user", "sender_user_name": "X", "date": 1},
            "story": {"id": 3},
        },
    ),
    # Required fields removed.
    "document_without_unique_id": without(message(BOB, document={"file_id": "BQAC"}), "text"),
    "photo_without_width": without(
        message(BOB, photo=[{"file_id": "AgAC", "file_unique_id": "AQAD", "height": 90}]), "text"
    ),
    "no_date": without(message(BOB), "date"),
    # Wrong types.
    "date_as_text": message(BOB, date="kemarin"),
    "photo_as_text": without(message(BOB, photo="gambar"), "text"),
    "reply_as_number": message(BOB, reply_to_message=5),
    # An unknown nested shape where a known type is expected.
    "entity_of_unknown_shape": message(BOB, entities=[{"type": "sparkle"}]),
}


@pytest.fixture(params=["aiogram", "ptb"])
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def bot(framework: str, tmp_path: Path) -> AsyncIterator[Running]:
    async with FakeTelegram() as fake:
        app = EchoApp(tmp_path)
        inflight = InFlight()
        fake.idle_probe = lambda: inflight.idle
        virtual = VirtualTime(fake)
        adapter = build_adapter(
            settings_for(fake, framework),
            app,
            inflight,
            polling_timeout=1,
            clock=virtual.clock,
            sleep=virtual.sleep,
        )
        await adapter.start()
        try:
            yield Running(fake, app, adapter, inflight, virtual)
        finally:
            await adapter.stop()


@pytest.mark.parametrize("shape", list(UNREADABLE_SHAPES))
async def test_an_unreadable_update_is_skipped_answered_and_logged_once(
    bot: Running, shape: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake = bot.fake
    alice, bob, carol = fake.user(1001, "Alice"), fake.user(BOB, "Bob"), fake.user(1003, "Carol")
    await bob.send("halo")  # Bob has a chat with the bot, as anyone who forwards to it does
    caplog.set_level(logging.INFO)
    polls_before = len(fake.calls("getUpdates"))
    # One batch: fetched by a single getUpdates, the bad update in the middle.
    fake.inject_text(alice.id, "satu")
    bad = fake.inject_raw_update("message", UNREADABLE_SHAPES[shape])
    fake.inject_text(carol.id, "dua")
    fake.inject_text(alice.id, "tiga")
    await fake.settle()

    assert alice.texts() == ["echo: satu", "echo: tiga"]  # in order
    assert carol.texts() == ["echo: dua"]
    assert bob.texts() == ["echo: halo", UNREADABLE]
    assert fake.pending_updates == []  # the offset moved past it
    # Delivered together: at most the poll that returned them and the one confirming them.
    assert len(fake.calls("getUpdates")) - polls_before <= 3
    lines = [r for r in caplog.records if str(bad["update_id"]) in r.getMessage()]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert lines[0].levelno == logging.WARNING
    assert "message" in lines[0].getMessage() and "cannot be read" in lines[0].getMessage()
    assert "rahasia" not in caplog.text and "kemarin" not in caplog.text
    assert "gambar" not in caplog.text

    await bob.send("masih ada?")  # the bot keeps answering, the sender of the bad one too
    assert bob.last.text == "echo: masih ada?"


async def test_an_unreadable_button_press_is_answered(bot: Running) -> None:
    fake = bot.fake
    bob = fake.user(BOB, "Bob")
    await bob.send("menu")
    menu = bob.last
    query = fake.inject_callback_query(bob.id, menu.message_id, "yes")
    # What the fake queued, then broken the way a future Bot API might: chat_instance dropped.
    update = fake.pending_updates[-1]
    fake.drop_pending_updates()
    payload = without(update["callback_query"], "chat_instance")
    fake.inject_raw_update("callback_query", payload)
    await fake.settle()
    assert fake.callback_queries[query.id].answered  # the spinner stopped
    assert bob.last.text == UNREADABLE


async def test_a_group_message_that_cannot_be_read_gets_no_answer(bot: Running) -> None:
    fake = bot.fake
    alice = fake.user(1001, "Alice")
    group = message(-100200, chat={"id": -100200, "type": "supergroup", "title": "Redaksi"})
    group["from"] = {"id": alice.id, "is_bot": False, "first_name": "Alice"}
    group["forward_origin"] = {"type": "hidden_user", "date": 1}
    fake.inject_raw_update("message", group)
    await alice.send("halo")
    assert alice.texts() == ["echo: halo"]
    assert fake.rejected == []


async def test_only_the_update_kinds_the_bot_uses_are_requested(bot: Running) -> None:
    await bot.fake.user(1001, "Alice").send("halo")
    polls = bot.fake.calls("getUpdates")
    asked = {tuple(json.loads(p.params["allowed_updates"])) for p in polls}  # sent as JSON
    assert asked == {ALLOWED_UPDATES}, asked


# --- the polite answer and the log line, alone -------------------------------------------------


def test_polite_answer_goes_only_where_the_raw_json_names_a_private_chat() -> None:
    private = {"update_id": 1, "message": message(9)}
    group = {"update_id": 2, "message": message(9, chat={"id": -5, "type": "group"})}
    press = {"update_id": 3, "callback_query": {"id": "42", "from": {"id": 9}}}
    garbage = {"update_id": 4, "message": "??"}
    assert polite_replies(private) == [SendMessage(9, UNREADABLE)]
    assert polite_replies(group) == []
    assert polite_replies(press) == [AnswerCallback("42"), SendMessage(9, UNREADABLE)]
    assert polite_replies(garbage) == []
    assert polite_replies({"update_id": 5, "my_chat_member": {"from": {"id": 9}}}) == []


def test_the_decoding_error_is_described_without_the_values() -> None:
    from aiogram.types import Update

    raw = {"update_id": 1, "message": message(9, date="kemarin 12.00 di +628123")}
    with pytest.raises(Exception) as caught:
        Update.model_validate(raw)
    described = describe_error(caught.value)
    assert "message.date" in described
    assert "kemarin" not in described and "+628123" not in described

    try:
        int("NIK 6101010101900001")
    except ValueError as exc:
        described = describe_error(exc)
    assert described.startswith("ValueError in ") and "6101" not in described


# --- the poll loop: backoff and a bounded log ---------------------------------------------------


class BrokenTransport:
    """getUpdates fails `failures` times, then returns one update per call."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.offsets: list[int | None] = []

    async def get_updates(
        self, offset: int | None, long_poll: int, allowed_updates: list[str]
    ) -> list[dict[str, Any]]:
        self.offsets.append(offset)
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionRefusedError("Connect call failed ('127.0.0.1', 9)")
        return [{"update_id": 10 + len(self.offsets), "message": message(9)}]

    def decode(self, raw: dict[str, Any]) -> object:
        return raw

    async def dispatch(self, update: object) -> None:
        pass

    async def set_webhook(self, url: str, secret: str, allowed_updates: list[str]) -> None:
        pass

    async def delete_webhook(self) -> None:
        pass


async def test_a_failing_get_updates_backs_off_and_logs_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.intake")
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    transport, fed = BrokenTransport(failures=500), list[dict[str, Any]]()
    poller = Poller(
        transport, fed.append, sleep=sleep, rng=random.Random(7), backoff=Backoff(1.0, 60.0)
    )
    for _ in range(502):
        await poller.poll_once()

    assert len(slept) == 500  # one wait per failure, never a tight loop
    assert slept[0] <= 1.0 and slept[5] > 10  # growing...
    assert max(slept) <= 60.0 and min(slept[8:]) >= 30.0  # ...bounded, with jitter
    assert len(set(slept[8:])) > 100  # jittered: two bots don't retry in lock-step
    lines = [r.getMessage() for r in caplog.records]
    assert 5 < len(lines) < 25, lines  # 500 failures: about 15 lines, each with its count
    assert "failed 1 time" in lines[0] and "failed 256 time" in "\n".join(lines)
    assert "works again after 500 failures" in lines[-1]
    assert [u["update_id"] for u in fed] == [511, 512]
    assert transport.offsets[-1] == 512  # the offset moved on after the first batch


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_connection_refused_on_both_frameworks_is_a_counted_failure(
    framework: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with FakeTelegram() as fake:
        settings = settings_for(fake, framework).model_copy(
            update={"telegram_api_base": f"http://127.0.0.1:{_closed_port()}"}
        )
    adapter: Any = build_adapter(settings, EchoApp(tmp_path), InFlight())
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    poller = Poller(adapter, lambda raw: None, sleep=sleep, rng=random.Random(1))
    try:
        for _ in range(20):
            await poller.poll_once()
    finally:
        await adapter.stop()
    assert poller.failures == 20 and len(slept) == 20
    failures = [r for r in caplog.records if "getUpdates failed" in r.getMessage()]
    assert [r.getMessage().split(" time")[0][-2:].strip() for r in failures] == [
        "1",
        "2",
        "4",
        "8",
        "16",
    ]
    assert fake.token not in caplog.text
