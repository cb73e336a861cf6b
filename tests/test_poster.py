"""`mitramedia link`: the journalists' public start link, and the front-desk poster with its QR
code written to data/screenshots/ to look at (and to print)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from pypdf import PdfReader
from typer.testing import CliRunner

from bot.cli import app
from workflow import poster

SCREENSHOTS = Path(__file__).parents[1] / "data" / "screenshots"


def test_poster_png_and_pdf_are_written_for_a_look() -> None:
    png, pdf = poster.write(
        "https://t.me/mitramedia_sanggau_bot",
        "Dinas Komunikasi dan Informatika Kabupaten Sanggau",
        "Bidang Pengelolaan Informasi dan Komunikasi Publik",
        SCREENSHOTS,
        "poster-sanggau",
    )
    print(f"poster: {png} {pdf}")
    with Image.open(png) as image:
        assert image.size == poster.PAGE
    page = PdfReader(pdf).pages[0]
    assert round(float(page.mediabox.width)) == 595  # A4 in points


def test_the_printed_code_is_exactly_the_links_qr_code() -> None:
    import segno

    link = "https://t.me/mitramedia_sanggau_bot"
    page, (left, top, scale) = poster.draw(link, "Dinas Uji")
    gray = page.convert("L")
    matrix = segno.make(link, error="m").matrix
    assert scale >= 10  # modules a phone camera resolves from arm's length on A4
    for row, modules in enumerate(matrix):
        for col, dark in enumerate(modules):
            pixel = gray.getpixel((left + col * scale + scale // 2, top + row * scale + scale // 2))
            assert (pixel < 128) == bool(dark), (row, col)


def test_link_prints_the_start_link_and_writes_the_poster(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("SOP", "trenggalek-kerjasama-media")
    result = CliRunner().invoke(
        app, ["link", "--username", "kominfo_tgx_bot", "--output", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "https://t.me/kominfo_tgx_bot" in result.output
    assert (tmp_path / "poster-kominfo_tgx_bot.png").is_file()
    assert (tmp_path / "poster-kominfo_tgx_bot.pdf").is_file()
