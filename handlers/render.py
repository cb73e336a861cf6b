"""Every message text comes from a jinja2 template; autoescape makes user input safe HTML."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from workflow import timefmt
from workflow.durations import Duration

# The top-level `templates` package (its files are package data): found through importlib,
# so an installed wheel renders exactly as the checkout does.
TEMPLATES_PACKAGE = "templates"


def _loader() -> PackageLoader:
    return PackageLoader(TEMPLATES_PACKAGE, "")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=_loader(),
        autoescape=select_autoescape(enabled_extensions=("j2", "html"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters["when"] = _when
    env.filters["day"] = _day
    env.filters["span"] = _span
    env.filters["duration"] = _duration
    env.filters["rupiah"] = _rupiah
    return env


TELEGRAM_LIMIT = 4096  # characters of a message text, counted in UTF-16 code units
MORE = "\n…"


def render(template: str, /, **context: Any) -> str:
    text = environment().get_template(f"messages/{template}.html.j2").render(**context)
    return fit("\n".join(line.rstrip() for line in text.strip().splitlines()))


def fit(text: str, limit: int = TELEGRAM_LIMIT) -> str:
    """Cut a message that would be too long at a line break. Every template opens and closes
    its tags on one line, so a cut between lines leaves valid HTML."""
    if _units(text) <= limit:
        return text
    kept: list[str] = []
    used = _units(MORE)
    for line in text.split("\n"):
        used += _units(line) + 1
        if used > limit:
            break
        kept.append(line)
    return "\n".join(kept) + MORE


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _when(value: datetime | None, tz: str = "Asia/Jakarta") -> str:
    return timefmt.format_when(value, tz) if value else "-"


def _day(value: date | None) -> str:
    return timefmt.format_date(value) if value else "-"


def _span(value: timedelta) -> str:
    return timefmt.format_span(value)


def _duration(value: Duration) -> str:
    return timefmt.format_duration(value)


def _rupiah(value: int | None) -> str:
    from workflow.documents import rupiah  # the records' own formatting: "Rp1.500.000"

    return rupiah(value)


def toast(name: str) -> str:
    """A button pop-up text (plain, not HTML) from templates/messages/toasts.txt.j2."""
    return _macro("toasts", name)


def label(name: str, *args: object) -> str:
    """A button label (plain text) from templates/messages/labels.txt.j2."""
    return _macro("labels", name, *args)


def _macro(template: str, name: str, *args: object) -> str:
    module = _plain().get_template(f"messages/{template}.txt.j2").module
    return str(getattr(module, name)(*args)).strip()


@lru_cache(maxsize=1)
def _plain() -> Environment:
    return Environment(loader=_loader(), autoescape=False, undefined=StrictUndefined)


def words(name: str, *args: object) -> str:
    """A plain sentence (a refusal, an input error) from templates/messages/words.txt.j2."""
    return _macro("words", name, *args)
