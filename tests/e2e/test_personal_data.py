"""A journalist's own data (issue 9): /datasaya hands it over; erasure leaves none of it."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.accounts import find_user
from storage.models import Base, Case, User
from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import approve
from workflow.compliance import compute
from workflow.errors import NotAllowed
from workflow.personal_data import erase

NIK, PHONE, NAME = "6101010101903601", "+6281234567890", "Rina Wartawati"


async def _report_closed(bot: BotUnderTest) -> int:
    now = bot.clock.now()
    async with bot.session() as s:
        report = await compute(
            s, since=now - timedelta(days=30), until=now + timedelta(days=1), now=now
        )
    return report.closed


async def _everything(bot: BotUnderTest) -> str:
    async with bot.session() as s:
        rows = []
        for table in Base.metadata.sorted_tables:
            rows += [str(tuple(r)) for r in (await s.execute(select(table))).all()]
    return "\n".join(rows)


async def test_export_then_erase_leaves_nothing_of_the_journalist(bot: BotUnderTest):
    admin = await bot.official(2401, "Budi Admin", "admin")
    rina = await bot.seeded_journalist(3601, NAME)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    await approve(admin, "Terima")  # an agenda number, a receipt made with her name on it

    await rina.send("/datasaya")
    summary = next(t for t in reversed(rina.texts()) if "Data Anda" in t)
    assert "6101**********01" in summary and NIK not in summary
    _name, content, _caption = rina.documents[-1]
    packed = zipfile.ZipFile(io.BytesIO(content))
    data = json.loads(packed.read("data.json"))
    assert data["pengguna"]["nik"] == NIK and data["pengguna"]["telepon"] == PHONE
    assert any(n.endswith("press_card.pdf") for n in packed.namelist())

    files = [bot.settings.files_dir / d.path for d in await bot.documents()]
    assert files and all(f.is_file() for f in files)
    closed_before = await _report_closed(bot)
    async with bot.session() as s:
        user = await find_user(s, "telegram", rina.id)
        assert user is not None
        user_id = user.id
        with pytest.raises(NotAllowed, match="masih berjalan"):  # her case is still open
            await erase(s, bot.product.app.deps.archive, user, bot.clock.now())
    async with bot.session() as s, s.begin():
        user = await s.get(User, user_id)
        assert user is not None
        done = await erase(
            s,
            bot.product.app.deps.archive,
            user,
            bot.clock.now(),
            force_reason="Permintaan pemohon",
        )
    assert done.cases_ended == [1]

    everything = await _everything(bot)
    for secret in (NIK, PHONE, NAME, "6101010101"):
        assert secret not in everything, secret
    assert not any(f.exists() for f in files)  # her files (the receipt too) left the archive
    left = [p for p in bot.settings.files_dir.rglob("*") if p.is_file()]
    assert all(NAME.encode() not in p.read_bytes() for p in left)
    case = await bot.case()
    assert (case.status, case.outcome) == ("closed", "withdrawn")
    assert await _report_closed(bot) == closed_before  # the office's figures still count it
    async with bot.session() as s:
        assert await s.get(Case, case.id) is not None
    bot.assert_clean()
