"""Receiving a file: check its type and size, download it, check its bytes, archive it."""

from __future__ import annotations

from handlers import parsing
from handlers.context import Ctx
from handlers.events import MessageEvent
from handlers.prefetch import DownloadFailed
from storage.models import Document


async def receive(
    ctx: Ctx, event: MessageEvent, slot: str, kind: str, case_id: int | None = None
) -> Document:
    """Raises parsing.InputError with a message saying what is wanted; nothing is stored then."""
    incoming = event.file
    if incoming is None:
        raise parsing.InputError("file_expected", wanted=parsing.slot_words(slot))
    mime = "image/jpeg" if incoming.is_photo else incoming.mime_type
    accepted = parsing.upload_type(
        slot, mime, incoming.file_name, incoming.size, ctx.deps.max_upload_bytes
    )
    try:
        content = await ctx.files.download(incoming.file_id)
    except DownloadFailed:
        raise parsing.InputError("download_failed") from None
    if len(content) > ctx.deps.max_upload_bytes:
        raise parsing.InputError("file_too_big")
    if not parsing.sniff_matches(content, accepted):
        raise parsing.InputError("file_mismatch", wanted=parsing.slot_words(slot))
    name = incoming.file_name or f"{kind}.{accepted.rsplit('/', 1)[-1].replace('jpeg', 'jpg')}"
    assert ctx.user is not None
    return await ctx.deps.archive.add(
        ctx.session,
        owner_id=ctx.user.id,
        kind=kind,
        content=content,
        file_name=name,
        mime_type=accepted,
        now=ctx.now,
        case_id=case_id,
        telegram_file_id=incoming.file_id,
    )
