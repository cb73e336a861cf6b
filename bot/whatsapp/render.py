"""The bot's replies (handlers/replies.py, Telegram-shaped today) as WhatsApp Cloud API payloads.

Decisions, each kept within the limits in :mod:`bot.whatsapp.limits`:

- **Buttons.** Up to 3 choices whose labels fit 20 characters (and differ) become reply
  buttons. Otherwise a list message: a row title holds 24 characters, and a label cut to fit
  it keeps its whole text in the row's description (72), so a shortened title never hides
  what the choice does. A button id carries the callback data (at most 64 bytes) as
  ``c:<data>``; a reply-keyboard choice carries its text as ``t:<text>`` (pressing it means
  typing it). Telegram's "share my phone" button is dropped: WhatsApp gives us the number.
- **More than 10 choices** (an official's checklist with its actions can have 12 or more)
  are split into several list messages of at most 10 rows, in keyboard order and in even
  parts (13 -> 7 + 6). Not summarised: every choice is something the person may need, and a
  summary cannot be pressed. Not paginated with a "more" row: that needs state on our side,
  while every row of every part already works on its own (its id is the callback data).
- **Long text with choices.** An interactive body holds 1,024 characters: a longer text goes
  first as a text message (4,096) and the choices follow in a message that says so.
- **Links.** Reply buttons cannot open a link: a URL button's label and link join the text.
- **Edits.** WhatsApp cannot edit a sent message: an EditMessage becomes a follow-up, cut to
  1,024 characters (the original is right above it) and, when the original's message id is
  known, sent as a reply to it so the phone shows which message it is about.
- **Pop-ups.** WhatsApp has no callback answer: an AnswerCallback with a text (a refused or
  stale press) becomes a short message; one without text becomes nothing.
- **Command menus** (SetCommands) have no WhatsApp counterpart here: nothing is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from handlers.replies import (
    AnswerCallback,
    EditMessage,
    InlineKeyboard,
    Markup,
    Reply,
    ReplyKeyboard,
    SendDocument,
    SendMessage,
    SetCommands,
)

from . import limits
from .markup import cut, shorten, to_whatsapp

CALLBACK_PREFIX = "c:"
TEXT_PREFIX = "t:"

Payload = dict[str, Any]


@dataclass(frozen=True)
class Upload:
    """A file to upload before its message goes: its media id fills ``payload[kind]["id"]``."""

    path: str
    mime_type: str
    file_name: str


@dataclass(frozen=True)
class Outgoing:
    payload: Payload
    upload: Upload | None = None

    @property
    def kind(self) -> str:
        return str(self.payload["type"])


@dataclass(frozen=True)
class Choice:
    id: str
    label: str


# --- texts the renderer adds (templates/whatsapp/texts.txt.j2) -------------------------------


@lru_cache(maxsize=1)
def _texts() -> Any:
    env = Environment(
        loader=PackageLoader("templates", ""), autoescape=False, undefined=StrictUndefined
    )
    return env.get_template("whatsapp/texts.txt.j2").module


def text(name: str, *args: object) -> str:
    return str(getattr(_texts(), name)(*args)).strip()


# --- replies ----------------------------------------------------------------------------------


def render(reply: Reply, to: str, *, reply_to: str | None = None) -> list[Outgoing]:
    """The WhatsApp messages that say what ``reply`` says, to the WhatsApp id ``to``.

    ``reply_to``: the WhatsApp message id an EditMessage is about (the follow-up quotes it).
    """
    match reply:
        case SendMessage(text=html, markup=markup):
            return message(to, to_whatsapp(html), markup)
        case EditMessage(text=html, markup=markup):
            follow_up = cut(to_whatsapp(html), limits.INTERACTIVE_BODY)
            return message(to, follow_up, markup, context=reply_to)
        case SendDocument():
            return [document(to, reply)]
        case AnswerCallback(text=toast) if toast:
            return message(to, toast, None)
        case AnswerCallback() | SetCommands():
            return []
    raise TypeError(f"no WhatsApp form for {type(reply).__name__}")


def message(to: str, body: str, markup: Markup, *, context: str | None = None) -> list[Outgoing]:
    """A WhatsApp-formatted text with the choices of ``markup``, as one or more messages."""
    choices, links = _choices(markup)
    body = "\n\n".join(part for part in (body.strip(), "\n".join(links)) if part)
    out: list[Payload] = []
    if not choices:
        if body:
            out.append(_text(to, cut(body, limits.TEXT_BODY)))
    else:
        if limits.units(body) > limits.INTERACTIVE_BODY or not body:
            if body:
                out.append(_text(to, cut(body, limits.TEXT_BODY)))
            body = text("choose_above")
        out.extend(_interactive(to, body, choices))
    if out and context:
        out[0]["context"] = {"message_id": context}
    return [Outgoing(p) for p in out]


def _envelope(to: str, kind: str, content: Payload) -> Payload:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
        kind: content,
    }


def _text(to: str, body: str) -> Payload:
    return _envelope(to, "text", {"body": body, "preview_url": False})


def _choices(markup: Markup) -> tuple[list[Choice], list[str]]:
    choices: list[Choice] = []
    links: list[str] = []
    if isinstance(markup, InlineKeyboard):
        for row in markup.rows:
            for button in row:
                if button.callback_data is not None:
                    choices.append(Choice(CALLBACK_PREFIX + button.callback_data, button.text))
                elif button.url:
                    links.append(text("link_line", button.text, button.url))
    elif isinstance(markup, ReplyKeyboard):
        labels = [label for row in markup.rows for label in row]
        if markup.request_contact:
            labels = labels[1:]
        choices = [Choice(_text_id(label), label) for label in labels]
    seen: set[str] = set()
    unique = []
    for choice in choices:  # two buttons doing the same thing: one is enough (ids must differ)
        if choice.id not in seen and " ".join(choice.label.split()):
            seen.add(choice.id)
            unique.append(choice)
    return unique, links


def _text_id(label: str) -> str:
    raw = (TEXT_PREFIX + label).encode()[: limits.ROW_ID]
    return raw.decode(errors="ignore")


def _interactive(to: str, body: str, choices: list[Choice]) -> list[Payload]:
    titles = [" ".join(c.label.split()) for c in choices]
    if (
        len(choices) <= limits.REPLY_BUTTONS
        and all(limits.units(t) <= limits.BUTTON_TITLE for t in titles)
        and len(set(titles)) == len(titles)
    ):
        buttons = [
            {"type": "reply", "reply": {"id": c.id, "title": t}}
            for c, t in zip(choices, titles, strict=True)
        ]
        content = {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}
        return [_envelope(to, "interactive", content)]
    parts = _split(choices, limits.LIST_ROWS)
    out = []
    for number, part in enumerate(parts, start=1):
        part_body = body if number == 1 else text("more_choices", number, len(parts))
        content = {
            "type": "list",
            "body": {"text": part_body},
            "action": {"button": text("list_button"), "sections": [{"rows": _rows(part)}]},
        }
        out.append(_envelope(to, "interactive", content))
    return out


def _split(choices: list[Choice], size: int) -> list[list[Choice]]:
    """Even parts of at most ``size``, in order (13 -> 7 + 6, not 10 + 3)."""
    count = -(-len(choices) // size)
    base, extra = divmod(len(choices), count)
    parts, start = [], 0
    for index in range(count):
        end = start + base + (1 if index < extra else 0)
        parts.append(choices[start:end])
        start = end
    return parts


def _rows(choices: list[Choice]) -> list[Payload]:
    rows: list[Payload] = []
    used: set[str] = set()
    for choice in choices:
        full = " ".join(choice.label.split())
        title = shorten(full, limits.ROW_TITLE)
        number = 2
        while title in used:  # two labels alike once cut: number them, the description tells
            suffix = f" ({number})"
            title = shorten(full, limits.ROW_TITLE - len(suffix)) + suffix
            number += 1
        used.add(title)
        row: Payload = {"id": choice.id, "title": title}
        if title != full:
            row["description"] = shorten(full, limits.ROW_DESCRIPTION)
        rows.append(row)
    return rows


def document(to: str, doc: SendDocument) -> Outgoing:
    """A file: an image when the reply asks for a photo WhatsApp can show, else a document; a
    type WhatsApp carries neither way (zip, webp...) is said in a text instead."""
    if limits.media_kind(doc.mime_type) not in ("image", "document"):
        return Outgoing(_text(to, cut(text("file_not_sendable", doc.file_name), limits.TEXT_BODY)))
    kind = "image" if doc.as_photo and doc.mime_type in limits.MEDIA_TYPES["image"] else "document"
    content: Payload = {}
    if kind == "document":
        content["filename"] = doc.file_name
    if doc.caption:
        caption = cut(to_whatsapp(doc.caption).strip(), limits.CAPTION)
        if caption:
            content["caption"] = caption
    return Outgoing(_envelope(to, kind, content), Upload(doc.path, doc.mime_type, doc.file_name))


def as_document(outgoing: Outgoing) -> Outgoing:
    """An image message as a document: for a photo over WhatsApp's 5 MB for images."""
    if outgoing.kind != "image" or outgoing.upload is None:
        return outgoing
    content = {**outgoing.payload["image"], "filename": outgoing.upload.file_name}
    payload = {k: v for k, v in outgoing.payload.items() if k != "image"}
    return Outgoing({**payload, "type": "document", "document": content}, outgoing.upload)


def with_media_id(outgoing: Outgoing, media_id: str) -> Payload:
    """The payload of a file message once its file is uploaded."""
    kind = outgoing.kind
    return {**outgoing.payload, kind: {**outgoing.payload[kind], "id": media_id}}
