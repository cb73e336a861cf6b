"""The outbox sender over WhatsApp (bot/whatsapp/port.py) against the fake Cloud API: inside the
window the message goes; outside it the template goes once, the chat's rows wait without a word
to the office, and go when the person writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox_sender import OutboxSender
from bot.whatsapp import ids
from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.fake import FakeWhatsApp
from bot.whatsapp.port import WhatsAppApi, reminder_parameters
from handlers.outbox import to_payload
from handlers.replies import (
    Button,
    EditMessage,
    InlineKeyboard,
    PromptRef,
    Reply,
    SendDocument,
    SendMessage,
)
from storage import ledger
from storage.db import reading, transaction
from storage.models import ChatReach, Outbox
from tests.factories import builtin, make_officials
from workflow.clock import ManualClock

from .conftest import ALICE, BUDI

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
SPEC = builtin("sanggau-hubungan-media")
PROMPT = SendMessage(
    int(BUDI),
    "<b>📝 Langkah 2/9 — Kabid</b>\nPermohonan <b>#12</b> · 045/DKI/2026",
    InlineKeyboard(((Button("Terima", "act:7:accept"), Button("Kembalikan", "act:7:ret")),)),
    PromptRef(7, 3),
    platform="whatsapp",
)


@dataclass
class World:
    fake: FakeWhatsApp
    sessions: async_sessionmaker[AsyncSession]
    clock: ManualClock
    api: WhatsAppApi
    sender: OutboxSender
    wrote: dict[int, datetime] = field(default_factory=dict)  # the core's last_inbound_at

    async def queue(self, *replies: Reply) -> list[int]:
        async with transaction(self.sessions) as session:
            rows = [
                Outbox(
                    platform="whatsapp",
                    chat_id=reply.chat_id,  # type: ignore[union-attr]
                    kind={SendMessage: "message", EditMessage: "edit"}.get(type(reply), "document"),
                    payload=to_payload(reply),
                    created_at=self.clock.now(),
                    next_attempt_at=self.clock.now(),
                    state="pending",
                    attempts=0,
                )
                for reply in replies
            ]
            session.add_all(rows)
            await session.flush()
            return [row.id for row in rows]

    async def rows(self) -> list[Outbox]:
        async with reading(self.sessions) as session:
            return list(await session.scalars(select(Outbox).order_by(Outbox.id)))

    async def reach(self) -> list[ChatReach]:
        async with reading(self.sessions) as session:
            return list(await session.scalars(select(ChatReach)))

    async def writes(self, wa_id: str) -> None:
        """The person writes: WhatsApp opens their window; the core records it and lets their
        rows go (what handlers/app.py does for every inbound event after the merge)."""
        self.fake.open_window(wa_id)
        self.wrote[int(wa_id)] = self.clock.now()
        async with transaction(self.sessions) as session:
            await ledger.reachable_again(session, int(wa_id), "whatsapp")


@pytest.fixture
async def world(
    fake: FakeWhatsApp, client: WhatsAppClient, wa_sessions: async_sessionmaker[AsyncSession]
) -> World:
    clock = ManualClock(NOW)
    wrote: dict[int, datetime] = {}

    async def last_inbound(chat_id: int) -> datetime | None:
        return wrote.get(chat_id)

    api = WhatsAppApi(
        client, wa_sessions, clock, office="Diskominfo Sanggau", last_inbound=last_inbound
    )
    sender = OutboxSender(wa_sessions, api, clock, SPEC, platform="whatsapp")
    async with transaction(wa_sessions) as session:
        await make_officials(session, SPEC, NOW)  # the desk a blocked chat is reported to
    return World(fake, wa_sessions, clock, api, sender, wrote)


async def test_inside_the_window_the_prompt_goes_and_its_number_names_its_buttons(
    world: World,
) -> None:
    budi = world.fake.user(BUDI, "Budi")
    await world.writes(BUDI)
    await world.queue(PROMPT)
    assert await world.sender.deliver_due() == 1
    assert budi.last.kind == "interactive" and budi.last.template is None
    assert budi.last.buttons == [("c:act:7:accept", "Terima"), ("c:act:7:ret", "Kembalikan")]
    (row,) = await world.rows()
    assert row.state == "sent" and row.message_id is not None
    async with reading(world.sessions) as session:
        assert await ids.wamid_for(session, row.message_id) == budi.last.id
    assert world.fake.refused == []


async def test_outside_the_window_the_template_goes_once_and_the_rows_wait_for_the_person(
    world: World,
) -> None:
    budi = world.fake.user(BUDI, "Budi")
    await world.writes(BUDI)
    world.clock.advance(timedelta(hours=30))  # he wrote yesterday morning
    world.fake.advance_time(30 * 3600)
    note = SendMessage(
        int(BUDI), "Catatan dari Kabid: <i>lengkapi surat tugas</i>", platform="whatsapp"
    )
    await world.queue(PROMPT, note)
    await world.sender.deliver_due()
    assert [r.template for r in budi.received] == ["tugas_baru"]
    assert budi.last.text == (
        "Ada tugas baru untuk Anda: 📝 Langkah 2/9 — Kabid. Balas untuk membuka."
    )
    assert [r.state for r in await world.rows()] == ["pending", "pending"]
    (reach,) = await world.reach()
    assert (reach.chat_id, reach.platform, reach.reason) == (int(BUDI), "whatsapp", "window")
    assert reach.reported  # nothing for the office to do: no notice was queued
    assert len(await world.rows()) == 2
    # Later passes (another reminder sweep, a restart's poll) send nothing more.
    world.clock.advance(timedelta(minutes=10))
    await world.sender.deliver_due()
    await world.sender.deliver_due()
    assert len(budi.received) == 1
    # He presses the quick reply (or writes): his rows go, in order, as they are.
    await world.writes(BUDI)
    await world.sender.deliver_due()
    assert [r.kind for r in budi.received] == ["template", "interactive", "text"]
    assert budi.last.text == "Catatan dari Kabid: _lengkapi surat tugas_"
    assert [r.state for r in await world.rows()] == ["sent", "sent"]
    assert world.fake.refused == []


async def test_a_blocked_number_is_reported_to_the_office_a_closed_window_is_not(
    world: World,
) -> None:
    world.fake.user(ALICE, "Alice")
    await world.writes(ALICE)
    world.fake.block(ALICE)
    await world.queue(SendMessage(int(ALICE), "Permohonan Anda diterima.", platform="whatsapp"))
    await world.sender.deliver_due()
    rows = await world.rows()
    assert rows[0].state == "pending" and len(rows) > 1  # the desk's notice was queued
    (reach,) = await world.reach()
    assert reach.reason != "window"


async def test_whatsapps_own_refusal_131047_holds_the_chat_like_our_check(world: World) -> None:
    budi = world.fake.user(BUDI, "Budi")  # WhatsApp saw no message from him...
    world.wrote[int(BUDI)] = NOW  # ...while our record says he just wrote (clocks disagree)
    await world.queue(SendMessage(int(BUDI), "Ada pesan untuk Anda.", platform="whatsapp"))
    await world.sender.deliver_due()
    assert [r.code for r in world.fake.refused] == [131047]
    assert [r.template for r in budi.received] == ["pesan_menunggu"]
    assert budi.last.text == (
        "Ada pesan dari Mitra Media untuk Anda (Diskominfo Sanggau). Balas untuk membacanya."
    )
    ((row,), (reach,)) = (await world.rows(), await world.reach())
    assert row.state == "pending" and reach.reason == "window" and reach.reported
    await world.writes(BUDI)
    await world.sender.deliver_due()
    assert budi.last.text == "Ada pesan untuk Anda."


async def test_an_edit_is_a_follow_up_that_replies_to_the_original(world: World) -> None:
    budi = world.fake.user(BUDI, "Budi")
    await world.writes(BUDI)
    await world.queue(PROMPT)
    await world.sender.deliver_due()
    prompt = budi.last
    (row,) = await world.rows()
    assert row.message_id is not None
    await world.queue(
        EditMessage(
            int(BUDI), row.message_id, "✅ Sudah diterima oleh Budi, 10.05", platform="whatsapp"
        )
    )
    await world.sender.deliver_due()
    assert budi.last.context == prompt.id
    assert budi.last.text == "✅ Sudah diterima oleh Budi, 10.05"
    assert [r.state for r in await world.rows()] == ["sent", "sent"]


async def test_a_reminder_replies_to_its_prompt_or_goes_as_the_reminder_template(
    world: World,
) -> None:
    budi = world.fake.user(BUDI, "Budi")
    await world.writes(BUDI)
    await world.queue(PROMPT)
    await world.sender.deliver_due()
    prompt = budi.last
    (row,) = await world.rows()
    reminder = SendMessage(
        int(BUDI),
        "⏳ <b>Verifikasi berkas</b> (045/DKI/2026): sisa 2 jam, batas 7/12 10.00",
        PROMPT.markup,
        PROMPT.prompt,
        reply_to=row.message_id,
        platform="whatsapp",
    )
    await world.queue(reminder)
    await world.sender.deliver_due()
    assert budi.last.context == prompt.id and budi.last.kind == "interactive"
    world.clock.advance(timedelta(hours=25))
    world.fake.advance_time(25 * 3600)
    await world.queue(reminder)
    await world.sender.deliver_due()
    assert budi.last.template == "pengingat_tugas"
    assert budi.last.text == (
        "Pengingat: tugas Verifikasi berkas (045/DKI/2026) jatuh tempo sisa 2 jam, batas "
        "7/12 10.00. Balas untuk membuka."
    )
    assert world.fake.refused == []


def test_a_late_reminder_says_its_time_has_passed() -> None:
    assert reminder_parameters("⚠️ Verifikasi terlambat 3 jam — Budi menunggu.") == (
        "Verifikasi",
        "sudah lewat",
    )
    # a reminder repeated: its sign and "masih" are not part of the task's name
    assert reminder_parameters("🔁 Terima permohonan masih terlambat 1 hari.") == (
        "Terima permohonan",
        "sudah lewat",
    )
    assert reminder_parameters("Verifikasi") == ("Verifikasi", "segera")


async def test_a_document_is_uploaded_and_a_file_downloaded_through_the_port(
    world: World, tmp_path: Path
) -> None:
    alice = world.fake.user(ALICE, "Alice")
    await world.writes(ALICE)
    pdf = tmp_path / "pks.pdf"
    pdf.write_bytes(b"%PDF-1.7 perjanjian")
    await world.queue(
        SendDocument(int(ALICE), "PKS #12.pdf", str(pdf), "application/pdf", platform="whatsapp")
    )
    await world.sender.deliver_due()
    assert alice.last.media is not None and alice.last.media.data == pdf.read_bytes()
    card = world.fake.store_media(b"\xff\xd8\xff kartu pers", "image/jpeg")
    assert await world.api.download(card.id) == card.data


async def test_outside_the_window_a_follow_up_to_an_old_prompt_is_dropped_not_held(
    world: World,
) -> None:
    budi = world.fake.user(BUDI, "Budi")
    await world.writes(BUDI)
    await world.queue(PROMPT)
    await world.sender.deliver_due()
    (row,) = await world.rows()
    assert row.message_id is not None
    world.clock.advance(timedelta(hours=26))  # Siti accepted it the next day
    world.fake.advance_time(26 * 3600)
    await world.queue(
        EditMessage(int(BUDI), row.message_id, "✅ Sudah diterima oleh Siti", platform="whatsapp")
    )
    await world.sender.deliver_due()
    assert len(budi.received) == 1  # no template only to say someone else did it
    assert [r.state for r in await world.rows()] == ["sent", "sent"]
    assert await world.reach() == []
