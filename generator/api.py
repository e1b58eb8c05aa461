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
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import jinja2

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
from generator.evidence.labfacts import LabReport, check_result
from generator.inventory.load import RawDocument, load_inventory
from generator.inventory.model import Inventory, json_schema
from generator.inventory.validation import parse_inventory
from generator.inventory.winnames import SOURCE, same_on_windows, windows_name_problem
from generator.plan.rules import check_rules
from generator.plan.site import Plan, build_plan
from generator.render.environment import make_environment, template_set_sha256
from generator.signing.signer import (
    DEV_IDENTITY_FOLDER,
    NullSigner,
    SignerChoice,
    choose_signer,
)
from generator.text import printable

if TYPE_CHECKING:
    from generator.bundle.review import Change, Review
    from generator.bundle.staging import Staged
    from generator.discovery.drift import DriftReport
    from generator.discovery.importer import Merged
    from generator.discovery.script import DiscoveryWritten
    from generator.evidence.readiness import Expectation, Readiness
    from generator.evidence.report_view import DriftView
    from generator.inventory.starter import Started


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
    """Check every inventory; with ``strict`` every warning counts as an error.

    Raises:
        UsageError: an inventory's file name cannot name its bundle folder.
    """
    check_inventory_names(paths)
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


def inventory_name_problems(paths: Sequence[Path]) -> tuple[Diagnostic, ...]:
    """Inventories whose bundle folder (``OUT/<stem>``) Windows cannot hold, that
    would be a folder drgen keeps for itself, or that share it with another
    inventory of the same run (case ignored, as on Windows)."""
    found: list[Diagnostic] = []
    stems: dict[str, Path] = {}
    for path in paths:
        where = Location(relative_display(path))
        stem = path.stem
        problem = windows_name_problem(stem)
        if problem is None and stem.startswith("."):
            problem = "starts with a dot, as drgen's own files in OUT do"
        if problem is not None:
            found.append(
                Diagnostic(
                    where,
                    "inventory-name",
                    f"the bundle folder '{printable(stem)}/' of this inventory "
                    f"{problem}",
                    hint=f"rename the inventory file; its name is the folder the "
                    f"bundle is copied to Windows in ({SOURCE})",
                )
            )
        other = stems.get(stem.casefold())
        if other is not None:
            same = "" if other.stem == stem else " on Windows (case does not count)"
            found.append(
                Diagnostic(
                    where,
                    "inventory-name",
                    f"{path} and {other} would both render into '{printable(stem)}/'"
                    f"{same}",
                    hint="rename one of them",
                )
            )
        stems.setdefault(stem.casefold(), path)
    return tuple(found)


def check_inventory_names(paths: Sequence[Path]) -> None:
    """Refuse inventory file names a bundle folder cannot have (exit 2).

    Raises:
        UsageError: one located diagnostic per problem.
    """
    problems = inventory_name_problems(paths)
    if problems:
        raise UsageError(
            f"{len(problems)} inventory file name(s) cannot name a bundle folder",
            problems,
        )


def plan(paths: Sequence[Path]) -> tuple[Plan, ...]:
    """The Plan of every inventory, each loaded and checked once.

    Raises:
        InventoryError: one error carrying every inventory's diagnostics.
    """
    check_inventory_names(paths)
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


def _signer(
    signing: Signing, now: datetime | None, warn: Callable[[str], None]
) -> SignerChoice:
    """Load and check the signing identity once; pass on what to tell the user."""
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
    return choice


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
    choice = _signer(signing or Signing(), now, warn)
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


def discovery_script(
    *,
    out: Path,
    templates: Path = DEFAULT_TEMPLATES,
    signing: Signing | None = None,
    force: bool = False,
    now: datetime | None = None,
    warn: Callable[[str], None] = _ignore,
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
    choice = _signer(signing or Signing(), now, warn)
    script = build_discovery_script(make_environment(templates), choice.signer)
    return write_discovery_script(target, script)


def init(path: Path) -> Started:
    """Write a commented starter inventory (and its schema when none is near).

    Raises:
        UsageError: ``path`` exists or its folder does not; nothing is written.
    """
    from generator.inventory.starter import write_starter

    return write_starter(path)


@dataclass(frozen=True, slots=True)
class Report:
    """``drgen report``: the readiness verdict and its HTML page."""

    readiness: Readiness
    html: str

    @property
    def ready(self) -> bool:
        """True when every site judged is ready."""
        return self.readiness.ready


def report(
    results: Sequence[Path],
    *,
    now: datetime,
    inventory: Path | None = None,
    drift: Path | None = None,
    max_age: timedelta | None = None,
    templates: Path = DEFAULT_TEMPLATES,
) -> Report:
    """Judge drill results (files, or folders searched for them) at ``now``.

    With ``inventory``, the site's DR servers and the bundle id of its current
    render are known: a server without a result, or a result from another bundle,
    makes the site not ready. ``max_age`` defaults to
    ``readiness.DEFAULT_MAX_AGE_DAYS``. Writes nothing.

    Raises:
        ResultError: a result file is unreadable or malformed (located).
        InventoryError: the inventory is invalid.
    """
    from generator.evidence.readiness import DEFAULT_MAX_AGE_DAYS, Loaded, evaluate
    from generator.evidence.report import render_report, report_context
    from generator.evidence.results import read_result, result_files

    if not templates.is_dir():
        raise UsageError(f"{templates}: --templates must be a directory")
    if drift is not None and inventory is None:
        raise UsageError("--drift needs --inventory (drift is production against it)")
    loaded = [Loaded(path, read_result(path)) for path in result_files(results)]
    expectation = None
    capacity = None
    drift_view = None
    if inventory is not None:
        (each,) = plan([inventory])
        expectation = report_expectation(each, make_environment(templates))
        capacity = each.capacity
    if max_age is None:
        max_age = timedelta(days=DEFAULT_MAX_AGE_DAYS)
    if inventory is not None and drift is not None:
        drift_view = _drift_view(inventory, drift, now, max_age)
    readiness = evaluate(
        loaded,
        now=now,
        max_age=max_age,
        expectation=expectation,
        drift_errors=drift_view.errors if drift_view else 0,
    )
    context = report_context(
        readiness,
        loaded,
        capacity=capacity,
        drift=drift_view,
        display=relative_display,
    )
    return Report(readiness, render_report(context, templates))


def report_expectation(each: Plan, env: jinja2.Environment) -> Expectation:
    """What ``drgen report --inventory`` holds the results of ``each``'s site to:
    its DR servers, the bundle id of its render today and what that id is
    computed from, and every check its Test-DrBundle.ps1 makes."""
    from generator.bundle.build import plan_identity
    from generator.evidence.readiness import Expectation, bundle_check_ids

    identity = plan_identity(each, env)
    return Expectation(
        each.site.site,
        each.inventory_name,
        each.site.server_names,
        identity.bundle_id,
        identity.inventory_sha256,
        identity.drgen_version,
        bundle_check_ids(_site_files(each)),
    )


def _site_files(each: Plan) -> tuple[str, ...]:
    """The files of the DR site that its Test-DrBundle.ps1 lists, as it lists them
    (below the site, backslashes): every file of the site but itself."""
    from generator.plan.outputs import BUNDLE_CHECK_NAME

    site = PurePosixPath(each.site.stem, each.site.site)
    return tuple(
        "\\".join(spec.path.relative_to(site).parts)
        for spec in each.artifacts
        if site in spec.path.parents and spec.path != site / BUNDLE_CHECK_NAME
    )


def _drift_view(
    inventory: Path, discovery: Path, now: datetime, max_age: timedelta
) -> DriftView:
    """The drift findings of ``discovery`` against ``inventory``, for the report
    (a discovery older than ``max_age`` is one more finding)."""
    from generator.evidence.report import drift_view

    found = drift(inventory, discovery, now=now, max_age=max_age)
    return drift_view(found, relative_display(discovery))


def catalogue() -> Catalogue:
    """Every name the generated files use on a BizTalk server, with its source."""
    return CATALOGUE


def schema() -> dict[str, Any]:
    """The JSON Schema of the inventory (``drgen/v1``)."""
    return json_schema()


def facts_check(result: Path) -> LabReport:
    """What a lab probe's result says about every catalogue fact below documented."""
    return check_result(result)


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
