"""Capacity warnings: a DR server taking over too much, a smaller DR site."""

from __future__ import annotations

from collections.abc import Iterator

from generator.errors import Diagnostic
from generator.inventory.load import RawDocument
from generator.inventory.model import Inventory
from generator.plan.mapping import capacity
from generator.plan.rules.common import warning


def _capacity(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Warn when a DR server takes over too much, or the DR site is smaller."""
    table = capacity(inv)
    for row in table.rows:
        if row.over and row.ratio is not None:
            yield warning(
                doc,
                ("dr", "servers", row.index, "name"),
                "capacity",
                f"DR server '{row.server}' takes over {row.load} host instances, "
                f"{row.ratio:.2f} times the busiest production server "
                f"('{table.busiest_server}', {table.busiest_load})",
                hint=f"the warning threshold is dr.capacity_warning_ratio "
                f"({table.warning_ratio:g}); the seed warns against overloading "
                "a smaller DR site",
            )
    if table.dr_servers < table.production_servers:
        yield warning(
            doc,
            ("dr", "servers"),
            "smaller-dr-site",
            f"the DR site has {table.dr_servers} runtime servers for "
            f"{table.production_servers} in production",
            hint="check the DR servers can carry the production load",
        )
