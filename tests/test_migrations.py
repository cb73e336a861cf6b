"""The migrations build the schema the models describe, and go down and up again cleanly."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import create_engine
from storage.migrate import downgrade, upgrade
from storage.models import Base


def _diff(url: str) -> list:
    async def run() -> list:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"compare_type": True}),
                        Base.metadata,
                    )
                )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_upgrade_downgrade_upgrade_matches_the_models(db_url: str) -> None:
    upgrade(db_url)
    downgrade(db_url, "base")
    upgrade(db_url)
    assert _diff(db_url) == []
