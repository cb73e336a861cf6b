"""What a WhatsApp Cloud API webhook carries, as plain dataclasses.

Each message and status of a webhook is decoded on its own: one that cannot be read is logged
(its kind and where it failed, never its text or the sender's number) and skipped, and the
others still go through, as bot/intake.py does for Telegram updates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MEDIA_KINDS = ("image", "document", "audio", "video", "sticker")


@dataclass(frozen=True, kw_only=True)
class Inbound:
    message_id: str  # wamid...
    sender: str  # the person's WhatsApp id (their number, digits only)
    timestamp: int  # unix seconds
    name: str | None = None  # their WhatsApp profile name, when the webhook has it
    context: str | None = None  # the message of ours this one answers (a pressed button's)


@dataclass(frozen=True, kw_only=True)
class TextMessage(Inbound):
    text: str


@dataclass(frozen=True, kw_only=True)
class ButtonReply(Inbound):
    """A reply button pressed; ``id`` is the one we gave it (it carries the callback data)."""

    id: str
    title: str


@dataclass(frozen=True, kw_only=True)
class ListReply(Inbound):
    id: str
    title: str
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class QuickReply(Inbound):
    """A template's quick-reply button pressed; ``payload`` is the one we sent with it."""

    payload: str
    text: str


@dataclass(frozen=True, kw_only=True)
class MediaMessage(Inbound):
    kind: str  # image, document, audio, video, sticker
    media_id: str  # fetch it with the client's download()
    mime_type: str
    sha256: str | None = None
    file_name: str | None = None
    caption: str | None = None


@dataclass(frozen=True, kw_only=True)
class Unsupported(Inbound):
    """A message kind the bot has no use for (location, contacts, reaction...): answered with a
    polite word, never dropped silently."""

    kind: str


@dataclass(frozen=True)
class StatusError:
    code: int
    title: str


@dataclass(frozen=True)
class Status:
    """What became of a message we sent: sent, delivered, read, or failed (with its errors)."""

    message_id: str
    recipient: str
    status: str
    timestamp: int
    errors: tuple[StatusError, ...] = ()


Event = TextMessage | ButtonReply | ListReply | QuickReply | MediaMessage | Unsupported | Status


def decode(payload: Any) -> list[Event]:
    """Every message and status of one webhook body, in order; unreadable ones skipped."""
    events: list[Event] = []
    skipped = 0
    for value in _values(payload):
        names = _names(value.get("contacts"))
        for index, raw in enumerate(_list(value.get("messages"))):
            try:
                events.append(_message(raw, names))
            except (KeyError, TypeError, ValueError) as exc:
                skipped += 1
                log.warning(
                    "WhatsApp message %d (type %s) could not be read: %s; skipped",
                    index,
                    _kind(raw),
                    _where(exc),
                )
        for index, raw in enumerate(_list(value.get("statuses"))):
            try:
                events.append(_status(raw))
            except (KeyError, TypeError, ValueError) as exc:
                skipped += 1
                log.warning("WhatsApp status %d could not be read: %s; skipped", index, _where(exc))
    return events


def _values(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        log.warning("WhatsApp webhook body is not a whatsapp_business_account object: ignored")
        return []
    values = []
    for entry in _list(payload.get("entry")):
        for change in _list(entry.get("changes") if isinstance(entry, dict) else None):
            if isinstance(change, dict) and change.get("field") == "messages":
                value = change.get("value")
                if isinstance(value, dict):
                    values.append(value)
    return values


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _names(contacts: Any) -> dict[str, str]:
    names = {}
    for contact in _list(contacts):
        if isinstance(contact, dict) and isinstance(contact.get("profile"), dict):
            name = contact["profile"].get("name")
            if isinstance(contact.get("wa_id"), str) and isinstance(name, str):
                names[contact["wa_id"]] = name
    return names


def _kind(raw: Any) -> str:
    kind = raw.get("type") if isinstance(raw, dict) else None
    return kind if isinstance(kind, str) and kind.isidentifier() else "?"


def _where(exc: Exception) -> str:
    # The field that was missing or of the wrong type, never the value (it may be a user's text)
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    return type(exc).__name__


def _str(mapping: Any, key: str) -> str:
    value = mapping[key]
    if not isinstance(value, str):
        raise TypeError(key)
    return value


def _opt(mapping: Any, key: str) -> str | None:
    value = mapping.get(key)
    return value if isinstance(value, str) else None


def _message(raw: Any, names: dict[str, str]) -> Event:
    if not isinstance(raw, dict):
        raise TypeError("message")
    sender = _str(raw, "from")
    if not sender.isdigit():
        raise ValueError("from")
    context = raw.get("context")
    common: dict[str, Any] = {
        "message_id": _str(raw, "id"),
        "sender": sender,
        "timestamp": int(_str(raw, "timestamp")),
        "name": names.get(sender),
        "context": _opt(context, "id") if isinstance(context, dict) else None,
    }
    kind = _str(raw, "type")
    if kind == "text":
        return TextMessage(**common, text=_str(raw["text"], "body"))
    if kind == "interactive":
        interactive = raw["interactive"]
        sub = _str(interactive, "type")
        if sub == "button_reply":
            reply = interactive["button_reply"]
            return ButtonReply(**common, id=_str(reply, "id"), title=_str(reply, "title"))
        if sub == "list_reply":
            reply = interactive["list_reply"]
            return ListReply(
                **common,
                id=_str(reply, "id"),
                title=_str(reply, "title"),
                description=_opt(reply, "description"),
            )
        return Unsupported(**common, kind=f"interactive.{sub}")
    if kind == "button":
        button = raw["button"]
        return QuickReply(**common, payload=_str(button, "payload"), text=_str(button, "text"))
    if kind in MEDIA_KINDS:
        media = raw[kind]
        return MediaMessage(
            **common,
            kind=kind,
            media_id=_str(media, "id"),
            mime_type=_str(media, "mime_type"),
            sha256=_opt(media, "sha256"),
            file_name=_opt(media, "filename"),
            caption=_opt(media, "caption"),
        )
    return Unsupported(**common, kind=kind if kind.isidentifier() else "?")


def _status(raw: Any) -> Status:
    if not isinstance(raw, dict):
        raise TypeError("status")
    errors = tuple(
        StatusError(int(e["code"]), str(e.get("title", "")))
        for e in _list(raw.get("errors"))
        if isinstance(e, dict)
    )
    return Status(
        message_id=_str(raw, "id"),
        recipient=_str(raw, "recipient_id"),
        status=_str(raw, "status"),
        timestamp=int(_str(raw, "timestamp")),
        errors=errors,
    )
