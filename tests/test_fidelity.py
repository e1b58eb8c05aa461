"""Not a test module: the names tests/runbook/test_runbook.py and
test_runbook_html.py still import from here (both are being rewritten on another
branch). They live in tests/support; once those two modules import them from
there, this file goes (tests/test_layout.py names it as the one exception)."""

from __future__ import annotations

from tests.support.inventories import consolidated_text, edit, inventory
from tests.support.runbook import Item, failover, steps
from tests.support.scripts import artifact

__all__ = [
    "Item",
    "artifact",
    "consolidated_text",
    "edit",
    "failover",
    "inventory",
    "steps",
]
