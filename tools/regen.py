"""``./drgen.sh regen`` (and ``make regen``): rewrite every golden file, in order.

A golden file is output committed to the repository that the suite compares
with what the code makes today; a stale one fails its test with a message
naming ``./drgen.sh regen``. The steps run in the checkout with the project's
Python and stop at the first that fails:

1. schemas: ``schema/drgen-v1.schema.json`` (what ``drgen schema`` prints),
   ``drgen-discovery-v1`` and ``drgen-test-result-v1``, from the pydantic models;
2. lab facts: ``tests/data/lab-facts/sample-2020.json`` (it follows the catalogue);
3. sample drill results: ``examples/results/`` (they carry the bundle id, which
   any template, catalogue, inventory or version change moves);
4. command outputs: ``tests/data/cli/`` (``validate`` and ``plan`` on the examples);
5. snapshots: ``tests/snapshots/`` (pytest-snapshot's update mode, then checked);
6. screenshots: ``docs/images/*.png`` (Chromium; ``--no-screenshots`` skips them).

The models first, then what the catalogue and the render decide, the pictures
last (the slowest step, and the only one that needs a browser). A developer
tool, not part of drgen: nothing in ``generator/`` imports it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "./drgen.sh regen"
SNAPSHOT_TESTS = "tests/render/test_snapshots.py"
SNAPSHOT_UPDATE = f"{SNAPSHOT_TESTS}::test_bundle_snapshot"


class StepFailedError(Exception):
    """A step did not finish; the message says what failed."""


@dataclass(frozen=True)
class Step:
    """One kind of golden file and how to rewrite it."""

    name: str
    #: The files the step owns, as globs below the checkout (for the message and
    #: for tests/cli/test_regen.py, which holds them to what the step writes).
    writes: tuple[str, ...]
    run: Callable[[Path], None]
    needs_browser: bool = False


def run_command(root: Path, argv: Sequence[str], ok: Collection[int] = (0,)) -> int:
    """Run ``argv`` in ``root``; an exit code outside ``ok`` fails the step."""
    done = subprocess.run(argv, cwd=root, check=False)
    if done.returncode not in ok:
        shown = " ".join(str(a) for a in argv)
        msg = f"`{shown}` exited {done.returncode}"
        raise StepFailedError(msg)
    return done.returncode


def schema_texts() -> dict[str, str]:
    """Each committed JSON Schema's file name and the text its model makes."""
    from generator.discovery.model import SCHEMA_FILE as DISCOVERY_FILE
    from generator.discovery.model import json_schema as discovery_schema
    from generator.evidence.results import SCHEMA_FILE as RESULT_FILE
    from generator.evidence.results import json_schema as result_schema
    from generator.inventory.model import SCHEMA_FILE as INVENTORY_FILE
    from generator.inventory.model import json_schema as inventory_schema
    from generator.inventory.model import schema_text

    return {
        INVENTORY_FILE: schema_text(inventory_schema()),
        DISCOVERY_FILE: schema_text(discovery_schema()),
        RESULT_FILE: schema_text(result_schema()),
    }


def write_schemas(root: Path) -> None:
    for name, text in schema_texts().items():
        (root / "schema" / name).write_text(text, encoding="utf-8", newline="\n")


def module(name: str) -> Callable[[Path], None]:
    """A step that runs ``python -m name`` (a writer in tests/support)."""

    def run(root: Path) -> None:
        run_command(root, [sys.executable, "-m", name])

    return run


def update_snapshots(root: Path) -> None:
    """pytest-snapshot's update mode fails every test whose snapshots it wrote
    ("Snapshot directory was modified"), and tests/conftest.py fails the session
    when a file of the checkout changed: exit code 1 is what a successful update
    looks like. The ordinary run after it must then pass."""
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    update = [
        *pytest,
        SNAPSHOT_UPDATE,
        "--snapshot-update",
        "--allow-snapshot-deletion",
    ]
    run_command(root, update, ok=(0, 1))
    run_command(root, [*pytest, SNAPSHOT_TESTS])


def take_screenshots(root: Path) -> None:
    run_command(root, [sys.executable, "docs/screenshots.py"])


STEPS: tuple[Step, ...] = (
    Step("schemas", ("schema/*.schema.json",), write_schemas),
    Step(
        "lab facts",
        ("tests/data/lab-facts/sample-2020.json",),
        module("tests.support.lab_facts_sample"),
    ),
    Step(
        "sample drill results",
        ("examples/results/*/*.json",),
        module("tests.support.sample_results"),
    ),
    Step(
        "command outputs",
        ("tests/data/cli/*",),
        module("tests.support.command_outputs"),
    ),
    Step("snapshots", ("tests/snapshots/**/*",), update_snapshots),
    Step("screenshots", ("docs/images/*.png",), take_screenshots, needs_browser=True),
)


def tell(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def complain(line: str) -> None:
    sys.stderr.write(line + "\n")


def run_steps(
    steps: Sequence[Step],
    root: Path,
    say: Callable[[str], None] = tell,
    fail: Callable[[str], None] = complain,
) -> int:
    """Run ``steps`` in order; 0 when all finished, 1 at the first that failed."""
    for number, step in enumerate(steps, 1):
        say(f"regen {number}/{len(steps)}: {step.name} ({', '.join(step.writes)})")
        try:
            step.run(root)
        except Exception as failure:
            # A writer's own error is said too (its traceback would hide which
            # step it was); either way nothing after it runs.
            known = isinstance(failure, StepFailedError)
            reason = str(failure) if known else repr(failure)
            later = [s.name for s in steps[number:]]
            fail(
                f"regen: step {number} ({step.name}) failed: {reason}; "
                + (f"not run: {', '.join(later)}. " if later else "")
                + f"Fix it, then run {COMMAND} again."
            )
            return 1
    say("regen: done; review `git diff` and commit what changed.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        description="Rewrite every golden file, in order (tools/regen.py).",
    )
    parser.add_argument(
        "--no-screenshots",
        action="store_true",
        help="skip the screenshots (the only step that needs chromium)",
    )
    args = parser.parse_args(argv)
    steps = [s for s in STEPS if not (args.no_screenshots and s.needs_browser)]
    return run_steps(steps, ROOT)


if __name__ == "__main__":
    sys.exit(main())
