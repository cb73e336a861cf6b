"""Webhook mode: Telegram POSTs each update to us; the same `Feeder` as polling handles it.

A request is acknowledged at once (Telegram waits for the answer before sending that chat's
next update, and resends on a timeout) and handled in the background, in order per user. An
update that cannot be read is acknowledged too, so Telegram does not resend it forever.
Requests without the secret Telegram was given get 401, logged without their body.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Health = Callable[[], Awaitable[dict[str, Any]]]


async def always_ok() -> dict[str, Any]:
    return {"ok": True}


def new_secret() -> str:
    return secrets.token_urlsafe(32)  # [A-Za-z0-9_-], as setWebhook allows


@dataclass
class WebhookConfig:
    url: str  # the public URL given to Telegram
    listen_host: str = "127.0.0.1"
    listen_port: int = 8081
    secret: str = field(default_factory=new_secret)
    health: Health = always_ok

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


def parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"WEBHOOK_LISTEN harus berbentuk host:port, bukan {value!r}")
    return host.strip("[]"), int(port)


def webhook_from_settings(settings: Settings, health: Health | None = None) -> WebhookConfig:
    if not settings.webhook_url:
        raise ValueError("WEBHOOK_URL belum diatur")
    host, port = parse_listen(settings.webhook_listen)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    if not secret:
        log.warning(
            "WEBHOOK_SECRET is not set: a new secret is made for this start; a second process "
            "behind the same URL would answer Telegram with 401 (see docs/deploy.md)"
        )
    return WebhookConfig(
        settings.webhook_url, host, port, secret or new_secret(), health or always_ok
    )


class WebhookServer:
    def __init__(self, config: WebhookConfig, submit: Callable[[dict[str, Any]], None]) -> None:
        self._config = config
        self._submit = submit
        self._runner: web.AppRunner | None = None
        self.rejected = 0

    def application(self) -> web.Application:
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_post(self._config.path, self._on_update)
        app.router.add_get("/healthz", self._on_health)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._config.listen_host, self._config.listen_port)
        await site.start()
        log.info(
            "webhook listening on %s:%d%s",
            self._config.listen_host,
            self._config.listen_port,
            self._config.path,
        )

    async def stop(self) -> None:
        """Stops accepting requests; updates already acknowledged keep running (see Feeder)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _on_update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._config.secret.encode()):
            self.rejected += 1
            log.warning(
                "webhook request from %s without the right secret token: 401 (%d so far)",
                request.remote,
                self.rejected,
            )
            return web.json_response({"ok": False}, status=401)
        try:
            raw = json.loads(await request.read())
        except ValueError:
            log.warning("webhook request body is not JSON: 400")
            return web.json_response({"ok": False}, status=400)
        if not isinstance(raw, dict):
            log.warning("webhook request body is not a JSON object: 400")
            return web.json_response({"ok": False}, status=400)
        self._submit(raw)  # decoded and handled in the background; unreadable ones too
        return web.json_response({"ok": True})

    async def _on_health(self, _request: web.Request) -> web.Response:
        try:
            report = dict(await self._config.health())
        except Exception as exc:
            report = {"ok": False, "error": type(exc).__name__}
        return web.json_response(report, status=200 if report.get("ok") else 503)
