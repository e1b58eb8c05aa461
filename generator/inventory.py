"""Read an inventory YAML file into plain data plus a position index.

Positions come from PyYAML's node marks so that every later diagnostic can say
``file:line:col``. Duplicate keys, which PyYAML silently collapses, are errors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.errors import Diagnostic, InventoryError, Location, relative_display

Path_ = tuple[str | int, ...]

# YAML 1.1 reads these unquoted scalars as booleans; users almost always meant text.
YAML11_BOOLEANS = frozenset({"y", "yes", "n", "no", "on", "off", "true", "false"})


@dataclass(frozen=True, slots=True)
class RawDocument:
    """The parsed YAML with the position of every key path and scalar spelling."""

    file: str
    data: Any
    positions: dict[Path_, tuple[int, int]]
    plain_scalars: dict[Path_, str]
    sha256: str

    def locate(self, path: Path_) -> Location:
        """Location of ``path``, or of its nearest ancestor that exists."""
        probe = tuple(path)
        while probe not in self.positions and probe:
            probe = probe[:-1]
        line, column = self.positions.get(probe, (0, 0))
        return Location(self.file, line, column)


class _PositionLoader(yaml.SafeLoader):
    """SafeLoader that also records where each node starts."""


def _walk(
    node: yaml.Node,
    path: Path_,
    positions: dict[Path_, tuple[int, int]],
    plain: dict[Path_, str],
    problems: list[Diagnostic],
    file: str,
) -> None:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                problems.append(
                    Diagnostic(
                        Location(
                            file,
                            key_node.start_mark.line + 1,
                            key_node.start_mark.column + 1,
                        ),
                        "duplicate-key",
                        f"key '{key}' appears twice in this mapping "
                        f"(first on line {seen[key]})",
                        hint="YAML keeps only the last value; remove one of them",
                    )
                )
                continue
            seen[key] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), positions, plain, problems, file)
            # A key's own position is more useful than its value's for messages.
            positions[(*path, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), positions, plain, problems, file)
    elif isinstance(node, yaml.ScalarNode) and node.style is None:
        plain[path] = str(node.value)


def parse_inventory_text(
    text: str, file: str, sha256: str | None = None
) -> RawDocument:
    """Parse YAML text; raise ``InventoryError`` with a location on any problem."""
    digest = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        node = yaml.compose(text, Loader=_PositionLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        raise InventoryError(
            f"{file}: YAML syntax error",
            (
                Diagnostic(
                    Location(file, line, column),
                    "yaml-syntax",
                    f"YAML syntax error: {problem}",
                ),
            ),
        ) from None
    except yaml.YAMLError as exc:
        raise InventoryError(
            f"{file}: YAML error",
            (Diagnostic(Location(file), "yaml-syntax", f"YAML error: {exc}"),),
        ) from None
    if node is None:
        raise InventoryError(
            f"{file}: empty inventory",
            (Diagnostic(Location(file, 1, 1), "empty", "the inventory file is empty"),),
        )
    positions: dict[Path_, tuple[int, int]] = {}
    plain: dict[Path_, str] = {}
    problems: list[Diagnostic] = []
    _walk(node, (), positions, plain, problems, file)
    if problems:
        raise InventoryError(f"{file}: invalid YAML", tuple(problems))
    try:
        data = _PositionLoader(text).get_single_data()
    except yaml.YAMLError as exc:  # e.g. an invalid timestamp or tag
        raise InventoryError(
            f"{file}: YAML error",
            (Diagnostic(Location(file, 1, 1), "yaml-syntax", f"YAML error: {exc}"),),
        ) from None
    return RawDocument(file, data, positions, plain, digest)


def load_inventory(path: Path) -> RawDocument:
    """Read ``path`` as UTF-8 YAML with positions."""
    file = relative_display(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InventoryError(
            f"{file}: cannot read inventory: {exc.strerror}",
            (
                Diagnostic(
                    Location(file),
                    "unreadable",
                    f"cannot read inventory: {exc.strerror}",
                ),
            ),
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InventoryError(
            f"{file}: not UTF-8",
            (
                Diagnostic(
                    Location(file),
                    "encoding",
                    f"inventory is not valid UTF-8 (byte {exc.start})",
                ),
            ),
        ) from None
    return parse_inventory_text(text, file, hashlib.sha256(raw).hexdigest())
