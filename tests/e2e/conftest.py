"""End-to-end: the real bot (aiogram or python-telegram-bot) against the fake Bot API server.

Every test here runs on both adapters and on both databases; each ends by checking that the
fake server rejected no request and that every button press was answered.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import InFlight
from bot.factory import Product, build_product
from bot.fakeapi.harness import FakeUser
from bot.fakeapi.server import FakeTelegram
from bot.outbox_sender import OutboxSender, sender_for
from bot.runtime import BotAdapter, build_adapter
from bot.webhook import WebhookConfig
from handlers.officials import create_invite
from storage.db import create_engine
from storage.models import Account, Case, Document, MediaOutlet, User
from tests.conftest import truncate_all
from workflow.clock import ManualClock

TOKEN = "123456:TEST-token-e2e"
# Monday 23 November 2026, 09:00 WIB: an ordinary working morning.
MONDAY_9 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()


@dataclass
class BotUnderTest:
    fake: FakeTelegram
    settings: Settings
    clock: ManualClock
    product: Product
    adapter: BotAdapter
    inflight: InFlight
    sender: OutboxSender | None = None
    webhook: WebhookConfig | None = None  # None: long polling

    async def stop(self) -> None:
        """What SIGTERM does (bot.runtime.run_polling): drain updates, flush the outbox, close."""
        await self.adapter.drain()
        if self.sender is not None:
            await self.sender.stop()
        await self.adapter.stop()
        await self.product.close()

    async def restart(self) -> None:
        """A new process on the same database and files: nothing in memory survives."""
        await self.stop()
        await self._start()

    async def crash(self) -> None:
        """The process dies: sends in flight are cut off, nothing is drained or marked."""
        if self.sender is not None:
            await self.sender.abort()
        await self.adapter.stop()
        await self.product.close()

    async def start(self) -> None:
        await self._start()

    async def _start(self) -> None:
        self.product = await build_product(self.settings, clock=self.clock)
        self.inflight = InFlight()
        self.adapter = build_adapter(
            self.settings, self.product.app, self.inflight, polling_timeout=1, webhook=self.webhook
        )
        self.sender = sender_for(self.product, self.adapter.api, self.settings)
        sender = self.sender
        self.fake.idle_probe = lambda: self.inflight.idle and sender.idle
        await self.adapter.start()
        await self.sender.start()
        await self.fake.settle()

    def session(self) -> AsyncSession:
        return self.product.sessions()

    async def official(self, user_id: int, name: str, role: str) -> FakeUser:
        """An official onboarded the only way there is: a one-time invite link."""
        async with self.session() as s, s.begin():
            invite = await create_invite(s, role, name, self.clock.now(), 72)
        person = self.fake.user(user_id, name.split()[0])
        await person.send(f"/start {invite.code}")
        assert "Selamat bergabung" in person.last.text
        return person

    async def officials(self, roles: dict[str, str]) -> dict[str, FakeUser]:
        return {
            role: await self.official(2000 + i, name, role)
            for i, (role, name) in enumerate(roles.items())
        }

    async def seeded_journalist(self, user_id: int, name: str = "Rina Wartawati") -> FakeUser:
        """A journalist already registered (registration itself has its own test)."""
        nik = f"{6101010101900000 + user_id}"[:16]
        await self.seed_journalist("telegram", user_id, name, nik, "+6281234567890")
        person = self.fake.user(user_id, name.split()[0])
        await person.send("/start")
        return person

    async def seed_journalist(
        self, platform: str, account: int, name: str, nik: str, phone: str
    ) -> None:
        """Her user with that app's account, her outlet and her papers, as registration leaves
        them."""
        now = self.clock.now()
        async with self.session() as s, s.begin():
            user = User(
                name=name,
                nik=nik,
                phone=phone,
                is_journalist=True,
                registered_at=now,
                created_at=now,
            )
            user.accounts.append(Account(platform=platform, external_id=account, created_at=now))
            s.add(user)
            await s.flush()
            s.add(
                MediaOutlet(
                    owner_id=user.id,
                    name="Warta Kapuas",
                    kind="online",
                    website="https://wartakapuas.id",
                    created_at=now,
                )
            )
            for kind, content in (("press_card", PDF), ("media_proof", PDF)):
                archive = self.product.app.deps.archive
                await archive.add(
                    s,
                    owner_id=user.id,
                    kind=kind,
                    content=content,
                    file_name=f"{kind}.pdf",
                    mime_type="application/pdf",
                    now=now,
                )

    async def case(self) -> Case:
        async with self.session() as s:
            case = await s.scalar(select(Case).order_by(Case.id.desc()))
            assert case is not None
            return case

    async def documents(self) -> list[Document]:
        async with self.session() as s:
            return list(await s.scalars(select(Document).order_by(Document.id)))

    def assert_clean(self) -> None:
        # A long poll cut off by our own restart has no error code: not a refusal by Telegram.
        refused = [r for r in self.fake.rejected if r.error_code is not None]
        assert refused == [], [(r.method, r.description) for r in refused]
        assert self.fake.unanswered_callbacks() == []


@pytest.fixture(params=["aiogram", "ptb"])
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _fresh_postgres(url: str) -> None:
    engine = create_engine(url)
    await truncate_all(engine)
    await engine.dispose()


@pytest.fixture
def bot_webhook() -> WebhookConfig | None:
    """How the bot takes updates: long polling here; a module overrides it for webhook mode."""
    return None


@pytest.fixture
async def bot(
    framework: str, db_url: str, tmp_path: Path, bot_webhook: WebhookConfig | None
) -> AsyncIterator[BotUnderTest]:
    if db_url.startswith("postgresql"):
        await _fresh_postgres(db_url)
    # Flood control at the pace the bot is given here (one message per 0.1 s after a burst of
    # 3, against Telegram's 1 s): a 429 would wait its retry_after on the manual clock, which
    # never moves by itself, so the fake refills at the same tenfold speed.
    fake = FakeTelegram(token=TOKEN, flood_rate=10.0)
    await fake.start()
    settings = Settings(
        bot_token=SecretStr(TOKEN),
        bot_framework=framework,  # type: ignore[arg-type]
        telegram_api_base=fake.base_url,
        database_url=db_url,
        files_dir=tmp_path / "files",
        sop="sanggau-hubungan-media",
        # Users here act milliseconds apart; the fake still enforces Telegram's flood control
        # (a 429 fails assert_clean), so a burst to one chat is caught without real-time waits.
        pace_interval=0.1,
        send_timeout_seconds=2.0,  # a hung send gives up quickly (the fault tests hang some)
    )
    clock = ManualClock(MONDAY_9)
    under_test = BotUnderTest(fake, settings, clock, None, None, None, webhook=bot_webhook)  # type: ignore[arg-type]
    await under_test._start()
    try:
        yield under_test
    finally:
        await under_test.stop()
        await fake.stop()


@pytest.fixture
async def trenggalek_bot(bot: BotUnderTest) -> BotUnderTest:
    bot.settings = bot.settings.model_copy(update={"sop": "trenggalek-kerjasama-media"})
    await bot.restart()
    return bot


@pytest.fixture
async def duo(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """One bot on Telegram and WhatsApp at once (tests/e2e/platforms.py)."""
    from tests.e2e.platforms import running_duo

    async with running_duo(db_url, tmp_path, monkeypatch) as under_test:
        yield under_test


@pytest.fixture
async def trenggalek_duo(duo: Any) -> Any:
    duo.settings = duo.settings.model_copy(update={"sop": "trenggalek-kerjasama-media"})
    await duo.restart()
    return duo
