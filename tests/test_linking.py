"""One person on two apps: a journalist registered on Telegram links her WhatsApp with a
one-time code; the office's messages then reach her where she wrote last, her Telegram chat is
told of the link, and a code cannot be reused, guessed into another's account or used from a
chat that already belongs to someone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.factory import build_product
from handlers.events import MessageEvent, Sender
from handlers.outbox import from_row
from handlers.platforms import WHATSAPP, Chat, chat_of
from handlers.replies import SendMessage
from storage.accounts import find_user
from storage.models import Outbox
from tests.factories import make_journalist
from workflow.clock import ManualClock

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
WA_RINA = 6281234567890
WA_OTHER = 6289876543210


class _NoFiles:
    async def download(self, file_id: str) -> bytes:
        raise AssertionError("no download expected")


async def _product(db_url: str, tmp_path: Path, clock: ManualClock) -> Any:
    settings = Settings(_env_file=None, database_url=db_url, files_dir=tmp_path / "files")
    product = await build_product(settings, clock=clock)
    if product.engine.dialect.name == "postgresql":
        from tests.conftest import truncate_all

        await truncate_all(product.engine)
        product = await build_product(settings, clock=clock)
    return product


def _says(platform: str, account: int, text: str, n: int) -> MessageEvent:
    sender = Sender(account, "Rina", platform=platform)
    return MessageEvent(sender, account, n, text, update_id=n)


async def _sent(sessions: Any, after: int = 0) -> list[tuple[Chat, str]]:
    async with sessions() as s:
        rows = await s.scalars(select(Outbox).where(Outbox.id > after).order_by(Outbox.id))
        replies = [from_row(r) for r in rows]
    return [(Chat(r.platform, r.chat_id), r.text) for r in replies if isinstance(r, SendMessage)]


async def _code(sessions: Any) -> str:
    [(_, text)] = [m for m in await _sent(sessions) if "Kode Anda" in m[1]][-1:]
    return text.split("<code>")[1].split("</code>")[0]


async def test_a_journalist_links_her_whatsapp_and_is_reached_there(
    db_url: str, tmp_path: Path
) -> None:
    clock = ManualClock(NOW)
    product = await _product(db_url, tmp_path, clock)
    app, sessions = product.app, product.sessions
    async with sessions() as s, s.begin():
        rina, _ = await make_journalist(s, NOW)
    telegram = Chat("telegram", rina.telegram_id)

    await app.handle(_says("telegram", telegram.id, "/tautkan", 1), _NoFiles())
    code = await _code(sessions)
    assert len(code) == 8 and code.isdigit()
    mark = len(await _sent(sessions))

    await app.handle(_says(WHATSAPP, WA_RINA, f"tautkan {code}", 2), _NoFiles())
    after = (await _sent(sessions))[mark:]
    assert any(c == Chat(WHATSAPP, WA_RINA) and "sudah tertaut" in t for c, t in after)
    # her Telegram chat is told: a link she did not make would not go unnoticed
    assert any(c == telegram and "ditautkan ke akun Anda" in t for c, t in after)
    async with sessions() as s:
        linked = await find_user(s, WHATSAPP, WA_RINA)
        assert linked is not None and linked.id == rina.id
        assert chat_of(linked) == Chat(WHATSAPP, WA_RINA)  # where she wrote last

    # the same code again, from another WhatsApp number: refused, nothing linked
    await app.handle(_says(WHATSAPP, WA_OTHER, f"tautkan {code}", 3), _NoFiles())
    assert "sudah dipakai" in (await _sent(sessions))[-1][1]
    async with sessions() as s:
        assert await find_user(s, WHATSAPP, WA_OTHER) is None

    # she writes on Telegram again: the office's messages follow her back there
    clock.advance(timedelta(hours=2))
    await app.handle(_says("telegram", telegram.id, "/status", 4), _NoFiles())
    async with sessions() as s:
        back = await find_user(s, "telegram", telegram.id)
        assert back is not None and chat_of(back) == telegram


async def test_a_code_is_not_for_strangers_nor_for_a_chat_already_someones(
    db_url: str, tmp_path: Path
) -> None:
    clock = ManualClock(NOW)
    product = await _product(db_url, tmp_path, clock)
    app, sessions = product.app, product.sessions
    async with sessions() as s, s.begin():
        rina, _ = await make_journalist(s, NOW)
        budi, _ = await make_journalist(s, NOW)
    # someone not registered cannot make codes
    await app.handle(_says(WHATSAPP, WA_OTHER, "/tautkan", 1), _NoFiles())
    assert "hanya untuk pengguna yang sudah terdaftar" in (await _sent(sessions))[-1][1]
    # a made-up code links nothing
    await app.handle(_says(WHATSAPP, WA_OTHER, "tautkan 12345678", 2), _NoFiles())
    assert "tidak dikenal" in (await _sent(sessions))[-1][1]
    # Rina's code sent from Budi's registered Telegram chat: refused, Budi stays Budi
    await app.handle(_says("telegram", rina.telegram_id, "/tautkan", 3), _NoFiles())
    code = await _code(sessions)
    await app.handle(_says("telegram", budi.telegram_id, f"/tautkan {code}", 4), _NoFiles())
    assert "sudah dipakai untuk akun lain" in (await _sent(sessions))[-1][1]
    async with sessions() as s:
        still = await find_user(s, "telegram", budi.telegram_id)
        assert still is not None and still.id == budi.id
    # a code left for 15 minutes has lapsed
    clock.advance(timedelta(minutes=16))
    await app.handle(_says(WHATSAPP, WA_RINA, f"tautkan {code}", 5), _NoFiles())
    assert "lewat 15 menit" in (await _sent(sessions))[-1][1]
