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
from bot.playground.world import FIRST_OFFICIAL_ID, JOURNALIST_ID, WA_JOURNALIST_ID, World
from handlers.platforms import PLATFORMS
from storage.db import transaction
from storage.models import Account, MediaOutlet, User


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[TestClient[Any, Any], World]]:
    playground = Playground(Settings(pace_interval=0.1), "sanggau", root=tmp_path / "pg")
    world = await playground.start_default()
    async with TestClient(TestServer(build_app(playground))) as client:
        yield client, world


async def _act(
    client: TestClient[Any, Any], world: World, path: str, who: int = JOURNALIST_ID, **body: Any
) -> None:
    response = await client.post(path, json={"persona": who, **body})
    assert response.status == 200, await response.text()
    await world.settle()


async def _next_event(stream: Any, wanted: str) -> dict[str, Any]:
    while True:
        line = (await stream.content.readline()).decode()
        if line.startswith("data: ") and wanted in line:
            event: dict[str, Any] = json.loads(line.removeprefix("data: "))
            return event


async def _registered(world: World, who: int = JOURNALIST_ID) -> None:
    now = world.clock.now()
    persona = world.persona(who)
    async with transaction(world.product.sessions) as s:
        user = User(
            name=persona.name,
            nik="6171054501900001" if who == JOURNALIST_ID else "6171054501900002",
            phone="+6281234567890" if who == JOURNALIST_ID else f"+{who}",
            is_journalist=True,
            registered_at=now,
            created_at=now,
            accounts=[Account(platform=persona.platform, external_id=who, created_at=now)],
        )
        s.add(user)
        await s.flush()
        s.add(
            MediaOutlet(
                owner_id=user.id,
                name="Warta Kapuas" if who == JOURNALIST_ID else "Suara Sanggau",
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
    on = {app: [p["role"] for p in state["personas"] if p["platform"] == app] for app in PLATFORMS}
    assert on["telegram"] == ["pers", *[k for k, r in world.spec.roles.items() if not r.applicant]]
    assert on["whatsapp"] == ["pers"]  # a second journalist, on WhatsApp

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


async def _wa_chat(http: TestClient[Any, Any]) -> list[dict[str, Any]]:
    chat = await (await http.get(f"/api/chat/{WA_JOURNALIST_ID}")).json()
    assert chat["platform"] == "whatsapp" and chat["keyboard"] is None and not chat["commands"]
    messages: list[dict[str, Any]] = chat["messages"]
    return messages


async def _wa_press(
    http: TestClient[Any, Any], world: World, label: str, status: int = 200
) -> dict[str, Any]:
    """Presses the newest WhatsApp message's reply button or list row titled ``label``."""
    for message in reversed(await _wa_chat(http)):
        titles = message["buttons"] + [row["title"] for row in message["rows"]]
        if label in titles:
            body = {"message": message["id"], "choice": titles.index(label), "label": label}
            response = await http.post("/api/press", json={"persona": WA_JOURNALIST_ID, **body})
            assert response.status == status, await response.text()
            await world.settle()
            return message
    raise AssertionError(f"no choice {label!r} on screen")


async def test_the_whatsapp_journalist_registers_through_the_fake_cloud_api(
    client: tuple[TestClient[Any, Any], World],
) -> None:
    """Maya writes on WhatsApp: the bot's WhatsApp adapter answers her through the fake Cloud
    API, in WhatsApp's markup, with reply buttons and a list; a file she sends is downloaded
    through the Graph API; her number is her phone, so she is never asked for it."""
    http, world = client
    maya = WA_JOURNALIST_ID
    await _act(http, world, "/api/send", maya, text="daftar")  # what the wa.me link types
    await _act(http, world, "/api/send", maya, text="Maya Pewarta")
    await _act(http, world, "/api/send", maya, text="6171054501900002")
    chat = await _wa_chat(http)
    assert chat[0] == {**chat[0], "from_bot": False, "text": "daftar"}
    assert "*Selamat datang di Mitra Media*" in chat[1]["text"]  # WhatsApp's bold, not HTML
    assert "<b>" not in "".join(m["text"] or "" for m in chat)
    assert f"*+{maya}*" in chat[-2]["text"] and "kartu pers" in chat[-1]["text"]

    await _act(http, world, "/api/upload", maya, sample="kartu-pers.png")
    chat = await _wa_chat(http)
    [photo] = [m for m in chat if m.get("photo")]
    sent = await http.get(f"/api/file/{maya}/{photo['id']}")
    assert (
        sent.status == 200
        and await sent.read()
        == (resources.files("bot.playground") / "samples" / "kartu-pers.png").read_bytes()
    )
    assert "Kartu pers diterima" in chat[-2]["text"] and "nama media" in chat[-1]["text"]

    await _act(http, world, "/api/send", maya, text="Suara Sanggau")
    listed = (await _wa_chat(http))[-1]
    assert listed["list_button"] and [r["title"] for r in listed["rows"]] == [
        "➕ Daftarkan media baru"
    ]
    await _wa_press(http, world, "➕ Daftarkan media baru")  # a row picked from the list
    chat = await _wa_chat(http)
    picked, kinds = chat[-2], chat[-1]
    assert picked["from_bot"] is False and picked["text"] == "➕ Daftarkan media baru"
    assert picked["quote"]["text"].startswith("Belum ada media terdaftar")
    assert kinds["buttons"] == ["Cetak", "Online", "Elektronik"] and not kinds["rows"]
    await _wa_press(http, world, "Online")  # a reply button
    assert "Data media 1/" in (await _wa_chat(http))[-1]["text"]

    # A choice the message no longer has (the page drew an older one) is refused, not sent.
    response = await http.post(
        "/api/press",
        json={"persona": maya, "message": kinds["id"], "choice": 1, "label": "Cetak"},
    )
    assert response.status == 409
    # WhatsApp has no contact button: the number is the chat's.
    assert (await http.post("/api/contact", json={"persona": maya})).status == 400
    state = await (await http.get("/api/state")).json()
    [listed_maya] = [p for p in state["personas"] if p["id"] == maya]
    assert listed_maya["platform"] == "whatsapp" and listed_maya["journalist"]


async def test_outside_her_window_a_template_waits_for_her_quick_reply(
    client: tuple[TestClient[Any, Any], World],
) -> None:
    """A day after Maya last wrote, the admin's receipt cannot go free-form: the approved
    template goes, and her press on its quick reply brings the receipt and its PDF."""
    http, world = client
    maya = WA_JOURNALIST_ID
    await _registered(world, maya)
    await _act(http, world, "/api/send", maya, text="/ajukan")
    await _act(http, world, "/api/upload", maya, sample="surat-permohonan.pdf")
    assert "Permohonan terkirim" in (await _wa_chat(http))[-1]["text"]

    world.clock.jump_to(world.clock.now() + timedelta(hours=25))  # her window has closed
    admin = world.persona(FIRST_OFFICIAL_ID)
    for label in ("Terima", "Semua lengkap"):
        prompt = admin.tg.last
        [(row, col, text)] = [
            (r, c, b["text"])
            for r, buttons in enumerate(prompt.inline_keyboard)
            for c, b in enumerate(buttons)
            if label in b["text"]
        ]
        await _act(
            http, world, "/api/press", FIRST_OFFICIAL_ID,
            message=prompt.message_id, row=row, col=col, label=text,
        )  # fmt: skip
    template = (await _wa_chat(http))[-1]
    assert template["template"] == "pesan_menunggu" and template["buttons"] == ["Baca pesan"]
    assert "*Tanda terima permohonan*" not in "".join(m["text"] or "" for m in await _wa_chat(http))

    await _wa_press(http, world, "Baca pesan")
    chat = await _wa_chat(http)
    assert chat[-3]["text"] == "Baca pesan" and chat[-3]["quote"]["who"] == "Mitra Media"
    assert "*Tanda terima permohonan*" in chat[-2]["text"]
    assert chat[-1]["document"]["name"].startswith("tanda-terima-")
    pdf = await http.get(f"/api/file/{maya}/{chat[-1]['id']}")
    assert (await pdf.read()).startswith(b"%PDF")


async def test_after_a_restart_her_window_is_where_she_left_it(tmp_path: Path) -> None:
    """The fake Cloud API forgets who wrote when; the database does not. A restarted world
    opens Maya's window in the fake from the database, so the bot's next message to her goes
    as itself (the fake would refuse it with 131047 otherwise), and a day later it is closed."""
    settings = Settings(pace_interval=0.1)
    first = World("sanggau", settings, root=tmp_path)
    await first.start()
    try:
        await first.say(first.persona(WA_JOURNALIST_ID), "daftar")
        await first.settle()
    finally:
        await first.stop()

    second = World("sanggau", settings, root=tmp_path)
    await second.start()
    try:
        number = str(WA_JOURNALIST_ID)
        assert second.wa_fake.window_open(number)
        second.clock.jump_to(second.clock.now() + timedelta(hours=25))
        assert not second.wa_fake.window_open(number)
    finally:
        await second.stop()
