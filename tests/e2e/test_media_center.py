"""The Media Center group, against the fake Bot API on both adapters (a group chat's updates are
decoded by each framework): bound by the bot's startgroup link, then told of every new and
received cooperation, with the outlet and the applicant's name and nothing more personal."""

from __future__ import annotations

from storage.db import transaction
from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import approve, with_reason
from tests.e2e.test_sanggau import SANGGAU
from workflow import media_center

GROUP = -1001234567890


async def test_media_center_bound_by_link_hears_of_each_cooperation(bot: BotUnderTest) -> None:
    who = await bot.officials(SANGGAU)
    async with transaction(bot.product.sessions) as s:
        code = await media_center.new_code(s, bot.clock.now())
    bot.fake.group(GROUP, "Media Center Diskominfo Sanggau")
    budi = who["admin"].id
    bot.fake.inject_group_text(GROUP, budi, "/start@mitramedia_bot mc_salah")
    bot.fake.inject_group_text(GROUP, budi, "halo semua")  # not for the bot: no answer
    await bot.fake.settle()
    assert [m.text for m in bot.fake.group_messages(GROUP)][-1].startswith("⚠️")
    bot.fake.inject_group_text(GROUP, budi, f"/start@mitramedia_bot {code}")
    await bot.fake.settle()
    assert "Media Center" in bot.fake.group_messages(GROUP)[-1].text
    assert len(bot.fake.group_messages(GROUP)) == 2

    rina = await bot.seeded_journalist(3901)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    await approve(who["admin"], "Terima")
    await approve(who["fungsional"], "Teruskan konsep")
    await with_reason(who["kabid"], "Tolak", "Tidak ada anggaran tahun ini")

    notes = [m.text for m in bot.fake.group_messages(GROUP)[2:]]
    assert len(notes) == 3, notes
    assert "Permohonan kerja sama baru" in notes[0] and "Warta Kapuas" in notes[0]
    assert "Rina Wartawati" in notes[0] and "belum bernomor" in notes[0]
    assert "diterima" in notes[1] and "001/AGENDA/DISKOMINFO-IKP/2026" in notes[1]
    assert "Budi Admin" in notes[1]
    assert "ditolak" in notes[2] and "Agus Kabid" in notes[2]
    for note in notes:  # the outlet and the applicant's name, nothing more personal
        assert "6281234567890" not in note and "61010101" not in note
    bot.assert_clean()
