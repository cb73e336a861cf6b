"""Messages whose content the bot cannot use (stickers, polls, locations, service messages...).

Telegram keeps adding kinds of content; the adapters pass every message through, and this is
the one place that decides what counts as something the chat logic can read: a text, a
caption, a document or photo, or a shared contact. Anything else gets one short answer that
says what the bot does understand, in a private chat; in groups the bot stays silent anyway.
"""

from __future__ import annotations

from handlers.events import MessageEvent
from handlers.render import render
from handlers.replies import Reply, SendMessage


def is_unknown_content(event: MessageEvent) -> bool:
    return not (event.text or event.caption or event.file is not None or event.contact is not None)


def unknown_content_reply(event: MessageEvent) -> list[Reply]:
    if not event.private:
        return []
    text = render("unsupported_content")
    return [SendMessage(event.chat_id, text, platform=event.sender.platform)]
