"""WhatsApp settings, read from the environment (docs/whatsapp.md says where each comes from).

Read only when BOT_PLATFORMS names whatsapp (bot/config.py's ``Settings.whatsapp()``), so a
Telegram-only bot needs none of these.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflow.wording import phrase

from .limits import GRAPH_VERSION


class WhatsAppNumber(BaseSettings):
    """The office's WhatsApp number alone: `mitramedia link` and `invite` print wa.me links
    with it, and the office may print its poster before it holds Meta's tokens."""

    model_config = SettingsConfigDict(
        env_prefix="WHATSAPP_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # The number people write to, in international form (6281..., a leading 0 or + is taken);
    # not the Phone number ID Meta gives it. Empty: no wa.me links.
    number: str = ""

    @field_validator("number")
    @classmethod
    def _digits(cls, value: str) -> str:
        digits = re.sub(r"[\s().+-]", "", value)
        if digits.startswith("0"):  # 0812...: a number written as Indonesians dial it
            digits = "62" + digits[1:]
        if digits and not re.fullmatch(r"[1-9]\d{7,14}", digits):
            raise ValueError(phrase("cli", "whatsapp_number_bad"))
        return digits

    def start_link(self, code: str | None = None) -> str | None:
        """wa.me/<number>?text=daftar[ CODE]: opens the chat with the start word typed."""
        from handlers.app import START_WORD  # the word the core takes for /start

        if not self.number:
            return None
        text = f"{START_WORD} {code}" if code else START_WORD
        return f"https://wa.me/{self.number}?text={quote(text)}"


class WhatsAppSettings(WhatsAppNumber):
    phone_id: str  # the Phone number ID of the app's WhatsApp number (not the number itself)
    token: SecretStr  # a System User's permanent access token
    app_secret: SecretStr  # App settings > Basic > App secret: signs every webhook body
    verify_token: SecretStr  # chosen by the office; Meta sends it back on the handshake
    graph_url: str = "https://graph.facebook.com"  # the fake's base_url in tests
    api_version: str = GRAPH_VERSION
    webhook_path: str = "/whatsapp"
    # Where the webhook server listens; the reverse proxy forwards the public URL's
    # WHATSAPP_WEBHOOK_PATH here (docs/whatsapp.md).
    listen: str = "127.0.0.1:8082"

    def secrets(self) -> tuple[str, ...]:
        """What must never reach a log."""
        return tuple(
            value.get_secret_value()
            for value in (self.token, self.app_secret, self.verify_token)
            if value.get_secret_value()
        )
