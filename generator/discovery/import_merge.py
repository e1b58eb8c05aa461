"""``drgen import --inventory``: the group and production of an existing
inventory brought up to date from a discovery, in place.

Only what changed changes: ruamel.yaml keeps the reviewer's comments, key order
and styles (see ``generator.discovery.importer``). A key the discovery cannot
tell is kept, one production has none of (``DROP``) is removed, and list items
are matched by name (MessageBoxes by server and name, custom databases by their
Backup job name), whatever their order.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.discovery.checks import check_group
from generator.discovery.import_parts import (
    DROP,
    host_placeholders,
    inventory_parts,
)
from generator.discovery.import_yaml import (
    add_review_notes,
    clean,
    flow,
    round_trip_yaml,
)
from generator.discovery.load import DiscoveryDocument
from generator.errors import Diagnostic, InventoryError, Location, relative_display
from generator.files.textfile import TextDecodeError, decode_text
from generator.text import shown


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, str) and isinstance(new, str):
        return old.upper() == new.upper()
    return bool(old == new) and type(old) is type(new)


def _identity(path: tuple[str, ...], item: Any) -> Any:
    """What identifies an element of a list at ``path`` across the two sides."""
    if isinstance(item, str):
        return item.upper()
    if not isinstance(item, dict):
        return repr(item)
    if path[-1] == "other":
        return str(item.get("backup_name", "")).upper()
    if path[-1] == "messageboxes":
        return (str(item.get("server", "")).upper(), str(item.get("name", "")).upper())
    return str(item.get("name", "")).upper()


def _merge(old: Any, new: Any, path: tuple[str, ...]) -> Any:
    """``new`` applied to ``old`` in place, where both are of the same shape."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = list(new)
        for key, value in new.items():
            if value is DROP:
                if key in old:
                    del old[key]
            elif key in old:
                old[key] = _merge(old[key], value, (*path, key))
            elif value is not False:  # a false flag is the default: not written
                position = _insert_at(old, keys, key)
                # A ruamel CommentedMap: insert keeps the inventory's key order.
                commented: Any = old
                commented.insert(position, key, flow(clean(value)))
        return old
    if isinstance(old, list) and isinstance(new, list):
        wanted = {_identity(path, n): n for n in new}
        for index in reversed(range(len(old))):
            if _identity(path, old[index]) not in wanted:
                del old[index]
        have = {_identity(path, o): i for i, o in enumerate(old)}
        for key, value in wanted.items():
            if key in have:
                old[have[key]] = _merge(old[have[key]], value, path)
            else:
                old.append(flow(clean(value)))
        return old
    return old if _same(old, new) else new


def _insert_at(old: Any, order: list[str], key: str) -> int:
    """Where a new key goes: after the last key that precedes it in ``order``."""
    before = order[: order.index(key)]
    existing = list(old)
    positions = [existing.index(k) + 1 for k in before if k in existing]
    return max(positions, default=0)


@dataclass(frozen=True, slots=True)
class Merged:
    """An existing inventory with group and production brought up to date."""

    file: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        """Whether the discovery changes the file."""
        return self.before != self.after

    def diff(self) -> str:
        """The change as a unified diff ('' when nothing changes)."""
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=self.file,
                tofile=f"{self.file} (imported)",
            )
        )


def _inventory_error(
    file: str, message: str, where: Location | None = None
) -> InventoryError:
    return InventoryError(
        f"{file}: {message}",
        (Diagnostic(where or Location(file), "invalid", message),),
    )


def merge_into(inventory: Path, doc: DiscoveryDocument) -> Merged:
    """The inventory's text with group and production from the discovery.

    Raises:
        InventoryError: the inventory cannot be read or is not a mapping with
            a group and production.
        DiscoveryError: the discovery is of another group.
    """
    file = relative_display(inventory)
    try:
        # UTF-8, or UTF-16 with a byte order mark, as drgen reads inventories
        # everywhere (written back as UTF-8).
        before = decode_text(inventory.read_bytes(), "inventory")
    except OSError as exc:
        raise _inventory_error(file, f"cannot read inventory: {exc.strerror}") from None
    except TextDecodeError as exc:
        at = Location(file, exc.line, exc.column)
        raise _inventory_error(file, exc.message, at) from None
    from ruamel.yaml.error import YAMLError

    yaml = round_trip_yaml()
    try:
        data = yaml.load(before)
    except (YAMLError, ValueError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            Location(file, mark.line + 1, mark.column + 1) if mark is not None else None
        )
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise _inventory_error(
            file, f"YAML syntax error: {shown(problem)}", where
        ) from None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), dict) for k in ("group", "production")
    ):
        raise _inventory_error(file, "not an inventory with group and production")
    check_group(doc, data["group"].get("name"), file)
    group, production = inventory_parts(doc)
    # A host new to the inventory gets what discovery cannot read as placeholders.
    hosts = data["group"].get("hosts")
    known = {
        str(h.get("name", "")).upper()
        for h in (hosts if isinstance(hosts, list) else [])
        if isinstance(h, dict)
    }
    new_hosts = [h for h in group["hosts"] if h["name"].upper() not in known]
    host_placeholders(new_hosts)
    _merge(data["group"], group, ("group",))
    _merge(data["production"], production, ("production",))
    add_review_notes(data["group"], data["production"], doc.discovery)
    stream = io.StringIO()
    yaml.dump(data, stream)
    return Merged(file, before, stream.getvalue())
