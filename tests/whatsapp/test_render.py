"""The renderer: Telegram-shaped replies become payloads the strict fake accepts, text intact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.whatsapp import limits
from bot.whatsapp.fake import FakeWhatsApp
from bot.whatsapp.markup import cut, plain_text, shorten, to_whatsapp
from bot.whatsapp.message_templates import approved
from bot.whatsapp.render import Outgoing, render, with_media_id
from bot.whatsapp.window import may_send_free_form, new_task
from handlers.replies import (
    AnswerCallback,
    Button,
    EditMessage,
    InlineKeyboard,
    RemoveKeyboard,
    Reply,
    ReplyKeyboard,
    SendDocument,
    SendMessage,
    SetCommands,
)
from workflow.clock import ManualClock

from .conftest import ALICE

# --- strategies --------------------------------------------------------------------------------

TAGS = ["b", "strong", "i", "em", "u", "s", "del", "code", "pre", "tg-spoiler", "blockquote"]
URLS = ["https://kominfo.sanggau.go.id", "https://x.id/berita?id=1&p=2"]


def _tag(tag: str, children: list[str]) -> str:
    if tag == "a":
        return f'<a href="{escape(URLS[len(children) % 2])}">{"".join(children)}</a>'
    return f"<{tag}>{''.join(children)}</{tag}>"


texts = st.text(max_size=120).map(lambda t: escape(t, quote=False))
html = st.recursive(
    texts,
    lambda inner: st.builds(_tag, st.sampled_from([*TAGS, "a"]), st.lists(inner, max_size=4)),
    max_leaves=25,
)
long_html = st.one_of(html, html.map(lambda h: (h + "\n") * 60))
labels = st.text(min_size=1, max_size=60)
callback_data = st.text(min_size=1, max_size=64).filter(lambda d: len(d.encode()) <= 64)
buttons = st.one_of(
    st.builds(Button, labels, callback_data),
    st.builds(lambda t, u: Button(t, url=u), labels, st.sampled_from(URLS)),
)
inline = st.builds(
    InlineKeyboard,
    st.lists(st.lists(buttons, min_size=1, max_size=4).map(tuple), max_size=8).map(tuple),
)
reply_keyboards = st.builds(
    ReplyKeyboard,
    st.lists(st.lists(labels, min_size=1, max_size=3).map(tuple), min_size=1, max_size=5).map(
        tuple
    ),
    st.booleans(),
)
markups = st.one_of(st.none(), inline, reply_keyboards, st.just(RemoveKeyboard()))
MIMES = [
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/msword",
    "image/webp",
    "application/zip",
]
replies: st.SearchStrategy[Reply] = st.one_of(
    st.builds(SendMessage, st.just(1), long_html, markups),
    st.builds(EditMessage, st.just(1), st.just(7), long_html, st.one_of(st.none(), inline)),
    st.builds(
        SendDocument,
        st.just(1),
        st.text(min_size=1, max_size=40),
        st.just("/dev/null"),
        st.sampled_from(MIMES),
        st.one_of(st.none(), html),
        as_photo=st.booleans(),
    ),
    st.builds(AnswerCallback, st.just("q1"), st.one_of(st.none(), st.text(max_size=200))),
)

FAKE = FakeWhatsApp()  # never started: check() validates a payload as the HTTP path does
FAKE.user(ALICE, "Alice")


def accepted(outgoing: Outgoing) -> None:
    payload = outgoing.payload
    if outgoing.upload is not None:
        media = FAKE.store_media(b"%PDF", outgoing.upload.mime_type)
        payload = with_media_id(outgoing, media.id)
    FAKE.open_window(ALICE)
    FAKE.check(payload)  # raises GraphError if the real API would refuse it


def choice_ids(reply: Reply) -> set[str]:
    markup = getattr(reply, "markup", None)
    if isinstance(markup, InlineKeyboard):
        return {
            f"c:{b.callback_data}"
            for row in markup.rows
            for b in row
            if b.callback_data is not None and b.text.split()
        }
    if isinstance(markup, ReplyKeyboard):
        labels = [label for row in markup.rows for label in row]
        return {f"t:{t}" for t in labels[1 if markup.request_contact else 0 :] if t.split()}
    return set()


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(reply=replies, reply_to=st.one_of(st.none(), st.just("wamid.ORIGINAL")))
def test_any_reply_renders_into_payloads_the_strict_fake_accepts(
    reply: Reply, reply_to: str | None
) -> None:
    rendered = render(reply, ALICE, reply_to=reply_to)
    for outgoing in rendered:
        accepted(outgoing)
    # Every choice can still be made: each id is a button or a row of one of the messages.
    shown = set()
    for outgoing in rendered:
        action = outgoing.payload.get("interactive", {}).get("action", {})
        shown |= {b["reply"]["id"] for b in action.get("buttons", [])}
        shown |= {r["id"] for s in action.get("sections", []) for r in s["rows"]}
    assert {i.encode()[:200].decode(errors="ignore") for i in choice_ids(reply)} == shown


def is_subsequence(part: str, whole: str) -> bool:
    letters = iter(whole)
    return all(char in letters for char in part)


@settings(max_examples=300, deadline=None)
@given(source=html)
def test_the_markup_conversion_never_loses_text(source: str) -> None:
    assert is_subsequence(plain_text(source), to_whatsapp(source))


@given(label=st.text(min_size=1, max_size=100), limit=st.integers(min_value=5, max_value=72))
def test_a_shortened_title_fits_and_keeps_the_start_of_the_label(label: str, limit: int) -> None:
    title = shorten(label, limit)
    flat = " ".join(label.split())
    assert limits.units(title) <= limit
    if title != flat:
        assert title.endswith("…") and flat.startswith(title[:-1])


@given(text=st.text(max_size=3000), limit=st.integers(min_value=10, max_value=1024))
def test_a_cut_text_fits_and_keeps_its_beginning(text: str, limit: int) -> None:
    out = cut(text, limit)
    assert limits.units(out) <= limit
    if out != text:
        kept = out.removesuffix("…").removesuffix("\n")
        assert text.startswith(kept)


# --- decisions, by example --------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected",
    [
        ("<b>Langkah 2/9</b> · Permohonan #12", "*Langkah 2/9* · Permohonan #12"),
        ("<i>miring</i> <s>coret</s> <u>garis</u>", "_miring_ ~coret~ garis"),
        ("<b>tebal <i>dan miring</i></b>", "*tebal _dan miring_*"),
        ("<b> spasi </b>x", " *spasi* x"),
        ("<b>dua\nbaris</b>", "*dua*\n*baris*"),
        ("<b><b>sekali</b></b>", "*sekali*"),
        ("<code>045/DKI</code>", "`045/DKI`"),
        ("<pre>a\nb</pre>", "```a\nb```"),
        ('<a href="https://x.id">situs</a>', "situs (https://x.id)"),
        ('<a href="https://x.id">https://x.id</a>', "https://x.id"),
        ("<blockquote>kutip\nlagi</blockquote>", "> kutip\n> lagi"),
        ("PT A &amp; B &lt;Tbk&gt; &quot;Ok&quot; &#39;", 'PT A & B <Tbk> "Ok" \''),
        ("<tg-spoiler>rahasia</tg-spoiler>", "rahasia"),
    ],
)
def test_telegram_html_becomes_whatsapp_markup(source: str, expected: str) -> None:
    assert to_whatsapp(source) == expected


def _keyboard(*labels: str) -> InlineKeyboard:
    return InlineKeyboard(tuple((Button(label, f"x:{n}"),) for n, label in enumerate(labels)))


def test_three_short_choices_are_reply_buttons_and_a_fourth_makes_a_list() -> None:
    (three,) = render(SendMessage(1, "Pilih", _keyboard("Setujui", "Kembalikan", "Tolak")), ALICE)
    assert three.payload["interactive"]["type"] == "button"
    (four,) = render(SendMessage(1, "Pilih", _keyboard("A", "B", "C", "D")), ALICE)
    assert four.payload["interactive"]["type"] == "list"
    assert four.payload["interactive"]["action"]["button"] == "Pilih"


def test_a_label_too_long_for_a_title_keeps_its_whole_text_in_the_description() -> None:
    label = "Kembalikan ke pemohon untuk perbaikan"
    (out,) = render(SendMessage(1, "Langkah 2", _keyboard(label)), ALICE)
    (row,) = out.payload["interactive"]["action"]["sections"][0]["rows"]
    assert (row["title"], row["description"]) == ("Kembalikan ke pemohon…", label)


def test_more_than_ten_choices_go_as_lists_in_even_parts() -> None:
    labels = [f"⬜ Kelengkapan {n}" for n in range(13)]
    first, second = render(SendMessage(1, "Checklist", _keyboard(*labels)), ALICE)
    rows = [o.payload["interactive"]["action"]["sections"][0]["rows"] for o in (first, second)]
    assert [len(r) for r in rows] == [7, 6]
    assert [r["title"] for r in rows[0] + rows[1]] == labels  # in keyboard order
    assert first.payload["interactive"]["body"]["text"] == "Checklist"
    assert "(2/2)" in second.payload["interactive"]["body"]["text"]


def test_a_text_too_long_for_an_interactive_body_goes_first_on_its_own() -> None:
    text, choices = render(SendMessage(1, "x" * 2000, _keyboard("Setujui")), ALICE)
    assert text.payload["text"]["body"] == "x" * 2000
    assert choices.payload["interactive"]["body"]["text"] == "Pilih tindakan untuk pesan di atas."


def test_a_link_button_joins_the_text() -> None:
    keyboard = InlineKeyboard(((Button("📄 Unduh PKS", url="https://x.id/pks"),),))
    (out,) = render(SendMessage(1, "PKS siap", keyboard), ALICE)
    assert out.payload["text"]["body"] == "PKS siap\n\n📄 Unduh PKS: https://x.id/pks"


def test_an_edit_becomes_a_follow_up_that_replies_to_the_original() -> None:
    edit = EditMessage(1, 7, "✅ <b>Diterima</b> oleh Budi pada 10.05", None)
    (out,) = render(edit, ALICE, reply_to="wamid.PROMPT")
    assert out.payload["text"]["body"] == "✅ *Diterima* oleh Budi pada 10.05"
    assert out.payload["context"] == {"message_id": "wamid.PROMPT"}
    (long,) = render(EditMessage(1, 7, "baris\n" * 400, None), ALICE)
    assert limits.units(long.payload["text"]["body"]) <= limits.INTERACTIVE_BODY


def test_what_whatsapp_has_no_form_for() -> None:
    (zipped,) = render(SendDocument(1, "berkas.zip", "/x", "application/zip"), ALICE)
    assert zipped.upload is None and '"berkas.zip"' in zipped.payload["text"]["body"]
    assert render(AnswerCallback("q1"), ALICE) == []
    assert render(SetCommands((("start", "Mulai"),)), ALICE) == []
    (toast,) = render(AnswerCallback("q1", "Tombol ini sudah tidak berlaku"), ALICE)
    assert toast.payload["text"]["body"] == "Tombol ini sudah tidak berlaku"
    keyboard = ReplyKeyboard((("📱 Bagikan nomor telepon",), ("Batal",)), request_contact=True)
    (out,) = render(SendMessage(1, "Nomor Anda?", keyboard), ALICE)
    assert out.payload["interactive"]["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "t:Batal", "title": "Batal"}}
    ]


# --- the 24-hour window ------------------------------------------------------------------------


def test_the_window_is_24_hours_from_the_last_message_less_a_margin() -> None:
    wrote = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    clock = ManualClock(wrote)
    assert not may_send_free_form(None, clock)
    assert may_send_free_form(wrote, clock)
    clock.advance(hours=23, minutes=54)
    assert may_send_free_form(wrote, clock)
    clock.advance(minutes=2)
    assert not may_send_free_form(wrote, clock)
    assert may_send_free_form(wrote, clock, margin=timedelta(0))
    clock.advance(days=1)
    assert not may_send_free_form(wrote, clock, margin=timedelta(0))
    assert not may_send_free_form(wrote + timedelta(hours=1), ManualClock(wrote))  # not yet


@given(agenda=st.text(max_size=2000))
def test_the_new_task_template_takes_any_agenda(agenda: str) -> None:
    fake = FakeWhatsApp()
    fake.user(ALICE, "Alice")  # her window is closed: only a template may go
    received, _ = fake.check(new_task(ALICE, agenda, "c:open:7"))
    assert received.template == "tugas_baru"
    assert received.buttons == [("c:open:7", "Buka tugas")]


def test_the_office_submits_exactly_the_templates_the_bot_sends() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "whatsapp.md").read_text("utf-8")
    for template in approved().values():
        assert f"| `{template.name}` | {template.body} |" in doc
        assert f"| {template.quick_reply} |" in doc
