"""Mutated inventories are either valid or exit 3 with located diagnostics.

Hypothesis mutates the example inventories (deleted keys, swapped types, random
strings, renamed keys, edited lines, random YAML) and runs ``drgen plan --json``
in-process on each: load, model, rules, plan, render and diff, nothing written.
The result must be exit 0 with a plan, or exit 3 with at least one located
``FILE:LINE:COL: error[CODE]`` line; never another exit code, never a traceback.

How many examples (tests/support/examples.py; ``HYPOTHESIS_PROFILE`` chooses):

- ``ci`` (under ``CI=true``): 500 examples per test;
- ``dev`` (a local ``./drgen.sh test``): 60;
- ``thorough``: 10,000 examples per test, e.g.
  ``HYPOTHESIS_PROFILE=thorough .venv/bin/pytest tests/inventory/test_mutations.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from generator.cli.app import app
from tests.support.examples import THOROUGH, examples
from tests.support.inventory_mutations import (
    TEXTS,
    mutated_data,
    mutated_text,
    random_yaml,
    relabelled,
)
from tests.support.paths import EXAMPLES

PROFILE = settings(
    max_examples=10_000 if THOROUGH else examples(500, local=60),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

pytestmark = pytest.mark.slow


LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (error|warning)\[")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutations")


def check(text: str, workdir: Path, encoding: str = "utf-8") -> int:
    """Run ``drgen plan --json`` in-process on ``text``: exit 0 or located exit 3."""
    path = workdir / "inv.yaml"
    path.write_bytes(text.encode(encoding, errors="surrogatepass"))
    out = workdir / "out"
    result = CliRunner().invoke(app, ["plan", str(path), "--out", str(out), "--json"])
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.exit_code in (0, 3), (result.exit_code, output, result.exception)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert not out.exists()
    if result.exit_code == 0:
        plan = json.loads(result.stdout)["inventories"][0]
        assert plan["files"]
        assert {f["status"] for f in plan["files"]} == {"create"}
        return 0
    assert result.stdout == ""
    errors = 0
    for line in result.stderr.splitlines():
        if line.startswith("  hint: "):
            continue
        found = LOCATED.match(line)
        assert found, f"unlocated diagnostic: {line!r}\n{result.stderr}"
        assert found["file"].endswith("inv.yaml"), line
        assert int(found["line"]) >= 1, line
        assert int(found["col"]) >= 1, line
        errors += "error[" in line
    assert errors, result.stderr
    return 3


@PROFILE
@given(text=st.one_of(mutated_data(), mutated_text(), relabelled()))
def test_mutated_examples_are_valid_or_located_exit_3(text: str, workdir: Path) -> None:
    event(f"exit {check(text, workdir)}")


@PROFILE
@given(text=random_yaml)
def test_random_yaml_is_valid_or_located_exit_3(text: str, workdir: Path) -> None:
    event(f"exit {check(text, workdir)}")


@settings(PROFILE, max_examples=examples(max(50, PROFILE.max_examples // 10), local=10))
@given(text=st.one_of(mutated_data(), mutated_text()))
def test_utf16_with_a_byte_order_mark_reads_like_utf8(text: str, workdir: Path) -> None:
    """What Windows PowerShell 5.1 writes: the same verdict as the UTF-8 bytes."""
    try:
        text.encode("utf-16")
    except UnicodeEncodeError:
        return  # a lone surrogate: no UTF-16 file can hold it
    assert check(text, workdir, "utf-16") == check(text, workdir)


@pytest.mark.parametrize("stem", EXAMPLES)
def test_unmutated_examples_plan_cleanly(stem: str, workdir: Path) -> None:
    assert check(TEXTS[stem], workdir) == 0
