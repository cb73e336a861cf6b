"""What arrives from a chat platform, as plain data (each adapter builds it from its own types)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sender:
    account_id: int  # the person's id on their platform (a Telegram user id, a WhatsApp number)
    first_name: str
    last_name: str | None = None
    username: str | None = None
    platform: str = "telegram"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class IncomingFile:
    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    size: int | None
    is_photo: bool = False


@dataclass(frozen=True)
class Contact:
    phone_number: str
    user_id: int | None


@dataclass(frozen=True)
class MessageEvent:
    sender: Sender
    chat_id: int
    message_id: int
    text: str | None = None
    caption: str | None = None
    file: IncomingFile | None = None
    contact: Contact | None = None
    private: bool = True
    update_id: int | None = None


@dataclass(frozen=True)
class CallbackEvent:
    sender: Sender
    chat_id: int
    message_id: int
    callback_id: str
    data: str
    update_id: int | None = None


@dataclass(frozen=True)
class MemberEvent:
    """The bot's own membership in a private chat changed: "kicked" means the user blocked it."""

    sender: Sender
    chat_id: int
    status: str
    update_id: int | None = None


@dataclass(frozen=True)
class SeenEvent:
    """The person wrote without asking anything (a WhatsApp template's quick reply): recorded,
    so what waited for their 24-hour window goes; nothing is answered."""

    sender: Sender
    chat_id: int
    update_id: int | None = None


Event = MessageEvent | CallbackEvent | MemberEvent | SeenEvent
