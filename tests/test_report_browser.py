"""The sample readiness report in a real browser (Debian's headless Chromium,
tests/browser.py): no console error, no request but itself, something drawn,
a plausible number of A4 pages, and the text names every DR server and every
failed check. Under CI=true a missing Chromium fails the run; elsewhere these
tests skip."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.drill_result import DrillResult, read_result, result_files
from tests.browser import Browser, Page, decode_png, pdf_page_count
from tests.conftest import require_tool
from tests.sample_results import SAMPLES, sample_report

pytestmark = pytest.mark.oracle

STEMS = ("example", "consolidated")
# Chromium's PDF page size for CSS "size: A4", in points (210 x 297 mm).
A4 = (595.92, 841.92)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Page]]:
    folder = tmp_path_factory.mktemp("report-html")
    with Browser(require_tool("chromium")) as browser:
        opened = {}
        for stem in STEMS:
            path = folder / f"{stem}.html"
            path.write_text(sample_report(stem), encoding="utf-8")
            opened[stem] = browser.open(path)
        yield opened


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("stem", STEMS)
def test_loads_without_console_errors_or_requests(pages, stem: str) -> None:
    page = pages[stem]
    assert page.errors == []
    assert page.requests == [page.url]
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("document.querySelectorAll('h1').length") == 1
    # Long values (64-digit hashes) wrap: nothing sticks out to the right.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth")


@pytest.mark.parametrize("stem", STEMS)
def test_screenshot_is_not_blank(pages, stem: str) -> None:
    image = decode_png(pages[stem].screenshot())
    assert (image.width, image.height) == (1200, 900)
    # Verdict badges, table headers and text: several colours, a lot of ink.
    assert image.distinct_colours() >= 16
    assert image.ink() > 0.03
    assert image.luminance_variance() > 500


@pytest.mark.parametrize("stem", STEMS)
def test_prints_to_a_plausible_number_of_a4_pages(pages, stem: str) -> None:
    pdf = pages[stem].pdf()
    count = pdf_page_count(pdf)
    # The example's bundle grid alone is three servers by ~50 files.
    assert (2 if stem == "example" else 1) <= count <= 30
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(sizes) == count
    for width, height in sizes:
        assert abs(float(width) - A4[0]) < 2
        assert abs(float(height) - A4[1]) < 2


@pytest.mark.parametrize("stem", STEMS)
def test_text_names_every_server_and_failed_check(pages, stem: str) -> None:
    text = words(pages[stem].text())
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
    verdict = "NOT READY" if stem == "example" else "READY"
    assert f"Verdict: {verdict}" in text


def test_the_screenshot_function_writes_a_png(tmp_path: Path) -> None:
    require_tool("chromium")
    from tests.sample_results import write_report_screenshot

    png = write_report_screenshot(tmp_path / "images" / "report.png")
    image = decode_png(png.read_bytes())
    assert (image.width, image.height) == (1200, 900)
    assert image.distinct_colours() >= 16
