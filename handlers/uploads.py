"""Receiving a file: check its type, size and the sender's quota, download it, judge its bytes
(handlers.filecheck: active content refused), archive it (removed again if the update's
transaction rolls back: storage.archive)."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers import filecheck, parsing
from handlers.context import Ctx
from handlers.events import MessageEvent
from handlers.prefetch import DownloadFailed
from storage.models import Document
from workflow.records import GENERATED


async def receive(
    ctx: Ctx, event: MessageEvent, slot: str, kind: str, case_id: int | None = None
) -> Document:
    """Raises parsing.InputError with a message saying what is wanted; nothing is stored then."""
    incoming = event.file
    if incoming is None:
        raise parsing.InputError("file_expected", wanted=parsing.slot_words(slot))
    mime = "image/jpeg" if incoming.is_photo else incoming.mime_type
    accepted_types, words = parsing.SLOTS[slot]
    what = filecheck.active_by_name(incoming.file_name, mime)
    if what is not None:
        raise filecheck.refuse_active(what, words)
    parsing.upload_type(slot, mime, incoming.file_name, incoming.size, ctx.deps.max_upload_bytes)
    assert ctx.user is not None
    await _within_quota(ctx, incoming.size or 0)
    try:
        content = await ctx.files.download(incoming.file_id)
    except DownloadFailed:
        raise parsing.InputError("download_failed") from None
    if len(content) > ctx.deps.max_upload_bytes:
        raise parsing.InputError("file_too_big")
    await _within_quota(ctx, len(content))
    accepted = filecheck.judge(content, incoming.file_name, accepted_types, words)
    name = _named(incoming.file_name or kind, accepted)
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


async def _within_quota(ctx: Ctx, size: int) -> None:
    """A journalist's uploads together stay within UPLOAD_QUOTA_MB (officials have no quota)."""
    user = ctx.user
    if user is None or user.role_keys:
        return
    used = await ctx.session.scalar(
        select(func.coalesce(func.sum(Document.size), 0)).where(
            Document.owner_id == user.id, Document.kind.not_in(GENERATED)
        )
    )
    limit = ctx.deps.upload_quota_bytes
    if int(used or 0) + size > limit:
        raise parsing.InputError(
            "upload_quota", limit_mb=limit // 1048576, used=parsing.human_size(int(used or 0))
        )


_SUFFIX = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    filecheck.DOCX: ".docx",
    filecheck.DOC: ".doc",
}


def _named(name: str, mime: str) -> str:
    """The name with the extension of what the file really is (a PNG sent as "kartu.pdf" is
    kept and passed on as "kartu.png", so it opens in the right program)."""
    suffix = _SUFFIX.get(mime, "")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        return name + suffix
    if "." + ext.lower() == suffix or (suffix == ".jpg" and ext.lower() == "jpeg"):
        return name
    return stem + suffix
