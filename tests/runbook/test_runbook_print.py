"""Runbook.html printed and on a phone, in Debian's Chromium (issue 18 item 6).

Long identifiers wrap inside every table (a 57-character host or pool name is
valid), every printed page names the site and the bundle in its running header,
no page but the last is nearly empty, and at 390 CSS pixels nothing overflows
sideways. Measured in the browser, not read from the CSS: under print emulation
at the A4 content width every table cell lies inside the page box.
"""

from __future__ import annotations

import io
import re
from pathlib import Path, PurePosixPath

import pytest
from playwright.sync_api import Browser, Page
from pypdf import PdfReader

from generator.api import plan as plan_inventories
from generator.bundle.build import plan_identity, render_unsigned
from generator.render.artifacts import RenderedArtifact, encode_text
from generator.render.environment import make_environment
from tests.support.browser import OpenedPage, open_file, print_pdf
from tests.support.paths import EXAMPLES, INVENTORIES

pytestmark = pytest.mark.oracle

Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]
# A4 (210 mm) less the 12 mm left and right page margins, in CSS pixels.
A4_CONTENT_PX = round((210 - 24) / 25.4 * 96)
PHONE_PX = 390
LONG = 57


def long_name(seed: str) -> str:
    name = (seed * 4)[:LONG]
    assert len(name) == LONG
    return name


@pytest.fixture(scope="module")
def long_inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """consolidated.yaml with a 57-character isolated host and IIS pool."""
    text = (INVENTORIES / "consolidated.yaml").read_text(encoding="utf-8")
    pool = long_name("FabrikamPartnerPortalWebReceivePool")
    host = long_name("FabrikamPartnerPortalWebReceiveHost")
    assert "FabrikamWebReceive" in text
    assert "WebReceiveHost" in text
    # The pool first: the new host name contains the old pool's name.
    text = text.replace("FabrikamWebReceive", pool).replace("WebReceiveHost", host)
    path = tmp_path_factory.mktemp("long") / "longnames.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def runbook_html(rendered: dict[PurePosixPath, RenderedArtifact], folder: Path) -> Path:
    (art,) = [a for p, a in rendered.items() if p.name == "Runbook.html"]
    path = folder / f"{art.path.parts[0]}.html"
    path.write_bytes(encode_text(art.text, art.kind))
    return path


@pytest.fixture(scope="module")
def printed(
    browser: Browser,
    rendered: Rendered,
    long_inventory: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, str, str]]:
    """(html path, site, bundle id) of each example and of the long-name bundle."""
    folder = tmp_path_factory.mktemp("print")
    env = make_environment()
    out = {}
    for stem in EXAMPLES:
        (plan,) = plan_inventories([INVENTORIES / f"{stem}.yaml"])
        out[stem] = (
            runbook_html(rendered[stem], folder),
            plan.site.site,
            plan_identity(plan, env).bundle_id,
        )
    (plan,) = plan_inventories([long_inventory])
    arts = {a.path: a for a in render_unsigned(plan, env)}
    out["longnames"] = (
        runbook_html(arts, folder),
        plan.site.site,
        plan_identity(plan, env).bundle_id,
    )
    return out


CASES = [*EXAMPLES, "longnames"]

_CELLS_OUTSIDE = """(limit) => {
  const out = [];
  for (const cell of document.querySelectorAll('th, td')) {
    const r = cell.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.left < -0.5 || r.right > limit + 0.5) {
      out.push(cell.textContent.trim().slice(0, 60) + ' @ ' + Math.round(r.right));
    }
  }
  return out;
}"""


def cells_outside(page: Page, limit: int) -> list[str]:
    """Table cells whose box is not inside 0..limit CSS pixels."""
    found: list[str] = page.evaluate(_CELLS_OUTSIDE, limit)
    return found


def open_at(browser: Browser, path: Path, width: int, media: str) -> OpenedPage:
    opened = open_file(browser, path, width=width, height=900)
    opened.page.emulate_media(media=media)  # type: ignore[arg-type]
    return opened


@pytest.mark.parametrize("case", CASES)
def test_every_cell_fits_the_printed_page(browser, printed, case: str) -> None:
    path, _, _ = printed[case]
    opened = open_at(browser, path, A4_CONTENT_PX, "print")
    try:
        page = opened.page
        assert page.evaluate("document.documentElement.scrollWidth") <= A4_CONTENT_PX
        assert cells_outside(page, A4_CONTENT_PX) == []
    finally:
        opened.close()


@pytest.mark.parametrize("case", CASES)
def test_nothing_overflows_on_a_phone(browser, printed, case: str) -> None:
    path, _, _ = printed[case]
    opened = open_at(browser, path, PHONE_PX, "screen")
    try:
        page = opened.page
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_PX
        assert cells_outside(page, PHONE_PX) == []
    finally:
        opened.close()


def page_texts(pdf: bytes) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("case", CASES)
def test_every_printed_page_names_site_and_bundle_and_none_is_nearly_empty(
    browser, printed, case: str
) -> None:
    path, site, bundle_id = printed[case]
    opened = open_file(browser, path)
    try:
        texts = page_texts(print_pdf(opened.page))
    finally:
        opened.close()
    assert 2 <= len(texts) <= 40
    header = f"DR runbook, site {site}, bundle {bundle_id}"
    for number, text in enumerate(texts, start=1):
        assert header in re.sub(r"\s+", " ", text), (case, number)
    fullest = max(len(t) for t in texts)
    for number, text in enumerate(texts[:-1], start=1):
        assert len(text) >= 0.15 * fullest, (case, number, len(text), fullest)


def test_the_long_names_are_really_in_the_tables(printed) -> None:
    """The wrapping cases above see the 57-character names (not a cut copy)."""
    path, _, _ = printed["longnames"]
    text = path.read_text(encoding="utf-8")
    for seed in ("PartnerPortalWebReceivePool", "PartnerPortalWebReceiveHost"):
        assert long_name("Fabrikam" + seed) in text


@pytest.mark.parametrize("case", CASES)
def test_a_stacked_table_labels_every_cell_with_its_column(printed, case: str) -> None:
    """On a phone a wide table shows one card per row; each cell's label (its
    data-label) must be its column's heading, or the card would mislabel it."""
    import xml.etree.ElementTree as ET

    xhtml = "{http://www.w3.org/1999/xhtml}"
    path, _, _ = printed[case]
    root = ET.fromstring(path.read_bytes())
    stacked = [t for t in root.iter(f"{xhtml}table") if t.get("class") == "stack"]
    assert len(stacked) == 3
    for table in stacked:
        head = [
            "".join(th.itertext())
            for th in table.iter(f"{xhtml}th")
            if th.get("scope") == "col"
        ]
        for row in next(table.iter(f"{xhtml}tbody")):
            labels = [cell.get("data-label") for cell in row[1:]]
            assert labels == head[1:], (case, head)
