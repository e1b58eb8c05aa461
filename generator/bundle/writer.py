"""The output folder: what is in it, what a render would change, whose it is.

``staging.py`` writes a bundle (into a staging folder, then two renames); this
module says what is already there (``existing_files``, ``diff_bundle``),
refuses what drgen did not write unless ``force`` (``check_out_dir``,
``check_ownership``), undoes what a render killed between its renames left
behind, keeps relative paths inside the output folder (``check_inside``), and
says what a render would do, for ``drgen plan``, without writing
(``planned_changes``).

A folder is drgen's only when its ``manifest.json`` is drgen's: a JSON object
with drgen's manifest schema, generator and inventory, and a list of files
(``bundle_manifest``); a PWA's or a browser extension's ``manifest.json`` is
not. Inside a bundle, drgen wrote exactly the files its manifest lists: any
other (a SIGNOFF.txt an admin added) is refused without ``force``, and with it
named before it is removed. drgen's own names in OUT are hidden:
``.drgen-out``, ``.<inventory>.staging-<pid>``, ``.<inventory>.previous-<pid>``
and ``.<inventory>.lock`` (``own_name``).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from generator import __version__
from generator.bundle.manifest import MANIFEST_SCHEMA
from generator.errors import OutputError, UsageError
from generator.plan.outputs import BUNDLE_CHECK_NAME

MANIFEST_NAME = "manifest.json"
# Written into an output directory drgen created or adopted: later renders may
# replace bundles there without --force.
OUT_MARKER = ".drgen-out"
# A render's hidden folders beside OUT/<name> while it writes (staging.py) and
# its lock (lock.py).
LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>staging|previous)-(?P<pid>[0-9]+)$")
_LOCK = re.compile(r"^\..+\.lock$")
# At most this many paths are named in one message; the rest are counted.
_NAMED = 20


def own_name(name: str) -> bool:
    """Whether ``name`` in OUT is one of drgen's hidden files or folders."""
    return name == OUT_MARKER or bool(LEFTOVER.match(name) or _LOCK.match(name))


def bundle_manifest(folder: Path) -> dict[str, Any] | None:
    """``folder``'s manifest when it is drgen's (see the module docstring)."""
    path = folder / MANIFEST_NAME
    if path.is_symlink() or not path.is_file():
        return None
    data = _read_manifest(path)
    if data is None or data.get("schema") != MANIFEST_SCHEMA:
        return None
    generator, inventory, files = (
        data.get(k) for k in ("generator", "inventory", "files")
    )
    if not isinstance(generator, dict) or generator.get("name") != "drgen":
        return None
    if not isinstance(inventory, dict) or not all(
        isinstance(inventory.get(k), str) for k in ("file", "sha256")
    ):
        return None
    if not isinstance(files, list) or not all(
        isinstance(f, dict)
        and isinstance(f.get("path"), str)
        and isinstance(f.get("sha256"), str)
        for f in files
    ):
        return None
    return data


def _named(paths: list[str]) -> str:
    shown = ", ".join(paths[:_NAMED])
    more = len(paths) - _NAMED
    return shown + (f" and {more} more" if more > 0 else "")


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
    Called with the bundle's lock held (``outlock``), so every such folder is a
    leftover of a process that is gone, never the work of a running one.
    """
    name = bundle.root.name
    root = out / bundle.root
    if not out.is_dir():
        return
    mine = [p for p in out.iterdir() if _leftover_of(p.name, name)]
    for leftover in sorted(p for p in mine if "previous" in p.name):
        if not root.exists() and not root.is_symlink():
            leftover.rename(root)
        else:
            remove_path(leftover)
    for leftover in mine:
        if "staging" in leftover.name:
            remove_path(leftover)


def _leftover_of(entry: str, name: str) -> bool:
    found = LEFTOVER.match(entry)
    return found is not None and found["name"] == name


def remove_path(path: Path) -> None:
    """Remove a folder (whole), a file or a link; nothing if it is gone (errors
    are ignored, as ``shutil.rmtree(ignore_errors=True)`` ignores them)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(OSError):
            path.unlink(missing_ok=True)


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
    it carries the marker, or holds only drgen bundles (``bundle_manifest``) and
    drgen's own hidden names; otherwise --force is needed (which only adopts
    OUT: nothing in it but ``OUT/<inventory>`` is ever replaced).
    """
    check_out_path(out)
    if force or not out.is_dir() or (out / OUT_MARKER).is_file():
        return
    try:
        entries = sorted(out.iterdir())
    except OSError as exc:
        raise OutputError(f"{out}: cannot read: {exc.strerror or exc}") from None
    foreign = [
        p.name
        for p in entries
        if not own_name(p.name)
        and (p.is_symlink() or not p.is_dir() or bundle_manifest(p) is None)
    ]
    if foreign:
        raise UsageError(
            f"{out}: directory was not created by drgen: {_named(foreign)} "
            f"{'is' if len(foreign) == 1 else 'are'} not drgen's (a drgen bundle has "
            f"drgen's {MANIFEST_NAME}); choose another --out or pass --force"
        )


def foreign_files(root: Path, manifest: dict[str, Any]) -> list[PurePosixPath]:
    """What is in bundle ``root`` that its (drgen) manifest does not list: files,
    links and folders holding none of the listed files (relative to ``root``)."""
    listed = {PurePosixPath(f["path"]) for f in manifest["files"]}
    listed.add(PurePosixPath(MANIFEST_NAME))
    folders = {parent for path in listed for parent in path.parents}
    found = []
    for path in sorted(root.rglob("*")):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        if path.is_dir() and not path.is_symlink():
            if relative not in folders and not any(path.iterdir()):
                found.append(relative)  # an empty folder of someone else's
        elif relative not in listed:
            found.append(relative)
    return found


def check_ownership(
    out: Path,
    bundle: BundleFiles,
    *,
    force: bool,
    warn: Callable[[str], None] | None = None,
) -> None:
    """Refuse to replace what drgen did not write in ``OUT/<inventory>``.

    In the way without ``force`` (``UsageError``, exit 2, naming it): a file, a
    link or a folder that is not a drgen bundle (``bundle_manifest``), and any
    file inside a bundle that its manifest does not list. With ``force``,
    ``warn`` receives each path that the render will remove.
    """
    root = out / bundle.root
    if not root.exists() and not root.is_symlink():
        return
    if root.is_symlink() or not root.is_dir():
        if not force:
            raise UsageError(
                f"{root}: is in the way and is not a drgen bundle folder (a file or "
                "a link); move it away or pass --force"
            )
        _removing(warn, [str(root)])
        return
    manifest = bundle_manifest(root)
    if manifest is None:
        inside = [str(p) for p in sorted(root.rglob("*")) if not p.is_dir()]
        if not inside and not any(root.iterdir()):
            return
        if not force:
            why = (
                f"its {MANIFEST_NAME} is not drgen's"
                if (root / MANIFEST_NAME).exists()
                else f"no drgen {MANIFEST_NAME}"
            )
            raise UsageError(
                f"{root}: directory is not empty and was not created by drgen "
                f"({why}); move it away or pass --force"
            )
        _removing(warn, inside or [str(root)])
        return
    foreign = [str(root / p) for p in foreign_files(root, manifest)]
    if foreign and not force:
        raise UsageError(
            f"{root}: holds {len(foreign)} file(s) drgen did not write, which a "
            f"render would remove: {_named(foreign)}; move them out of the bundle "
            "(it is replaced whole) or pass --force to remove them"
        )
    _removing(warn, foreign)


def _removing(warn: Callable[[str], None] | None, paths: list[str]) -> None:
    if warn is None:
        return
    for path in paths[:_NAMED]:
        warn(f"warning: --force: removing {path} (drgen did not write it)")
    if len(paths) > _NAMED:
        warn(f"warning: --force: removing {len(paths) - _NAMED} more such path(s)")


def check_inside(parts: tuple[str, ...]) -> None:
    """Refuse a relative path (as its parts) that would leave the folder it is in.

    A pure check (no syscalls): the staging directory is ours and fresh, so no
    symlink can be inside it; only the relative path itself could escape.
    """
    # A POSIX path may start with "//" (its first part then), which is rooted too.
    if not parts or parts[0].startswith("/") or ".." in parts:
        where = "/".join(parts)
        raise OutputError(f"{where}: output path escapes the output directory")


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
