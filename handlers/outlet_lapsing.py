"""/kedaluwarsa: what of which outlet lapses this month (yearly registration or a paper), for
the desk that handles outlets, and the line the morning digest carries about it.

Who: the role applicants report to (`reports_to`, the desk that confirms outlet changes and
takes renewal papers: Sanggau's Petugas Admin, Trenggalek's Fungsional) and the SOP's
records_roles (they keep the office's registers). Checked here on every use; the menu only
hints.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import Ctx
from handlers.outlet_admin import desk_role
from handlers.render import render, shown_length
from handlers.replies import message
from storage.models import MediaOutlet
from workflow import outlets
from workflow.errors import NotAllowed
from workflow.spec import SopSpec

LIMIT = 1200  # characters an official reads on a phone without scrolling far


def desk_roles(spec: SopSpec) -> set[str]:
    return {desk_role(spec), *spec.records_roles}


def month_of(today: date) -> tuple[date, date]:
    start = today.replace(day=1)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, end


async def this_month(
    session: AsyncSession, spec: SopSpec, today: date
) -> list[tuple[MediaOutlet, str, date]]:
    return await outlets.lapsing_items(session, *month_of(today))


def listing(items: list[tuple[MediaOutlet, str, date]], spec: SopSpec, today: date) -> str:
    """As many rows as fit LIMIT, then "+N lagi"."""
    shown = len(items)
    while True:
        text = render(
            "lapsing_month",
            items=items[:shown],
            more=len(items) - shown,
            month=today,
            rules=spec.qualification,
            today=today,
        )
        if shown_length(text) <= LIMIT or shown == 0:
            return text
        shown -= 1


async def cmd_lapsing(ctx: Ctx, arg: str = "") -> None:
    spec = ctx.deps.spec
    allowed = desk_roles(spec)
    if ctx.user is None or not ctx.user.role_keys & allowed:
        names = ", ".join(spec.role_name(k) for k in sorted(allowed) if k in spec.roles)
        raise NotAllowed("lapsing_desk_only", roles=names or "-")
    today = ctx.now.astimezone(ZoneInfo(spec.office.timezone)).date()
    items = await this_month(ctx.session, spec, today)
    ctx.send(message(ctx.chat, listing(items, spec, today)))
