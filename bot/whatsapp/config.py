"""WhatsApp settings, read from the environment (docs/whatsapp.md says where each comes from).

Kept apart from bot/config.py until the bot is wired to WhatsApp (issue 13's next step), so
this groundwork changes nothing of the Telegram bot's configuration.
"""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .limits import GRAPH_VERSION


class WhatsAppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WHATSAPP_", extra="ignore")

    phone_id: str  # the Phone number ID of the app's WhatsApp number (not the number itself)
    token: SecretStr  # a System User's permanent access token
    app_secret: SecretStr  # App settings > Basic > App secret: signs every webhook body
    verify_token: SecretStr  # chosen by the office; Meta sends it back on the handshake
    graph_url: str = "https://graph.facebook.com"  # the fake's base_url in tests
    api_version: str = GRAPH_VERSION
    webhook_path: str = "/whatsapp"
