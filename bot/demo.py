"""`mitramedia demo`: the whole product without a token.

Starts the built-in fake Bot API server, runs the real bot against it, and plays one complete
case of the configured SOP with scripted people: officials join through invite links, a
journalist registers and submits, every step is taken by its role's holder from the buttons the
bot sent. Returns the chat transcript each person saw.

The demo never touches a deployment's data: `mitramedia demo` and `make run` without a token
play into ./data/demo/ (its own SQLite database and files) unless given `--database-url`, and
its bot talks only to the fake server, so no real chat is ever prompted.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import delete, select

from bot.config import Settings
from bot.delivery import InFlight
from bot.factory import build_product
from bot.fakeapi.harness import FakeUser
from bot.fakeapi.server import FakeTelegram
from bot.outbox_sender import sender_for
from bot.runtime import build_adapter
from handlers.officials import create_invite
from handlers.render import render
from storage.db import transaction
from storage.models import Account, Agreement, Case, Task, UserRole
from workflow import engine
from workflow.spec import ActionKind, SopSpec

DEMO_TOKEN = "{bot_id}:DEMO-fake-token"
DEMO_DIR = Path("data/demo")  # relative to the working directory, like the bot's ./data
PDF = b"%PDF-1.4\n% Mitra Media demo\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DEMO_IDS = (700_000_000, 800_000_000)  # Telegram ids the demo's scripted people use
OFFICIAL_NAMES = [
    "Budi Santoso",
    "Sari Lestari",
    "Agus Salim",
    "Dewi Kartika",
    "Hendra Wijaya",
    "Lina Marlina",
    "Tono Sugiarto",
    "Wati Rahayu",
]


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (30, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Person:
    user: FakeUser
    title: str
    timeline: list[str] = field(default_factory=list)  # what they did and saw, in order
    seen: dict[int, str] = field(default_factory=dict)  # message id -> content last shown


class Demo:
    def __init__(self, fake: FakeTelegram, spec: SopSpec, seed: int) -> None:
        self.fake, self.spec = fake, spec
        self.people: dict[str, Person] = {}
        self.seed = seed
        self.base = DEMO_IDS[0] + seed * 100  # fresh ids each run: the database may hold old runs

    def note(self, person: Person, what: str) -> None:
        self.snapshot()
        person.timeline.append(f"→ {what}")

    def snapshot(self) -> None:
        """Adds to each timeline the bot messages that appeared or changed since last look."""
        for person in self.people.values():
            for message in person.user.bot_messages:
                shown = _render(message)
                previous = person.seen.get(message.message_id)
                if previous == shown:
                    continue
                label = "← Bot:" if previous is None else "← Bot (pesan diperbarui):"
                person.timeline.append(label + "\n" + _indent(shown))
                person.seen[message.message_id] = shown

    async def say(self, person: Person, text: str) -> None:
        self.note(person, text)
        await person.user.send(text)

    async def press(self, person: Person, label: str, message_id: int | None = None) -> None:
        self.note(person, f"[tombol] {label}")
        await person.user.press(label, message_id=message_id)

    async def upload(self, person: Person, name: str) -> None:
        self.note(person, f"[berkas] {name}")
        await person.user.upload_document(PDF, name, "application/pdf")

    async def photo(self, person: Person) -> None:
        self.note(person, "[foto]")
        await person.user.upload_photo(_png())

    def transcript(self) -> str:
        self.snapshot()
        out = []
        for person in self.people.values():
            out.append(f"\n{'=' * 72}\n{person.title}\n{'=' * 72}")
            out.extend(person.timeline)
        return "\n".join(out)


def _render(message) -> str:  # type: ignore[no-untyped-def]
    text = message.content_text
    if message.document:
        text = f"[dokumen {message.document.file_name}] {text}"
    buttons = message.button_labels()
    if buttons:
        text += "\n" + " ".join(f"[{b}]" for b in buttons)
    return text


def _indent(text: str) -> str:
    return "\n".join("   " + line for line in text.splitlines())


def demo_settings(
    settings: Settings, *, database_url: str = "", files_dir: Path | None = None
) -> Settings:
    """`settings` with the demo's own database and files: ./data/demo/ unless told otherwise.
    DATABASE_URL and FILES_DIR (a real deployment's) are never used implicitly."""
    return settings.model_copy(
        update={
            "database_url": database_url or f"sqlite+aiosqlite:///{DEMO_DIR / 'mitramedia.db'}",
            "files_dir": files_dir or DEMO_DIR / "files",
        }
    )


async def run_demo(settings: Settings, framework: str = "aiogram") -> str:
    # Each run is its own fake Telegram, whose update ids start again: as a bot of its own (a
    # new bot id) its updates are not taken for ones an earlier run already handled.
    token = DEMO_TOKEN.format(bot_id=random.SystemRandom().randrange(10**9, 10**10))
    # Flood control refills at the pace the bot is given below (ten times Telegram's): a 429
    # would otherwise hold a chat's next rows a second while the script already looks for them.
    fake = FakeTelegram(token=token, bot_username="mitramedia_demo_bot", flood_rate=10.0)
    await fake.start()
    demo_settings = settings.model_copy(
        update={
            "bot_token": SecretStr(token),
            "telegram_api_base": fake.base_url,
            "bot_framework": framework,
            # Scripted people act milliseconds apart; the fake server still enforces Telegram's
            # flood control, so the quicker pace shows nothing Telegram would refuse.
            "pace_interval": 0.1,
        }
    )
    product = await build_product(demo_settings)
    inflight = InFlight()
    adapter = build_adapter(demo_settings, product.app, inflight, polling_timeout=1)
    sender = sender_for(product, adapter.api, demo_settings)
    fake.idle_probe = lambda: inflight.idle and sender.idle
    await adapter.start()
    await sender.start()
    spec = product.app.deps.spec
    demo = Demo(fake, spec, random.SystemRandom().randrange(1, 999_999))
    try:
        await _play(demo, product)
        refused = [r for r in fake.rejected if r.error_code is not None]
        summary = await _summary(product, demo)
        header = (
            f"Mitra Media — demo SOP '{spec.title}' ({framework}), "
            f"{len(fake.requests)} panggilan Bot API, {len(refused)} ditolak server.\n"
            f"Basis data: {settings.database_url}\n{summary}"
        )
        if refused:
            raise RuntimeError(
                f"the fake server refused: {[(r.method, r.description) for r in refused]}"
            )
        return header + demo.transcript()
    finally:
        await adapter.stop()
        await sender.stop()
        await product.close()
        await fake.stop()


async def _retire_earlier_demo_officials(product) -> None:  # type: ignore[no-untyped-def]
    """A demo run before this one left officials whose chats only existed on its own fake
    server; they must not be prompted now (Telegram would answer 'chat not found')."""
    async with transaction(product.sessions) as session:
        ids = select(Account.user_id).where(
            Account.platform == "telegram", Account.external_id.between(*DEMO_IDS)
        )
        await session.execute(delete(UserRole).where(UserRole.user_id.in_(ids)))


async def _play(demo: Demo, product) -> None:  # type: ignore[no-untyped-def]
    spec = demo.spec
    await _retire_earlier_demo_officials(product)
    for index, (key, role) in enumerate(r for r in spec.roles.items() if not r[1].applicant):
        name = OFFICIAL_NAMES[index % len(OFFICIAL_NAMES)]
        async with transaction(product.sessions) as session:
            invite = await create_invite(session, key, name, datetime.now(UTC), 72)
        user = demo.fake.user(demo.base + index + 1, name.split()[0])
        person = demo.people[key] = Person(user, f"{name} — {role.name}")
        await demo.say(person, f"/start {invite.code}")
    journalist = Person(demo.fake.user(demo.base + 99, "Rina"), "Rina Wartawati — Pers (pemohon)")
    demo.people[spec.applicant_role] = journalist
    await _register(demo, journalist)
    await demo.say(journalist, "/ajukan")
    await demo.upload(journalist, "surat-permohonan.pdf")
    await _walk(demo, product)
    await demo.say(journalist, "/status")


async def _register(demo: Demo, person: Person) -> None:
    # A valid NIK of her own each run (one person registers once): birth year and serial vary.
    nik = f"6171054501{demo.seed % 1_000_000:06d}"
    nik = nik[:12] + (nik[12:] if nik[12:] != "0000" else "0001")
    await demo.say(person, "/start")
    await demo.say(person, "Rina Wartawati")
    await demo.say(person, nik)
    demo.note(person, "[bagikan kontak] +6281234567890")
    await person.user.share_contact("+6281234567890")
    await demo.photo(person)  # her press card
    await demo.say(person, "Warta Kapuas")
    await demo.press(person, "Daftarkan media baru")
    await demo.press(person, "Online")
    # Then what the office's rules ask of an online outlet, in their order.
    rules = demo.spec.qualification
    for item in rules.asked("online"):
        if item not in rules.required("online"):
            await demo.press(person, "Lewati")
        elif rules.is_document(item):
            await demo.upload(person, f"{item.replace('_', '-')}.pdf")
        else:
            await _answer_fact(demo, person, item)


DEMO_FACTS = {
    "nib": "1234567890123",
    "npwp": "012345678901000",
    "address": "Jl. Jenderal Sudirman No. 1",
    "website": "https://wartakapuas.id",
    "bank_account": "Bank Kalbar 1234567890",
    "publishing_months": "12",
    "dewan_pers_date": "02-01-2025",
}
DEMO_CHOICES = {
    "legal_form": "PT",
    "dewan_pers": "Terverifikasi faktual",
    "chief_editor_ukw": "Madya",
}


async def _answer_fact(demo: Demo, person: Person, item: str) -> None:
    if item in DEMO_CHOICES:
        await demo.press(person, DEMO_CHOICES[item])
    else:
        await demo.say(person, DEMO_FACTS[item])


async def _walk(demo: Demo, product) -> None:  # type: ignore[no-untyped-def]
    spec = demo.spec
    noted: set[int] = set()
    for _ in range(200):
        async with product.sessions() as session:
            case = await session.scalar(
                Case.__table__.select().with_only_columns(Case.id).order_by(Case.id.desc())
            )
            task = await engine.open_task_of_case(session, int(case)) if case else None
        if task is None:
            return
        step = spec.step(task.step_number)
        actor = demo.people[task.role]
        if step.starts_period:
            # All the period's agreed news first, then «Selesai kirim berita»: pressed early, it
            # only asks whether to close the period short, a question the demo would leave open.
            while await _news_missing(product, task):
                await _send_news(demo, actor, task)
        elif task.role != spec.applicant_role and task.step_number not in noted:
            noted.add(task.step_number)
            if step.number == spec.start + 1 or len(noted) == 2:
                await demo.press(actor, "📝 Catatan")
                await demo.say(actor, "Mohon diproses sesuai ketentuan; berkas sudah lengkap.")
        if step.evaluation and task.role != spec.applicant_role:
            await _evaluate(demo, actor)
        action = next(a for a in step.actions if a.kind in (ActionKind.forward, ActionKind.finish))
        prompt = _prompt_with(actor, action.label)
        await demo.press(actor, action.label, prompt)
        if any("Semua lengkap" in b for b in _buttons(actor, prompt)):
            await demo.press(actor, "Semua lengkap", prompt)
    raise RuntimeError("the demo case did not end within 200 steps")


async def _evaluate(demo: Demo, person: Person) -> None:
    """The lembar isian evaluasi, criterion by criterion (all met in the demo)."""
    await demo.press(person, "📋 Lembar evaluasi", _prompt_with(person, "📋 Lembar evaluasi"))
    while "✅ Memenuhi" in person.user.bot_messages[-1].button_labels():
        await demo.press(person, "✅ Memenuhi", person.user.bot_messages[-1].message_id)


async def _send_news(demo: Demo, person: Person, task: Task) -> None:
    await demo.press(person, "📰 Kirim berita", _prompt_with(person, "📰 Kirim berita"))
    await demo.say(person, f"Bupati meninjau pembangunan jembatan, periode {task.period}")
    await demo.say(person, f"https://wartakapuas.id/berita/jembatan-{task.period}")
    await demo.say(person, "hari ini")
    await demo.photo(person)


async def _news_missing(product, task: Task) -> bool:  # type: ignore[no-untyped-def]
    async with product.sessions() as session:
        agreed = await session.scalar(
            select(Agreement.news_per_period).where(Agreement.case_id == task.case_id)
        )
        sent = await engine.news_count(session, task.case_id, task.period)
    return sent < (agreed or 1)


def _prompt_with(person: Person, label: str) -> int:
    for message in reversed(person.user.bot_messages):
        if label in message.button_labels():
            return message.message_id
    raise RuntimeError(f"{person.title} has no button {label!r}")


def _buttons(person: Person, message_id: int) -> list[str]:
    message = next(m for m in person.user.bot_messages if m.message_id == message_id)
    return message.button_labels()


async def _summary(product, demo: Demo) -> str:  # type: ignore[no-untyped-def]
    async with product.sessions() as session:
        case = await session.scalar(
            Case.__table__.select().with_only_columns(Case.id).order_by(Case.id.desc())
        )
        row = await session.get(Case, case)
        return render("demo_summary", case=row, tz=demo.spec.office.timezone)
