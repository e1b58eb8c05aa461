"""Where things are: the checkout, the example inventories, the test data."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INVENTORIES = ROOT / "inventories"
#: The example inventories every rendered-output test reads.
EXAMPLES = ("example", "consolidated")
TESTS = ROOT / "tests"
#: Input files and expected outputs of the tests (tests/data/).
DATA = TESTS / "data"
SNAPSHOTS = TESTS / "snapshots"
TEMPLATES = ROOT / "templates"
#: CI=true: every oracle test runs (a missing tool fails, never skips) and the
#: property tests run their full number of examples.
IN_CI = os.environ.get("CI", "").lower() == "true"
