"""`mitramedia official`: list officials, take a role away, list and cancel invites."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer

from bot.config import Settings

official_app = typer.Typer(help="Petugas: daftar, cabut peran, undangan.", no_args_is_help=True)
T = TypeVar("T")


def _run(work: Callable[..., Awaitable[T]]) -> T:
    from storage import crypto
    from storage.migrate import upgrade

    settings = Settings()
    crypto.load(settings.files_dir.parent)
    upgrade(settings.database_url)  # Alembic runs its own loop: before ours

    async def main() -> T:
        from handlers.outbox import enqueue
        from storage.db import create_engine, session_factory, transaction
        from workflow.loader import load_spec, resolve_sop

        spec = load_spec(resolve_sop(settings.sop))
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                return await work(session, spec, datetime.now(UTC), enqueue)
        finally:
            await engine.dispose()

    from workflow.errors import WorkflowError

    try:
        return asyncio.run(main())
    except WorkflowError as refusal:
        typer.echo(refusal.message, err=True)
        raise typer.Exit(1) from None


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


@official_app.command("list")
def list_officials() -> None:
    """Petugas: nama, peran, username Telegram, sejak, terakhir aktif (UTC)."""
    from handlers.staff import officials

    async def work(session, spec, now, enqueue):  # type: ignore[no-untyped-def]
        return spec, await officials(session)

    spec, rows = _run(work)
    typer.echo(f"{'ID':>4}  {'NAMA':<28} {'PERAN':<30} {'USERNAME':<16} {'SEJAK':<16} AKTIF")
    for r in rows:
        roles = ", ".join(spec.role_name(x) for x in r.roles)
        user = f"@{r.username}" if r.username else "-"
        typer.echo(
            f"{r.id:>4}  {r.name[:28]:<28} {roles[:30]:<30} {user[:16]:<16} "
            f"{_when(r.since):<16} {_when(r.last_active)}"
        )


@official_app.command("revoke")
def revoke_official(
    who: Annotated[str, typer.Argument(help="Nama atau id petugas")],
    role: Annotated[str, typer.Option(help="Hanya peran ini (default: semua perannya)")] = "",
) -> None:
    """Cabut peran seorang petugas; tugas terbukanya tetap pada peran, pemegang lain diberi tahu."""
    from handlers.staff import find_official, revoke

    async def work(session, spec, now, enqueue):  # type: ignore[no-untyped-def]
        user = await find_official(session, who)
        taken, replies = await revoke(session, spec, user, role or None, now)
        await enqueue(session, replies, now)  # the running bot delivers them
        return user.name, [spec.role_name(r) for r in taken]

    name, taken = _run(work)
    typer.echo(f"Peran {', '.join(taken)} dicabut dari {name}.")


@official_app.command("invites")
def list_invites() -> None:
    """Undangan yang belum dipakai, belum dibatalkan dan belum kedaluwarsa."""
    from handlers.staff import pending_invites

    async def work(session, spec, now, enqueue):  # type: ignore[no-untyped-def]
        return spec, await pending_invites(session, now)

    spec, invites = _run(work)
    if not invites:
        typer.echo("Tidak ada undangan yang menunggu.")
    for i in invites:
        bound = f" · terikat {i.phone[:5]}…{i.phone[-2:]}" if i.phone else ""
        typer.echo(
            f"{i.id:>4}  {i.code}  {i.name} — {spec.role_name(i.role)}"
            f" · s.d. {_when(i.expires_at)} UTC{bound}"
        )


@official_app.command("cancel-invite")
def cancel(
    code: Annotated[str, typer.Argument(help="Kode undangan (inv_...) atau id-nya")],
) -> None:
    """Batalkan undangan: tautannya tidak dapat dipakai lagi."""
    from handlers.staff import cancel_invite

    async def work(session, spec, now, enqueue):  # type: ignore[no-untyped-def]
        invite = await cancel_invite(session, code, now)
        return invite.name

    typer.echo(f"Undangan untuk {_run(work)} dibatalkan.")
