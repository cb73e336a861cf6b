"""`mitramedia user`: a journalist's data exported (zip: JSON plus files) or erased."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.config import Settings

user_app = typer.Typer(
    help="Data pribadi pengguna (UU PDP): ekspor dan hapus.", no_args_is_help=True
)


def _prepare() -> Settings:
    from storage import crypto
    from storage.migrate import upgrade

    settings = Settings()
    crypto.load(settings.files_dir.parent)
    upgrade(settings.database_url)  # Alembic runs its own loop: before ours
    return settings


@user_app.command("export")
def export(
    user_id: Annotated[int, typer.Argument(help="Id pengguna (lihat `official list` / dosir)")],
    output: Annotated[Path | None, typer.Option(help="Berkas zip keluaran")] = None,
) -> None:
    """Semua data seorang pengguna: data.json dan berkas-berkasnya, dalam satu zip."""
    settings = _prepare()
    path = output or Path(f"./data-pengguna-{user_id}.zip")

    async def main() -> int:
        from storage.archive import Archive
        from storage.db import create_engine, reading, session_factory
        from storage.models import User
        from workflow.personal_data import export_zip, write_private

        engine = create_engine(settings.database_url)
        try:
            async with reading(session_factory(engine)) as session:
                user = await session.get(User, user_id)
                if user is None:
                    return 1
                write_private(path, await export_zip(session, Archive(settings.files_dir), user))
                return 0
        finally:
            await engine.dispose()

    if asyncio.run(main()):
        typer.echo(f"Pengguna {user_id} tidak ditemukan.", err=True)
        raise typer.Exit(1)
    typer.echo(str(path))


@user_app.command("erase")
def erase(
    user_id: Annotated[int, typer.Argument(help="Id pengguna")],
    force: Annotated[bool, typer.Option(help="Akhiri permohonan yang masih berjalan")] = False,
    reason: Annotated[str, typer.Option(help="Alasan (wajib dengan --force)")] = "",
) -> None:
    """Hapus data pribadi dan berkas; riwayat tetap ada tanpa identitas."""
    settings = _prepare()

    async def main() -> str:
        from storage.archive import Archive
        from storage.db import create_engine, session_factory, transaction
        from storage.models import User
        from workflow.personal_data import erase as erase_user

        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                user = await session.get(User, user_id)
                if user is None:
                    return f"Pengguna {user_id} tidak ditemukan."
                done = await erase_user(
                    session,
                    Archive(settings.files_dir),
                    user,
                    datetime.now(UTC),
                    force_reason=reason if force else None,
                )
                ended = ", ".join(f"#{c}" for c in done.cases_ended)
                return (
                    f"Data pengguna {user_id} dihapus: {done.documents} berkas "
                    f"({done.files_deleted} dari arsip), {done.cases_kept} permohonan tetap "
                    f"tercatat tanpa identitas" + (f"; diakhiri: {ended}" if ended else "") + "."
                )
        finally:
            await engine.dispose()

    from workflow.errors import WorkflowError

    try:
        message = asyncio.run(main())
    except WorkflowError as refusal:
        typer.echo(refusal.message, err=True)
        raise typer.Exit(1) from None
    if "tidak ditemukan" in message:
        typer.echo(message, err=True)
        raise typer.Exit(1)
    typer.echo(message)
