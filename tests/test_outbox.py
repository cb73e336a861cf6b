"""The outbox's own guarantees: replies survive as data, a redelivered update changes nothing,
and the sender never lets a chat's later row overtake an earlier one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.factory import build_product
from bot.outbox_sender import _heads, _prefix
from handlers.events import CallbackEvent, MessageEvent, Sender
from handlers.outbox import edits_of, from_row, to_payload
from handlers.platforms import PLATFORMS
from handlers.replies import (
    Button,
    EditMessage,
    InlineKeyboard,
    PromptRef,
    RemoveKeyboard,
    ReplyKeyboard,
    SendDocument,
    SendMessage,
    SetCommands,
)
from storage.models import Base, Outbox, TaskPrompt
from workflow.clock import ManualClock

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

texts = st.text(min_size=1, max_size=300)
buttons = st.builds(
    Button,
    texts,
    st.one_of(st.none(), st.text(max_size=64)),
    st.one_of(st.none(), st.just("https://x.id")),
)
markups = st.one_of(
    st.none(),
    st.builds(
        InlineKeyboard, st.lists(st.lists(buttons, max_size=3).map(tuple), max_size=4).map(tuple)
    ),
    st.builds(
        ReplyKeyboard,
        st.lists(st.lists(texts, min_size=1, max_size=2).map(tuple), min_size=1, max_size=2).map(
            tuple
        ),
        st.booleans(),
        st.booleans(),
    ),
    st.just(RemoveKeyboard()),
)
chat_ids = st.integers(min_value=1, max_value=2**40)
platforms = st.sampled_from(PLATFORMS)
replies = st.one_of(
    st.builds(
        SendMessage,
        chat_ids,
        texts,
        markups,
        st.one_of(st.none(), st.builds(PromptRef, st.integers(1, 99), st.integers(1, 99))),
        platform=platforms,
    ),
    st.builds(
        EditMessage,
        chat_ids,
        st.integers(1, 10**6),
        texts,
        st.one_of(st.none(), st.builds(InlineKeyboard, st.just(((Button("a", "b"),),)))),
        platform=platforms,
    ),
    st.builds(
        SendDocument,
        chat_ids,
        texts,
        texts,
        st.just("application/pdf"),
        st.one_of(st.none(), texts),
        st.one_of(st.none(), texts),
        st.booleans(),
    ),
    st.builds(
        SetCommands, st.lists(st.tuples(texts, texts), max_size=3).map(tuple), st.none() | chat_ids
    ),
)


@given(replies)
def test_a_reply_survives_the_outbox_unchanged(reply: Any) -> None:
    kinds = {SendMessage: "message", EditMessage: "edit", SendDocument: "document"}
    row = Outbox(
        platform=reply.platform,
        chat_id=getattr(reply, "chat_id", None) or 0,
        kind=kinds.get(type(reply), "commands"),
        payload=to_payload(reply),
    )
    assert from_row(row) == reply


pending_rows = st.lists(
    st.tuples(st.integers(1, 4), st.booleans(), st.booleans()), max_size=40
)  # (chat, due, leased)


@given(pending_rows, st.sets(st.integers(1, 4)), st.integers(1, 5))
def test_a_chat_never_sends_a_row_past_an_earlier_one(
    rows: list[tuple[int, bool, bool]], away: set[int], per_chat: int
) -> None:
    later, lease = NOW + timedelta(seconds=30), NOW + timedelta(seconds=45)
    pending = [
        (i, chat, NOW if due else later, lease if leased else None)
        for i, (chat, due, leased) in enumerate(rows, start=1)
    ]
    heads = _heads(pending, away, NOW, per_chat)
    for chat, ids in heads.items():
        mine = [p for p in pending if p[1] == chat]
        assert chat not in away
        assert ids == [p[0] for p in mine[: len(ids)]]  # a prefix of the chat's own queue
        assert len(ids) <= per_chat
        assert all(p[2] <= NOW and p[3] is None for p in mine[: len(ids)])
    taken = {i for ids in heads.values() for i in ids}
    assert _prefix(sorted(taken), taken) == sorted(taken)
    assert _prefix([1, 2, 3], {1, 3}) == [1]  # the head held elsewhere stops the chat


async def _snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in Base.metadata.sorted_tables:
        rows = (await session.execute(select(table))).all()
        out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return out


async def test_a_redelivered_update_changes_nothing_and_sends_nothing(
    db_url: str, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, database_url=db_url, files_dir=tmp_path / "files")
    product = await build_product(settings, clock=ManualClock(NOW))
    try:
        if product.engine.dialect.name == "postgresql":
            from tests.conftest import truncate_all

            await truncate_all(product.engine)
            product = await build_product(settings, clock=ManualClock(NOW))
        app = product.app
        rina = Sender(5150, "Rina")
        start = MessageEvent(rina, 5150, 1, text="/start", update_id=900)
        first = await app.handle(start, _NoFiles())
        assert first == []  # the welcome waits in the outbox, not in the return value
        async with product.sessions() as s:
            queued = list(await s.scalars(select(Outbox)))
            assert [r.chat_id for r in queued] and "Selamat datang" in str(queued[0].payload)
            before = await _snapshot(s)
        assert await app.handle(start, _NoFiles()) == []
        press = CallbackEvent(rina, 5150, 2, "cb-1", "v1:nonsense", update_id=900)
        assert await app.handle(press, _NoFiles()) == []  # same update id: not even answered
        async with product.sessions() as s:
            assert await _snapshot(s) == before
            assert (await s.execute(text("SELECT count(*) FROM processed_update"))).scalar() == 1
    finally:
        await product.close()


class _NoFiles:
    async def download(self, file_id: str) -> bytes:
        raise AssertionError("no download expected")


async def test_old_sent_rows_and_update_ids_are_forgotten_but_prompts_stay_editable(
    sessions: Any,
) -> None:
    from bot.outbox_sender import OutboxSender
    from storage.models import ProcessedUpdate, TaskPrompt
    from tests.factories import builtin, make_journalist
    from workflow import engine as wf
    from workflow.registry import install

    clock = ManualClock(NOW)
    async with sessions() as s, s.begin():
        version = await install(s, builtin("sanggau-hubungan-media"), clock)
        user, outlet = await make_journalist(s, NOW)
        opened = await wf.submit_case(
            s, version=version, applicant=user, outlet_id=outlet.id, subject="x", now=NOW
        )
        task = opened.new_tasks[0]
        row = Outbox(
            chat_id=1,
            kind="message",
            payload={"text": "x"},
            state="sent",
            attempts=1,
            created_at=NOW,
            next_attempt_at=NOW,
            sent_at=NOW,
            message_id=42,
        )
        s.add(row)
        await s.flush()
        s.add(
            TaskPrompt(
                task_id=task.id,
                user_id=user.id,
                chat_id=1,
                message_id=42,
                outbox_id=row.id,
                sent_at=NOW,
            )
        )
        s.add(ProcessedUpdate(platform="telegram", update_id=1, at=NOW))
    clock.advance(days=31)
    sender = OutboxSender(sessions, None, clock, builtin("sanggau-hubungan-media"))  # type: ignore[arg-type]
    await sender._tidy()
    async with sessions() as s:
        assert list(await s.scalars(select(Outbox))) == []
        assert list(await s.scalars(select(ProcessedUpdate))) == []
        prompt = await s.scalar(select(TaskPrompt))
        assert prompt is not None and prompt.message_id == 42 and prompt.outbox_id is None


async def test_old_whatsapp_message_numbers_go_unless_a_prompt_still_names_them(
    sessions: Any,
) -> None:
    """A WhatsApp press names its message by number (bot/whatsapp/ids.py): the numbers of a
    month-old chat go, the one an open prompt copy holds stays, so pressing it still works."""
    from bot.outbox_sender import OutboxSender
    from storage.models import TaskPrompt, WaMessage
    from tests.factories import builtin, make_journalist
    from workflow import engine as wf
    from workflow.registry import install

    clock = ManualClock(NOW)
    async with sessions() as s, s.begin():
        version = await install(s, builtin("sanggau-hubungan-media"), clock)
        user, outlet = await make_journalist(s, NOW)
        opened = await wf.submit_case(
            s, version=version, applicant=user, outlet_id=outlet.id, subject="x", now=NOW
        )
        old_prompt = WaMessage(wamid="wamid.prompt", chat_id=628, created_at=NOW)
        old_note = WaMessage(wamid="wamid.note", chat_id=628, created_at=NOW)
        s.add_all([old_prompt, old_note])
        await s.flush()
        s.add(
            TaskPrompt(
                task_id=opened.new_tasks[0].id,
                user_id=user.id,
                platform="whatsapp",
                chat_id=628,
                message_id=old_prompt.id,
                sent_at=NOW,
            )
        )
    clock.advance(days=31)
    async with sessions() as s, s.begin():
        s.add(WaMessage(wamid="wamid.today", chat_id=628, created_at=clock.now()))
    spec = builtin("sanggau-hubungan-media")
    telegram = OutboxSender(sessions, None, clock, spec)  # type: ignore[arg-type]
    await telegram._tidy()
    async with sessions() as s:
        assert len(list(await s.scalars(select(WaMessage)))) == 3  # not Telegram's to forget
    whatsapp = OutboxSender(sessions, None, clock, spec, platform="whatsapp")  # type: ignore[arg-type]
    await whatsapp._tidy()
    async with sessions() as s:
        kept = sorted(m.wamid for m in await s.scalars(select(WaMessage)))
    assert kept == ["wamid.prompt", "wamid.today"]


def test_a_chat_that_cannot_edit_hears_of_a_prompt_once_however_many_copies_it_holds() -> None:
    def copy(platform: str, chat_id: int, message_id: int) -> TaskPrompt:
        return TaskPrompt(task_id=1, user_id=1, platform=platform, chat_id=chat_id,
                          message_id=message_id, sent_at=NOW)  # fmt: skip

    copies = [
        copy("telegram", 10, 1),  # the prompt and its reminder, on Telegram: both changed
        copy("whatsapp", 62811, 2),
        copy("telegram", 10, 3),
        copy("whatsapp", 62811, 4),  # WhatsApp: one follow-up, under the newest copy
        copy("whatsapp", 62822, 5),  # another holder's chat
    ]
    edits = edits_of(copies, "Diterima oleh Budi", None)
    assert [(e.platform, e.chat_id, e.message_id) for e in edits] == [
        ("telegram", 10, 1),
        ("telegram", 10, 3),
        ("whatsapp", 62811, 4),
        ("whatsapp", 62822, 5),
    ]
