"""`mitramedia report sla`: the SLA compliance report for a date range, as table/CSV/Excel/PNG."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bot.config import Settings
from workflow.compliance import Report, compute
from workflow.spec import SopSpec

report_app = typer.Typer(help="Laporan untuk pimpinan.", no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    xlsx = "xlsx"
    png = "png"


@report_app.callback()
def _group() -> None:
    """Laporan untuk pimpinan."""
    # A callback keeps `sla` a subcommand even while it is the only one (Typer otherwise
    # collapses a one-command app into that command when it is run on its own).


@report_app.command("sla")
def sla(
    start: Annotated[
        str,
        typer.Option("--from", help="Tanggal awal (YYYY-MM-DD), termasuk; bawaan: awal bulan ini."),
    ] = "",
    end: Annotated[
        str, typer.Option("--to", help="Tanggal akhir (YYYY-MM-DD), termasuk; bawaan: hari ini.")
    ] = "",
    fmt: Annotated[Format, typer.Option("--format", help="Bentuk laporan.")] = Format.table,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Berkas tujuan; xlsx/png tanpa ini: ./laporan-sla-<dari>-<sampai>.<ext>.",
        ),
    ] = None,
) -> None:
    """Kepatuhan waktu SOP per langkah dan per petugas untuk tugas yang selesai dalam periode
    (bawaan: bulan ini sampai hari ini)."""
    settings = Settings()
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    last = _date(end, "--to") if end else today
    first = _date(start, "--from") if start else last.replace(day=1)
    if last < first:
        raise typer.BadParameter("tanggal akhir sebelum tanggal awal", param_hint="--to")
    from storage import crypto
    from storage.migrate import upgrade

    crypto.load(settings.files_dir.parent)  # a migration encrypts existing NIKs with it
    # Alembic's env runs its own event loop, so it goes before ours, not inside it.
    upgrade(settings.database_url)
    zone = ZoneInfo(settings.timezone)
    since = datetime.combine(first, time.min, tzinfo=zone)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    report = asyncio.run(_compute(settings, since, until))
    _emit(report, fmt, output, settings.timezone, f"laporan-sla-{first}-{last}")


def _date(value: str, hint: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"tanggal tidak valid: {value!r} (pakai YYYY-MM-DD)", param_hint=hint
        ) from None


async def _compute(settings: Settings, since: datetime, until: datetime) -> Report:
    from storage.db import create_engine, session_factory

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            return await compute(
                session,
                since=since,
                until=until,
                now=datetime.now(UTC),
                sops=_configured_sop(settings),
                tz=settings.timezone,
            )
    finally:
        await engine.dispose()


def _configured_sop(settings: Settings) -> list[SopSpec]:
    """The office's SOP, so every one of its steps is listed even in a quiet period."""
    from workflow.loader import SopInvalid, SopNotFound, load_spec, resolve_sop

    try:
        return [load_spec(resolve_sop(settings.sop))]
    except (SopInvalid, SopNotFound) as exc:  # the stored versions still give a report
        typer.echo(f"Peringatan: SOP {settings.sop!r} tidak dapat dimuat ({exc}).", err=True)
        return []


def _emit(report: Report, fmt: Format, output: Path | None, tz: str, stem: str) -> None:
    from workflow import compliance_export as export

    if fmt in (Format.table, Format.csv):
        text = export.as_table(report, tz) if fmt == Format.table else export.as_csv(report)
        if output is None:
            typer.echo(text, nl=False)
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        typer.echo(str(output))
        return
    path = output or Path(f"./{stem}.{fmt.value}")
    written = (
        export.as_xlsx(report, path) if fmt == Format.xlsx else export.as_png(report, path, tz)
    )
    typer.echo(str(written))
