"""The discovery commands: ``import``, ``drift`` and ``discover``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from generator.cli.inspection import OutputFormat
from generator.cli.options import (
    CertOption,
    FormatOption,
    KeyOption,
    TemplatesOption,
    TimestampOption,
    complete_inventory,
    signing_from,
)
from generator.cli.running import run, say
from generator.defaults import DEFAULT_TEMPLATES
from generator.errors import ExitCode, UsageError


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
            say(f"{merged.file}: group and production match the discovery")
            return
        sys.stdout.write(merged.diff())
        if write:
            api.write_import(inventory, merged)
            say(f"{merged.file}: updated; review it, then run drgen validate")

    run(ctx, body)


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

    run(ctx, body)


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
            signing=signing_from(cert, key, timestamp_url),
            force=force,
            warn=say,
        )
        say(f"{written.status:>9}  {written.path}")
        say(
            "Run it on a production BizTalk server, then: "
            "drgen drift INVENTORY discovery-<COMPUTER>.json"
        )

    run(ctx, body)
