"""The command line: rendering, help, version, exit codes, and bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import __version__
from generator.cli.app import app
from tests.support.paths import INVENTORIES, ROOT


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"drgen {__version__}"


@pytest.mark.parametrize("args", [["--help"], ["render", "--help"]])
def test_help(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_python_dash_m(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "render",
            str(INVENTORIES / "example.yaml"),
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert (
        out / "example" / "DR-West" / "DRserver1" / "Initialize-DrServer.ps1"
    ).is_file()
    assert (out / "example" / "manifest.json").is_file()


def test_render_all_examples_by_default(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        ".drgen-out",
        "consolidated",
        "example",
    ]
    assert "warning[smaller-dr-site]" in result.stderr


def test_bad_inventory_exit_3_located_nothing_written(
    runner: CliRunner, tmp_path: Path, write_inventory, example_text: str
) -> None:
    out = tmp_path / "out"
    cases = {
        "syntax.yaml": (
            "schema: drgen/v1\ngroup: [unclosed\n",
            "error[yaml-syntax]",
            ":3:",
        ),
        "unknown.yaml": (
            example_text.replace("  sso:\n", "  ssso:\n"),
            "error[unknown-key]",
            ":16:3",
        ),
        "unmirrored.yaml": (
            example_text.replace(
                "    - {name: DRserver3, mirrors: [server3], roles: [rules_engine]}\n",
                "    - {name: DRserver3, mirrors: [], roles: [rules_engine]}\n",
            ),
            "error[not-mirrored]",
            ":39:8",
        ),
        "secret.yaml": (
            example_text.replace(
                "    sso_service: CONTOSO\\svc-entsso\n",
                "    sso_service: CONTOSO\\svc-entsso\n    sso_password: hunter2\n",
            ),
            "error[secret-in-inventory]",
            ":20:5",
        ),
    }
    for name, (text, code, where) in cases.items():
        path = write_inventory(text, name)
        result = runner.invoke(app, ["render", str(path), "--out", str(out)])
        assert result.exit_code == 3, (name, result.output)
        assert code in result.stderr, (name, result.stderr)
        assert f"{name}{where}" in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.output
        assert "hunter2" not in result.output
        assert not out.exists()


def test_one_bad_inventory_writes_nothing_for_the_good_one(
    runner: CliRunner, tmp_path: Path, write_inventory
) -> None:
    out = tmp_path / "out"
    bad = write_inventory("schema: drgen/v1\n", "zbad.yaml")
    result = runner.invoke(
        app, ["render", str(INVENTORIES / "example.yaml"), str(bad), "--out", str(out)]
    )
    assert result.exit_code == 3
    assert "zbad.yaml:1:1: error[missing-key]" in result.stderr
    assert not out.exists()


def test_missing_file_is_exit_3(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["render", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 3
    assert "cannot read inventory" in result.stderr
    assert "Traceback" not in result.output


def test_same_stem_twice_is_usage_error(
    runner: CliRunner, tmp_path: Path, write_inventory, example_text: str
) -> None:
    (tmp_path / "a").mkdir()
    first = write_inventory(example_text, "a/example.yaml")
    result = runner.invoke(
        app,
        [
            "render",
            str(first),
            str(INVENTORIES / "example.yaml"),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 2
    assert "would both render into 'example/'" in result.stderr
