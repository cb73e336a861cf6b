"""The messaging platforms a person may reach the office on. A chat is (platform, id)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from storage.models import User

TELEGRAM = "telegram"
WHATSAPP = "whatsapp"
PLATFORMS = (TELEGRAM, WHATSAPP)
# Where a sent message can be changed in place; elsewhere an edit arrives as a new message.
EDITS_IN_PLACE = frozenset({TELEGRAM})
# Platforms that show a pressed button's answer as a passing pop-up; elsewhere it would be one
# more message in the chat.
POPUPS = frozenset({TELEGRAM})


class Chat(NamedTuple):
    platform: str
    id: int


def phone_of(chat: Chat) -> str | None:
    """The number a WhatsApp chat belongs to (its id is the number's digits); Telegram keeps
    it private unless shared."""
    return f"+{chat.id}" if chat.platform == WHATSAPP else None


_NEVER = datetime.min.replace(tzinfo=UTC)


def chat_of(user: User) -> Chat:
    """Where a person is reached: the account they wrote from last (most people have one; at
    a tie, the one linked last). Telegram times are kept to the hour (storage.accounts)."""
    if not user.accounts:
        # Erased (their accounts unlinked): no chat. A row addressed here is refused as an
        # unknown chat and given up, as for any chat that no longer exists.
        return Chat(TELEGRAM, -user.id)
    latest = max(user.accounts, key=lambda a: (a.last_inbound_at or _NEVER, a.id or 0))
    return Chat(latest.platform, latest.external_id)


def chats_of(user: User) -> list[Chat]:
    return [Chat(a.platform, a.external_id) for a in user.accounts]
