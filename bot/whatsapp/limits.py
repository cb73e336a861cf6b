"""WhatsApp Cloud API limits, in one place: the fake enforces them, the renderer keeps within them.

Figures from Meta's Cloud API reference (messages, media, webhooks). Text lengths are counted in
UTF-16 code units, as Telegram's are: Meta says "characters" without defining them, and counting
an emoji as two can only make us stricter than the real server, never looser.
"""

from __future__ import annotations

from datetime import timedelta

GRAPH_VERSION = "v21.0"

TEXT_BODY = 4096  # a text message's body
INTERACTIVE_BODY = 1024  # body of a reply-button or list message
HEADER_TEXT = 60
FOOTER_TEXT = 60
CAPTION = 1024  # a document's or image's caption

REPLY_BUTTONS = 3
BUTTON_TITLE = 20
BUTTON_ID = 256

LIST_BUTTON_TEXT = 20  # the button that opens the list
LIST_SECTIONS = 10
LIST_ROWS = 10  # in all sections together
SECTION_TITLE = 24
ROW_TITLE = 24
ROW_ID = 200
ROW_DESCRIPTION = 72

TEMPLATE_PARAMETER = 1024  # one body parameter of a template message

# Media: the most a message may carry, and the types WhatsApp accepts, per kind.
MEDIA_LIMITS: dict[str, int] = {
    "document": 100 * 1024 * 1024,
    "image": 5 * 1024 * 1024,
    "audio": 16 * 1024 * 1024,
    "video": 16 * 1024 * 1024,
    "sticker": 500 * 1024,
}
MEDIA_TYPES: dict[str, frozenset[str]] = {
    "document": frozenset(
        {
            "text/plain",
            "application/pdf",
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        }
    ),
    "image": frozenset({"image/jpeg", "image/png"}),
    "audio": frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}),
    "video": frozenset({"video/mp4", "video/3gpp"}),
    "sticker": frozenset({"image/webp"}),
}
UPLOAD_MAX = max(MEDIA_LIMITS.values())

# After a person's last message, free-form messages may be sent for this long; after that only
# pre-approved template messages (Meta's "customer service window").
SERVICE_WINDOW = timedelta(hours=24)


def units(text: str) -> int:
    """Length in UTF-16 code units (an emoji outside the BMP counts as two)."""
    return len(text.encode("utf-16-le")) // 2


def media_kind(mime_type: str) -> str | None:
    """The message kind a MIME type can be sent as (image before document), or None."""
    for kind in ("image", "document", "audio", "video", "sticker"):
        if mime_type in MEDIA_TYPES[kind]:
            return kind
    return None
