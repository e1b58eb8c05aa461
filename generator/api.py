"""drgen as a library: each command of the CLI is one call here.

Every function returns a value or raises a ``DrgenError`` (whose ``exit_code``
the CLI uses); none prints, prompts, or reads the command line or the
environment. Key material is loaded only after every inventory is valid, and
nothing is written into the output folder until every bundle is built.

    plans = api.plan([Path("inventories/example.yaml")])
    report = api.render([Path("inventories/example.yaml")], out=Path("out"))
    bundles = api.verify(Path("out"))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from generator.bundle import build_bundle
from generator.catalogue import CATALOGUE, Catalogue
from generator.defaults import DEFAULT_TEMPLATES
from generator.errors import (
    Diagnostic,
    InventoryError,
    Location,
    OutputError,
    UsageError,
    relative_display,
)
from generator.inventory import RawDocument, load_inventory
from generator.labfacts import LabReport, check_result
from generator.model import Inventory, json_schema
from generator.plan import Plan, build_plan
from generator.render import make_environment, template_set_sha256
from generator.rules import check_rules
from generator.signing import DEV_IDENTITY_FOLDER, NullSigner, choose_signer
from generator.validation import parse_inventory
from generator.writer import (
    FileChange,
    check_out_dir,
    check_out_path,
    check_ownership,
    diff_bundle,
    planned_changes,
    recover_interrupted,
    write_bundle,
)


@dataclass(frozen=True, slots=True)
class Checked:
    """One inventory after loading, modelling and the domain rules."""

    path: Path
    doc: RawDocument | None
    inventory: Inventory | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that make the inventory invalid."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that do not."""
        return tuple(d for d in self.diagnostics if d.severity != "error")


def _sorted(diagnostics: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(sorted(diagnostics, key=Diagnostic.sort_key))


def _problems(path: Path, exc: InventoryError) -> tuple[Diagnostic, ...]:
    """An inventory error's diagnostics; one naming the file when it has none."""
    return exc.diagnostics or (
        Diagnostic(Location(relative_display(path)), "invalid", exc.message),
    )


def load(path: Path) -> Checked:
    """Load, model and check one inventory; every problem is collected, not raised."""
    doc: RawDocument | None = None
    try:
        doc = load_inventory(path)
        inventory = parse_inventory(doc)
    except InventoryError as exc:
        return Checked(path, doc, None, _sorted(_problems(path, exc)))
    return Checked(path, doc, inventory, _sorted(check_rules(inventory, doc)))


@dataclass(frozen=True, slots=True)
class Validation:
    """``drgen validate``: every inventory checked, every diagnostic kept."""

    results: tuple[Checked, ...]

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Every diagnostic of every inventory, in report order."""
        return _sorted([d for r in self.results for d in r.diagnostics])

    @property
    def invalid(self) -> tuple[Checked, ...]:
        """The inventories with at least one error."""
        return tuple(r for r in self.results if r.errors)


def validate(paths: Sequence[Path], *, strict: bool = False) -> Validation:
    """Check every inventory; with ``strict`` every warning counts as an error."""
    results = []
    for path in paths:
        checked = load(path)
        if strict:
            promoted = tuple(
                dataclasses.replace(d, severity="error") for d in checked.diagnostics
            )
            checked = dataclasses.replace(checked, diagnostics=promoted)
        results.append(checked)
    return Validation(tuple(results))


def _prepare(
    paths: Sequence[Path], templates: Path
) -> tuple[tuple[Plan, ...], jinja2.Environment, str]:
    """What preview and render both start from: the plans, the environment and the
    hash of the template set (in that order: a bad inventory is reported first)."""
    if not templates.is_dir():
        raise UsageError(f"{templates}: --templates must be a directory")
    plans = plan(paths)
    return plans, make_environment(templates), template_set_sha256(templates)


@contextmanager
def _writing(where: Path) -> Iterator[None]:
    """An operating-system failure while reading or changing the output folder."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"{where}: {exc.strerror or exc}") from None


def _distinct_stems(paths: Sequence[Path]) -> None:
    stems: dict[str, Path] = {}
    for path in paths:
        if path.stem in stems:
            raise UsageError(
                f"{path} and {stems[path.stem]} would both render into '{path.stem}/'"
            )
        stems[path.stem] = path


def plan(paths: Sequence[Path]) -> tuple[Plan, ...]:
    """The Plan of every inventory, each loaded and checked once.

    Raises:
        InventoryError: one error carrying every inventory's diagnostics.
    """
    _distinct_stems(paths)
    plans: list[Plan] = []
    problems: list[Diagnostic] = []
    for path in paths:
        try:
            doc = load_inventory(path)
            plans.append(build_plan(parse_inventory(doc), doc, path.stem))
        except InventoryError as exc:
            problems += _problems(path, exc)
    if problems:
        raise InventoryError("invalid inventory", tuple(problems))
    return tuple(plans)


@dataclass(frozen=True, slots=True)
class Preview:
    """``drgen plan`` for one inventory: its Plan and what a render would do."""

    plan: Plan
    root: Path
    changes: tuple[FileChange, ...]


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
class Signing:
    """Where the code-signing identity comes from (no ``cert``: the dev identity).

    ``password`` is called only when the certificate or key needs one; without it
    such a certificate is a ``SigningError`` (the library never prompts).
    """

    cert: Path | None = None
    key: Path | None = None
    timestamp_url: str | None = None
    dev_folder: Path = DEV_IDENTITY_FOLDER
    password: Callable[[], bytes | None] | None = None


@dataclass(frozen=True, slots=True)
class Written:
    """One bundle after ``render``: what happened to each file."""

    plan: Plan
    root: Path
    files: int
    changes: tuple[FileChange, ...]
    written: int


def _ignore(_: str) -> None:
    return None


def render(
    paths: Sequence[Path],
    *,
    out: Path,
    templates: Path = DEFAULT_TEMPLATES,
    signing: Signing | None = None,
    force: bool = False,
    jobs: int = 1,
    now: datetime | None = None,
    warn: Callable[[str], None] = _ignore,
) -> tuple[Written, ...]:
    """Render, sign and write the bundle of every inventory into ``out``.

    Every inventory is valid and every bundle built in memory before a file of
    ``out`` is touched; each bundle directory is then replaced whole or not at
    all. (Without ``signing.cert``, the development key is created in
    ``signing.dev_folder`` on first use.)
    ``warn`` receives each warning (signing identity, inventory) as it is known,
    so a caller sees them even when writing fails.
    """
    check_out_dir(out, force=force)
    plans, env, templates_sha = _prepare(paths, templates)
    signing = signing or Signing()
    choice = choose_signer(
        signing.cert,
        signing.key,
        signing.timestamp_url,
        now or datetime.now(UTC),
        dev_folder=signing.dev_folder,
        password=signing.password,
    )
    for warning in choice.warnings:
        warn(f"warning: {warning}")
    built = [build_bundle(p, env, choice.signer, templates_sha, jobs) for p in plans]
    for bundle in built:
        for diagnostic in bundle.plan.warnings:
            warn(diagnostic.format())
        check_ownership(out, bundle.files, force=force)
    results = []
    for bundle in built:
        with _writing(out / bundle.files.root):
            recover_interrupted(out, bundle.files)
            changes = tuple(diff_bundle(out, bundle.files))
        written = write_bundle(out, bundle.files, changes)
        results.append(
            Written(
                bundle.plan,
                out / bundle.files.root,
                len(bundle.files.files),
                changes,
                written,
            )
        )
    return tuple(results)


def verify(out: Path, ca: Path | None = None) -> int:
    """Check every bundle under ``out``; returns how many were checked.

    Raises:
        VerificationError: with one diagnostic per changed, missing, extra or
            badly signed file.
    """
    from generator.verify import verify_out

    return verify_out(out, ca)


def catalogue() -> Catalogue:
    """Every name the generated files use on a BizTalk server, with its source."""
    return CATALOGUE


def schema() -> dict[str, Any]:
    """The JSON Schema of the inventory (``drgen/v1``)."""
    return json_schema()


def facts_check(result: Path) -> LabReport:
    """What a lab probe's result says about every catalogue fact below documented."""
    return check_result(result)
