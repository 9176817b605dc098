"""A visitor in a real browser: `museum serve` on localhost, Debian's Chromium driven by Playwright.

Needs /usr/bin/chromium (`apt-get install -y chromium`); Playwright's own browser download is never
used. Screenshots land in reports/browser-irises.png and reports/browser-kiosk.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]
SCREENSHOT = PROJECT_ROOT / "reports" / "browser-irises.png"
KIOSK_SCREENSHOT = PROJECT_ROOT / "reports" / "browser-kiosk.png"
BOT_MESSAGES = "#chat .message-row.bot-row"
START_TIMEOUT = 180  # seconds for the server to load its models on a busy 2-core machine
ANSWER_TIMEOUT_MS = 90_000
# The `museum` console script's entry point, with this interpreter (the script may not be on PATH).
MUSEUM = [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())"]

pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(),
                                reason=f"{CHROMIUM} is absent: apt-get install -y chromium")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"museum serve exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f"museum serve did not answer on {url} within {START_TIMEOUT} s:\n{log_path.read_text()[-3000:]}")


@contextmanager
def museum_serve(log_dir: Path, *flags: str):
    """`museum serve` on a free localhost port; yields its URL, stops it (bounded waits) afterwards."""
    port = _free_port()
    log_path = log_dir / f"serve-{port}.log"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    with open(log_path, "w") as log_file:
        server = subprocess.Popen([*MUSEUM, "serve", "--host", "127.0.0.1", "--port", str(port), *flags],
                                  cwd=PROJECT_ROOT, env=env,
                                  stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, server, log_path)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


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
