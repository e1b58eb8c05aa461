"""The output folder: what is in it, what a render would change, whose it is.

``staging.py`` writes a bundle (into a staging folder, then two renames); this
module says what is already there (``existing_files``, ``diff_bundle``),
refuses a folder drgen did not create (no manifest) unless ``force``, undoes
what a render killed between its renames left behind, keeps relative paths
inside the output folder (``safe_target``), and says what a render would do,
for ``drgen plan``, without writing (``planned_changes``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from generator import __version__
from generator.artifacts import BUNDLE_CHECK_NAME
from generator.errors import OutputError, UsageError

MANIFEST_NAME = "manifest.json"
# Written into an output directory drgen created or adopted: later renders may
# replace bundles there without --force.
OUT_MARKER = ".drgen-out"


@dataclass(frozen=True, slots=True)
class FileChange:
    """What a render did (or would do) to one file."""

    status: str  # create | update | identical | remove
    path: PurePosixPath


@dataclass(frozen=True, slots=True)
class BundleFiles:
    """The complete bytes of one bundle directory, relative to ``OUT``."""

    root: PurePosixPath  # e.g. "example"
    files: tuple[tuple[PurePosixPath, bytes], ...]  # manifest included


def _existing(root: Path) -> dict[PurePosixPath, Path]:
    """The files of ``OUT/<root>``, keyed by their path relative to ``OUT``."""
    return {PurePosixPath(root.name) / k: v for k, v in existing_files(root).items()}


def existing_files(folder: Path) -> dict[PurePosixPath, Path]:
    """Every file (or symlink) under ``folder``, keyed by its path inside it."""
    if not folder.is_dir():
        return {}
    return {
        PurePosixPath(p.relative_to(folder).as_posix()): p
        for p in sorted(folder.rglob("*"))
        if p.is_file() or p.is_symlink()
    }


def recover_interrupted(out: Path, bundle: BundleFiles) -> None:
    """Undo what a render killed between its two renames may have left behind.

    The swap renames OUT/<root> away, then the staging directory into place; a
    crash in between leaves no OUT/<root> but a complete ``.<root>.previous-*``.
    """
    name = bundle.root.name
    root = out / bundle.root
    if not out.is_dir():
        return
    for leftover in sorted(out.glob(f".{name}.previous-*")):
        if not root.exists():
            leftover.rename(root)
        else:
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in out.glob(f".{name}.staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def diff_bundle(out: Path, bundle: BundleFiles) -> list[FileChange]:
    """Compare the wanted bytes with what is on disk; writes nothing."""
    root = out / bundle.root
    existing = _existing(root)
    wanted = dict(bundle.files)
    changes = []
    for path, data in bundle.files:
        current = existing.get(path)
        if current is None:
            changes.append(FileChange("create", path))
        elif current.is_symlink() or current.read_bytes() != data:
            changes.append(FileChange("update", path))
        else:
            changes.append(FileChange("identical", path))
    changes += [FileChange("remove", p) for p in existing if p not in wanted]
    return sorted(changes, key=lambda c: c.path)


def check_out_path(out: Path) -> None:
    """Refuse an output path that is a file, or below one."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: --out must be a directory, and this is a file")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise UsageError(f"{out}: {parent} is a file, not a directory")


def check_out_dir(out: Path, *, force: bool) -> None:
    """Refuse an output path drgen must not write into (before any work is lost).

    OUT must be a directory (or not exist yet). A non-empty OUT must be drgen's:
    it carries the marker, or bundles with a manifest; otherwise --force is needed.
    """
    check_out_path(out)
    if force or not out.is_dir() or (out / OUT_MARKER).is_file():
        return
    try:
        entries = [p for p in out.iterdir() if p.name != OUT_MARKER]
    except OSError as exc:
        raise OutputError(f"{out}: cannot read: {exc.strerror or exc}") from None
    owned = all(p.is_dir() and (p / MANIFEST_NAME).is_file() for p in entries)
    if entries and not owned:
        raise UsageError(
            f"{out}: directory is not empty and was not created by drgen; "
            "choose another --out or pass --force"
        )


def check_ownership(out: Path, bundle: BundleFiles, *, force: bool) -> None:
    """Refuse to replace a non-empty directory that has no drgen manifest."""
    root = out / bundle.root
    if force or not root.exists():
        return
    if not root.is_dir():
        raise UsageError(f"{root}: exists and is not a directory; pass --force")
    if any(root.iterdir()) and not (root / MANIFEST_NAME).is_file():
        raise UsageError(
            f"{root}: directory is not empty and was not created by drgen "
            f"(no {MANIFEST_NAME}); move it away or pass --force"
        )


def safe_target(base: Path, relative: PurePosixPath) -> Path:
    """``base / relative``, refusing a relative path that would leave ``base``."""
    # A pure check (no syscalls): the staging directory is ours and fresh, so no
    # symlink can be inside it; only the relative path itself could escape.
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise OutputError(f"{relative}: output path escapes the output directory")
    return base / relative


# Files whose bytes follow from all the others: the site self-test script (it lists
# every file's hash) and the manifest.
DERIVED_NAMES = frozenset({BUNDLE_CHECK_NAME, MANIFEST_NAME})


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _field(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def planned_changes(
    out: Path, unsigned: BundleFiles, inventory_sha256: str, templates_sha256: str
) -> tuple[FileChange, ...]:
    """What a render would do in ``out``, judged from an unsigned in-memory bundle.

    Plan does not sign (that needs the certificate and its password), so a script
    on disk whose manifest entry records the same unsigned sha256, and whose bytes
    still match the manifest, counts as identical. The derived files (the site
    self-test and the manifest) are identical when every other file is and the
    manifest names the same inventory, templates and drgen version. This assumes
    the render signs with the same certificate as before.
    """
    changes = diff_bundle(out, unsigned)
    manifest = _read_manifest(out / unsigned.root / MANIFEST_NAME)
    if manifest is None:
        return tuple(changes)
    entries: dict[PurePosixPath, dict[str, Any]] = {}
    for entry in manifest.get("files") or ():
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            entries[PurePosixPath(unsigned.root, entry["path"])] = entry
    wanted = dict(unsigned.files)

    def intact(path: PurePosixPath) -> bool:
        entry = entries.get(path, {})
        try:
            return entry.get("sha256") == _sha256((out / path).read_bytes())
        except OSError:
            return False

    result = []
    for change in changes:
        entry = entries.get(change.path, {})
        if (
            change.status == "update"
            and change.path.name not in DERIVED_NAMES
            and entry.get("signed") is True
            and entry.get("sha256_unsigned") == _sha256(wanted[change.path])
            and intact(change.path)
        ):
            change = FileChange("identical", change.path)
        result.append(change)
    inputs_same = (
        _field(manifest, "inventory", "sha256") == inventory_sha256
        and _field(manifest, "templates_sha256") == templates_sha256
        and _field(manifest, "generator", "version") == __version__
    )
    others_same = all(
        c.status == "identical" for c in result if c.path.name not in DERIVED_NAMES
    )
    return tuple(
        FileChange("identical", c.path)
        if c.status == "update"
        and c.path.name in DERIVED_NAMES
        and inputs_same
        and others_same
        and (c.path.name == MANIFEST_NAME or intact(c.path))
        else c
        for c in result
    )
