"""What an uploaded file really is, judged by its bytes (the `filetype` library's magic numbers,
and a look inside Office files): active content is refused whatever the name or the type the
client claims, because an official opens these files on the office's computers.

Refused: HTML, SVG and other XML, scripts (a #! line, or a script's name), executables (PE,
ELF, Mach-O, Java/Android packages), macro-enabled Office files (.docm/.xlsm/.pptm and kin, an
OOXML package carrying vbaProject.bin or a macro-enabled content type, an old .doc with a VBA
project).
"""

from __future__ import annotations

import io
import zipfile

import filetype

from handlers.parsing import WORD, InputError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC = "application/msword"
_MACRO_SUFFIXES = {".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".pptm", ".potm", ".ppsm", ".ppam"}
_ACTIVE_SUFFIXES = {
    ".html": "HTML",
    ".htm": "HTML",
    ".xhtml": "HTML",
    ".hta": "HTML",
    ".svg": "SVG",
    ".svgz": "SVG",
    ".xml": "XML",
    ".exe": "program",
    ".dll": "program",
    ".msi": "program",
    ".com": "program",
    ".scr": "program",
    ".jar": "program",
    ".apk": "program",
    ".lnk": "program",
    ".bat": "skrip",
    ".cmd": "skrip",
    ".ps1": "skrip",
    ".sh": "skrip",
    ".js": "skrip",
    ".vbs": "skrip",
    ".py": "skrip",
    ".php": "skrip",
}
_PROGRAMS = {
    "application/x-msdownload",
    "application/x-executable",
    "application/x-mach-binary",
    "application/x-dex",
    "application/vnd.android.package-archive",
    "application/java-archive",
    "application/x-shockwave-flash",
}
_MARKUP = (
    b"<!doctype html",
    b"<html",
    b"<svg",
    b"<?xml",
    b"<script",
    b"<head",
    b"<body",
    b"<iframe",
)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_VBA_STREAM = "_VBA_PROJECT".encode("utf-16-le")  # in every VBA storage of an OLE file


_ACTIVE_TYPES = {
    "text/html": "HTML",
    "application/xhtml+xml": "HTML",
    "image/svg+xml": "SVG",
    "text/xml": "XML",
    "application/xml": "XML",
    "application/x-msdownload": "program",
    "application/x-sh": "skrip",
    "text/javascript": "skrip",
    "application/javascript": "skrip",
}


def active_by_name(file_name: str | None, mime_type: str | None) -> str | None:
    """Active content by the name or the type the client sent (before downloading it)."""
    suffix = _suffix(file_name)
    mime = (mime_type or "").lower()
    if suffix in _MACRO_SUFFIXES or "macroenabled" in mime:
        return "makro Office"
    return _ACTIVE_SUFFIXES.get(suffix) or _ACTIVE_TYPES.get(mime)


def active_content(content: bytes, file_name: str | None) -> str | None:
    """What kind of active content this is ("HTML", "SVG", "makro Office", "program",
    "skrip"), by its name and its bytes, or None."""
    by_name = active_by_name(file_name, None)
    if by_name is not None:
        return by_name
    head = content[:1024].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n").lower()
    if head.startswith(b"#!"):
        return "skrip"
    if head.startswith(b"<"):
        for marker in _MARKUP:
            if marker in head:
                return "SVG" if marker == b"<svg" else "HTML" if b"xml" not in marker else "XML"
        return "HTML"  # markup of some other kind: a browser would render it
    kind = filetype.guess(content)
    if kind is not None and kind.mime in _PROGRAMS:
        return "program"
    if content.startswith(b"PK\x03\x04") and _ooxml_macros(content):
        return "makro Office"
    if content.startswith(_OLE) and _VBA_STREAM in content:
        return "makro Office"
    return None


def judge(content: bytes, file_name: str | None, accepted: set[str], words: str) -> str:
    """The file's type from its bytes, if the slot accepts it; else InputError saying why."""
    what = active_content(content, file_name)
    if what is not None:
        raise refuse_active(what, words)
    mime = _mime(content)
    if mime not in accepted:
        raise InputError("upload_mismatch", words=words)
    return mime


def _mime(content: bytes) -> str | None:
    if content.startswith(_OLE):
        return DOC  # an old Word file (filetype does not tell OLE documents apart)
    kind = filetype.guess(content)
    mime = kind.mime if kind is not None else None
    if mime == "application/zip" and _is_docx(content):
        return DOCX
    return mime


def _zip_names(content: bytes) -> list[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as packed:
            return packed.namelist()
    except (zipfile.BadZipFile, ValueError):
        return []


def _is_docx(content: bytes) -> bool:
    return "word/document.xml" in _zip_names(content)


def _ooxml_macros(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as packed:
            names = packed.namelist()
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                return True
            if "[Content_Types].xml" in names:
                types = packed.read("[Content_Types].xml")[:200_000].lower()
                return b"macroenabled" in types
    except (zipfile.BadZipFile, ValueError, KeyError):
        return False
    return False


def _suffix(file_name: str | None) -> str:
    name = (file_name or "").lower()
    return "." + name.rsplit(".", 1)[-1] if "." in name else ""


def refuse_active(what: str, words: str) -> InputError:
    return InputError("upload_active", what=what, words=words)


__all__ = ["DOC", "DOCX", "WORD", "active_by_name", "active_content", "judge", "refuse_active"]
