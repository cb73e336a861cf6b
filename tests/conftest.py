"""DB fixtures: every DB test runs on SQLite, and on PostgreSQL when TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Base


def _worker_url(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own (<name>_gw0, ...): the suite
    truncates and migrates it, so two workers must never share one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


BASE_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
POSTGRES_URL = _worker_url(BASE_POSTGRES_URL)
BACKENDS = ["sqlite", "postgres"]

# Tests never read a developer's .env: every Settings() in the suite (and in code it calls) is
# built from its arguments and the environment only.
Settings.model_config["env_file"] = None
# One fixed data key for the suite (storage.crypto): NIKs in factories are encrypted with it.
# Documents are drawn in a thread of the bot under test (DRAW_WORKERS=0): a worker process per
# bot start would add seconds of warm-up to every e2e test; tests/test_drawing.py covers the pool.
os.environ.setdefault("DRAW_WORKERS", "0")
os.environ.setdefault("DATA_KEY", "bWl0cmFtZWRpYS10ZXN0LWRhdGEta2V5LTMyYnl0ZXM=")


class NotATestDatabase(Exception):
    """TEST_POSTGRES_URL names a database the suite must not wipe."""


def check_test_database(url: str) -> None:
    """The suite drops and recreates the `public` schema: only on a database named for tests."""
    name = make_url(url).database or ""
    if "test" not in name.lower():
        raise NotATestDatabase(
            f"TEST_POSTGRES_URL points at database {name!r}: the test suite drops its schema, so "
            "it only runs on a database whose name contains 'test' (e.g. mitramedia_test)."
        )


def pytest_configure(config: pytest.Config) -> None:
    if POSTGRES_URL:
        try:
            check_test_database(POSTGRES_URL)
        except NotATestDatabase as refused:
            raise pytest.UsageError(str(refused)) from None
        if POSTGRES_URL != BASE_POSTGRES_URL:
            _create_database(BASE_POSTGRES_URL, make_url(POSTGRES_URL).database or "")


def _create_database(base_url: str, name: str) -> None:
    import asyncio

    import asyncpg

    async def create() -> None:
        url = make_url(base_url)
        conn = await asyncpg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            database=url.database,
        )
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database built by the real migration; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL not set: PostgreSQL run skipped")
    check_test_database(POSTGRES_URL)  # pytest_configure refused already; never drop regardless
    import asyncio

    async def reset() -> None:
        engine = create_engine(POSTGRES_URL)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())
    upgrade(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_ready"))
    template = request.getfixturevalue("sqlite_template")
    path = tmp_path / "mitramedia.db"
    shutil.copy(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def db_engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    if engine.dialect.name == "postgresql":
        await truncate_all(engine)
    yield engine
    await engine.dispose()


async def truncate_all(engine: AsyncEngine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(db_engine)
