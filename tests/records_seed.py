"""A case of each built-in SOP walked to its records: notes, parafs, a draft, news items.

Used by the records tests and by `make docs-preview` (tools/docs_preview.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import MediaOutlet, User
from tests.factories import builtin, make_user
from workflow import engine
from workflow.clock import ManualClock
from workflow.registry import install

# Wednesday 4 June 2025, 09:00 WIB: the day the Sanggau sheet was made.
START = datetime(2025, 6, 4, 2, 0, tzinfo=UTC)
NAMES = {
    "admin": "Siti Aminah",
    "fungsional": "Budi Santoso",
    "kasi": "Dewi Lestari",
    "kabid": "Agus Salim",
    "sekretaris": "Yohana Maria",
    "kadis": "Hendra Gunawan",
}
SANGGAU = "sanggau-hubungan-media"
TRENGGALEK = "trenggalek-kerjasama-media"
# (step role, action, the note written on the task first, the note of the action)
WALKS = {
    SANGGAU: [
        ("admin", "receive", "Berkas lengkap, teruskan ke Fungsional", None),
        ("fungsional", "draft", "Konsep MoU dan PKS disiapkan", None),
        ("kabid", "paraf", "Sesuai rencana publikasi 2025", "Setuju, teruskan"),
        ("sekretaris", "paraf", "Anggaran tersedia pada DPA 2025", None),
        ("kadis", "sign", None, "Disetujui"),
        ("admin", "number", None, None),
    ],
    TRENGGALEK: [
        ("sekretaris", "receive", None, None),
        ("kadis", "dispose", "Teliti legalitas perusahaan", None),
        ("fungsional", "evaluate", "Legalitas PT dan Dewan Pers terverifikasi", None),
        ("kasi", "propose", "Memenuhi syarat", None),
        ("kabid", "yes", None, "Tetapkan kerja sama"),
        ("kasi", "direct", "Proses dokumen kerja sama", None),
        ("fungsional", "done", None, None),
    ],
}


@dataclass
class Seeded:
    case_id: int
    officials: dict[str, User]
    journalist: User
    clock: ManualClock


async def seed(
    sessions: async_sessionmaker[AsyncSession], sop_id: str, *, through: int | None = None
) -> Seeded:
    """A case of ``sop_id`` walked along WALKS (the first ``through`` steps of it)."""
    spec = builtin(sop_id)
    clock = ManualClock(START)
    async with sessions() as s, s.begin():
        version = await install(s, spec, clock)
        officials = {
            key: await make_user(s, NAMES.get(key, key.title()), clock.now(), (key,))
            for key, role in spec.roles.items()
            if not role.applicant
        }
        journalist = await make_user(s, "Rina Kartika", clock.now())
        journalist.is_journalist, journalist.registered_at = True, clock.now()
        journalist.phone = "081234567890"
        outlet = MediaOutlet(
            owner_id=journalist.id,
            name="Warta Kapuas",
            kind="online",
            website="https://wartakapuas.id",
            created_at=clock.now(),
        )
        s.add(outlet)
        await s.flush()
        from storage.models import Document

        for kind, name in (("press_card", "kartu-pers.jpg"), ("media_proof", "akta-pt.pdf")):
            s.add(
                Document(
                    owner_id=journalist.id,
                    kind=kind,
                    file_name=name,
                    mime_type="application/pdf",
                    size=10,
                    sha256="0" * 64,
                    path=f"x/{name}",
                    uploaded_at=clock.now(),
                )
            )
        await s.flush()
        result = await engine.submit_case(
            s,
            version=version,
            applicant=journalist,
            outlet_id=outlet.id,
            subject="Permohonan kerja sama publikasi berita online",
            now=clock.now(),
        )
        case_id = result.case.id
    for role, action, note, reason in WALKS[sop_id][:through]:
        clock.advance(minutes=4)
        await act(sessions, clock, case_id, officials[role], action, note, reason)
    return Seeded(case_id, officials, journalist, clock)


async def act(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    case_id: int,
    actor: User,
    action: str,
    note: str | None = None,
    reason: str | None = None,
) -> engine.Transition:
    async with sessions() as s, s.begin():
        task = await engine.open_task_of_case(s, case_id)
        assert task is not None
        user = await s.merge(actor)
        if note:
            await engine.add_note(s, task_id=task.id, actor=user, note=note, now=clock.now())
            clock.advance(minutes=1)
        return await engine.act(
            s,
            task_id=task.id,
            actor=user,
            action=action,
            note=reason,
            confirm_checklist=True,
            now=clock.now(),
        )


async def news(seeded: Seeded, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Four items in period 1 (one reported late), then 'Selesai kirim berita' (step 9)."""
    first = date(2025, 6, 5)
    for index, late in enumerate((False, False, True, False)):
        published = first + timedelta(days=index)
        seeded.clock.set(
            datetime.combine(
                published + timedelta(days=5 if late else 1), datetime.min.time()
            ).replace(tzinfo=UTC)
            + timedelta(hours=3)
        )
        async with sessions() as s, s.begin():
            user = await s.merge(seeded.journalist)
            await engine.add_news(
                s,
                case_id=seeded.case_id,
                actor=user,
                title=f"Bupati resmikan jembatan desa ke-{index + 1}",
                url=f"https://wartakapuas.id/berita/{index + 1}",
                published_on=published,
                now=seeded.clock.now(),
            )
    await act(sessions, seeded.clock, seeded.case_id, seeded.journalist, "news_done")
