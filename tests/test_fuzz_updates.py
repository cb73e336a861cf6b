"""Fuzz: random updates thrown at the chat logic through MitraApp.handle, from every kind of
person in every kind of state. Nothing escapes, nothing but template text reaches a person,
every text is valid Telegram HTML within 4096 UTF-16 units, and an invalid input changes
nothing in the database."""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.fakeapi.html import parse_html, utf16_len
from handlers.app import MitraApp
from handlers.callbacks import MAX_BYTES, Op, unpack
from handlers.context import Deps
from handlers.conversation import TASK_PROMPTS
from handlers.events import CallbackEvent, Contact, Event, IncomingFile, MessageEvent, Sender
from handlers.outbox import from_row
from handlers.replies import (
    AnswerCallback,
    EditMessage,
    InlineKeyboard,
    Reply,
    SendDocument,
    SendMessage,
)
from storage.archive import Archive
from storage.db import create_engine, session_factory
from storage.models import Base, Conversation, Outbox, Task, User
from tests.conftest import truncate_all
from tests.factories import builtin, new_case
from workflow import engine
from workflow.clock import ManualClock
from workflow.registry import install

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SPEC = builtin("sanggau-hubungan-media")

# Bookkeeping the delivery path writes on every update, valid or not: left out of the snapshot.
# A table name alone leaves out the whole table; (table, column) one column.
# When an account last wrote is bookkeeping too: any update, valid or not, says they are there.
BOOKKEEPING = frozenset(
    {
        "outbox",
        "processed_update",
        "chat_reach",
        ("conversation", "updated_at"),
        ("account", "last_inbound_at"),
    }
)

# Who sends: a stranger, people half way through registration, the applicant, officials
# (one typing a reason, one asked for a file for a task not his, one with nothing pending).
PERSONAS = (
    "stranger",
    "reg:name",
    "reg:phone",
    "reg:kind",
    "reg:press_card",
    "journalist",
    "admin",
    "kabid",
    "fungsional",
)
STRANGER_ID = 9_000_001

ODD = [
    "\u200f\u202eأهلا\u202c",  # RTL marks and an override
    "\u200b\u200c\u200d\ufeff",  # zero-width
    "👨‍👩‍👧‍👦🇮🇩" * 3,
    "e\u0301\u0301\u0301",
    "<b>tebal</b> <a href='javascript:x'>x</a> &amp; &lt; </i>",
    "{{ 7*7 }} {% raw %}",
    "\x00\x01\x1b[31m",
    "x" * 5000,
    "𝔘" * 5000,  # 10 000 UTF-16 units
    "<" * 5000,
    "6101014101900001",
    "+62 812 3456 7890",
    "https://example.com/" + "a" * 300,
    "",
    " ",
]
ACTIONS = sorted({a.name for s in SPEC.steps for a in s.actions})
KEYS = sorted({k.key for s in SPEC.steps for k in s.kelengkapan})
TASK_OPS = {o.value for o in Op} - {Op.cancel.value, Op.kind.value, Op.skip.value}
NO_SUCH = 99_999

texts = st.one_of(st.text(max_size=60), st.sampled_from(ODD))
commands = st.builds(
    lambda name, junk: f"/{name}{junk}",
    st.sampled_from(
        ["start", "batal", "bantuan", "ajukan", "status", "berita", "tugas", "laporan", "x"]
    ),
    st.one_of(
        st.just(""),
        st.sampled_from([" inv_bogus", " inv_", "@mitramedia_bot", "@other_bot junk", " \u200f"]),
        texts.map(lambda t: " " + t),
    ),
)
callback_data = st.one_of(
    st.text(max_size=70),
    st.sampled_from(["", "v1", "v1::", "v0:a:1:receive", "v1:a:1:receive:x", "v1:a:-1:x"]),
    st.builds(
        lambda op, ident, arg: f"v1:{op}:{ident}" + (f":{arg}" if arg else ""),
        st.sampled_from([o.value for o in Op] + ["Z"]),
        st.sampled_from(["task", "case", "0", str(NO_SUCH), "2" * 25, "-3"]),
        st.sampled_from([*ACTIONS, *KEYS, "new", "", "x" * 17, "DROP", "online"]),
    ),
)
JUNK_BYTES = [b"MZ\x90\x00" + b"\x00" * 64, b"<html><script>x</script></html>", b"", b"\xff" * 10]
documents = st.builds(
    lambda name, mime, size, content, photo: ("file", name, mime, size, content, photo),
    st.sampled_from([None, "kartu.pdf", "foto.jpg", "../../etc/passwd", "a" * 300 + ".pdf", "x"]),
    st.sampled_from([None, "application/pdf", "image/jpeg", "application/octet-stream", "x/y"]),
    st.sampled_from([None, 0, 1, 20, 10**9]),
    st.sampled_from(JUNK_BYTES),
    st.booleans(),
)
contacts = st.builds(
    lambda phone, owner: ("contact", phone, owner),
    st.sampled_from(["+6281234567890", "0812", "", "abc", "+1" + "9" * 30]),
    st.sampled_from([None, "other"]),
)
events = st.tuples(
    st.integers(0, len(PERSONAS) - 1),
    st.one_of(
        texts.map(lambda t: ("text", t)),
        commands.map(lambda t: ("text", t)),
        st.tuples(st.just("caption"), texts),
        documents,
        contacts,
        callback_data.map(lambda d: ("callback", d)),
    ),
)
scripts = st.lists(events, min_size=1, max_size=4)


class FakeFiles:
    """A FileFetcher that serves whatever bytes the script attached to a file id."""

    def __init__(self) -> None:
        self.content: dict[str, bytes] = {}

    async def download(self, file_id: str) -> bytes:
        return self.content[file_id]


async def replies_of(app: MitraApp, event: Event, files: FakeFiles) -> list[Reply]:
    """What the people see after one update: the button answer `handle` returns, then the
    outbox rows the update queued (the one place to re-point when replies move again)."""
    async with app.sessions() as s:
        last = await s.scalar(select(func.max(Outbox.id))) or 0
    answers = await app.handle(event, files)
    async with app.sessions() as s:
        rows = await s.scalars(select(Outbox).where(Outbox.id > last).order_by(Outbox.id))
        return [*answers, *(from_row(row) for row in rows)]


@dataclass
class Seeds:
    ids: dict[str, int]  # persona -> telegram id
    task_id: int
    case_id: int
    version_id: int


@dataclass
class World:
    app: MitraApp
    ids: dict[str, int]
    task_id: int
    case_id: int


async def _seed(sessions: Any) -> Seeds:
    who, journalist, case_id = await new_case(sessions, SPEC, NOW)
    ids = {"stranger": STRANGER_ID, "journalist": journalist.telegram_id}
    ids |= {k: who[k].telegram_id for k in ("admin", "kabid", "fungsional")}
    async with sessions() as s, s.begin():
        task = await engine.open_task_of_case(s, case_id)
        assert task is not None
        for n, name in enumerate(p for p in PERSONAS if p.startswith("reg:")):
            ids[name] = 9_100_000 + n
            s.add(User(telegram_id=ids[name], name="Calon", created_at=NOW, roles=[]))
            wizard = {"outlet": "Warta"} if name in ("reg:kind", "reg:press_card") else {}
            s.add(
                Conversation(
                    platform="telegram", chat_id=ids[name], state=name, data=wizard, updated_at=NOW
                )
            )
        for persona, state in (("admin", "reason"), ("kabid", "attach")):
            data = {"task_id": task.id, "action": "reject"}
            s.add(
                Conversation(
                    platform="telegram",
                    chat_id=ids[persona],
                    state=state,
                    data=data,
                    updated_at=NOW,
                )
            )
        version_id = (await install(s, SPEC, ManualClock(NOW))).id
    return Seeds(ids, task.id, case_id, version_id)


def _world(sessions: Any, seeds: Seeds, tmp: Path) -> World:
    deps = Deps(
        archive=Archive(tmp / "files"),
        version_id=seeds.version_id,
        spec=SPEC,
        files_dir=tmp / "files",
    )
    app = MitraApp(sessions, ManualClock(NOW + timedelta(minutes=5)), deps)
    return World(app, seeds.ids, seeds.task_id, seeds.case_id)


def _event(world: World, files: FakeFiles, n: int, persona: str, what: tuple) -> Event:
    uid = world.ids[persona]
    sender = Sender(uid, "Uji", None, None)
    kind = what[0]
    if kind == "callback":
        data = str(what[1]).replace(":task", f":{world.task_id}")
        data = data.replace(":case", f":{world.case_id}")
        return CallbackEvent(sender, uid, 500 + n, f"cb{n}", data)
    if kind == "text":
        return MessageEvent(sender, uid, 500 + n, text=what[1])
    if kind == "caption":
        return MessageEvent(sender, uid, 500 + n, caption=what[1])
    if kind == "contact":
        owner = None if what[2] is None else uid + 1
        return MessageEvent(sender, uid, 500 + n, contact=Contact(what[1], owner))
    _, name, mime, size, content, photo = what
    files.content[f"f{n}"] = content
    incoming = IncomingFile(f"f{n}", f"u{n}", name, mime, size, is_photo=photo)
    return MessageEvent(sender, uid, 500 + n, file=incoming)


def _starts(text: str) -> bool:
    """/start (not an invite's) or WhatsApp's 'daftar': a stranger begins registering."""
    word = text.split(" ", 1)[0].lower()
    return (word == "daftar" or text.startswith("/start")) and not text.startswith("/start inv_")


def _invalid(
    persona: str, what: tuple, event: Event, live: bool, registering: bool = False
) -> bool:
    """Inputs that must change nothing, by construction (a pending question is only ever
    cleared when it is no longer live, which the caller tells us). A stranger who has begun
    registering in this script is answering its questions: not invalid by construction."""
    if not live:
        return False
    kind = what[0]
    if kind == "callback":
        assert isinstance(event, CallbackEvent)
        cb = unpack(event.data)
        return persona == "stranger" or cb is None or (cb.op in TASK_OPS and cb.id == NO_SUCH)
    if kind == "contact":
        return what[2] is not None  # someone else's contact is never taken
    if kind == "file":
        return True  # none of the scripted contents is a real PDF, JPEG or PNG
    text = str(what[1]).strip()
    if persona == "stranger":
        return not registering and not _starts(text)
    return text.startswith("/start inv_") and persona not in ("admin", "kabid")


REPR = re.compile(r"Traceback|File \"|object at 0x|<class |Error\(|Exception\b|\bNone\b")


def _check_text(text: str, source: str) -> None:
    assert text.strip(), "an empty message"
    assert utf16_len(text) <= 4096, (utf16_len(text), text[:200])
    parse_html(text)  # raises on anything Telegram would refuse
    assert not REPR.search(text.replace(source, "")), text


def _check(replies: list[Reply], event: Event) -> None:
    source = (event.text or event.caption or "") if isinstance(event, MessageEvent) else ""
    answers = [r for r in replies if isinstance(r, AnswerCallback)]
    if isinstance(event, CallbackEvent):
        assert len(answers) == 1, replies  # every press answered, once
    else:
        assert not answers
    for reply in replies:
        if isinstance(reply, AnswerCallback):
            assert reply.text is None or 0 < len(reply.text) <= 200, reply
        elif isinstance(reply, SendMessage | EditMessage):
            _check_text(reply.text, source)
            if isinstance(reply.markup, InlineKeyboard):
                for row in reply.markup.rows:
                    for button in row:
                        assert button.text.strip()
                        if button.callback_data is not None:
                            assert len(button.callback_data.encode()) <= MAX_BYTES
                            assert unpack(button.callback_data) is not None
        elif isinstance(reply, SendDocument) and reply.caption:
            assert utf16_len(reply.caption) <= 1024
            parse_html(reply.caption)


async def snapshot(sessions: Any) -> dict[str, list[tuple]]:
    """Every row of every table but the bookkeeping ones."""
    tables: dict[str, list[tuple]] = {}
    async with sessions() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in BOOKKEEPING]
            rows = (await s.execute(select(*columns))).all()
            tables[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return tables


async def _live(world: World, uid: int) -> bool:
    """False when the sender's pending question about a task will be cleared (task handled)."""
    async with world.app.sessions() as s:
        row = await s.get(Conversation, ("telegram", uid))
        if row is None or row.state not in TASK_PROMPTS:
            return True
        task = await s.get(Task, int(row.data.get("task_id", 0)))
        return task is not None and task.status == engine.OPEN


async def _seeded(url: str) -> Seeds:
    db = create_engine(url)
    if db.dialect.name == "postgresql":
        await truncate_all(db)
    try:
        return await _seed(session_factory(db))
    finally:
        await db.dispose()


async def _example(url: str, seeds: Seeds | None, script: list, tmp: Path) -> None:
    """One script on a freshly seeded database (a copy of the seeded file on SQLite)."""
    seeds = seeds or await _seeded(url)
    db = create_engine(url)
    sessions = session_factory(db)
    try:
        world = _world(sessions, seeds, tmp)
        files = FakeFiles()
        registering = False  # the stranger said /start (or daftar) earlier in this script
        for n, (who, what) in enumerate(script):
            persona = PERSONAS[who]
            event = _event(world, files, n, persona, what)
            live = await _live(world, world.ids[persona])
            invalid = _invalid(persona, what, event, live, registering and persona == "stranger")
            if persona == "stranger" and what[0] == "text" and _starts(str(what[1]).strip()):
                registering = True
            before = await snapshot(sessions) if invalid else None
            replies = await replies_of(world.app, event, files)
            _check(replies, event)
            if invalid:
                assert await snapshot(sessions) == before, (persona, what)
    finally:
        await db.dispose()


def test_random_updates_never_crash_and_invalid_ones_change_nothing(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path
) -> None:
    postgres = db_url.startswith("postgresql")
    seeded = tmp_path / "seeded.db"
    seeds = None
    if not postgres:  # seeded once; each example gets a copy of the file
        shutil.copy(request.getfixturevalue("sqlite_template"), seeded)
        seeds = asyncio.run(_seeded(f"sqlite+aiosqlite:///{seeded}"))
    runs = iter(range(10**6))

    @settings(
        max_examples=10 if postgres else 60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    # Found by hypothesis: a stranger's name after /start (or WhatsApp's "daftar") is taken.
    @example(script=[(0, ("text", "/start")), (0, ("text", "00A"))])
    @example(script=[(0, ("text", "Daftar")), (0, ("text", "00A"))])
    @given(script=scripts)
    def run(script: list) -> None:
        tmp = tmp_path / f"run{next(runs)}"
        tmp.mkdir()
        url = db_url
        if seeds is not None:
            shutil.copy(seeded, tmp / "db.sqlite")
            url = f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}"
        asyncio.run(_example(url, seeds, script, tmp))

    run()
