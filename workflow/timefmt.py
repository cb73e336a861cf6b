"""Indonesian display of instants, dates and spans for chat messages and reports.

Formatting goes through babel's ``id`` locale so day and month names are the ones an office
reader expects ("Senin", "Juni"); the time uses the Indonesian dot ("10.15") and the zone the
names people actually say (WIB/WITA/WIT) instead of an IANA name.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime

from workflow.durations import Duration

LOCALE = "id"

# Indonesia's three civil zones, keyed by the IANA names that map onto them.
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Ujung_Pandang": "WITA",
    "Asia/Jayapura": "WIT",
}


def _offset_label(dt: datetime) -> str:
    """A zone outside Indonesia is shown by its offset: "UTC", "UTC+9", "UTC-3:30"."""
    offset = dt.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{mins:02d}" if mins else "")


def format_when(dt: datetime, tz: str = "Asia/Jakarta") -> str:
    """``dt`` on the wall clock of ``tz``: "Senin, 23 November 2026 pukul 10.15 WIB"."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"waktu harus memiliki zona waktu (aware datetime): {dt!r}")
    local = dt.astimezone(ZoneInfo(tz))
    text = _babel_format_datetime(local, "EEEE, d MMMM y 'pukul' HH.mm", locale=LOCALE)
    return f"{text} {ZONE_ABBREVIATIONS.get(tz) or _offset_label(local)}"


def format_short(dt: datetime, tz: str = "Asia/Jakarta") -> str:
    """An instant, short enough for a phone line: "Sen 23 Nov 10.15"."""
    local = dt.astimezone(ZoneInfo(tz))
    return _babel_format_datetime(local, "EEE d MMM HH.mm", locale=LOCALE)


def format_day_month(dt: datetime, tz: str = "Asia/Jakarta") -> str:
    """The local day of an instant: "5 Des"."""
    return _babel_format_datetime(dt.astimezone(ZoneInfo(tz)), "d MMM", locale=LOCALE)


def format_date(d: date) -> str:
    """A calendar date: "4 Juni 2025"."""
    return _babel_format_date(d, "d MMMM y", locale=LOCALE)


def format_month(d: date) -> str:
    """A calendar month: "Desember 2026"."""
    return _babel_format_date(d, "LLLL y", locale=LOCALE)


def format_span(td: timedelta, *, fold_days: bool = True) -> str:
    """A length of time: "2 hari 3 jam 5 menit"; under a minute is "kurang dari 1 menit".

    Seconds are dropped (a reminder never needs them) and the sign is ignored: callers phrase
    the direction themselves ("terlambat ...", "sisa ..."). Working-time spans should pass
    ``fold_days=False``: 24 office hours are about three working days, not "1 hari".
    """
    total_minutes = int(abs(td).total_seconds()) // 60
    if total_minutes == 0:
        return "kurang dari 1 menit"
    days, rest = divmod(total_minutes, 24 * 60) if fold_days else (0, total_minutes)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{amount} {unit}"
        for amount, unit in ((days, "hari"), (hours, "jam"), (minutes, "menit"))
        if amount
    ]
    return " ".join(parts)


def format_duration(duration: Duration) -> str:
    """An SOP time standard as written on the sheet: "5 menit", "2 hari", "1 hari 2 jam"."""
    return str(duration)


def format_rough(td: timedelta) -> str:
    """A delay as people say it: "10 menit", "1 jam 30 menit", "2 jam", "kurang dari 1 menit".

    Rounded for a typical value (the exact minutes are :func:`format_span`'s job): to 5 minutes
    under an hour, to 10 minutes under three hours, to the hour beyond. Hours are never folded
    into days, because a working-time delay of 24 h is three office days, not one.
    """
    minutes = int(abs(td).total_seconds()) // 60
    if minutes == 0:
        return "kurang dari 1 menit"
    if minutes < 60:
        return format_span(
            timedelta(minutes=max(5, round(minutes / 5) * 5) if minutes >= 5 else minutes)
        )
    if minutes < 180:
        return format_span(timedelta(minutes=round(minutes / 10) * 10), fold_days=False)
    return format_span(timedelta(hours=round(minutes / 60)), fold_days=False)
