"""Uploads (issue 9): active content refused whatever its name, a per-journalist quota, and no
file left in the archive by an update that was rolled back."""

from __future__ import annotations

import dataclasses

import pytest

from tests.e2e.conftest import PDF, BotUnderTest
from workflow import engine

pytestmark = pytest.mark.parametrize("framework", ["aiogram"])  # the adapter does not matter


def _archived(bot: BotUnderTest) -> set[str]:
    root = bot.settings.files_dir
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


async def test_active_content_and_an_exhausted_quota_are_refused_and_nothing_is_kept(
    bot: BotUnderTest,
) -> None:
    rina = await bot.seeded_journalist(3801)
    await rina.send("/ajukan")
    before = _archived(bot)
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    await rina.upload_document(svg, "surat.pdf", "application/pdf")  # a lie about its type
    assert "konten aktif (SVG)" in rina.texts()[-2]
    await rina.upload_document(b"PK\x03\x04 whatever", "surat.docm", "application/msword")
    assert "konten aktif (makro Office)" in rina.texts()[-2]
    assert _archived(bot) == before

    app = bot.product.app
    app.deps = dataclasses.replace(app.deps, upload_quota_bytes=1024 * 1024)  # 1 MB
    big = PDF + b"%" + b"0" * (1024 * 1024)
    await rina.upload_document(big, "surat.pdf", "application/pdf")
    assert "Kuota unggahan Anda 1 MB" in rina.texts()[-2]
    assert _archived(bot) == before
    await rina.upload_document(PDF + b"% surat", "surat.pdf", "application/pdf")
    assert "Permohonan terkirim" in rina.last.text  # within the quota: taken
    bot.assert_clean()


async def test_a_rolled_back_update_leaves_no_file_in_the_archive(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    rina = await bot.seeded_journalist(3802)
    await rina.send("/ajukan")
    before = _archived(bot)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away after the file was stored")

    monkeypatch.setattr(engine, "submit_case", broken)
    await rina.upload_document(PDF + b"% surat baru", "surat.pdf", "application/pdf")
    assert "kesalahan" in rina.last.text.lower()  # the generic apology: nothing was taken
    assert _archived(bot) == before  # the file written for it went with the transaction
    assert not [d for d in await bot.documents() if d.kind == "request_letter"]
