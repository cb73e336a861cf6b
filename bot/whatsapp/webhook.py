"""The WhatsApp webhook: Meta's verify handshake, signed POSTs, each message decoded on its own.

- ``GET <path>?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...``: Meta checks the URL
  when the office saves it in the app dashboard; we answer the challenge only with the right
  ``WHATSAPP_VERIFY_TOKEN``, else 403.
- ``POST <path>``: Meta signs every body with the app secret (``X-Hub-Signature-256:
  sha256=<hex HMAC-SHA256 of the raw body>``). A missing or wrong signature is refused with 403
  (compared in constant time, logged without the body); a signed body is acknowledged with 200
  at once, even when nothing in it can be read: Meta resends unacknowledged webhooks for days,
  and a body that cannot be read now never will be. Its events go to ``submit``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable

from aiohttp import web

from workflow.wording import phrase

from .inbound import Event, decode

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_BODY = 3 * 1024 * 1024  # webhooks carry media ids, never the media itself


def signature(app_secret: str, body: bytes) -> str:
    """The header value Meta sends with ``body``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed(app_secret: str, body: bytes, header: str | None) -> bool:
    if not header or not app_secret:
        return False
    return hmac.compare_digest(header.strip().encode(), signature(app_secret, body).encode())


class WhatsAppWebhook:
    def __init__(
        self,
        verify_token: str,
        app_secret: str,
        submit: Callable[[Event], None],
        path: str = "/whatsapp",
    ) -> None:
        if not verify_token or not app_secret:
            raise ValueError(phrase("cli", "whatsapp_webhook_secrets"))
        self.verify_token = verify_token
        self.app_secret = app_secret
        self.submit = submit
        self.path = path
        self.refused = 0  # POSTs without a valid signature, for health and tests

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        self.add_routes(app)
        return app

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(self.path, self._verify)
        app.router.add_post(self.path, self._receive)

    async def _verify(self, request: web.Request) -> web.Response:
        query = request.query
        token = query.get("hub.verify_token", "")
        challenge = query.get("hub.challenge", "")
        if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            token.encode(), self.verify_token.encode()
        ):
            log.warning("WhatsApp webhook verification with a wrong token: 403")
            return web.Response(status=403, text="Forbidden")
        return web.Response(text=challenge)

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signed(self.app_secret, body, request.headers.get(SIGNATURE_HEADER)):
            self.refused += 1
            log.warning(
                "WhatsApp webhook POST from %s without a valid signature: 403 (%d so far)",
                request.remote,
                self.refused,
            )
            return web.Response(status=403, text="Forbidden")
        try:
            payload = json.loads(body)
        except ValueError:
            log.warning("signed WhatsApp webhook body is not JSON: acknowledged, ignored")
            return web.Response(text="OK")
        for event in decode(payload):
            self.submit(event)
        return web.Response(text="OK")
