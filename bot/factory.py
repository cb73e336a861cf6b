"""Builds the whole product from Settings in one place: database, SOP version, chat app."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from handlers.app import MitraApp
from handlers.context import Deps
from storage import crypto
from storage.archive import Archive
from storage.db import create_engine, session_factory, transaction
from storage.migrate import upgrade
from workflow.clock import Clock, SystemClock
from workflow.drawing import DrawPool
from workflow.loader import load_spec, resolve_sop
from workflow.registry import install
from workflow.signing import Certificate


@dataclass
class Product:
    app: MitraApp
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock

    async def close(self) -> None:
        await asyncio.to_thread(self.app.deps.drawing.close)  # idempotent: runtime closed it
        await self.engine.dispose()


async def migrate(url: str) -> None:
    # Alembic's env runs its own event loop; keep it off ours.
    await asyncio.to_thread(upgrade, url)


async def build_product(settings: Settings, *, clock: Clock | None = None) -> Product:
    clock = clock or SystemClock()
    # The data key first: the migration that encrypts existing NIKs needs it.
    crypto.load(settings.files_dir.parent)
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    spec = load_spec(resolve_sop(settings.sop))
    async with transaction(sessions) as session:
        version = await install(session, spec, clock)
    for folder in (settings.files_dir.parent, settings.files_dir):  # the data dir and archive
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
    deps = Deps(
        archive=Archive(settings.files_dir),
        version_id=version.id,
        spec=spec,
        invite_ttl_hours=settings.invite_ttl_hours,
        max_upload_bytes=settings.max_upload_mb * 1024 * 1024,
        upload_quota_bytes=settings.upload_quota_mb * 1024 * 1024,
        files_dir=settings.files_dir,
        prompt_ttl_minutes=settings.prompt_ttl_minutes,
        signing=_certificate(settings),
        drawing=DrawPool(settings.draw_workers),
    )
    app = MitraApp(sessions, clock, deps)
    if settings.bot_token is not None:
        app.update_scope = f"tg:{settings.token().split(':', 1)[0]}"[:16]
    return Product(app, engine, sessions, clock)


def _certificate(settings: Settings) -> Certificate | None:
    if settings.signing_p12 is None:
        return None
    password = settings.signing_p12_password
    return Certificate(
        settings.signing_p12.read_bytes(),
        password.get_secret_value().encode() if password is not None else None,
    )
