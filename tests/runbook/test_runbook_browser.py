"""Runbook.html in a real browser: Debian's headless Chromium driven by
Playwright (tests/support/browser.py).

It loads without a console error or any request but itself, draws something,
prints to a plausible number of A4 pages, and its rendered text names every DR
server, every step, every command and the SQL mapping. Under CI=true a missing
Chromium fails the run (conftest.require_tool); elsewhere these tests skip.
The harness's own checks are shown able to fail on pages made to fail them.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path, PurePosixPath

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from generator.plan.contexts import SiteRunbook
from generator.plan.prose import plain
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact, encode_text
from tests.support.browser import (
    FLAGS,
    TIMEOUT_MS,
    BrowserError,
    OpenedPage,
    chromium,
    launch,
    open_file,
    print_pdf,
    save_screenshot,
    screenshot,
)
from tests.support.paths import EXAMPLES
from tests.support.pictures import pdf_page_sizes, read_png

pytestmark = pytest.mark.oracle

Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]
# Chromium's PDF page size for CSS "size: A4", in points (210 x 297 mm).
A4 = (595.92, 841.92)


@pytest.fixture(scope="module")
def pages(
    browser: Browser, rendered: Rendered, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, OpenedPage]:
    """Each example's Runbook.html, written as drgen writes it and opened."""
    folder = tmp_path_factory.mktemp("runbook-html")
    opened = {}
    for stem in EXAMPLES:
        (art,) = [a for p, a in rendered[stem].items() if p.name == "Runbook.html"]
        path = folder / f"{stem}.html"
        path.write_bytes(encode_text(art.text, art.kind))
        opened[stem] = open_file(browser, path)
    return opened


def runbook(plan: Plan) -> SiteRunbook:
    (spec,) = [s for s in plan.artifacts if s.path.name == "Runbook.html"]
    assert isinstance(spec.context, SiteRunbook)
    return spec.context


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("stem", EXAMPLES)
def test_loads_without_console_errors_or_requests(pages, stem: str) -> None:
    page = pages[stem]
    assert page.errors == []
    # Self-contained: the page itself is the only thing loaded.
    assert page.requests == [page.url]
    assert page.page.evaluate("document.scripts.length") == 0
    assert page.page.evaluate("document.styleSheets.length") == 1


@pytest.mark.parametrize("stem", EXAMPLES)
def test_screenshot_is_not_blank(pages, stem: str) -> None:
    image = read_png(screenshot(pages[stem].page))
    assert image.size == (1200, 900)
    assert image.distinct_colours() >= 16
    # A full first screen: headings, tables, the map (about 14 % ink here); three
    # words on white are 0.04 % (test_harness_sees_a_blank_page_and_counts_pages).
    assert image.ink() > 0.05
    assert image.luminance_variance() > 500


@pytest.mark.parametrize("stem", EXAMPLES)
def test_the_map_is_drawn(pages, plans, stem: str) -> None:
    """The SVG lays out at its computed size and every server name is in it."""
    page = pages[stem].page
    drawn = runbook(plans[stem]).runbook.server_map
    box = page.evaluate(
        "(() => { const b = document.querySelector('svg').getBBox();"
        " return [b.width, b.height]; })()"
    )
    assert 0.5 * drawn.width < box[0] <= drawn.width
    assert 0.5 * drawn.height < box[1] <= drawn.height
    labels = page.evaluate(
        "Array.from(document.querySelectorAll('svg text'), t => t.textContent)"
    )
    for server in plans[stem].site.servers:
        assert server.name in labels


@pytest.mark.parametrize("stem", EXAMPLES)
def test_prints_to_a_plausible_number_of_a4_pages(pages, plans, stem: str) -> None:
    sizes = pdf_page_sizes(print_pdf(pages[stem].page))
    # Tables, map and seven phases of steps: more than a few pages, not a book
    # (tests/runbook/test_runbook_print.py checks that no page is nearly empty).
    assert 5 <= len(sizes) <= 40
    for width, height in sizes:
        assert abs(width - A4[0]) < 2
        assert abs(height - A4[1]) < 2


@pytest.mark.parametrize("stem", EXAMPLES)
def test_page_text_names_every_server_step_command_and_mapping(
    pages, plans, stem: str
) -> None:
    rendered_text = pages[stem].page.inner_text("body")
    text = words(rendered_text)
    plan = plans[stem]
    context = runbook(plan)
    for server in plan.site.servers:
        assert server.name in text
        for host in server.host_names:
            assert host in text
    for step in context.runbook.steps:
        assert f"{step.number} {step.title}" in text or (
            f"{step.number}\t{step.title}" in rendered_text
        ), step.number
        assert words(plain(step.success)) in text
        assert words(plain(step.if_fails.log)) in text
        for command in step.commands:
            assert command in text
        for target in step.targets:
            assert target in text
    for row in context.runbook.sql_instances:
        assert f"{row.production}\t{row.dr}" in rendered_text
    for move in plan.site.update_info.all_moves:
        assert move.old_name in text
        assert move.new_server in text
    assert plan.inventory_sha256 in text


# --- the harness: Debian's browser, and checks that can fail -----------------


def test_the_browser_is_debians_chromium_with_quiet_flags(browser: Browser) -> None:
    """Playwright drives the machine's chromium (no downloaded build), headless,
    with every flag of FLAGS and a profile of its own (not ~/.config/chromium)."""
    (installed,) = re.findall(
        r"Chromium (\d+(?:\.\d+){3})",
        subprocess.run(
            ["chromium", "--version"], capture_output=True, text=True, check=True
        ).stdout,
    )
    assert browser.version == installed
    page = browser.new_page()
    try:
        page.goto("chrome://version")
        command_line = page.inner_text("#command_line").split()
        profile = page.inner_text("#profile_path")
    finally:
        page.close()
    assert set(FLAGS) | {"--headless"} <= set(command_line)
    (user_data,) = [a for a in command_line if a.startswith("--user-data-dir=")]
    assert profile.startswith(user_data.removeprefix("--user-data-dir="))
    assert ".config/chromium" not in profile


def test_harness_sees_console_errors_and_requests(
    browser: Browser, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(
        "<!DOCTYPE html><html><head><title>x</title></head><body>"
        '<img src="missing.png" alt=""/>'
        "<script>console.error('drgen test'); console.assert(false, 'drgen assert');"
        " undefinedFunction();</script>"
        "</body></html>",
        encoding="utf-8",
    )
    page = open_file(browser, broken)
    errors = page.errors
    assert any("drgen test" in e for e in errors), errors
    assert any("drgen assert" in e for e in errors), errors
    assert any("undefinedFunction" in e for e in errors), errors
    assert any("missing.png" in e and "ERR_FILE_NOT_FOUND" in e for e in errors)
    assert page.requests == [page.url, (tmp_path / "missing.png").as_uri()]
    page.close()


def test_a_screenshot_of_a_page_with_a_console_error_is_refused(
    browser: Browser, tmp_path: Path
) -> None:
    """docs/screenshots.py's rule: no picture of a page that logs an error."""
    html = tmp_path / "broken.html"
    html.write_text(
        "<!DOCTYPE html><html><body><p>x</p>"
        "<script>console.error('drgen test')</script></body></html>",
        encoding="utf-8",
    )
    png = tmp_path / "images" / "broken.png"
    with pytest.raises(BrowserError, match=r"console errors:.*drgen test"):
        save_screenshot(browser, html, png)
    assert not png.exists()
    html.write_text("<!DOCTYPE html><html><body><p>x</p></body></html>", "utf-8")
    assert save_screenshot(browser, html, png).read_bytes().startswith(b"\x89PNG")


def test_harness_sees_a_blank_page_and_counts_pages(
    browser: Browser, tmp_path: Path
) -> None:
    blank = tmp_path / "blank.html"
    blank.write_text(
        "<!DOCTYPE html><html><head><title>blank</title><style>"
        "@page { size: A4; } p { break-after: page; }</style></head>"
        "<body><p>one</p><p>two</p><p>three</p></body></html>",
        encoding="utf-8",
    )
    page = open_file(browser, blank)
    image = read_png(screenshot(page.page))
    # Three short words on white: anti-aliased, so many colours, but little ink.
    assert image.ink() < 0.01
    assert image.luminance_variance() < 100
    empty = tmp_path / "empty.html"
    empty.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    opened_empty = open_file(browser, empty)
    nothing = read_png(screenshot(opened_empty.page))
    opened_empty.close()
    assert nothing.distinct_colours() == 1
    assert nothing.ink() == 0
    assert nothing.luminance_variance() == 0
    assert len(pdf_page_sizes(print_pdf(page.page))) == 3
    page.close()


def test_screenshot_pixels_are_the_colours_drawn(
    browser: Browser, tmp_path: Path
) -> None:
    """CSS pixels are screenshot pixels (scale 1), and the reader sees the colours
    a page of known colours draws."""
    html = tmp_path / "colours.html"
    html.write_text(
        "<!DOCTYPE html><html><head><title>c</title><style>"
        "html, body { margin: 0; background: rgb(10, 200, 30); }"
        "div { position: absolute; left: 100px; top: 50px; width: 200px;"
        " height: 100px; background: rgb(250, 5, 120); }"
        "</style></head><body><div></div></body></html>",
        encoding="utf-8",
    )
    page = open_file(browser, html)
    image = read_png(screenshot(page.page))
    page.close()
    assert image.size == (1200, 900)
    assert image.pixel(0, 0) == image.pixel(1199, 899) == (10, 200, 30)
    assert image.pixel(100, 50) == image.pixel(299, 149) == (250, 5, 120)
    assert image.pixel(300, 150) == (10, 200, 30)
    assert image.distinct_colours() == 2
    assert 0.018 < image.ink() < 0.019  # 200 x 100 of 1200 x 900


def test_the_readers_refuse_what_is_not_a_png_or_a_pdf() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        read_png(b"%PDF-1.4")
    with pytest.raises(ValueError, match="not a PDF"):
        pdf_page_sizes(b"\x89PNG\r\n\x1a\n")


def test_a_browser_that_dies_is_an_error_not_a_hang(browser: Browser) -> None:
    started = time.monotonic()
    with pytest.raises(PlaywrightError, match="closed"):
        launch(browser.browser_type, "/bin/true")
    # An error as soon as it exits, not when the launch times out.
    assert time.monotonic() - started < TIMEOUT_MS / 1000 / 2


def test_no_browser_is_a_clear_error() -> None:
    with pytest.raises(BrowserError, match="apt-get install chromium"), chromium(None):
        pass
