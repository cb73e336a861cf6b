"""WhatsApp settings, read from the environment (docs/whatsapp.md says where each comes from).

Read only when BOT_PLATFORMS names whatsapp (bot/config.py's ``Settings.whatsapp()``), so a
Telegram-only bot needs none of these.
"""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .limits import GRAPH_VERSION


class WhatsAppSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WHATSAPP_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

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
