"""Reminders before an outlet's yearly registration or one of its papers lapses (the rules'
`remind_days`, e.g. 30 and 7 days before), to the journalists who represent it.

Looked for by the first SLA sweep of each local day; each reminder is claimed once in the
`notice` table (key: outlet, what, its end date, the threshold), so several processes and
every later sweep send it once.
Only the tightest threshold reached is sent: an outlet registered with 20 days left hears
the 30-day reminder once, then the 7-day one.
"""

from __future__ import annotations

import weakref
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.platforms import chat_of
from handlers.render import render
from handlers.replies import Reply, message
from storage.models import Document, MediaOutlet
from workflow import outlets
from workflow.spec import SopSpec

# The local day each database was last looked at: thresholds are whole days, so one look a
# day per process is enough (the claims keep it once-only across processes and restarts).
_LOOKED: weakref.WeakKeyDictionary[object, tuple[str, date]] = weakref.WeakKeyDictionary()


def expiry_due(sessions: object, spec: SopSpec, now: datetime) -> bool:
    """True once per local day and database: the sweep runs every 30 s, the reminders daily."""
    today = now.astimezone(ZoneInfo(spec.office.timezone)).date()
    if _LOOKED.get(sessions) == (spec.id, today):
        return False
    _LOOKED[sessions] = (spec.id, today)
    return True


def threshold(remind_days: tuple[int, ...], ends: date, today: date) -> int | None:
    """The smallest reminder day already reached before `ends` (None: none yet, or lapsed)."""
    left = (ends - today).days
    reached = [d for d in remind_days if 0 < left <= d]
    return min(reached) if reached else None


async def expiry_reminders(
    session: AsyncSession, spec: SopSpec, now: datetime, worker: str
) -> tuple[list[str], list[Reply]]:
    from handlers.sla import claim  # one claim mechanism for every notice

    rules = spec.qualification
    if not rules.remind_days:
        return [], []
    today = now.astimezone(ZoneInfo(spec.office.timezone)).date()
    horizon = today + timedelta(days=max(rules.remind_days))
    keys: list[str] = []
    replies: list[Reply] = []
    due: list[tuple[MediaOutlet, str, date]] = [
        (o, "registration", o.registered_until)  # type: ignore[misc]
        for o in await outlets.lapsing(session, today + timedelta(days=1), horizon + timedelta(1))
    ]
    papers = await session.execute(
        select(Document, MediaOutlet)
        .join(MediaOutlet, MediaOutlet.id == Document.outlet_id)
        .where(Document.expires_on > today, Document.expires_on <= horizon)
    )
    due += [(o, d.kind, d.expires_on) for d, o in papers.all() if d.expires_on is not None]
    for outlet, what, ends in due:
        days = threshold(rules.remind_days, ends, today)
        if days is None:
            continue
        key = f"expiry:{outlet.id}:{what}:{ends.isoformat()}:{days}"
        if not await claim(session, key, "expiry", now, worker, None):
            continue
        text = render(
            "expiry_reminder",
            outlet=outlet,
            what=what,
            ends=ends,
            days=(ends - today).days,
            rules=rules,
        )
        keys.append(key)
        replies += [message(chat_of(u), text) for u in await outlets.members(session, outlet)]
    return keys, replies
