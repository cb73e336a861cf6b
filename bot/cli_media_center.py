"""`mitramedia media-center set|show|unset|link`: the office's Media Center Telegram group."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer

from bot.config import Settings
from workflow.wording import phrase


def _said(name: str, **data: object) -> str:
    return phrase("cli", name, **data)


media_center_app = typer.Typer(
    help="Grup Telegram Media Center: catatan setiap kerja sama.", no_args_is_help=True
)
T = TypeVar("T")


def _run(work: Callable[[Any, datetime], Awaitable[T]]) -> T:
    from storage.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url)  # Alembic runs its own loop: before ours

    async def main() -> T:
        from storage.db import create_engine, session_factory, transaction

        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                return await work(session, datetime.now(UTC))
        finally:
            await engine.dispose()

    return asyncio.run(main())


@media_center_app.command("set")
def set_group(
    chat_id: Annotated[int, typer.Argument(help="Id grup Telegram (negatif, mis. -1001234567890)")],
) -> None:
    """Jadikan grup ini Media Center; bot yang berjalan mengirim pesan pembuka ke sana."""
    if chat_id >= 0:
        typer.echo(_said("group_id_negative"), err=True)
        raise typer.Exit(1)

    async def work(session: Any, now: datetime) -> None:
        from handlers.outbox import enqueue
        from handlers.render import render
        from handlers.replies import SendMessage
        from workflow import media_center

        await media_center.set_group(session, chat_id, now, by="cli")
        await enqueue(
            session, [SendMessage(chat_id, render("media_center_bound", bound=True))], now
        )

    _run(work)
    typer.echo(_said("media_center_set", chat_id=chat_id))


@media_center_app.command("show")
def show() -> None:
    """Grup Media Center yang terpasang."""

    async def work(session: Any, now: datetime) -> dict[str, Any] | None:
        from workflow import media_center

        return await media_center.current(session)

    group = _run(work)
    if group is None:
        typer.echo(_said("media_center_none"))
        return
    typer.echo(
        _said("media_center_shown", chat_id=group["chat_id"], since=group["since"], by=group["by"])
    )


@media_center_app.command("unset")
def unset() -> None:
    """Lepas grup Media Center: tidak ada catatan lagi yang dikirim."""

    async def work(session: Any, now: datetime) -> bool:
        from workflow import media_center

        return await media_center.unset(session)

    typer.echo(_said("media_center_unset", was=_run(work)))


@media_center_app.command("link")
def link(
    username: Annotated[str, typer.Option(help="Username bot (tanpa @), bila tanpa token")] = "",
) -> None:
    """Tautan sekali pakai: tambahkan bot ke grup lewat tautan ini, grup itu jadi Media Center."""

    async def work(session: Any, now: datetime) -> str:
        from workflow import media_center

        return await media_center.new_code(session, now)

    code = _run(work)
    name = username
    if not name:
        from bot.cli import _bot_username

        name = _bot_username(Settings()) or "<username_bot>"
    typer.echo(f"  https://t.me/{name}?startgroup={code}")
    typer.echo(_said("media_center_link_valid"))
