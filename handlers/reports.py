"""/laporan: who is slow, as a chart (photo) and workbook, for the SOP's report_roles."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from handlers.callbacks import Callback, Op
from handlers.context import Ctx
from handlers.render import label, render, toast
from handlers.replies import Button, InlineKeyboard, Reply, SendDocument
from workflow import compliance_export as export
from workflow.compliance import Report, compute
from workflow.spec import SopSpec

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Each request writes two files; they are only needed until Telegram has them.
KEEP_REPORTS = timedelta(days=7)


PERIODS = ("bulan_ini", "bulan_lalu", "tahun_ini")
PERIOD_LABELS = {
    "bulan_ini": "period_this_month",
    "bulan_lalu": "period_last_month",
    "tahun_ini": "period_this_year",
}


def report_roles(spec: SopSpec) -> list[str]:
    """Who may ask for /laporan: the SOP's report_roles (its heads of office), as data."""
    return [key for key in spec.report_roles if key in spec.roles]


def _allowed(ctx: Ctx) -> bool:
    if ctx.user is not None and ctx.user.role_keys & set(report_roles(ctx.deps.spec)):
        return True
    names = ", ".join(ctx.deps.spec.role_name(k) for k in report_roles(ctx.deps.spec))
    ctx.say("report_heads_only", roles=names or "-")
    return False


def period_keyboard() -> InlineKeyboard:
    first = (Button(label(PERIOD_LABELS["bulan_ini"]), Callback(Op.report, 0, "bulan_ini").pack()),)
    rest = tuple(
        Button(label(PERIOD_LABELS[key]), Callback(Op.report, 0, key).pack())
        for key in ("bulan_lalu", "tahun_ini")
    )
    return InlineKeyboard((first, rest))


async def laporan(ctx: Ctx, arg: str = "") -> None:
    """/laporan: a head of office picks the period; anyone else is told who may.

    ``arg`` is accepted (and ignored) so the function also fits the app's command table.
    """
    if _allowed(ctx):
        ctx.say("report_choose", markup=period_keyboard())


async def on_period(ctx: Ctx, period: str) -> None:
    """A period button: re-checks the role (a button authorises nothing), then sends the
    chart and workbook for that period, drawn after the commit."""
    if period not in PERIODS:
        ctx.answer(toast("stale"))
        return
    if not _allowed(ctx):
        ctx.answer()
        return
    ctx.answer(toast("report_coming"))
    since, until = period_bounds(period, ctx.now, ctx.tz)
    spec = ctx.deps.spec
    report = await compute(
        ctx.session, since=since, until=until, now=ctx.now, sops=[spec], tz=ctx.tz
    )
    folder = ctx.deps.files_dir / "reports"
    stem = f"laporan-sla-{since:%Y-%m}-{period}-{ctx.chat_id}-{ctx.now:%Y%m%d%H%M%S}"
    chat_id, platform, tz, drawing = ctx.chat_id, ctx.platform, ctx.tz, ctx.deps.drawing

    async def draw() -> list[Reply]:
        # A second or so of CPU, after the commit, in a drawing worker: no transaction, no
        # event loop and no other update waits on it.
        png, xlsx = await drawing.run(_write, report, folder, stem, tz)
        return [
            SendDocument(
                chat_id=chat_id,
                file_name=png.name,
                path=str(png),
                mime_type="image/png",
                caption=export.caption(report, tz),
                as_photo=True,
                platform=platform,
            ),
            SendDocument(
                chat_id=chat_id,
                file_name=xlsx.name,
                path=str(xlsx),
                mime_type=XLSX_MIME,
                caption=render("report_document"),
                platform=platform,
            ),
        ]

    ctx.later.append(draw)


def period_bounds(period: str, now: datetime, tz: str) -> tuple[datetime, datetime]:
    """[since, until) of a period on the office's wall clock; the current ones end now."""
    start = month_start(now, tz)
    if period == "bulan_lalu":
        previous = (start - timedelta(days=1)).replace(day=1)
        return previous, start
    if period == "tahun_ini":
        return start.replace(month=1), now
    return start, now


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
