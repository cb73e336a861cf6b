"""/agenda: the year's buku agenda as the Excel file `mitramedia export agenda` writes, for the
SOP's records_roles and the office's heads (checked here on every use; the menu only hints)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

from handlers.context import Ctx
from handlers.render import render, words
from handlers.replies import Reply, document
from workflow import documents, records
from workflow.records import AgendaRow

XLSX = documents.XLSX_MIME


def agenda_roles(records_roles: Iterable[str], report_roles: Iterable[str]) -> set[str]:
    """Who may ask for the agenda book: the SOP's records_roles and report_roles (its heads)."""
    return {*records_roles, *report_roles}


async def cmd_agenda(ctx: Ctx, arg: str = "") -> None:
    spec = ctx.deps.spec
    allowed = agenda_roles(spec.records_roles, spec.report_roles)
    if ctx.user is None or not ctx.user.role_keys & allowed:
        names = ", ".join(spec.role_name(k) for k in sorted(allowed) if k in spec.roles)
        ctx.say("refused", message=words("agenda_only", names or "-"))
        return
    year = ctx.now.astimezone(ZoneInfo(ctx.tz)).year
    if arg:
        if not (arg.isdigit() and len(arg) == 4):
            ctx.say("refused", message=words("agenda_year"))
            return
        year = int(arg)
    rows = await records.agenda(ctx.session, year)
    folder = ctx.deps.files_dir / "reports"
    name = f"buku-agenda-{year}.xlsx"
    path = folder / f"buku-agenda-{year}-{ctx.chat_id}.xlsx"  # one per chat and year: no pile
    office, tz, chat = spec.office.name, spec.office.timezone, ctx.chat
    caption = render("agenda_caption", year=year, count=len(rows))

    drawing = ctx.deps.drawing

    async def draw() -> list[Reply]:
        # The workbook is drawn after the commit, in a drawing worker: no transaction and no
        # other update waits on openpyxl.
        await drawing.run(write_agenda, path, year, rows, office, tz)
        return [document(chat, name, str(path), XLSX, caption=caption)]

    ctx.later.append(draw)


def write_agenda(path: Path, year: int, rows: list[AgendaRow], office: str, tz: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(documents.agenda_xlsx({year: rows}, office, tz))
