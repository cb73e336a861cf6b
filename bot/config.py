"""Configuration from the environment / .env (pydantic-settings), loaded once and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from bot.whatsapp.config import WhatsAppSettings

TELEGRAM_API = "https://api.telegram.org"
PLATFORMS = ("telegram", "whatsapp")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = Field(default=None, description="Token from @BotFather")
    # The apps the bot talks on: "telegram", "whatsapp" or "telegram,whatsapp" (one process);
    # WhatsApp's own settings are WHATSAPP_* (bot/whatsapp/config.py, docs/whatsapp.md).
    bot_platforms: str = "telegram"
    bot_framework: Literal["aiogram", "ptb"] = "aiogram"
    telegram_api_base: str = TELEGRAM_API
    database_url: str = "sqlite+aiosqlite:///./data/mitramedia.db"
    files_dir: Path = Path("./data/files")
    sop: str = "sanggau-hubungan-media"
    timezone: str = "Asia/Jakarta"
    invite_ttl_hours: int = 72
    # A question waiting for an official's typed text (reason, note, file) lapses after this.
    prompt_ttl_minutes: int = 30
    max_upload_mb: int = 10
    # Everything one journalist may keep uploaded (press card, letters, screenshots), so one
    # account cannot fill the office's disk; officials have no quota.
    upload_quota_mb: int = 100
    # The head of office's PKCS#12 (optional): the signed MoU/PKS then carries a PAdES signature.
    signing_p12: Path | None = None
    signing_p12_password: SecretStr | None = None
    sweep_seconds: int = 30
    # Telegram paces one chat to about a message a second after a short burst.
    pace_burst: int = 3
    pace_interval: float = 1.0
    # Telegram's overall limit for one bot (messages a second); bench/ raises it to measure the
    # bot's own cost on a fake without limits.
    send_per_second: int = 30
    # One Bot API call of the outbox sender; a send that takes longer counts as failed and is
    # retried later (a hung connection must not hold a chat's queue).
    send_timeout_seconds: float = 20.0
    # Worker processes that draw PDFs, drafts and workbooks off the bot's GIL (0: in a thread of
    # the bot, as tests do); each holds WeasyPrint and its fonts, about 120 MB.
    draw_workers: int = Field(default=1, ge=0)
    log_level: str = "INFO"
    # Webhook mode (`mitramedia run --webhook URL`): Telegram POSTs updates to WEBHOOK_URL,
    # which a reverse proxy forwards to WEBHOOK_LISTEN; the secret is new on every start
    # unless set.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1:8081"
    webhook_secret: SecretStr | None = None

    def platforms(self) -> tuple[str, ...]:
        names = tuple(dict.fromkeys(p.strip().lower() for p in self.bot_platforms.split(",")))
        names = tuple(n for n in names if n)
        unknown = [n for n in names if n not in PLATFORMS]
        if unknown or not names:
            from workflow.wording import phrase

            raise ValueError(phrase("cli", "platforms_unknown", given=", ".join(unknown)))
        return names

    def whatsapp(self) -> WhatsAppSettings:
        """The WHATSAPP_* settings (read now: only a bot that uses WhatsApp needs them)."""
        from pydantic import ValidationError

        from bot.whatsapp.config import WhatsAppSettings

        try:
            return WhatsAppSettings()  # type: ignore[call-arg]
        except ValidationError as invalid:
            # Named, never shown: pydantic's message quotes the input, the token among it.
            names = sorted({f"WHATSAPP_{str(e['loc'][0]).upper()}" for e in invalid.errors()})
            raise ValueError(f"BOT_PLATFORMS memuat whatsapp: atur {', '.join(names)}") from None

    def token(self) -> str:
        if self.bot_token is None:
            raise RuntimeError("BOT_TOKEN belum diatur")
        return self.bot_token.get_secret_value()
