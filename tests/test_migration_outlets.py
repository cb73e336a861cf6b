"""Migration i15_1 keeps the outlets registered before the registry: each gets a code and its
registering journalist as member; its yearly registration is left open (not lapsed)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text

from storage.db import create_engine
from storage.migrate import downgrade, upgrade
from tests.conftest import truncate_all


def _run(url: str, *statements: str) -> list[list[tuple]]:
    async def run() -> list[list[tuple]]:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                out = []
                for sql in statements:
                    result = await conn.execute(text(sql), {"at": datetime(2026, 1, 5, tzinfo=UTC)})
                    out.append(list(result.all()) if result.returns_rows else [])
                return out
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def _empty(url: str) -> None:
    """Other tests' rows on the shared PostgreSQL database would hold the outlets in place."""
    engine = create_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            await truncate_all(engine)
    finally:
        await engine.dispose()


def test_existing_outlets_get_a_code_and_their_journalist(db_url: str) -> None:
    upgrade(db_url)
    asyncio.run(_empty(db_url))
    downgrade(db_url, "0005")
    try:
        _seed_and_upgrade(db_url)
    finally:
        upgrade(db_url)  # the next test on this database finds the whole schema, pass or fail


def _seed_and_upgrade(db_url: str) -> None:
    _run(
        db_url,
        "DELETE FROM media_outlet",
        "DELETE FROM app_user",
        "INSERT INTO app_user (id, telegram_id, name, is_journalist, created_at) "
        "VALUES (41, 9041, 'Rina', true, :at)",
        "INSERT INTO media_outlet (id, owner_id, name, kind, website, created_at) "
        "VALUES (7, 41, 'Warta Lama', 'online', 'https://lama.id', :at)",
        "INSERT INTO media_outlet (id, owner_id, name, kind, website, created_at) "
        "VALUES (9, 41, 'Warta Baru', 'cetak', '', :at)",
    )
    upgrade(db_url)
    codes, members = _run(
        db_url,
        "SELECT id, code, registered_until FROM media_outlet ORDER BY id",
        "SELECT outlet_id, user_id FROM outlet_member",
    )
    _run(
        db_url,
        "DELETE FROM outlet_member",
        "DELETE FROM media_outlet",
        "DELETE FROM account",
        "DELETE FROM app_user",
    )
    assert codes == [(7, "M0007", None), (9, "M0009", None)]
    assert members == [(9, 41)]  # her newest outlet, as the chat used before the registry
