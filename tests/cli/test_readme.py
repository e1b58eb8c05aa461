"""The README's quick start is two commands, and CI runs the test one."""

from __future__ import annotations

import re

from tests.support.paths import ROOT


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [
        line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()
    ]


def test_quick_start_is_exactly_two_commands() -> None:
    assert quick_start_commands() == ["./drgen.sh render", "./drgen.sh test"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = quick_start_commands()[1]
    assert re.search(rf"^{re.escape(test_command)}$", ci, re.M)
    assert "osslsigncode" in ci


def test_the_wrapper_knows_both_commands() -> None:
    script = (ROOT / "drgen.sh").read_text(encoding="utf-8")
    for command in ("render)", "test)"):
        assert f"\n  {command}\n" in script
    assert (ROOT / "drgen.sh").stat().st_mode & 0o111


def test_the_test_command_runs_every_check_then_the_suite_on_every_core() -> None:
    """ruff (lint and format), mypy, the import-linter contracts, then pytest -n."""
    script = (ROOT / "drgen.sh").read_text(encoding="utf-8")
    case = script.split("\n  test)\n", 1)[1].split("\n    ;;\n", 1)[0]
    commands = [
        line.strip()
        for line in case.splitlines()
        if line.strip().startswith(('"$VENV/bin/', 'exec "$VENV/bin/'))
    ]
    assert commands == [
        '"$VENV/bin/ruff" check .',
        '"$VENV/bin/ruff" format --check .',
        '"$VENV/bin/mypy"',
        '"$VENV/bin/lint-imports"',
        'exec "$VENV/bin/pytest" -n auto "$@"',
    ]


def test_exit_code_table_lists_every_exit_code() -> None:
    from generator.errors import ExitCode

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("Exit codes:", 1)[1].split("\n\n", 2)[1]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", table, re.M)
    assert [int(code) for code, _ in rows] == [int(c) for c in ExitCode]
    meaning = dict(rows)
    assert "output" in meaning[str(int(ExitCode.OUTPUT))]
    assert "verification" in meaning[str(int(ExitCode.VERIFICATION))]
