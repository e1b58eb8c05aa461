"""Regenerate the README's screenshots: ``./drgen.sh screenshots`` (or
``.venv/bin/python docs/screenshots.py [--out DIR]``).

Each screenshot is an HTML file drgen makes from the example inventory, opened
in Debian's headless Chromium driven by Playwright (``tests/support/browser.py``;
no ``playwright install``, no downloaded browser) at 1200 x 900 CSS pixels, first
screen only, so the PNGs stay small and change only when the page does.
A page with a console error fails the run. Writes into ``docs/images/`` unless
``--out`` says otherwise; review the pictures and commit them.

To add one: a function ``(folder) -> Path | None`` that writes the HTML into
``folder`` and returns its path (``None``: not available yet, skipped with a
message), and a row in ``SHOTS``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parent.parent
# The consolidated example: five production servers folded onto two DR servers.
EXAMPLE = ROOT / "inventories" / "consolidated.yaml"
WIDTH, HEIGHT = 1200, 900


def runbook_html(folder: Path) -> Path | None:
    """The example's Runbook.html, byte for byte as ``drgen render`` writes it."""
    from generator.api import plan
    from generator.bundle.build import render_unsigned
    from generator.render.artifacts import encode_text
    from generator.render.environment import make_environment

    (site_plan,) = plan([EXAMPLE])
    # Through the bundle stage, which fills in the bundle id and the review facts.
    (art,) = [
        a
        for a in render_unsigned(site_plan, make_environment())
        if a.path.name == "Runbook.html"
    ]
    path = folder / "Runbook.html"
    path.write_bytes(encode_text(art.text, art.kind))
    return path


def report_html(folder: Path) -> Path | None:
    """The readiness report of the sample results (``drgen report``).

    The example's samples in ``examples/results/example`` (not ready on purpose),
    judged at the moment they describe
    (``tests.support.sample_results.SAMPLE_NOW``), so the picture does not change
    as they age.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.support.sample_results import sample_report

    path = folder / "report.html"
    path.write_text(sample_report("example"), encoding="utf-8")
    return path


def standby_report_html(folder: Path) -> Path | None:
    """The report of ``examples/results/consolidated``: a ready standby that was
    never drilled ("Last full drill: never" beside STANDBY READY)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.support.sample_results import sample_report

    path = folder / "report.html"
    path.write_text(sample_report("consolidated"), encoding="utf-8")
    return path


SHOTS: tuple[tuple[str, Callable[[Path], Path | None]], ...] = (
    ("runbook.png", runbook_html),
    ("report.png", report_html),
    ("report-standby.png", standby_report_html),
)


def write_screenshots(browser: Browser, out: Path) -> list[Path]:
    """Every available screenshot of ``SHOTS``, taken in ``browser`` into ``out``.

    A page with a console error raises ``tests.support.browser.BrowserError``.
    """
    from tests.support.browser import save_screenshot

    written = []
    with tempfile.TemporaryDirectory(prefix="drgen-shots-") as temp:
        for name, build in SHOTS:
            folder = Path(temp, name.removesuffix(".png"))
            folder.mkdir()
            html = build(folder)
            if html is None:
                print(f"screenshots: {name}: no page yet, skipped", file=sys.stderr)
                continue
            written.append(
                save_screenshot(browser, html, out / name, width=WIDTH, height=HEIGHT)
            )
    return written


def main(argv: list[str] | None = None) -> int:
    """Write every screenshot of ``SHOTS``; 0 when all available ones were made."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import Error as PlaywrightError

    from tests.support.browser import BrowserError, chromium, chromium_path

    try:
        with chromium(chromium_path()) as browser:
            written = write_screenshots(browser, args.out)
    except (BrowserError, PlaywrightError) as exc:
        print(f"screenshots: {exc}", file=sys.stderr)
        return 1
    for png in written:
        print(f"wrote {png} ({png.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
