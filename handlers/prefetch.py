"""Files are downloaded before the update's transaction opens, so no transaction waits on the
network; inside it, the chat logic reads the bytes from here."""

from __future__ import annotations

import logging

from handlers.events import Event, MessageEvent
from handlers.ports import FileFetcher

log = logging.getLogger(__name__)


class DownloadFailed(Exception):
    """The file could not be fetched from Telegram (network, or too large to try)."""


class Prefetched:
    """A FileFetcher holding what was downloaded ahead; it never touches the network."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self._files = files or {}

    async def download(self, file_id: str) -> bytes:
        try:
            return self._files[file_id]
        except KeyError:
            raise DownloadFailed(file_id) from None


async def prefetch(event: Event, files: FileFetcher, max_bytes: int) -> Prefetched:
    incoming = event.file if isinstance(event, MessageEvent) else None
    if incoming is None or (incoming.size or 0) > max_bytes:
        return Prefetched()  # nothing to fetch, or refused by size before any download
    try:
        return Prefetched({incoming.file_id: await files.download(incoming.file_id)})
    except Exception as error:  # the chat logic says so to the user; nothing is stored
        log.warning("download of an upload failed: %s", type(error).__name__)
        return Prefetched()
