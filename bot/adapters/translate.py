"""Translation shared by both adapters. aiogram's and PTB's types carry the Bot API's own field
names, so one duck-typed translation serves both; only the keyboard classes differ (a kit)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from handlers.events import (
    CallbackEvent,
    Contact,
    Event,
    IncomingFile,
    MemberEvent,
    MessageEvent,
    Sender,
)
from handlers.replies import InlineKeyboard, Markup, RemoveKeyboard, ReplyKeyboard

# --- incoming: framework types -> handlers events -------------------------------------------


def to_sender(user: Any) -> Sender:
    return Sender(user.id, user.first_name, user.last_name, user.username)


def to_file(message: Any) -> IncomingFile | None:
    if message.document is not None:
        doc = message.document
        return IncomingFile(
            doc.file_id, doc.file_unique_id, doc.file_name, doc.mime_type, doc.file_size
        )
    if message.photo:
        # Telegram sends every size it made; the largest is the original quality.
        best = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        # Telegram re-encodes every photo as JPEG, so the type is known.
        return IncomingFile(
            best.file_id, best.file_unique_id, None, "image/jpeg", best.file_size, is_photo=True
        )
    return None


def to_event(update: Any) -> Event | None:
    """One decoded update (aiogram's or PTB's Update) as a handlers event, if it is one we use."""
    update_id = update.update_id
    if update.message is not None:
        return to_message_event(update.message, update_id)
    if update.callback_query is not None:
        return to_callback_event(update.callback_query, update_id)
    if update.my_chat_member is not None:
        return to_member_event(update.my_chat_member, update_id)
    return None


def to_member_event(changed: Any, update_id: int | None = None) -> MemberEvent | None:
    if changed.chat.type != "private":
        return None  # groups and channels the bot was added to: not where it works
    status = changed.new_chat_member.status
    return MemberEvent(
        sender=to_sender(changed.from_user),
        chat_id=changed.chat.id,
        status=str(getattr(status, "value", status)),  # aiogram's enum or PTB's string
        update_id=update_id,
    )


def to_message_event(message: Any, update_id: int | None = None) -> MessageEvent | None:
    if message.from_user is None:
        return None  # channel posts and the like: nobody to answer
    contact = None
    if message.contact is not None:
        contact = Contact(message.contact.phone_number, message.contact.user_id)
    return MessageEvent(
        sender=to_sender(message.from_user),
        chat_id=message.chat.id,
        message_id=message.message_id,
        text=message.text,
        caption=message.caption,
        file=to_file(message),
        contact=contact,
        private=message.chat.type == "private",
        update_id=update_id,
    )


def to_callback_event(query: Any, update_id: int | None = None) -> CallbackEvent | None:
    if query.message is None or query.data is None:
        return None  # inline-mode messages and games: not something this bot sends
    return CallbackEvent(
        sender=to_sender(query.from_user),
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        callback_id=query.id,
        data=query.data,
        update_id=update_id,
    )


# --- outgoing: handlers markup -> framework markup (kit = aiogram.types or telegram) ---------


def to_inline(markup: InlineKeyboard, kit: ModuleType) -> Any:
    return kit.InlineKeyboardMarkup(
        inline_keyboard=[
            [
                kit.InlineKeyboardButton(text=b.text, callback_data=b.callback_data, url=b.url)
                for b in row
            ]
            for row in markup.rows
        ]
    )


def to_markup(markup: Markup, kit: ModuleType) -> Any:
    match markup:
        case InlineKeyboard():
            return to_inline(markup, kit)
        case ReplyKeyboard(rows=rows, request_contact=request_contact, one_time=one_time):
            keyboard = [[kit.KeyboardButton(text=label) for label in row] for row in rows]
            if request_contact and keyboard and keyboard[0]:
                keyboard[0][0] = kit.KeyboardButton(text=rows[0][0], request_contact=True)
            return kit.ReplyKeyboardMarkup(
                keyboard=keyboard, one_time_keyboard=one_time, resize_keyboard=True
            )
        case RemoveKeyboard():
            return kit.ReplyKeyboardRemove()
    return None
