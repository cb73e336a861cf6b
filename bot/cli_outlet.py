"""`mitramedia outlet list|show|export|lapsing`: the office's register of media outlets."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.config import Settings
from workflow.wording import lines, phrase

outlet_app = typer.Typer(help="Daftar perusahaan media (registri media).", no_args_is_help=True)


def _prepare() -> Settings:
    from storage.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url)  # Alembic runs its own loop: before ours
    return settings


async def _rows(settings: Settings, code: str | None = None) -> list[dict[str, Any]]:
    """One row per outlet (or the one with `code`): its record, members, papers, standing."""
    from storage.db import create_engine, reading, session_factory
    from workflow import outlets
    from workflow.loader import load_spec, resolve_sop

    rules = load_spec(resolve_sop(settings.sop)).qualification
    today = datetime.now(UTC).date()
    engine = create_engine(settings.database_url)
    try:
        async with reading(session_factory(engine)) as session:
            found = await outlets.all_outlets(session)
            rows = []
            for outlet in found:
                if code is not None and (outlet.code or "").upper() != code.upper():
                    continue
                standing = await outlets.standing(session, outlet, rules, today)
                rows.append(
                    {
                        "outlet": outlet,
                        "members": [u.name for u in await outlets.members(session, outlet)],
                        "papers": [
                            (d.kind, d.file_name, d.expires_on)
                            for d in await outlets.papers(session, outlet)
                        ],
                        "grade": standing.grade or "",
                        "missing": standing.missing,
                        "lapsed": standing.lapsed,
                    }
                )
            return rows
    finally:
        await engine.dispose()


def _day(value: date | None) -> str:
    return value.isoformat() if value else "-"


@outlet_app.command("list")
def list_outlets() -> None:
    """Semua media: kode, nama, jenis, peringkat, masa berlaku pendaftaran, wartawan."""
    rows = asyncio.run(_rows(_prepare()))
    for row in rows:
        o = row["outlet"]
        for line in lines(
            "cli",
            "outlet_row",
            code=o.code,
            name=o.name,
            kind=o.kind,
            grade=row["grade"],
            until=_day(o.registered_until),
            lapsed=row["lapsed"],
            members=row["members"],
        ):
            typer.echo(line)
    typer.echo(phrase("cli", "outlet_count", count=len(rows)))


@outlet_app.command("show")
def show(code: Annotated[str, typer.Argument(help="Kode media, mis. M0001")]) -> None:
    """Satu media: data badan hukum, wartawan, dokumen (dengan masa berlakunya), kekurangan."""
    settings = _prepare()
    rows = asyncio.run(_rows(settings, code))
    if not rows:
        typer.echo(phrase("cli", "outlet_unknown", code=code), err=True)
        raise typer.Exit(1)
    from handlers.render import item_label, label
    from workflow.loader import load_spec, resolve_sop

    rules = load_spec(resolve_sop(settings.sop)).qualification
    row = rows[0]
    o = row["outlet"]
    # Words as the journalist chose them ("PT", "Terverifikasi faktual"), not stored keys.
    dewan_pers = label("choice", o.dewan_pers) if o.dewan_pers else "-"
    for line in lines(
        "cli",
        "outlet_show",
        code=o.code,
        name=o.name,
        kind=o.kind,
        legal_form=label("choice", o.legal_form) if o.legal_form else "",
        nib=o.nib,
        npwp=o.npwp,
        address=o.address,
        website=o.website,
        dewan_pers=f"{dewan_pers} ({_day(o.dewan_pers_date)})",
        grade=row["grade"],
        registered=f"{_day(o.registered_on)} s.d. {_day(o.registered_until)}",
        members=row["members"],
        papers=[(item_label(rules, k), name, _day(until)) for k, name, until in row["papers"]],
        missing=[item_label(rules, m) for m in row["missing"]],
    ):
        typer.echo(line)


@outlet_app.command("export")
def export(xlsx: Annotated[Path, typer.Option("--xlsx", help="Berkas Excel tujuan.")]) -> None:
    """Register media (Excel): satu baris per media, baris judul beku, filter di tiap kolom."""
    settings = _prepare()
    from workflow.documents import outlets_xlsx
    from workflow.loader import load_spec, resolve_sop

    spec = load_spec(resolve_sop(settings.sop))
    rows = asyncio.run(_rows(settings))
    xlsx.parent.mkdir(parents=True, exist_ok=True)
    xlsx.write_bytes(outlets_xlsx(rows, spec.office.name))
    typer.echo(f"{xlsx} ({len(rows)} media)")


@outlet_app.command("lapsing")
def lapsing(
    month: Annotated[str, typer.Option(help="Bulan TTTT-BB (bawaan: bulan ini)")] = "",
) -> None:
    """Media yang pendaftarannya habis pada bulan itu (untuk diingatkan memperpanjang)."""
    settings = _prepare()
    today = datetime.now(UTC).date()
    year, number = (int(p) for p in month.split("-")) if month else (today.year, today.month)
    start = date(year, number, 1)
    end = date(year + number // 12, number % 12 + 1, 1)

    async def main() -> list[Any]:
        from storage.db import create_engine, reading, session_factory
        from workflow import outlets

        engine = create_engine(settings.database_url)
        try:
            async with reading(session_factory(engine)) as session:
                return await outlets.lapsing(session, start, end)
        finally:
            await engine.dispose()

    found = asyncio.run(main())
    for o in found:
        typer.echo(f"{o.code or '-':7} {o.name[:40]:40} habis {_day(o.registered_until)}")
    typer.echo(f"{len(found)} media habis masa pendaftarannya pada {start:%Y-%m}.")
