"""Every message text comes from a jinja2 template; autoescape makes user input safe HTML."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from workflow import timefmt
from workflow.durations import Duration

# The top-level `templates` package (its files are package data): found through importlib,
# so an installed wheel renders exactly as the checkout does.
TEMPLATES_PACKAGE = "templates"
SUBJECT_PREFIX = "Permohonan kerja sama"  # handlers.journalist.submit: subject = prefix + outlet


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
    env.filters["month"] = timefmt.format_month
    env.filters["span"] = _span
    env.filters["duration"] = _duration
    env.filters["rupiah"] = _rupiah
    env.filters["short"] = _short
    env.filters["case_name"] = case_name
    env.filters["case_ref"] = lambda case, tz="Asia/Jakarta", cap=False: case_name(
        case, tz, "upper" if cap else "lower"
    )
    env.filters["masked"] = masked
    env.filters["done_word"] = done_word
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


def shown_length(text: str) -> int:
    """Characters a reader sees once Telegram has parsed the HTML (tags gone, entities one)."""
    return len(html.unescape(_TAG.sub("", text)))


_TAG = re.compile(r"<[^>]+>")


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _when(value: datetime | None, tz: str = "Asia/Jakarta") -> str:
    return timefmt.format_when(value, tz) if value else "-"


def _day(value: date | None) -> str:
    return timefmt.format_date(value) if value else "-"


def _short(value: datetime | None, tz: str = "Asia/Jakarta") -> str:
    return timefmt.format_short(value, tz) if value else "-"


def case_name(case: Any, tz: str = "Asia/Jakarta", ref: str = "") -> Markup:
    """A case's one name: its agenda number, or until it has one, the day it came and its
    outlet (templates/messages/case_name.html.j2). Never the database id. `ref` "lower" or
    "upper": inside a sentence ("permohonan 001/AGENDA/2026", "Permohonan 5 Des, Warta")."""
    outlet = (case.subject or "").removeprefix(SUBJECT_PREFIX).strip()
    created = case.created_at
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    day = timefmt.format_day_month(created, tz) if created else ""
    text = (
        environment()
        .get_template("messages/case_name.html.j2")
        .render(agenda=case.agenda_number, day=day, outlet=outlet, ref=ref)
    )
    return Markup(text.strip())


def masked(phone: str | None) -> str:
    """A phone number with its middle hidden ("+62812•••••890"): enough to recognise it,
    not to copy it out of a prompt that sits in several officials' chats (UU PDP, data
    minimisation); the full number is in the dossier behind "Dokumen", each view recorded."""
    if not phone:
        return "-"
    if len(phone) <= 7:
        return "•" * len(phone)
    return phone[:6] + "•" * (len(phone) - 9) + phone[-3:]


def done_word(action: Any) -> str:
    """What an action did, past tense: the SOP's `done:`, or a word for its kind."""
    if action is None:
        return ""
    return str(action.done or label("done_" + action.kind.value))


def _span(value: timedelta) -> str:
    return timefmt.format_span(value)


def _duration(value: Duration) -> str:
    return timefmt.format_duration(value)


def _rupiah(value: int | None) -> str:
    from workflow.documents import rupiah  # the records' own formatting: "Rp1.500.000"

    return rupiah(value)


def toast(name: str, *args: object) -> str:
    """A button pop-up text (plain, not HTML) from templates/messages/toasts.txt.j2."""
    return _macro("toasts", name, *args)


def label(name: str, *args: object) -> str:
    """A button label (plain text) from templates/messages/labels.txt.j2."""
    return _macro("labels", name, *args)


def _macro(template: str, name: str, *args: object) -> str:
    module = _plain().get_template(f"messages/{template}.txt.j2").module
    return str(getattr(module, name)(*args)).strip()


@lru_cache(maxsize=1)
def _plain() -> Environment:
    return Environment(loader=_loader(), autoescape=False, undefined=StrictUndefined)


def item_label(rules: Any, name: str) -> str:
    """A qualification item's name ("Akta pendirian ...", "Bentuk badan hukum"), plain text,
    as the registration wizard asks it (templates/messages/_outlet_item.html.j2)."""
    module = _plain().get_template("messages/_outlet_item.html.j2").module
    return str(module.item_label(rules, name)).strip()  # type: ignore[attr-defined]


def words(name: str, *args: object) -> str:
    """A plain sentence (a refusal, an input error) from templates/messages/words.txt.j2."""
    return _macro("words", name, *args)
