"""An upload's type judged by its bytes; active content refused whatever it is called."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.filecheck import DOC, DOCX, active_content, judge
from handlers.parsing import SLOTS, InputError

WORDS = "PDF, foto, atau dokumen Word"
ANY = SLOTS["attachment"][0]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20


def _docx(with_macros: bool = False) -> bytes:
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    if not with_macros:
        return buffer.getvalue()
    with zipfile.ZipFile(buffer, "a") as packed:
        packed.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macros")
    return buffer.getvalue()


def test_a_plain_docx_is_word_and_one_carrying_macros_is_refused() -> None:
    assert judge(_docx(), "surat.docx", ANY, WORDS) == DOCX
    with pytest.raises(InputError, match=r"konten aktif \(makro Office\)"):
        judge(_docx(with_macros=True), "surat.docx", ANY, WORDS)  # renamed from .docm
    with pytest.raises(InputError, match="makro Office"):
        judge(_docx(), "surat.docm", ANY, WORDS)
    old_word_with_vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "_VBA_PROJECT".encode("utf-16-le")
    assert active_content(old_word_with_vba, "surat.doc") == "makro Office"
    assert judge(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "lama.doc", ANY, WORDS) == DOC


@pytest.mark.parametrize(
    ("content", "name", "what"),
    [
        (b"\xef\xbb\xbf  <!DOCTYPE html><script>x()</script>", "surat.pdf", "HTML"),
        (b"<?xml version='1.0'?><svg onload='x()'/>", "kartu.png", "SVG"),
        (b"<?xml version='1.0'?><data/>", "data.pdf", "XML"),
        (b"MZ\x90\x00" + b"\x00" * 300, "kartu.pdf", "program"),
        (b"\x7fELF" + b"\x00" * 300, "kartu.jpg", "program"),
        (b"#!/bin/sh\nrm -rf /\n", "surat.pdf", "skrip"),
        (b"%PDF-1.4", "surat.pdf.exe", "program"),
    ],
)
def test_active_content_is_named_in_the_refusal(content: bytes, name: str, what: str) -> None:
    with pytest.raises(InputError, match=rf"konten aktif \({what}\)"):
        judge(content, name, ANY, WORDS)


def test_the_bytes_decide_not_the_name() -> None:
    assert judge(PNG, "kartu.pdf", ANY, WORDS) == "image/png"
    with pytest.raises(InputError, match="tidak sesuai jenisnya"):
        judge(b"just text", "surat.pdf", ANY, WORDS)
    with pytest.raises(InputError, match="tidak sesuai jenisnya"):
        judge(b"%PDF-1.7", "kartu.pdf", SLOTS["screenshot"][0], "foto (JPG/PNG)")


@given(st.binary(max_size=600), st.sampled_from(["surat.pdf", "kartu.png", "x", "a.docx"]))
def test_any_bytes_are_either_accepted_as_a_slot_type_or_refused_clearly(
    content: bytes, name: str
) -> None:
    try:
        assert judge(content, name, ANY, WORDS) in ANY
    except InputError as refusal:
        assert refusal.message.startswith(("Isi berkas", "Berkas ini berisi konten aktif"))


@given(st.text(alphabet=" \t\r\n", max_size=20), st.sampled_from(["<html", "<SVG", "<script"]))
def test_markup_behind_any_whitespace_is_active(space: str, tag: str) -> None:
    assert active_content((space + tag + ">").encode(), "surat.pdf") is not None
