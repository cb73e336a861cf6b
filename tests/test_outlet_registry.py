"""One journalist, one outlet: joining another outlet is a request the office confirms."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from storage.models import OutletMember
from tests.factories import builtin, make_journalist, make_user
from workflow import outlets

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
RULES = builtin("sanggau-hubungan-media").qualification


async def test_moving_to_another_outlet_waits_for_the_office(sessions) -> None:
    async with sessions() as s, s.begin():
        rina, _legacy = await make_journalist(s, NOW)
        first = await outlets.create(
            s,
            rina,
            name="Warta Kapuas",
            kind="online",
            fields={"legal_form": "pt"},
            rules=RULES,
            now=NOW,
            today=NOW.date(),
        )
        budi, _ = await make_journalist(s, NOW)
        second = await outlets.create(
            s,
            budi,
            name="Suara Sekadau",
            kind="cetak",
            fields={},
            rules=RULES,
            now=NOW,
            today=NOW.date(),
        )
        admin = await make_user(s, "Admin", NOW, ("admin",))
        assert (first.code, second.code) == (f"M{first.id:04d}", f"M{second.id:04d}")
        assert first.registered_until == date(2027, 11, 23)
        assert await outlets.outlet_of(s, rina) == first

        assert await outlets.join(s, rina, second, NOW) is False  # not moved: asked
        assert await outlets.outlet_of(s, rina) == first
        change = await outlets.pending_change(s, rina)
        assert change is not None and change.outlet_id == second.id
        await outlets.decide_change(s, change, admin, confirm=False, now=NOW)
        assert await outlets.outlet_of(s, rina) == first and change.outcome == "refused"

        assert await outlets.join(s, rina, second, NOW) is False
        change = await outlets.pending_change(s, rina)
        assert change is not None
        await outlets.decide_change(s, change, admin, confirm=True, now=NOW)
        assert await outlets.outlet_of(s, rina) == second
        rows = list(await s.scalars(select(OutletMember).where(OutletMember.user_id == rina.id)))
        assert len(rows) == 1  # one outlet at a time
        assert [u.name for u in await outlets.members(s, second)] == [budi.name, rina.name]
        assert [o.code for o in await outlets.search(s, "sekadau")] == [second.code]
        assert [o.code for o in await outlets.search(s, second.code.lower())] == [second.code]


def test_renewing_early_loses_nothing() -> None:
    from storage.models import MediaOutlet

    outlet = MediaOutlet(registered_until=date(2026, 12, 10))
    assert outlets.renew(outlet, RULES, date(2026, 11, 20)) == date(2027, 12, 10)
    lapsed = MediaOutlet(registered_until=date(2026, 1, 10))
    assert outlets.is_lapsed(lapsed, date(2026, 11, 20))
    assert outlets.renew(lapsed, RULES, date(2026, 11, 20)) == date(2027, 11, 20)
    assert not outlets.is_lapsed(lapsed, date(2026, 11, 20))
