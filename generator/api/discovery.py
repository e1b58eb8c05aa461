"""The discovery commands of the library: the discovery script (``drgen
discover``) and its simulation, ``import`` (a new inventory, or the changes to an
existing one) and ``drift``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.api.signing import Signing, ignore_warning, signer_for
from generator.defaults import DEFAULT_TEMPLATES
from generator.errors import InventoryError, UsageError
from generator.inventory.load import load_inventory
from generator.inventory.validation import parse_inventory
from generator.plan.rules import check_rules
from generator.render.environment import make_environment

if TYPE_CHECKING:
    from generator.discovery.drift_findings import DriftReport
    from generator.discovery.import_merge import Merged
    from generator.discovery.script import DiscoveryWritten


def discovery_script(
    *,
    out: Path,
    templates: Path = DEFAULT_TEMPLATES,
    signing: Signing | None = None,
    force: bool = False,
    now: datetime | None = None,
    warn: Callable[[str], None] = ignore_warning,
) -> DiscoveryWritten:
    """Write the signed, read-only Export-BizTalkGroup.ps1 for any production
    BizTalk server into ``out`` (``drgen render`` writes one per inventory, guarded
    to its production servers, into ``OUT/<inventory>/production/``).

    Raises:
        UsageError: ``out`` is a file, or holds an Export-BizTalkGroup.ps1 drgen did
            not write (without ``force``); checked before the key is loaded.
        SigningError: an unusable certificate or key; nothing is written.
    """
    from generator.discovery.script import (
        build_discovery_script,
        check_discovery_target,
        write_discovery_script,
    )

    if not templates.is_dir():
        raise UsageError(f"{templates}: --templates must be a directory")
    target = check_discovery_target(out, force=force)
    choice = signer_for(signing or Signing(), now, warn)
    script = build_discovery_script(make_environment(templates), choice.signer)
    return write_discovery_script(target, script)


def simulate_discovery(inventory: Path) -> str:
    """The discovery JSON a production matching ``inventory`` would write."""
    from generator.discovery.simulate import simulate

    return simulate(inventory)


def discovery_schema() -> dict[str, Any]:
    """The JSON Schema of a discovery file (``drgen/discovery-v1``)."""
    from generator.discovery.model import json_schema as discovery_json_schema

    return discovery_json_schema()


def import_discovery(discovery: Path, *, now: datetime | None = None) -> str:
    """A new inventory (YAML text) from a discovery, its dr section scaffolded.

    ``now`` (the caller's time) refuses a discovery dated in the future.

    Raises:
        DiscoveryError: the discovery is unreadable, malformed, inconsistent
            (``discovery_checks``), of another schema version or of an unknown
            BizTalk version.
    """
    from generator.discovery.checks import read_discovery
    from generator.discovery.importer import new_inventory_text

    return new_inventory_text(read_discovery(discovery, now=now))


def import_into(
    discovery: Path, inventory: Path, *, now: datetime | None = None
) -> Merged:
    """``inventory`` with group and production from ``discovery``; writes nothing
    (``write_import`` does).

    Raises:
        DiscoveryError: as ``import_discovery``, or the discovery is of another group.
        InventoryError: the inventory cannot be read as YAML with group and production.
    """
    from generator.discovery.checks import read_discovery
    from generator.discovery.importer import merge_into

    return merge_into(inventory, read_discovery(discovery, now=now))


def write_import(inventory: Path, merged: Merged) -> None:
    """Replace ``inventory`` with ``merged.after`` atomically (whole or not at all)."""
    from generator.files.atomic import write_atomically

    write_atomically(inventory, merged.after.encode("utf-8"))


def drift(
    inventory: Path,
    discovery: Path,
    *,
    now: datetime | None = None,
    max_age: timedelta | None = None,
) -> DriftReport:
    """Every difference between production (``discovery``) and ``inventory``, and
    what could not be compared (values the discovery could not read).

    The inventory must be valid, its own rules included: production is compared
    with what would be rendered. The age check (DRIFT050) runs when both ``now``
    and ``max_age`` are given; ``now`` also refuses a discovery dated after it.

    Raises:
        InventoryError: the inventory cannot be read, does not model or breaks
            one of its rules (checked before the discovery is read).
        DiscoveryError: the discovery is malformed, inconsistent or of another
            group.
    """
    from generator.discovery.checks import check_group, read_discovery
    from generator.discovery.drift import drift as compare
    from generator.discovery.gaps import not_compared

    doc = load_inventory(inventory)
    inv = parse_inventory(doc)
    broken = tuple(d for d in check_rules(inv, doc) if d.severity == "error")
    if broken:
        raise InventoryError(f"{doc.file}: invalid inventory", broken)
    found = read_discovery(discovery, now=now)
    check_group(found, inv.group.name, doc.file)
    report = compare(inv, doc, found, now=now, max_age=max_age)
    return dataclasses.replace(report, not_compared=not_compared(inv, found))
