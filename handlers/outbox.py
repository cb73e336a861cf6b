"""Replies as outbox rows: written in the transaction of the change that caused them.

A reply is data (handlers/replies.py); here it becomes a row the sender (bot/outbox_sender.py)
delivers after the commit, and back again. Only callback answers skip the outbox: they must be
immediate and are worthless later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.platforms import EDITS_IN_PLACE
from handlers.replies import (
    AnswerCallback,
    Button,
    EditMessage,
    InlineKeyboard,
    Markup,
    PromptRef,
    RemoveKeyboard,
    Reply,
    ReplyKeyboard,
    SendDocument,
    SendMessage,
    SetCommands,
)
from storage.models import Outbox, TaskPrompt

KINDS = {
    SendMessage: "message",
    EditMessage: "edit",
    SendDocument: "document",
    SetCommands: "commands",
}


async def enqueue(session: AsyncSession, replies: Iterable[Reply], now: datetime) -> list[int]:
    """Adds a row per reply (callback answers excepted), in order, and returns their ids; prompts
    get their TaskPrompt at once, without a message id, so an edit made before the send is
    delivered still finds it."""
    # Callback answers go at once; command menus exist on Telegram only.
    queued = [r for r in replies if not isinstance(r, AnswerCallback) and not _menu_elsewhere(r)]
    if not queued:
        return []
    rows = [
        {
            "platform": reply.platform,
            "chat_id": _chat_of(reply),
            "kind": KINDS[type(reply)],
            "payload": to_payload(reply),
            "created_at": now,
            "next_attempt_at": now,
            "after_id": reply.after_outbox if isinstance(reply, EditMessage) else None,
            "state": "pending",
            "attempts": 0,
        }
        for reply in queued
    ]
    ids = list(await session.scalars(_QUEUE, rows))
    for row_id, reply in zip(ids, queued, strict=True):
        if isinstance(reply, SendMessage) and reply.prompt is not None:
            session.add(
                TaskPrompt(
                    task_id=reply.prompt.task_id,
                    user_id=reply.prompt.user_id,
                    platform=reply.platform,
                    chat_id=reply.chat_id,
                    message_id=None,
                    outbox_id=row_id,
                    sent_at=now,
                )
            )
    return ids


# Every reply is a row: an INSERT on the table (compiled once, one statement for several rows),
# not the ORM's unit of work, which cost a quarter of a /bantuan. Nothing reads the rows back
# as objects in the transaction that queued them.
_OUTBOX = cast(Table, Outbox.__table__)
_QUEUE = insert(_OUTBOX).returning(_OUTBOX.c.id, sort_by_parameter_order=True)


async def prompt_copies(session: AsyncSession, task_id: int) -> list[TaskPrompt]:
    """Every copy of a task's prompt, sent or still waiting in the outbox (dead sends excluded)."""
    dead = select(Outbox.id).where(Outbox.state == "dead")
    return list(
        await session.scalars(
            select(TaskPrompt)
            .where(TaskPrompt.task_id == task_id)
            .where(TaskPrompt.outbox_id.is_(None) | TaskPrompt.outbox_id.not_in(dead))
            .order_by(TaskPrompt.id)
        )
    )


def edit_of(prompt: TaskPrompt, text: str, markup: InlineKeyboard | None) -> EditMessage:
    """An edit of one prompt copy; one still in the outbox is edited once its send is done."""
    platform = prompt.platform
    if prompt.message_id is not None:
        return EditMessage(prompt.chat_id, prompt.message_id, text, markup, platform=platform)
    return EditMessage(
        prompt.chat_id, None, text, markup, after_outbox=prompt.outbox_id, platform=platform
    )


def edits_of(
    prompts: Iterable[TaskPrompt], text: str, markup: InlineKeyboard | None
) -> list[EditMessage]:
    """The edits that show a prompt's new state to every holder of a copy. Where an edit is a
    new message (WhatsApp), a chat holding several copies (the prompt and its reminder, a
    journalist's re-sent step) would get the same news once per copy: it gets it once, under
    its newest copy; an older copy's buttons are refused politely when pressed."""
    copies = list(prompts)
    newest = {(p.platform, p.chat_id): p for p in copies if p.platform not in EDITS_IN_PLACE}
    return [
        edit_of(p, text, markup)
        for p in copies
        if p.platform in EDITS_IN_PLACE or newest[(p.platform, p.chat_id)] is p
    ]


def _menu_elsewhere(reply: Reply) -> bool:
    return isinstance(reply, SetCommands) and reply.platform != "telegram"


def _chat_of(reply: Reply) -> int:
    if isinstance(reply, SetCommands):
        return reply.chat_id or 0
    assert not isinstance(reply, AnswerCallback)
    return reply.chat_id


# --------------------------------------------------------------------------- (de)serialising


def to_payload(reply: Reply) -> dict[str, Any]:
    match reply:
        case SendMessage():
            return {
                "text": reply.text,
                "markup": _markup_payload(reply.markup),
                "prompt": asdict(reply.prompt) if reply.prompt else None,
                "reply_to": reply.reply_to,
            }
        case EditMessage():
            return {
                "message_id": reply.message_id,
                "text": reply.text,
                "markup": _markup_payload(reply.markup),
            }
        case SendDocument():
            return asdict(reply)
        case SetCommands():
            return {"commands": [list(c) for c in reply.commands], "chat_id": reply.chat_id}
    raise TypeError(f"{type(reply).__name__} does not go through the outbox")


def from_row(row: Outbox, message_id: int | None = None) -> Reply:
    """The reply a row holds; `message_id` fills in an edit that waited for its send."""
    data = row.payload
    match row.kind:
        case "message":
            prompt = PromptRef(**data["prompt"]) if data.get("prompt") else None
            return SendMessage(
                row.chat_id,
                data["text"],
                _markup(data.get("markup")),
                prompt,
                data.get("reply_to"),
                row.platform,
            )
        case "edit":
            markup = _markup(data.get("markup"))
            inline = markup if isinstance(markup, InlineKeyboard) else None
            return EditMessage(
                row.chat_id,
                message_id or data["message_id"],
                data["text"],
                inline,
                platform=row.platform,
            )
        case "document":
            return SendDocument(**{**data, "platform": row.platform})
        case "commands":
            commands = tuple((str(a), str(b)) for a, b in data["commands"])
            return SetCommands(commands, data.get("chat_id"), row.platform)
    raise ValueError(f"unknown outbox kind {row.kind!r}")


def _markup_payload(markup: Markup) -> dict[str, Any] | None:
    match markup:
        case InlineKeyboard(rows=rows):
            return {"inline": [[asdict(b) for b in row] for row in rows]}
        case ReplyKeyboard():
            return {
                "reply": [list(r) for r in markup.rows],
                "request_contact": markup.request_contact,
                "one_time": markup.one_time,
            }
        case RemoveKeyboard():
            return {"remove": True}
    return None


def _markup(data: dict[str, Any] | None) -> Markup:
    if not data:
        return None
    if "inline" in data:
        return InlineKeyboard(tuple(tuple(Button(**b) for b in row) for row in data["inline"]))
    if "reply" in data:
        return ReplyKeyboard(
            tuple(tuple(r) for r in data["reply"]), data["request_contact"], data["one_time"]
        )
    return RemoveKeyboard()
