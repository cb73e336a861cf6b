"""Reading and pressing in the fake chats the way a person would."""

from __future__ import annotations

import asyncio
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


async def edited(person: FakeUser, message: Any, before: Any, within: float = 10.0) -> Any:
    """The message once the press has changed it, as a person waits for the screen to change.
    The harness's settle() judges the bot idle from outside; on a loaded machine an edit
    queued behind a chat's pacing can land just after it, so wait (bounded) for the change."""
    for _ in range(int(within / 0.05)):
        now = current(person, message)
        if (now.text, person.buttons(now)) != before:
            return now
        await asyncio.sleep(0.05)
    return current(person, message)


async def arrived(person: FakeUser, documents: int, within: float = 10.0) -> None:
    """Wait (bounded) until `documents` files have reached the person: records are drawn after
    the commit and may land just after the harness judged the bot idle."""
    for _ in range(int(within / 0.05)):
        if len(person.documents) >= documents:
            return
        await asyncio.sleep(0.05)


def _screen(person: FakeUser, message: Any) -> tuple[Any, list[str]]:
    now = current(person, message)
    return now.text, person.buttons(now)


async def approve(person: FakeUser, label: str) -> None:
    """The taps of a plain approval: the action, 'Ya' if a question is asked, then 'all
    kelengkapan complete'."""
    prompt = message_with(person, label)
    before = _screen(person, prompt)
    await person.press(label, message_id=prompt.message_id)
    shown = await edited(person, prompt, before)
    if "✅ Ya" in person.buttons(shown):  # asked first (e.g. a short period)
        before = _screen(person, prompt)
        await person.press("✅ Ya", message_id=prompt.message_id)
        shown = await edited(person, prompt, before)
    if any("Semua lengkap" in b for b in person.buttons(shown)):
        before = _screen(person, prompt)
        await person.press("Semua lengkap", message_id=prompt.message_id)
        await edited(person, prompt, before)
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


async def evaluate(
    person: FakeUser, unmet: tuple[int, ...] = (), notes: dict[int, str] | None = None
) -> None:
    """Fill the evaluation form from the task prompt: each criterion (numbered from 1) met,
    except those in `unmet`; a note where `notes` gives one."""
    prompt = message_with(person, "Lembar evaluasi")
    await person.press("Lembar evaluasi", message_id=prompt.message_id)
    number = 1
    while "✅ Memenuhi" in person.buttons(person.bot_messages[-1]):
        form = person.bot_messages[-1]
        if notes and number in notes:
            await person.press("Catatan", message_id=form.message_id)
            await person.send(notes[number])
            form = person.bot_messages[-1]
        choice = "❌ Tidak memenuhi" if number in unmet else "✅ Memenuhi"
        await person.press(choice, message_id=form.message_id)
        number += 1
