"""Issue 16, from outside and at random: update shapes the bot did not plan for, fed to each
adapter's `feed` (its framework's decoder, our translation, its dispatch) without a network.

- real shapes other projects captured (tests/update_shapes.py): each is either handled or
  answered politely, and the next update is answered;
- hypothesis mutates real shapes (drop a field, change its type, add one) and the bot never
  stops answering the well-formed update that follows;
- unknown content through MitraApp.handle: a sticker in a private chat gets the short
  polite answer, in a group nothing.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.fakeapi import FakeTelegram
from bot.runtime import build_adapter
from handlers.app import MitraApp
from handlers.context import Deps
from handlers.events import Event, MessageEvent
from handlers.ports import FileFetcher
from handlers.render import render
from handlers.replies import PromptRef, Reply, SendMessage
from storage.archive import Archive
from tests.factories import builtin
from tests.test_intake import UNREADABLE_SHAPES
from tests.update_shapes import SHAPES, as_user
from workflow.clock import ManualClock
from workflow.registry import install

USER, OTHER = 7001, 7002
UNREADABLE = render("unreadable")


@dataclass
class Recorder:
    """A ChatApp that answers every message with 'ok'; and the deliverer's stand-in."""

    events: list[Event] = field(default_factory=list)
    sent: list[Reply] = field(default_factory=list)

    async def startup(self) -> list[Reply]:
        return []

    async def prompt_sent(
        self, ref: PromptRef, chat_id: int, message_id: int, platform: str = "telegram"
    ) -> None:
        pass

    async def handle(self, event: Event, files: FileFetcher) -> list[Reply]:
        self.events.append(event)
        return [SendMessage(event.chat_id, "ok")] if isinstance(event, MessageEvent) else []

    async def deliver(self, replies: Sequence[Reply]) -> None:
        self.sent.extend(replies)

    def texts_to(self, chat_id: int) -> list[str]:
        return [r.text for r in self.sent if isinstance(r, SendMessage) and r.chat_id == chat_id]


class Fed:
    """One adapter of `framework` on its own event loop, fed raw updates directly."""

    def __init__(self, framework: str) -> None:
        self.loop = asyncio.Runner()
        self.app = Recorder()
        self.fake = FakeTelegram()  # only for PTB's initialize() (getMe); replies are recorded
        self.adapter: Any = self.loop.run(self._build(framework))
        self.adapter.runner.deliverer.deliver = self.app.deliver  # the Feeder's too
        self.next_id = 1

    async def _build(self, framework: str) -> Any:
        await self.fake.start()
        settings = Settings(
            bot_token=SecretStr(self.fake.token),
            bot_framework=framework,  # type: ignore[arg-type]
            telegram_api_base=self.fake.base_url,
        )
        adapter: Any = build_adapter(settings, self.app)
        if framework == "ptb":
            await adapter.application.initialize()
        return adapter

    async def _close(self) -> None:
        await self.adapter.stop()
        await self.fake.stop()

    def feed(self, kind: str, payload: dict[str, Any]) -> None:
        self.next_id += 1
        self.loop.run(self.adapter.feed({"update_id": self.next_id, kind: payload}))

    def close(self) -> None:
        self.loop.run(self._close())
        self.loop.close()


def well_formed(user_id: int, text: str) -> dict[str, Any]:
    return {
        "message_id": 500,
        "date": 1_790_000_000,
        "chat": {"id": user_id, "type": "private", "first_name": "Sari"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Sari"},
        "text": text,
    }


@pytest.fixture(scope="module", params=["aiogram", "ptb"])
def fed(request: pytest.FixtureRequest) -> Iterator[Fed]:
    adapter = Fed(str(request.param))
    yield adapter
    adapter.close()


@pytest.mark.parametrize("shape", list(SHAPES))
def test_real_shapes_are_handled_or_answered_and_the_next_update_is_answered(
    fed: Fed, shape: str
) -> None:
    fed.app.sent.clear()
    events = len(fed.app.events)
    fed.feed("message", as_user(SHAPES[shape], USER))
    handled = len(fed.app.events) > events
    # Read and passed on (then the app's answer), or unreadable and answered politely.
    assert fed.app.texts_to(USER) == (["ok"] if handled else [UNREADABLE]), shape
    fed.feed("message", well_formed(OTHER, "halo"))
    assert fed.app.texts_to(OTHER) == ["ok"]


def test_the_legacy_shapes_are_read_by_both_frameworks(fed: Fed) -> None:
    """The shapes above that a current framework should read: if one stops reading them, an
    upgrade broke something real users send."""
    for shape in ("legacy_forwarded_video", "animated_sticker", "start_command"):
        events = len(fed.app.events)
        fed.feed("message", as_user(SHAPES[shape], USER))
        assert len(fed.app.events) == events + 1, shape


# --- hypothesis: mutated real shapes -----------------------------------------------------------

BASES = [as_user(s, USER) for s in SHAPES.values()] + [
    as_user(s, USER) for s in UNREADABLE_SHAPES.values()
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    shape = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(shape)
        path = draw(st.sampled_from(paths))
        parent: Any = shape
        for key in path[:-1]:
            parent = parent[key]
        op = draw(st.sampled_from(["drop", "retype", "add"]))
        if op == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["origin", "story", "x_new", "type", "date"]))] = draw(JSON)
        else:
            kind = type(parent[path[-1]])
            parent[path[-1]] = draw(JSON.filter(lambda v: type(v) is not kind))  # noqa: B023
    return shape


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    shape=mutated(), text=st.text(min_size=1, max_size=20).filter(lambda t: not t.startswith("/"))
)
def test_a_mutated_update_never_stops_the_bot_answering_the_next(
    fed: Fed, shape: dict[str, Any], text: str
) -> None:
    fed.app.sent.clear()
    fed.feed("message", shape)  # whatever it does, it does not raise
    fed.feed("message", well_formed(OTHER, text))
    assert fed.app.texts_to(OTHER) == ["ok"]


# --- unknown content through the chat logic ----------------------------------------------------

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("private", [True, False])
async def test_a_sticker_gets_a_short_answer_in_private_and_nothing_in_a_group(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path, private: bool
) -> None:
    from aiogram.types import Update

    from bot.adapters.translate import to_event

    spec = builtin("sanggau-hubungan-media")
    clock = ManualClock(NOW)
    async with sessions() as s, s.begin():
        version = await install(s, spec, clock)
    deps = Deps(archive=Archive(tmp_path), version_id=version.id, spec=spec, files_dir=tmp_path)
    app = MitraApp(sessions, clock, deps)
    sticker = as_user(SHAPES["animated_sticker"], USER)  # the real shape, read as the bot does
    if not private:
        sticker["chat"] = {"id": -100500, "type": "supergroup", "title": "Redaksi"}
    event = to_event(Update.model_validate({"update_id": 77, "message": sticker}))
    assert isinstance(event, MessageEvent)
    replies = await app.handle(event, files=None)  # type: ignore[arg-type]  # nothing to fetch
    assert replies == ([SendMessage(USER, render("unsupported_content"))] if private else [])
