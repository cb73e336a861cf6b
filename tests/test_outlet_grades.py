"""`qualification.accept_grades` enforced: an outlet whose grade the office does not accept
cannot open a request (/ajukan) nor submit it (the Lewati button), is told what the nearest
accepted grade still needs, and nothing is stored; a legacy outlet (no registry data) passes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.config import Settings
from bot.factory import build_product
from handlers.callbacks import Callback, Op
from handlers.events import CallbackEvent, MessageEvent, Sender
from handlers.outbox import from_row
from handlers.replies import SendMessage
from storage.models import Case, MediaOutlet, Outbox
from tests.factories import make_journalist, outlet_paper
from workflow.clock import ManualClock

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


class _NoFiles:
    async def download(self, file_id: str) -> bytes:
        raise AssertionError("no download expected")


async def _product(db_url: str, tmp_path: Path) -> Any:
    settings = Settings(_env_file=None, database_url=db_url, files_dir=tmp_path / "files")
    product = await build_product(settings, clock=ManualClock(NOW))
    if product.engine.dialect.name == "postgresql":
        from tests.conftest import truncate_all

        await truncate_all(product.engine)
        product = await build_product(settings, clock=ManualClock(NOW))
    spec = product.app.deps.spec
    strict = spec.qualification.model_copy(update={"accept_grades": ("A", "B")})
    product.app.deps = dataclasses.replace(
        product.app.deps, spec=spec.model_copy(update={"qualification": strict})
    )
    return product


async def _texts(sessions: Any, chat: int, after: int) -> list[str]:
    async with sessions() as s:
        rows = await s.scalars(select(Outbox).where(Outbox.id > after).order_by(Outbox.id))
        return [
            r.text for r in map(from_row, rows) if isinstance(r, SendMessage) and r.chat_id == chat
        ]


async def test_an_outlet_below_the_accepted_grades_cannot_apply(
    db_url: str, tmp_path: Path
) -> None:
    product = await _product(db_url, tmp_path)
    app, sessions = product.app, product.sessions
    async with sessions() as s, s.begin():
        rina, outlet = await make_journalist(s, NOW)
        outlet.registered_until = date(2027, 12, 1)  # registered under the rules
        outlet.legal_form, outlet.nib, outlet.npwp = "pt", "1234567890123", "123456789012345"
        outlet.address, outlet.dewan_pers = "Jl. Kapuas 1", "proses"
        s.add(outlet_paper(rina.id, outlet.id, "akta", NOW))
        legacy, _old = await make_journalist(s, NOW)  # no registration period: before the registry
        chat, old_chat, outlet_id = rina.telegram_id, legacy.telegram_id, outlet.id
        start = await s.scalar(select(func.max(Outbox.id))) or 0

    def say(who: int, text: str, n: int) -> MessageEvent:
        return MessageEvent(Sender(who, "X"), who, n, text, update_id=n)

    await app.handle(say(chat, "/ajukan", 1), _NoFiles())
    [refused] = await _texts(sessions, chat, start)
    assert "peringkat A, B" in refused and "Akta" not in refused  # akta is on file
    assert "NIB dengan KBLI pers" in refused and "NPWP perusahaan" in refused
    assert "/perpanjang" in refused

    await app.handle(say(old_chat, "/ajukan", 2), _NoFiles())
    asked = await _texts(sessions, old_chat, start)
    assert asked and not any("peringkat" in t for t in asked)  # legacy: asked for the letter

    # Papers complete and administratively verified: grade B, the request may start ...
    async with sessions() as s, s.begin():
        for kind in ("nib_kbli", "npwp_badan"):
            s.add(outlet_paper(rina.id, outlet_id, kind, NOW))
        (await s.get(MediaOutlet, outlet_id)).dewan_pers = "administrasi"  # type: ignore[union-attr]
        start = await s.scalar(select(func.max(Outbox.id))) or 0
    await app.handle(say(chat, "/ajukan", 3), _NoFiles())
    assert not any("peringkat" in t for t in await _texts(sessions, chat, start))
    # ... but if the status falls back before it is sent, the submit step refuses it too.
    async with sessions() as s, s.begin():
        (await s.get(MediaOutlet, outlet_id)).dewan_pers = "proses"  # type: ignore[union-attr]
        start = await s.scalar(select(func.max(Outbox.id))) or 0
    skip = Callback(Op.skip).pack()
    await app.handle(CallbackEvent(Sender(chat, "X"), chat, 4, "cb", skip, update_id=4), _NoFiles())
    [again] = await _texts(sessions, chat, start)
    assert "Untuk peringkat B" in again
    assert "terverifikasi administrasi Dewan Pers atau surat pernyataan" in again
    async with sessions() as s:
        assert await s.scalar(select(func.count(Case.id))) == 0
    await product.engine.dispose()
