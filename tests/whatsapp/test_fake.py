"""The fake Cloud API refuses what the real one refuses, with its codes and error JSON."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientSession, FormData

from bot.whatsapp.fake import FakeWhatsApp, GraphError
from bot.whatsapp.window import template_message

from .conftest import ALICE


def envelope(kind: str, content: dict[str, Any], to: str = ALICE) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": to, "type": kind, kind: content}


def buttons(*titles: str, ids: list[str] | None = None) -> dict[str, Any]:
    ids = ids or [f"c:{n}" for n in range(len(titles))]
    return envelope(
        "interactive",
        {
            "type": "button",
            "body": {"text": "Pilih"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": i, "title": t}}
                    for i, t in zip(ids, titles, strict=True)
                ]
            },
        },
    )


def listing(rows: list[dict[str, Any]], button: str = "Pilih", **extra: Any) -> dict[str, Any]:
    content = {
        "type": "list",
        "body": {"text": "Pilih"},
        "action": {"button": button, "sections": [{"rows": rows}]},
        **extra,
    }
    return envelope("interactive", content)


def rows(count: int, title: str = "Baris", description: str | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"id": f"r{n}", "title": f"{title} {n}"} for n in range(count)]
    if description is not None:
        out[0]["description"] = description
    return out


@pytest.fixture
def open_fake() -> FakeWhatsApp:
    """Checks without HTTP: Alice's window is open, so only the payload decides."""
    fake = FakeWhatsApp()
    fake.user(ALICE, "Alice")
    fake.open_window(ALICE)
    return fake


ACCEPTED = [
    envelope("text", {"body": "x" * 4096}),
    buttons("Setujui", "Kembalikan", "Tolak"),
    buttons("x" * 20),
    listing(rows(10)),
    listing([{"id": "i" * 200, "title": "t" * 24, "description": "d" * 72}]),
    {
        **buttons("Ya"),
        "interactive": {
            **buttons("Ya")["interactive"],
            "header": {"type": "text", "text": "h" * 60},
            "footer": {"text": "f" * 60},
        },
    },
]


@pytest.mark.parametrize("payload", ACCEPTED)
def test_what_fits_the_limits_is_accepted(open_fake: FakeWhatsApp, payload: dict[str, Any]) -> None:
    received, to = open_fake.check(payload)
    assert to == ALICE and received.text


REFUSED = {
    "a 4th reply button": (buttons("A", "B", "C", "D"), 131009),
    "a button title of 21": (buttons("x" * 21), 131009),
    "a button id of 257": (buttons("Ya", ids=["i" * 257]), 131009),
    "two buttons alike": (buttons("Ya", "Ya"), 131009),
    "11 list rows": (listing(rows(11)), 131009),
    "a row title of 25": (listing([{"id": "r", "title": "t" * 25}]), 131009),
    "a row description of 73": (listing(rows(1, description="d" * 73)), 131009),
    "a row id of 201": (listing([{"id": "i" * 201, "title": "t"}]), 131009),
    "a list button of 21": (listing(rows(2), button="b" * 21), 131009),
    "two rows with one id": (
        listing([{"id": "r", "title": "a"}, {"id": "r", "title": "b"}]),
        131009,
    ),
    "a text of 4097": (envelope("text", {"body": "x" * 4097}), 100),
    "an empty text": (envelope("text", {"body": " "}), 100),
    "an interactive body of 1025": (
        {
            **buttons("Ya"),
            "interactive": {**buttons("Ya")["interactive"], "body": {"text": "x" * 1025}},
        },
        100,
    ),
    "a header of 61": (
        {
            **buttons("Ya"),
            "interactive": {
                **buttons("Ya")["interactive"],
                "header": {"type": "text", "text": "h" * 61},
            },
        },
        100,
    ),
    "a footer of 61": (
        {
            **buttons("Ya"),
            "interactive": {**buttons("Ya")["interactive"], "footer": {"text": "f" * 61}},
        },
        100,
    ),
    "no messaging_product": ({"to": ALICE, "type": "text", "text": {"body": "x"}}, 100),
    "a number that is not one": (envelope("text", {"body": "x"}, to="alice"), 100),
    "someone not on WhatsApp": (envelope("text", {"body": "x"}, to="6289999999999"), 131026),
    "an unknown template": (
        envelope("template", {"name": "halo", "language": {"code": "id"}}),
        132001,
    ),
    "a template in another language": (
        {
            **template_message(ALICE, "tugas_baru", ("A",), "c:1"),
            "template": {
                **template_message(ALICE, "tugas_baru", ("A",), "c:1")["template"],
                "language": {"code": "en_US"},
            },
        },
        132001,
    ),
    "a template short of a parameter": (
        envelope(
            "template",
            {
                "name": "pengingat_tugas",
                "language": {"code": "id"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "A"}]}],
            },
        ),
        132000,
    ),
    "a template parameter with a new line": (
        envelope(
            "template",
            {
                "name": "tugas_baru",
                "language": {"code": "id"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "A\nB"}]}],
            },
        ),
        132018,
    ),
    "a media id never uploaded": (envelope("document", {"id": "404"}), 100),
}


@pytest.mark.parametrize("payload, code", REFUSED.values(), ids=REFUSED.keys())
def test_what_the_cloud_api_refuses_is_refused(
    open_fake: FakeWhatsApp, payload: dict[str, Any], code: int
) -> None:
    with pytest.raises(GraphError) as refused:
        open_fake.check(payload)
    assert refused.value.code == code


async def post(fake: FakeWhatsApp, payload: Any, token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token or fake.token}"}
    url = f"{fake.base_url}/v21.0/{fake.phone_id}/messages"
    async with ClientSession() as http, http.post(url, json=payload, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_errors_have_the_graph_shape_and_a_bad_token_is_401_code_190(
    fake: FakeWhatsApp,
) -> None:
    fake.user(ALICE, "Alice")
    status, body = await post(fake, envelope("text", {"body": "Halo"}), token="EAAG-stolen")
    assert status == 401
    assert body["error"]["code"] == 190 and body["error"]["type"] == "OAuthException"
    assert set(body["error"]) >= {"message", "type", "code", "fbtrace_id"}
    async with ClientSession() as http:
        url = f"{fake.base_url}/v21.0/{fake.phone_id}/messages"
        async with http.post(url, json={}) as resp:  # no token at all
            assert resp.status == 401 and (await resp.json())["error"]["code"] == 190
        url = f"{fake.base_url}/v21.0/999/messages"
        headers = {"Authorization": f"Bearer {fake.token}"}
        async with http.post(url, json={}, headers=headers) as resp:
            error = (await resp.json())["error"]
            assert resp.status == 400 and (error["code"], error["error_subcode"]) == (100, 33)


async def test_the_24_hour_window_opens_when_the_person_writes_and_closes_after_a_day(
    fake: FakeWhatsApp,
) -> None:
    alice = fake.user(ALICE, "Alice")
    text = envelope("text", {"body": "Ada tugas baru"})
    status, body = await post(fake, text)
    assert status == 400 and body["error"]["code"] == 131047  # she never wrote
    assert body["error"]["error_data"]["details"].startswith("Message failed to send")
    # A template goes outside the window: that is what templates are for.
    status, body = await post(fake, template_message(ALICE, "tugas_baru", ("#12",), "c:1"))
    assert status == 200 and body["messages"][0]["message_status"] == "accepted"
    assert alice.last.text == "Ada tugas baru untuk Anda: #12. Balas untuk membuka."
    fake.open_window(ALICE)  # as if she wrote
    assert (await post(fake, text))[0] == 200
    fake.advance_time(24 * 3600 - 60)
    assert (await post(fake, text))[0] == 200
    fake.advance_time(61)
    assert (await post(fake, text))[1]["error"]["code"] == 131047


async def upload(fake: FakeWhatsApp, data: bytes, mime: str) -> tuple[int, Any]:
    form = FormData()
    form.add_field("messaging_product", "whatsapp")
    form.add_field("type", mime)
    form.add_field("file", data, filename="f", content_type=mime)
    url = f"{fake.base_url}/v21.0/{fake.phone_id}/media"
    headers = {"Authorization": f"Bearer {fake.token}"}
    async with ClientSession() as http, http.post(url, data=form, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_media_over_the_limits_or_of_other_types_is_refused(fake: FakeWhatsApp) -> None:
    fake.user(ALICE, "Alice")
    fake.open_window(ALICE)
    status, body = await upload(fake, b"MZ\x90\x00", "application/x-msdownload")
    assert status == 400 and body["error"]["code"] == 100
    # An image over 5 MB uploads (it could go as a document) but is refused as an image.
    status, body = await upload(fake, b"\xff" * (5 * 1024 * 1024 + 1), "image/jpeg")
    assert status == 200
    status, body = await post(fake, envelope("image", {"id": body["id"]}))
    assert status == 400 and body["error"]["code"] == 131053
    fake.media_limits["document"] = 1000  # 100 MB in a test is slow; the rule is the same
    status, body = await upload(fake, b"%PDF" + b"x" * 1000, "application/pdf")
    assert status == 400 and body["error"]["code"] == 131053
    status, body = await upload(fake, b"%PDF" + b"x" * 900, "application/pdf")
    assert status == 200
    sent = await post(fake, envelope("document", {"id": body["id"], "filename": "a.pdf"}))
    assert sent[0] == 200
    assert fake.accounts[ALICE].received[-1].media is not None
