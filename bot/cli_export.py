"""`mitramedia export agenda` (the buku agenda as Excel) and `mitramedia archive verify`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bot.config import Settings

export_app = typer.Typer(help="Ekspor catatan kantor.", no_args_is_help=True)
archive_app = typer.Typer(help="Arsip berkas (softcopy).", no_args_is_help=True)


@export_app.callback()
def _export_group() -> None:
    """Ekspor catatan kantor."""


@archive_app.callback()
def _archive_group() -> None:
    """Arsip berkas (softcopy)."""


@export_app.command("agenda")
def agenda(
    year: Annotated[int, typer.Option("--year", help="Tahun buku agenda, mis. 2026.")],
    xlsx: Annotated[Path, typer.Option("--xlsx", help="Berkas Excel tujuan.")],
) -> None:
    """Buku agenda: setiap permohonan bernomor agenda pada tahun itu, satu lembar per tahun."""
    settings = Settings()
    from storage.migrate import upgrade

    upgrade(settings.database_url)  # Alembic runs its own loop: before ours
    content, count = asyncio.run(_agenda(settings, year))
    xlsx.parent.mkdir(parents=True, exist_ok=True)
    xlsx.write_bytes(content)
    typer.echo(f"{xlsx} ({count} permohonan)")


async def _agenda(settings: Settings, year: int) -> tuple[bytes, int]:
    from storage.db import create_engine, session_factory
    from workflow import documents, records
    from workflow.loader import load_spec, resolve_sop

    spec = load_spec(resolve_sop(settings.sop))
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await records.agenda(session, year)
    finally:
        await engine.dispose()
    content = documents.agenda_xlsx({year: rows}, spec.office.name, spec.office.timezone)
    return content, len(rows)


@archive_app.command("verify")
def verify() -> None:
    """Hitung ulang sha256 setiap berkas arsip; kode keluar 1 bila ada yang hilang/berubah."""
    settings = Settings()
    from storage.migrate import upgrade

    upgrade(settings.database_url)
    checked, problems = asyncio.run(_verify(settings))
    for line in problems:
        typer.echo(line, err=True)
    if problems:
        typer.echo(f"{len(problems)} dari {checked} berkas hilang atau berubah.", err=True)
        raise typer.Exit(1)
    typer.echo(f"{checked} berkas utuh.")


async def _verify(settings: Settings) -> tuple[int, list[str]]:
    from sqlalchemy import select

    from storage.archive import Archive
    from storage.db import create_engine, session_factory
    from storage.models import Document

    archive = Archive(settings.files_dir)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            docs = list(await session.scalars(select(Document).order_by(Document.id)))
    finally:
        await engine.dispose()
    problems = []
    for doc in docs:
        state = await asyncio.to_thread(archive.check, doc)
        if state is not None:
            word = "hilang" if state == "missing" else "berubah"
            problems.append(
                f"{word}: berkas #{doc.id} {doc.file_name} ({doc.kind}, permohonan "
                f"#{doc.case_id or '-'}) {archive.path_of(doc)}"
            )
    return len(docs), problems
