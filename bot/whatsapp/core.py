"""The platform-neutral core's names the WhatsApp side uses, in one place.

SHIM, to delete at the merge with the `core` branch (issue 13): each name below comes from the
core when it has it (handlers.platforms, handlers.events.SeenEvent and Sender(account_id...,
platform), storage.models.WaMessage, storage.accounts.last_inbound); until then a stand-in
with the same name and shape lets bot/whatsapp/ run and be tested. Nothing else in the
project imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from handlers import events
from storage.models import UtcDateTime

try:
    from handlers.platforms import TELEGRAM, WHATSAPP
except ImportError:  # before the merge
    TELEGRAM, WHATSAPP = "telegram", "whatsapp"

try:
    from handlers.events import SeenEvent  # type: ignore[attr-defined]
except ImportError:  # before the merge

    @dataclass(frozen=True)
    class SeenEvent:  # type: ignore[no-redef]
        """This person wrote (a template's quick reply): record it, let what waits go."""

        sender: events.Sender
        chat_id: int
        update_id: int | None = None


_NEUTRAL_SENDER = "account_id" in {f.name for f in fields(events.Sender)}


def sender(account_id: int, first_name: str) -> events.Sender:
    """A WhatsApp person as the core's Sender (account id: the digits of their number)."""
    if _NEUTRAL_SENDER:
        return events.Sender(  # type: ignore[call-arg]
            account_id=account_id, first_name=first_name, platform=WHATSAPP
        )
    return events.Sender(account_id, first_name)


def account_id(person: events.Sender) -> int:
    value: Any = getattr(person, "account_id", None) or getattr(person, "telegram_id", 0)
    return int(value)


try:
    from storage.models import WaMessage  # type: ignore[attr-defined]

    WA_MESSAGE_SHIM = False
except ImportError:  # before the merge: the same table, on its own metadata (tests create it)
    WA_MESSAGE_SHIM = True

    class _ShimBase(DeclarativeBase):
        pass

    class WaMessage(_ShimBase):  # type: ignore[no-redef]
        __tablename__ = "wa_message"

        id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
        wamid: Mapped[str] = mapped_column(String(200), unique=True)
        chat_id: Mapped[int] = mapped_column(BigInteger)
        created_at: Mapped[datetime] = mapped_column(UtcDateTime())


async def last_inbound(session: AsyncSession, platform: str, chat_id: int) -> datetime | None:
    """When the person last wrote (their window's start); None before the merge."""
    try:
        from storage import accounts  # type: ignore[attr-defined]
    except ImportError:
        return None
    value: Any = await accounts.last_inbound(session, platform, chat_id)
    return value if isinstance(value, datetime) else None
