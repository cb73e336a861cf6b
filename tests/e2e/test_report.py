"""A head asks /laporan and gets the chart as a photo (caption within Telegram's limit) and the
table as an Excel file; anyone else is refused."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image

from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import approve
from tests.e2e.test_sanggau import SANGGAU


async def test_laporan_sends_chart_and_workbook_to_heads_only(bot: BotUnderTest) -> None:
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3701)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    bot.clock.advance(minutes=7)  # two minutes over the 5-minute standard
    await approve(who["admin"], "Terima")
    bot.clock.advance(minutes=1)

    kadis = who["kadis"]
    assert "laporan" in [c["command"] for c in bot.fake.commands(kadis.chat_id)]
    await kadis.send("/laporan")
    await kadis.press("Bulan ini")
    photo = next(m for m in reversed(kadis.bot_messages) if m.photo)
    caption = photo.caption or ""
    assert "Ketepatan waktu SOP" in caption and "paling lambat" in caption
    assert "Petugas Admin" in caption and "terlambat 2 menit" in caption
    shots = Path(__file__).parents[2] / "data" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    (shots / f"laporan-e2e-{bot.settings.bot_framework}.png").write_bytes(photo.photo_bytes)
    image = Image.open(io.BytesIO(photo.photo_bytes))
    assert image.width >= 800
    name, content, _caption = kadis.documents[-1]
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content))["Per langkah"]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    row = next(r for r in rows if r[0].startswith("SOP Layanan Hubungan Media") and r[1] == 2)
    step2 = dict(zip(header, row, strict=True))
    assert step2["Jumlah selesai"] == 1 and step2["Median (menit)"] == 7
    assert step2["Tepat waktu"] == 0  # 7 minutes against a 5-minute standard

    await who["admin"].send("/laporan")
    assert "laporan" not in [c["command"] for c in bot.fake.commands(who["admin"].chat_id)]
    assert not who["admin"].last.photo and "⚠️" in who["admin"].last.text
    bot.assert_clean()


async def test_an_officials_help_offers_what_their_roles_may_do(bot: BotUnderTest) -> None:
    """/bantuan lists the commands the role's menu has (the kadis: /laporan, /agenda,
    /petugas) and never sends an official to /tanya, which only journalists have."""
    who = await bot.officials(SANGGAU)
    kadis, fungsional = who["kadis"], who["fungsional"]
    await kadis.send("/bantuan")
    for command in ("/tugas", "/laporan", "/agenda", "/petugas"):
        assert command in kadis.last.text, command
    assert "/tanya" not in kadis.last.text
    await fungsional.send("/bantuan")
    assert "/tugas" in fungsional.last.text and "/laporan" not in fungsional.last.text
