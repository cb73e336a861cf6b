"""`mitramedia`: run the bot, the demo, migrations, invites, and the SOP tools."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_export import archive_app, export_app
from bot.cli_media_center import media_center_app
from bot.cli_official import official_app
from bot.cli_outlet import outlet_app
from bot.cli_playground import playground, run_playground
from bot.cli_report import report_app
from bot.cli_sop import sop_app
from bot.cli_user import user_app
from bot.config import Settings
from workflow.wording import phrase

# Locals in tracebacks could carry the bot token: never show them.
app = typer.Typer(
    help="Mitra Media: bot kemitraan media Diskominfo.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Basis data.", no_args_is_help=True)
app.add_typer(sop_app, name="sop")
app.add_typer(db_app, name="db")
app.add_typer(report_app, name="report")
app.add_typer(official_app, name="official")
app.add_typer(user_app, name="user")
app.add_typer(export_app, name="export")
app.add_typer(archive_app, name="archive")
app.add_typer(media_center_app, name="media-center")
app.add_typer(outlet_app, name="outlet")
app.command()(playground)


def _require_sop(name: str) -> None:
    """An unknown SOP name (a typo in --sop or SOP=) ends with the known names, not a traceback."""
    from workflow.loader import SopNotFound, resolve_sop

    try:
        resolve_sop(name)
    except SopNotFound as missing:
        typer.echo(str(missing), err=True)
        raise typer.Exit(1) from None


def _settings() -> Settings:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # A line per migration step, or per layout step of every PDF, is noise to an operator.
    for noisy in ("alembic", "weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return settings


@app.command()
def run(
    webhook: Annotated[
        str,
        typer.Option(
            help="URL publik webhook (mis. https://host/path); tanpa ini: long polling",
            show_default=False,
        ),
    ] = "",
) -> None:
    """Jalankan bot (long polling). Tanpa BOT_TOKEN: taman uji di peramban (Telegram tiruan)."""
    settings = _settings()
    if webhook:
        settings = settings.model_copy(update={"webhook_url": webhook})
    try:
        telegram = "telegram" in settings.platforms()
    except ValueError as unknown:
        typer.echo(str(unknown), err=True)
        raise typer.Exit(2) from None
    if telegram and settings.bot_token is None:
        typer.echo("BOT_TOKEN belum diatur: menjalankan taman uji (server Telegram tiruan).\n")
        run_playground(settings)
        return
    from bot.factory import build_product
    from bot.runtime import MASK, TOKEN_FILTER, protect_token, run_polling

    if telegram:
        protect_token(settings.token())
        _require_framework(settings.bot_framework)

    async def main() -> None:
        product = await build_product(settings)
        try:
            await run_polling(settings, product.app, with_scheduler=product)
        finally:
            await product.close()

    try:
        asyncio.run(main())
    except Exception as error:  # an operator needs one clear line, not a traceback
        message = f"{type(error).__name__}: {error}"
        for secret in TOKEN_FILTER.tokens:  # the bot token, and WhatsApp's secrets once read
            message = message.replace(secret, MASK)
        hint = ""
        if "Unauthorized" in message or "Unauthorized" in type(error).__name__:
            hint = " Periksa BOT_TOKEN (dari @BotFather)."
        elif "connect" in message.lower() or "ClientConnector" in message:
            hint = f" Periksa TELEGRAM_API_BASE ({settings.telegram_api_base}) dan jaringan."
        typer.echo(f"Gagal menjalankan bot: {message}.{hint}", err=True)
        raise typer.Exit(1) from None


def _require_framework(framework: str) -> None:
    """A framework that is not installed: one line naming the extra, not a traceback."""
    from bot.runtime import FrameworkMissing, adapter_module

    try:
        adapter_module(framework)
    except FrameworkMissing as missing:
        typer.echo(str(missing), err=True)
        raise typer.Exit(1) from None


@app.command()
def demo(
    framework: Annotated[str, typer.Option(help="aiogram atau ptb")] = "",
    sop: Annotated[str, typer.Option(help="SOP yang dimainkan (bawaan: SOP dari pengaturan)")] = "",
    database_url: Annotated[
        str,
        typer.Option(
            help="Basis data demo (bawaan: ./data/demo/, tidak pernah DATABASE_URL)",
            show_default=False,
        ),
    ] = "",
    files_dir: Annotated[
        Path | None,
        typer.Option(help="Folder berkas demo (bawaan: ./data/demo/files)", show_default=False),
    ] = None,
) -> None:
    """Mainkan satu permohonan lengkap dengan pengguna tiruan dan cetak percakapannya."""
    settings = _settings()
    from bot.demo import demo_settings, run_demo

    settings = demo_settings(settings, database_url=database_url, files_dir=files_dir)
    if sop:  # like `playground --sop`: try the other office's SOP without editing .env
        settings = settings.model_copy(update={"sop": sop})
    _require_sop(settings.sop)
    framework = framework or settings.bot_framework
    _require_framework(framework)
    transcript = asyncio.run(run_demo(settings, framework))
    typer.echo(transcript)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Buat/perbarui skema basis data (Alembic) pada DATABASE_URL."""
    settings = _settings()
    from storage import crypto
    from storage.migrate import upgrade

    crypto.load(settings.files_dir.parent)  # a migration encrypts existing NIKs with it
    upgrade(settings.database_url)
    typer.echo("Skema basis data mutakhir.")


@app.command()
def invite(
    role: Annotated[str, typer.Option(help="Kunci peran pada SOP, mis. kabid")],
    name: Annotated[str, typer.Option(help="Nama pejabat")],
    username: Annotated[str, typer.Option(help="Username bot (tanpa @), bila tanpa token")] = "",
    phone: Annotated[
        str, typer.Option(help="Ikat ke nomor telepon ini: harus dibagikan untuk bergabung")
    ] = "",
) -> None:
    """Buat tautan undangan sekali pakai untuk seorang petugas."""
    settings = _settings()
    from workflow.loader import load_spec, resolve_sop

    spec = load_spec(resolve_sop(settings.sop))
    officials = {k: r for k, r in spec.roles.items() if not r.applicant}
    if role not in officials:
        known = ", ".join(f"{k} ({r.name})" for k, r in officials.items())
        typer.echo(
            f"Peran '{role}' tidak dikenal pada SOP {spec.id}. Peran yang ada: {known}", err=True
        )
        raise typer.Exit(1)
    if phone:
        from handlers.parsing import InputError
        from handlers.parsing import phone as parse_phone

        try:
            phone = parse_phone(phone)
        except InputError as error:
            typer.echo(error.message, err=True)
            raise typer.Exit(1) from None
    code, expires = asyncio.run(_make_invite(settings, role, name, phone or None))
    bot_name = username or _bot_username(settings) or "<username_bot>"
    typer.echo(f"Undangan untuk {name} sebagai {officials[role].name}:")
    typer.echo(f"  https://t.me/{bot_name}?start={code}")
    typer.echo(f"Berlaku sampai {expires:%Y-%m-%d %H:%M} UTC, sekali pakai.")


@app.command()
def link(
    username: Annotated[str, typer.Option(help="Username bot (tanpa @), bila tanpa token")] = "",
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder poster (PNG dan PDF)")
    ] = Path("."),
) -> None:
    """Tautan publik bot untuk wartawan, dan poster ber-QR untuk meja layanan."""
    settings = _settings()
    from workflow import poster
    from workflow.loader import load_spec, resolve_sop

    spec = load_spec(resolve_sop(settings.sop))
    bot_name = username or _bot_username(settings)
    if not bot_name:  # a poster with a placeholder would be printed and hung up wrong
        typer.echo(phrase("cli", "username_unknown"), err=True)
        raise typer.Exit(1)
    url = f"https://t.me/{bot_name}"
    png, pdf = poster.write(url, spec.office.name, spec.office.unit, output, f"poster-{bot_name}")
    typer.echo(phrase("cli", "link_url", url=url))
    typer.echo(phrase("cli", "link_png", path=png))
    typer.echo(phrase("cli", "link_pdf", path=pdf))


async def _make_invite(
    settings: Settings, role: str, name: str, phone: str | None = None
) -> tuple[str, datetime]:
    from bot.factory import migrate
    from handlers.officials import create_invite
    from storage import crypto
    from storage.db import create_engine, session_factory, transaction

    crypto.load(settings.files_dir.parent)
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            made = await create_invite(
                session, role, name, datetime.now(UTC), settings.invite_ttl_hours, phone
            )
            return made.code, made.expires_at
    finally:
        await engine.dispose()


def _bot_username(settings: Settings) -> str | None:
    """getMe through the configured adapter; the link is still useful with a placeholder."""
    from bot.runtime import FrameworkMissing, bot_username

    try:
        return asyncio.run(bot_username(settings))
    except FrameworkMissing as missing:
        typer.echo(str(missing), err=True)
        return None


if __name__ == "__main__":
    app()
