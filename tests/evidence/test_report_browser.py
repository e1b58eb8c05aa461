"""The sample readiness report in a real browser (Debian's headless Chromium
driven by Playwright, tests/support/browser.py): no console error, no request
but itself, something drawn, a plausible number of A4 pages, and the text names
every DR server and every failed check. Under CI=true a missing Chromium fails
the run; elsewhere these tests skip. docs/screenshots.py writes its PNGs."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from generator.evidence.results import DrillResult, read_result, result_files
from tests.support.browser import OpenedPage, open_file, print_pdf, screenshot
from tests.support.paths import ROOT
from tests.support.pictures import pdf_page_sizes, read_png
from tests.support.sample_results import SAMPLES, sample_report

pytestmark = pytest.mark.oracle

STEMS = ("example", "consolidated")
# Chromium's PDF page size for CSS "size: A4", in points (210 x 297 mm).
A4 = (595.92, 841.92)


@pytest.fixture(scope="module")
def pages(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, OpenedPage]:
    folder = tmp_path_factory.mktemp("report-html")
    opened = {}
    for stem in STEMS:
        path = folder / f"{stem}.html"
        path.write_text(sample_report(stem), encoding="utf-8")
        opened[stem] = open_file(browser, path)
    return opened


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("stem", STEMS)
def test_loads_without_console_errors_or_requests(pages, stem: str) -> None:
    page = pages[stem]
    assert page.errors == []
    assert page.requests == [page.url]
    assert page.page.evaluate("document.scripts.length") == 0
    assert page.page.evaluate("document.querySelectorAll('h1').length") == 1
    # Long values (64-digit hashes) wrap: nothing sticks out to the right.
    width = page.page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.page.evaluate("window.innerWidth")


@pytest.mark.parametrize("stem", STEMS)
def test_screenshot_is_not_blank(pages, stem: str) -> None:
    image = read_png(screenshot(pages[stem].page))
    assert image.size == (1200, 900)
    # Verdict badges, table headers and text: several colours, a lot of ink.
    assert image.distinct_colours() >= 16
    assert image.ink() > 0.03
    assert image.luminance_variance() > 500


@pytest.mark.parametrize("stem", STEMS)
def test_prints_to_a_plausible_number_of_a4_pages(pages, stem: str) -> None:
    sizes = pdf_page_sizes(print_pdf(pages[stem].page))
    # The example's bundle grid alone is three servers by ~50 files.
    assert (2 if stem == "example" else 1) <= len(sizes) <= 30
    for width, height in sizes:
        assert abs(width - A4[0]) < 2
        assert abs(height - A4[1]) < 2


@pytest.mark.parametrize("stem", STEMS)
def test_text_names_every_server_and_failed_check(pages, stem: str) -> None:
    text = words(pages[stem].page.inner_text("body"))
    results = [read_result(p) for p in result_files([SAMPLES / stem])]
    for computer in {r.computer for r in results}:
        assert re.search(re.escape(computer), text, re.IGNORECASE), computer
    latest: dict[tuple[str, str], DrillResult] = {}
    for result in sorted(results, key=lambda r: r.finished):
        latest[(result.computer, result.kind)] = result
    failed = [check for result in latest.values() for check in result.failed]
    assert bool(failed) == (stem == "example")
    for check in failed:
        assert check.check in text
        assert check.id in text
    verdict = "STANDBY NOT READY" if stem == "example" else "STANDBY READY"
    assert f"Verdict: {verdict}" in text


def test_the_screenshots_command_writes_every_png(
    browser: Browser, tmp_path: Path
) -> None:
    """docs/screenshots.py (``./drgen.sh screenshots``), into a temporary folder:
    one first screen per shot, each with something drawn on it."""
    spec = importlib.util.spec_from_file_location(
        "drgen_screenshots", ROOT / "docs" / "screenshots.py"
    )
    assert spec is not None
    assert spec.loader is not None
    screenshots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screenshots)
    written = screenshots.write_screenshots(browser, tmp_path / "images")
    assert [p.name for p in written] == [name for name, _ in screenshots.SHOTS]
    for png in written:
        image = read_png(png.read_bytes())
        assert image.size == (1200, 900)
        assert image.distinct_colours() >= 16
        assert image.ink() > 0.03, png.name
