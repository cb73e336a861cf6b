"""The file archive (softcopy): content-addressed files under the files directory, with sha256.

Files follow the transaction that names them: a file this archive wrote for a transaction that
then rolls back (a refused or failed update) is removed again, and a file dropped by a
transaction (erasure, retention) leaves the disk only once it has committed. So the archive
never keeps a file no row names, and never loses one a row still names.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from datetime import datetime
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from storage.models import Document

log = logging.getLogger(__name__)
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WRITTEN = "archive_written"  # session.info: files written for this transaction
_DROPPED = "archive_dropped"  # session.info: files to delete once it commits


def _watch(session: Session) -> None:
    if session.info.get("archive_watched"):
        return
    session.info["archive_watched"] = True
    event.listen(session, "after_commit", _committed)
    event.listen(session, "after_transaction_end", _ended)


def _committed(session: Session) -> None:
    session.info.pop(_WRITTEN, None)  # named by committed rows: they stay
    for path in session.info.pop(_DROPPED, []):
        path.unlink(missing_ok=True)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    session.info.pop(_DROPPED, None)  # rolled back: the rows are back, so are their files
    written: list[Path] = session.info.pop(_WRITTEN, [])
    for path in written:
        path.unlink(missing_ok=True)
    if written:
        log.info("rolled back: %d new archive file(s) removed", len(written))


class Archive:
    def __init__(self, root: Path) -> None:
        self.root = root
        # Written by store() outside any transaction (records drawn in a thread): the
        # transaction that adds their row takes them over.
        self._unclaimed: set[Path] = set()

    def store(self, content: bytes, file_name: str) -> tuple[str, str]:
        """Write once by content hash; returns (relative path, sha256)."""
        digest = hashlib.sha256(content).hexdigest()
        suffix = Path(file_name).suffix.lower()[:10]
        relative = Path(digest[:2]) / f"{digest}{_SAFE.sub('', suffix)}"
        target = self.root / relative
        if not target.exists():
            # Readable by the service's user only (0700 folders, 0600 files), whatever the umask.
            for folder in (self.root, target.parent):
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.chmod(folder, 0o700)
            temporary = target.with_suffix(target.suffix + ".part")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.chmod(temporary, 0o600)
            temporary.replace(target)
            self._unclaimed.add(target)
        return str(relative), digest

    def discard(self, session: AsyncSession, document: Document) -> None:
        """Delete the document's file once the session's transaction commits (not before: a
        rollback keeps the row, so it must keep its file)."""
        sync = session.sync_session
        _watch(sync)
        sync.info.setdefault(_DROPPED, []).append(self.path_of(document))

    def path_of(self, document: Document) -> Path:
        return self.root / document.path

    def check(self, document: Document) -> str | None:
        """None when the file on disk still has its recorded hash; else "missing"/"altered"."""
        path = self.path_of(document)
        if not path.is_file():
            return "missing"
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return None if digest.hexdigest() == document.sha256 else "altered"

    async def add(
        self,
        session: AsyncSession,
        *,
        owner_id: int,
        kind: str,
        content: bytes,
        file_name: str,
        mime_type: str,
        now: datetime,
        case_id: int | None = None,
        telegram_file_id: str | None = None,
    ) -> Document:
        relative, digest = self.store(content, file_name)
        target = self.root / relative
        if target in self._unclaimed:  # new on disk: it goes again if this transaction fails
            self._unclaimed.discard(target)
            sync = session.sync_session
            _watch(sync)
            sync.info.setdefault(_WRITTEN, []).append(target)
        document = Document(
            owner_id=owner_id,
            case_id=case_id,
            kind=kind,
            file_name=_SAFE.sub("_", file_name)[:255] or "berkas",
            mime_type=mime_type,
            size=len(content),
            sha256=digest,
            path=relative,
            telegram_file_id=telegram_file_id,
            uploaded_at=now,
        )
        session.add(document)
        await session.flush()
        return document
