"""Checks of what people type: each returns the clean value or raises InputError (Indonesian)."""

from __future__ import annotations

import re
from datetime import date, timedelta

MEDIA_KINDS = {"cetak": "Cetak", "online": "Online", "elektronik": "Elektronik"}


class InputError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def person_name(text: str) -> str:
    name = " ".join(text.split())
    if not 3 <= len(name) <= 100:
        raise InputError("Nama harus 3 sampai 100 huruf.")
    if not re.search(r"[^\W\d_]", name):
        raise InputError("Nama harus memuat huruf.")
    return name


def nik(text: str) -> str:
    """16 digits: province 11-94, a real birth date (day + 40 for women), nonzero serial."""
    digits = re.sub(r"[\s.-]", "", text)
    if not re.fullmatch(r"\d{16}", digits):
        raise InputError("NIK harus tepat 16 angka (sesuai KTP).")
    province, day, month = int(digits[:2]), int(digits[6:8]), int(digits[8:10])
    if not 11 <= province <= 94:
        raise InputError("NIK tidak valid: kode provinsi (2 angka pertama) tidak dikenal.")
    if day > 40:
        day -= 40
    if not (1 <= day <= 31 and 1 <= month <= 12):
        raise InputError("NIK tidak valid: bagian tanggal lahir (angka ke-7 s.d. 12) tidak benar.")
    if digits[12:] == "0000":
        raise InputError("NIK tidak valid: nomor urut (4 angka terakhir) tidak boleh 0000.")
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
        raise InputError("Nomor telepon harus diawali 08, 62, atau +62.")
    if not re.fullmatch(r"[1-9]\d{7,12}", rest):
        raise InputError("Nomor telepon tidak valid (9 sampai 13 angka setelah kode negara).")
    return "+62" + rest


def outlet_name(text: str) -> str:
    name = " ".join(text.split())
    if not 2 <= len(name) <= 200:
        raise InputError("Nama media harus 2 sampai 200 karakter.")
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
        raise InputError(
            "Alamat tidak valid. Contoh: https://wartakapuas.id atau @kanalanda (akun/kanal)."
        )
    if len(value) > 300:
        raise InputError("Alamat terlalu panjang (maksimal 300 karakter).")
    return value


def digits(text: str, lengths: tuple[int, ...], what: str) -> str:
    """A number written with or without separators (NIB, NPWP), checked for its length."""
    value = re.sub(r"[\s.-]", "", text)
    if not value.isdigit() or len(value) not in lengths:
        counts = " atau ".join(str(n) for n in lengths)
        raise InputError(f"{what} harus {counts} angka.")
    return value


def months(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 0 <= int(value) <= 1200:
        raise InputError("Tulis jumlah bulan dengan angka, mis. 12.")
    return int(value)


def free_text(text: str, limit: int) -> str:
    value = " ".join(text.split())
    if not 3 <= len(value) <= limit:
        raise InputError(f"Jawaban harus 3 sampai {limit} karakter.")
    return value


def past_date(text: str, today: date) -> date:
    """A date not in the future (24-11-2025, 24/11/2025, 2025-11-24)."""
    value = text.strip()
    match = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", value)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    try:
        if match:
            day = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        elif iso:
            day = date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        else:
            raise InputError("Format tanggal: 24-11-2025.")
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError("Tanggal itu tidak ada di kalender.") from exc
    if day > today:
        raise InputError("Tanggal tidak boleh di masa depan.")
    return day


def news_url(text: str) -> str:
    value = text.strip()
    if not re.fullmatch(r"https?://([A-Za-z0-9-]+\.)+[A-Za-z]{2,}(:\d{1,5})?(/\S*)?", value):
        raise InputError("Tautan berita harus alamat lengkap, diawali http:// atau https://.")
    if len(value) > 500:
        raise InputError("Tautan terlalu panjang (maksimal 500 karakter).")
    return value


def news_title(text: str) -> str:
    title = " ".join(text.split())
    if not 5 <= len(title) <= 300:
        raise InputError("Judul berita harus 5 sampai 300 karakter.")
    return title


def published_date(text: str, today: date) -> date:
    """'hari ini', 'kemarin', 24-11-2026, 24/11/2026, 2026-11-24; not future, not > 1 year."""
    value = text.strip().lower()
    if value in {"hari ini", "hariini", "today"}:
        return today
    if value == "kemarin":
        return today - timedelta(days=1)
    match = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", value)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    try:
        if match:
            day = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        elif iso:
            day = date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        else:
            raise InputError("Format tanggal: 24-11-2026, atau ketik 'hari ini'.")
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError("Tanggal itu tidak ada di kalender.") from exc
    if day > today:
        raise InputError("Tanggal tayang tidak boleh di masa depan.")
    if day < today - timedelta(days=366):
        raise InputError("Tanggal tayang lebih dari setahun lalu.")
    return day


# What each upload slot accepts: mime types and the words we use for them.
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
PDF = {"application/pdf"}
WORD = {
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
SLOTS: dict[str, tuple[set[str], str]] = {
    "press_card": (IMAGE_TYPES | PDF, "foto (JPG/PNG) atau PDF"),
    "media_proof": (IMAGE_TYPES | PDF | WORD, "PDF, foto, atau dokumen Word"),
    "request_letter": (IMAGE_TYPES | PDF | WORD, "PDF, foto, atau dokumen Word"),
    "revision": (IMAGE_TYPES | PDF | WORD, "PDF, foto, atau dokumen Word"),
    "attachment": (IMAGE_TYPES | PDF | WORD, "PDF, foto, atau dokumen Word"),
    "screenshot": (IMAGE_TYPES, "foto (JPG/PNG)"),
}
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
    accepted, words = SLOTS[slot]
    suffix = "." + (file_name or "").rsplit(".", 1)[-1].lower() if "." in (file_name or "") else ""
    mime = (mime_type or "").lower()
    if mime in ("", "application/octet-stream"):  # some clients send no real type: go by name
        mime = _BY_SUFFIX.get(suffix, mime)
    if mime not in accepted:
        shown = file_name or mime or "berkas ini"
        raise InputError(f"Jenis berkas {shown} tidak diterima. Kirim {words}.")
    if size is not None and size > max_bytes:
        raise InputError(
            f"Berkas terlalu besar ({size / 1048576:.1f} MB). Maksimal {max_bytes // 1048576} MB."
        )
    return mime


def sniff_matches(content: bytes, mime: str) -> bool:
    """The bytes really are what the name says (a renamed .exe is not a PDF)."""
    if mime == "application/pdf":
        return content.startswith(b"%PDF")
    if mime == "image/jpeg":
        return content.startswith(b"\xff\xd8")
    if mime == "image/png":
        return content.startswith(b"\x89PNG")
    if mime == "image/webp":
        return content[:4] == b"RIFF" and content[8:12] == b"WEBP"
    if mime in WORD:
        return content.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0"))
    return False


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1048576:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1048576:.1f} MB"
