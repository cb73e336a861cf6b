"""Retention of journalists' identity files (the SOP's `retention:`), applied daily by the
scheduler: a journalist's own uploads that belong to no case (press card / ID card, proof of
owning their media, other registration files) are erased `id_documents_years` after their last
case closed, or after registration for someone who never applied; never while a case of theirs
is open. A case's own files stay with the case. Each erasure is an audit event on the person's
latest case (`retention_erased`, counts only); the log carries counts, never personal data.

The erasure itself is workflow.personal_data's (the same file handling as a requested erasure).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.archive import Archive
from storage.models import AuditEvent, Case, Document, User
from workflow.personal_data import erase_documents
from workflow.records import GENERATED
from workflow.spec import SopSpec

log = logging.getLogger(__name__)
ACTION = "retention_erased"


@dataclass
class RetentionRun:
    people: int = 0
    documents: int = 0
    files: int = 0


def years_before(now: datetime, years: int) -> datetime:
    """The same moment `years` calendar years earlier (29 February becomes the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


async def apply(
    session: AsyncSession, archive: Archive, spec: SopSpec, now: datetime
) -> RetentionRun:
    run = RetentionRun()
    years = spec.retention.id_documents_years
    if years is None:
        return run
    cutoff = years_before(now.astimezone(UTC), years)
    owners = list(
        await session.scalars(
            select(Document.owner_id)
            .where(Document.case_id.is_(None), Document.kind.not_in(GENERATED))
            .distinct()
        )
    )
    for owner_id in owners:
        user = await session.get(User, owner_id)
        if user is None or user.role_keys:
            continue  # an official's own files (drafts they uploaded) are not identity papers
        since = await _quiet_since(session, user)
        if since is None or since > cutoff:
            continue
        docs = list(
            await session.scalars(
                select(Document).where(
                    Document.owner_id == user.id,
                    Document.case_id.is_(None),
                    Document.kind.not_in(GENERATED),
                )
            )
        )
        files = await erase_documents(session, archive, docs)
        run.people += 1
        run.documents += len(docs)
        run.files += files
        latest = await session.scalar(
            select(Case).where(Case.applicant_id == user.id).order_by(Case.id.desc()).limit(1)
        )
        if latest is not None:
            session.add(
                AuditEvent(
                    case_id=latest.id,
                    actor_id=None,
                    role=None,
                    action=ACTION,
                    note=None,
                    attachments=[],
                    data={"documents": len(docs), "files": files, "years": years},
                    at=now.astimezone(UTC),
                )
            )
    await session.flush()
    if run.people:
        log.info(
            "retention (%d years): identity files of %d people erased (%d documents, %d files)",
            years,
            run.people,
            run.documents,
            run.files,
        )
    return run


async def _quiet_since(session: AsyncSession, user: User) -> datetime | None:
    """Since when nothing of theirs has been running: their last case's closing, or their
    registration when they never applied; None while a case is open."""
    open_ = await session.scalar(
        select(func.count(Case.id)).where(Case.applicant_id == user.id, Case.status != "closed")
    )
    if open_:
        return None
    closed = await session.scalar(
        select(func.max(Case.closed_at)).where(Case.applicant_id == user.id)
    )
    if closed is not None:
        return closed if closed.tzinfo else closed.replace(tzinfo=UTC)
    return user.registered_at or user.created_at
