"""Messages: user text is escaped, and nothing the bot renders can exceed Telegram's limit."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.fakeapi.html import parse_html
from handlers.render import TELEGRAM_LIMIT, fit, render


@settings(max_examples=200, deadline=None)
@given(name=st.text(min_size=1, max_size=300), reason=st.text(min_size=1, max_size=1000))
def test_any_user_text_renders_as_valid_telegram_html(name: str, reason: str) -> None:
    # The outlet's name (user text) is part of the case's name until it has an agenda number.
    case = SimpleNamespace(
        id=7,
        agenda_number=None,
        subject=f"Permohonan kerja sama {name}",
        created_at=datetime(2026, 12, 5, 3, 0, tzinfo=UTC),
    )
    text = render("rejected", case=case, actor=name, role="Sekretaris", reason=reason)
    parsed = parse_html(text, strict_ampersand=True)  # raises on HTML Telegram would refuse
    assert "(Sekretaris)" in parsed.text and "Permohonan 5 Des" in parsed.text
    assert "#7" not in parsed.text  # the database id is never a case's name


@given(lines=st.lists(st.text(max_size=200).map(lambda t: f"<b>{t}</b>"), max_size=80))
def test_fit_cuts_long_messages_at_line_breaks(lines: list[str]) -> None:
    from markupsafe import escape

    text = "\n".join(f"<b>{escape(line[3:-4])}</b>" for line in lines)
    cut = fit(text)
    assert len(cut.encode("utf-16-le")) // 2 <= TELEGRAM_LIMIT
    parse_html(cut)
    if cut != text:
        assert cut.endswith("…")
