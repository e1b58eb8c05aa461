"""The bundle commands: ``render`` (and ``render --check``), ``review``,
``verify`` and ``plan``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from generator.cli.inspection import OutputFormat, plan_report
from generator.cli.options import (
    CertOption,
    InventoryArg,
    KeyOption,
    TemplatesOption,
    TimestampOption,
    inventory_paths,
    signing_from,
)
from generator.cli.running import run, say
from generator.defaults import DEFAULT_TEMPLATES, default_jobs
from generator.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from generator.api import CheckedBundle


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
                    inventory_paths(inventories),
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
            inventory_paths(inventories),
            out=out,
            templates=templates,
            signing=signing_from(cert, key, timestamp_url),
            force=force,
            jobs=jobs,
            warn=say,
        )
        for bundle in written:
            if not quiet:
                for change in bundle.changes:
                    say(f"{change.status:>9}  {out / change.path}")
            say(
                f"{bundle.plan.inventory_file}: {bundle.files} files in "
                f"{bundle.root}, {bundle.written} written"
            )

    run(ctx, body)


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
        say(f"{result.plan.inventory_file}: {result.root}: {state}")
    if stale:
        say(f"error: {out} is not what the inventories render to; run drgen render")
        raise typer.Exit(int(ExitCode.OUT_OF_DATE))


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

    run(ctx, body)


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
        say(f"{count} bundle(s) checked, 0 problem(s)")

    run(ctx, body)


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

        previews = api.preview(
            inventory_paths(inventories), out=out, templates=templates
        )
        for preview in previews:
            for warning in preview.plan.warnings:
                say(warning.format())
        output = OutputFormat.JSON if as_json else OutputFormat.TEXT
        sys.stdout.write(plan_report(previews, out, output))

    run(ctx, body)
