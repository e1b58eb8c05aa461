"""Command line: a thin shell over the pipeline that maps errors to exit codes.

This module is the ``drgen`` typer app: its global options (``--version``,
``--debug``), the table of commands (in ``drgen --help`` order) and ``main``, the
console entry point. The commands are in ``generator.cli.commands`` by family,
as in ``generator.api``; each imports ``api`` inside its body, so that
``--version`` and ``--help`` start without the pipeline.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from generator import __version__
from generator.cli.commands import bundles, discovery, evidence, inventories
from generator.cli.options import complete_inventory
from generator.cli.running import Options
from generator.errors import ExitCode

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


# The order of drgen --help.
app.command()(bundles.render)
app.command()(bundles.review)
app.command()(bundles.verify)
app.command()(inventories.validate)
app.command()(bundles.plan)

facts_app = typer.Typer(
    name="facts",
    help="The catalogue of names drgen uses on BizTalk servers, with sources.\n\n"
    "\b\nExample: drgen facts --format json",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(facts_app)
facts_app.callback()(inventories.facts)
facts_app.command("check")(evidence.facts_check)

app.command()(inventories.schema)
app.command()(inventories.init)
app.command()(evidence.report)
app.command("import")(discovery.import_)
app.command()(discovery.drift)
app.command()(discovery.discover)


def main() -> None:
    """Console entry point."""
    if os.environ.get("NO_COLOR"):
        os.environ.setdefault("TERM", "dumb")
    try:
        app(prog_name="drgen")
    finally:
        # The process ends here. Its last cycle collection would walk every
        # object the command built (a 1,000-server plan: millions) only for them
        # to be freed anyway; frozen objects are left out of it. 0.15 CPU-s of a
        # 1,000-server render (docs/performance.md).
        gc.freeze()


__all__ = ["ExitCode", "app", "complete_inventory", "main"]
