"""Telegram HTML parse mode: the parser must accept and refuse exactly what Telegram does."""

from __future__ import annotations

import pytest

from bot.fakeapi.html import (
    HtmlParseError,
    detect_entities,
    parse_html,
    trim_text,
    utf16_len,
)


def error_of(source: str, **kwargs: bool) -> str:
    with pytest.raises(HtmlParseError) as caught:
        parse_html(source, **kwargs)
    return str(caught.value)


def test_plain_text_passes_through() -> None:
    parsed = parse_html("hello world")
    assert parsed.text == "hello world"
    assert parsed.entities == []


def test_escaped_markup_is_text_not_tags() -> None:
    parsed = parse_html("&lt;b&gt; &amp; &quot;q&quot;")
    assert parsed.text == '<b> & "q"'
    assert parsed.entities == []


def test_numeric_entities_and_missing_semicolon() -> None:
    assert parse_html("&#65;&#x42;&lt").text == "AB<"


def test_bold_offsets_are_utf16_after_parsing() -> None:
    parsed = parse_html("😀 <b>tebal</b>")
    assert parsed.text == "😀 tebal"
    assert parsed.entities == [{"offset": 3, "length": 5, "type": "bold"}]


def test_nested_tags_give_both_entities() -> None:
    parsed = parse_html("<b>a <i>b</i></b>")
    assert parsed.text == "a b"
    assert parsed.entities == [
        {"offset": 0, "length": 3, "type": "bold"},
        {"offset": 2, "length": 1, "type": "italic"},
    ]


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("strong", "bold"),
        ("em", "italic"),
        ("ins", "underline"),
        ("u", "underline"),
        ("s", "strikethrough"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("tg-spoiler", "spoiler"),
        ("code", "code"),
        ("pre", "pre"),
        ("blockquote", "blockquote"),
    ],
)
def test_every_supported_tag(tag: str, kind: str) -> None:
    assert parse_html(f"<{tag}>x</{tag}>").entities == [{"offset": 0, "length": 1, "type": kind}]


def test_links() -> None:
    parsed = parse_html('<a href="https://example.com/a?b=1&amp;c=2">site</a>')
    assert parsed.entities == [
        {"offset": 0, "length": 4, "type": "text_link", "url": "https://example.com/a?b=1&c=2"}
    ]
    assert parse_html("<a href=x>y</a>").entities[0]["url"] == "http://x/"
    mention = parse_html('<a href="tg://user?id=42">Ani</a>').entities[0]
    assert mention["type"] == "text_mention"
    assert mention["user"]["id"] == 42


def test_pre_with_language() -> None:
    parsed = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert parsed.entities == [{"offset": 0, "length": 5, "type": "pre", "language": "python"}]


def test_spoiler_span_and_expandable_quote_and_emoji() -> None:
    assert parse_html('<span class="tg-spoiler">s</span>').entities[0]["type"] == "spoiler"
    quote = parse_html("<blockquote expandable>q</blockquote>").entities[0]
    assert quote["type"] == "expandable_blockquote"
    emoji = parse_html('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>').entities[0]
    assert emoji == {
        "offset": 0,
        "length": 2,
        "type": "custom_emoji",
        "custom_emoji_id": "5368324170671202286",
    }


def test_tags_are_case_insensitive() -> None:
    assert parse_html("<B>x</B>").entities == [{"offset": 0, "length": 1, "type": "bold"}]


def test_empty_entity_is_dropped() -> None:
    assert parse_html("a<b></b>").entities == []


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("line<br/>", 'Unsupported start tag "br/" at byte offset 4'),
        ("héllo <foo>", 'Unsupported start tag "foo" at byte offset 7'),
        ("harga < 100", 'Unsupported start tag "" at byte offset 6'),
        ("<b>&", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            "<b class>x</b>",
            'Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0',
        ),
        ("<a href=x/y>z</a>", "Unexpected end of name token at byte offset 8"),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
    ],
)
def test_errors_match_telegram(source: str, message: str) -> None:
    assert error_of(source) == message


def test_bare_ampersand_is_text_like_telegram_unless_strict() -> None:
    assert parse_html("PT A & B").text == "PT A & B"
    assert parse_html("&copy; &unknown;").text == "&copy; &unknown;"
    assert error_of("PT A & B", strict_ampersand=True) == 'Unescaped "&" at byte offset 5'


def test_unknown_attributes_are_ignored() -> None:
    assert parse_html('<b title="t">x</b>').entities[0]["type"] == "bold"


def test_trim_text_clips_entities() -> None:
    parsed = parse_html("  <b> hi </b>\n")
    trimmed = trim_text(parsed.text, parsed.entities)
    assert trimmed.text == "hi"
    assert trimmed.entities == [{"offset": 0, "length": 2, "type": "bold"}]


def test_detect_entities() -> None:
    found = detect_entities("/start@mitra_bot hi @budi https://x.id/a. #acara", [])
    assert [(e["type"], e["offset"], e["length"]) for e in found] == [
        ("bot_command", 0, 16),
        ("mention", 20, 5),
        ("url", 26, 14),
        ("hashtag", 42, 6),
    ]
    inside_code = detect_entities("/start", [{"offset": 0, "length": 6, "type": "code"}])
    assert [e["type"] for e in inside_code] == ["code"]


def test_utf16_len_counts_surrogate_pairs() -> None:
    assert utf16_len("a😀") == 3
