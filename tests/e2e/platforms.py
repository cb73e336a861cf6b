"""One bot process on both platforms, and people who may sit on either.

:class:`Duo` runs what ``BOT_PLATFORMS=telegram,whatsapp`` runs: the Telegram adapter (aiogram)
against the fake Bot API, the WhatsApp adapter against the fake Cloud API, one outbox sender
per platform, one database. :class:`Person` is a journey's participant: the same script says,
presses and uploads whether the person is a Telegram :class:`~bot.fakeapi.harness.FakeUser` or
a WhatsApp :class:`~bot.whatsapp.fake_user.WaUser`, and reads what they were shown.

WhatsApp cannot edit a message: where Telegram changes a prompt in place, WhatsApp sends a
follow-up under it. So a WhatsApp person presses on the newest message that shows the button,
and "what the prompt says now" is the newest message about it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.delivery import InFlight
from bot.factory import build_product
from bot.fakeapi.harness import FakeUser
from bot.fakeapi.server import FakeTelegram
from bot.outbox_sender import OutboxSender, sender_for
from bot.runtime import BotAdapter, build_adapter, build_whatsapp_adapter
from bot.whatsapp.fake import FakeWhatsApp, Received
from bot.whatsapp.fake_user import WaUser
from bot.whatsapp.markup import ELLIPSIS
from bot.whatsapp.render import text as wa_text
from handlers.officials import create_invite
from handlers.platforms import TELEGRAM, WHATSAPP
from tests.e2e import helpers
from tests.e2e.conftest import MONDAY_9, TOKEN, BotUnderTest, _fresh_postgres
from workflow.clock import ManualClock

VERIFY_TOKEN = "verify-e2e-duo"
# The bodies of a list sent under the text it belongs to (the text was too long to share it).
CHOICES_BELOW_TEXT = (wa_text("choose_above"), wa_text("more_choices", 1, 1).split("(")[0])


# --- people ------------------------------------------------------------------------------------


class Person:
    """Someone in a journey, on one platform. Every action waits until the whole bot (both
    platforms) is quiet, so what it caused for anyone can be read right after."""

    platform: str
    name: str

    def __init__(self, duo: Duo, name: str) -> None:
        self.duo, self.name = duo, name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    async def say(self, text: str) -> None:
        raise NotImplementedError

    async def press(self, label: str) -> None:
        """Press ``label`` on the newest message that offers it."""
        raise NotImplementedError

    async def upload(self, content: bytes, file_name: str, mime_type: str) -> None:
        raise NotImplementedError

    async def photo(self, content: bytes) -> None:
        raise NotImplementedError

    def texts(self, since: int = 0) -> list[str]:
        """What the bot said to them, oldest first (messages after the mark ``since``)."""
        raise NotImplementedError

    def mark(self) -> int:
        raise NotImplementedError

    @property
    def last_text(self) -> str:
        texts = self.texts()
        assert texts, f"the bot has said nothing to {self!r}"
        return texts[-1]

    def said(self, fragment: str, since: int = 0) -> bool:
        return any(fragment in text for text in self.texts(since))

    @property
    def buttons(self) -> list[str]:
        """The choices of the newest message that has any (full labels)."""
        raise NotImplementedError

    def prompt_text(self, label: str) -> str:
        """The text of the newest message offering ``label`` (on WhatsApp, with the text above
        a list when the choices came in a message of their own)."""
        raise NotImplementedError

    @property
    def documents(self) -> list[tuple[str, bytes]]:
        raise NotImplementedError

    def offered(self, label: str, since: int = 0) -> bool:
        """Whether a message (after ``since``) offers ``label``."""
        raise NotImplementedError

    async def evaluate(self) -> None:
        """The lembar evaluasi from the task prompt, every criterion met."""
        await self.press("Lembar evaluasi")
        while "✅ Memenuhi" in self.buttons:
            await self.press("✅ Memenuhi")

    async def approve(self, label: str) -> None:
        """The taps of a plain approval: the action, 'Ya' if asked, 'Semua lengkap' if asked;
        the prompt then says who handled it."""
        raise NotImplementedError

    async def with_reason(self, label: str, reason: str) -> None:
        await self.press(label)
        assert "Tulis" in self.last_text, self.last_text
        await self.say(reason)
        if any("✅ Ya" in b for b in self.buttons):  # the SOP's confirm, the reason quoted
            assert self.said(reason)
            await self.press("✅ Ya")


class TelegramPerson(Person):
    platform = TELEGRAM

    def __init__(self, duo: Duo, user: FakeUser, name: str) -> None:
        super().__init__(duo, name)
        self.user = user

    async def say(self, text: str) -> None:
        await self.user.send(text)
        await self.duo.settle()

    async def press(self, label: str) -> None:
        message = helpers.message_with(self.user, label)
        await self.user.press(label, message_id=message.message_id)
        await self.duo.settle()

    async def upload(self, content: bytes, file_name: str, mime_type: str) -> None:
        await self.user.upload_document(content, file_name, mime_type)
        await self.duo.settle()

    async def photo(self, content: bytes) -> None:
        await self.user.upload_photo(content)
        await self.duo.settle()

    def texts(self, since: int = 0) -> list[str]:
        return self.user.texts(since)

    def mark(self) -> int:
        return self.user.mark()

    @property
    def buttons(self) -> list[str]:
        return self.user.buttons()

    def prompt_text(self, label: str) -> str:
        return str(helpers.message_with(self.user, label).text)

    def offered(self, label: str, since: int = 0) -> bool:
        return any(
            label in button
            for m in self.user.bot_messages
            if m.seq > since
            for button in self.user.buttons(m)
        )

    @property
    def documents(self) -> list[tuple[str, bytes]]:
        return [(name, content) for name, content, _ in self.user.documents]

    async def approve(self, label: str) -> None:
        await helpers.approve(self.user, label)
        await self.duo.settle()


class WhatsAppPerson(Person):
    platform = WHATSAPP

    def __init__(self, duo: Duo, user: WaUser, name: str) -> None:
        super().__init__(duo, name)
        self.user = user

    async def say(self, text: str) -> None:
        await self.user.send(text)
        await self.duo.settle()

    async def press(self, label: str) -> None:
        message, title, is_row = self.offering(label)
        if is_row:
            await self.user.pick(title, message=message)
        else:
            await self.user.press(title, message=message)
        await self.duo.settle()

    async def upload(self, content: bytes, file_name: str, mime_type: str) -> None:
        await self.user.send_document(content, file_name, mime_type)
        await self.duo.settle()

    async def photo(self, content: bytes) -> None:
        await self.user.send_image(content, "image/png")
        await self.duo.settle()

    def texts(self, since: int = 0) -> list[str]:
        return [r.text for r in self.user.received[since:] if r.text]

    def mark(self) -> int:
        return len(self.user.received)

    @property
    def buttons(self) -> list[str]:
        for received in reversed(self.user.received):
            if received.buttons or received.rows:
                return choices(received)
        return []

    def offering(self, label: str, since: int = 0) -> tuple[Received, str, bool]:
        """The newest message (after ``since``) with a choice ``label``: it, the choice's title
        as shown, and whether it is a list row. A title cut to WhatsApp's 20/24 characters
        matches by its start or by the full label in the row's description."""
        newest_first = list(reversed(self.user.received[since:]))
        for exact in (True, False):  # "Terima" is the prompt's, not "Semua lengkap — Terima"
            for received in newest_first:
                for _, title in received.buttons:
                    if title == label if exact else label in title:
                        return received, title, False
                for _, title, description in received.rows:
                    full = description if title.endswith(ELLIPSIS) and description else title
                    if full == label if exact else label in full or _cut_match(title, label):
                        return received, title, True
        shown = [r.titles for r in self.user.received[-3:]]
        raise AssertionError(f"no choice {label!r} for {self!r}; on screen: {shown}")

    def choice_id(self, label: str) -> tuple[Received, str]:
        """The newest message offering ``label``, and that choice's id (``c:<data>``)."""
        message, title, is_row = self.offering(label)
        if is_row:
            return message, next(id_ for id_, t, _ in message.rows if t == title)
        return message, next(id_ for id_, t in message.buttons if t == title)

    async def press_id(self, choice_id: str, title: str, on: Received | None = None) -> None:
        """A press with any id, on ``on`` (None: on no message of ours): forged or stale."""
        await self.user.press_id(choice_id, title, context=on.id if on is not None else None)
        await self.duo.settle()

    def prompt_text(self, label: str) -> str:
        message, _, _ = self.offering(label)
        received = self.user.received
        at = received.index(message)
        if message.text.startswith(CHOICES_BELOW_TEXT):
            # the choices came under the text they belong to: the nearest text above
            for earlier in reversed(received[:at]):
                if not (earlier.buttons or earlier.rows) and earlier.kind == "text":
                    return earlier.text
        return message.text

    @property
    def documents(self) -> list[tuple[str, bytes]]:
        out = []
        for received in self.user.received:
            if received.media is not None:
                name = received.payload.get(received.kind, {}).get("filename") or ""
                out.append((str(name), received.media.data))
        return out

    async def approve(self, label: str) -> None:
        since = self.mark()
        await self.press(label)
        for follow_up in ("✅ Ya", "Semua lengkap"):
            if self.offered(follow_up, since):
                step = self.mark()
                await self.press(follow_up)
                since = step
        handled = self.texts(since)
        assert any("oleh" in text for text in handled), handled

    def offered(self, label: str, since: int = 0) -> bool:
        try:
            self.offering(label, since)
        except AssertionError:
            return False
        return True


def choices(received: Received) -> list[str]:
    """A message's choices by their full labels (a cut row title's description holds it)."""
    return [title for _, title in received.buttons] + [
        description if title.endswith(ELLIPSIS) and description else title
        for _, title, description in received.rows
    ]


def _cut_match(title: str, label: str) -> bool:
    return title.endswith(ELLIPSIS) and label.startswith(title[: -len(ELLIPSIS)])


# --- the bot on both platforms -------------------------------------------------------------


@dataclass
class Duo(BotUnderTest):
    """BotUnderTest with WhatsApp beside Telegram in the same process."""

    wa_fake: FakeWhatsApp = field(default_factory=FakeWhatsApp)
    wa_adapter: BotAdapter | None = None
    wa_sender: OutboxSender | None = None
    people: list[Person] = field(default_factory=list)

    async def _start(self) -> None:
        self.product = await build_product(self.settings, clock=self.clock)
        self.inflight = InFlight()
        self.adapter = build_adapter(
            self.settings, self.product.app, self.inflight, polling_timeout=1
        )
        self.wa_adapter = build_whatsapp_adapter(self.settings, self.product, InFlight())
        self.sender = sender_for(self.product, self.adapter.api, self.settings)
        self.wa_sender = sender_for(self.product, self.wa_adapter.api, self.settings, WHATSAPP)
        self.fake.idle_probe = self.idle
        self.wa_fake.idle_probe = self.idle
        await self.adapter.start()
        await self.wa_adapter.start()
        port = self.wa_adapter.port  # type: ignore[attr-defined]
        assert await self.wa_fake.verify_webhook(f"http://127.0.0.1:{port}/whatsapp", VERIFY_TOKEN)
        await self.sender.start()
        await self.wa_sender.start()
        await self.settle()

    def idle(self) -> bool:
        return all(
            part is not None and part.idle
            for part in (
                self.inflight,
                self.wa_adapter.inflight if self.wa_adapter else None,
                self.sender,
                self.wa_sender,
            )
        )

    async def settle(self) -> None:
        """Both fakes quiet and the bot idle: a step on one platform may have sent on the other,
        so settle once more when the other's settling found work."""
        for _ in range(3):
            await self.fake.settle()
            await self.wa_fake.settle()
            await asyncio.sleep(0)
            if self.idle():
                return

    async def stop(self) -> None:
        await self.adapter.drain()
        assert self.wa_adapter is not None and self.wa_sender is not None
        await self.wa_adapter.drain()
        if self.sender is not None:
            await self.sender.stop()
        await self.wa_sender.stop()
        await self.adapter.stop()
        await self.wa_adapter.stop()
        await self.product.close()

    # -- people ---------------------------------------------------------------------------------

    def _new_person(self, platform: str, number: int, name: str) -> Person:
        first = name.split()[0]
        person: Person
        if platform == WHATSAPP:
            person = WhatsAppPerson(self, self.wa_fake.user(str(number), first), name)
        else:
            person = TelegramPerson(self, self.fake.user(number, first), name)
        self.people.append(person)
        return person

    async def official_on(self, platform: str, number: int, name: str, role: str) -> Person:
        """An official onboarded by a one-time invite: /start CODE on Telegram, the invite's
        wa.me text 'daftar CODE' on WhatsApp."""
        async with self.session() as s, s.begin():
            invite = await create_invite(s, role, name, self.clock.now(), 72)
        person = self._new_person(platform, number, name)
        word = "daftar" if platform == WHATSAPP else "/start"
        await person.say(f"{word} {invite.code}")
        assert person.said("Selamat bergabung"), person.texts()
        return person

    async def officials_on(self, platform: str, roles: dict[str, str]) -> dict[str, Person]:
        base = 6281300000100 if platform == WHATSAPP else 2000
        return {
            role: await self.official_on(platform, base + i, name, role)
            for i, (role, name) in enumerate(roles.items())
        }

    async def journalist_on(
        self, platform: str, number: int, name: str = "Rina Wartawati"
    ) -> Person:
        """A registered journalist (registration has its own tests), who then opens the chat."""
        nik = f"{6101010101900000 + number % 10**6}"[:16]
        phone = f"+{number}" if platform == WHATSAPP else "+6281234567890"
        await self.seed_journalist(platform, number, name, nik, phone)
        person = self._new_person(platform, number, name)
        await person.say("daftar" if platform == WHATSAPP else "/start")
        return person

    def assert_clean(self) -> None:
        """Neither fake refused a request; every Telegram press was answered."""
        super().assert_clean()
        refused = [(r.path, r.code, r.details) for r in self.wa_fake.refused]
        assert refused == [], refused


@asynccontextmanager
async def running_duo(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Duo]:
    """BOT_PLATFORMS=telegram,whatsapp on aiogram (the adapter matters not here: the Telegram
    suite runs both), over the database of ``db_url`` (conftest's ``duo`` fixture)."""
    if db_url.startswith("postgresql"):
        await _fresh_postgres(db_url)
    fake = FakeTelegram(token=TOKEN, flood_rate=10.0)  # as conftest's `bot`: see there
    wa_fake = FakeWhatsApp()
    await fake.start()
    await wa_fake.start()
    for name, value in {
        "PHONE_ID": wa_fake.phone_id,
        "TOKEN": wa_fake.token,
        "APP_SECRET": wa_fake.app_secret,
        "VERIFY_TOKEN": VERIFY_TOKEN,
        "GRAPH_URL": wa_fake.base_url,
        "LISTEN": "127.0.0.1:0",
    }.items():
        monkeypatch.setenv(f"WHATSAPP_{name}", value)
    settings = Settings(
        bot_token=SecretStr(TOKEN),
        bot_framework="aiogram",
        bot_platforms="telegram,whatsapp",
        telegram_api_base=fake.base_url,
        database_url=db_url,
        files_dir=tmp_path / "files",
        sop="sanggau-hubungan-media",
        pace_interval=0.1,
        send_timeout_seconds=2.0,
    )
    clock = ManualClock(MONDAY_9)
    under_test = Duo(fake, settings, clock, None, None, None, wa_fake=wa_fake)  # type: ignore[arg-type]
    try:
        await under_test._start()
        yield under_test
    finally:
        if under_test.product is not None:
            await under_test.stop()
        await wa_fake.stop()
        await fake.stop()
