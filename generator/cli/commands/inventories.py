"""The inventory commands: ``validate``, ``facts`` (the catalogue), ``schema``
and ``init``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from generator.cli.inspection import (
    OutputFormat,
    validation_error,
    validation_report,
)
from generator.cli.options import (
    FormatOption,
    InventoryArg,
    complete_inventory,
    inventory_paths,
)
from generator.cli.running import run, say


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

        validation = api.validate(inventory_paths(inventories), strict=strict)
        stdout, stderr = validation_report(validation, output)
        sys.stdout.write(stdout)
        sys.stderr.write(stderr)
        error = validation_error(validation)
        if error is not None:
            raise error

    run(ctx, body)


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


def schema() -> None:
    """Print the JSON Schema of the inventory (schema/drgen-v1.schema.json).

    \b
    Example: drgen schema > schema/drgen-v1.schema.json
    """
    from generator import api
    from generator.inventory.model import schema_text

    sys.stdout.write(schema_text(api.schema()))


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
        say(f"wrote {started.inventory}")
        if started.schema is not None:
            say(f"wrote {started.schema} (the inventory's JSON Schema, for editors)")
        say(f"next: edit the lines marked CHANGE, then: drgen validate {path}")

    run(ctx, body)
