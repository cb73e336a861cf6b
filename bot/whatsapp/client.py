"""The WhatsApp Cloud API over aiohttp: send a payload, upload and download media, and map Graph
errors onto the outcomes the outbox sender already knows (bot/delivery.py).

Why not pywa (on PyPI, 4.5.0 here, well kept, has an async client): it is a framework, not a
transport. It brings httpx as a second HTTP stack beside the aiohttp the bot already uses for
its webhook server, the fakes and the Telegram side; it builds messages from its own types,
while our outbox stores each message as data (the payload rendered by bot/whatsapp/render.py)
and sends exactly that; it has its own handler and filter dispatch (on starlette, fastapi or
flask) where we need our webhook to decode into our dataclasses and feed our own intake; and
its errors are typed per code but carry the httpx response, not an outcome our sender can act
on. What the outbox needs is small: one POST with the raw Graph error code back, a media
upload and download. That is this module, about as long as the glue pywa would have needed.

Outcomes (the Cloud API sends no retry_after: the waits below are ours, from Meta's limits):

- rate limits -> ``RetryAfter``: 130429 (throughput, 1 s), 131056 (one person gets at most one
  message every 6 s: 6 s), 4 / 80007 (app or account limits, counted per hour: 60 s), 131048
  (spam limit, set by quality: 15 min);
- 131047, the person's 24-hour window is closed -> ``OutsideWindow`` (a ``Rejected``, so a
  sender that does not know it gives up rather than retrying; ours sends the template);
- 131026, undeliverable (not on WhatsApp, blocked us, an old app) -> ``Blocked`` (unreachable:
  the office is told, the rows wait until the person writes again);
- a bad token (190), missing permissions (10, 200-299), 5xx, Graph's own transient codes
  (1, 2, 131000, 131016, 133004) and network failures -> ``ApiError``: retried with backoff,
  since a token the office renews or an outage that ends loses nothing;
- any other 4xx (bad parameter 100, limits 131009, templates 132xxx, media 131053...) ->
  ``Rejected``: it will never succeed as it is.

Error texts keep Graph's message and code, never the request (it holds the person's number)
nor the token (it travels in a header, never in a URL).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, FormData

from bot.delivery import ApiError, Blocked, DeliveryError, Rejected, RetryAfter

from . import limits
from .render import Outgoing, Payload, as_document, with_media_id

RATE_LIMITS: dict[int, float] = {130429: 1.0, 131056: 6.0, 4: 60.0, 80007: 60.0, 131048: 900.0}
OUTSIDE_WINDOW = 131047
UNDELIVERABLE = 131026
# Not the message's fault: a token or permission the office fixes, or an outage that ends.
RETRY_LATER = frozenset({1, 2, 190, 10, 131000, 131016, 133004}) | frozenset(range(200, 300))

_PHONE = re.compile(r"\+?\d{8,}")


class OutsideWindow(Rejected):
    """131047: the person has not written for 24 hours; only a template message may go."""


@dataclass(frozen=True)
class MediaInfo:
    url: str
    mime_type: str
    sha256: str | None
    file_size: int | None


def classify(status: int, error: dict[str, Any], method: str = "messages") -> DeliveryError:
    """The outcome of a failed Graph call (``error``: the ``"error"`` object of its body)."""
    code = error.get("code")
    code = code if isinstance(code, int) else -1
    description = _PHONE.sub("<nomor>", f"(#{code}) {error.get('message', '')}".strip())[:300]
    if code in RATE_LIMITS:
        return RetryAfter(RATE_LIMITS[code])
    if code == OUTSIDE_WINDOW:
        return OutsideWindow(method, description)
    if code == UNDELIVERABLE:
        return Blocked(description)
    if status >= 500 or code in RETRY_LATER or error.get("is_transient") is True:
        return ApiError(method, description)
    if 400 <= status < 500:
        return Rejected(method, description)
    return ApiError(method, description)


class WhatsAppClient:
    def __init__(
        self,
        phone_id: str,
        token: str,
        *,
        base_url: str = "https://graph.facebook.com",
        version: str = limits.GRAPH_VERSION,
        timeout: float = 20.0,
        session: ClientSession | None = None,
    ) -> None:
        self._api = f"{base_url.rstrip('/')}/{version}"
        self._phone_id = phone_id
        self._auth = {"Authorization": f"Bearer {token}"}
        self._timeout = ClientTimeout(total=timeout)
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> WhatsAppClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> ClientSession:
        if self._session is None:
            self._session = ClientSession(timeout=self._timeout)
        return self._session

    async def _call(self, method: str, verb: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self._http().request(verb, url, headers=self._auth, **kwargs) as resp:
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
                if resp.status == 200 and isinstance(body, dict):
                    return body
                error = body.get("error") if isinstance(body, dict) else None
                raise classify(resp.status, error if isinstance(error, dict) else {}, method)
        except (TimeoutError, ClientError) as exc:
            raise ApiError(method, f"{type(exc).__name__}: no answer from the Graph API") from None

    # -- messages -------------------------------------------------------------------------------

    async def send(self, payload: Payload) -> str:
        """Send one message payload; returns its WhatsApp message id (wamid)."""
        body = await self._call(
            "messages", "POST", f"{self._api}/{self._phone_id}/messages", json=payload
        )
        try:
            return str(body["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise ApiError("messages", "the Graph API answered without a message id") from None

    async def send_outgoing(self, outgoing: Outgoing) -> str:
        """A rendered message, its file uploaded first when it has one."""
        if outgoing.upload is None:
            return await self.send(outgoing.payload)
        upload = outgoing.upload
        data = await asyncio.to_thread(Path(upload.path).read_bytes)
        if len(data) > limits.MEDIA_LIMITS["document"]:
            raise Rejected("media", f"the file is larger than {limits.MEDIA_LIMITS['document']}")
        if len(data) > limits.MEDIA_LIMITS["image"]:
            outgoing = as_document(outgoing)  # WhatsApp takes images up to 5 MB, files to 100
        media_id = await self.upload(data, upload.mime_type, upload.file_name)
        return await self.send(with_media_id(outgoing, media_id))

    # -- media ----------------------------------------------------------------------------------

    async def upload(self, data: bytes, mime_type: str, file_name: str) -> str:
        """Upload a file for a later message; returns its media id (kept 30 days by Meta)."""
        form = FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", data, filename=file_name, content_type=mime_type)
        body = await self._call("media", "POST", f"{self._api}/{self._phone_id}/media", data=form)
        media_id = body.get("id")
        if not isinstance(media_id, str):
            raise ApiError("media", "the Graph API answered without a media id")
        return media_id

    async def media_info(self, media_id: str) -> MediaInfo:
        body = await self._call("media", "GET", f"{self._api}/{media_id}")
        if not isinstance(body.get("url"), str):
            raise ApiError("media", "the Graph API answered without a download URL")
        size = body.get("file_size")
        return MediaInfo(
            url=body["url"],
            mime_type=str(body.get("mime_type", "application/octet-stream")),
            sha256=body.get("sha256") if isinstance(body.get("sha256"), str) else None,
            file_size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
        )

    async def download(self, media_id: str, max_bytes: int = limits.UPLOAD_MAX) -> bytes:
        """A file a person sent (by the media id of their message), checked against its sha256.

        Its URL lives five minutes and wants the token too: fetched at once, never stored.
        """
        info = await self.media_info(media_id)
        if info.file_size is not None and info.file_size > max_bytes:
            raise Rejected("download", f"the file is larger than {max_bytes} bytes")
        try:
            async with self._http().get(info.url, headers=self._auth) as resp:
                if resp.status != 200:
                    raise classify(resp.status, {"code": -1, "message": "download failed"})
                chunks, size = [], 0
                async for chunk in resp.content.iter_chunked(256 * 1024):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > max_bytes:
                        break
                data = b"".join(chunks)
        except (TimeoutError, ClientError) as exc:
            raise ApiError("download", f"{type(exc).__name__} while downloading") from None
        if len(data) > max_bytes:
            raise Rejected("download", f"the file is larger than {max_bytes} bytes")
        if info.sha256 and hashlib.sha256(data).hexdigest() != info.sha256:
            raise ApiError("download", "the file does not match its sha256: download again")
        return data
