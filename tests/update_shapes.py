"""Real update shapes other projects captured for their own test suites (issue 16: checked from
outside). Typed in by hand, trimmed to the fields that matter; each names where it comes from.
Ids are rewritten by the tests to a user of theirs (`as_user`)."""

from __future__ import annotations

import copy
from typing import Any

_FROM = {"id": 86815320, "is_bot": False, "first_name": "Ирина", "language_code": "en"}
_CHAT = {"id": 86815320, "first_name": "Ирина", "type": "private"}
_THUMB = {
    "file_id": "AAMCAgADGQEAAwJkKH4PxBVEHt87CMCPOZvSZKQsiQACeikAAiBAQEnwcXzpsPALLwEAB20AAy8E",
    "file_unique_id": "AQADeikAAiBAQEly",
    "file_size": 20477,
    "width": 180,
    "height": 320,
}

SHAPES: dict[str, dict[str, Any]] = {
    # IAmIrina/filetreck_bot tests/data/messages.py `video`: a forwarded video with the legacy
    # forward_from/forward_date (no forward_origin) and both `thumbnail` and the old `thumb`.
    "legacy_forwarded_video": {
        "message_id": 2,
        "from": _FROM,
        "chat": _CHAT,
        "date": 1680375312,
        "forward_from": _FROM,
        "forward_date": 1680350098,
        "video": {
            "duration": 29,
            "width": 720,
            "height": 1280,
            "mime_type": "video/mp4",
            "thumbnail": _THUMB,
            "thumb": _THUMB,
            "file_id": "BAACAgIAAxkBAAMCZCh-D8QVRB7fOwjAjzmb0mSkLIkAAnopAAIgQEBJ8HF86bDwCy8vBA",
            "file_unique_id": "AgADeikAAiBAQEk",
            "file_size": 18081996,
        },
    },
    # valentino-sm/fastapi-telegram-onion-echobot tests/mock_data.py `tg_message`: a reply
    # whose replied-to message carries only its id (no date, no chat).
    "reply_to_bare_message_id": {
        "message_id": 1,
        "text": "testtext",
        "date": 1,
        "from": {"id": 1, "first_name": "TestName", "username": "testusername", "is_bot": True},
        "chat": {"id": 1, "type": "private", "first_name": "TestChatName"},
        "reply_to_message": {"message_id": 1},
    },
    # qertis/telegram-bot-activitystreams test/fixture/sticker.cjs: an animated sticker.
    "animated_sticker": {
        "message_id": 999,
        "from": {"id": 1, "is_bot": False, "first_name": "First", "is_premium": True},
        "chat": {"id": 1, "first_name": "First", "last_name": "Last", "type": "private"},
        "date": 1721101394,
        "sticker": {
            "width": 512,
            "height": 512,
            "emoji": "👋",
            "set_name": "CupidKitty",
            "is_animated": True,
            "is_video": False,
            "type": "regular",
            "file_id": "CAACAgIAAxkBAAIBbWaV7FLfQjiCWFroklACMNRhVB1zAAJpAgACygMGC9ZpcBbUrv-1NQQ",
            "file_unique_id": "AgADaQIAAsoDBgs",
            "file_size": 44398,
        },
    },
    # qertis/telegram-bot-activitystreams test/fixture/bot_output.cjs: a full reply, and
    # has_protected_content.
    "reply_with_protected_content": {
        "message_id": 1,
        "from": {"id": 1, "is_bot": False, "first_name": "Denis", "is_premium": True},
        "chat": {"id": 1, "first_name": "Hello", "username": "helloworld", "type": "private"},
        "date": 1740594648,
        "reply_to_message": {
            "message_id": 1,
            "from": {"id": 1, "is_bot": False, "first_name": "Denis"},
            "chat": {"id": 1, "first_name": "Hello", "type": "private"},
            "date": 1740594642,
            "text": "example",
        },
        "text": "My text",
        "has_protected_content": True,
    },
    # IAmIrina/filetreck_bot tests/data/messages.py `new_user`, completed as Telegram sends a
    # /start: a bot_command entity over the whole text.
    "start_command": {
        "message_id": 5,
        "from": _FROM,
        "chat": _CHAT,
        "date": 1680375000,
        "text": "/start",
        "entities": [{"offset": 0, "length": 6, "type": "bot_command"}],
    },
}


def as_user(shape: dict[str, Any], user_id: int) -> dict[str, Any]:
    """A deep copy with every sender and private chat id set to `user_id`."""
    out = copy.deepcopy(shape)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("from", "forward_from"):
                if isinstance(node.get(key), dict):
                    node[key]["id"] = user_id
            chat = node.get("chat")
            if isinstance(chat, dict) and chat.get("type") == "private":
                chat["id"] = user_id
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(out)
    return out
