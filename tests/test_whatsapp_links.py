"""WhatsApp links from the operator's commands: `mitramedia link` prints the office's wa.me link
(and puts it on the poster when the bot is on WhatsApp alone), `mitramedia invite` prints the
official's invite for both apps; the word in them is what the core reads as /start."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image, ImageChops
from typer.testing import CliRunner

from bot.cli import app
from bot.whatsapp.config import WhatsAppNumber
from handlers.app import START_WORD
from workflow import poster
from workflow.loader import load_spec, resolve_sop

NUMBER = "6281100000000"


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("FILES_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("SOP", "sanggau-hubungan-media")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    return tmp_path


def _line(output: str, start: str) -> str:
    [line] = [x.strip() for x in output.splitlines() if x.strip().startswith(start)]
    return line


def test_link_prints_the_whatsapp_link_beside_the_telegram_one(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_PLATFORMS", "telegram,whatsapp")
    monkeypatch.setenv("WHATSAPP_NUMBER", "0811-0000-0000")  # as the office writes it
    result = CliRunner().invoke(app, ["link", "--username", "mitra_bot", "-o", str(office)])
    assert result.exit_code == 0, result.output
    assert "https://t.me/mitra_bot" in result.output
    assert f"https://wa.me/{NUMBER}?text=daftar" in result.output
    assert (office / "poster-mitra_bot.png").is_file()  # the poster keeps the Telegram link


def test_whatsapp_alone_puts_the_wa_me_link_on_the_poster(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_PLATFORMS", "whatsapp")
    monkeypatch.setenv("WHATSAPP_NUMBER", NUMBER)
    result = CliRunner().invoke(app, ["link", "-o", str(office)])  # no bot token, no username
    assert result.exit_code == 0, result.output
    url = f"https://wa.me/{NUMBER}?text=daftar"
    assert _line(result.output, "Tautan untuk wartawan") == f"Tautan untuk wartawan: {url}"
    assert "t.me" not in result.output
    png = office / f"poster-wa-{NUMBER}.png"
    assert (office / f"poster-wa-{NUMBER}.pdf").is_file()
    # The poster is the one drawn for the wa.me link (whose code test_poster reads module by
    # module), not the Telegram one's.
    spec = load_spec(resolve_sop("sanggau-hubungan-media"))
    drawn, _code = poster.draw(url, spec.office.name, spec.office.unit)
    with Image.open(png) as written:
        assert ImageChops.difference(written.convert("RGB"), drawn).getbbox() is None


def test_whatsapp_alone_without_its_number_has_no_link(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_PLATFORMS", "whatsapp")
    monkeypatch.delenv("WHATSAPP_NUMBER", raising=False)
    result = CliRunner().invoke(app, ["link", "-o", str(office)])
    assert result.exit_code == 1
    assert "WHATSAPP_NUMBER" in result.output
    assert not list(office.glob("poster-*"))


def test_a_bad_number_is_named_not_used(office: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_PLATFORMS", "whatsapp")
    monkeypatch.setenv("WHATSAPP_NUMBER", "kantor")
    result = CliRunner().invoke(app, ["link", "-o", str(office)])
    assert result.exit_code == 2 and "WHATSAPP_NUMBER" in result.output


def test_invite_prints_both_apps_links_with_the_same_code(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_PLATFORMS", "telegram,whatsapp")
    monkeypatch.setenv("WHATSAPP_NUMBER", f"+{NUMBER}")
    result = CliRunner().invoke(
        app, ["invite", "--role", "admin", "--name", "Budi Santoso", "--username", "mitra_bot"]
    )
    assert result.exit_code == 0, result.output
    telegram = _line(result.output, "Telegram:").removeprefix("Telegram: ")
    whatsapp = _line(result.output, "WhatsApp:").removeprefix("WhatsApp: ")
    code = parse_qs(urlsplit(telegram).query)["start"][0]
    assert telegram == f"https://t.me/mitra_bot?start={code}"
    assert whatsapp == f"https://wa.me/{NUMBER}?text=daftar%20{code}"
    # What the official's phone types from the link is what the core reads as /start CODE.
    typed = parse_qs(urlsplit(whatsapp).query)["text"][0]
    assert typed.split() == [START_WORD, code]


def test_invite_without_the_number_prints_telegram_only(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WHATSAPP_NUMBER", raising=False)
    monkeypatch.delenv("BOT_PLATFORMS", raising=False)
    result = CliRunner().invoke(
        app, ["invite", "--role", "admin", "--name", "Budi Santoso", "--username", "mitra_bot"]
    )
    assert result.exit_code == 0, result.output
    assert "Telegram: https://t.me/mitra_bot?start=" in result.output
    assert "wa.me" not in result.output


def test_invite_on_whatsapp_alone_needs_no_bot_username(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_PLATFORMS", "whatsapp")
    monkeypatch.setenv("WHATSAPP_NUMBER", NUMBER)
    result = CliRunner().invoke(app, ["invite", "--role", "admin", "--name", "Budi Santoso"])
    assert result.exit_code == 0, result.output
    assert f"WhatsApp: https://wa.me/{NUMBER}?text=daftar%20" in result.output
    assert "t.me" not in result.output


def test_the_number_is_taken_as_people_write_it() -> None:
    for written in ("6281100000000", "+62 811-0000-0000", "0811 0000 0000", "(0811) 00000000"):
        assert WhatsAppNumber(number=written).number == NUMBER
    assert WhatsAppNumber().start_link() is None
    assert WhatsAppNumber(number=NUMBER).start_link("AB12") == (
        f"https://wa.me/{NUMBER}?text=daftar%20AB12"
    )
