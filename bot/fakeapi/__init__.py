"""A strict fake of Telegram's Bot API plus simulated users, for end-to-end tests.

Point the real bot (aiogram or python-telegram-bot) at ``FakeTelegram.base_url`` and
drive it with ``fake.user(...)``::

    async with FakeTelegram() as fake:
        ...start the bot with its API base URL set to fake.base_url...
        alice = fake.user(1001, "Alice")
        await alice.send("/start")
        assert "Selamat datang" in alice.last.text
        await alice.press("Setuju")
        assert fake.rejected == []
"""

from . import faults
from .faults import Fault, FaultPlan
from .harness import CallbackAnswer, FakeUser
from .html import HtmlParseError, ParsedText, parse_html
from .server import (
    ApiError,
    CallbackQueryRecord,
    FakeTelegram,
    RecordedRequest,
    StoredFile,
    StoredMessage,
)

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "CallbackQueryRecord",
    "FakeTelegram",
    "FakeUser",
    "Fault",
    "FaultPlan",
    "HtmlParseError",
    "ParsedText",
    "RecordedRequest",
    "StoredFile",
    "StoredMessage",
    "faults",
    "parse_html",
]
