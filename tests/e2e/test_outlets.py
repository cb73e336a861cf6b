"""Outlets are records of their own: a second journalist joins a registered outlet, and an
outlet whose yearly registration lapsed cannot submit until it is renewed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.fakeapi.harness import FakeUser
from storage.accounts import find_user
from storage.models import MediaOutlet, OutletMember, User
from tests.e2e.conftest import PDF, PNG, BotUnderTest

FACTS = {
    "nib": "1234567890123",
    "npwp": "012345678901000",
    "address": "Jl. Sudirman 1",
    "website": "https://wartakapuas.id",
}


@pytest.fixture
def framework() -> str:
    return "aiogram"  # the adapter does not matter here: one is enough


async def _person(bot: BotUnderTest, user_id: int, name: str, nik: str) -> FakeUser:
    person = bot.fake.user(user_id, name.split()[0])
    await person.send("/start")
    await person.send(name)
    await person.send(nik)
    await person.share_contact(f"+62812{user_id:07d}")
    await person.upload_photo(PNG)  # press card
    return person


async def _register_online(bot: BotUnderTest, person: FakeUser) -> None:
    """What the office's rules ask of an online outlet, answered in their order."""
    rules = bot.product.app.deps.spec.qualification
    await person.press("Daftarkan media baru")
    await person.press("Online")
    for item in rules.asked("online"):
        if item not in rules.required("online"):
            await person.press("Lewati")
        elif rules.is_document(item):
            await person.upload_document(PDF, f"{item}.pdf", "application/pdf")
        elif item == "legal_form":
            await person.press("PT")
        elif item == "dewan_pers":
            await person.press("Terverifikasi faktual")
        else:
            await person.send(FACTS[item])
    assert "Pendaftaran selesai" in person.last.text


async def _members(bot: BotUnderTest) -> dict[str, str]:
    async with bot.session() as s:
        rows = await s.execute(
            select(User.name, MediaOutlet.code)
            .join(OutletMember, OutletMember.user_id == User.id)
            .join(MediaOutlet, MediaOutlet.id == OutletMember.outlet_id)
        )
        return {name: str(code) for name, code in rows.all()}


async def test_second_journalist_joins_a_registered_online_outlet(bot: BotUnderTest) -> None:
    rina = await _person(bot, 6001, "Rina Wartawati", "6171054501900001")
    await rina.send("Warta Kapuas")
    await _register_online(bot, rina)
    assert "M0001" in rina.last.text and "Peringkat media: A" in rina.last.text

    budi = await _person(bot, 6002, "Budi Santoso", "6171050101900002")
    await budi.send("warta")  # a part of the name finds it
    assert "Warta Kapuas (M0001" in " ".join(budi.buttons())
    await budi.press("Warta Kapuas (M0001)")
    joined = budi.last.text
    assert "Pendaftaran selesai" in joined and "sudah terdaftar" in joined
    assert await _members(bot) == {"Rina Wartawati": "M0001", "Budi Santoso": "M0001"}

    # Budi's request carries the outlet's papers (proof of owning the medium) from the registry.
    await budi.send("/ajukan")
    await budi.press("Lewati")
    assert "Permohonan" in budi.last.text and "Kelengkapan belum" not in budi.last.text

    # Moving to another outlet is a request the office's admin confirms with a button.
    admin = await bot.official(2001, "Ani Admin", "admin")
    async with bot.session() as s, s.begin():
        rina_row = await find_user(s, "telegram", rina.id)
        assert rina_row is not None
        s.add(
            MediaOutlet(
                owner_id=rina_row.id,
                name="Suara Sekadau",
                kind="cetak",
                website="",
                created_at=bot.clock.now(),
                code="M0002",
            )
        )
    await budi.send("/media M0002")
    assert "dikirim ke petugas" in budi.last.text
    assert await _members(bot) == {"Rina Wartawati": "M0001", "Budi Santoso": "M0001"}
    await admin.press("Setujui pindah media")
    assert "kini mewakili" in budi.last.text
    assert (await _members(bot))["Budi Santoso"] == "M0002"
    bot.assert_clean()


async def test_a_lapsed_registration_blocks_ajukan_until_renewed(bot: BotUnderTest) -> None:
    rina = await _person(bot, 6101, "Rina Wartawati", "6171054501900011")
    await rina.send("Warta Kapuas")
    await _register_online(bot, rina)
    assert "berlaku sampai 23 November 2027" in rina.last.text

    bot.clock.advance(timedelta(days=366))  # a year and a day later, not renewed
    await rina.send("/ajukan")
    refusal = rina.last.text
    assert "habis masa berlakunya" in refusal and "/perpanjang" in refusal
    assert rina.buttons(rina.bot_messages[-1]) == []  # nothing to submit with

    await rina.send("/perpanjang")
    assert "diperpanjang sampai 24 November 2028" in rina.last.text
    async with bot.session() as s:
        outlet = await s.scalar(select(MediaOutlet))
        assert outlet is not None and outlet.registered_until == date(2028, 11, 24)
    await rina.send("/ajukan")
    assert "Lewati" in rina.buttons()  # the request letter is asked: submitting works again
    bot.assert_clean()
