"""Injected faults: what the client sees on the wire, what the user sees, what the fake records.

Raw aiohttp first (the exact bodies and disconnects), then how aiogram and python-telegram-bot
surface each fault, then the standalone server's ``--faults`` file.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import telegram
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.fakeapi import FakeTelegram, faults
from bot.fakeapi.__main__ import _parse_args, build

from .conftest import ALICE, BOB, started


async def send(
    fake: FakeTelegram, chat_id: int, text: str, *, client_timeout: float = 5.0
) -> tuple[int, str, str]:
    """One sendMessage over a fresh connection: (status, content type, body)."""
    url = f"{fake.base_url}/bot{fake.token}/sendMessage"
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=client_timeout)) as client,
        client.post(url, json={"chat_id": chat_id, "text": text}) as resp,
    ):
        return resp.status, resp.content_type, await resp.text()


def body(answer: tuple[int, str, str]) -> dict[str, Any]:
    status, content_type, text = answer
    assert content_type == "application/json"
    parsed: dict[str, Any] = json.loads(text)
    assert parsed.get("error_code", 200) == status
    return parsed


# -- raw HTTP ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", [500, 502, 503, 504])
async def test_5xx_in_telegram_json_then_the_next_call_goes_through(
    fake: FakeTelegram, code: int
) -> None:
    alice = started(fake)
    fake.faults.add("sendMessage", faults.status(code))
    answer = body(await send(fake, ALICE, "satu"))
    phrase = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    assert answer == {
        "ok": False,
        "error_code": code,
        "description": phrase.get(code, "Gateway Timeout"),
    }
    assert alice.texts() == []
    assert body(await send(fake, ALICE, "satu"))["ok"] is True
    assert alice.texts() == ["satu"]


async def test_502_as_nginx_html_page(fake: FakeTelegram) -> None:
    alice = started(fake)
    fake.faults.add("sendMessage", faults.status(502, html=True))
    status, content_type, text = await send(fake, ALICE, "satu")
    assert (status, content_type) == (502, "text/html")
    assert "<title>502 Bad Gateway</title>" in text and "nginx" in text
    assert alice.texts() == []


async def test_502_after_the_message_was_stored(fake: FakeTelegram) -> None:
    alice = started(fake)
    fake.faults.add("sendMessage", faults.status(502, after=True))
    assert body(await send(fake, ALICE, "satu"))["error_code"] == 502
    assert alice.texts() == ["satu"]  # the gateway failed, the message had gone out
    [record] = fake.calls("sendMessage")
    assert (record.ok, record.fault, record.injected) == (True, "status 502 after", False)


async def test_429_storm_with_long_retry_after_then_delivery(fake: FakeTelegram) -> None:
    alice = started(fake)
    fake.faults.add("sendMessage", faults.retry_after(3), times=3)
    fake.faults.add("sendMessage", faults.retry_after(90))
    seen = [body(await send(fake, ALICE, "satu")) for _ in range(4)]
    assert [a["parameters"]["retry_after"] for a in seen] == [3, 3, 3, 90]
    assert seen[-1]["description"] == "Too Many Requests: retry after 90"
    assert alice.texts() == []
    assert body(await send(fake, ALICE, "satu"))["ok"] is True
    assert alice.texts() == ["satu"]
    assert fake.faults.pending == []


async def test_injected_refusals_are_not_counted_as_the_fakes_own(fake: FakeTelegram) -> None:
    started(fake)
    fake.faults.add("sendMessage", faults.error(403, "Forbidden: bot was blocked by the user"))
    fake.faults.add("sendMessage", faults.error(400, "Bad Request: chat not found"))
    first, second = body(await send(fake, ALICE, "a")), body(await send(fake, ALICE, "b"))
    assert (first["error_code"], first["description"]) == (
        403,
        "Forbidden: bot was blocked by the user",
    )
    assert second["description"] == "Bad Request: chat not found"
    assert fake.rejected == []
    assert [r.fault for r in fake.faults.injected] == ["error 403", "error 400"]
    # A real refusal by the strict fake still shows.
    assert body(await send(fake, ALICE, ""))["error_code"] == 400
    assert [r.description for r in fake.rejected] == ["Bad Request: message text is empty"]


async def test_drop_before_running_sends_nothing(fake: FakeTelegram) -> None:
    alice = started(fake)
    fake.faults.add("sendMessage", faults.drop())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(fake, ALICE, "satu")
    assert alice.texts() == []
    [record] = fake.calls("sendMessage")
    assert (record.aborted, record.fault, record.error_code) == (True, "drop", None)


async def test_drop_after_running_the_user_has_it_the_bot_does_not_know(
    fake: FakeTelegram,
) -> None:
    alice = started(fake)
    fake.faults.add("sendMessage", faults.drop_after())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(fake, ALICE, "satu")
    assert alice.texts() == ["satu"]
    faults.assert_delivered_once(fake, ALICE, "satu")
    # The bot's blind retry is the duplicate the exactly-once checks catch.
    await send(fake, ALICE, "satu")
    with pytest.raises(AssertionError, match="'satu' arrived 2 times"):
        faults.assert_delivered_once(fake, ALICE, "satu")
    with pytest.raises(AssertionError, match="more than once"):
        faults.assert_delivered_once(fake, ALICE)


async def test_a_kept_alive_connection_is_not_retried_behind_the_clients_back(
    fake: FakeTelegram,
) -> None:
    alice = started(fake)
    url = f"{fake.base_url}/bot{fake.token}/sendMessage"
    async with aiohttp.ClientSession() as client:
        async with client.post(url, json={"chat_id": ALICE, "text": "satu"}) as resp:
            assert resp.status == 200
        fake.faults.add("sendMessage", faults.drop())
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await client.post(url, json={"chat_id": ALICE, "text": "dua"})
        async with client.post(url, json={"chat_id": ALICE, "text": "dua"}) as resp:
            assert resp.status == 200
    assert alice.texts() == ["satu", "dua"]
    assert len(fake.calls("sendMessage")) == 3


async def test_matching_by_method_any_case_and_chat_in_order(fake: FakeTelegram) -> None:
    alice, bob = started(fake), started(fake, BOB, "Bob")
    fake.faults.add("SENDMESSAGE", faults.status(500), chat_id=ALICE)
    fake.faults.add("sendmessage", faults.status(502), chat_id=ALICE)
    fake.faults.add("editMessageText", faults.status(503))
    assert body(await send(fake, BOB, "untuk Bob"))["ok"] is True
    codes = [body(await send(fake, ALICE, "untuk Alice")).get("error_code") for _ in range(3)]
    assert codes == [500, 502, None]
    assert (alice.texts(), bob.texts()) == (["untuk Alice"], ["untuk Bob"])
    assert [rule.exhausted for rule in fake.faults.rules] == [True, True, False]


async def test_delay_answers_late_but_answers(fake: FakeTelegram) -> None:
    alice = started(fake)
    fake.faults.add("sendMessage", faults.delay(0.05))
    assert body(await send(fake, ALICE, "satu"))["ok"] is True
    assert alice.texts() == ["satu"]
    assert fake.calls("sendMessage")[0].fault == "delay 0.05"


async def test_client_timeout_while_held_before_running_sends_nothing(
    fake: FakeTelegram,
) -> None:
    alice = started(fake)
    gate = faults.hang()
    fake.faults.add("sendMessage", gate)
    with pytest.raises(TimeoutError):
        await send(fake, ALICE, "satu", client_timeout=0.1)
    await gate.drained()  # the server saw the client go
    gate.release()
    await fake.settle()
    assert alice.texts() == []
    assert fake.calls("sendMessage")[0].aborted


async def test_client_timeout_on_a_slow_answer_after_running(fake: FakeTelegram) -> None:
    alice = started(fake)
    fake.faults.add("sendMessage", faults.delay_after(0.5))
    with pytest.raises(TimeoutError):
        await send(fake, ALICE, "satu", client_timeout=0.1)
    assert alice.texts() == ["satu"]


async def test_hang_after_holds_the_answer_until_released(fake: FakeTelegram) -> None:
    alice = started(fake)
    gate = faults.hang_after()
    fake.faults.add("sendMessage", gate)
    pending = asyncio.create_task(send(fake, ALICE, "satu"))
    await gate.reached()
    assert alice.texts() == ["satu"] and not pending.done()
    await fake.settle()  # a held request does not keep settle() waiting
    gate.release()
    assert body(await pending)["result"]["text"] == "satu"
    assert fake.calls("sendMessage")[0].fault == "hang_after"


async def test_released_hang_runs_the_method_once_with_one_record(fake: FakeTelegram) -> None:
    alice = started(fake)
    gate = faults.hang()
    fake.faults.add("sendMessage", gate, times=2)
    pending = [asyncio.create_task(send(fake, ALICE, t)) for t in ("satu", "dua")]
    await gate.reached(2)
    assert alice.texts() == []
    gate.release()
    assert [body(await p)["ok"] for p in pending] == [True, True]
    assert sorted(alice.texts()) == ["dua", "satu"]
    records = fake.calls("sendMessage")
    assert [(r.ok, r.fault) for r in records] == [(True, "hang"), (True, "hang")]
    assert fake.faults.rules[0].hits == records


CLIENT = """
import json, sys, urllib.request
url, chat_id = sys.argv[1], int(sys.argv[2])
data = json.dumps({"chat_id": chat_id, "text": "sebelum mati"}).encode()
request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
urllib.request.urlopen(request, timeout=30)
"""


async def test_a_client_process_killed_while_its_answer_is_held(fake: FakeTelegram) -> None:
    started(fake)
    gate = faults.hang_after()
    fake.faults.add("sendMessage", gate)
    url = f"{fake.base_url}/bot{fake.token}/sendMessage"
    client = await asyncio.create_subprocess_exec(sys.executable, "-c", CLIENT, url, str(ALICE))
    await gate.reached()
    client.kill()
    assert await client.wait() == -9
    await gate.drained()
    [record] = fake.calls("sendMessage")
    assert (record.ok, record.aborted) == (True, True)
    assert faults.delivered_texts(fake, ALICE) == ["sebelum mati"]


async def test_delivered_texts_are_as_sent_before_edits(fake: FakeTelegram) -> None:
    started(fake)
    sent = body(await send(fake, ALICE, "Tugas baru"))["result"]
    await fake.execute(
        "editMessageText",
        {"chat_id": ALICE, "message_id": sent["message_id"], "text": "Tugas selesai"},
    )
    await send(fake, ALICE, "Pengingat")
    assert faults.delivered_texts(fake, ALICE) == ["Tugas baru", "Pengingat"]
    faults.assert_delivered_once(fake, ALICE, "Tugas baru", "Pengingat")
    with pytest.raises(AssertionError, match="out of order"):
        faults.assert_delivered_once(fake, ALICE, "Pengingat", "Tugas baru")


def test_fault_specs_and_their_mistakes() -> None:
    assert faults.from_spec({"kind": "status", "code": 502, "html": True}).label == (
        "status 502 html"
    )
    assert faults.from_spec({"kind": "retry_after", "seconds": 120}).retry_after == 120
    with pytest.raises(ValueError, match="unknown 'explode'"):
        faults.from_spec({"kind": "explode"})
    with pytest.raises(ValueError, match="retry_after"):
        faults.error(429, "Too Many Requests")
    with pytest.raises(ValueError, match="5xx"):
        faults.status(404)
    with pytest.raises(TypeError, match="nothing to release"):
        faults.drop().release()


# -- through the frameworks ---------------------------------------------------------------


async def test_aiogram_surfaces_each_fault(fake: FakeTelegram, aio: Bot) -> None:
    alice = started(fake)
    plan = [
        (faults.status(502), TelegramServerError, "Bad Gateway"),
        # Not a TelegramServerError: aiogram cannot parse nginx's page at all.
        (faults.status(502, html=True), ClientDecodeError, "Failed to decode object"),
        (faults.retry_after(90), TelegramRetryAfter, "retry after 90"),
        (faults.drop(), TelegramNetworkError, "ServerDisconnectedError"),
        (
            faults.error(403, "Forbidden: bot was blocked by the user"),
            TelegramForbiddenError,
            "blocked",
        ),
    ]
    for fault, error, text in plan:
        fake.faults.add("sendMessage", fault)
        with pytest.raises(error, match=text) as caught:
            await aio.send_message(ALICE, "satu")
        if isinstance(caught.value, TelegramRetryAfter):
            assert caught.value.retry_after == 90
    fake.faults.add("sendMessage", faults.hang())
    with pytest.raises(TelegramNetworkError, match="Request timeout error"):
        await aio.send_message(ALICE, "satu", request_timeout=0.1)  # type: ignore[arg-type]
    assert alice.texts() == []
    assert (await aio.send_message(ALICE, "dua")).text == "dua"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_surfaces_each_fault(fake: FakeTelegram, ptb: telegram.Bot) -> None:
    alice = started(fake)
    plan: list[tuple[faults.Fault, type[Exception], str]] = [
        (faults.status(502), NetworkError, "^Bad Gateway$"),
        (faults.status(502, html=True), NetworkError, "Bad Gateway \\(502\\). Parsing"),
        (faults.status(500), NetworkError, "Internal Server Error"),
        (faults.retry_after(90), RetryAfter, "Retry in 90 seconds"),
        (faults.drop(), NetworkError, "RemoteProtocolError"),
        (faults.error(403, "Forbidden: bot was blocked by the user"), Forbidden, "blocked"),
    ]
    for fault, error, text in plan:
        fake.faults.add("sendMessage", fault)
        with pytest.raises(error, match=text) as caught:
            await ptb.send_message(ALICE, "satu")
        assert not isinstance(caught.value, TimedOut)
    fake.faults.add("sendMessage", faults.hang())
    with pytest.raises(TimedOut):
        await ptb.send_message(ALICE, "satu", read_timeout=0.1)
    assert alice.texts() == []
    assert (await ptb.send_message(ALICE, "dua")).text == "dua"


# -- standalone -------------------------------------------------------------------------


async def test_standalone_server_arms_faults_from_a_file(tmp_path: Path) -> None:
    plan = [
        {"method": "sendMessage", "chat_id": ALICE, "kind": "status", "code": 502, "times": 2},
        {"method": "sendMessage", "kind": "retry_after", "seconds": 75},
    ]
    (tmp_path / "faults.json").write_text(json.dumps(plan))
    fake = build(_parse_args(["--port", "0", "--faults", str(tmp_path / "faults.json")]))
    async with fake:
        started(fake)
        answers = [body(await send(fake, ALICE, "satu")) for _ in range(4)]
    assert [a.get("error_code") for a in answers] == [502, 502, 429, None]
