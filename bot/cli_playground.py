"""`mitramedia playground`: the whole product in a browser, without a Telegram token."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Annotated

import typer

from bot.config import Settings
from workflow.wording import phrase


def playground(
    sop: Annotated[str, typer.Option(help="SOP awal (bawaan: SOP dari pengaturan)")] = "",
    port: Annotated[int, typer.Option(help="Port lokal halaman")] = 8080,
    host: Annotated[str, typer.Option(help="Alamat dengar")] = "127.0.0.1",
    reset: Annotated[
        bool, typer.Option("--reset", help="Mulai dari awal: hapus ./data/playground/")
    ] = False,
    framework: Annotated[str, typer.Option(help="aiogram atau ptb")] = "",
) -> None:
    """Taman uji di peramban: Telegram dan WhatsApp tiruan, bot sungguhan, satu orang per peran."""
    from bot.cli import _settings

    settings = _settings()
    run_playground(settings, sop=sop, port=port, host=host, reset=reset, framework=framework)


def run_playground(
    settings: Settings,
    *,
    sop: str = "",
    port: int = 8080,
    host: str = "127.0.0.1",
    reset: bool = False,
    framework: str = "",
) -> None:
    from bot.cli import _require_framework, _require_sop
    from bot.playground.world import PLAYGROUND_DIR
    from bot.playground.world import reset as reset_data

    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per sweep is noise
    if framework:
        settings = settings.model_copy(update={"bot_framework": framework})
    _require_framework(settings.bot_framework)
    _require_sop(sop or settings.sop)
    if reset:
        reset_data()
        typer.echo(f"Taman uji dimulai dari awal ({PLAYGROUND_DIR}/ dihapus).")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(settings, sop or settings.sop, host, port))


async def _serve(settings: Settings, sop: str, host: str, port: int) -> None:
    typer.echo(phrase("cli", "playground_starting"))
    from bot.playground.app import serve

    runner, url, _playground = await serve(settings, sop, host=host, port=port)
    typer.echo(f"Taman uji Mitra Media siap: {url}  (Ctrl-C untuk berhenti)")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        typer.echo("Taman uji berhenti.")
        await runner.cleanup()
