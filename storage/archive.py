"""The file archive (softcopy): content-addressed files under the files directory, with sha256."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Document

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class Archive:
    def __init__(self, root: Path) -> None:
        self.root = root

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
        return str(relative), digest

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
