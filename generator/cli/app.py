"""Command line: a thin shell over the pipeline that maps errors to exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from generator import __version__
from generator.cli.inspection import (
    OutputFormat,
    plan_report,
    validation_error,
    validation_report,
)
from generator.defaults import DEFAULT_TEMPLATES, default_jobs
from generator.errors import DrgenError, ExitCode, UsageError

if TYPE_CHECKING:
    from generator.api import CheckedBundle, Signing

PROJECT_ROOT = Path(__file__).resolve().parent.parent

app = typer.Typer(
    name="drgen",
    help="Generate signed BizTalk Server disaster-recovery bundles from an inventory.",
    no_args_is_help=True,
    # --install-completion / --show-completion for bash and zsh (inventory
    # arguments complete to *.yaml files, see complete_inventory).
    add_completion=True,
    # Plain help: rich-formatted help costs ~100 ms of start-up and colours.
    rich_markup_mode=None,
    # Locals may hold key material or passwords: never print them.
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
)


@dataclass(frozen=True, slots=True)
class Options:
    """Global options, kept on the typer context (no module-level state)."""

    debug: bool = False


def _say(line: str) -> None:
    """Human messages go to stderr; stdout is for machine output."""
    sys.stderr.write(line + "\n")


def _flag(name: str) -> Callable[[typer.Context, bool], None]:
    def remember(ctx: typer.Context, value: bool) -> None:
        if value:
            ctx.meta[f"drgen.{name}"] = True

    return remember


def _version(ctx: typer.Context, value: bool) -> None:  # noqa: ARG001
    # Eager callbacks run in command-line order, then the eager options nobody
    # gave, in declaration order: this one is declared last, so --version and
    # --verbose are both known here, in whatever order they were written.
    if not ctx.meta.get("drgen.version"):
        return
    sys.stdout.write(f"drgen {__version__}\n")
    if ctx.meta.get("drgen.verbose"):
        from generator import api

        sys.stdout.write(
            "Code SHA-256 of each script kind: the same in every bundle this release\n"
            "renders (Test-DrBundle.ps1 prints them on a DR server):\n"
        )
        for kind, digest in sorted(api.code_hashes().items()):
            sys.stdout.write(f"  {digest}  {kind}\n")
    raise typer.Exit(0)


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[  # noqa: ARG001 - handled eagerly by its callback
        bool,
        typer.Option(
            "--version",
            callback=_flag("version"),
            is_eager=True,
            help="Print the version and exit; with --verbose also the code SHA-256 "
            "of each script kind of this release.",
        ),
    ] = False,
    verbose: Annotated[  # noqa: ARG001 - read by --version
        bool,
        typer.Option(
            "--verbose",
            callback=_flag("verbose"),
            is_eager=True,
            help="With --version: the code hashes.",
        ),
    ] = False,
    finish: Annotated[  # noqa: ARG001 - runs --version after both flags are read
        bool,
        typer.Option(
            "--drgen-version-finish", hidden=True, is_eager=True, callback=_version
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks (for drgen developers).")
    ] = False,
) -> None:
    """drgen: BizTalk Server DR bundles from one reviewed inventory."""
    ctx.obj = Options(debug=debug)


def _default_inventories() -> list[Path]:
    folder = Path("inventories")
    if not folder.is_dir() and (PROJECT_ROOT / "inventories").is_dir():
        folder = PROJECT_ROOT / "inventories"  # a checkout, run from elsewhere
    found = sorted(folder.glob("*.yaml"))
    if not found:
        raise UsageError(
            f"no inventory given and none found in {folder}/ "
            "(name one, or start one with drgen init)"
        )
    return found


def _inventories(paths: list[Path] | None) -> list[Path]:
    return list(paths) if paths else _default_inventories()


def _run(ctx: typer.Context, action: Callable[[], None]) -> None:
    """Run a command body, turning drgen errors into diagnostics and exit codes."""
    try:
        action()
    except DrgenError as exc:
        options = ctx.find_root().obj
        if isinstance(options, Options) and options.debug:
            raise
        for line in exc.lines():
            _say(line)
        raise typer.Exit(int(exc.exit_code)) from None


def complete_inventory(incomplete: str) -> list[str]:
    """Shell completion for inventory arguments: folders and YAML files."""
    folder, _, stem = incomplete.rpartition("/")
    base = Path(folder or ".")
    if folder == "" and incomplete.startswith("/"):
        base = Path("/")
    try:
        entries = sorted(base.iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.name.startswith(stem) or entry.name.startswith("."):
            continue
        shown = (
            f"{folder}/{entry.name}"
            if folder or incomplete.startswith("/")
            else entry.name
        )
        if entry.is_dir():
            found.append(shown + "/")
        elif entry.suffix.lower() in {".yaml", ".yml"}:
            found.append(shown)
    return found


InventoryArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Inventory files (default: every inventories/*.yaml).",
        metavar="INVENTORY",
        show_default=False,
        autocompletion=complete_inventory,
    ),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", case_sensitive=False, help="text or json."),
]
TemplatesOption = Annotated[
    Path, typer.Option("--templates", help="Template directory.")
]
# The signing options of every command that writes a signed script.
CertOption = Annotated[
    Path | None,
    typer.Option(
        "--cert",
        help="Code-signing certificate: .pfx/.p12 (password from "
        "DRGEN_CERT_PASSWORD or a prompt) or PEM (with --key). Default: a local "
        "development certificate, for evaluation only, kept in .drgen/dev-signing "
        "(or in DRGEN_DEV_CERT_DIR).",
    ),
]
KeyOption = Annotated[
    Path | None, typer.Option("--key", help="PEM private key for a PEM --cert.")
]
TimestampOption = Annotated[
    str | None,
    typer.Option("--timestamp-url", help="RFC 3161 timestamp authority URL."),
]


def _signing(cert: Path | None, key: Path | None, timestamp_url: str | None) -> Signing:
    """The library's ``Signing``: the development folder from the environment and
    a password prompt when the certificate needs one (the library does neither)."""
    from generator import api
    from generator.signing.signer import (
        DEV_FOLDER_VARIABLE,
        DEV_IDENTITY_FOLDER,
        ask_password,
    )

    dev_folder = Path(os.environ.get(DEV_FOLDER_VARIABLE, str(DEV_IDENTITY_FOLDER)))
    return api.Signing(cert, key, timestamp_url, dev_folder, password=ask_password)


@app.command()
def render(
    ctx: typer.Context,
    inventories: InventoryArg = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("out"),
    templates: TemplatesOption = DEFAULT_TEMPLATES,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace or remove what drgen did not write in OUT/<inventory> "
            "(each path removed is named on stderr).",
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No per-file lines.")
    ] = False,
    cert: CertOption = None,
    key: KeyOption = None,
    timestamp_url: TimestampOption = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", min=1, help="Worker processes (default: all cores)."
        ),
    ] = default_jobs(),
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; exit 0 when OUT already holds exactly what the "
            "inventories render to, 8 with the list of files that would change. "
            "Needs no signing key (unchanged scripts keep their signatures).",
        ),
    ] = False,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="With --check: say what each change means (data values added, "
            "removed or changed; code changed or not), as terraform plan does.",
        ),
    ] = False,
) -> None:
    """Render every artifact of the inventories into OUT/<inventory>/<site>/...

    \b
    Example: drgen render inventories/example.yaml --out out
    Example: drgen render --check inventories/*.yaml   (in an inventory repository's CI)
    """

    def body() -> None:
        from generator import api

        if check:
            given = [
                name
                for name, value in (
                    ("--cert", cert),
                    ("--key", key),
                    ("--timestamp-url", timestamp_url),
                    ("--force", force),
                )
                if value
            ]
            if given:
                raise UsageError(
                    f"--check writes and signs nothing; drop {', '.join(given)}"
                )
            _check(
                api.check(
                    _inventories(inventories),
                    out=out,
                    templates=templates,
                    jobs=jobs,
                    diff=diff,
                ),
                out,
                diff=diff,
            )
            return
        if diff:
            raise UsageError(
                "--diff goes with --check (a render writes, it does not diff)"
            )
        written = api.render(
            _inventories(inventories),
            out=out,
            templates=templates,
            signing=_signing(cert, key, timestamp_url),
            force=force,
            jobs=jobs,
            warn=_say,
        )
        for bundle in written:
            if not quiet:
                for change in bundle.changes:
                    _say(f"{change.status:>9}  {out / change.path}")
            _say(
                f"{bundle.plan.inventory_file}: {bundle.files} files in "
                f"{bundle.root}, {bundle.written} written"
            )

    _run(ctx, body)


def _check(results: Sequence[CheckedBundle], out: Path, *, diff: bool = False) -> None:
    """Report ``render --check``: every file a render would change, then the code."""
    stale = 0
    for result in results:
        if diff:
            from generator.cli.review import changes_text

            if result.changes:
                sys.stdout.write(f"{result.root}:\n")
                sys.stdout.write(changes_text(result.described))
        else:
            for change in result.changes:
                sys.stdout.write(f"{change.status:>9}  {out / change.path}\n")
        stale += len(result.changes)
        state = (
            "up to date"
            if result.up_to_date
            else f"{len(result.changes)} file(s) would change"
        )
        _say(f"{result.plan.inventory_file}: {result.root}: {state}")
    if stale:
        _say(f"error: {out} is not what the inventories render to; run drgen render")
        raise typer.Exit(int(ExitCode.OUT_OF_DATE))


@app.command()
def review(
    ctx: typer.Context,
    bundle: Annotated[
        Path,
        typer.Argument(
            help="A rendered bundle: OUT/<inventory> (or OUT holding one bundle).",
            metavar="OUT/INVENTORY",
        ),
    ],
    since: Annotated[
        Path | None,
        typer.Option(
            "--since",
            help="An older render of the same bundle: show only what changed, by "
            "meaning, and the code diff only where code changed.",
            metavar="OLD_OUT",
        ),
    ] = None,
) -> None:
    """Show a bundle as a reviewer reads it: each script kind's code hash (the same
    in every bundle of this release), then each data block.

    \b
    Example: drgen review out/example
    Example: drgen review out/example --since reviewed/example
    """

    def body() -> None:
        from generator import api
        from generator.cli.review import review_text

        sys.stdout.write(review_text(api.review(bundle, since)))

    _run(ctx, body)


@app.command()
def verify(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Argument(help="Output directory to check (default: out).", metavar="OUT"),
    ] = Path("out"),
    ca: Annotated[
        Path | None,
        typer.Option("--ca", help="Root certificate the signatures must chain to."),
    ] = None,
) -> None:
    """Check every bundle in OUT against its manifest and every script signature.

    \b
    Example: drgen verify out --ca corp-root.cer
    """

    def body() -> None:
        from generator import api

        count = api.verify(out, ca)
        _say(f"{count} bundle(s) checked, 0 problem(s)")

    _run(ctx, body)


@app.command()
def validate(
    ctx: typer.Context,
    inventories: InventoryArg = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Treat warnings as errors (exit 3).")
    ] = False,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            case_sensitive=False,
            help="text: diagnostics on stderr; json: a JSON list on stdout.",
        ),
    ] = OutputFormat.TEXT,
) -> None:
    """Check inventories and report every problem; exit 0 when valid, 3 when not.

    \b
    Example: drgen validate --strict inventories/example.yaml
    """

    def body() -> None:
        from generator import api

        validation = api.validate(_inventories(inventories), strict=strict)
        stdout, stderr = validation_report(validation, output)
        sys.stdout.write(stdout)
        sys.stderr.write(stderr)
        error = validation_error(validation)
        if error is not None:
            raise error

    _run(ctx, body)


@app.command()
def plan(
    ctx: typer.Context,
    inventories: InventoryArg = None,
    out: Annotated[
        Path, typer.Option("--out", help="Output directory to compare with.")
    ] = Path("out"),
    templates: TemplatesOption = DEFAULT_TEMPLATES,
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable plan on stdout.")
    ] = False,
) -> None:
    """Show the DR mapping, roles, capacity and file changes; write nothing.

    \b
    Example: drgen plan inventories/example.yaml --out out
    """

    def body() -> None:
        from generator import api

        previews = api.preview(_inventories(inventories), out=out, templates=templates)
        for preview in previews:
            for warning in preview.plan.warnings:
                _say(warning.format())
        output = OutputFormat.JSON if as_json else OutputFormat.TEXT
        sys.stdout.write(plan_report(previews, out, output))

    _run(ctx, body)


facts_app = typer.Typer(
    name="facts",
    help="The catalogue of names drgen uses on BizTalk servers, with sources.\n\n"
    "\b\nExample: drgen facts --format json",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(facts_app)


@facts_app.callback()
def facts(
    ctx: typer.Context,
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Print every name the scripts use, with its source and confidence.

    \b
    Example: drgen facts --format json
    """
    if ctx.invoked_subcommand is not None:
        return
    from generator import api
    from generator.cli.facts import catalogue_json, catalogue_text

    names = api.catalogue()
    text = (
        catalogue_json(names) if output is OutputFormat.JSON else catalogue_text(names)
    )
    sys.stdout.write(text)


@facts_app.command("check")
def facts_check(
    ctx: typer.Context,
    result: Annotated[
        Path,
        typer.Argument(
            help="The JSON file Test-DrLabFacts.ps1 wrote.", metavar="RESULT"
        ),
    ],
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Say which facts a lab probe confirmed, which failed and what to change.

    Exit 0 when no fact failed, 6 when one did.

    \b
    Example: drgen facts check lab-facts-DRserver1.json
    """

    def body() -> None:
        from generator import api
        from generator.cli.facts import report_json, report_text

        report = api.facts_check(result)
        text = (
            report_json(report) if output is OutputFormat.JSON else report_text(report)
        )
        sys.stdout.write(text)
        if report.failed:
            raise typer.Exit(int(ExitCode.FACTS_FAILED))

    _run(ctx, body)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the inventory (schema/drgen-v1.schema.json).

    \b
    Example: drgen schema > schema/drgen-v1.schema.json
    """
    from generator import api
    from generator.inventory.model import schema_text

    sys.stdout.write(schema_text(api.schema()))


@app.command()
def init(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="The inventory to create (default: inventory.yaml).",
            metavar="PATH",
            autocompletion=complete_inventory,
        ),
    ] = Path("inventory.yaml"),
) -> None:
    """Write a commented starter inventory that validates as written.

    Never overwrites a file. Replace every value marked CHANGE, then run drgen
    validate and drgen plan.

    \b
    Example: drgen init inventories/production.yaml
    """

    def body() -> None:
        from generator import api

        started = api.init(path)
        _say(f"wrote {started.inventory}")
        if started.schema is not None:
            _say(f"wrote {started.schema} (the inventory's JSON Schema, for editors)")
        _say(f"next: edit the lines marked CHANGE, then: drgen validate {path}")

    _run(ctx, body)


@app.command()
def report(
    ctx: typer.Context,
    results: Annotated[
        list[Path],
        typer.Argument(
            help="Drill result files (logs\\*.json), or folders searched for them.",
            metavar="RESULTS",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="The HTML report to write.")
    ] = Path("report.html"),
    inventory: Annotated[
        Path | None,
        typer.Option(
            "--inventory",
            help="Judge missing servers and the bundle id against this inventory.",
            autocompletion=complete_inventory,
        ),
    ] = None,
    drift: Annotated[
        Path | None,
        typer.Option("--drift", help="A discovery file: show its drift findings."),
    ] = None,
    max_age: Annotated[
        int,
        typer.Option("--max-age", min=0, help="Results older than DAYS are stale."),
    ] = 30,
    templates: TemplatesOption = DEFAULT_TEMPLATES,
) -> None:
    """Write a readiness report of drill results as one self-contained HTML page.

    Exit 0 when every site is ready, 10 when not (a failed check, a DR server
    without a Bundle or Dormant result or with a drill after its latest Dormant
    result, a stale result or one from another bundle, a drift error), 2 for an
    unreadable or malformed result file, 3 for an invalid inventory.

    \b
    Example: drgen report examples/results/example --inventory inventories/example.yaml
    """

    def body() -> None:
        from datetime import UTC, datetime, timedelta

        from generator import api
        from generator.files.atomic import write_atomically

        made = api.report(
            results,
            now=datetime.now(UTC),
            inventory=inventory,
            drift=drift,
            max_age=timedelta(days=max_age),
            templates=templates,
        )
        write_atomically(out, made.html.encode("utf-8"))
        for site in made.readiness.sites:
            verdict = (
                "ready"
                if site.ready
                else "NOT READY"
                if site.judged
                else "NOT JUDGED (give --inventory)"
            )
            _say(f"site {site.site}: {verdict}")
        _say(f"wrote {out}")
        if not made.ready:
            raise typer.Exit(int(ExitCode.NOT_READY))

    _run(ctx, body)


@app.command("import")
def import_(
    ctx: typer.Context,
    discovery: Annotated[
        Path,
        typer.Argument(
            help="The discovery JSON (Export-BizTalkGroup.ps1).", metavar="DISCOVERY"
        ),
    ],
    inventory: Annotated[
        Path | None,
        typer.Option(
            "--inventory",
            help="An existing inventory: show the changes to its group and "
            "production as a unified diff instead of printing a new inventory.",
            autocompletion=complete_inventory,
        ),
    ] = None,
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="With --inventory: apply the changes in place (comments, key order "
            "and the dr section are kept; the file is replaced atomically).",
        ),
    ] = False,
) -> None:
    """Turn a discovery of production into inventory YAML on stdout.

    Without --inventory: a new inventory, its dr section a scaffold whose
    REPLACE-ME- values drgen validate refuses until they are replaced. A
    discovery of another schema version, of another group or malformed: exit 3,
    nothing written.

    \b
    Example: drgen import discovery.json > inventories/prod.yaml
    Example: drgen import discovery.json --inventory inventories/prod.yaml --write
    """

    def body() -> None:
        from datetime import UTC, datetime

        from generator import api

        if write and inventory is None:
            raise UsageError("--write needs --inventory (the file to change)")
        now = datetime.now(UTC)
        if inventory is None:
            sys.stdout.write(api.import_discovery(discovery, now=now))
            return
        merged = api.import_into(discovery, inventory, now=now)
        if not merged.changed:
            _say(f"{merged.file}: group and production match the discovery")
            return
        sys.stdout.write(merged.diff())
        if write:
            api.write_import(inventory, merged)
            _say(f"{merged.file}: updated; review it, then run drgen validate")

    _run(ctx, body)


@app.command()
def drift(
    ctx: typer.Context,
    inventory: Annotated[
        Path,
        typer.Argument(
            help="The inventory to check.",
            metavar="INVENTORY",
            autocompletion=complete_inventory,
        ),
    ],
    discovery: Annotated[
        Path,
        typer.Argument(
            help="The discovery JSON of its production.", metavar="DISCOVERY"
        ),
    ],
    output: FormatOption = OutputFormat.TEXT,
    max_age: Annotated[
        float,
        typer.Option(
            "--max-age",
            min=0,
            max=36500,
            help="Warn (DRIFT050) when the discovery is older than this many days.",
        ),
    ] = 7.0,
    strict: Annotated[
        bool, typer.Option("--strict", help="Warnings alone also exit 9.")
    ] = False,
) -> None:
    """Compare production (a discovery) with the inventory; list every difference.

    Each finding: a code, a severity, what it breaks at DR and FILE:LINE:COL in
    the inventory. Exit 0 without drift errors, 9 with (--strict: with any
    finding), 3 when a file is invalid or of another group.

    \b
    Example: drgen drift inventories/example.yaml discovery.json
    """

    def body() -> None:
        from datetime import UTC, datetime, timedelta

        from generator import api
        from generator.cli.drift import drift_json, drift_text

        report = api.drift(
            inventory,
            discovery,
            now=datetime.now(UTC),
            max_age=timedelta(days=max_age),
        )
        if output is OutputFormat.JSON:
            sys.stdout.write(drift_json(report))
        else:
            sys.stdout.write(drift_text(report))
        if report.errors or (strict and report.findings):
            raise typer.Exit(int(ExitCode.DRIFT))

    _run(ctx, body)


@app.command()
def discover(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder for Export-BizTalkGroup.ps1."),
    ] = Path(),
    templates: TemplatesOption = DEFAULT_TEMPLATES,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace an Export-BizTalkGroup.ps1 drgen did not write."
        ),
    ] = False,
    cert: CertOption = None,
    key: KeyOption = None,
    timestamp_url: TimestampOption = None,
    simulate: Annotated[
        Path | None,
        typer.Option(
            "--simulate",
            help="Write nothing; print the discovery JSON a production matching "
            "this inventory would produce (tests, demos, drills).",
            autocompletion=complete_inventory,
        ),
    ] = None,
) -> None:
    """Write the signed, read-only Export-BizTalkGroup.ps1 for production.

    Run it on any production BizTalk server: it writes one discovery file
    (drgen/discovery-v1) for drgen drift and drgen import. drgen render also
    writes one per inventory into OUT/<inventory>/production/, which runs only on
    that inventory's production servers.

    \b
    Example: drgen discover --out out/discovery
    Example: drgen discover --simulate inventories/example.yaml > discovery.json
    """

    def body() -> None:
        from generator import api

        if simulate is not None:
            if cert or key or timestamp_url or force:
                raise UsageError(
                    "--simulate writes nothing: --cert, --key, --timestamp-url and "
                    "--force do not apply"
                )
            text = api.simulate_discovery(simulate)
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            return
        written = api.discovery_script(
            out=out,
            templates=templates,
            signing=_signing(cert, key, timestamp_url),
            force=force,
            warn=_say,
        )
        _say(f"{written.status:>9}  {written.path}")
        _say(
            "Run it on a production BizTalk server, then: "
            "drgen drift INVENTORY discovery-<COMPUTER>.json"
        )

    _run(ctx, body)


def main() -> None:
    """Console entry point."""
    if os.environ.get("NO_COLOR"):
        os.environ.setdefault("TERM", "dumb")
    app(prog_name="drgen")


__all__ = ["ExitCode", "app", "main"]
