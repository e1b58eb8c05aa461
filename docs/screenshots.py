"""Regenerate the README's screenshots: ``./drgen.sh screenshots`` (or
``.venv/bin/python docs/screenshots.py [--out DIR]``).

Each screenshot is an HTML file drgen makes from the example inventory, opened
in Debian's headless Chromium (``tests/browser.py``) at 1200 x 900 CSS pixels,
first screen only, so the PNGs stay small and change only when the page does.
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

ROOT = Path(__file__).resolve().parent.parent
# The consolidated example: five production servers folded onto two DR servers.
EXAMPLE = ROOT / "inventories" / "consolidated.yaml"
WIDTH, HEIGHT = 1200, 900


def runbook_html(folder: Path) -> Path | None:
    """The example's Runbook.html, byte for byte as ``drgen render`` writes it."""
    from generator.api import plan
    from generator.artifacts import encode_text
    from generator.render import make_environment, render_artifact

    (site_plan,) = plan([EXAMPLE])
    (spec,) = [s for s in site_plan.artifacts if s.path.name == "Runbook.html"]
    art = render_artifact(make_environment(), spec)
    path = folder / "Runbook.html"
    path.write_bytes(encode_text(art.text, art.kind))
    return path


def report_html(folder: Path) -> Path | None:
    """The readiness report of the sample results (``drgen report``).

    The example's samples in ``examples/results/example`` (not ready on purpose),
    judged at the moment they describe (``tests.sample_results.SAMPLE_NOW``), so
    the picture does not change as they age.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.sample_results import sample_report

    path = folder / "report.html"
    path.write_text(sample_report("example"), encoding="utf-8")
    return path


SHOTS: tuple[tuple[str, Callable[[Path], Path | None]], ...] = (
    ("runbook.png", runbook_html),
    ("report.png", report_html),
)


def main(argv: list[str] | None = None) -> int:
    """Write every screenshot of ``SHOTS``; 0 when all available ones were made."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.browser import BrowserError, chromium_path, save_screenshot

    if chromium_path() is None:
        print("screenshots: no Chromium; apt-get install chromium", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="drgen-shots-") as temp:
        for name, build in SHOTS:
            folder = Path(temp, name.removesuffix(".png"))
            folder.mkdir()
            html = build(folder)
            if html is None:
                print(f"screenshots: {name}: no page yet, skipped", file=sys.stderr)
                continue
            try:
                png = save_screenshot(html, args.out / name, width=WIDTH, height=HEIGHT)
            except BrowserError as exc:
                print(f"screenshots: {name}: {exc}", file=sys.stderr)
                return 1
            print(f"wrote {png} ({png.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
