"""Telegram HTML (what the templates render) to WhatsApp markup, and cutting text to a limit.

WhatsApp formats with markers around words: ``*tebal*``, ``_miring_``, ``~coret~``, ```` ```kode```
````, `` `kode` `` inline, ``> kutipan`` at a line's start. A marker works only on one line and
only around text that does not start or end with a space, so each formatted line is wrapped on
its own with its spaces left outside. Underline and spoilers have no WhatsApp form: their text
stays, plain. A link becomes "text (url)", as WhatsApp shows no hidden targets.

The conversion only ever adds characters (markers, "> ", a link's url): every character of the
HTML's text appears in the output, in order (tests/whatsapp/test_render.py checks it). WhatsApp
has no escape for a ``*`` or ``_`` a person typed; such text may show formatted, never lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from .limits import units

MARKERS = {
    "b": "*",
    "strong": "*",
    "i": "_",
    "em": "_",
    "s": "~",
    "strike": "~",
    "del": "~",
}
ELLIPSIS = "…"


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """Telegram HTML as a tree; entities are decoded by HTMLParser (convert_charrefs)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("")
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self._stack[-1].children.append(node)
        self._stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        # Close up to the matching open tag; a stray end tag (not in the stack) is ignored.
        for depth in range(len(self._stack) - 1, 0, -1):
            if self._stack[depth].tag == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)


def _parse(html: str) -> _Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def plain_text(html: str) -> str:
    """The text a Telegram user sees, without any formatting (entities decoded)."""
    return _text(_parse(html))


def _text(node: _Node | str) -> str:
    if isinstance(node, str):
        return node
    return "".join(_text(child) for child in node.children)


def to_whatsapp(html: str) -> str:
    """Telegram HTML as WhatsApp-formatted text."""
    return _render(_parse(html), frozenset())


def _render(node: _Node | str, active: frozenset[str]) -> str:
    if isinstance(node, str):
        return node
    tag = node.tag
    if tag == "pre":
        return _fence(_text(node))
    if tag == "code":
        return _wrap(_text(node), "`")
    inner_active = active | {MARKERS[tag]} if tag in MARKERS else active
    inner = "".join(_render(child, inner_active) for child in node.children)
    if tag in MARKERS:
        marker = MARKERS[tag]
        return inner if marker in active else _wrap(inner, marker)
    if tag == "a":
        href = node.attrs.get("href", "").strip()
        if not href or href == inner.strip() or href.startswith("tg://"):
            return inner
        return f"{inner} ({href})" if inner.strip() else inner + href
    if tag == "blockquote":
        return "\n".join(f"> {line}" if line.strip() else line for line in inner.split("\n"))
    return inner  # u, ins, tg-spoiler, span, tg-emoji and the root: the text stays as it is


def _wrap(text: str, marker: str) -> str:
    """Markers around each line's text, its leading and trailing spaces left outside."""
    lines = []
    for line in text.split("\n"):
        core = line.strip()
        if not core:
            lines.append(line)
            continue
        start = line.index(core)
        lines.append(f"{line[:start]}{marker}{core}{marker}{line[start + len(core) :]}")
    return "\n".join(lines)


def _fence(text: str) -> str:
    return f"```{text}```" if text.strip() else text


def cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` UTF-16 units: cut at a line break, else at a space, else
    anywhere, and marked with an ellipsis. A cut may split a formatted span: its opening
    marker then shows as a plain character, the text before it stays readable."""
    if units(text) <= limit:
        return text
    head = _prefix(text, limit - units(ELLIPSIS) - 1)  # room for "\n…"
    for sep in ("\n", " "):
        at = head.rfind(sep)
        if at >= len(head) // 2:
            return head[:at].rstrip() + (f"\n{ELLIPSIS}" if sep == "\n" else ELLIPSIS)
    return head + ELLIPSIS


def _prefix(text: str, room: int) -> str:
    """The longest prefix of ``text`` within ``room`` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            return text[:index]
    return text


def shorten(label: str, limit: int) -> str:
    """A one-line title within ``limit``: whole words kept and an ellipsis added, so a cut
    never ends in a broken word ("Kembalikan ke pemohon untuk perbaikan" -> "Kembalikan ke
    pemohon…"); a first word longer than the limit is cut inside it."""
    title = " ".join(label.split())
    if units(title) <= limit:
        return title
    head = _prefix(title, limit - units(ELLIPSIS))
    at = head.rfind(" ")
    if at > 0 and not title[len(head)].isspace():
        head = head[:at]
    return (head.rstrip(" ,.;:-—·") or head) + ELLIPSIS
