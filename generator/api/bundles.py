"""The bundle commands of the library: ``preview`` (``drgen plan``), ``render``,
``check`` (``render --check``), ``review``, ``verify`` and ``code_hashes``.

Key material is loaded only after every inventory is valid, and nothing is
written into the output folder until every bundle is built.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import jinja2

from generator.api.inventories import plan
from generator.api.signing import Signing, ignore_warning, signer_for
from generator.bundle.build import build_bundle
from generator.bundle.writer import (
    BundleFiles,
    FileChange,
    check_out_dir,
    check_out_path,
    check_ownership,
    diff_bundle,
    own_name,
    planned_changes,
    recover_interrupted,
)
from generator.defaults import DEFAULT_TEMPLATES
from generator.errors import OutputError, UsageError
from generator.inventory.winnames import same_on_windows
from generator.plan.site import Plan
from generator.render.environment import make_environment, template_set_sha256
from generator.signing.signer import NullSigner

if TYPE_CHECKING:
    from generator.bundle.review import Change, Review
    from generator.bundle.staging import Staged


def _prepare(
    paths: Sequence[Path], templates: Path
) -> tuple[tuple[Plan, ...], jinja2.Environment, str]:
    """What preview and render both start from: the plans, the environment and the
    hash of the template set (in that order: a bad inventory is reported first)."""
    if not templates.is_dir():
        raise UsageError(f"{templates}: --templates must be a directory")
    plans = plan(paths)
    return plans, make_environment(templates), template_set_sha256(templates)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _without_cycle_collection(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``function`` on reference counting alone, then collect cycles again.

    A render allocates millions of short-lived objects, almost none in a cycle,
    while its plan keeps tens of thousands alive: the cycle collector's passes
    over them cost about 6% of the CPU of a 1,000-server render and free next to
    nothing (peak memory grows by 4 MB without them; docs/performance.md).
    """

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapper


@contextmanager
def _writing(where: Path) -> Iterator[None]:
    """An operating-system failure while reading or changing the output folder."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"{where}: {exc.strerror or exc}") from None


@dataclass(frozen=True, slots=True)
class Preview:
    """``drgen plan`` for one inventory: its Plan and what a render would do."""

    plan: Plan
    root: Path
    changes: tuple[FileChange, ...]


@_without_cycle_collection
def preview(
    paths: Sequence[Path], *, out: Path, templates: Path = DEFAULT_TEMPLATES
) -> tuple[Preview, ...]:
    """Plan every inventory; compare an unsigned render with ``out``; write nothing."""
    check_out_path(out)
    plans, env, templates_sha = _prepare(paths, templates)
    previews = []
    for each in plans:
        built = build_bundle(each, env, NullSigner(), templates_sha)
        changes = planned_changes(
            out, built.files, each.inventory_sha256, templates_sha
        )
        previews.append(Preview(each, out / built.files.root, changes))
    return tuple(previews)


@dataclass(frozen=True, slots=True)
class Written:
    """One bundle after ``render``: what happened to each file."""

    plan: Plan
    root: Path
    files: int
    changes: tuple[FileChange, ...]
    written: int


@_without_cycle_collection
def render(
    paths: Sequence[Path],
    *,
    out: Path,
    templates: Path = DEFAULT_TEMPLATES,
    signing: Signing | None = None,
    force: bool = False,
    jobs: int = 1,
    now: datetime | None = None,
    warn: Callable[[str], None] = ignore_warning,
) -> tuple[Written, ...]:
    """Render, sign and write the bundle of every inventory into ``out``.

    Every inventory is loaded and checked, and the output folder and the
    signing identity are checked, before anything is rendered. Each bundle is
    then rendered into a hidden staging folder in ``out`` (written while it is
    rendered, see ``generator.bundle.staging``); only when every bundle is staged is
    each ``OUT/<inventory>`` replaced, whole, by two renames. A failure before
    that removes the staging folders and leaves ``out`` as it was.
    (Without ``signing.cert``, the development key is created in
    ``signing.dev_folder`` on first use.)
    ``warn`` receives each warning (signing identity, inventory) as it is known,
    so a caller sees them even when writing fails, and with ``force`` each path
    the render will remove that drgen did not write.

    Each ``OUT/<inventory>`` is locked (``generator.bundle.lock``) from before its
    leftovers are recovered until it is swapped in.

    Raises:
        InventoryError: an inventory is invalid (nothing is written).
        UsageError: an inventory file name cannot name a bundle folder, or
            something drgen did not write is in the way (without ``force``).
        SigningError: the signing identity is unusable.
        LockedError: another drgen is writing one of the bundles (exit 11).
        OutputError: the output folder cannot be written.
    """
    from generator.bundle.lock import bundle_locks
    from generator.bundle.staging import discard, stage_bundle, swap

    check_out_dir(out, force=force)
    plans, env, templates_sha = _prepare(paths, templates)
    choice = signer_for(signing or Signing(), now, warn)
    for each in plans:
        for diagnostic in each.warnings:
            warn(diagnostic.format())
    roots = [PurePosixPath(each.site.stem) for each in plans]
    created = not out.exists()
    with _writing(out):
        out.mkdir(parents=True, exist_ok=True)
    staged: list[Staged] = []
    try:
        # One drgen at a time per bundle: what is in the way, the leftovers of a
        # killed render and the staging folders are looked at under the lock.
        with _writing(out), bundle_locks(out, [root.name for root in roots]):
            for root in roots:
                recover_interrupted(out, BundleFiles(root, ()))
            _same_on_windows(out, roots)
            for root in roots:
                check_ownership(out, BundleFiles(root, ()), force=force, warn=warn)
            for each in plans:
                # One by one: those staged before a failure are discarded below.
                staged.append(  # noqa: PERF401
                    stage_bundle(each, env, choice.signer, templates_sha, out, jobs)
                )
            results = [
                Written(d.plan, out / d.root, d.files, d.changes, swap(out, d))
                for d in staged
            ]
    except BaseException:
        for done in staged:
            discard(done)
        if created:
            # Only if nothing else is in it now: another render may have started.
            with suppress(OSError):
                out.rmdir()
        raise
    return tuple(results)


def _same_on_windows(out: Path, roots: Sequence[PurePosixPath]) -> None:
    """Refuse a bundle folder that another folder of OUT would be on Windows
    (``Example/`` beside ``example/``): copied there, one would overwrite the
    other."""
    names = {root.name for root in roots}
    for entry in out.iterdir():
        if entry.name in names or own_name(entry.name):
            continue
        for name in names:
            if same_on_windows(entry.name, name):
                raise UsageError(
                    f"{out / name}: {entry} is the same folder on Windows (case "
                    f"does not count there); remove or rename {entry.name}"
                )


@dataclass(frozen=True, slots=True)
class CheckedBundle:
    """One bundle after ``render --check``: the files a render would change."""

    plan: Plan
    root: Path
    files: int
    changes: tuple[FileChange, ...]  # every file that is not identical
    # With diff=True: each change by meaning (data values, code changed or not).
    described: tuple[Change, ...] = ()

    @property
    def up_to_date(self) -> bool:
        """True when ``OUT`` holds exactly what the inventory renders to."""
        return not self.changes


@_without_cycle_collection
def check(
    paths: Sequence[Path],
    *,
    out: Path,
    templates: Path = DEFAULT_TEMPLATES,
    jobs: int = 1,
    diff: bool = False,
) -> tuple[CheckedBundle, ...]:
    """Render every inventory in memory and compare it byte for byte with ``out``
    (with ``diff``, also by meaning: ``CheckedBundle.described``).

    Needs no signing key: a script whose text is unchanged carries the signature
    block it already has in ``out`` (``replay.ReplaySigner``), so an up-to-date
    bundle compares equal to the last byte. Writes nothing.
    """
    from generator.signing.replay import ReplaySigner

    check_out_path(out)
    plans, env, templates_sha = _prepare(paths, templates)
    results = []
    for each in plans:
        root = out / each.site.stem
        with _writing(root):
            signer = ReplaySigner.from_bundle(root)
            built = build_bundle(each, env, signer, templates_sha, jobs)
            changes = tuple(
                c for c in diff_bundle(out, built.files) if c.status != "identical"
            )
            described: tuple[Change, ...] = ()
            if diff:
                described = _described(out, built.files, changes)
        results.append(
            CheckedBundle(each, root, len(built.files.files), changes, described)
        )
    return tuple(results)


def _described(
    out: Path, files: BundleFiles, changes: Sequence[FileChange]
) -> tuple[Change, ...]:
    from generator.bundle.review import describe

    wanted = dict(files.files)
    found = []
    for change in changes:
        current = out / change.path
        old = current.read_bytes() if current.is_file() else None
        relative = change.path.relative_to(files.root)
        found.append(describe(relative, old, wanted.get(change.path)))
    return tuple(found)


def review(root: Path, since: Path | None = None) -> Review:
    """``drgen review``: a bundle's code per kind and data blocks, or (``since``)
    what changed by meaning. Reads only.

    Raises:
        UsageError: a folder that is not a bundle.
    """
    from generator.bundle.review import review as read

    return read(root, since)


def code_hashes(templates: Path = DEFAULT_TEMPLATES) -> dict[str, str]:
    """This release's code SHA-256 of each script kind (``drgen --version --verbose``).

    The same in every bundle the release renders, whatever the inventory.
    """
    from generator.plan.artifacts import SCRIPT_TEMPLATES
    from generator.render.environment import script_code_of

    env = make_environment(templates)
    return {
        PurePosixPath(t).name.removesuffix(".jinja"): script_code_of(env, t).sha256
        for t in SCRIPT_TEMPLATES
    }


def verify(out: Path, ca: Path | None = None) -> int:
    """Check every bundle under ``out``; returns how many were checked.

    Raises:
        VerificationError: with one diagnostic per changed, missing, extra or
            badly signed file.
    """
    from generator.bundle.verify import verify_out

    return verify_out(out, ca)
