"""``drgen review`` and ``render --check --diff``: a bundle read by meaning.

A script is its kind's code (the same in every bundle of a release) plus one data
block. Reviewing a bundle is reviewing each kind's code once (by its hash) and
each data block; comparing two bundles is comparing their data blocks value by
value (``psdata.parse_block`` reads only the form drgen writes) and saying
whether any code changed. Nothing here evaluates PowerShell.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.bundle.writer import MANIFEST_NAME
from generator.errors import UsageError
from generator.render.psdata import (
    DataBlockError,
    Row,
    Value,
    parse_block,
    split_script,
    unsigned_text,
)
from generator.render.script_data import DERIVED, DERIVED_FIELDS, LABELS, label
from generator.render.scripts import code_sha256

# Longest unified diff of code (or of a non-script file) printed in full.
MAX_DIFF_LINES = 200


@dataclass(frozen=True, slots=True)
class ScriptView:
    """One script of a bundle, split into code and data."""

    path: PurePosixPath  # relative to the bundle root (OUT/<inventory>)
    code: str
    code_sha256: str
    data: str
    values: tuple[tuple[str, Value], ...]
    # 1-based line numbers of the data block's first and last line (inclusive);
    # an empty block has last = first - 1.
    data_lines: tuple[int, int]
    lines: int

    @property
    def kind(self) -> str:
        """The script's file name: its kind."""
        return self.path.name

    @property
    def code_lines(self) -> str:
        """The line ranges that are code, e.g. '1-60, 95-1800'."""
        first, last = self.data_lines
        before = f"1-{first - 1}"
        after = f"{last + 1}-{self.lines}"
        return f"{before}, {after}"


def read_script(path: PurePosixPath, data: bytes) -> ScriptView:
    """A script file's bytes, split.

    Raises:
        DataBlockError: no data block in drgen's form (not a drgen script, or edited).
    """
    try:
        text = unsigned_text(data)
    except UnicodeDecodeError as exc:
        raise DataBlockError(f"not UTF-8: {exc}") from None
    head, block, tail = split_script(text)
    first = head.count("\n") + 1
    return ScriptView(
        path,
        head + tail,
        code_sha256(head + tail),
        block,
        parse_block(block),
        (first, first + block.count("\n") - 1),
        text.count("\n"),
    )


# --------------------------------------------------------------- comparing


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, tuple):
        return "@(" + ", ".join(_show(v) for v in value) + ")"
    return repr(value) if isinstance(value, str) else str(value)


def _row_key(record: Row, key: str) -> str:
    parts = []
    for name in key.split(","):
        try:
            parts.append(str(record.get(name)))
        except KeyError:
            parts.append("?")
    return " ".join(parts)


def _rows(name: str, old: tuple[Row, ...], new: tuple[Row, ...]) -> list[str]:
    key = LABELS.get(name, ("", ""))[1]
    if not key:
        key = old[0].fields[0][0] if old else new[0].fields[0][0]
    before = {_row_key(r, key): r for r in old}
    after = {_row_key(r, key): r for r in new}
    found = [f"+ {k}" for k in after if k not in before]
    found += [f"- {k}" for k in before if k not in after]
    for k in after:
        if k in before and before[k] != after[k]:
            changed = [
                f"{field} {_show(value)} -> {_show(dict(after[k].fields).get(field))}"
                for field, value in before[k].fields
                if dict(after[k].fields).get(field) != value
                and field not in DERIVED_FIELDS
            ]
            if not changed:
                continue
            changed += [
                f"{field} + {_show(value)}"
                for field, value in after[k].fields
                if field not in dict(before[k].fields)
            ]
            found.append(f"~ {k}: " + "; ".join(changed))
    return found


def _strings(old: tuple[str, ...], new: tuple[str, ...]) -> list[str]:
    found = [f"+ {v}" for v in new if v not in old]
    found += [f"- {v}" for v in old if v not in new]
    if not found and old != new:
        found.append("order changed")
    return found


def value_changes(name: str, old: Value | None, new: Value | None) -> str | None:
    """One line saying how a data value changed, in the inventory's words."""
    shown = label(name)
    if old == new:
        return None
    if old is None:
        return f"{shown}: added {_show(new)}"
    if new is None:
        return f"{shown}: removed (was {_show(old)})"
    if isinstance(old, tuple) and isinstance(new, tuple):
        rows = [v for v in (*old, *new) if isinstance(v, Row)]
        if rows:
            parts = _rows(
                name,
                tuple(v for v in old if isinstance(v, Row)),
                tuple(v for v in new if isinstance(v, Row)),
            )
        else:
            parts = _strings(tuple(str(v) for v in old), tuple(str(v) for v in new))
        return f"{shown}: " + ", ".join(parts)
    return f"{shown}: {_show(old)} -> {_show(new)}"


def data_changes(
    old: Sequence[tuple[str, Value]], new: Sequence[tuple[str, Value]]
) -> list[str]:
    """Every value that differs between two data blocks, in data-block order;
    derived values (hashes, bundle id) in one last line."""
    before, after = dict(old), dict(new)
    names = [n for n, _ in new] + [n for n, _ in old if n not in after]
    found = [
        line
        for name in names
        if name not in DERIVED
        and (line := value_changes(name, before.get(name), after.get(name)))
        and not line.endswith(": ")
    ]
    derived = [
        label(n) for n in names if n in DERIVED and before.get(n) != after.get(n)
    ]
    if derived:
        found.append(f"(follows: {', '.join(derived)})")
    return found


def _unified(old: str, new: str, name: str) -> list[str]:
    diff = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), f"a/{name}", f"b/{name}", lineterm=""
        )
    )
    if len(diff) > MAX_DIFF_LINES:
        return [*diff[:MAX_DIFF_LINES], f"... {len(diff) - MAX_DIFF_LINES} more lines"]
    return diff


@dataclass(frozen=True, slots=True)
class Change:
    """What a render would change in one file, by meaning."""

    status: str  # create | update | remove
    path: PurePosixPath
    lines: tuple[str, ...]  # meaning-level lines (data changes, or a text diff)
    code: str = ""  # scripts: 'code unchanged' or 'code changed'


def describe(
    path: PurePosixPath, old: bytes | None, new: bytes | None, *, code_diff: bool = True
) -> Change:
    """How ``path`` changes from ``old`` to ``new`` (None: absent)."""
    status = "create" if old is None else "remove" if new is None else "update"
    if old is None or new is None:
        return Change(status, path, ())
    if path.name == MANIFEST_NAME:
        return Change(status, path, ("hashes of the files above",))
    if path.suffix == ".ps1":
        try:
            before, after = read_script(path, old), read_script(path, new)
        except DataBlockError:
            pass
        else:
            lines = data_changes(before.values, after.values)
            if before.code_sha256 == after.code_sha256:
                return Change(status, path, tuple(lines), "code unchanged")
            diff = _unified(before.code, after.code, str(path)) if code_diff else []
            return Change(status, path, (*lines, *diff), "code changed")
    try:
        old_text = old.decode("utf-8-sig").replace("\r\n", "\n")
        new_text = new.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return Change(status, path, ("binary content changed",))
    diff = _unified(old_text, new_text, str(path))[2:]
    if path.suffix == ".html":
        # The printable runbook says what Runbook.md says, in markup.
        count = sum(1 for line in diff if line[:1] in "+-")
        return Change(status, path, (f"{count} line(s) of HTML; see Runbook.md",))
    return Change(status, path, tuple(diff))


# ------------------------------------------------------------------ review


@dataclass(frozen=True, slots=True)
class KindSummary:
    """One script kind of a bundle: its code hash(es) and how many share each."""

    kind: str
    hashes: tuple[tuple[str, int], ...]  # (code_sha256, scripts), most shared first


@dataclass(frozen=True, slots=True)
class Review:
    """What ``drgen review`` prints for one bundle."""

    root: Path
    kinds: tuple[KindSummary, ...]
    scripts: tuple[ScriptView, ...]
    problems: tuple[str, ...]  # scripts without a readable data block
    since: tuple[Change, ...] | None = None  # with --since: what changed


def _bundle_files(root: Path) -> dict[PurePosixPath, Path]:
    """Every file of the bundle its manifest lists, by relative path."""
    manifest = root / MANIFEST_NAME
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
        listed = [PurePosixPath(f["path"]) for f in document["files"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{root}: not a drgen bundle ({manifest}: {exc})") from None
    return {p: root / p for p in listed if (root / p).is_file()}


def _scripts(files: dict[PurePosixPath, Path]) -> tuple[list[ScriptView], list[str]]:
    found, problems = [], []
    for path in sorted(files):
        if path.suffix != ".ps1":
            continue
        try:
            found.append(read_script(path, files[path].read_bytes()))
        except (OSError, DataBlockError) as exc:
            problems.append(f"{path}: {exc}")
    return found, problems


def _kinds(scripts: Iterable[ScriptView]) -> tuple[KindSummary, ...]:
    by_kind: dict[str, dict[str, int]] = {}
    for script in scripts:
        counts = by_kind.setdefault(script.kind, {})
        counts[script.code_sha256] = counts.get(script.code_sha256, 0) + 1
    return tuple(
        KindSummary(kind, tuple(sorted(counts.items(), key=lambda kv: -kv[1])))
        for kind, counts in sorted(by_kind.items())
    )


def bundle_root(path: Path) -> Path:
    """``OUT/<inventory>`` given that, or ``OUT`` holding exactly one bundle."""
    if (path / MANIFEST_NAME).is_file():
        return path
    found = sorted(p.parent for p in path.glob(f"*/{MANIFEST_NAME}"))
    if len(found) == 1:
        return found[0]
    if not path.is_dir():
        raise UsageError(f"{path}: no such directory")
    raise UsageError(
        f"{path}: not a bundle folder (OUT/<inventory>, with {MANIFEST_NAME})"
        + (f"; it holds {len(found)} bundles, name one" if found else "")
    )


def compare_bundles(
    old_root: Path, new_files: dict[PurePosixPath, bytes]
) -> tuple[Change, ...]:
    """Every file that differs between a bundle on disk and another's bytes."""
    old_files = _bundle_files(old_root)
    changes = []
    for path in sorted(set(old_files) | set(new_files)):
        old = old_files[path].read_bytes() if path in old_files else None
        new = new_files.get(path)
        if old != new:
            changes.append(describe(path, old, new))
    return tuple(changes)


def review(root: Path, since: Path | None = None) -> Review:
    """Read a bundle (and, with ``since``, compare it with an older one).

    Raises:
        UsageError: a folder that is not a bundle.
    """
    root = bundle_root(root)
    files = _bundle_files(root)
    scripts, problems = _scripts(files)
    changes = None
    if since is not None:
        old_root = bundle_root(since)
        changes = compare_bundles(
            old_root, {p: f.read_bytes() for p, f in files.items()}
        )
    return Review(root, _kinds(scripts), tuple(scripts), tuple(problems), changes)
