"""Simulated Telegram users: the side of the conversation tests write.

A :class:`FakeUser` types text, taps buttons and uploads files into a
:class:`~bot.fakeapi.server.FakeTelegram`; each action waits (``settle``) until the
bot has fetched it and gone quiet, so the test can then read what the user sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import FakeTelegram, StoredMessage, UserAccount


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot passed to answerCallbackQuery (the toast or alert the user saw)."""

    text: str | None
    show_alert: bool = False
    url: str | None = None
    cache_time: int = 0


class FakeUser:
    def __init__(self, fake: FakeTelegram, account: UserAccount) -> None:
        self.fake = fake
        self.account = account

    @property
    def id(self) -> int:
        return self.account.id

    @property
    def chat_id(self) -> int:
        return self.account.id

    @property
    def first_name(self) -> str:
        return self.account.first_name

    @property
    def username(self) -> str | None:
        return self.account.username

    def __repr__(self) -> str:
        return f"FakeUser({self.id}, {self.first_name!r})"

    # -- actions ----------------------------------------------------------------------

    async def send(self, text: str) -> None:
        """Type ``text`` and press send; ``/commands`` get bot_command entities."""
        self.fake.inject_text(self.id, text)
        await self.fake.settle()

    async def share_contact(self, phone: str | None = None) -> None:
        """Share the user's own contact, as the request_contact button does."""
        contact: dict[str, Any] = {
            "phone_number": phone or f"62812{self.id % 10**8:08d}",
            "first_name": self.first_name,
            "user_id": self.id,
        }
        self.fake.inject_message(self.id, contact=contact)
        await self.fake.settle()

    async def upload_document(
        self,
        content: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
    ) -> None:
        stored = self.fake.register_file(
            "document", content, file_name=file_name, mime_type=mime_type
        )
        self.fake.inject_message(self.id, document=stored, **_caption(caption))
        await self.fake.settle()

    async def upload_photo(self, content: bytes, caption: str | None = None) -> None:
        """Send ``content`` as a photo; it must be a PNG, JPEG or WEBP image."""
        from .server import ApiError

        try:
            sizes = self.fake.process_photo(content)
        except ApiError as err:
            raise ValueError(f"not an image Telegram accepts: {err.description}") from None
        self.fake.inject_message(self.id, photo=sizes, original_photo=content, **_caption(caption))
        await self.fake.settle()

    async def press(self, label: str, *, message_id: int | None = None) -> CallbackAnswer | None:
        """Tap the inline button ``label`` (newest bot message that has it, or ``message_id``).

        Returns the bot's answerCallbackQuery, or None if it never answered.
        """
        message, button = self._find_inline_button(label, message_id)
        data = button.get("callback_data")
        if data is None:
            kind = next((k for k in button if k != "text"), "?")
            raise AssertionError(
                f"button {button['text']!r} is a {kind} button: pressing it does not reach the bot"
            )
        return await self.press_data(str(data), message.message_id)

    async def press_data(self, data: str, message_id: int) -> CallbackAnswer | None:
        """Send a callback query with any ``data`` from message ``message_id`` (forged/stale)."""
        query = self.fake.inject_callback_query(self.id, message_id, data)
        await self.fake.settle()
        return query.answer

    async def tap_reply_button(self, label: str) -> None:
        """Tap a reply-keyboard button: sends its text, or the contact for request_contact."""
        keyboard = self.fake.chat(self.id).reply_keyboard
        if keyboard is None:
            raise AssertionError(f"{self!r} has no reply keyboard on screen")
        buttons = [button for row in keyboard["keyboard"] for button in row]
        button = _pick(buttons, label, "reply keyboard button")
        if button.get("request_contact"):
            await self.share_contact()
        elif len(button) > 1:
            kind = next(k for k in button if k != "text")
            raise AssertionError(f"reply button {label!r} ({kind}) is not simulated")
        else:
            await self.send(button["text"])

    # -- what the user sees -----------------------------------------------------------

    @property
    def messages(self) -> list[StoredMessage]:
        """Every message of the chat, both directions, deleted ones included (flagged)."""
        return list(self.fake.chat(self.id).messages)

    @property
    def bot_messages(self) -> list[StoredMessage]:
        return [m for m in self.messages if m.from_bot]

    @property
    def visible_bot_messages(self) -> list[StoredMessage]:
        return [m for m in self.bot_messages if not m.deleted]

    @property
    def last(self) -> StoredMessage:
        """The bot's newest message still on screen."""
        visible = self.visible_bot_messages
        if not visible:
            raise AssertionError(f"the bot has not sent {self!r} anything (yet)")
        return visible[-1]

    def mark(self) -> int:
        """A point in time; ``texts(since=mark)`` then lists only what changed after it."""
        return self.fake.mark()

    def texts(self, since: int = 0) -> list[str]:
        """Plain texts (or captions) of the bot's messages on screen, sent or edited after
        ``since`` (a :meth:`mark`)."""
        return [m.content_text for m in self.visible_bot_messages if m.seq > since]

    @property
    def documents(self) -> list[tuple[str, bytes, str | None]]:
        return [
            (m.document.file_name or "", m.document.data, m.caption)
            for m in self.visible_bot_messages
            if m.document is not None
        ]

    def buttons(self, message: StoredMessage | None = None) -> list[str]:
        """Inline button labels of ``message`` (default: newest bot message with buttons)."""
        if message is None:
            with_buttons = [m for m in self.visible_bot_messages if m.inline_keyboard]
            if not with_buttons:
                return []
            message = with_buttons[-1]
        return message.button_labels()

    # -- internals --------------------------------------------------------------------

    def _find_inline_button(
        self, label: str, message_id: int | None
    ) -> tuple[StoredMessage, dict[str, Any]]:
        candidates = [m for m in reversed(self.visible_bot_messages) if m.inline_keyboard]
        if message_id is not None:
            candidates = [m for m in candidates if m.message_id == message_id]
            if not candidates:
                raise AssertionError(f"bot message {message_id} has no inline buttons on screen")
        for message in candidates:
            for button in _flat(message):
                if button["text"] == label:
                    return message, button
        for message in candidates:
            matches = [b for b in _flat(message) if label in b["text"]]
            if matches:
                return message, _pick(matches, label, "inline button")
        shown = "; ".join(f"#{m.message_id}: {m.button_labels()}" for m in candidates[:5])
        raise AssertionError(
            f"no inline button {label!r} for {self!r}; buttons on screen: {shown or 'none'}"
        )


def _flat(message: StoredMessage) -> list[dict[str, Any]]:
    return [button for row in message.inline_keyboard for button in row]


def _pick(buttons: list[dict[str, Any]], label: str, what: str) -> dict[str, Any]:
    exact = [b for b in buttons if b["text"] == label]
    if exact:
        return exact[0]
    partial = [b for b in buttons if label in b["text"]]
    if len(partial) == 1:
        return partial[0]
    labels = [b["text"] for b in buttons]
    if partial:
        raise AssertionError(f"{what} {label!r} is ambiguous among {labels}")
    raise AssertionError(f"no {what} {label!r}; there are: {labels}")


def _caption(caption: str | None) -> dict[str, Any]:
    if not caption:
        return {}
    from .html import detect_entities

    return {"caption": caption, "caption_entities": detect_entities(caption, [])}
