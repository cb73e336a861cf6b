"""A strict in-process stand-in for the WhatsApp Cloud API (Meta's Graph API), plus its users.

The bot's client talks to it over HTTP as it would to graph.facebook.com; whatever the real API
refuses is refused here, with its HTTP status and its error JSON
(``{"error": {"message", "type", "code", "error_subcode", "error_data", "fbtrace_id"}}``):

- a bad or missing token (401, code 190); an unknown phone number id (400, code 100/33);
- a free-form message to someone outside their 24-hour window (code 131047), the window
  opening each time the person writes;
- interactive messages over WhatsApp's limits: a 4th reply button, a title over 20, a list over
  10 rows, a row title over 24, bodies, headers, footers, ids, descriptions (code 131009 or
  100, as the real API answers);
- media over the size limits or of a type WhatsApp does not take (131053, 100);
- unknown templates (132001) and wrong parameter counts (132000).

Where the real API reports an error later, in a ``statuses`` webhook (131047, 131026), the fake
answers the request itself: the refusal is then seen by the test that caused it. Its users
(:class:`bot.whatsapp.fake_user.WaUser`) write, press reply buttons, pick list rows and send
files; each action goes to the bot's webhook as Meta sends it, signed with the app secret.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientTimeout, web

from . import limits
from .fake_checks import (
    GraphError,
    Received,
    StoredMedia,
    check_interactive,
    check_template,
    check_text,
    param,
    string_field,
)
from .fake_user import WaUser
from .message_templates import approved
from .webhook import SIGNATURE_HEADER, signature

__all__ = ["Account", "FakeWhatsApp", "GraphError", "Received", "Refusal", "StoredMedia", "WaUser"]

log = logging.getLogger(__name__)

# Failures the real API reports after accepting the request (see ``late_failures``).
LATE_FAILURES = frozenset({131047, 131026})
VERSION_RE = re.compile(r"^v\d+\.\d+$")


@dataclass
class Account:
    wa_id: str
    name: str
    last_inbound: float | None = None  # fake time the person last wrote (opens the window)
    received: list[Received] = field(default_factory=list)
    blocked: bool = False


@dataclass
class Refusal:
    """A request the fake refused, for tests that assert nothing was (``fake.refused == []``)."""

    path: str
    status: int
    code: int
    details: str | None


class FakeWhatsApp:
    """Graph API double; ``user()`` gives the harness users. Use as an async context manager."""

    def __init__(
        self,
        *,
        token: str = "EAAG-test-token",
        app_secret: str = "test-app-secret",
        phone_id: str = "106540352242922",
        display_number: str = "6281100000000",
        host: str = "127.0.0.1",
        port: int = 0,
        late_failures: bool = False,
    ) -> None:
        """``late_failures``: as the real API, accept a message outside the window (131047) or
        to someone unreachable (131026) and report the failure in a ``statuses`` webhook
        afterwards, rather than refusing the request (the default: the test sees it at once)."""
        self.late_failures = late_failures
        self.token, self.app_secret, self.phone_id = token, app_secret, phone_id
        self.display_number = display_number
        self.host, self.port = host, port
        self.media_limits = dict(limits.MEDIA_LIMITS)  # a test may lower one (100 MB is slow)
        self.templates = dict(approved())  # the templates Meta approved for this number
        self.webhook_url: str | None = None
        # Set by a test that runs the bot: True once the bot has nothing left to do (its
        # webhook acknowledges at once and works in the background), as in bot/fakeapi.
        self.idle_probe: Callable[[], bool] | None = None
        self.refused: list[Refusal] = []
        self.accounts: dict[str, Account] = {}
        self.media: dict[str, StoredMedia] = {}
        self._faults: list[GraphError] = []
        self._time_offset = 0.0
        self._ids = itertools.count(1)
        self._inflight = 0
        self._last_activity = 0.0
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._background: set[asyncio.Task[int]] = set()

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=limits.UPLOAD_MAX + 1024 * 1024)
        app.router.add_post("/{version}/{phone_id}/messages", self._messages)
        app.router.add_post("/{version}/{phone_id}/media", self._upload)
        # The download route first: "/{version}/{media_id}" would match it too.
        app.router.add_get("/download/{media_id}", self._download)
        app.router.add_get("/{version}/{media_id}", self._media_url)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeWhatsApp:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What the client uses in place of https://graph.facebook.com."""
        return f"http://{self.host}:{self.port}"

    # -- clock (the 24-hour window) -----------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() + self._time_offset

    def advance_time(self, seconds: float) -> None:
        """Pretend ``seconds`` passed (a test closes a window with ``advance_time(24*3600)``)."""
        self._time_offset += seconds

    def window_open(self, wa_id: str) -> bool:
        account = self.accounts.get(wa_id)
        if account is None or account.last_inbound is None:
            return False
        return self.now() - account.last_inbound < limits.SERVICE_WINDOW.total_seconds()

    # -- harness ------------------------------------------------------------------------------

    def user(self, wa_id: str, name: str) -> WaUser:
        account = self.accounts.setdefault(wa_id, Account(wa_id, name))
        return WaUser(self, account)

    def fail_next(self, error: GraphError, times: int = 1) -> None:
        """The next ``times`` message sends are answered with ``error`` (rate limits, outages)."""
        self._faults.extend([error] * times)

    def block(self, wa_id: str) -> None:
        """The person blocked the business number (or left WhatsApp): sends fail with 131026."""
        self.accounts[wa_id].blocked = True

    def open_window(self, wa_id: str) -> None:
        """As if the person had just written (tests of sending alone, without a webhook)."""
        self.accounts[wa_id].last_inbound = self.now()

    def new_message_id(self) -> str:
        return f"wamid.FAKE{next(self._ids):08d}{secrets.token_hex(4)}"

    # -- HTTP entry points --------------------------------------------------------------------

    def _error(self, request: web.Request, err: GraphError) -> web.Response:
        self.refused.append(Refusal(request.path, err.status, err.code, err.details))
        return web.json_response(err.body(), status=err.status)

    def _authorize(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise GraphError(
                190,
                "An active access token must be used to query information about the current user.",
                status=401,
                subcode=2500,
            )
        if header[len("Bearer ") :] != self.token:
            raise GraphError(
                190, "Invalid OAuth access token - Cannot parse access token", status=401
            )
        version = request.match_info.get("version", limits.GRAPH_VERSION)
        if not VERSION_RE.match(version):
            raise GraphError(2500, "Unknown path components", status=400, kind="OAuthException")

    def _check_phone(self, request: web.Request) -> None:
        phone_id = request.match_info["phone_id"]
        if phone_id != self.phone_id:
            raise GraphError(
                100,
                f"Unsupported post request. Object with ID '{phone_id}' does not exist, cannot "
                "be loaded due to missing permissions, or does not support this operation.",
                subcode=33,
                kind="GraphMethodException",
            )

    async def _messages(self, request: web.Request) -> web.Response:
        self._enter()
        try:
            self._authorize(request)
            self._check_phone(request)
            try:
                body = await request.json()
            except ValueError:
                raise param("the request body is not JSON") from None
            if self._faults:
                raise self._faults.pop(0)
            try:
                received, to = self.check(body)
            except GraphError as err:
                if not (self.late_failures and err.code in LATE_FAILURES):
                    raise
                return self._fail_later(request, body, err)
            account = self.accounts[to]
            account.received.append(received)
            answer: dict[str, Any] = {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": to}],
                "messages": [{"id": received.id}],
            }
            if received.kind == "template":
                answer["messages"][0]["message_status"] = "accepted"
            return web.json_response(answer)
        except GraphError as err:
            return self._error(request, err)
        finally:
            self._leave()

    def _fail_later(
        self, request: web.Request, body: dict[str, Any], err: GraphError
    ) -> web.Response:
        """Accept the message, then tell the bot it failed, as the real API does."""
        self.refused.append(Refusal(request.path, 200, err.code, err.details))
        to = str(body.get("to", "")).lstrip("+")
        failed = Received(self.new_message_id(), str(body.get("type", "text")), body, "")
        error = {"code": err.code, "title": err.message, "error_data": {"details": err.details}}
        task = asyncio.get_running_loop().create_task(
            self.post_status(failed, to, "failed", [error])
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        answer = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body.get("to"), "wa_id": to}],
            "messages": [{"id": failed.id}],
        }
        return web.json_response(answer)

    # -- validating a message -------------------------------------------------------------------

    def check(self, body: Any) -> tuple[Received, str]:
        """Validate one message payload as ``POST .../messages`` does, without HTTP (property
        tests run thousands); returns what the person would see, and their WhatsApp id.
        Raises :class:`GraphError` for what the real API refuses."""
        if not isinstance(body, dict):
            raise param("the request body must be a JSON object")
        if body.get("messaging_product") != "whatsapp":
            raise GraphError(100, "(#100) The parameter messaging_product is required.")
        to = str(body.get("to", "")).lstrip("+")
        if not to.isdigit():
            raise param("Param to must be a phone number (digits only).")
        account = self.accounts.get(to)
        if account is None or account.blocked:
            raise GraphError(
                131026,
                "Message undeliverable",
                details="The recipient is not a WhatsApp user or cannot receive this message.",
            )
        kind = body.get("type", "text")
        if kind not in ("text", "interactive", "document", "image", "template"):
            raise param(f"Param type {kind!r} is not a supported message type here.")
        content = body.get(kind)
        if not isinstance(content, dict):
            raise param(f"Param {kind} is required and must be an object.")
        received = Received(self.new_message_id(), kind, body, "")
        if kind == "text":
            check_text(content, received)
        elif kind == "interactive":
            check_interactive(content, received)
        elif kind == "template":
            check_template(self.templates, content, received)
        else:
            self._media_message(kind, content, received)
        if kind != "template" and not self.window_open(to):
            raise GraphError(
                131047,
                "Re-engagement message",
                details="Message failed to send because more than 24 hours have passed since "
                "the customer last replied to this number.",
            )
        context = body.get("context")
        if context is not None:
            if not isinstance(context, dict) or not isinstance(context.get("message_id"), str):
                raise param("Param context['message_id'] is required.")
            received.context = context["message_id"]
        return received, to

    def _media_message(self, kind: str, content: dict[str, Any], out: Received) -> None:
        if "link" in content:
            raise param("The fake serves uploaded media only: send an id, not a link.")
        media_id = content.get("id")
        stored = self.media.get(media_id) if isinstance(media_id, str) else None
        if stored is None:
            raise param(f"Param {kind}['id'] is not a valid media id.")
        allowed = limits.MEDIA_TYPES[kind] | (
            limits.MEDIA_TYPES["image"] if kind == "document" else frozenset()
        )
        if stored.mime_type not in allowed:
            raise GraphError(
                131053,
                "Media upload error",
                details=f"{stored.mime_type} cannot be sent as {kind}.",
            )
        if len(stored.data) > self.media_limits[kind]:
            raise GraphError(
                131053,
                "Media upload error",
                details=f"{kind} is larger than {self.media_limits[kind]} bytes.",
            )
        if "caption" in content:
            out.text = string_field(content, "caption", f"{kind}['caption']", limits.CAPTION)
        if kind == "document" and "filename" in content:
            stored = StoredMedia(stored.id, stored.data, stored.mime_type, content["filename"])
        out.media = stored

    # -- media ----------------------------------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.Response:
        self._enter()
        try:
            self._authorize(request)
            self._check_phone(request)
            try:
                form = await request.post()
            except web.HTTPRequestEntityTooLarge:
                raise GraphError(131053, "Media upload error", details="too large") from None
            if form.get("messaging_product") != "whatsapp":
                raise GraphError(100, "(#100) The parameter messaging_product is required.")
            upload = form.get("file")
            if not isinstance(upload, web.FileField):
                raise GraphError(100, "(#100) The parameter file is required.")
            mime = str(form.get("type") or upload.content_type or "")
            kind = limits.media_kind(mime)
            if kind is None:
                raise param(
                    f"Param file must be a file with one of the following types: "
                    f"{', '.join(sorted(set().union(*limits.MEDIA_TYPES.values())))}. "
                    f"Received file of type '{mime}'."
                )
            data = upload.file.read()
            # An image may go as a document (up to 100 MB): its 5 MB are checked when it is sent.
            limit = self.media_limits["document" if kind == "image" else kind]
            if len(data) > limit:
                raise GraphError(
                    131053, "Media upload error", details=f"{kind} is larger than {limit} bytes."
                )
            media = self.store_media(data, mime, upload.filename)
            return web.json_response({"id": media.id})
        except GraphError as err:
            return self._error(request, err)
        finally:
            self._leave()

    def store_media(self, data: bytes, mime_type: str, file_name: str | None = None) -> StoredMedia:
        media = StoredMedia(str(10**15 + next(self._ids)), data, mime_type, file_name)
        self.media[media.id] = media
        return media

    async def _media_url(self, request: web.Request) -> web.Response:
        try:
            self._authorize(request)
            media = self.media.get(request.match_info["media_id"])
            if media is None:
                raise GraphError(
                    100,
                    "Unsupported get request. Object does not exist or cannot be loaded.",
                    subcode=33,
                    kind="GraphMethodException",
                )
            return web.json_response(
                {
                    "messaging_product": "whatsapp",
                    "url": f"{self.base_url}/download/{media.id}",
                    "mime_type": media.mime_type,
                    "sha256": media.sha256,
                    "file_size": len(media.data),
                    "id": media.id,
                }
            )
        except GraphError as err:
            return self._error(request, err)

    async def _download(self, request: web.Request) -> web.Response:
        # The real download URL also wants the access token, in the Authorization header.
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.Response(status=401, text="Unauthorized")
        media = self.media.get(request.match_info["media_id"])
        if media is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=media.data, content_type=media.mime_type)

    # -- webhooks to the bot ----------------------------------------------------------------------

    def _client_session(self) -> ClientSession:
        if self._client is None:
            self._client = ClientSession(timeout=ClientTimeout(total=30))
        return self._client

    async def verify_webhook(self, url: str, verify_token: str) -> bool:
        """Meta's handshake when the office saves the callback URL: True (and the URL is kept)
        if the bot echoes the challenge."""
        challenge = str(secrets.randbelow(10**9))
        query = {
            "hub.mode": "subscribe",
            "hub.verify_token": verify_token,
            "hub.challenge": challenge,
        }
        async with self._client_session().get(url, params=query) as resp:
            ok = resp.status == 200 and (await resp.text()) == challenge
        if ok:
            self.webhook_url = url
        return ok

    def envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        """A webhook body around one ``value`` (messages or statuses), as Meta shapes it."""
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": self.display_number,
                "phone_number_id": self.phone_id,
            },
            **value,
        }
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}
            ],
        }

    async def post_webhook(
        self, body: dict[str, Any] | bytes, *, sign: bool = True, secret: str | None = None
    ) -> int:
        """POST a webhook body to the bot (signed with the app secret, or ``secret``, unless
        ``sign`` is False); returns the bot's HTTP status."""
        if self.webhook_url is None:
            raise AssertionError("no webhook URL: call verify_webhook(url, verify_token) first")
        if urlsplit(self.webhook_url).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise AssertionError("the fake delivers webhooks to loopback addresses only")
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if sign:
            headers[SIGNATURE_HEADER] = signature(secret or self.app_secret, raw)
        self._enter()
        try:
            async with self._client_session().post(
                self.webhook_url, data=raw, headers=headers
            ) as r:
                return r.status
        finally:
            self._leave()

    async def deliver(self, account: Account, message: dict[str, Any]) -> int:
        """A message from ``account`` to the bot: opens their window, then the webhook."""
        account.last_inbound = self.now()
        message = {
            "from": account.wa_id,
            "id": self.new_message_id(),
            "timestamp": str(int(time.time() + self._time_offset)),
            **message,
        }
        contact = {"profile": {"name": account.name}, "wa_id": account.wa_id}
        status = await self.post_webhook(
            self.envelope({"contacts": [contact], "messages": [message]})
        )
        if status != 200:
            raise AssertionError(f"the bot answered the webhook with {status}")
        return status

    async def post_status(
        self, received: Received, to: str, status: str, errors: list[dict[str, Any]] | None = None
    ) -> int:
        """A ``statuses`` webhook about a message the bot sent (sent, delivered, read, failed)."""
        entry: dict[str, Any] = {
            "id": received.id,
            "status": status,
            "timestamp": str(int(time.time() + self._time_offset)),
            "recipient_id": to,
        }
        if errors:
            entry["errors"] = errors
        return await self.post_webhook(self.envelope({"statuses": [entry]}))

    # -- settling ------------------------------------------------------------------------------

    def _enter(self) -> None:
        self._inflight += 1
        self._last_activity = time.monotonic()

    def _leave(self) -> None:
        self._inflight -= 1
        self._last_activity = time.monotonic()

    async def settle(self, timeout: float = 10.0, quiet: float = 0.05) -> None:  # noqa: ASYNC109
        """Wait until no request is in flight, none came for ``quiet`` seconds, and
        ``idle_probe()`` (if set) is True."""
        deadline = time.monotonic() + timeout
        while (
            self._inflight
            or self._background
            or time.monotonic() - self._last_activity < quiet
            or (self.idle_probe is not None and not self.idle_probe())
        ):
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the bot did not settle within {timeout:.1f}s")
            await asyncio.sleep(0.005)
