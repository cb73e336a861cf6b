"""A prompt to an official outside the 24-hour window goes as a template; its quick reply
brings the full prompt (the issue's 'must show', at the level this step reaches)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.fake import FakeWhatsApp
from bot.whatsapp.inbound import ListReply, QuickReply
from bot.whatsapp.render import render
from bot.whatsapp.send import send_reply
from bot.whatsapp.window import new_task
from handlers.replies import Button, InlineKeyboard, SendMessage
from workflow.clock import ManualClock

from .conftest import BUDI, Receiver

PROMPT = SendMessage(
    1,
    "<b>📝 Langkah 2/9 — Kabid</b>\nPermohonan <b>#12</b>",
    InlineKeyboard(
        (
            (Button("⬜ Form isian tanda terima media", "chk:7:form"),),
            (Button("Terima", "act:7:accept"), Button("Kembalikan", "act:7:return")),
            (Button("Tolak", "act:7:reject"),),
        )
    ),
)


async def test_a_prompt_outside_the_window_goes_as_a_template_that_reopens_it(
    fake: FakeWhatsApp, client: WhatsAppClient, receiver: Receiver
) -> None:
    budi = fake.user(BUDI, "Budi")
    wrote = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    clock = ManualClock(wrote + timedelta(hours=30))  # he last wrote yesterday morning
    template = new_task(BUDI, "Permohonan #12, langkah 2/9", "c:open:7")
    sent = await send_reply(
        client, render(PROMPT, BUDI), template=template, last_inbound=wrote, clock=clock
    )
    assert sent.as_template and budi.last.template == "tugas_baru"
    assert (
        budi.last.text
        == "Ada tugas baru untuk Anda: Permohonan #12, langkah 2/9. Balas untuk membuka."
    )
    await budi.press("Buka tugas")
    (reopen,) = receiver.events
    assert isinstance(reopen, QuickReply) and reopen.payload == "c:open:7"
    # The bot would now send the prompt again; his press opened the window.
    sent = await send_reply(
        client,
        render(PROMPT, BUDI),
        template=template,
        last_inbound=datetime.fromtimestamp(reopen.timestamp, UTC),
        clock=ManualClock(datetime.fromtimestamp(reopen.timestamp, UTC)),
    )
    assert not sent.as_template and budi.last.rows
    await budi.pick("Terima")
    assert isinstance(receiver.events[-1], ListReply)
    assert receiver.events[-1].id == "c:act:7:accept"
    assert fake.refused == []


async def test_when_whatsapp_says_the_window_closed_the_template_stands_for_the_rest(
    fake: FakeWhatsApp, client: WhatsAppClient
) -> None:
    budi = fake.user(BUDI, "Budi")  # never wrote, as far as WhatsApp knows
    clock = ManualClock(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    template = new_task(BUDI, "Permohonan #12", "c:open:7")
    sent = await send_reply(
        client, render(PROMPT, BUDI), template=template, last_inbound=clock.now(), clock=clock
    )
    assert sent.as_template and len(sent.message_ids) == 1
    assert [r.template for r in budi.received] == ["tugas_baru"]
    assert [r.code for r in fake.refused] == [131047]
