"""The playground's own API, without a browser: what the page does, as HTTP calls. The fast
clock drives the real SLA scheduler through the injected clock until the holder of an open step
gets the overdue reminder, streamed over the page's event stream; the panel then says late."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.playground.app import Playground, build_app
from bot.playground.world import FIRST_OFFICIAL_ID, JOURNALIST_ID, World
from storage.db import transaction
from storage.models import MediaOutlet, User


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[TestClient[Any, Any], World]]:
    playground = Playground(Settings(pace_interval=0.1), "sanggau", root=tmp_path / "pg")
    world = await playground.start_default()
    async with TestClient(TestServer(build_app(playground))) as client:
        yield client, world


async def _act(client: TestClient[Any, Any], world: World, path: str, **body: Any) -> None:
    response = await client.post(path, json={"persona": JOURNALIST_ID, **body})
    assert response.status == 200, await response.text()
    await world.fake.settle()


async def _next_event(stream: Any, wanted: str) -> dict[str, Any]:
    while True:
        line = (await stream.content.readline()).decode()
        if line.startswith("data: ") and wanted in line:
            event: dict[str, Any] = json.loads(line.removeprefix("data: "))
            return event


async def _registered(world: World) -> None:
    now = world.clock.now()
    async with transaction(world.product.sessions) as s:
        user = User(
            telegram_id=JOURNALIST_ID,
            name="Rina Wartawati",
            nik="6171054501900001",
            phone="+6281234567890",
            is_journalist=True,
            registered_at=now,
            created_at=now,
        )
        s.add(user)
        await s.flush()
        s.add(
            MediaOutlet(
                owner_id=user.id,
                name="Warta Kapuas",
                kind="online",
                website="https://wartakapuas.id",
                created_at=now,
            )
        )
        for kind, name in (
            ("press_card", "kartu-pers.png"),
            ("media_proof", "akta-pendirian-media.pdf"),
        ):
            await world.product.app.deps.archive.add(
                s,
                owner_id=user.id,
                kind=kind,
                content=(resources.files("bot.playground") / "samples" / name).read_bytes(),
                file_name=name,
                mime_type="image/png" if name.endswith(".png") else "application/pdf",
                now=now,
            )


async def test_the_fast_clock_brings_the_overdue_reminder(
    client: tuple[TestClient[Any, Any], World],
) -> None:
    http, world = client
    state = await (await http.get("/api/state")).json()
    roles = [p["role"] for p in state["personas"]]
    assert roles == ["pers", *[k for k, r in world.spec.roles.items() if not r.applicant]]

    await _registered(world)  # registration itself is the browser test's
    await _act(http, world, "/api/send", text="/ajukan")
    await _act(http, world, "/api/upload", sample="surat-permohonan.pdf")

    panel = await (await http.get("/api/panel")).json()
    [case] = panel["cases"]
    assert (case["step"], case["holders"], case["late"]) == (2, ["Budi Santoso"], False)

    stream = await http.get("/api/events")
    assert (await http.post("/api/clock", json={"action": "fast"})).status == 200
    event = await asyncio.wait_for(_next_event(stream, " terlambat "), timeout=30)
    assert event["persona"] == FIRST_OFFICIAL_ID  # the admin, holder of step 2
    await http.post("/api/clock", json={"action": "normal"})
    panel = await (await http.get("/api/panel")).json()
    assert panel["cases"][0]["late"] and not panel["clock"]["fast"]
    stream.close()


async def test_a_restart_carries_on_the_same_database(tmp_path: Path) -> None:
    """The fake server's chats go with the process; the database stays. A second run keeps
    update and message ids growing (the bot drops update ids it has processed, and edits
    prompts by id) and the clock where a fast clock left it, so the journalist carries on."""
    settings = Settings(pace_interval=0.1)
    first = World("sanggau", settings, root=tmp_path)
    await first.start()
    try:
        rina = first.persona(JOURNALIST_ID)
        first.send_text(rina, "/start")
        await first.fake.settle()
        ahead = first.clock.jump_to(first.clock.now() + timedelta(days=30))  # a fast clock ran
        first.send_text(rina, "Rina Wartawati")
        await first.fake.settle()
        assert "NIK" in rina.user.last.text
        seen = max(m.message_id for m in rina.user.messages)
    finally:
        await first.stop()

    second = World("sanggau", settings, root=tmp_path)
    await second.start()
    try:
        assert second.clock.now() >= ahead
        rina = second.persona(JOURNALIST_ID)
        second.send_text(rina, "6171054501900001")
        await second.fake.settle()
        assert "nomor telepon" in rina.user.last.text
        assert min(m.message_id for m in rina.user.messages) > seen
    finally:
        await second.stop()


async def test_the_case_history_names_every_event_in_words(
    client: tuple[TestClient[Any, Any], World],
) -> None:
    """The side panel shows an audit event by the page's word for it, else its raw key: every
    event the bot records outside a step's own actions has its words (no 'record_view')."""
    from handlers import payments
    from workflow import access, retention, terms

    http, _world = client
    page = await (await http.get("/")).text()
    strings = json.loads(page.split('id="strings">')[1].split("</script>")[0])
    recorded = {
        "submit", "resubmit", "news", "check", "note", "question", "answer",
        "personal_data_erased", access.VIEW_ACTION, access.RECORD_VIEW, terms.INCLUDE_LATE,
        terms.TERMS_CHANGED, payments.SPJ_SIGNED, payments.NOT_RECEIVED, retention.ACTION,
    }  # fmt: skip
    assert recorded <= set(strings["events"]), recorded - set(strings["events"])
