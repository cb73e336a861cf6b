"""The office's Media Center group: where the bot posts a short note on every new, received,
rejected, signed and numbered cooperation (the Sanggau sheet: no cooperation proceeds without
the Media Center). Kept as an office setting in the database, so every bot process sees it.

It is set by the operator (`mitramedia media-center set CHAT_ID`) or by adding the bot to the
group through a one-time link (`t.me/<bot>?startgroup=<code>`, `mitramedia media-center link`):
Telegram then posts `/start <code>` in the group, and the code binds that group.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OfficeSetting

KEY = "media_center"
CODE_KEY = "media_center_code"
CODE_PREFIX = "mc_"
CODE_TTL = timedelta(hours=72)


async def current(session: AsyncSession) -> dict[str, Any] | None:
    """{"chat_id", "by", "since"} of the configured group, or None."""
    row = await session.get(OfficeSetting, KEY)
    return dict(row.value) if row is not None else None


async def _put(session: AsyncSession, key: str, value: dict[str, Any], now: datetime) -> None:
    row = await session.get(OfficeSetting, key, with_for_update=True)
    if row is None:
        session.add(OfficeSetting(key=key, value=value, updated_at=now.astimezone(UTC)))
    else:
        row.value, row.updated_at = value, now.astimezone(UTC)


async def set_group(session: AsyncSession, chat_id: int, now: datetime, by: str) -> None:
    if chat_id >= 0:
        raise ValueError("a Telegram group's chat id is negative")
    await _put(session, KEY, {"chat_id": chat_id, "by": by, "since": now.isoformat()}, now)


async def unset(session: AsyncSession) -> bool:
    row = await session.get(OfficeSetting, KEY)
    if row is None:
        return False
    await session.delete(row)
    return True


async def new_code(session: AsyncSession, now: datetime) -> str:
    """A one-time code for the startgroup link (a new one replaces the old)."""
    code = CODE_PREFIX + secrets.token_urlsafe(12)
    expires = (now + CODE_TTL).astimezone(UTC).isoformat()
    await _put(session, CODE_KEY, {"code": code, "expires_at": expires}, now)
    return code


async def bind(session: AsyncSession, code: str, chat_id: int, now: datetime, by: str) -> bool:
    """The group the bot was added to with a valid code becomes the Media Center."""
    row = await session.get(OfficeSetting, CODE_KEY, with_for_update=True)
    if row is None or chat_id >= 0:
        return False
    expected, expires = str(row.value.get("code", "")), str(row.value.get("expires_at", ""))
    if not secrets.compare_digest(expected, code) or datetime.fromisoformat(expires) <= now:
        return False
    await session.delete(row)
    await set_group(session, chat_id, now, by)
    return True
