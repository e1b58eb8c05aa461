"""A headless Chromium for the HTML tests and README screenshots, in plain Python.

drgen's HTML files (Runbook.html, the readiness report) are opened in Debian's
``chromium`` through the Chrome DevTools Protocol over ``--remote-debugging-pipe``
(JSON messages ending in NUL on file descriptors 3 and 4): no Playwright, no
websocket library, no browser download.

API::

    from tests.browser import Browser, chromium_path, decode_png, pdf_page_count

    with Browser(chromium_path()) as browser:        # a fresh profile in a temp dir
        page = browser.open(Path("out/x/Runbook.html"))  # waits for the load event
        page.errors     # console errors, uncaught exceptions, Log.entryAdded errors
        page.requests   # every URL the page requested (itself included)
        page.text()     # document.body.innerText
        page.evaluate("document.title")  # any expression, returned by value
        page.screenshot(full_page=False)  # PNG bytes at the browser's viewport
        page.pdf()      # PDF bytes as printed (CSS @page size honoured)
    decode_png(png)     # Image(width, height, channels, rows of bytes)
    pdf_page_count(pdf)

``save_screenshot(html, png)`` is what ``docs/screenshots.py`` calls. A page
failing to load, the browser dying or a command timing out raises
``BrowserError``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

# Debian's package installs /usr/bin/chromium; CHROMIUM overrides it.
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Flags for a quiet, reproducible headless browser in a container: no sandbox
# (root), no GPU, no network chatter of its own, a profile nobody else uses.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)
TIMEOUT = 60.0


class BrowserError(RuntimeError):
    """The browser failed, answered with an error, or did not answer in time."""


def chromium_path() -> str | None:
    """The Chromium to use: $CHROMIUM, /usr/bin/chromium, or one on PATH."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured
    if Path(DEFAULT_CHROMIUM).exists():
        return DEFAULT_CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _high_fd(fd: int) -> int:
    """A copy of ``fd`` numbered 10 or above (closed on exec), so the child can move
    it to 3 or 4 without overwriting the other end first."""
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)


class _Pipe:
    """The DevTools pipe: send a command, read messages until its answer."""

    def __init__(self, to_browser: int, from_browser: int) -> None:
        self._out = to_browser
        self._in = from_browser
        self._buffer = b""
        self._next_id = 0
        # Events as they arrive, each (sessionId or '', method, params).
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def close(self) -> None:
        """Close both ends (the browser sees end of file)."""
        for fd in (self._out, self._in):
            with contextlib.suppress(OSError):
                os.close(fd)

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str = ""
    ) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method}
        message["params"] = params or {}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            try:
                written = os.write(self._out, data)
            except BrokenPipeError:
                # The browser exited before reading: the same failure as EOF.
                raise BrowserError("the browser closed its DevTools pipe") from None
            data = data[written:]
        return self._next_id

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("timed out waiting for the browser")
            ready, _, _ = select.select([self._in], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise BrowserError("the browser closed its DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str = "",
        timeout: float = TIMEOUT,
    ) -> dict[str, Any]:
        """Send a command and return its result; events read meanwhile are kept."""
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(
                    (
                        message.get("sessionId", ""),
                        message["method"],
                        message.get("params", {}),
                    )
                )

    def wait_for(
        self, session: str, method: str, timeout: float = TIMEOUT, since: int = 0
    ) -> dict[str, Any]:
        """The first event ``method`` of ``session`` from ``self.events[since]`` on
        (already read, or the next one)."""
        for seen_session, seen_method, params in self.events[since:]:
            if (seen_session, seen_method) == (session, method):
                return params
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if "method" in message:
                event = (
                    message.get("sessionId", ""),
                    message["method"],
                    message.get("params", {}),
                )
                self.events.append(event)
                if event[:2] == (session, method):
                    found: dict[str, Any] = event[2]
                    return found


def _console_error(method: str, params: dict[str, Any]) -> str | None:
    """The text of an event that counts as a console error, else None."""
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        exception = details.get("exception", {})
        return f"exception: {exception.get('description') or details.get('text', '')}"
    if method == "Runtime.consoleAPICalled" and params.get("type") in (
        "error",
        "assert",
    ):
        args = params.get("args", [])
        return "console.error: " + " ".join(
            str(a.get("value", a.get("description", ""))) for a in args
        )
    if method == "Log.entryAdded":
        entry = params.get("entry", {})
        if entry.get("level") == "error":
            where = entry.get("url", "")
            return f"log ({entry.get('source')}): {entry.get('text')} {where}".rstrip()
    return None


@dataclass
class Page:
    """A loaded page in its own tab."""

    _pipe: _Pipe
    session: str
    url: str
    _seen: int = 0
    _errors: list[str] = field(default_factory=list)
    _requests: list[str] = field(default_factory=list)

    def _collect(self) -> None:
        for session, method, params in self._pipe.events[self._seen :]:
            if session != self.session:
                continue
            error = _console_error(method, params)
            if error is not None:
                self._errors.append(error)
            if method == "Network.requestWillBeSent":
                self._requests.append(params.get("request", {}).get("url", ""))
        self._seen = len(self._pipe.events)

    @property
    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors so far."""
        self.call("Runtime.evaluate", {"expression": "0"})  # drain pending events
        self._collect()
        return list(self._errors)

    @property
    def requests(self) -> list[str]:
        """Every URL the page requested so far, the page itself first."""
        self._collect()
        return list(self._requests)

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A DevTools command in this page's session."""
        result = self._pipe.call(method, params, self.session)
        self._collect()
        return result

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (by value)."""
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def text(self) -> str:
        """The rendered text of the page (``document.body.innerText``)."""
        return str(self.evaluate("document.body.innerText"))

    def screenshot(self, *, full_page: bool = False) -> bytes:
        """A PNG of the viewport, or of the whole page with ``full_page``."""
        # A tab behind another one is painted lazily: its screenshot can be a
        # half-drawn page (a flaky ink test when two pages were open).
        self.call("Page.bringToFront")
        # Brought to the front, the tab still paints on its next frames: wait for
        # the fonts and two animation frames, or the capture can be half-drawn
        # (seen in CI: 0.4 % ink on a page that has 14 %).
        self.call(
            "Runtime.evaluate",
            {
                "expression": "document.fonts.ready.then(() => new Promise(r => "
                "requestAnimationFrame(() => requestAnimationFrame(() => r(true)))))",
                "awaitPromise": True,
                "returnByValue": True,
            },
        )
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = self.call("Page.getLayoutMetrics")
            size = metrics["cssContentSize"]
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": size["height"],
                "scale": 1,
            }
            params["captureBeyondViewport"] = True
        return base64.b64decode(self.call("Page.captureScreenshot", params)["data"])

    def pdf(self) -> bytes:
        """The page printed to PDF, with its own @page size and backgrounds."""
        result = self.call(
            "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
        )
        return base64.b64decode(result["data"])


class Browser:
    """One headless Chromium with a fresh profile; use it as a context manager."""

    def __init__(
        self, executable: str | None, *, width: int = 1200, height: int = 900
    ) -> None:
        if not executable:
            raise BrowserError(
                "no Chromium found (install Debian's chromium or set CHROMIUM)"
            )
        self.executable = executable
        self.width = width
        self.height = height
        self._profile = tempfile.TemporaryDirectory(prefix="drgen-chromium-")
        self._process: subprocess.Popen[bytes] | None = None
        self._pipe: _Pipe | None = None

    def __enter__(self) -> Browser:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Launch the browser and connect to its DevTools pipe."""
        to_read, to_browser = os.pipe()  # the browser reads commands on fd 3
        from_browser, to_write = os.pipe()  # and writes answers on fd 4
        child_in, child_out = _high_fd(to_read), _high_fd(to_write)

        def wire_fds() -> None:
            # In the child, before exec: dup2 makes 3 and 4 inheritable, every
            # other descriptor Python opened is close-on-exec.
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        args = [
            self.executable,
            *FLAGS,
            f"--user-data-dir={self._profile.name}",
            f"--window-size={self.width},{self.height}",
            "about:blank",
        ]
        # preexec_fn: the harness starts browsers from one thread only.
        self._process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire_fds,
        )
        for fd in (to_read, to_write, child_in, child_out):
            os.close(fd)
        self._pipe = _Pipe(to_browser, from_browser)
        self._pipe.call("Browser.getVersion")

    @property
    def version(self) -> str:
        """The browser's product string, e.g. 'Chrome/120.0...'."""
        assert self._pipe is not None
        return str(self._pipe.call("Browser.getVersion")["product"])

    def open(self, path: Path) -> Page:
        """Open a local file in a new tab and wait for its load event."""
        pipe = self._pipe
        if pipe is None:
            raise BrowserError("the browser is not started")
        target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        url = path.resolve().as_uri()
        page = Page(pipe, session, url)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": self.width,
                "height": self.height,
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )
        since = len(pipe.events)
        navigated = page.call("Page.navigate", {"url": url})
        if navigated.get("errorText"):
            raise BrowserError(f"cannot load {url}: {navigated['errorText']}")
        # about:blank's own load event can arrive after Page.enable: taking it for
        # the file's gave screenshots of a page not yet painted (a flaky ink test).
        deadline = time.monotonic() + TIMEOUT
        while True:
            pipe.wait_for(session, "Page.loadEventFired", since=since)
            since = len(pipe.events)
            done = "location.protocol === 'file:' && document.readyState === 'complete'"
            if page.evaluate(done) is True:
                return page
            if time.monotonic() > deadline:
                raise BrowserError(f"{url} did not finish loading")

    def close(self) -> None:
        """Close the browser (politely, then by force) and remove its profile."""
        process, pipe = self._process, self._pipe
        self._process = self._pipe = None
        if pipe is not None:
            with contextlib.suppress(BrowserError, OSError):
                pipe.send("Browser.close")
            pipe.close()
        if process is not None:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._profile.cleanup()


# --- PNG and PDF, read with the standard library ------------------------------


@dataclass(frozen=True, slots=True)
class Image:
    """A decoded 8-bit PNG: ``rows[y]`` holds ``width * channels`` bytes."""

    width: int
    height: int
    channels: int
    rows: tuple[bytes, ...]

    def distinct_colours(self, limit: int = 64) -> int:
        """How many different pixels there are (counting stops at ``limit``)."""
        seen: set[bytes] = set()
        step = self.channels
        for row in self.rows:
            for x in range(0, len(row), step):
                seen.add(row[x : x + step])
                if len(seen) >= limit:
                    return limit
        return len(seen)

    def ink(self) -> float:
        """Share of pixels that differ from the top-left one (the background)."""
        step = self.channels
        background = self.rows[0][:step]
        other = sum(
            1
            for row in self.rows
            for x in range(0, len(row), step)
            if row[x : x + step] != background
        )
        return other / (self.width * self.height)

    def luminance_variance(self) -> float:
        """Variance of the grey level over all pixels (0 for a blank image)."""
        total = squares = 0
        count = 0
        for row in self.rows:
            # Sample the first channel (red); enough to tell text from a blank page.
            reds = row[:: self.channels]
            total += sum(reds)
            squares += sum(v * v for v in reds)
            count += len(reds)
        mean = total / count
        return squares / count - mean * mean


_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data: bytes) -> Image:
    """Decode a non-interlaced 8-bit greyscale/RGB(A) PNG (what Chromium writes)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos = 8
    idat = b""
    header: tuple[int, ...] = ()
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or interlace or colour not in _CHANNELS:
        raise ValueError(
            f"unsupported PNG: depth {depth}, colour {colour}, interlace {interlace}"
        )
    channels = _CHANNELS[colour]
    stride = width * channels
    raw = zlib.decompress(idat)
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        method = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if method == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif method == 2:
            line = bytearray(
                (a + b) & 0xFF for a, b in zip(line, previous, strict=True)
            )
        elif method == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif method == 4:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                upper_left = previous[i - channels] if i >= channels else 0
                line[i] = (line[i] + _paeth(left, previous[i], upper_left)) & 0xFF
        elif method != 0:
            raise ValueError(f"bad PNG filter {method} in row {y}")
        rows.append(bytes(line))
        previous = line
    return Image(width, height, channels, tuple(rows))


_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def pdf_page_count(data: bytes) -> int:
    """Pages of a PDF: its ``/Type /Page`` objects (not ``/Pages``).

    Chromium writes page objects uncompressed; an object stream would hide them,
    so a PDF without any is refused rather than counted as empty.
    """
    if not data.startswith(b"%PDF-"):
        raise ValueError("not a PDF")
    count = len(_PAGE_OBJECT.findall(data))
    if count == 0:
        raise ValueError("no /Type /Page object found (compressed object streams?)")
    return count


def save_screenshot(
    html: Path,
    png: Path,
    *,
    width: int = 1200,
    height: int = 900,
    full_page: bool = False,
) -> Path:
    """Render ``html`` in headless Chromium and write a PNG of it to ``png``.

    For the README's committed screenshots (``docs/screenshots.py``): the first
    screen by default, the whole page with ``full_page``. Fails on console errors.
    """
    with Browser(chromium_path(), width=width, height=height) as browser:
        page = browser.open(html)
        errors = page.errors
        if errors:
            raise BrowserError(f"{html}: console errors: {errors}")
        data = page.screenshot(full_page=full_page)
    png.parent.mkdir(parents=True, exist_ok=True)
    png.write_bytes(data)
    return png
