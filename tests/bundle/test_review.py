"""drgen review, render --check --diff and --version --verbose: a bundle by meaning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import api
from generator.cli.app import app
from generator.defaults import DEFAULT_TEMPLATES

SEND_ON_DR2 = (
    "{name: DRserver2, mirrors: [server2], roles: [rules_engine]}",
    "{name: DRserver2, mirrors: [server2], roles: [rules_engine], "
    "host_instances: [Receive, Send]}",
)


@pytest.fixture
def rendered(tmp_path: Path, runner: CliRunner, example_text: str) -> tuple[Path, Path]:
    """(inventory, OUT) with the example rendered."""
    inventory = tmp_path / "example.yaml"
    inventory.write_text(example_text, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(inventory), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return inventory, out


def test_review_prints_each_kind_once_then_each_data_block(
    rendered: tuple[Path, Path], runner: CliRunner
) -> None:
    _, out = rendered
    result = runner.invoke(app, ["review", str(out / "example")])
    assert result.exit_code == 0, result.output
    text = result.stdout
    hashes = api.code_hashes()
    for kind, digest in hashes.items():
        count = 3 if kind.endswith("-DrServer.ps1") else 1
        line = next(line for line in text.splitlines() if line.startswith(f"  {kind} "))
        assert digest in line
        assert f"{count} script(s)" in line
    # One data block per DR server (its five scripts share it), and each site script.
    headers = [line for line in text.splitlines() if line.startswith("== ")]
    assert len(headers) == 3 + 3 + 1  # servers, site scripts, production
    assert any(
        h.startswith("== DR-West/DRserver2/ Disable-DrServer, Enable-DrServer, ")
        for h in headers
    )
    assert text.count("$TargetComputer = 'DRserver2'") == 1
    # OUT holding exactly one bundle is taken for it.
    assert runner.invoke(app, ["review", str(out)]).stdout == text


def test_review_of_a_folder_that_is_not_a_bundle_is_a_usage_error(
    tmp_path: Path, runner: CliRunner
) -> None:
    result = runner.invoke(app, ["review", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a bundle folder" in result.stderr


def test_review_since_names_what_changed_in_the_inventorys_words(
    rendered: tuple[Path, Path], runner: CliRunner, tmp_path: Path
) -> None:
    inventory, out = rendered
    old = tmp_path / "reviewed"
    shutil.copytree(out / "example", old / "example")
    inventory.write_text(
        inventory.read_text(encoding="utf-8").replace(*SEND_ON_DR2), encoding="utf-8"
    )
    result = runner.invoke(app, ["render", str(inventory), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["review", str(out / "example"), "--since", str(old)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    changed = lines.index(
        "~ DR-West/DRserver2/ Disable-DrServer.ps1, Enable-DrServer.ps1, "
        "Initialize-DrServer.ps1, Reset-DrServer.ps1, Test-DrServer.ps1 "
        "(code unchanged)"
    )
    assert lines[changed + 1] == "    host instances: + Send"
    assert lines[changed + 2] == "    services: + BTSSvc$Send"
    # Another server: only what follows from the change (its hashes, bundle id).
    other = lines.index(
        "~ DR-West/DRserver1/ Disable-DrServer.ps1, Enable-DrServer.ps1, "
        "Initialize-DrServer.ps1, Reset-DrServer.ps1, Test-DrServer.ps1 "
        "(code unchanged)"
    )
    assert lines[other + 1].startswith("    (follows: ")
    assert "host instances" not in lines[other + 1]
    assert "code changed" not in result.stdout
    assert lines[-1].startswith("Plan: 0 to add, ")


def test_check_diff_says_what_a_render_would_change(
    rendered: tuple[Path, Path], runner: CliRunner
) -> None:
    inventory, out = rendered
    same = runner.invoke(
        app, ["render", "--check", "--diff", str(inventory), "--out", str(out)]
    )
    assert same.exit_code == 0, same.output
    assert same.stdout == ""
    inventory.write_text(
        inventory.read_text(encoding="utf-8").replace(*SEND_ON_DR2), encoding="utf-8"
    )
    result = runner.invoke(
        app, ["render", "--check", "--diff", str(inventory), "--out", str(out)]
    )
    assert result.exit_code == 8, result.output
    assert "    host instances: + Send" in result.stdout
    assert "(code unchanged)" in result.stdout
    assert "~ DR-West/Runbook.md" in result.stdout
    assert "+| `DRserver2` | `rules_engine` | `Receive`, `Send` |" in result.stdout
    # Nothing was written.
    again = runner.invoke(app, ["render", "--check", str(inventory), "--out", str(out)])
    assert again.exit_code == 8


def test_a_code_change_is_named_with_its_diff_once_per_kind(
    rendered: tuple[Path, Path], runner: CliRunner, tmp_path: Path
) -> None:
    inventory, out = rendered
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, templates)
    enable = templates / "server" / "Enable-DrServer.ps1.jinja"
    enable.write_text(
        enable.read_text(encoding="utf-8").replace(
            "{% block run %}\n", "{% block run %}\n    # reviewed change\n", 1
        ),
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "render",
            "--check",
            "--diff",
            str(inventory),
            "--out",
            str(out),
            "--templates",
            str(templates),
        ],
    )
    assert result.exit_code == 8, result.output
    assert "(code changed)" in result.stdout
    assert result.stdout.count("+    # reviewed change") == 1
    assert result.stdout.count("--- a/DR-West/DRserver") == 1


def test_diff_needs_check(rendered: tuple[Path, Path], runner: CliRunner) -> None:
    inventory, out = rendered
    result = runner.invoke(app, ["render", "--diff", str(inventory), "--out", str(out)])
    assert result.exit_code == 2
    assert "--diff goes with --check" in result.stderr


@pytest.mark.parametrize(
    "words", [["--version", "--verbose"], ["--verbose", "--version"]]
)
def test_version_verbose_prints_this_releases_code_hashes(
    runner: CliRunner, words: list[str]
) -> None:
    result = runner.invoke(app, words)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("drgen ")
    hashes = api.code_hashes()
    assert sorted(lines[3:]) == sorted(f"  {d}  {k}" for k, d in hashes.items())
    assert len(hashes) == 9
    plain = runner.invoke(app, ["--version"])
    assert plain.stdout.splitlines() == lines[:1]
