"""Telegram's HTML parse mode, reproduced byte for byte.

The parser follows the state machine of tdlib's ``parse_html`` (the code behind
``parse_mode=HTML`` in the Bot API server) so the fake answers the same
``can't parse entities: ...`` errors, with the same byte offsets, as the real server.
Offsets and lengths of the resulting entities are in UTF-16 code units, like the Bot API's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

Entity = dict[str, Any]

SUPPORTED_TAGS = frozenset(
    "a b strong i em s strike del u ins tg-spoiler tg-emoji span pre code blockquote".split()
)

_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}

# tdlib orders entities that start at the same offset and have the same length by these.
_TYPE_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}

_SPACE = frozenset(b" \t\r\n\x0b\x0c")
_TRIMMED = " \t\r\n\x0b\x0c"
_NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(err)`` is tdlib's message."""


@dataclass(frozen=True)
class ParsedText:
    text: str
    entities: list[Entity] = field(default_factory=list)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    raw = text.encode("utf-16-le")
    return raw[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    byte_pos: int  # where the tag's content starts in the output buffer


class _HtmlParser:
    def __init__(self, source: str, strict_ampersand: bool) -> None:
        self.src = source.encode("utf-8")
        self.strict_ampersand = strict_ampersand
        self.out = bytearray()
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[Entity] = []

    def at(self, pos: int) -> int:
        # tdlib reads a NUL-terminated buffer; 0 marks the end here too.
        return self.src[pos] if pos < len(self.src) else 0

    def parse(self) -> ParsedText:
        i = 0
        while i < len(self.src):
            c = self.src[i]
            if c == ord("&"):
                decoded = _decode_entity(self.src, i)
                if decoded is not None:
                    char, i = decoded
                    self._emit_char(char)
                    continue
                if self.strict_ampersand:
                    raise HtmlParseError(f'Unescaped "&" at byte offset {i}')
            if c != ord("<"):
                self._emit_byte(c)
                i += 1
                continue
            i = self._end_tag(i) if self.at(i + 1) == ord("/") else self._start_tag(i)
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        return ParsedText(self.out.decode("utf-8"), _sorted_entities(self.entities))

    def _emit_byte(self, c: int) -> None:
        if c & 0xC0 != 0x80:  # first byte of a UTF-8 sequence
            self.utf16 += 2 if c >= 0xF0 else 1
        self.out.append(c)

    def _emit_char(self, char: str) -> None:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            raise HtmlParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        self.utf16 += 2 if code > 0xFFFF else 1
        self.out += char.encode("utf-8")

    def _start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.at(i) not in _SPACE and self.at(i) != ord(">"):
            if self.at(i) == 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            i += 1
        name = self.src[begin + 1 : i].decode("utf-8", errors="replace").lower()
        if name not in SUPPORTED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {begin}')
        argument = ""
        while self.at(i) != ord(">"):
            i, attr_name, value = self._attribute(i, name, begin)
            if attr_name is None:
                break
            argument = _tag_argument(name, attr_name, value, argument)
        if name == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        self.stack.append(_OpenTag(name, argument, self.utf16, len(self.out)))
        return i + 1

    def _skip_spaces(self, i: int) -> int:
        while self.at(i) != 0 and self.at(i) in _SPACE:
            i += 1
        return i

    def _attribute(self, i: int, tag: str, begin: int) -> tuple[int, str | None, str]:
        i = self._skip_spaces(i)
        if self.at(i) == ord(">"):
            return i, None, ""
        if self.at(i) == 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        name_begin = i
        while self.at(i) != 0 and self.at(i) not in _SPACE and self.at(i) not in b"=>":
            i += 1
        attr_name = self.src[name_begin:i].decode("utf-8", errors="replace")
        if not attr_name:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        i = self._skip_spaces(i)
        if self.at(i) != ord("="):
            # Bot API 7.3 made `<blockquote expandable>` legal: the only value-less attribute.
            if tag == "blockquote" and attr_name == "expandable":
                if self.at(i) == 0:
                    raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
                return i, attr_name, "1"
            raise HtmlParseError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag}" at byte offset {begin}'
            )
        i = self._skip_spaces(i + 1)
        if self.at(i) == 0:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        if self.at(i) in b"'\"":
            i, value = self._quoted_value(i)
        else:
            i, value = self._name_token(i)
        if self.at(i) == 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        return i, attr_name, value

    def _quoted_value(self, i: int) -> tuple[int, str]:
        quote = self.at(i)
        i += 1
        value = bytearray()
        while self.at(i) != quote and self.at(i) != 0:
            if self.at(i) == ord("&"):
                decoded = _decode_entity(self.src, i)
                if decoded is not None:
                    char, i = decoded
                    value += char.encode("utf-8")
                    continue
            value.append(self.at(i))
            i += 1
        if self.at(i) == quote:
            i += 1
        return i, value.decode("utf-8", errors="replace")

    def _name_token(self, i: int) -> tuple[int, str]:
        begin = i
        while (chr(self.at(i)).isalnum() and self.at(i) < 128) or self.at(i) in b".-":
            i += 1
        if self.at(i) not in _SPACE and self.at(i) != ord(">"):
            raise HtmlParseError(f"Unexpected end of name token at byte offset {begin}")
        return i, self.src[begin:i].decode("ascii").lower()

    def _end_tag(self, begin: int) -> int:
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while self.at(i) != 0 and self.at(i) not in _SPACE and self.at(i) != ord(">"):
            i += 1
        end_name = self.src[begin + 2 : i].decode("utf-8", errors="replace").lower()
        i = self._skip_spaces(i)
        if self.at(i) != ord(">"):
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        open_tag = self.stack[-1]
        if end_name and end_name != open_tag.name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{open_tag.name}>", '
                f'found "</{end_name}>"'
            )
        if self.utf16 > open_tag.utf16_offset:
            self._close_entity(open_tag)
        self.stack.pop()
        return i + 1

    def _close_entity(self, tag: _OpenTag) -> None:
        offset, length = tag.utf16_offset, self.utf16 - tag.utf16_offset
        base: Entity = {"offset": offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and last["offset"] == offset and last["length"] == length
        if tag.name in _SIMPLE_TAG_TYPES:
            self.entities.append({**base, "type": _SIMPLE_TAG_TYPES[tag.name]})
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit() or int(tag.argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            self.entities.append({**base, "type": "custom_emoji", "custom_emoji_id": tag.argument})
        elif tag.name == "a":
            self._close_link(tag, base)
        elif tag.name == "pre":
            if same_span and last is not None and last["type"] == "code" and last.get("language"):
                last["type"] = "pre"
            else:
                self.entities.append({**base, "type": "pre"})
        elif tag.name == "code":
            if same_span and last is not None and last["type"] == "pre" and tag.argument:
                last["language"] = tag.argument
            else:
                entity = {**base, "type": "code"}
                if tag.argument:
                    entity["language"] = tag.argument  # dropped later unless a <pre> wraps it
                self.entities.append(entity)
        elif tag.name == "blockquote":
            kind = "expandable_blockquote" if tag.argument else "blockquote"
            self.entities.append({**base, "type": kind})

    def _close_link(self, tag: _OpenTag, base: Entity) -> None:
        url = tag.argument or self.out[tag.byte_pos :].decode("utf-8", errors="replace")
        user_id = _mention_user_id(url)
        if user_id is not None:
            self.entities.append({**base, "type": "text_mention", "user": {"id": user_id}})
            return
        checked = normalize_url(url)
        # tdlib silently drops links it can't make sense of instead of failing the message.
        if checked is not None:
            self.entities.append({**base, "type": "text_link", "url": checked})


def _tag_argument(tag: str, attr: str, value: str, current: str) -> str:
    if tag == "a" and attr == "href":
        return value
    if tag == "code" and attr == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and attr == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and attr == "emoji-id":
        return value
    if tag == "blockquote" and attr == "expandable":
        return "1"
    return current


def _decode_entity(src: bytes, pos: int) -> tuple[str, int] | None:
    """Decode ``&...;`` at ``pos`` like tdlib: the ``;`` is optional, unknown names stay text."""
    end = pos + 1
    if end < len(src) and src[end] == ord("#"):
        end += 1
        hexadecimal = end < len(src) and src[end] == ord("x")
        end += hexadecimal
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        start = end
        while end < len(src) and chr(src[end]) in digits:
            end += 1
        number = src[start:end].decode("ascii")
        code = int(number, 16 if hexadecimal else 10) if number else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        char = chr(code)
    else:
        while end < len(src) and chr(src[end]).isalpha() and src[end] < 128:
            end += 1
        named = _NAMED_ENTITIES.get(src[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < len(src) and src[end] == ord(";"):
        end += 1
    return char, end


def _mention_user_id(url: str) -> int | None:
    match = re.fullmatch(r"tg://user\?id=(\d{1,19})", url.strip(), flags=re.IGNORECASE)
    return int(match.group(1)) if match else None


_HOST_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*$")


def normalize_url(url: str) -> str | None:
    """Return the URL as Telegram stores it (scheme added, ``/`` path), or None if invalid."""
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme == "tg":
        return url
    if scheme not in {"http", "https", "ftp", "tonsite"}:
        return None
    host = parts.hostname or ""
    if not host or not _HOST_RE.match(host):
        return None
    if not parts.path and not parts.query and not parts.fragment:
        return url + "/"
    return url


def _swallows(container: Entity, inner: Entity) -> bool:
    if container is inner or container["type"] not in {"code", "pre"}:
        return False
    if inner["type"] == "pre" and container["type"] == "code":
        return False  # `<code><pre>` without a language keeps the pre, not the code
    start, end = container["offset"], container["offset"] + container["length"]
    return start <= inner["offset"] and inner["offset"] + inner["length"] <= end


def _sorted_entities(entities: list[Entity]) -> list[Entity]:
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    # Telegram lets nothing live inside code or pre: such entities are silently dropped.
    kept = [e for e in entities if not any(_swallows(c, e) for c in entities)]
    return sorted(
        kept,
        key=lambda e: (e["offset"], -e["length"], _TYPE_PRIORITY.get(e["type"], 50)),
    )


def parse_html(source: str, *, strict_ampersand: bool = False) -> ParsedText:
    """Parse Telegram HTML; raise :class:`HtmlParseError` with tdlib's message on bad input.

    ``strict_ampersand`` also rejects a bare ``&`` that starts no entity. Real Telegram
    keeps such an ``&`` as text, but it nearly always means user data was not escaped.
    """
    return _HtmlParser(source, strict_ampersand).parse()


def trim_text(text: str, entities: list[Entity]) -> ParsedText:
    """Strip leading/trailing whitespace like Telegram does and clip entities to what is left."""
    stripped_left = text.lstrip(_TRIMMED)
    head = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip(_TRIMMED)
    size = utf16_len(result)
    kept: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - head, 0)
        end = min(entity["offset"] + entity["length"] - head, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return ParsedText(result, kept)


_AUTO_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "bot_command",
        re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])"),
    ),
    (
        "email",
        re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    ),
    ("url", re.compile(r"(?<![\w@])https?://[^\s<>\"]*[^\s<>\".,;:!?)\]}']")),
    ("mention", re.compile(r"(?<!\w)@[A-Za-z0-9_]{2,32}(?!\w)")),
    ("hashtag", re.compile(r"(?<!\w)#\w*[^\W\d_]\w*")),
)


def detect_entities(text: str, explicit: list[Entity]) -> list[Entity]:
    """Add the entities Telegram finds by itself (commands, URLs, mentions, ...).

    Like Telegram, nothing is detected inside code, pre or text links.
    """
    blocked = [
        (e["offset"], e["offset"] + e["length"])
        for e in explicit
        if e["type"] in {"code", "pre", "text_link", "text_mention"}
    ]
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(match.group(0))
            if any(a < end and start < b for a, b in blocked + taken):
                continue
            taken.append((start, end))
            found.append({"offset": start, "length": end - start, "type": kind})
    return _sorted_entities(explicit + found)
