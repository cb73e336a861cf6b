"""Deputies (issue 9): a Plh. Kepala Dinas appointed in the chat acts within the period, every
record names them as such, and once the period is over their buttons are refused politely."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage.models import AuditEvent, Case
from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import approve, current
from tests.e2e.test_sanggau import SANGGAU
from workflow import records


async def _to_the_head(who: dict, journalist) -> None:  # type: ignore[no-untyped-def,type-arg]
    await journalist.send("/ajukan")
    await journalist.press("Lewati")
    await approve(who["admin"], "Terima")
    await approve(who["fungsional"], "Teruskan konsep")
    await approve(who["kabid"], "Paraf & teruskan")
    await approve(who["sekretaris"], "Paraf & teruskan")


def _named(case_id: int) -> str:
    """A case as every message names it: by its agenda number (the n-th request of the year)."""
    return f"{case_id:03d}/AGENDA/"


def _prompt_of(person, case_id: int):  # type: ignore[no-untyped-def]
    for message in reversed(person.bot_messages):
        if _named(case_id) in (message.text or "") and "Tanda tangani" in person.buttons(message):
            return message
    raise AssertionError(f"no signing prompt of case #{case_id}")


@pytest.mark.parametrize("framework", ["ptb"])  # the adapter does not matter here
async def test_a_deputy_acts_in_the_period_is_recorded_as_plh_and_is_refused_after(
    bot: BotUnderTest,
) -> None:
    who = await bot.officials(SANGGAU)
    kadis, dewi = who["kadis"], who["sekretaris"]
    tono = await bot.seeded_journalist(3711, "Tono Wartawan")
    await _to_the_head(who, tono)  # case #1 waits for the head's signature
    assert _prompt_of(kadis, 1)

    today = bot.clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date()
    await kadis.send(f"/petugas plh kadis {today:%d-%m-%Y} {today:%d-%m-%Y} Dewi Sekretaris")
    assert "Plh. Kepala Dinas" in kadis.last.text
    assert any("Anda ditunjuk sebagai Plh. Kepala Dinas" in t for t in dewi.texts())
    old_task = _prompt_of(dewi, 1)  # the open task of the role came to the deputy

    rina = await bot.seeded_journalist(3712)
    await _to_the_head(who, rina)  # case #2 reaches the role while the deputy serves
    await approve(dewi, "Tanda tangani")  # the newest: case #2's prompt, sent to her too
    for person in (dewi, kadis):
        done = current(person, _done_message(person, 2))
        assert "Dewi Sekretaris" in done.text and "Plh. Kepala Dinas" in done.text
    async with bot.session() as s:
        case = await s.scalar(select(Case).where(Case.id == 2))
        assert case is not None
        sheet = await records.disposition(s, case)
        mou = await records.draft(s, case, bot.clock.now())  # the numbered MoU's signature line
        signed = await s.scalar(
            select(AuditEvent).where(AuditEvent.case_id == 2, AuditEvent.action == "sign")
        )
    assert [r.role for r in sheet.rows if r.step == 6] == ["Plh. Kepala Dinas"]
    assert (mou.signed_by, mou.signed_as) == ("Dewi Sekretaris", "Plh.")
    assert signed is not None and signed.role == "kadis" and signed.data["as_deputy"] == 1
    await kadis.send("/petugas")
    assert "sedang bertugas" in kadis.last.text

    bot.clock.advance(timedelta(days=1))  # the period is over: nothing had to end it
    answer = await dewi.press("Tanda tangani", message_id=old_task.message_id)
    assert answer is not None and answer.show_alert
    assert "telah berakhir" in (answer.text or "") and "Kepala Dinas" in (answer.text or "")
    await approve(kadis, "Tanda tangani")  # case #1 stayed with the role
    signed = current(kadis, _done_message(kadis, 1)).text
    assert "Hendra Kadis" in signed and "Plh." not in signed
    bot.assert_clean()


def _done_message(person, case_id: int):  # type: ignore[no-untyped-def]
    for message in reversed(person.bot_messages):
        if _named(case_id) in (message.text or "") and "Langkah 6/" in message.text:
            return message
    raise AssertionError(f"no step-6 message of case #{case_id}")
