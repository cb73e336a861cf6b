"""Managing officials (issue 9): revoking a role, cancelling and binding invites."""

from __future__ import annotations

from handlers.officials import create_invite
from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import approve, message_with


async def test_a_revoked_official_s_buttons_are_refused_and_the_task_stays_with_the_role(
    bot: BotUnderTest,
):
    kadis = await bot.official(2201, "Hendra Kadis", "kadis")
    budi = await bot.official(2202, "Budi Admin", "admin")
    ani = await bot.official(2203, "Ani Admin", "admin")
    async with bot.session() as s, s.begin():
        pending = await create_invite(s, "kabid", "Agus Kabid", bot.clock.now(), 72)
    rina = await bot.seeded_journalist(3501)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    assert "Langkah 2/10" in budi.last.text and "Langkah 2/10" in ani.last.text

    await kadis.send("/petugas")
    listing = kadis.last.text
    assert "Budi Admin" in listing and "Agus Kabid" in listing  # officials and the invite
    await kadis.press("Cabut: Budi Admin")
    assert "dicabut dari Budi Admin" in kadis.last.text
    assert "telah dicabut" in budi.last.text
    assert "Budi Admin tidak lagi memegang peran" in ani.last.text and "1" in ani.last.text

    prompt = message_with(budi, "Terima")
    answer = await budi.press("Terima", message_id=prompt.message_id)
    assert answer is not None and answer.show_alert
    assert "tidak memegang peran" in (answer.text or "")
    await approve(ani, "Terima")  # the open task stayed with the role
    assert (await bot.case()).agenda_number is not None

    await kadis.send("/petugas")
    await kadis.press("Batalkan undangan: Agus Kabid")
    assert "dibatalkan" in kadis.last.text
    agus = bot.fake.user(2204, "Agus")
    await agus.send(f"/start {pending.code}")
    assert "sudah dibatalkan" in agus.last.text
    bot.assert_clean()


async def test_an_invite_bound_to_a_phone_refuses_another_account(bot: BotUnderTest):
    async with bot.session() as s, s.begin():
        invite = await create_invite(
            s, "admin", "Budi Admin", bot.clock.now(), 72, phone="0812-0000-1111"
        )
    eve = bot.fake.user(2301, "Eve")
    await eve.send(f"/start {invite.code}")
    assert "terikat pada satu nomor telepon" in eve.last.text
    await eve.share_contact("+6281299990000")  # her own number
    assert "pemilik nomor telepon yang diundang" in eve.last.text
    await eve.send(f"/start {invite.code}")
    bot.fake.inject_message(  # Budi's contact card, forwarded: not her own
        eve.id, contact={"phone_number": "+6281200001111", "first_name": "Budi", "user_id": 2302}
    )
    await bot.fake.settle()
    assert "pemilik nomor telepon yang diundang" in eve.last.text

    budi = bot.fake.user(2302, "Budi")
    await budi.send(f"/start {invite.code}")
    await budi.share_contact("+6281200001111")
    assert "Selamat bergabung" in budi.last.text
    await eve.send("/tugas")
    assert "Selamat bergabung" not in eve.last.text and "petugas" in eve.last.text.lower()
    bot.assert_clean()
