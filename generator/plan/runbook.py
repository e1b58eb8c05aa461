"""Runbook.md's and Runbook.html's content, decided from the site plan.

Both runbooks print the same procedure (``generator.plan.procedure``: numbered
phases of numbered steps, each with its commands, the computers it runs on, what
success looks like and what to do if it fails) and the same tables; Runbook.html
adds the map (``generator.plan.servermap``) and a sign-off row per computer.
Everything is built from the ``SitePlan`` in inventory order, so two renders give
the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.plan.procedure import Phase, Step, procedure
from generator.plan.servermap import ServerMap, joined, server_map

if TYPE_CHECKING:
    from generator.plan.siteplan import SitePlan


@dataclass(frozen=True, slots=True)
class ServerRow:
    """A row of the DR server table: every cell already joined ('-' when empty)."""

    name: str
    roles: str
    host_instances: str
    app_pools: str
    mirrors: str


@dataclass(frozen=True, slots=True)
class SqlRow:
    """A production SQL instance and the DR instance its databases move to."""

    production: str
    dr: str


@dataclass(frozen=True, slots=True)
class RunbookDocument:
    """Everything the runbooks show beyond the site plan's own fields."""

    servers: tuple[ServerRow, ...]
    sql_instances: tuple[SqlRow, ...]
    server_map: ServerMap
    phases: tuple[Phase, ...]

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step of every phase, in order."""
        return tuple(step for phase in self.phases for step in phase.steps)

    @property
    def commands(self) -> tuple[str, ...]:
        """Every command the runbook asks for, in order (repeats kept)."""
        return tuple(c for step in self.steps for c in step.commands)


def sql_rows(site: SitePlan) -> tuple[SqlRow, ...]:
    """Each production SQL instance of a moved database and its DR instance,
    sorted by production instance (case ignored), as UpdateInfo.xml moves them."""
    pairs = {
        (m.old_server.upper(), m.new_server.upper()): SqlRow(m.old_server, m.new_server)
        for m in site.update_info.all_moves
    }
    return tuple(pairs[key] for key in sorted(pairs))


def runbook_document(site: SitePlan) -> RunbookDocument:
    """Everything the runbooks print, decided once."""
    rows = tuple(
        ServerRow(
            s.name,
            joined(s.roles),
            joined(s.host_names),
            joined(s.app_pools),
            joined(s.mirrors),
        )
        for s in site.servers
    )
    return RunbookDocument(rows, sql_rows(site), server_map(site), procedure(site))
