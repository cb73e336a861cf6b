"""A journalist's personal data (UU 27/2022): everything stored about them, as a file they can
take away, and its erasure. Erasure keeps the audit trail and the cases (the office must account
for them, and the compliance report counts them) but no name, NIK, phone or file of the person:
the user row becomes an anonymous "Pemohon terhapus #id", their files are deleted from the
archive (except an outlet's papers while other journalists still represent it: the company's,
see `_company_papers`), and their name, NIK and phone are struck from queued and sent
message copies.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.archive import Archive
from storage.models import (
    AuditEvent,
    Case,
    Conversation,
    Document,
    Invite,
    MediaOutlet,
    NewsItem,
    Outbox,
    OutletMember,
    Task,
    TaskPrompt,
    User,
    WaMessage,
)
from workflow.errors import NotAllowed, ReasonRequired

log = logging.getLogger(__name__)
ERASED = "[dihapus]"
EXPORTS = "exports"  # under the archive root: the /datasaya file waiting to be sent


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


async def collect(session: AsyncSession, user: User) -> dict[str, Any]:
    """What Mitra Media stores about this person, in plain terms (JSON-able)."""
    outlets = await session.scalars(select(MediaOutlet).where(MediaOutlet.owner_id == user.id))
    cases = list(
        await session.scalars(select(Case).where(Case.applicant_id == user.id).order_by(Case.id))
    )
    docs = await _documents(session, user)
    news = await session.scalars(
        select(NewsItem).where(NewsItem.case_id.in_([c.id for c in cases])).order_by(NewsItem.id)
    )
    events = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.case_id.in_([c.id for c in cases]))
        .order_by(AuditEvent.id)
    )
    return {
        "pengguna": {
            "id": user.id,
            "akun": [{"platform": a.platform, "id": a.external_id} for a in user.accounts],
            "nama": user.name,
            "username": user.username,
            "nik": user.nik,
            "telepon": user.phone,
            "terdaftar": _iso(user.registered_at),
            "peran_petugas": sorted(user.role_keys),
        },
        "media": [
            {"nama": o.name, "jenis": o.kind, "situs": o.website, "dibuat": _iso(o.created_at)}
            for o in outlets
        ],
        "permohonan": [
            {
                "id": c.id,
                "nomor_agenda": c.agenda_number,
                "status": c.outcome or c.status,
                "perihal": c.subject,
                "diajukan": _iso(c.created_at),
                "ditutup": _iso(c.closed_at),
            }
            for c in cases
        ],
        "berkas": [
            {
                "id": d.id,
                "jenis": d.kind,
                "nama": d.file_name,
                "ukuran": d.size,
                "sha256": d.sha256,
                "permohonan": d.case_id,
                "diunggah": _iso(d.uploaded_at),
            }
            for d in docs
        ],
        "berita": [
            {
                "permohonan": n.case_id,
                "judul": n.title,
                "tautan": n.url,
                "tayang": str(n.published_on),
            }
            for n in news
        ],
        "riwayat": [
            {
                "permohonan": e.case_id,
                "tindakan": e.action,
                "peran": e.role,
                "oleh_anda": e.actor_id == user.id,
                "waktu": _iso(e.at),
            }
            for e in events
        ],
    }


async def _documents(session: AsyncSession, user: User) -> list[Document]:
    return list(
        await session.scalars(
            select(Document).where(Document.owner_id == user.id).order_by(Document.id)
        )
    )


async def export_zip(session: AsyncSession, archive: Archive, user: User) -> bytes:
    """data.json plus every file of theirs (files/<id>-<name>), zipped."""
    data = await collect(session, user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as packed:
        packed.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for doc in await _documents(session, user):
            path = archive.path_of(doc)
            if path.is_file():
                packed.write(path, f"files/{doc.id}-{doc.file_name}")
    return buffer.getvalue()


def export_path(archive: Archive, user: User) -> Path:
    return archive.root / EXPORTS / f"datasaya-{user.id}.zip"


def write_private(path: Path, content: bytes) -> Path:
    import os

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return path


async def erase_documents(session: AsyncSession, archive: Archive, docs: list[Document]) -> int:
    """The rows go, and each file leaves the archive unless another row still points at the
    same content; a news item keeps its entry without the screenshot. Returns files deleted."""
    doc_ids = [d.id for d in docs]
    if not doc_ids:
        return 0
    deleted = 0
    for item in await session.scalars(select(NewsItem).where(NewsItem.screenshot_id.in_(doc_ids))):
        item.screenshot_id = None
    for doc in docs:
        shared = await session.scalar(
            select(Document.id).where(Document.path == doc.path, Document.id.not_in(doc_ids))
        )
        if shared is None and archive.path_of(doc).is_file():
            archive.discard(session, doc)  # the file goes when the erasure commits
            deleted += 1
    await session.execute(delete(Document).where(Document.id.in_(doc_ids)))
    return deleted


async def _company_papers(
    session: AsyncSession, user: User, docs: list[Document]
) -> list[Document]:
    """The person's uploads that stay: papers filed on an outlet (deed, NIB, company NPWP, Dewan
    Pers certificate...) while another journalist still represents that outlet. They are the
    company's documents, not the uploader's personal data (UU 27/2022 protects the person, and
    the company's other journalists and the office rely on them); the person's own papers
    (press card, ID, letters, screenshots: no outlet) always go. With no other member left,
    nobody represents the company to keep them current, so they go with the person."""
    outlet_ids = {d.outlet_id for d in docs if d.outlet_id is not None}
    if not outlet_ids:
        return []
    staffed = set(
        await session.scalars(
            select(OutletMember.outlet_id).where(
                OutletMember.outlet_id.in_(outlet_ids), OutletMember.user_id != user.id
            )
        )
    )
    return [d for d in docs if d.outlet_id in staffed]


@dataclass
class Erasure:
    user_id: int
    files_deleted: int
    documents: int
    cases_ended: list[int]
    cases_kept: int


async def open_cases(session: AsyncSession, user: User) -> list[Case]:
    return list(
        await session.scalars(
            select(Case).where(Case.applicant_id == user.id, Case.status != "closed")
        )
    )


async def erase(
    session: AsyncSession,
    archive: Archive,
    user: User,
    now: datetime,
    *,
    force_reason: str | None = None,
) -> Erasure:
    """Erase the person's data; refused while a case of theirs is open unless forced, which
    ends those cases (outcome "withdrawn") with the reason recorded in their history."""
    still_open = await open_cases(session, user)
    if still_open and force_reason is None:
        ids = ", ".join(f"#{c.id}" for c in still_open)
        raise NotAllowed("erasure_open_cases", ids=ids)
    if still_open and not (force_reason or "").strip():
        raise ReasonRequired("erasure_reason")
    for case in still_open:
        case.status, case.outcome, case.closed_at, case.current_step = (
            "closed",
            "withdrawn",
            now,
            None,
        )
        for task in await session.scalars(
            select(Task).where(Task.case_id == case.id, Task.status.in_(("open", "waiting")))
        ):
            task.status, task.closed_at, task.next_notice_at = "cancelled", now, None
    secrets_ = [s for s in (user.name, user.nik, user.phone, user.username) if s and len(s) >= 3]
    cases = list(await session.scalars(select(Case).where(Case.applicant_id == user.id)))
    for case in cases:
        session.add(
            AuditEvent(
                case_id=case.id,
                actor_id=None,
                role=None,
                action="personal_data_erased",
                note=(force_reason.strip()[:1000] if force_reason and case in still_open else None),
                attachments=[],
                data={"forced": case in still_open},
                at=now.astimezone(UTC),
            )
        )
    docs = await _documents(session, user)
    kept = await _company_papers(session, user, docs)
    for paper in kept:
        # The name the uploader gave the file may carry theirs (in any spelling): a neutral one.
        paper.file_name = f"{paper.kind}{Path(paper.file_name).suffix.lower()[:10]}"
    docs = [d for d in docs if d not in kept]
    doc_ids = [d.id for d in docs]
    deleted = await erase_documents(session, archive, docs)
    await session.execute(delete(OutletMember).where(OutletMember.user_id == user.id))
    export_path(archive, user).unlink(missing_ok=True)
    # Message copies: their own chat's are gone; elsewhere their name, NIK and phone are struck.
    for account in user.accounts:
        platform, chat = account.platform, account.external_id
        await session.execute(
            delete(TaskPrompt).where(TaskPrompt.platform == platform, TaskPrompt.chat_id == chat)
        )
        await session.execute(
            delete(Outbox).where(Outbox.platform == platform, Outbox.chat_id == chat)
        )
        await session.execute(
            delete(Conversation).where(
                Conversation.platform == platform, Conversation.chat_id == chat
            )
        )
        if platform == "whatsapp":
            await session.execute(delete(WaMessage).where(WaMessage.chat_id == chat))
    if secrets_:
        rows = await session.scalars(select(Outbox))  # every copy: a scan, erasure is rare
        for row in rows:
            text = json.dumps(row.payload, ensure_ascii=False)
            scrubbed = text
            for secret in secrets_:
                scrubbed = scrubbed.replace(secret, ERASED)
            if scrubbed != text:
                row.payload = json.loads(scrubbed)
    for invite in await session.scalars(select(Invite).where(Invite.used_by == user.id)):
        invite.name, invite.phone = ERASED, None
    for outlet in await session.scalars(select(MediaOutlet).where(MediaOutlet.owner_id == user.id)):
        for secret in secrets_:
            outlet.name = outlet.name.replace(secret, ERASED)
    user.name = f"Pemohon terhapus #{user.id}"
    user.username = None
    user.nik = None
    user.phone = None
    user.is_journalist = False
    user.accounts.clear()  # the accounts may register afresh; nothing links them back
    user.roles.clear()
    await session.flush()
    log.info(
        "personal data of user %s erased (%d files, %d cases kept)", user.id, deleted, len(cases)
    )
    return Erasure(user.id, deleted, len(doc_ids), [c.id for c in still_open], len(cases))
