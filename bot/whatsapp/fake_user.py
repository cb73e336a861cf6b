"""Simulated WhatsApp users: the side of the conversation tests write (like bot/fakeapi's FakeUser).

A :class:`WaUser` writes, presses reply buttons (and a template's quick reply), picks list rows
and sends files; each action reaches the bot's webhook as a signed Cloud API payload and opens
the person's 24-hour window. What the bot sent them is in ``received``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fake import Account, FakeWhatsApp, Received


class WaUser:
    def __init__(self, fake: FakeWhatsApp, account: Account) -> None:
        self.fake = fake
        self.account = account

    @property
    def wa_id(self) -> str:
        return self.account.wa_id

    @property
    def name(self) -> str:
        return self.account.name

    def __repr__(self) -> str:
        return f"WaUser({self.name!r})"  # never the number: it may end up in a log

    # -- actions ----------------------------------------------------------------------------

    async def send(self, text: str) -> None:
        await self._deliver({"type": "text", "text": {"body": text}})

    async def press(self, title: str, *, message: Received | None = None) -> None:
        """Press the reply button (or a template's quick reply) titled ``title`` on the newest
        message that has it, or on ``message``."""
        received, (button_id, button_title) = self._find(title, message, rows=False)
        if received.kind == "template":
            content: dict[str, Any] = {
                "type": "button",
                "button": {"payload": button_id, "text": button_title},
            }
        else:
            content = {
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": button_id, "title": button_title},
                },
            }
        await self._deliver(content, context=received.id)

    async def pick(self, title: str, *, message: Received | None = None) -> None:
        """Open the list of the newest message that has row ``title`` (or ``message``'s) and
        pick that row."""
        received, row = self._find(title, message, rows=True)
        reply = {"id": row[0], "title": row[1]}
        if len(row) > 2 and row[2] is not None:
            reply["description"] = row[2]
        content = {
            "type": "interactive",
            "interactive": {"type": "list_reply", "list_reply": reply},
        }
        await self._deliver(content, context=received.id)

    async def press_id(self, button_id: str, title: str, context: str | None = None) -> None:
        """A button reply with any id (a forged or stale press)."""
        content = {
            "type": "interactive",
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": button_id, "title": title},
            },
        }
        await self._deliver(content, context=context)

    async def send_document(
        self, data: bytes, file_name: str, mime_type: str, caption: str | None = None
    ) -> str:
        """Send a file; returns its media id (the bot downloads it through the Graph API)."""
        media = self.fake.store_media(data, mime_type, file_name)
        document: dict[str, Any] = {
            "id": media.id,
            "mime_type": mime_type,
            "sha256": media.sha256,
            "filename": file_name,
        }
        if caption:
            document["caption"] = caption
        await self._deliver({"type": "document", "document": document})
        return media.id

    async def send_image(
        self, data: bytes, mime_type: str = "image/jpeg", caption: str | None = None
    ) -> str:
        media = self.fake.store_media(data, mime_type)
        image: dict[str, Any] = {"id": media.id, "mime_type": mime_type, "sha256": media.sha256}
        if caption:
            image["caption"] = caption
        await self._deliver({"type": "image", "image": image})
        return media.id

    async def _deliver(self, content: dict[str, Any], context: str | None = None) -> None:
        if context is not None:
            content = {**content, "context": {"from": self.fake.display_number, "id": context}}
        await self.fake.deliver(self.account, content)
        await self.fake.settle()

    # -- what the user sees -------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        return list(self.account.received)

    @property
    def last(self) -> Received:
        if not self.account.received:
            raise AssertionError(f"the bot has not sent {self!r} anything (yet)")
        return self.account.received[-1]

    def texts(self) -> list[str]:
        return [r.text for r in self.account.received]

    def _find(
        self, title: str, message: Received | None, *, rows: bool
    ) -> tuple[Received, tuple[Any, ...]]:
        candidates = [message] if message is not None else list(reversed(self.account.received))
        for exact in (True, False):
            for received in candidates:
                choices: list[tuple[Any, ...]] = list(received.rows if rows else received.buttons)
                found = [c for c in choices if (c[1] == title if exact else title in c[1])]
                if len(found) == 1 or (found and exact):
                    return received, found[0]
        what = "list row" if rows else "button"
        shown = [r.titles for r in candidates[:3]]
        raise AssertionError(f"no {what} {title!r} for {self!r}; on screen: {shown}")
