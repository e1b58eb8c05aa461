"""The readiness report printed and on a narrow screen (issue 18, item 6), in
Debian's headless Chromium driven by Playwright (tests/support/browser.py):

* every printed page carries the running header (the site and the bundle id,
  CSS-escaped from the results) and a page number;
* no page but the last is nearly empty (no forced break leaves a gap);
* no table is clipped: under print emulation at the A4 content width every
  ``td``/``th`` lies inside the page, with 57-character host and pool names;
* at 390 CSS pixels the page does not scroll sideways (tables scroll in their
  own box).

Each measurement is shown able to fail on the same page with the rule that
makes it pass switched off. Under CI=true a missing Chromium fails the run.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from pypdf import PdfReader

from generator import api
from generator.evidence.report import css_string
from tests.support.browser import open_file, print_pdf
from tests.support.paths import INVENTORIES, TEMPLATES
from tests.support.sample_results import (
    SAMPLE_DAY,
    SAMPLE_NOW,
    consolidated_results,
    document,
    fail,
    render,
    sample_report,
    state_checks,
)

pytestmark = pytest.mark.oracle

TEMPLATE = TEMPLATES / "report" / "Report.html.jinja"
# The @page margins of the template, and the A4 content box they leave, in CSS
# pixels (96 per inch): 210 mm - 2 x 12 mm = 186 mm.
PAGE_MARGIN = "margin: 16mm 12mm 14mm;"
CONTENT_WIDTH = 186 / 25.4 * 96
NARROW = 390
# A page with less text than this share of the fullest page is "nearly empty".
NEARLY_EMPTY = 0.15
# The longest names the tests use: 57 characters, valid host and pool names.
LONG = 57


def long_name(base: str, length: int = LONG) -> str:
    return (base + "_WithAVeryLongNameThatMustWrap" * 4)[:length]


HOSTS = ("WebReceiveHost", "ReceiveHost", "SendHost", "ProcessingHost", "TrackingHost")
POOL = long_name("FabrikamWebReceivePool")
SITE = long_name("DR-North-Site", 48)


def long_inventory(folder: Path) -> Path:
    """consolidated.yaml with 57-character host and pool names, a 48-character site."""
    text = (INVENTORIES / "consolidated.yaml").read_text(encoding="utf-8")
    text = text.replace("WebReceiveHost", "@WEB@")
    for base in HOSTS[1:]:
        text = text.replace(base, long_name(base))
    text = text.replace("@WEB@", long_name(HOSTS[0]))
    text = text.replace("FabrikamWebReceive", POOL)
    text = text.replace("site: DR-North", f"site: {SITE}")
    path = folder / "long.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def long_results(inventory: Path, folder: Path) -> None:
    """Ready results for it, one Dormant run with failed checks on the long
    names, a full drill, and a file that is not read."""
    rendered = render("long", inventory)
    results = consolidated_results(rendered)
    site = rendered.plan.site
    (first, second) = site.servers
    dormant = next(
        r
        for r in results
        if r["computer"] == first.name.upper() and r["expected_state"] == "Dormant"
    )
    fail(dormant["checks"], f"app-pool:{POOL}:state", "Started")
    fail(dormant["checks"], f"host-instance:{long_name(HOSTS[1])}:state", "Running")
    for step, expect in enumerate(("Ready", "Active")):
        for index, server in enumerate(site.servers):
            results.append(
                document(
                    rendered,
                    script="Test-DrServer",
                    computer=server.name,
                    expect=expect,
                    started=SAMPLE_DAY - timedelta(days=2, minutes=-30 * step - index),
                    checks=state_checks(site, server, expect),
                )
            )
    del second
    for result in results:
        stamp = result["finished"].replace("-", "").replace(":", "")
        name = f"{result['script']}-{result['computer']}-{stamp}.json"
        (folder / name).write_text(json.dumps(result, indent=2), encoding="utf-8")
    (folder / f"{long_name('a-renamed-result-of', 40)}.json").write_text(
        "{}", encoding="utf-8"
    )


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The long-name report and the two samples' reports, as HTML files."""
    folder = tmp_path_factory.mktemp("report-print")
    results = folder / "results"
    results.mkdir()
    inventory = long_inventory(folder)
    long_results(inventory, results)
    made = api.report([results], now=SAMPLE_NOW, inventory=inventory)
    (site,) = made.readiness.sites
    assert site.site == SITE
    assert site.last_drill is not None
    assert site.last_drill.passed
    assert not made.ready
    written = {"long": folder / "long.html"}
    written["long"].write_text(made.html, encoding="utf-8")
    for stem in ("example", "consolidated"):
        written[stem] = folder / f"{stem}.html"
        written[stem].write_text(sample_report(stem), encoding="utf-8")
    return written


def bundle_id(html: Path) -> str:
    found = re.search(r'<dd class="mono">([0-9a-f]{64})</dd>', html.read_text("utf-8"))
    assert found
    return found.group(1)


def pdf_texts(browser: Browser, html: Path, *, css: str = "") -> list[str]:
    opened = open_file(browser, html)
    try:
        assert opened.errors == []
        if css:
            opened.page.add_style_tag(content=css)
        data = print_pdf(opened.page)
    finally:
        opened.close()
    return [
        unicodedata.normalize("NFKC", page.extract_text())
        for page in PdfReader(io.BytesIO(data)).pages
    ]


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


STEMS = ("long", "example", "consolidated")


def header_of(stem: str, html: Path) -> str:
    site = {"long": SITE, "example": "DR-West", "consolidated": "DR-North"}[stem]
    return f"DR readiness report: site {site}, bundle {bundle_id(html)}"


@pytest.mark.parametrize("stem", STEMS)
def test_every_printed_page_has_the_running_header(
    browser: Browser, pages: dict[str, Path], stem: str
) -> None:
    texts = pdf_texts(browser, pages[stem])
    assert len(texts) >= 2
    header = squeezed(header_of(stem, pages[stem]))
    for number, text in enumerate(texts, 1):
        assert header in squeezed(text), (stem, number)
        assert f"page {number} of {len(texts)}" in text, (stem, number)


def _body_lengths(texts: list[str], header: str) -> list[int]:
    """Characters of each page but its header and page number."""
    lengths = []
    for number, text in enumerate(texts, 1):
        body = squeezed(text).replace(header, "", 1)
        body = body.replace(squeezed(f"page {number} of {len(texts)}"), "", 1)
        lengths.append(len(body))
    return lengths


@pytest.mark.parametrize("stem", STEMS)
def test_no_printed_page_is_nearly_empty(
    browser: Browser, pages: dict[str, Path], stem: str
) -> None:
    texts = pdf_texts(browser, pages[stem])
    lengths = _body_lengths(texts, squeezed(header_of(stem, pages[stem])))
    full = max(lengths)
    for number, length in enumerate(lengths[:-1], 1):
        assert length >= NEARLY_EMPTY * full, (stem, number, lengths)


def test_a_forced_page_break_would_be_seen(
    browser: Browser, pages: dict[str, Path]
) -> None:
    """The measurement above, on the same page with a break before every h3 and
    table (what a careless 'one table a page' rule does): it finds the gaps."""
    texts = pdf_texts(
        browser,
        pages["consolidated"],
        css="@media print { h3 { break-before: page !important; } }",
    )
    lengths = _body_lengths(
        texts, squeezed(header_of("consolidated", pages["consolidated"]))
    )
    assert any(n < NEARLY_EMPTY * max(lengths) for n in lengths[:-1]), lengths


def test_the_long_names_are_printed_whole(
    browser: Browser, pages: dict[str, Path]
) -> None:
    text = squeezed("".join(pdf_texts(browser, pages["long"])))
    for name in (POOL, *(long_name(h) for h in HOSTS[1:])):
        # Broken over lines, but every character is there, in order.
        assert squeezed(name) in text, name


CELLS = """() => Array.from(document.querySelectorAll('td, th')).map(cell => {
  const box = cell.getBoundingClientRect();
  return [box.left, box.right, cell.textContent];
})"""


# A table cell under print emulation: left and right edge, text.
Box = tuple[float, float, str]


def print_cells(
    browser: Browser, html: Path, *, css: str = ""
) -> tuple[Page, list[Box]]:
    opened = open_file(browser, html, width=round(CONTENT_WIDTH), height=1000)
    opened.page.emulate_media(media="print")
    if css:
        opened.page.add_style_tag(content=css)
    cells = [(float(a), float(b), str(c)) for a, b, c in opened.page.evaluate(CELLS)]
    return opened.page, cells


def clipped(cells: list[Box], width: float) -> list[Box]:
    return [c for c in cells if c[0] < -0.5 or c[1] > width + 0.5]


def test_the_content_width_is_the_templates() -> None:
    assert PAGE_MARGIN in TEMPLATE.read_text(encoding="utf-8")
    assert "size: A4;" in TEMPLATE.read_text(encoding="utf-8")


@pytest.mark.parametrize("stem", STEMS)
def test_no_table_cell_is_clipped_in_print(
    browser: Browser, pages: dict[str, Path], stem: str
) -> None:
    page, cells = print_cells(browser, pages[stem])
    try:
        assert len(cells) > 50
        assert clipped(cells, CONTENT_WIDTH) == []
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= CONTENT_WIDTH + 0.5
        if stem == "long":
            # The long names did wrap: the pool's cell is narrower than its name.
            name_width = page.evaluate(
                """name => { const s = document.createElement('span');
                s.style.whiteSpace = 'nowrap'; s.textContent = name;
                document.body.appendChild(s); const w = s.getBoundingClientRect().width;
                s.remove(); return w; }""",
                POOL,
            )
            assert name_width > CONTENT_WIDTH / 3
            boxes = [c for c in cells if POOL in c[2]]
            assert boxes
            assert all(c[1] - c[0] < name_width for c in boxes)
    finally:
        page.context.close()


def test_a_clipped_cell_would_be_seen(browser: Browser, pages: dict[str, Path]) -> None:
    """The same page with the wrapping rule switched off: cells stick out."""
    page, cells = print_cells(
        browser,
        pages["long"],
        css="body, th, td, code, .mono, dd { overflow-wrap: normal !important; }",
    )
    try:
        assert clipped(cells, CONTENT_WIDTH)
    finally:
        page.context.close()


def narrow_width(browser: Browser, html: Path, *, css: str = "") -> int:
    opened = open_file(browser, html, width=NARROW, height=800)
    try:
        assert opened.errors == []
        if css:
            opened.page.add_style_tag(content=css)
        # Every table scrolls in a box of its own, inside the screen.
        boxes = opened.page.evaluate(
            """() => Array.from(document.querySelectorAll('table')).map(t =>
              [t.parentElement.className,
               t.parentElement.getBoundingClientRect().right])"""
        )
        assert boxes
        assert all(kind == "scroll" for kind, _ in boxes)
        if not css:
            assert all(right <= NARROW for _, right in boxes)
        width: int = opened.page.evaluate("document.documentElement.scrollWidth")
    finally:
        opened.close()
    return width


@pytest.mark.parametrize("stem", STEMS)
def test_a_narrow_screen_does_not_scroll_sideways(
    browser: Browser, pages: dict[str, Path], stem: str
) -> None:
    assert narrow_width(browser, pages[stem]) <= NARROW


def test_a_table_that_overflows_the_screen_would_be_seen(
    browser: Browser, pages: dict[str, Path]
) -> None:
    width = narrow_width(
        browser, pages["long"], css=".scroll { overflow: visible !important; }"
    )
    assert width > NARROW


def test_the_header_is_escaped_for_css(
    browser: Browser, tmp_path: Path, pages: dict[str, Path]
) -> None:
    """Results name their site themselves (without --inventory nothing checks
    it): a site that closes the CSS string and the style element is printed as
    text in the header, and changes nothing else."""
    evil = 'DR"; } body { display: none } </style><b>x</b> \\ ü'
    assert str(css_string(evil)).count('"') == 2
    assert "<" not in css_string(evil)
    assert "\\" not in css_string(evil)[1:-1].replace("\\00", "")
    folder = tmp_path / "results"
    folder.mkdir()
    for path in sorted((pages["long"].parent / "results").glob("Test-Dr*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        data["site"] = evil
        (folder / path.name).write_text(json.dumps(data), encoding="utf-8")
    made = api.report([folder], now=SAMPLE_NOW)
    html = tmp_path / "evil.html"
    html.write_text(made.html, encoding="utf-8")
    texts = pdf_texts(browser, html)
    wanted = squeezed(
        f"DR readiness report: site {evil}, bundle not judged (no inventory)"
    )
    for text in texts:
        assert wanted in squeezed(text)
    # The body is still shown: the style element was not broken out of.
    assert "NOT JUDGED" in texts[0]
