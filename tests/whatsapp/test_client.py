"""The Cloud API client against the fake: sends, media both ways, Graph errors as outcomes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bot.delivery import ApiError, Blocked, Rejected, RetryAfter
from bot.whatsapp.client import OutsideWindow, WhatsAppClient, classify
from bot.whatsapp.config import WhatsAppSettings
from bot.whatsapp.fake import FakeWhatsApp, GraphError, StoredMedia
from bot.whatsapp.render import render
from bot.whatsapp.window import new_task
from handlers.replies import Button, InlineKeyboard, SendDocument, SendMessage

from .conftest import ALICE


async def test_a_rendered_prompt_is_sent_and_shows_as_buttons(
    fake: FakeWhatsApp, client: WhatsAppClient
) -> None:
    alice = fake.user(ALICE, "Alice")
    fake.open_window(ALICE)
    keyboard = InlineKeyboard(((Button("Setujui", "act:1"), Button("Tolak", "rej:1")),))
    (outgoing,) = render(SendMessage(1, "<b>Langkah 1</b> &amp; 2", keyboard), ALICE)
    wamid = await client.send_outgoing(outgoing)
    assert alice.last.id == wamid
    assert alice.last.text == "*Langkah 1* & 2"
    assert alice.last.buttons == [("c:act:1", "Setujui"), ("c:rej:1", "Tolak")]
    assert fake.refused == []


async def test_a_document_is_uploaded_then_sent_and_a_persons_file_downloaded(
    fake: FakeWhatsApp, client: WhatsAppClient, tmp_path: Path
) -> None:
    alice = fake.user(ALICE, "Alice")
    fake.open_window(ALICE)
    pdf = tmp_path / "pks.pdf"
    pdf.write_bytes(b"%PDF-1.7 perjanjian kerja sama")
    doc = SendDocument(1, "PKS #12.pdf", str(pdf), "application/pdf", caption="<b>PKS</b>")
    (outgoing,) = render(doc, ALICE)
    await client.send_outgoing(outgoing)
    assert alice.last.media is not None
    assert alice.last.media.data == pdf.read_bytes()
    assert (alice.last.media.file_name, alice.last.text) == ("PKS #12.pdf", "*PKS*")
    # A photo over WhatsApp's 5 MB for images goes as a document rather than not at all.
    big = tmp_path / "kartu.jpg"
    big.write_bytes(b"\xff\xd8\xff" + b"x" * (5 * 1024 * 1024))
    (photo_out,) = render(
        SendDocument(1, "kartu.jpg", str(big), "image/jpeg", as_photo=True), ALICE
    )
    assert photo_out.kind == "image"
    await client.send_outgoing(photo_out)
    assert alice.last.kind == "document" and alice.last.media is not None
    assert alice.last.media.file_name == "kartu.jpg"
    # The other way: a press card photo Alice sent, fetched by its media id.
    photo = fake.store_media(b"\xff\xd8\xff foto kartu pers", "image/jpeg")
    assert await client.download(photo.id) == photo.data
    with pytest.raises(Rejected):
        await client.download("123")  # no such media


async def test_a_file_whose_bytes_do_not_match_its_sha256_is_not_taken(
    fake: FakeWhatsApp, client: WhatsAppClient
) -> None:
    class Tampered(StoredMedia):
        @property
        def sha256(self) -> str:  # what the Graph API said the file was
            return hashlib.sha256(b"asli").hexdigest()

    fake.media["77"] = Tampered("77", b"diubah di jalan", "image/png")
    with pytest.raises(ApiError) as mismatch:
        await client.download("77")
    assert not isinstance(mismatch.value, Rejected)  # downloaded again later


async def test_graph_errors_become_the_outcomes_the_outbox_acts_on(
    fake: FakeWhatsApp, client: WhatsAppClient
) -> None:
    fake.user(ALICE, "Alice")
    text = {"messaging_product": "whatsapp", "to": ALICE, "type": "text", "text": {"body": "Hi"}}
    with pytest.raises(OutsideWindow):  # she never wrote: send the template instead
        await client.send(text)
    await client.send(new_task(ALICE, "Permohonan #12", "c:open:7"))  # which goes
    fake.open_window(ALICE)
    fake.fail_next(GraphError(130429, "(#130429) Rate limit hit"))
    with pytest.raises(RetryAfter) as limited:
        await client.send(text)
    assert limited.value.seconds == 1.0
    fake.fail_next(GraphError(131016, "Service unavailable", status=503))
    with pytest.raises(ApiError) as outage:
        await client.send(text)
    assert not isinstance(outage.value, Rejected)  # retried later, not given up
    with pytest.raises(Rejected) as bad:
        await client.send({**text, "text": {"body": "x" * 5000}})
    assert "(#100)" in bad.value.description and ALICE not in bad.value.description
    fake.block(ALICE)
    with pytest.raises(Blocked):
        await client.send(text)


async def test_a_bad_token_and_a_dead_server_are_retried_later_not_given_up(
    fake: FakeWhatsApp,
) -> None:
    async with WhatsAppClient(fake.phone_id, "EAAG-expired", base_url=fake.base_url) as client:
        with pytest.raises(ApiError) as expired:
            await client.send({"messaging_product": "whatsapp", "to": ALICE, "type": "text"})
    assert not isinstance(expired.value, Rejected) and "(#190)" in expired.value.description
    assert "EAAG-expired" not in str(expired.value)
    dead = WhatsAppClient(fake.phone_id, fake.token, base_url="http://127.0.0.1:9", timeout=2)
    async with dead:
        with pytest.raises(ApiError) as unreachable:
            await dead.send({})
    assert not isinstance(unreachable.value, Rejected)


@pytest.mark.parametrize(
    "status, code, outcome",
    [
        (400, 131056, RetryAfter),
        (400, 80007, RetryAfter),
        (400, 131047, OutsideWindow),
        (400, 131026, Blocked),
        (400, 132001, Rejected),
        (400, 132000, Rejected),
        (400, 131009, Rejected),
        (400, 131053, Rejected),
        (500, 1, ApiError),
        (400, 2, ApiError),
        (403, 10, ApiError),
    ],
)
def test_each_graph_code_has_its_outcome(status: int, code: int, outcome: type) -> None:
    result = classify(status, {"code": code, "message": "m"})
    assert type(result) is outcome


def test_the_settings_come_from_the_documented_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "WHATSAPP_PHONE_ID": "106540352242922",
        "WHATSAPP_TOKEN": "EAAG-token",
        "WHATSAPP_APP_SECRET": "secret",
        "WHATSAPP_VERIFY_TOKEN": "verify",
    }.items():
        monkeypatch.setenv(name, value)
    settings = WhatsAppSettings()  # type: ignore[call-arg]
    assert settings.phone_id == "106540352242922"
    assert settings.token.get_secret_value() == "EAAG-token"
    assert "EAAG-token" not in repr(settings)  # a settings dump in a log shows no secret
    assert settings.webhook_path == "/whatsapp"
