"""The exact output of ``drgen validate`` and ``drgen plan`` on the examples,
committed in tests/data/cli/ and reviewed like snapshots. Rewrite them from the
current code (and review the diff) with the other golden files, ``./drgen.sh
regen``, which runs::

    .venv/bin/python -m tests.support.command_outputs
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from typer.testing import CliRunner

from generator.cli.app import app
from tests.support.paths import DATA, EXAMPLES, INVENTORIES

EXPECTED = DATA / "cli"


ARGS = [f"inventories/{stem}.yaml" for stem in EXAMPLES]


def workspace(root: Path) -> None:
    """The example inventories in ``root/inventories``, as in a user's checkout."""
    (root / "inventories").mkdir(parents=True, exist_ok=True)
    for stem in EXAMPLES:
        shutil.copy(INVENTORIES / f"{stem}.yaml", root / "inventories")


def outputs(root: Path) -> dict[str, str]:
    """What validate and plan print on the examples, run inside ``root``."""
    runner = CliRunner()
    validate = runner.invoke(app, ["validate", *ARGS])
    validate_json = runner.invoke(app, ["validate", "--format", "json", *ARGS])
    plan = runner.invoke(app, ["plan", *ARGS, "--out", "out"])
    plan_json = runner.invoke(app, ["plan", "--json", *ARGS, "--out", "out"])
    for result in (validate, validate_json, plan, plan_json):
        assert result.exit_code == 0, result.output
    return {
        "validate.stderr.txt": validate.stderr,
        "validate.stdout.json": validate_json.stdout,
        "plan.stdout.txt": plan.stdout,
        "plan.stderr.txt": plan.stderr,
        "plan.stdout.json": plan_json.stdout,
    }


def main() -> None:
    """Rewrite tests/data/cli/ from the current code (review the diff)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        workspace(root)
        os.chdir(root)
        for name, text in outputs(root).items():
            (EXPECTED / name).write_text(text, encoding="utf-8")
            sys.stdout.write(f"wrote {EXPECTED / name}\n")


if __name__ == "__main__":
    main()
