"""/kedaluwarsa: the desk sees in the chat what of which outlet lapses this month (yearly
registration or a paper), within a phone's 1,200 characters; others are refused on the server;
the morning digest says how many and points to the command."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.factory import build_product
from handlers.events import MessageEvent, Sender
from handlers.menus import commands_for
from handlers.outbox import from_row
from handlers.platforms import Chat
from handlers.render import shown_length
from handlers.replies import SendMessage
from handlers.sla import sweep
from storage.models import Outbox
from tests.factories import builtin, make_journalist, make_officials, outlet_paper
from workflow.clock import ManualClock

SPEC = builtin("sanggau-hubungan-media")
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB


class _NoFiles:
    async def download(self, file_id: str) -> bytes:
        raise AssertionError("no download expected")


async def _texts(sessions: Any, chat: int, after: int) -> list[str]:
    async with sessions() as s:
        rows = await s.scalars(select(Outbox).where(Outbox.id > after).order_by(Outbox.id))
        return [
            r.text for r in map(from_row, rows) if isinstance(r, SendMessage) and r.chat_id == chat
        ]


async def test_the_desk_lists_this_months_lapses_and_others_are_refused(
    db_url: str, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, database_url=db_url, files_dir=tmp_path / "files")
    product = await build_product(settings, clock=ManualClock(NOW))
    if product.engine.dialect.name == "postgresql":
        from tests.conftest import truncate_all

        await truncate_all(product.engine)
        product = await build_product(settings, clock=ManualClock(NOW))
    sessions = product.sessions
    async with sessions() as s, s.begin():
        officials = await make_officials(s, SPEC, NOW)
        for n in range(14):  # more than fit a phone screen
            _user, outlet = await make_journalist(s, NOW)
            outlet.name = f"Media Kabar Kapuas Raya Nomor {n:02d} & <Mitra>"
            outlet.code = f"M{n:04d}"
            outlet.registered_until = date(2026, 12, 1 + n)
        journalist, papered = await make_journalist(s, NOW)
        papered.name, papered.code = "Suara Sekadau", "M0099"
        papered.registered_until = date(2027, 1, 5)  # next month: not listed
        s.add(
            outlet_paper(journalist.id, papered.id, "sertifikat_dewan_pers", NOW, date(2026, 12, 2))
        )
        # An older copy of a renewed paper lapsing this month is not what lapses now.
        s.add(
            outlet_paper(
                journalist.id, papered.id, "surat_pernyataan", NOW - timedelta(9), date(2026, 12, 3)
            )
        )
        s.add(outlet_paper(journalist.id, papered.id, "surat_pernyataan", NOW, date(2027, 12, 3)))
        admin, kabid = officials["admin"].telegram_id, officials["kabid"].telegram_id
        rina = journalist.telegram_id
        start = await s.scalar(select(Outbox.id).order_by(Outbox.id.desc()).limit(1)) or 0

    for chat in (admin, kabid, rina):
        await product.app.handle(
            MessageEvent(Sender(chat, "X"), chat, 1, "/kedaluwarsa"), _NoFiles()
        )
    [listing] = await _texts(sessions, admin, start)
    assert shown_length(listing) <= 1200 and "Desember 2026" in listing
    assert "M0000" in listing and "1 Desember 2026" in listing and "sudah lewat" in listing
    assert "&lt;Mitra&gt;" in listing  # the outlet's name is escaped
    assert "lagi" in listing and "+" in listing  # the rest is counted, not cut off mid-line
    assert "Suara Sekadau (M0099) — Sertifikat verifikasi Dewan Pers: 2 Desember 2026" in listing
    assert "Januari" not in listing and "Surat pernyataan" not in listing
    assert all(len(t) < 200 and "hanya untuk" in t for t in await _texts(sessions, kabid, start))
    assert "Petugas Admin" in (await _texts(sessions, rina, start))[0]

    # The desk's menu has it, a head who is not the desk nor keeps records does not.
    def menu(roles: set[str]) -> list[str]:
        return [name for name, _ in commands_for(Chat("telegram", 1), roles, False, SPEC).commands]

    assert "kedaluwarsa" in menu({"admin"}) and "kedaluwarsa" not in menu({"kabid"})

    result = await sweep(sessions, NOW, SPEC, "w1")
    digest = [
        r.text for r in result.replies if isinstance(r, SendMessage) and "Ringkasan" in r.text
    ]
    assert digest and all("Habis masa berlaku bulan ini: <b>15</b>" in t for t in digest)
    assert all("/kedaluwarsa" in t for t in digest)
    await product.engine.dispose()
