"""A journalist hears 30 and 7 days before the outlet's yearly registration lapses, once each,
however many sweeps run; after it lapsed, nothing more (the /ajukan refusal says the rest)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from handlers.outlet_reminders import threshold
from handlers.replies import SendMessage
from handlers.sla import sweep
from tests.factories import builtin, make_journalist
from workflow import outlets

SPEC = builtin("sanggau-hubungan-media")
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)  # 10:00 WIB


async def test_registration_lapse_reminders_come_once_at_30_and_7_days(sessions) -> None:
    async with sessions() as s, s.begin():
        user, outlet = await make_journalist(s, NOW)
        outlet.registered_until = date(2026, 12, 2)  # 30 days after NOW
        await outlets.join(s, user, outlet, NOW)
        chat = user.telegram_id
    heard: list[tuple[date, str]] = []
    for day in range(0, 31):
        moment = NOW + timedelta(days=day)
        for _ in range(2):  # a second sweep the same day sends nothing again
            result = await sweep(sessions, moment, SPEC, "w1")
            heard += [
                (moment.date(), r.text)
                for r in result.replies
                if isinstance(r, SendMessage) and r.chat_id == chat and "Pengingat" in r.text
            ]
    assert [d for d, _ in heard] == [date(2026, 11, 2), date(2026, 11, 25)]
    assert "30 hari lagi" in heard[0][1] and "7 hari lagi" in heard[1][1]
    assert "/perpanjang" in heard[1][1]


def test_the_tightest_threshold_reached_is_the_one_sent() -> None:
    ends = date(2027, 1, 31)
    assert threshold((30, 7), ends, ends - timedelta(days=31)) is None
    assert threshold((30, 7), ends, ends - timedelta(days=20)) == 30
    assert threshold((30, 7), ends, ends - timedelta(days=7)) == 7
    assert threshold((30, 7), ends, ends) is None  # lapsed: the refusal speaks now
