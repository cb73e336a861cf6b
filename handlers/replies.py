"""What the bot says back, as data: the outbox stores it, the sender makes it an API call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handlers.platforms import Chat


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class InlineKeyboard:
    rows: tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class ReplyKeyboard:
    """A keyboard under the input field; `request_contact` buttons share the user's phone."""

    rows: tuple[tuple[str, ...], ...]
    request_contact: bool = False  # the first button asks for the user's own contact
    one_time: bool = True


@dataclass(frozen=True)
class RemoveKeyboard:
    pass


Markup = InlineKeyboard | ReplyKeyboard | RemoveKeyboard | None


@dataclass(frozen=True)
class PromptRef:
    """Marks a sent message as a task prompt, so it can be edited when the task is handled."""

    task_id: int
    user_id: int


@dataclass(frozen=True)
class SendMessage:
    chat_id: int
    text: str  # Telegram HTML; every user-supplied part already escaped
    markup: Markup = None
    prompt: PromptRef | None = None
    reply_to: int | None = None  # a message of the same chat this one answers (a reminder)
    platform: str = "telegram"


@dataclass(frozen=True)
class EditMessage:
    chat_id: int
    message_id: int | None  # None: the message is still in the outbox (see after_outbox)
    text: str
    markup: InlineKeyboard | None = None
    after_outbox: int | None = None  # the outbox row whose sent message this edits
    platform: str = "telegram"


@dataclass(frozen=True)
class AnswerCallback:
    callback_id: str
    text: str | None = None
    alert: bool = False


@dataclass(frozen=True)
class SendDocument:
    """An archived file re-sent: by Telegram file_id when we have one, else uploaded from disk."""

    chat_id: int
    file_name: str
    path: str
    mime_type: str
    caption: str | None = None
    telegram_file_id: str | None = None
    as_photo: bool = False
    platform: str = "telegram"


@dataclass(frozen=True)
class SetCommands:
    """The command menu for one chat (per role), or the default one when chat_id is None."""

    commands: tuple[tuple[str, str], ...]
    chat_id: int | None = None
    platform: str = "telegram"


Reply = SendMessage | EditMessage | AnswerCallback | SendDocument | SetCommands


@dataclass
class Replies:
    items: list[Reply] = field(default_factory=list)

    def add(self, *replies: Reply) -> Replies:
        self.items.extend(replies)
        return self


def message(
    chat: Chat, text: str, markup: Markup = None, prompt: PromptRef | None = None, **more: Any
) -> SendMessage:
    """A message to a chat on its platform."""
    return SendMessage(chat.id, text, markup, prompt, platform=chat.platform, **more)


def edit(
    chat: Chat, message_id: int | None, text: str, markup: InlineKeyboard | None = None, **more: Any
) -> EditMessage:
    return EditMessage(chat.id, message_id, text, markup, platform=chat.platform, **more)


def document(chat: Chat, file_name: str, path: str, mime_type: str, **more: Any) -> SendDocument:
    return SendDocument(chat.id, file_name, path, mime_type, platform=chat.platform, **more)
