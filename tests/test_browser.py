"""A visitor in a real browser: `museum serve` on localhost, Debian's Chromium driven by Playwright.

Needs /usr/bin/chromium (`apt-get install -y chromium`); Playwright's own browser download is never
used. Screenshots land in reports/browser-irises.png and reports/browser-kiosk.png.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

from app.served import museum_serve as served_app
from app.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]
SCREENSHOT = PROJECT_ROOT / "reports" / "browser-irises.png"
KIOSK_SCREENSHOT = PROJECT_ROOT / "reports" / "browser-kiosk.png"
BOT_MESSAGES = "#chat .message-row.bot-row"
START_TIMEOUT = 480  # seconds for the server to load its models on a busy, shared 2-core machine
ANSWER_TIMEOUT_MS = 90_000
pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(),
                                reason=f"{CHROMIUM} is absent: apt-get install -y chromium")


@contextmanager
def museum_serve(work_dir: Path, *flags: str):
    """`museum serve` on a free localhost port (app/served.py, as the load benchmark starts it); yields its URL."""
    with served_app(*flags, start_timeout=START_TIMEOUT, work_dir=work_dir) as served:
        yield served.url


@contextmanager
def chromium_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(ANSWER_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def _show_painting(page, url: str, image: Path) -> None:
    page.goto(url)
    page.locator("#painting input[type=file]").set_input_files(str(image))
    page.wait_for_selector("#gallery img")


def test_visitor_uploads_irises_and_asks_about_the_painter(tmp_path, met_image_path):
    with museum_serve(tmp_path) as url, chromium_page() as page:
        _show_painting(page, url, met_image_path)
        # The painting is identified and similar paintings appear, with titles as captions.
        assert "Vincent van Gogh" in page.inner_text("#top-artists")
        assert "Vincent van Gogh" in page.inner_text("#artist-card")
        gallery_text = page.inner_text("#gallery")
        assert gallery_text.strip() and ".jpg" not in gallery_text and "site-packages" not in gallery_text

        answers = page.locator(BOT_MESSAGES)
        before = answers.count()
        page.fill("#question textarea", "When was he born?")
        page.press("#question textarea", "Enter")
        page.wait_for_function(f"n => document.querySelectorAll('{BOT_MESSAGES}').length > n", arg=before)
        assert "1853" in answers.last.inner_text()

        # "Why?" shows the explanation image beside the conversation.
        before = answers.count()
        page.fill("#question textarea", "Why?")
        page.press("#question textarea", "Enter")
        page.wait_for_function(f"n => document.querySelectorAll('{BOT_MESSAGES}').length > n", arg=before)
        page.wait_for_selector("#explanation img")
        assert "Vincent van Gogh" in answers.last.inner_text()
        assert "Traceback" not in page.content()

        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_kiosk_starts_over_for_the_next_visitor(tmp_path, met_image_path):
    with museum_serve(tmp_path, "--kiosk", "--idle-seconds", "4") as url, chromium_page() as page:
        _show_painting(page, url, met_image_path)
        assert page.locator(BOT_MESSAGES).count() == 2
        assert not page.get_by_text("Use via API").is_visible(), "no developer links on a kiosk"
        page.screenshot(path=str(KIOSK_SCREENSHOT), full_page=True)
        # Nobody touches the screen: the greeting comes back, the panels and the upload empty.
        page.wait_for_function(f"() => document.querySelectorAll('{BOT_MESSAGES}').length == 1",
                               timeout=30_000)
        page.wait_for_selector("#gallery img", state="detached", timeout=10_000)
        assert "Vincent van Gogh" not in page.inner_text("#artist-card")


BAD_UPLOAD_SCREENSHOT = PROJECT_ROOT / "reports" / "browser-bad-upload.png"
PHOTO_WHY_SCREENSHOT = PROJECT_ROOT / "reports" / "browser-photo-why.png"
FRENCH_SCREENSHOT = PROJECT_ROOT / "reports" / "browser-kiosk-portrait-french.png"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _ask(page, text: str) -> str:
    answers = page.locator(BOT_MESSAGES)
    before = answers.count()
    page.fill("#question textarea", text)
    page.press("#question textarea", "Enter")
    page.wait_for_function(f"n => document.querySelectorAll('{BOT_MESSAGES}').length > n", arg=before)
    return answers.last.inner_text()


def _remote_requests(page) -> list[str]:
    """Every request the page makes to a host other than this machine (none may leave it)."""
    from urllib.parse import urlparse

    seen = []

    def note(request):
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOCAL_HOSTS:
            seen.append(request.url)

    page.on("request", note)
    return seen


def test_bad_uploads_a_gallery_photo_why_and_accessibility(tmp_path, met_image_path):
    from classifier.photo import simulate_gallery_photo
    from data.images import load_image

    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"")
    text_png = tmp_path / "notes.png"
    text_png.write_text("this is a text file, not a picture")
    photo = tmp_path / "gallery-photo.png"
    simulate_gallery_photo(load_image(met_image_path), seed=3).save(photo)
    with museum_serve(tmp_path) as url, chromium_page() as page:
        remote = _remote_requests(page)
        _show_painting(page, url, met_image_path)
        answers = page.locator(BOT_MESSAGES)
        for bad in (fake, text_png):
            before = answers.count()
            page.locator("#painting input[type=file]").set_input_files(str(bad))
            page.wait_for_function(f"n => document.querySelectorAll('{BOT_MESSAGES}').length > n", arg=before)
            assert "couldn't use that picture" in answers.last.inner_text()
            page.wait_for_selector("#painting img", state="detached")  # the refused file is taken out of the box
            page.wait_for_timeout(500)
        assert "Irises" in page.inner_text("#chat"), "the conversation is kept"
        assert not page.locator("#chat img[alt='']").count(), "no broken or unlabelled picture in the chat"
        assert page.locator("text=Error").count() == 0
        page.screenshot(path=str(BAD_UPLOAD_SCREENSHOT), full_page=True)

        # A photo of a painting on a wall: "Why?" explains the answer shown, with the same numbers.
        before = answers.count()
        page.locator("#painting input[type=file]").set_input_files(str(photo))
        page.wait_for_function(f"n => document.querySelectorAll('{BOT_MESSAGES}').length > n", arg=before)
        shown_top = page.locator("#top-artists").inner_text()
        why = _ask(page, "Why?")
        page.wait_for_selector("#explanation img")
        assert "my top answer is" not in why
        first_artist = next(line.strip() for line in shown_top.splitlines()[1:] if line.strip() and "%" not in line)
        assert first_artist in why, (shown_top, why)
        page.screenshot(path=str(PHOTO_WHY_SCREENSHOT), full_page=True)

        # Accessibility: a named question box, described photos, words for status, no Share button.
        tree = page.locator("body").aria_snapshot()
        assert 'textbox "Your question"' in tree, tree[:2000]
        assert "common." not in page.inner_text("body")
        alts = page.eval_on_selector_all("#chat img, #gallery img, #painting img", "els => els.map(e => e.alt)")
        assert alts and all(alt.strip() for alt in alts), alts
        assert not page.get_by_role("button", name="Share").count()
        footer = page.locator("footer").inner_text()
        assert "API" not in footer and "Runs" not in footer, footer
        assert remote == [], f"requests left the machine: {remote[:5]}"


def test_kiosk_typing_portrait_and_a_french_conversation(tmp_path, met_image_path):
    from playwright.sync_api import sync_playwright

    with museum_serve(tmp_path, "--kiosk", "--idle-seconds", "6") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1080, "height": 1920})
            page.set_default_timeout(ANSWER_TIMEOUT_MS)
            remote = _remote_requests(page)
            _show_painting(page, url, met_image_path)
            # A slow typist: a key every second for twice the idle time, and nothing is reset.
            box = page.locator("#question textarea")
            for letter in "Who painted it":
                box.press_sequentially(letter)
                page.wait_for_timeout(1000)
            assert box.input_value() == "Who painted it" and page.locator(BOT_MESSAGES).count() == 2
            box.fill("")
            page.wait_for_function(f"() => document.querySelectorAll('{BOT_MESSAGES}').length == 1", timeout=40_000)

            page.get_by_label("Français").check()
            page.wait_for_function("() => document.body.innerText.includes('Assistant du musée')")
            page.locator("#painting input[type=file]").set_input_files(str(met_image_path))
            page.wait_for_selector("#gallery img")
            assert "Tableaux similaires" in page.inner_text("body")
            born = _ask(page, "Quand est-il né ?")
            assert "est né le 30 mars 1853" in born
            chat_box = page.locator("#chat").bounding_box()
            assert chat_box["width"] > 900, "portrait: the conversation takes the screen's width"
            page.screenshot(path=str(FRENCH_SCREENSHOT), full_page=False)
            assert remote == [], f"requests left the machine: {remote[:5]}"
        finally:
            browser.close()
