"""Reading and pressing in the fake chats the way a person would."""

from __future__ import annotations

from typing import Any

from bot.fakeapi.harness import FakeUser


def message_with(person: FakeUser, label: str) -> Any:
    for message in reversed(person.bot_messages):
        if any(label in b for b in person.buttons(message)):
            return message
    raise AssertionError(f"no message of {person} has a {label!r} button")


def current(person: FakeUser, message: Any) -> Any:
    return next(m for m in person.bot_messages if m.message_id == message.message_id)


def button_data(message: Any, label: str) -> str:
    for row in (message.reply_markup or {}).get("inline_keyboard", []):
        for button in row:
            if label in button["text"]:
                return str(button["callback_data"])
    raise AssertionError(f"no {label!r} button")


async def approve(person: FakeUser, label: str) -> None:
    """The two taps of a plain approval: the action, then 'all kelengkapan complete'."""
    prompt = message_with(person, label)
    await person.press(label, message_id=prompt.message_id)
    if any("Semua lengkap" in b for b in person.buttons(current(person, prompt))):
        await person.press("Semua lengkap", message_id=prompt.message_id)
    handled = current(person, prompt)
    assert "oleh" in handled.text and not person.buttons(handled), handled.text


async def with_reason(person: FakeUser, label: str, reason: str) -> None:
    prompt = message_with(person, label)
    await person.press(label, message_id=prompt.message_id)
    assert "Tulis" in person.last.text
    await person.send(reason)
    if "✅ Ya" in person.buttons():  # the SOP's confirm: question, with the reason quoted
        assert reason in person.last.text
        await person.press("✅ Ya")
