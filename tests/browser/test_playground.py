"""The playground in a real browser (Debian's headless Chromium driven by Playwright): a
journalist registers with uploads and submits, the admin accepts from the inline button and
sees the prompt edited in place, the case advances in the panel, and "jump to next deadline"
brings the SLA reminder to the next holder. A screenshot of each step is written to
$PLAYGROUND_SCREENSHOTS (default: the test's tmp folder), at desktop width and at 360 px."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.playground.app import serve
from bot.playground.world import FIRST_OFFICIAL_ID, JOURNALIST_ID, WA_JOURNALIST_ID

# Debian's package, never a browser Playwright downloads.
CHROMIUM = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 20_000

playwright_api = pytest.importorskip(
    "playwright.async_api", reason="Playwright is not installed (make test installs it)"
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (make test runs apt-get install chromium)",
)


@pytest.fixture
async def playground_url(tmp_path: Path) -> AsyncIterator[str]:
    settings = Settings(files_dir=tmp_path / "unused", pace_interval=0.1)
    runner, url, _playground = await serve(
        settings, "sanggau", port=0, root=tmp_path / "playground"
    )
    try:
        yield url
    finally:
        await runner.cleanup()


@pytest.fixture
async def page(playground_url: str) -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(WAIT_MS)
        await page.goto(playground_url)
        await page.locator("body.ready").wait_for()
        try:
            yield page
        finally:
            await browser.close()


def _screens(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PLAYGROUND_SCREENSHOTS") or tmp_path / "screens")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def _bot_says(page: Any, text: str) -> Any:
    bubble = page.locator("#messages li.bot", has_text=text).last
    await bubble.wait_for()
    return bubble


async def _say(page: Any, text: str, reply: str) -> None:
    await page.fill("#text", text)
    await page.press("#text", "Enter")
    await _bot_says(page, reply)


async def _sample(page: Any, name: str, reply: str) -> None:
    await page.click("#attach-button")
    await page.click(f"button.sample[data-sample='{name}']")
    await _bot_says(page, reply)


async def _press(page: Any, label: str, reply: str) -> None:
    before = await page.locator("#messages li.bot").count()
    await page.locator("#messages li.bot button.ikb", has_text=label).last.click()
    await page.locator("#messages li.bot").nth(before).wait_for()  # the bot's next message
    if reply:
        await _bot_says(page, reply)


async def test_register_submit_accept_and_remind(page: Any, tmp_path: Path) -> None:
    screens = _screens(tmp_path)
    journalist = page.locator(f"button.persona[data-persona='{JOURNALIST_ID}']")
    await journalist.click()
    await _say(page, "/start", "nama lengkap")
    await _say(page, "Rina Wartawati", "NIK")
    await _say(page, "6171054501900001", "nomor telepon")
    await page.click("#contact-button")
    await _bot_says(page, "kartu pers")
    await _sample(page, "kartu-pers.png", "nama media")
    await _say(page, "Warta Kapuas", "media baru")  # not registered yet: a new outlet
    await _press(page, "Daftarkan media baru", "jenis media")
    await _press(page, "Online", "Data media 1/")
    # Then what Sanggau's rules ask of an online outlet, in their order (the sample PDF
    # stands for each paper), and the optional ones skipped.
    await _press(page, "PT", "Data media 2/")
    await _sample(page, "akta-pendirian-media.pdf", "Data media 3/")
    await _say(page, "1234567890123", "Data media 4/")
    await _sample(page, "akta-pendirian-media.pdf", "Data media 5/")
    await _say(page, "012345678901000", "Data media 6/")
    await _sample(page, "akta-pendirian-media.pdf", "Data media 7/")
    await _say(page, "Jl. Sudirman 1, Sanggau", "Data media 8/")
    await _say(page, "wartakapuas.id", "Data media 9/")
    await _press(page, "Terverifikasi faktual", "boleh dilewati")
    while "Pendaftaran selesai" not in (await page.locator("#messages li.bot").last.inner_text()):
        await _press(page, "Lewati", "")
    await page.screenshot(path=screens / "1-registered.png")

    await page.click("#menu-button")  # the bot's command menu, as Telegram shows it
    await page.locator("#command-list button", has_text="/ajukan").click()
    await _bot_says(page, "surat permohonan")
    await _sample(page, "surat-permohonan.pdf", "Permohonan terkirim")
    await page.screenshot(path=screens / "2-submitted.png")

    admin = page.locator(f"button.persona[data-persona='{FIRST_OFFICIAL_ID}']")
    await admin.locator(".badge").wait_for()  # the admin has an unread prompt
    await admin.click()
    accept = page.get_by_role("button", name="Terima", exact=True).last
    prompt_id = await page.locator("#messages li.bot", has=accept).get_attribute("data-id")
    await accept.click()
    same = page.locator(f"#messages li.bot[data-id='{prompt_id}']")
    await same.locator(".meta", has_text="diedit").wait_for()  # edited in place, not resent
    await same.locator(".press", has_text="ditekan oleh Budi Santoso").wait_for()
    await page.screenshot(path=screens / "3-checklist.png")
    await same.get_by_role("button", name="Semua lengkap").click()  # the SOP's kelengkapan
    await page.locator("#cases .case", has_text="Langkah 3").wait_for()
    await page.screenshot(path=screens / "4-accepted.png")

    holder = page.locator(f"button.persona[data-persona='{FIRST_OFFICIAL_ID + 1}']")
    await holder.locator(".badge").wait_for()
    await holder.click()
    for _ in range(3):  # reminder first, then the deadline itself
        await page.click("#clock-jump")
        overdue = page.locator("#messages li.bot", has_text="Terlambat")
        try:
            await overdue.last.wait_for(timeout=3_000)
            break
        except playwright_api.TimeoutError:
            continue
    await overdue.last.wait_for()
    await page.locator("#cases .due.late").wait_for()
    await page.screenshot(path=screens / "5-overdue.png")

    await page.set_viewport_size({"width": 360, "height": 740})
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px wide)"
    await page.screenshot(path=screens / "6-phone.png")
    await page.click("#panel-toggle")
    await page.locator("#panel .case").wait_for()
    await page.screenshot(path=screens / "7-phone-panel.png")


async def test_the_whatsapp_journalist_in_her_whatsapp_chat(page: Any, tmp_path: Path) -> None:
    """Maya's chat looks like WhatsApp (green head, *bold* drawn bold), starts with "daftar"
    typed as a wa.me link does, and takes a typed text, a file, a list row and a reply button."""
    screens = _screens(tmp_path)
    await page.locator(f"button.persona[data-persona='{WA_JOURNALIST_ID}']").click()
    await page.locator(".chat.wa").wait_for()
    assert await page.input_value("#text") == "daftar"
    await page.press("#text", "Enter")
    welcome = await _bot_says(page, "Selamat datang")
    assert await welcome.locator(".text b", has_text="Selamat datang di Mitra Media").count() == 1
    head = await page.eval_on_selector(".chat-head", "e => getComputedStyle(e).backgroundColor")
    assert head == "rgb(0, 128, 105)"  # WhatsApp's green
    assert not await page.locator("#contact-button").is_visible()  # the number is the chat's
    await _say(page, "Maya Pewarta", "NIK")
    await _say(page, "6171054501900002", "kartu pers")
    await _sample(page, "kartu-pers.png", "nama media")
    await _say(page, "Suara Sanggau", "media baru")
    await page.locator("#messages li.bot .wa-list-open").last.click()  # the list opens
    await page.screenshot(path=screens / "wa-1-list.png")
    await page.locator("#wa-list .wa-row", has_text="Daftarkan media baru").click()
    await _bot_says(page, "jenis media")
    picked = page.locator("#messages li.me", has_text="Daftarkan media baru").last
    await picked.locator(".wa-quote", has_text="Belum ada media").wait_for()  # it quotes
    await page.locator("#messages li.bot .wa-button", has_text="Online").last.click()
    await _bot_says(page, "Data media 1/")
    await page.screenshot(path=screens / "wa-2-buttons.png")
    await page.set_viewport_size({"width": 360, "height": 740})
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px wide)"
    await page.screenshot(path=screens / "wa-3-phone.png")
