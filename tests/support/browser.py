"""Debian's headless Chromium, driven by Playwright, for the HTML tests and the
README's screenshots.

Playwright for Python (PyPI's ``playwright``) speaks to the browser; the browser
is Debian's ``chromium`` (``apt-get install chromium``), launched through
``executable_path``. Nothing here runs ``playwright install``: no browser is
downloaded, and Playwright's own browser builds are never looked for.

API::

    from tests.support.browser import chromium, chromium_path, open_file

    with chromium(chromium_path()) as browser:       # Playwright's Browser
        opened = open_file(browser, Path("out/x/Runbook.html"))  # after "load"
        opened.errors     # console errors, uncaught exceptions, failed loads
        opened.requests   # every URL the page requested (itself first)
        opened.page       # Playwright's Page: evaluate, inner_text, ...
        screenshot(opened.page)   # PNG bytes of the viewport, fully painted
        print_pdf(opened.page)    # PDF bytes as printed (CSS @page size honoured)

``save_screenshot(browser, html, png)`` is what ``docs/screenshots.py`` calls.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import (
    Browser,
    BrowserType,
    ConsoleMessage,
    Page,
    Request,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

# Debian's package installs /usr/bin/chromium; CHROMIUM overrides it.
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# A quiet headless browser on a machine with no network, run as root: no sandbox
# (root), no GPU, none of Chromium's own connections (they are refused here, many
# at a time, and noisily). Playwright adds --headless (headless=True), a fresh
# --user-data-dir in a temporary folder for every launch, and most of these
# itself; they are spelled out so the set does not rest on its defaults.
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TIMEOUT_MS = 60_000
WIDTH, HEIGHT = 1200, 900
# Console message types that count as errors (console.error, console.assert).
_ERROR_TYPES = frozenset({"error", "assert"})


class BrowserError(RuntimeError):
    """No browser to use, or a page that must load cleanly did not."""


def chromium_path() -> str | None:
    """The Chromium to use: $CHROMIUM, /usr/bin/chromium, or one on PATH."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured
    if Path(DEFAULT_CHROMIUM).exists():
        return DEFAULT_CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def chromium(executable: str | None) -> Iterator[Browser]:
    """Debian's Chromium, headless, with :data:`FLAGS` and a fresh profile."""
    if not executable:
        raise BrowserError(
            "no Chromium found (apt-get install chromium, or set CHROMIUM)"
        )
    with sync_playwright() as playwright:
        browser = launch(playwright.chromium, executable)
        try:
            yield browser
        finally:
            browser.close()


def launch(browser_type: BrowserType, executable: str) -> Browser:
    """Start ``executable`` as Playwright's Chromium with :data:`FLAGS`.

    One Playwright runs per thread: a second browser in the same test module is
    launched through the first one's ``browser.browser_type``.
    """
    return browser_type.launch(
        executable_path=executable, headless=True, args=list(FLAGS), timeout=TIMEOUT_MS
    )


@dataclass
class OpenedPage:
    """A local file loaded in its own browser context, with what it did."""

    page: Page
    url: str
    _errors: list[str] = field(default_factory=list)
    _requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", self._exception)
        self.page.on("request", self._request)
        self.page.on("requestfailed", self._failed)

    @property
    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads so far."""
        # A round trip to the page first: events it sent before are then delivered.
        self.page.evaluate("0")
        return list(self._errors)

    @property
    def requests(self) -> list[str]:
        """Every URL the page requested so far, the page itself first."""
        self.page.evaluate("0")
        return list(self._requests)

    def close(self) -> None:
        """Close the page's browser context."""
        self.page.context.close()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in _ERROR_TYPES:
            where = message.location.get("url", "")
            self._errors.append(f"console.{message.type}: {message.text} {where}")

    def _exception(self, error: PlaywrightError) -> None:
        self._errors.append(f"exception: {error.name}: {error.message}")

    def _request(self, request: Request) -> None:
        self._requests.append(request.url)

    def _failed(self, request: Request) -> None:
        self._errors.append(f"request failed: {request.url}: {request.failure}")


def open_file(
    browser: Browser, path: Path, *, width: int = WIDTH, height: int = HEIGHT
) -> OpenedPage:
    """Open a local file in a new context (``width`` x ``height`` CSS pixels at
    scale 1) and wait for its load event. A file that does not load raises
    Playwright's ``Error``."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=1
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    opened = OpenedPage(page, path.resolve().as_uri())
    page.goto(opened.url, wait_until="load")
    return opened


def screenshot(page: Page, *, full_page: bool = False) -> bytes:
    """A PNG of the viewport, or of the whole page with ``full_page``."""
    # Fonts loaded and two animation frames painted: a capture taken earlier can
    # be half-drawn (seen in CI with the DevTools client this replaced: 0.4 % ink
    # on a page that has 14 %).
    page.evaluate(
        "document.fonts.ready.then(() => new Promise(r =>"
        " requestAnimationFrame(() => requestAnimationFrame(() => r(true)))))"
    )
    return page.screenshot(full_page=full_page, type="png")


def print_pdf(page: Page) -> bytes:
    """The page printed to PDF, with its own @page size and backgrounds."""
    return page.pdf(prefer_css_page_size=True, print_background=True)


def save_screenshot(
    browser: Browser,
    html: Path,
    png: Path,
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
    full_page: bool = False,
) -> Path:
    """Render ``html`` and write a PNG of it to ``png``.

    For the README's committed screenshots (``docs/screenshots.py``): the first
    screen by default, the whole page with ``full_page``. A console error raises
    :class:`BrowserError` and writes nothing.
    """
    opened = open_file(browser, html, width=width, height=height)
    try:
        errors = opened.errors
        if errors:
            raise BrowserError(f"{html}: console errors: {errors}")
        data = screenshot(opened.page, full_page=full_page)
    finally:
        opened.close()
    png.parent.mkdir(parents=True, exist_ok=True)
    png.write_bytes(data)
    return png
