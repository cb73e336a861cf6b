"""The webhook receiver: Meta's handshake, signatures, and each message decoded on its own."""

from __future__ import annotations

import json
import logging

import pytest
from aiohttp import ClientSession

from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.fake import FakeWhatsApp
from bot.whatsapp.inbound import (
    ButtonReply,
    ListReply,
    MediaMessage,
    QuickReply,
    Status,
    TextMessage,
    Unsupported,
)
from bot.whatsapp.window import new_task

from .conftest import ALICE, VERIFY_TOKEN, Receiver


async def test_the_handshake_answers_the_challenge_only_with_the_verify_token(
    fake: FakeWhatsApp, receiver: Receiver
) -> None:
    assert await fake.verify_webhook(receiver.url, VERIFY_TOKEN)
    assert not await fake.verify_webhook(receiver.url, "guessed")
    async with ClientSession() as http:
        query = {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}
        async with http.get(receiver.url, params=query) as resp:
            assert resp.status == 403


async def test_what_a_person_does_reaches_the_bot_as_dataclasses(
    fake: FakeWhatsApp, receiver: Receiver
) -> None:
    alice = fake.user(ALICE, "Alice")
    await alice.send("daftar")
    fake.accounts[ALICE].received.append(_interactive(fake))
    await alice.press("Setujui")
    await alice.pick("Kembalikan ke pemohon…")
    pdf = b"%PDF-1.4 surat permohonan"
    media_id = await alice.send_document(pdf, "surat.pdf", "application/pdf", caption="Surat")
    await alice.send_image(b"\xff\xd8\xff jpeg", caption="Kartu pers")
    text, button, row, document, image = receiver.events
    assert isinstance(text, TextMessage) and text.text == "daftar"
    assert (text.sender, text.name) == (ALICE, "Alice")
    assert isinstance(button, ButtonReply) and (button.id, button.title) == ("c:act:1", "Setujui")
    assert button.context == fake.accounts[ALICE].received[0].id  # the message pressed
    assert isinstance(row, ListReply) and row.id == "c:ret:1"
    assert row.description == "Kembalikan ke pemohon untuk perbaikan"
    assert isinstance(document, MediaMessage) and document.kind == "document"
    assert (document.media_id, document.file_name, document.caption) == (
        media_id,
        "surat.pdf",
        "Surat",
    )
    assert isinstance(image, MediaMessage) and image.mime_type == "image/jpeg"
    assert image.caption == "Kartu pers"
    assert fake.window_open(ALICE)  # writing opened her window


async def test_a_template_quick_reply_comes_back_with_its_payload(
    fake: FakeWhatsApp, receiver: Receiver
) -> None:
    alice = fake.user(ALICE, "Alice")
    received, _ = fake.check(new_task(ALICE, "Permohonan #12", "c:open:7"))
    fake.accounts[ALICE].received.append(received)
    await alice.press("Buka tugas")
    (reply,) = receiver.events
    assert isinstance(reply, QuickReply) and (reply.payload, reply.text) == (
        "c:open:7",
        "Buka tugas",
    )


@pytest.mark.parametrize("secret", [None, "not-the-app-secret"], ids=["unsigned", "wrong secret"])
async def test_unsigned_or_wrongly_signed_posts_are_refused(
    fake: FakeWhatsApp, receiver: Receiver, secret: str | None
) -> None:
    body = fake.envelope({"messages": [_text_message("hapus semua")]})
    status = await fake.post_webhook(body, sign=secret is not None, secret=secret)
    assert status == 403
    assert receiver.events == [] and receiver.hook.refused == 1
    # The signature covers the exact bytes: the same body re-serialised differently fails too.
    raw = json.dumps(body).encode()
    assert await fake.post_webhook(raw) == 200
    assert await fake.post_webhook(raw + b" ", sign=False) == 403


async def test_an_unreadable_message_is_skipped_and_logged_without_its_text_or_number(
    fake: FakeWhatsApp, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    broken = {**_text_message("rahasia NIK 3201234567890001"), "text": {"bodi": "x"}}
    no_sender = {"id": "wamid.2", "timestamp": "1", "type": "text", "text": {"body": "rahasia"}}
    location = {**_text_message(""), "type": "location", "location": {"latitude": 0.1}}
    value = {"messages": [broken, _text_message("halo"), no_sender, location]}
    with caplog.at_level(logging.WARNING):
        assert await fake.post_webhook(fake.envelope(value)) == 200
    good, unsupported = receiver.events
    assert isinstance(good, TextMessage) and good.text == "halo"
    assert isinstance(unsupported, Unsupported) and unsupported.kind == "location"
    assert "could not be read" in caplog.text
    assert "rahasia" not in caplog.text and ALICE not in caplog.text and "3201" not in caplog.text


async def test_statuses_are_decoded_with_their_errors(
    fake: FakeWhatsApp, receiver: Receiver
) -> None:
    fake.user(ALICE, "Alice")
    received, _ = fake.check(new_task(ALICE, "Permohonan #12", "c:open:7"))
    errors = [{"code": 131047, "title": "Re-engagement message"}]
    assert await fake.post_status(received, ALICE, "failed", errors) == 200
    (status,) = receiver.events
    assert isinstance(status, Status) and status.status == "failed"
    assert status.message_id == received.id and status.errors[0].code == 131047


async def test_a_signed_body_that_is_not_a_whatsapp_webhook_is_acknowledged_and_ignored(
    fake: FakeWhatsApp, receiver: Receiver
) -> None:
    # Meta resends what is not acknowledged for days; what cannot be read now never will be.
    assert await fake.post_webhook(b"not json") == 200
    assert await fake.post_webhook({"object": "page", "entry": []}) == 200
    assert receiver.events == []


def _text_message(body: str) -> dict[str, object]:
    return {
        "from": ALICE,
        "id": "wamid.1",
        "timestamp": "1765000000",
        "type": "text",
        "text": {"body": body},
    }


def _interactive(fake: FakeWhatsApp) -> object:
    """A prompt with buttons and one with a list, as the bot would have sent them."""
    fake.open_window(ALICE)
    buttons = {
        "messaging_product": "whatsapp",
        "to": ALICE,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Langkah 1"},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": "c:act:1", "title": "Setujui"}}]
            },
        },
    }
    listing = {
        **buttons,
        "interactive": {
            "type": "list",
            "body": {"text": "Langkah 2"},
            "action": {
                "button": "Pilih",
                "sections": [
                    {
                        "rows": [
                            {
                                "id": "c:ret:1",
                                "title": "Kembalikan ke pemohon…",
                                "description": "Kembalikan ke pemohon untuk perbaikan",
                            }
                        ]
                    }
                ],
            },
        },
    }
    fake.accounts[ALICE].received.append(fake.check(buttons)[0])
    return fake.check(listing)[0]


async def test_as_the_real_api_a_closed_window_can_be_reported_later_in_a_status(
    receiver: Receiver,
) -> None:
    async with FakeWhatsApp(late_failures=True) as fake:
        assert await fake.verify_webhook(receiver.url, VERIFY_TOKEN)
        fake.user(ALICE, "Alice")  # she never wrote
        text = {
            "messaging_product": "whatsapp",
            "to": ALICE,
            "type": "text",
            "text": {"body": "Hai"},
        }
        async with WhatsAppClient(fake.phone_id, fake.token, base_url=fake.base_url) as client:
            wamid = await client.send(text)  # accepted...
        await fake.settle()
        (status,) = receiver.events  # ...then reported failed
        assert isinstance(status, Status) and (status.message_id, status.status) == (
            wamid,
            "failed",
        )
        assert status.errors[0].code == 131047
        assert fake.accounts[ALICE].received == []
