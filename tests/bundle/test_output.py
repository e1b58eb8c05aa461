"""Bytes on disk: encodings, determinism, all-or-nothing writes, stale files."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import generator.bundle.staging as staging
from generator.cli.app import app
from generator.inventory.load import load_inventory
from generator.inventory.validation import parse_inventory
from tests.support.paths import INVENTORIES, ROOT


def render(runner: CliRunner, out: Path, *inventories: Path) -> None:
    args = ["render", *(str(i) for i in inventories), "--out", str(out), "--quiet"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_ps1_is_utf8_bom_crlf_and_xml_declares_utf8(
    runner: CliRunner, tmp_path: Path
) -> None:
    render(
        runner,
        tmp_path,
        INVENTORIES / "example.yaml",
        INVENTORIES / "consolidated.yaml",
    )
    files = tree_bytes(tmp_path)
    scripts = [d for n, d in files.items() if n.endswith(".ps1")]
    # Five scripts per DR server, three per site (bundle check, database update,
    # lab probe), one per inventory for production (the discovery script).
    assert len(scripts) == 5 * 5 + 2 * 3 + 2
    for data in scripts:
        assert data.startswith(b"\xef\xbb\xbf")
        assert data.count(b"\n") == data.count(b"\r\n") > 50
        assert b"\r\r" not in data
        data.decode("utf-8")
    for name, data in files.items():
        if name.endswith(".xml"):
            assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>\r\n'), name
            assert data.count(b"\n") == data.count(b"\r\n")
            data.decode("utf-8")


def test_render_twice_is_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    outs = []
    for seed in ("1", "4242"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "generator", "render", "--out", str(out), "-q"],
            check=True,
            cwd=ROOT,
            env=env,
            capture_output=True,
        )
        outs.append(tree_bytes(out))
    assert outs[0] == outs[1]
    # + production/Export-BizTalkGroup.ps1 of each, + the .drgen-out marker
    assert len(outs[0]) == 26 + 20 + 2 + 2 + 1  # + production/, + Runbook.html


def test_manifest_lists_every_file_with_its_hash(
    runner: CliRunner, tmp_path: Path
) -> None:
    render(runner, tmp_path, INVENTORIES / "example.yaml")
    root = tmp_path / "example"
    manifest = json.loads((root / "manifest.json").read_text())
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    on_disk = {
        k: hashlib.sha256(v).hexdigest()
        for k, v in tree_bytes(root).items()
        if k != "manifest.json"
    }
    assert listed == on_disk
    # The inventory's meaning (its model as canonical JSON), not its bytes: a
    # comment or a reordered key renders the same manifest.
    doc = load_inventory(INVENTORIES / "example.yaml")
    meaning = json.dumps(
        parse_inventory(doc).model_dump(mode="json", by_alias=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert manifest["inventory"] == {
        "file": "example.yaml",
        "sha256": hashlib.sha256(meaning.encode()).hexdigest(),
    }
    assert (
        manifest["inventory"]["sha256"]
        != hashlib.sha256((INVENTORIES / "example.yaml").read_bytes()).hexdigest()
    )
    # Each script's code hash: the same for its kind in every bundle.
    codes = {f["path"]: f.get("code_sha256") for f in manifest["files"]}
    for path, code in codes.items():
        assert (code is not None) == path.endswith(".ps1"), path


def test_unchanged_rerender_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    render(runner, tmp_path, INVENTORIES / "example.yaml")
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    result = runner.invoke(
        app, ["render", str(INVENTORIES / "example.yaml"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0
    assert f"{26 + 1 + 1} files in" in result.stderr  # + production/, Runbook.html
    assert ", 0 written" in result.stderr
    assert {
        p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()
    } == stamps


def test_removed_dr_server_disappears(
    runner: CliRunner, tmp_path: Path, write_inventory, example_text: str
) -> None:
    inventory = write_inventory(example_text, "example.yaml")
    out = tmp_path / "out"
    render(runner, out, inventory)
    assert (out / "example/DR-West/DRserver3").is_dir()
    smaller = example_text.replace(
        "    - {name: DRserver3, mirrors: [server3], roles: [rules_engine]}\n", ""
    )
    smaller = smaller.replace("mirrors: [server2]", "mirrors: [server2, server3]")
    inventory.write_text(smaller, encoding="utf-8")
    render(runner, out, inventory)
    assert not (out / "example/DR-West/DRserver3").exists()
    assert (out / "example/DR-West/DRserver2/Initialize-DrServer.ps1").is_file()
    manifest = json.loads((out / "example/manifest.json").read_text())
    assert not any("DRserver3" in f["path"] for f in manifest["files"])


def test_refuses_foreign_directory_without_force(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "example").mkdir()
    (tmp_path / "example" / "precious.txt").write_text("mine")
    result = runner.invoke(
        app, ["render", str(INVENTORIES / "example.yaml"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "not created by drgen" in result.stderr
    assert (tmp_path / "example" / "precious.txt").read_text() == "mine"
    result = runner.invoke(
        app,
        [
            "render",
            str(INVENTORIES / "example.yaml"),
            "--out",
            str(tmp_path),
            "--force",
        ],
    )
    assert result.exit_code == 0
    assert not (tmp_path / "example" / "precious.txt").exists()


def test_failure_while_writing_keeps_previous_bundle(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    write_inventory,
    example_text: str,
) -> None:
    inventory = write_inventory(example_text, "example.yaml")
    out = tmp_path / "out"
    render(runner, out, inventory)
    before = tree_bytes(out / "example")
    inventory.write_text(example_text.replace("SQLDR01", "SQLDR02"), encoding="utf-8")
    calls = {"n": 0}
    original = staging.write_file

    def failing(path: str, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device")
        original(path, data)

    monkeypatch.setattr(staging, "write_file", failing)
    result = runner.invoke(app, ["render", str(inventory), "--out", str(out)])
    assert result.exit_code == 7  # ExitCode.OUTPUT
    assert "No space left on device" in result.stderr
    assert "Traceback" not in result.output
    monkeypatch.undo()
    assert tree_bytes(out / "example") == before
    # No staging or retired directory is left behind.
    assert sorted(p.name for p in out.iterdir()) == [".drgen-out", "example"]


def test_foreign_output_directory_needs_force(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("someone else's")
    inventory = str(INVENTORIES / "example.yaml")
    result = runner.invoke(app, ["render", inventory, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "not created by drgen" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    result = runner.invoke(
        app, ["render", inventory, "--out", str(tmp_path), "--force"]
    )
    assert result.exit_code == 0
    # Adopted: the marker lets later renders in without --force.
    assert (tmp_path / ".drgen-out").is_file()
    result = runner.invoke(app, ["render", inventory, "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0


@pytest.mark.parametrize("where", ["file", "file/sub"])
def test_out_that_is_a_file_is_a_usage_error(
    runner: CliRunner, tmp_path: Path, where: str
) -> None:
    (tmp_path / "file").write_text("x")
    result = runner.invoke(
        app,
        ["render", str(INVENTORIES / "example.yaml"), "--out", str(tmp_path / where)],
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert (tmp_path / "file").read_text() == "x"


def test_missing_templates_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "render",
            str(INVENTORIES / "example.yaml"),
            "--out",
            str(tmp_path / "o"),
            "--templates",
            str(tmp_path / "none"),
        ],
    )
    assert result.exit_code == 2
    assert "--templates must be a directory" in result.stderr
    assert not (tmp_path / "o").exists()


def test_a_render_killed_between_the_two_renames_is_recovered(
    runner: CliRunner, tmp_path: Path
) -> None:
    inventory = INVENTORIES / "example.yaml"
    render(runner, tmp_path, inventory)
    before = tree_bytes(tmp_path / "example")
    # What a crash after the first rename leaves: the bundle moved aside, no staging.
    (tmp_path / "example").rename(tmp_path / ".example.previous-4242")
    (tmp_path / ".example.staging-4242").mkdir()
    render(runner, tmp_path, inventory)
    assert tree_bytes(tmp_path / "example") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".drgen-out", "example"]
