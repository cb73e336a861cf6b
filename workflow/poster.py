"""The front-desk poster: the bot's public start link as a QR code, the office's name and a
one-line invitation, drawn on an A4 page (PNG to look at or print, PDF to print)."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from workflow import wording

# A4 at 150 dpi: sharp enough to print, small enough to send in a chat.
DPI = 150
PAGE = (1240, 1754)
MARGIN = 110
INK, ACCENT = "#111111", "#1565c0"


def _say(name: str) -> str:
    return wording.phrase("poster", name)


def _font(bold: bool, size: int):  # type: ignore[no-untyped-def]
    # DejaVu ships with matplotlib (already a dependency): the same type on every machine.
    import matplotlib
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), size)


def draw(link: str, office: str, unit: str = ""):  # type: ignore[no-untyped-def]
    """The poster as a Pillow image (RGB, A4 at 150 dpi), and where its QR code sits:
    (left, top, pixels per module) of the code's first module, inside its quiet zone."""
    import segno
    from PIL import Image, ImageDraw

    page = Image.new("RGB", PAGE, "white")
    pen = ImageDraw.Draw(page)
    width = PAGE[0] - 2 * MARGIN
    y = MARGIN
    pen.rectangle((0, 0, PAGE[0], 28), fill=ACCENT)
    y = _lines(pen, y, office, _font(True, 50), INK, width, gap=12)
    if unit:
        y = _lines(pen, y + 6, unit, _font(False, 34), "#444444", width, gap=8)
    y += 50
    y = _lines(pen, y, _say("heading"), _font(True, 78), ACCENT, width, gap=10)
    y = _lines(pen, y + 10, _say("invitation"), _font(False, 44), INK, width, gap=10)

    buffer = io.BytesIO()
    # Error correction "M" and a quiet zone of 4 modules: phone cameras read it from a desk.
    qr = segno.make(link, error="m")
    modules = qr.symbol_size(scale=1, border=4)[0]
    scale = max(1, min(760, PAGE[1] - y - 330) // modules)  # whole pixels per module: crisp
    qr.save(buffer, kind="png", scale=scale, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    side = code.width
    y += 20
    left, top = (PAGE[0] - side) // 2, y
    page.paste(code, (left, top))
    y += side + 30
    y = _lines(pen, y, _say("scan"), _font(True, 36), INK, width, gap=10, center=True)
    y = _lines(pen, y + 20, _say("or_open"), _font(False, 32), "#444444", width, center=True)
    _lines(pen, y + 4, link, _font(True, 40), ACCENT, width, center=True)
    return page, (left + 4 * scale, top + 4 * scale, scale)


def _lines(
    pen, y: int, text: str, font, fill: str, width: int, gap: int = 6, center: bool = False
) -> int:  # type: ignore[no-untyped-def]
    """Wrapped text from ``y``; returns the y under it."""
    per_line = max(10, int(width / (font.size * 0.55)))
    for line in textwrap.wrap(text, per_line) or [""]:
        left, top, right, bottom = pen.textbbox((0, 0), line, font=font)
        x = MARGIN + ((width - (right - left)) // 2 if center else 0)
        pen.text((x, y), line, font=font, fill=fill)
        y += (bottom - top) + gap + font.size // 4
    return y


def write(link: str, office: str, unit: str, folder: Path, stem: str) -> tuple[Path, Path]:
    """The poster as ``<stem>.png`` and ``<stem>.pdf`` (A4) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    page, _code = draw(link, office, unit)
    png, pdf = folder / f"{stem}.png", folder / f"{stem}.pdf"
    page.save(png, dpi=(DPI, DPI))
    page.save(pdf, "PDF", resolution=float(DPI))
    return png, pdf
