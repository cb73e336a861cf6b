"""Erasing a journalist keeps the outlet's papers they uploaded (the company's documents) while
another journalist still represents the outlet, and erases their personal ones (press card)
and, when nobody else is left, the outlet's papers too."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from storage.archive import Archive
from storage.models import Document, User
from tests.factories import builtin, make_journalist
from workflow import outlets
from workflow.personal_data import erase
from workflow.qualification import missing

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
RULES = builtin("sanggau-hubungan-media").qualification


async def _upload(
    s, archive: Archive, user: User, kind: str, name: str, outlet_id: int | None
) -> Document:
    doc = await archive.add(
        s,
        owner_id=user.id,
        kind=kind,
        content=f"{kind} of {user.id}".encode(),
        file_name=name,
        mime_type="application/pdf",
        now=NOW,
    )
    doc.outlet_id = outlet_id
    return doc


async def test_the_company_papers_stay_with_the_outlet_and_the_personal_ones_go(
    sessions, tmp_path: Path
) -> None:
    archive = Archive(tmp_path / "files")
    async with sessions() as s, s.begin():
        rina, outlet = await make_journalist(s, NOW, with_documents=False)
        await outlets.join(s, rina, outlet, NOW)
        budi, _own = await make_journalist(s, NOW, with_documents=False)
        budi.name = "Budi Reporter"
        await outlets.join(s, budi, outlet, NOW)
        sari, alone = await make_journalist(s, NOW, with_documents=False)
        await outlets.join(s, sari, alone, NOW)
        akta = await _upload(s, archive, rina, "akta", "akta Rina Wartawan.pdf", outlet.id)
        card = await _upload(s, archive, rina, "press_card", "kartu.pdf", None)
        solo = await _upload(s, archive, sari, "akta", "akta.pdf", alone.id)
        ids = rina.id, sari.id, budi.id, outlet.id, alone.id
        files = {d.kind + str(d.owner_id): archive.path_of(d) for d in (akta, card, solo)}
    assert all(f.is_file() for f in files.values())

    async with sessions() as s, s.begin():
        for who in ids[:2]:
            user = await s.get(User, who)
            assert user is not None
            await erase(s, archive, user, NOW)

    rina_id, sari_id, budi_id, outlet_id, alone_id = ids
    assert files[f"akta{rina_id}"].is_file()  # the company's deed: Budi's outlet still has it
    assert not files[f"press_card{rina_id}"].exists()  # her press card: gone
    assert not files[f"akta{sari_id}"].exists()  # nobody left to represent Sari's outlet
    async with sessions() as s:
        outlet = await outlets.outlet_of(s, await s.get(User, budi_id))  # type: ignore[arg-type]
        assert outlet is not None and outlet.id == outlet_id
        assert [u.id for u in await outlets.members(s, outlet)] == [budi_id]
        facts = await outlets.facts(s, outlet)
        assert "akta" in facts.documents  # counts for the outlet's standing as before
        assert "akta" not in missing(RULES, facts, date(2026, 12, 7))
        [kept] = await outlets.papers(s, outlet)
        assert kept.file_name == "akta.pdf"  # not the name she gave it (it carried hers)
        left = list(await s.scalars(select(Document).where(Document.owner_id.in_(ids[:2]))))
        assert [d.id for d in left] == [kept.id]
        assert await outlets.members(s, await s.get(type(outlet), alone_id)) == []  # type: ignore[arg-type]
