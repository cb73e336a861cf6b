"""Time standards as written on SOP sheets ("5 menit", "2 hari") and in short form ("15m", "3d")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

_UNITS = {
    "m": "minutes",
    "min": "minutes",
    "mnt": "minutes",
    "menit": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "j": "hours",
    "jam": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "hr": "days",
    "hari": "days",
    "day": "days",
    "days": "days",
}
_PART = re.compile(r"(\d{1,7})\s*([a-zA-Z]+)")


class DurationError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Duration:
    """Days count as whole working (or calendar) days; minutes as clock minutes."""

    days: int = 0
    minutes: int = 0

    def __str__(self) -> str:
        parts = []
        if self.days:
            parts.append(f"{self.days} hari")
        if self.minutes:
            hours, mins = divmod(self.minutes, 60)
            if hours:
                parts.append(f"{hours} jam")
            if mins:
                parts.append(f"{mins} menit")
        return " ".join(parts) or "0 menit"

    @property
    def is_zero(self) -> bool:
        return not self.days and not self.minutes

    def as_calendar_timedelta(self) -> timedelta:
        return timedelta(days=self.days, minutes=self.minutes)

    def scaled(self, factor: float) -> Duration:
        """A share of the standard (e.g. 75 % for a warning), in whole minutes."""
        total = round((self.days * 24 * 60 + self.minutes) * factor)
        return Duration(minutes=total) if self.days == 0 else Duration(*divmod(total, 24 * 60))


def parse_duration(text: str | int) -> Duration:
    """Parse '5 menit', '15m', '2 hari', '3d', '1 hari 2 jam'; bare integers are minutes."""
    if isinstance(text, bool):
        raise DurationError(f"durasi tidak dikenal: {text!r}")
    if isinstance(text, int):
        if text <= 0:
            raise DurationError(f"durasi harus lebih dari nol: {text!r}")
        return Duration(minutes=text)
    raw = str(text).strip().lower()
    if not raw:
        raise DurationError("durasi kosong")
    pos, days, minutes = 0, 0, 0
    for match in _PART.finditer(raw):
        if raw[pos : match.start()].strip():
            raise DurationError(f"durasi tidak dikenal: {text!r}")
        amount, unit = int(match.group(1)), _UNITS.get(match.group(2))
        if unit is None:
            raise DurationError(
                f"satuan waktu {match.group(2)!r} tidak dikenal dalam {text!r} "
                "(pakai menit, jam, hari, atau m/h/d)"
            )
        if unit == "days":
            days += amount
        else:
            minutes += amount * (60 if unit == "hours" else 1)
        pos = match.end()
    if pos == 0 or raw[pos:].strip():
        raise DurationError(f"durasi tidak dikenal: {text!r} (contoh: '5 menit', '2 hari', '15m')")
    if days == 0 and minutes == 0:
        raise DurationError(f"durasi harus lebih dari nol: {text!r}")
    return Duration(days=days, minutes=minutes)
