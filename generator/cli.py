"""Command line: a thin shell over the pipeline that maps errors to exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from generator import __version__
from generator.defaults import DEFAULT_TEMPLATES, default_jobs
from generator.errors import DrgenError, ExitCode, UsageError
from generator.inspection import (
    OutputFormat,
    plan_report,
    schema_text,
    validation_error,
    validation_report,
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


@dataclass(frozen=True, slots=True)
class Options:
    """Global options, kept on the typer context (no module-level state)."""

    debug: bool = False


def _say(line: str) -> None:
    """Human messages go to stderr; stdout is for machine output."""
    sys.stderr.write(line + "\n")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"drgen {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _main(
    ctx: typer.Context,
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
    ctx.obj = Options(debug=debug)


def _default_inventories() -> list[Path]:
    folder = Path("inventories")
    if not folder.is_dir():
        folder = PROJECT_ROOT / "inventories"
    found = sorted(folder.glob("*.yaml"))
    if not found:
        raise UsageError(f"no inventory given and none found in {folder}/")
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


InventoryArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Inventory files (default: every inventories/*.yaml).", show_default=False
    ),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", case_sensitive=False, help="text or json."),
]
TemplatesOption = Annotated[
    Path, typer.Option("--templates", help="Template directory.")
]


@app.command()
def render(
    ctx: typer.Context,
    inventories: InventoryArg = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("out"),
    templates: TemplatesOption = DEFAULT_TEMPLATES,
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
            "development certificate, for evaluation only, kept in .drgen/dev-signing "
            "(or in DRGEN_DEV_CERT_DIR).",
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
        from generator import api
        from generator.signing import (
            DEV_FOLDER_VARIABLE,
            DEV_IDENTITY_FOLDER,
            ask_password,
        )

        dev_folder = Path(os.environ.get(DEV_FOLDER_VARIABLE, str(DEV_IDENTITY_FOLDER)))
        written = api.render(
            _inventories(inventories),
            out=out,
            templates=templates,
            signing=api.Signing(
                cert, key, timestamp_url, dev_folder, password=ask_password
            ),
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


@app.command()
def verify(
    ctx: typer.Context,
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
    """Check inventories and report every problem; exit 0 when valid, 3 when not."""

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
    """Show the DR mapping, roles, capacity and file changes; write nothing."""

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
    help="The catalogue of names drgen uses on BizTalk servers, with sources.",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(facts_app)


@facts_app.callback()
def facts(
    ctx: typer.Context,
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Print every name the scripts use, with its source and confidence."""
    if ctx.invoked_subcommand is not None:
        return
    from generator import api
    from generator.facts_report import catalogue_json, catalogue_text

    names = api.catalogue()
    text = (
        catalogue_json(names) if output is OutputFormat.JSON else catalogue_text(names)
    )
    sys.stdout.write(text)


@facts_app.command("check")
def facts_check(
    ctx: typer.Context,
    result: Annotated[
        Path, typer.Argument(help="The JSON file Test-DrLabFacts.ps1 wrote.")
    ],
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Say which facts a lab probe confirmed, which failed and what to change.

    Exit 0 when no fact failed, 6 when one did.
    """

    def body() -> None:
        from generator import api
        from generator.facts_report import report_json, report_text

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
    """Print the JSON Schema of the inventory (schema/drgen-v1.schema.json)."""
    from generator import api

    sys.stdout.write(schema_text(api.schema()))


def main() -> None:
    """Console entry point."""
    if os.environ.get("NO_COLOR"):
        os.environ.setdefault("TERM", "dumb")
    app(prog_name="drgen")


__all__ = ["ExitCode", "app", "main"]
