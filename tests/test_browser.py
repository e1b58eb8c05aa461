"""Runbook.html in a real browser: Debian's headless Chromium (tests/browser.py).

It loads without a console error or any request but itself, draws something,
prints to a plausible number of A4 pages, and its rendered text names every DR
server, every step, every command and the SQL mapping. Under CI=true a missing
Chromium fails the run (conftest.require_tool); elsewhere these tests skip.
The harness's own checks are shown able to fail on pages made to fail them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from generator.artifacts import RenderedArtifact, encode_text
from generator.contexts import SiteRunbook
from generator.plan import Plan
from tests.browser import Browser, BrowserError, Page, decode_png, pdf_page_count
from tests.conftest import EXAMPLES, require_tool

pytestmark = pytest.mark.oracle

Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]
# Chromium's PDF page size for CSS "size: A4", in points (210 x 297 mm).
A4 = (595.92, 841.92)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser(require_tool("chromium")) as running:
        yield running


@pytest.fixture(scope="module")
def pages(
    browser: Browser, rendered: Rendered, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Page]:
    """Each example's Runbook.html, written as drgen writes it and opened."""
    folder = tmp_path_factory.mktemp("runbook-html")
    opened = {}
    for stem in EXAMPLES:
        (art,) = [a for p, a in rendered[stem].items() if p.name == "Runbook.html"]
        path = folder / f"{stem}.html"
        path.write_bytes(encode_text(art.text, art.kind))
        opened[stem] = browser.open(path)
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
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("document.styleSheets.length") == 1


@pytest.mark.parametrize("stem", EXAMPLES)
def test_screenshot_is_not_blank(pages, stem: str) -> None:
    image = decode_png(pages[stem].screenshot())
    assert (image.width, image.height) == (1200, 900)
    assert image.distinct_colours() >= 16
    # A full first screen: headings, tables, the map (about 14 % ink here); three
    # words on white are 0.04 % (test_harness_sees_a_blank_page_and_counts_pages).
    assert image.ink() > 0.05
    assert image.luminance_variance() > 500


@pytest.mark.parametrize("stem", EXAMPLES)
def test_the_map_is_drawn(pages, plans, stem: str) -> None:
    """The SVG lays out at its computed size and every server name is in it."""
    page = pages[stem]
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
    pdf = pages[stem].pdf()
    count = pdf_page_count(pdf)
    phases = runbook(plans[stem]).runbook.phases
    # Each phase starts a page, after at least one page of header and tables.
    assert len(phases) + 1 <= count <= 40
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(sizes) == count
    for width, height in sizes:
        assert abs(float(width) - A4[0]) < 2
        assert abs(float(height) - A4[1]) < 2


@pytest.mark.parametrize("stem", EXAMPLES)
def test_page_text_names_every_server_step_command_and_mapping(
    pages, plans, stem: str
) -> None:
    text = words(pages[stem].text())
    plan = plans[stem]
    context = runbook(plan)
    for server in plan.site.servers:
        assert server.name in text
        for host in server.host_names:
            assert host in text
    for step in context.runbook.steps:
        assert f"{step.number} {step.title}" in text or (
            f"{step.number}\t{step.title}" in pages[stem].text()
        ), step.number
        assert words(step.success) in text
        for command in step.commands:
            assert command in text
        for target in step.runs_on:
            assert target in text
    for row in context.runbook.sql_instances:
        assert f"{row.production}\t{row.dr}" in pages[stem].text()
    for move in plan.site.update_info.all_moves:
        assert move.old_name in text
        assert move.new_server in text
    assert plan.inventory_sha256 in text


# --- the harness can fail ----------------------------------------------------


def test_harness_sees_console_errors_and_requests(
    browser: Browser, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(
        "<!DOCTYPE html><html><head><title>x</title></head><body>"
        '<img src="missing.png" alt=""/>'
        "<script>console.error('drgen test'); undefinedFunction();</script>"
        "</body></html>",
        encoding="utf-8",
    )
    page = browser.open(broken)
    errors = page.errors
    assert any("drgen test" in e for e in errors), errors
    assert any("undefinedFunction" in e for e in errors), errors
    assert any("missing.png" in e or "ERR_FILE_NOT_FOUND" in e for e in errors)
    assert (tmp_path / "missing.png").as_uri() in page.requests


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
    page = browser.open(blank)
    image = decode_png(page.screenshot())
    # Three short words on white: anti-aliased, so many colours, but little ink.
    assert image.ink() < 0.01
    assert image.luminance_variance() < 100
    empty = tmp_path / "empty.html"
    empty.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    nothing = decode_png(browser.open(empty).screenshot())
    assert nothing.distinct_colours() == 1
    assert nothing.ink() == 0
    assert nothing.luminance_variance() == 0
    assert pdf_page_count(page.pdf()) == 3


def test_decoded_pixels_are_the_colours_drawn(browser: Browser, tmp_path: Path) -> None:
    """The PNG reader against a page of known colours (Chromium picks the filters)."""
    page = tmp_path / "colours.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>c</title><style>"
        "html, body { margin: 0; background: rgb(10, 200, 30); }"
        "div { position: absolute; left: 100px; top: 50px; width: 200px;"
        " height: 100px; background: rgb(250, 5, 120); }"
        "</style></head><body><div></div></body></html>",
        encoding="utf-8",
    )
    image = decode_png(browser.open(page).screenshot())
    step = image.channels

    def pixel(x: int, y: int) -> tuple[int, ...]:
        return tuple(image.rows[y][x * step : x * step + 3])

    assert pixel(0, 0) == pixel(1199, 899) == (10, 200, 30)
    assert pixel(100, 50) == pixel(299, 149) == (250, 5, 120)
    assert pixel(300, 150) == (10, 200, 30)
    assert 0.018 < image.ink() < 0.019  # 200 x 100 of 1200 x 900


def test_a_browser_that_dies_is_an_error_not_a_hang() -> None:
    with (
        pytest.raises(BrowserError, match="closed its DevTools pipe"),
        Browser("/bin/true"),
    ):
        pass
