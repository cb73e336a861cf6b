"""Retention of journalists' identity files (the SOP's `retention:`), run by the scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.scheduler import SlaScheduler
from storage.archive import Archive
from storage.models import AuditEvent, Case, Document, User
from tests.factories import builtin
from workflow.clock import ManualClock
from workflow.registry import install
from workflow.retention import years_before

CLOSED = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
PDF = b"%PDF-1.4 kartu pers "


async def test_identity_files_go_n_years_after_the_last_case_and_case_files_stay(
    sessions, tmp_path: Path
) -> None:
    spec = builtin("sanggau-hubungan-media")
    assert spec.retention.id_documents_years == 2
    archive = Archive(tmp_path / "files")
    clock = ManualClock(CLOSED)
    async with sessions() as s, s.begin():
        version = await install(s, spec, clock)
        people = {}
        for key, status in (("closed", "closed"), ("never", None), ("open", "open")):
            user = User(
                telegram_id=hash(key) % 10**9,
                name=f"Wartawan {key}",
                is_journalist=True,
                registered_at=CLOSED - timedelta(days=100),
                created_at=CLOSED - timedelta(days=100),
            )
            s.add(user)
            await s.flush()
            people[key] = user.id
            for kind in ("press_card", "media_proof"):
                await archive.add(
                    s,
                    owner_id=user.id,
                    kind=kind,
                    content=PDF + f"{key} {kind}".encode(),
                    file_name=f"{kind}.pdf",
                    mime_type="application/pdf",
                    now=CLOSED - timedelta(days=100),
                )
            if status is not None:
                case = Case(
                    sop_version_id=version.id,
                    applicant_id=user.id,
                    status=status,
                    outcome="completed" if status == "closed" else None,
                    period=0,
                    subject="x",
                    created_at=CLOSED - timedelta(days=30),
                    closed_at=CLOSED if status == "closed" else None,
                )
                s.add(case)
                await s.flush()
                await archive.add(  # the request letter: part of the case's own file
                    s,
                    owner_id=user.id,
                    kind="request_letter",
                    content=PDF + f"surat {key}".encode(),
                    file_name="surat.pdf",
                    mime_type="application/pdf",
                    now=CLOSED - timedelta(days=30),
                    case_id=case.id,
                )
    scheduler = SlaScheduler(sessions, clock, spec, lambda: None, archive=archive)

    clock.advance(timedelta(days=365))
    nothing = await scheduler.retention_tick()
    assert nothing.people == 0  # "never" registered 465 days ago, the others are within 2 years

    clock.set(years_before(CLOSED, -2) + timedelta(hours=1))
    run = await scheduler.retention_tick()
    assert (run.people, run.documents, run.files) == (2, 4, 4)  # "closed" and "never"
    async with sessions() as s:
        left = {
            (owner, kind)
            for owner, kind in (await s.execute(select(Document.owner_id, Document.kind))).all()
        }
        events = list(await s.scalars(select(AuditEvent).where(AuditEvent.action.like("ret%"))))
        paths = [archive.root / p for p in await s.scalars(select(Document.path))]
    assert left == {
        (people["closed"], "request_letter"),
        (people["open"], "press_card"),
        (people["open"], "media_proof"),
        (people["open"], "request_letter"),
    }
    assert [(e.data["documents"], e.data["years"]) for e in events] == [(2, 2)]
    on_disk = sorted(p for p in archive.root.rglob("*") if p.is_file())
    assert on_disk == sorted(paths)  # the erased files left the archive, the rest stayed
    assert (await scheduler.retention_tick()).people == 0  # nothing twice
