"""/laporan: the month's SLA compliance chart (photo) and workbook for the office's heads."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from handlers.context import Ctx
from handlers.menus import HEAD_ROLES
from handlers.render import render
from handlers.replies import Reply, SendDocument
from workflow import compliance_export as export
from workflow.compliance import Report, compute

# Heads of the office, lowest last; only those the active SOP defines count.
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Each request writes two files; they are only needed until Telegram has them.
KEEP_REPORTS = timedelta(days=7)


async def laporan(ctx: Ctx, arg: str = "") -> None:
    """Send this month's report (up to now, office time) to a head of office; refuse others.

    ``arg`` is accepted (and ignored) so the function also fits the app's command table.
    """
    spec = ctx.deps.spec
    allowed = [key for key in HEAD_ROLES if key in spec.roles]
    if ctx.user is None or not ctx.user.role_keys & set(allowed):
        names = ", ".join(spec.role_name(k) for k in allowed) or "pimpinan dinas"
        ctx.say(
            "refused",
            message=f"Maaf, laporan kepatuhan waktu hanya untuk pimpinan ({names}).",
        )
        return
    since = month_start(ctx.now, ctx.tz)
    report = await compute(
        ctx.session, since=since, until=ctx.now, now=ctx.now, sops=[spec], tz=ctx.tz
    )
    folder = ctx.deps.files_dir / "reports"
    stem = f"laporan-sla-{since:%Y-%m}-{ctx.chat_id}-{ctx.now:%Y%m%d%H%M%S}"
    chat_id, tz = ctx.chat_id, ctx.tz

    async def draw() -> list[Reply]:
        # A second or so of CPU, after the commit: no transaction and no event loop waits on it.
        png, xlsx = await asyncio.to_thread(_write, report, folder, stem, tz)
        return [
            SendDocument(
                chat_id=chat_id,
                file_name=png.name,
                path=str(png),
                mime_type="image/png",
                caption=export.caption(report, tz),
                as_photo=True,
            ),
            SendDocument(
                chat_id=chat_id,
                file_name=xlsx.name,
                path=str(xlsx),
                mime_type=XLSX_MIME,
                caption=render("report_document"),
            ),
        ]

    ctx.later.append(draw)


def month_start(now: datetime, tz: str) -> datetime:
    """Midnight of the first day of ``now``'s month on the office's wall clock."""
    local = now.astimezone(ZoneInfo(tz))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _write(report: Report, folder: Path, stem: str, tz: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder)
    png = export.as_png(report, folder / f"{stem}.png", tz)
    xlsx = export.as_xlsx(report, folder / f"{stem}.xlsx")
    return png, xlsx


def _prune(folder: Path) -> None:
    # File ages are wall-clock facts (mtime), so this uses the real time, not the injected clock.
    cutoff = time.time() - KEEP_REPORTS.total_seconds()
    for old in folder.glob("laporan-sla-*"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except FileNotFoundError:  # another process pruned it first
            continue
