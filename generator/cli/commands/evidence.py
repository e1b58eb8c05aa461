"""The evidence commands: ``report`` (readiness from drill results) and ``facts
check`` (a lab probe's result).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from generator.cli.inspection import OutputFormat
from generator.cli.options import FormatOption, TemplatesOption, complete_inventory
from generator.cli.running import run, say
from generator.defaults import DEFAULT_TEMPLATES
from generator.errors import ExitCode


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

    Per site it prints the standby verdict (the bundle check and the Dormant
    checks, fresh and of the current bundle), the last full drill (Ready and
    Active results of this bundle on every DR server, or never), and each
    reason the standby is not ready, one line each with its fix.

    Exit 0 when every site is a ready standby, 10 when not (a failed check, a DR
    server without a Bundle or Dormant result, with a drill after its latest
    Dormant result or a Dormant result run with -AfterDrill, a stale result or
    one from another bundle, a drift error) and when a *.json file in a results
    folder is not named like a drill result (listed: it may be a renamed one; a
    lab probe's result is listed and does not count), 2 for an unreadable or
    malformed result file, 3 for an invalid inventory. The last full drill
    never changes the exit code.

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
        for line in made.lines:
            say(line)
        say(f"wrote {out}")
        if not made.ready:
            raise typer.Exit(int(ExitCode.NOT_READY))

    run(ctx, body)


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

    run(ctx, body)
