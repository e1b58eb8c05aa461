"""``drgen render``: each file goes to disk as soon as it is signed.

A render writes every bundle into a hidden staging folder beside it
(``OUT/.<inventory>.staging-<pid>``) while it renders: the workers that render
and sign also write, so writing overlaps rendering on every core, and only
hashes (not the bytes) travel back to the parent, which keeps memory flat
whatever the size of the group. A file whose bytes equal the one already in
``OUT/<inventory>`` is hard-linked instead of written, so an unchanged
re-render writes nothing, and ``os.path.samefile`` tells afterwards which files
changed. ``OUT/<inventory>`` itself is touched only by ``swap``: two renames,
after every bundle of the run is staged. A failure removes the staging folders
and leaves ``OUT`` as it was.

``bundle.build_bundle`` (everything in memory) stays for ``plan``, ``render
--check`` and the tests; ``tests/bundle/test_output.py`` requires both to give the
same bytes.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import jinja2

from generator.bundle.build import manifest_bytes, render_bundle
from generator.bundle.writer import (
    MANIFEST_NAME,
    OUT_MARKER,
    FileChange,
    check_inside,
    existing_files,
    remove_path,
)
from generator.errors import OutputError
from generator.plan.site import Plan
from generator.render.artifacts import EncodedArtifact
from generator.signing.signer import Signer


class _Stager:
    """Writes (or links) one artifact into the staging folder; keeps its hashes.

    Called in the worker that signed the artifact, so its bytes never cross a
    process boundary.
    """

    def __init__(self, staging: Path, current: Path) -> None:
        # Paths as text: this runs for every file of a site (6,000 at 1,000 DR
        # servers), where pathlib's objects cost more than the write itself.
        self.staging = str(staging)
        self.current = str(current)
        # A first render has nothing to link to: no lookup per file then.
        self.linkable = current.is_dir() and not current.is_symlink()
        # Folders this process made (each worker has its own copy): one mkdir
        # per folder instead of one per file.
        self.made: set[str] = set()

    def put(self, relative: PurePosixPath, data: bytes) -> None:
        self._put(relative.parts, data)

    def _put(self, parts: tuple[str, ...], data: bytes) -> None:
        check_inside(parts)
        folder = os.path.join(self.staging, *parts[:-1])  # noqa: PTH118
        if folder not in self.made:
            os.makedirs(folder, exist_ok=True)  # noqa: PTH103
            self.made.add(folder)
        target = os.path.join(folder, parts[-1])  # noqa: PTH118
        if self.linkable:
            existing = os.path.join(self.current, *parts)  # noqa: PTH118
            if _holds(Path(existing), data):
                os.link(existing, target)
                return
        write_file(target, data)

    def __call__(self, art: EncodedArtifact) -> EncodedArtifact:
        self._put(art.path.parts[1:], art.data)
        # The artifact without its bytes (dataclasses.replace, spelt out).
        return EncodedArtifact(
            art.path,
            art.kind,
            art.template,
            art.server,
            art.unsigned_sha256,
            art.signed,
            b"",
            art.sha256,
            art.code_sha256,
        )


def write_file(path: str, data: bytes) -> None:
    """Write one new file of the staging folder."""
    with open(path, "wb") as file:  # noqa: PTH123
        file.write(data)


def _holds(path: Path, data: bytes) -> bool:
    """Whether ``path`` is a regular file (not a symlink) with exactly ``data``."""
    try:
        found = os.lstat(path)
        if not stat.S_ISREG(found.st_mode) or found.st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class Staged:
    """One bundle rendered into its staging folder, not yet in place."""

    plan: Plan
    root: PurePosixPath  # e.g. "example"
    staging: Path
    files: int
    changes: tuple[FileChange, ...]

    @property
    def unchanged(self) -> bool:
        """True when every file is identical to the one in ``OUT`` already."""
        return all(c.status == "identical" for c in self.changes)


def staging_folder(out: Path, root: PurePosixPath) -> Path:
    """The hidden folder a bundle is staged in (``writer.recover_interrupted``
    removes leftovers of a killed run)."""
    return out / f".{root.name}.staging-{os.getpid()}"


def stage_bundle(
    plan: Plan,
    env: jinja2.Environment,
    signer: Signer,
    templates_sha256: str,
    out: Path,
    jobs: int = 1,
) -> Staged:
    """Render, sign and write every file of ``plan`` into its staging folder.

    Raises:
        OutputError: the staging folder cannot be written (it is removed).
    """
    root = PurePosixPath(plan.site.stem)
    staging = staging_folder(out, root)
    current = out / root
    stager = _Stager(staging, current)
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        encoded = render_bundle(plan, env, signer, jobs, sink=stager)
        stager.put(
            PurePosixPath(MANIFEST_NAME),
            manifest_bytes(plan, encoded, signer, templates_sha256),
        )
        paths = [*(art.path for art in encoded), root / MANIFEST_NAME]
        changes = _changes(staging, current, root, paths)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(
            f"{current}: cannot write bundle: {exc.strerror or exc}"
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Staged(plan, root, staging, len(encoded) + 1, changes)


def _changes(
    staging: Path,
    current: Path,
    root: PurePosixPath,
    staged: Iterable[PurePosixPath],
) -> tuple[FileChange, ...]:
    """What the swap will do to each file: a hard link is an identical file.

    ``staged`` lists what was written into ``staging`` (``root/...`` paths), so
    only ``OUT/<inventory>`` itself is walked.
    """
    existing = existing_files(current)
    changes = []
    wanted = set()
    for path in staged:
        relative = PurePosixPath(*path.parts[1:])
        wanted.add(relative)
        before = existing.get(relative) if existing else None
        if before is None:
            status = "create"
        elif not before.is_symlink() and before.samefile(staging / relative):
            status = "identical"
        else:
            status = "update"
        changes.append(FileChange(status, path))
    changes += [FileChange("remove", root / p) for p in existing if p not in wanted]
    # Path order: a PurePosixPath sorts by its parts.
    return tuple(sorted(changes, key=lambda c: c.path.parts))


def discard(staged: Staged) -> None:
    """Remove a staging folder that will not be swapped in."""
    shutil.rmtree(staged.staging, ignore_errors=True)


def swap(out: Path, staged: Staged) -> int:
    """Put the staged bundle in place (two renames); returns files written.

    An unchanged bundle is not touched: its staging folder (hard links only) is
    removed instead.
    """
    if staged.unchanged:
        discard(staged)
        return 0
    current = out / staged.root
    retired = out / f".{staged.root.name}.previous-{os.getpid()}"
    try:
        marker = out / OUT_MARKER
        if not marker.is_file():
            marker.write_bytes(b"This directory is written by drgen render.\n")
        if current.exists() or current.is_symlink():
            current.rename(retired)
        try:
            staged.staging.rename(current)
        except OSError:
            if retired.exists():
                retired.rename(current)
            raise
    except OSError as exc:
        raise OutputError(
            f"{current}: cannot write bundle: {exc.strerror or exc}"
        ) from None
    finally:
        discard(staged)
        # A folder, or (with --force) a file or link that was in the way.
        remove_path(retired)
    return sum(c.status in {"create", "update"} for c in staged.changes)
