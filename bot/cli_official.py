"""`mitramedia official`: list officials, take a role away, list and cancel invites."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer

from bot.config import Settings

official_app = typer.Typer(
    help="Petugas: daftar, cabut peran, undangan, Plh/Plt.", no_args_is_help=True
)
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


@official_app.command("delegate")
def delegate(
    role: Annotated[str, typer.Option(help="Peran yang diwakilkan, mis. kadis")],
    to: Annotated[str, typer.Option("--to", help="Nama atau id petugas Plh/Plt")],
    start: Annotated[str, typer.Option("--from", help="Hari pertama (2026-12-07 / 07-12-2026)")],
    until: Annotated[str, typer.Option(help="Hari terakhir (ikut dihitung)")],
    holder: Annotated[str, typer.Option("--for", help="Pejabat yang diwakili (opsional)")] = "",
) -> None:
    """Tunjuk Plh/Plt: selama masa itu ia menerima dan menangani tugas peran tersebut."""
    from handlers import parsing
    from handlers.deputies import appointed
    from handlers.staff import find_official
    from workflow import delegation

    try:
        first, last = parsing.calendar_date(start), parsing.calendar_date(until)
    except parsing.InputError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(2) from None

    async def work(session, spec, now, enqueue):  # type: ignore[no-untyped-def]
        deputy = await find_official(session, to)
        held_by = await find_official(session, holder) if holder else None
        starts, ends = delegation.period(spec, first, last)
        item = await delegation.create(
            session,
            spec,
            role=role,
            deputy=deputy,
            starts_at=starts,
            ends_at=ends,
            now=now,
            holder=held_by,
        )
        await enqueue(session, await appointed(session, spec, item, now), now)
        return item.id, deputy.name, spec.role_title(role, True), starts, ends

    ident, name, title, starts, ends = _run(work)
    typer.echo(
        f"Penunjukan #{ident}: {name} sebagai {title}, {_when(starts)} s.d. {_when(ends)} UTC."
    )


@official_app.command("delegations")
def delegations() -> None:
    """Plh/Plt: yang sedang dan akan bertugas, lalu sepuluh terakhir yang sudah selesai."""
    from workflow import delegation

    async def work(session, spec, now, enqueue):  # type: ignore[no-untyped-def]
        from storage.models import User

        out = []
        for item in await delegation.listed(session, now):
            deputy = await session.get(User, item.deputy_id)
            holder = await session.get(User, item.holder_id) if item.holder_id else None
            if delegation.is_active(item, now):
                state = "bertugas"
            elif item.starts_at > now:
                state = "akan datang"
            else:
                state = "berakhir"
            out.append(
                f"{item.id:>4}  {deputy.name if deputy else '-'} — "
                f"{spec.role_title(item.role, True)}"
                f"{f' (mewakili {holder.name})' if holder else ''} · "
                f"{_when(item.starts_at)} s.d. {_when(delegation.end_of(item))} UTC · {state}"
            )
        return out

    lines = _run(work)
    if not lines:
        typer.echo("Belum ada Plh/Plt.")
    for line in lines:
        typer.echo(line)


@official_app.command("end-delegation")
def end_delegation(
    ident: Annotated[int, typer.Argument(help="Id penunjukan (lihat `official delegations`)")],
) -> None:
    """Akhiri penunjukan Plh/Plt lebih awal: tombol tugasnya tidak berlaku lagi."""
    from workflow import delegation

    async def work(session, spec, now, enqueue):  # type: ignore[no-untyped-def]
        item = await delegation.end(session, ident, now)
        return item.id

    typer.echo(f"Penunjukan #{_run(work)} diakhiri.")
