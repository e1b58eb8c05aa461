"""Command line: a thin shell over the pipeline that maps errors to exit codes."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from generator import __version__
from generator.bundle import BuiltBundle, build_bundle, plan_inventory
from generator.errors import (
    Diagnostic,
    DrgenError,
    ExitCode,
    InventoryError,
    Location,
    UsageError,
)
from generator.inspection import (
    OutputFormat,
    plan_inventories,
    schema_text,
    validate_inventories,
)
from generator.parallel import default_jobs
from generator.plan import Plan
from generator.render import DEFAULT_TEMPLATES, make_environment, template_set_sha256
from generator.signing import DEV_IDENTITY_FOLDER, Signer, choose_signer
from generator.writer import (
    check_out_dir,
    check_ownership,
    diff_bundle,
    recover_interrupted,
    write_bundle,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent

app = typer.Typer(
    name="drgen",
    help="Generate signed BizTalk Server disaster-recovery bundles from an inventory.",
    no_args_is_help=True,
    add_completion=False,
    # Locals may hold key material or passwords: never print them.
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
)

_state = {"debug": False}


def _say(line: str) -> None:
    """Human messages go to stderr; stdout is for machine output."""
    sys.stderr.write(line + "\n")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"drgen {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[  # noqa: ARG001 - handled eagerly by its callback
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks (for drgen developers).")
    ] = False,
) -> None:
    """drgen: BizTalk Server DR bundles from one reviewed inventory."""
    _state["debug"] = debug


def _default_inventories() -> list[Path]:
    folder = Path("inventories")
    if not folder.is_dir():
        folder = PROJECT_ROOT / "inventories"
    found = sorted(folder.glob("*.yaml"))
    if not found:
        raise UsageError(f"no inventory given and none found in {folder}/")
    return found


def _inventories(paths: list[Path] | None) -> list[Path]:
    chosen = list(paths) if paths else _default_inventories()
    stems: dict[str, Path] = {}
    for path in chosen:
        if path.stem in stems:
            raise UsageError(
                f"{path} and {stems[path.stem]} would both render into '{path.stem}/'"
            )
        stems[path.stem] = path
    return chosen


def _run(action: object) -> None:
    """Run a command body, turning drgen errors into diagnostics and exit codes."""
    try:
        action()  # type: ignore[operator]
    except DrgenError as exc:
        if _state["debug"]:
            raise
        for line in exc.lines():
            _say(line)
        raise typer.Exit(int(exc.exit_code)) from None


def _plan_all(paths: list[Path]) -> list[tuple[Path, tuple[Plan, str]]]:
    """Plan every inventory; one error carrying every inventory's problems."""
    planned: list[tuple[Path, tuple[Plan, str]]] = []
    problems: list[Diagnostic] = []
    for path in paths:
        try:
            planned.append((path, plan_inventory(path)))
        except InventoryError as exc:
            problems += exc.diagnostics or (
                Diagnostic(Location(str(path)), "invalid", exc.message),
            )
    if problems:
        raise InventoryError("invalid inventory", tuple(problems))
    return planned


InventoryArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Inventory files (default: every inventories/*.yaml).", show_default=False
    ),
]


@app.command()
def render(
    inventories: InventoryArg = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("out"),
    templates: Annotated[
        Path, typer.Option("--templates", help="Template directory.")
    ] = DEFAULT_TEMPLATES,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a directory drgen did not create.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No per-file lines.")
    ] = False,
    cert: Annotated[
        Path | None,
        typer.Option(
            "--cert",
            help="Code-signing certificate: .pfx/.p12 (password from "
            "DRGEN_CERT_PASSWORD or a prompt) or PEM (with --key). Default: a local "
            "development certificate, for evaluation only.",
        ),
    ] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="PEM private key for a PEM --cert.")
    ] = None,
    timestamp_url: Annotated[
        str | None,
        typer.Option("--timestamp-url", help="RFC 3161 timestamp authority URL."),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", min=1, help="Worker processes (default: all cores)."
        ),
    ] = default_jobs(),
) -> None:
    """Render every artifact of the inventories into OUT/<inventory>/<site>/..."""

    def body() -> None:
        # Every inventory is validated before a key is loaded or a file is touched.
        check_out_dir(out, force=force)
        if not templates.is_dir():
            raise UsageError(f"{templates}: --templates must be a directory")
        planned = _plan_all(_inventories(inventories))
        env = make_environment(templates)
        templates_sha = template_set_sha256(templates)
        dev_folder = Path(
            os.environ.get("DRGEN_DEV_CERT_DIR", str(DEV_IDENTITY_FOLDER))
        )
        choice = choose_signer(
            cert, key, timestamp_url, datetime.now(UTC), dev_folder=dev_folder
        )
        signer: Signer = choice.signer
        for warning in choice.warnings:
            _say(f"warning: {warning}")
        built: list[BuiltBundle] = [
            build_bundle(path, env, signer, templates_sha, jobs, planned=plan)
            for path, plan in planned
        ]
        for bundle in built:
            for diagnostic in bundle.warnings:
                _say(diagnostic.format())
            check_ownership(out, bundle.files, force=force)
        for bundle in built:
            recover_interrupted(out, bundle.files)
            changes = diff_bundle(out, bundle.files)
            written = write_bundle(out, bundle.files, changes)
            if not quiet:
                for change in changes:
                    _say(f"{change.status:>9}  {out / change.path}")
            _say(
                f"{bundle.inventory}: {len(bundle.files.files)} files in "
                f"{out / bundle.files.root}, {written} written"
            )

    _run(body)


@app.command()
def verify(
    out: Annotated[
        Path, typer.Argument(help="Output directory to check (default: out).")
    ] = Path("out"),
    ca: Annotated[
        Path | None,
        typer.Option("--ca", help="Root certificate the signatures must chain to."),
    ] = None,
) -> None:
    """Check every bundle in OUT against its manifest and every script signature."""

    def body() -> None:
        from generator.verify import verify_out

        count, findings = verify_out(out, ca)
        for finding in findings:
            _say(finding.format())
        _say(f"{count} bundle(s) checked, {len(findings)} problem(s)")
        if findings:
            raise typer.Exit(int(ExitCode.VERIFICATION))

    _run(body)


@app.command()
def validate(
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
    """Check inventories and report every problem; exit 0 when valid, 3 when not."""

    def body() -> None:
        paths = list(inventories) if inventories else _default_inventories()
        validate_inventories(
            paths, strict=strict, output=output, stdout=sys.stdout, stderr=sys.stderr
        )

    _run(body)


@app.command()
def plan(
    inventories: InventoryArg = None,
    out: Annotated[
        Path, typer.Option("--out", help="Output directory to compare with.")
    ] = Path("out"),
    templates: Annotated[
        Path, typer.Option("--templates", help="Template directory.")
    ] = DEFAULT_TEMPLATES,
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable plan on stdout.")
    ] = False,
) -> None:
    """Show the DR mapping, roles, capacity and file changes; write nothing."""

    def body() -> None:
        plan_inventories(
            _inventories(inventories),
            out=out,
            templates=templates,
            as_json=as_json,
            stdout=sys.stdout,
            stderr=sys.stderr,
        )

    _run(body)


facts_app = typer.Typer(
    name="facts",
    help="The catalogue of names drgen uses on BizTalk servers, with sources.",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(facts_app)


@facts_app.callback()
def facts(
    ctx: typer.Context,
    output: Annotated[
        OutputFormat,
        typer.Option("--format", case_sensitive=False, help="text or json."),
    ] = OutputFormat.TEXT,
) -> None:
    """Print every name the scripts use, with its source and confidence."""
    if ctx.invoked_subcommand is not None:
        return
    from generator.facts_report import catalogue_json, catalogue_text

    text = catalogue_json() if output is OutputFormat.JSON else catalogue_text()
    sys.stdout.write(text)


@facts_app.command("check")
def facts_check(
    result: Annotated[
        Path, typer.Argument(help="The JSON file Test-DrLabFacts.ps1 wrote.")
    ],
    output: Annotated[
        OutputFormat,
        typer.Option("--format", case_sensitive=False, help="text or json."),
    ] = OutputFormat.TEXT,
) -> None:
    """Say which facts a lab probe confirmed, which failed and what to change.

    Exit 0 when no fact failed, 6 when one did.
    """

    def body() -> None:
        from generator.facts_report import report_json, report_text
        from generator.labfacts import check_result

        report = check_result(result)
        text = (
            report_json(report) if output is OutputFormat.JSON else report_text(report)
        )
        sys.stdout.write(text)
        if report.failed:
            raise typer.Exit(int(ExitCode.FACTS_FAILED))

    _run(body)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the inventory (schema/drgen-v1.schema.json)."""
    sys.stdout.write(schema_text())


def main() -> None:
    """Console entry point."""
    if os.environ.get("NO_COLOR"):
        os.environ.setdefault("TERM", "dumb")
    app(prog_name="drgen")


__all__ = ["ExitCode", "app", "main"]
