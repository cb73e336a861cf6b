"""Checks of what people type: each returns the clean value or raises InputError (a code; the
Indonesian words are in templates/messages/input_errors.txt.j2)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from workflow import wording

MEDIA_KINDS = {"cetak": "Cetak", "online": "Online", "elektronik": "Elektronik"}


class InputError(ValueError):
    """``reason``: a macro of templates/messages/input_errors.txt.j2; ``data``: what it names."""

    def __init__(self, reason: str, /, **data: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = data

    @property
    def message(self) -> str:
        """The Indonesian sentence saying what was wrong and what to send instead."""
        return wording.phrase("input_errors", self.reason, **self.data)

    def __str__(self) -> str:
        return self.message


def person_name(text: str) -> str:
    name = " ".join(text.split())
    if not 3 <= len(name) <= 100:
        raise InputError("name_length")
    if not re.search(r"[^\W\d_]", name):
        raise InputError("name_letters")
    return name


def nik(text: str) -> str:
    """16 digits: province 11-94, a real birth date (day + 40 for women), nonzero serial."""
    digits = re.sub(r"[\s.-]", "", text)
    if not re.fullmatch(r"\d{16}", digits):
        raise InputError("nik_digits")
    province, day, month = int(digits[:2]), int(digits[6:8]), int(digits[8:10])
    if not 11 <= province <= 94:
        raise InputError("nik_province")
    if day > 40:
        day -= 40
    if not (1 <= day <= 31 and 1 <= month <= 12):
        raise InputError("nik_birth_date")
    if digits[12:] == "0000":
        raise InputError("nik_serial")
    return digits


def phone(text: str) -> str:
    """Indonesian mobile/landline in +62 form."""
    raw = re.sub(r"[\s().-]", "", text)
    if raw.startswith("+62"):
        rest = raw[3:]
    elif raw.startswith("62"):
        rest = raw[2:]
    elif raw.startswith("0"):
        rest = raw[1:]
    else:
        raise InputError("phone_prefix")
    if not re.fullmatch(r"[1-9]\d{7,12}", rest):
        raise InputError("phone_length")
    return "+62" + rest


def outlet_name(text: str) -> str:
    name = " ".join(text.split())
    if not 2 <= len(name) <= 200:
        raise InputError("outlet_length")
    return name


def website(text: str) -> str:
    value = text.strip()
    if re.fullmatch(r"@[A-Za-z0-9_]{4,64}", value):
        return value
    if not re.match(r"https?://", value, re.IGNORECASE):
        value = "https://" + value
    if not re.fullmatch(
        r"https?://([A-Za-z0-9-]+\.)+[A-Za-z]{2,}(:\d{1,5})?(/[^\s<>\"]*)?", value, re.IGNORECASE
    ):
        raise InputError("website_invalid")
    if len(value) > 300:
        raise InputError("website_long")
    return value


def digits(text: str, lengths: tuple[int, ...], what: str) -> str:
    """A number written with or without separators (NIB, NPWP), checked for its length."""
    value = re.sub(r"[\s.-]", "", text)
    if not value.isdigit() or len(value) not in lengths:
        counts = " atau ".join(str(n) for n in lengths)
        raise InputError("digits_count", what=what, counts=counts)
    return value


def months(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 0 <= int(value) <= 1200:
        raise InputError("months_number")
    return int(value)


def free_text(text: str, limit: int) -> str:
    value = " ".join(text.split())
    if not 3 <= len(value) <= limit:
        raise InputError("answer_length", limit=limit)
    return value


def _day(value: str) -> date | None:
    """24-11-2026, 24/11/2026, 24.11.2026 or 2026-11-24; None for another shape. Raises
    ValueError for a day the calendar does not have (31-02-2026)."""
    match = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", value)
    if match:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if iso:
        return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    return None


def past_date(text: str, today: date) -> date:
    """A date not in the future (24-11-2025, 24/11/2025, 2025-11-24)."""
    try:
        day = _day(text.strip())
    except ValueError as exc:
        raise InputError("date_not_real") from exc
    if day is None:
        raise InputError("past_date_format")
    if day > today:
        raise InputError("date_in_future")
    return day


def news_url(text: str) -> str:
    value = text.strip()
    if not re.fullmatch(r"https?://([A-Za-z0-9-]+\.)+[A-Za-z]{2,}(:\d{1,5})?(/\S*)?", value):
        raise InputError("news_url_invalid")
    if len(value) > 500:
        raise InputError("news_url_long")
    return value


def news_title(text: str) -> str:
    title = " ".join(text.split())
    if not 5 <= len(title) <= 300:
        raise InputError("news_title_length")
    return title


def calendar_date(text: str) -> date:
    """24-11-2026, 24/11/2026 or 2026-11-24 (a day of a deputy's period)."""
    value = text.strip()
    try:
        day = _day(value)
    except ValueError as exc:
        raise InputError("date_not_in_calendar", value=value) from exc
    if day is None:
        raise InputError("office_date_format", value=value)
    return day


def published_date(text: str, today: date) -> date:
    """'hari ini', 'kemarin', 24-11-2026, 24/11/2026, 2026-11-24; not future, not > 1 year."""
    value = text.strip().lower()
    if value in {"hari ini", "hariini", "today"}:
        return today
    if value == "kemarin":
        return today - timedelta(days=1)
    try:
        day = _day(value)
    except ValueError as exc:
        raise InputError("date_impossible") from exc
    if day is None:
        raise InputError("date_format")
    if day > today:
        raise InputError("date_future")
    if day < today - timedelta(days=366):
        raise InputError("date_too_old")
    return day


# What each upload slot accepts: mime types and the words we use for them.
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
PDF = {"application/pdf"}
WORD = {
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
SLOTS: dict[str, tuple[set[str], str]] = {
    "press_card": (IMAGE_TYPES | PDF, "slot_image_pdf"),
    "media_proof": (IMAGE_TYPES | PDF | WORD, "slot_any"),
    "request_letter": (IMAGE_TYPES | PDF | WORD, "slot_any"),
    "revision": (IMAGE_TYPES | PDF | WORD, "slot_any"),
    "attachment": (IMAGE_TYPES | PDF | WORD, "slot_any"),
    "screenshot": (IMAGE_TYPES, "slot_image"),
}


def slot_words(slot: str) -> str:
    """What an upload slot accepts, in words ("PDF, foto, atau dokumen Word")."""
    return wording.phrase("input_errors", SLOTS[slot][1])


_BY_SUFFIX = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def upload_type(
    slot: str, mime_type: str | None, file_name: str | None, size: int | None, max_bytes: int
) -> str:
    """The accepted mime type of an upload, or an InputError saying what is wanted."""
    accepted = SLOTS[slot][0]
    suffix = "." + (file_name or "").rsplit(".", 1)[-1].lower() if "." in (file_name or "") else ""
    mime = (mime_type or "").lower()
    if mime in ("", "application/octet-stream"):  # some clients send no real type: go by name
        mime = _BY_SUFFIX.get(suffix, mime)
    if mime not in accepted:
        shown = file_name or mime or wording.phrase("input_errors", "this_file")
        raise InputError("file_kind", shown=shown, wanted=slot_words(slot))
    if size is not None and size > max_bytes:
        size_mb = f"{size / 1048576:.1f}".replace(".", ",")
        raise InputError("file_too_big", size_mb=size_mb, max_mb=max_bytes // 1048576)
    return mime


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1048576:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1048576:.1f} MB"
