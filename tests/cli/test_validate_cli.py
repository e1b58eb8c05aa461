"""``drgen validate``, ``drgen plan`` and ``drgen schema`` from the command line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli.app import app
from generator.errors import InventoryError
from tests.support.invalid_inventories import INVALID, INVALID_DIR
from tests.support.paths import INVENTORIES, ROOT

DIAGNOSTIC = re.compile(r"^(.+?):(\d+):(\d+): (error|warning)\[([a-z-]+)\]: \S.*$")
SUMMARY = re.compile(r"^\S.*: (valid|invalid)(, \d+ errors?)?(, \d+ warnings?)?$")
STATUS = re.compile(r"^ *(create|update|identical|remove)  (.+)$")


def invoke(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_every_fixture_is_in_the_table() -> None:
    assert sorted(p.name for p in INVALID_DIR.glob("*.yaml")) == sorted(
        name for name, _, _ in INVALID
    )


@pytest.mark.parametrize(
    ("name", "where", "code"), INVALID, ids=[name for name, _, _ in INVALID]
)
def test_invalid_inventory_is_exit_3_at_its_place(
    runner: CliRunner, name: str, where: str, code: str
) -> None:
    path = INVALID_DIR / name
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert f"{name}:{where}: error[{code}]: " in result.stderr, result.stderr
    assert "Traceback" not in result.output
    for line in result.stderr.splitlines():
        assert (
            DIAGNOSTIC.match(line)
            or SUMMARY.match(line)
            or line.startswith(("  hint: ", "error: "))
        ), line


@pytest.mark.parametrize(
    ("name", "where", "code"), INVALID, ids=[name for name, _, _ in INVALID]
)
def test_invalid_inventory_as_json(
    runner: CliRunner, name: str, where: str, code: str
) -> None:
    result = runner.invoke(
        app, ["validate", "--format", "json", str(INVALID_DIR / name)]
    )
    assert result.exit_code == 3
    found = json.loads(result.stdout)
    line, column = (int(n) for n in where.split(":"))
    assert {
        (d["line"], d["column"], d["code"]) for d in found if d["severity"] == "error"
    } >= {(line, column, code)}
    for diagnostic in found:
        assert set(diagnostic) == {
            "file",
            "line",
            "column",
            "severity",
            "code",
            "message",
            "hint",
        }
        assert diagnostic["file"].endswith(name)
        assert diagnostic["line"] >= 1
        assert diagnostic["column"] >= 1


def test_fixture_comments_say_what_is_wrong() -> None:
    for path in INVALID_DIR.glob("*.yaml"):
        assert path.read_text(encoding="utf-8").startswith("# "), path.name


# --- validate -----------------------------------------------------------------


def test_validate_examples_is_exit_0_with_warnings_on_stderr(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert "inventories/example.yaml: valid" in lines
    assert "inventories/consolidated.yaml: valid, 2 warnings" in lines
    assert any(
        line.startswith("inventories/consolidated.yaml:66:7: warning[capacity]: ")
        for line in lines
    )
    assert any("warning[smaller-dr-site]" in line for line in lines)


def test_strict_turns_warnings_into_errors(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["validate", "--strict", str(INVENTORIES / "consolidated.yaml")]
    )
    assert result.exit_code == 3
    assert "error[capacity]" in result.stderr
    assert "error[smaller-dr-site]" in result.stderr
    assert "warning[" not in result.stderr
    result = runner.invoke(
        app, ["validate", "--strict", str(INVENTORIES / "example.yaml")]
    )
    assert result.exit_code == 0


def test_validate_json_on_valid_inventories(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "validate",
            "--format",
            "json",
            str(INVENTORIES / "example.yaml"),
            str(INVENTORIES / "consolidated.yaml"),
        ],
    )
    assert result.exit_code == 0
    assert result.stderr == ""
    found = json.loads(result.stdout)
    assert sorted(d["code"] for d in found) == ["capacity", "smaller-dr-site"]
    assert {d["severity"] for d in found} == {"warning"}


def test_validate_reports_every_inventory(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "validate",
            str(INVALID_DIR / "unknown-key.yaml"),
            str(INVENTORIES / "example.yaml"),
            str(INVALID_DIR / "master-messagebox.yaml"),
        ],
    )
    assert result.exit_code == 3
    assert "unknown-key.yaml:13:3: error[unknown-key]" in result.stderr
    assert "master-messagebox.yaml:9:5: error[master-messagebox]" in result.stderr
    assert "inventories/example.yaml: valid" in result.stderr
    assert result.stderr.rstrip().endswith("error: 2 of 3 inventories are invalid")


def test_validate_missing_file_is_exit_3(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 3
    assert "error[unreadable]: cannot read inventory" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--format", "xml", "inventories/example.yaml"],
        ["validate", "--bogus"],
        ["plan", "--json=yes"],
    ],
)
def test_usage_errors_are_exit_2(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_debug_shows_the_exception(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["--debug", "validate", str(INVALID_DIR / "master-messagebox.yaml")]
    )
    assert isinstance(result.exception, InventoryError)


def test_no_color_and_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm-256color"}
    for args in (
        ["validate", str(INVALID_DIR / "yaml-syntax.yaml")],
        ["validate", "--format", "nope"],
        ["plan", str(tmp_path / "missing.yaml")],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "generator", *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
            env=env,
        )
        assert done.returncode in (2, 3), done.stderr
        assert "\x1b[" not in done.stdout + done.stderr
        assert "Traceback" not in done.stderr


# --- plan ---------------------------------------------------------------------


def test_plan_shows_mapping_roles_capacity_and_files(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["plan", str(INVENTORIES / "consolidated.yaml"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert not out.exists()
    text = result.stdout
    assert text.startswith(
        "inventories/consolidated.yaml: Fabrikam BizTalk Group (BizTalk Server 2016)"
        " -> DR site DR-North\n"
    )
    rows = [line.split() for line in text.splitlines()]
    assert ["ReceiveHost", "in-process", "FABBTS02", "FABDRBTS01"] in rows
    assert ["WebReceiveHost", "isolated", "FABWEB01", "FABDRBTS01"] in rows
    assert ["FABDRBTS02", "rules_engine,", "bam_alerts"] in rows
    assert [
        "FABDRBTS01",
        "FABBTS01,",
        "FABBTS02,",
        "FABWEB01",
        "6",
        "4",
        "2.00",
        "over",
    ] in rows
    assert ["FABDRBTS02", "FABBTS03,", "FABBTS04", "3", "2", "1.00"] in rows
    assert "warning above 1.5x" in text
    assert (
        f"     create  {out}/consolidated/DR-North/FABDRBTS01/Enable-DrServer.ps1"
        in text
    )
    creates = sum(1 for line in text.splitlines() if line.startswith("     create  "))
    assert creates >= 15  # 5 per DR server, the site files and the manifest
    assert f"  {creates} create, 0 update, 0 remove, 0 identical (nothing written)" in (
        text
    )
    assert "warning[capacity]" in result.stderr


def test_plan_json(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["plan", str(INVENTORIES / "example.yaml"), "--out", str(tmp_path), "--json"],
    )
    assert result.exit_code == 0
    assert result.stderr == ""
    (plan,) = json.loads(result.stdout)["inventories"]
    assert plan["site"] == "DR-West"
    assert plan["host_instances"][0] == {
        "host": "Send",
        "type": "in-process",
        "production_server": "server1",
        "dr_server": "DRserver1",
        "note": None,
    }
    assert plan["roles"][0] == {
        "server": "DRserver1",
        "roles": ["sso_master_secret", "update_databases", "rules_engine"],
    }
    assert plan["capacity"]["rows"][2] == {
        "server": "DRserver3",
        "mirrors": ["server3"],
        "takes_over": 1,
        "runs": 1,
        "ratio": 1.0,
        "over": False,
    }
    paths = {Path(f["path"]).relative_to(tmp_path).as_posix() for f in plan["files"]}
    assert {
        "example/manifest.json",
        "example/DR-West/UpdateInfo.xml",
        "example/DR-West/Test-DrBundle.ps1",
        "example/DR-West/DRserver3/Enable-DrServer.ps1",
    } <= paths
    assert {f["status"] for f in plan["files"]} == {"create"}
    assert plan["warnings"] == []


def test_plan_of_an_invalid_inventory_is_exit_3_and_prints_no_plan(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(
        app,
        [
            "plan",
            str(INVENTORIES / "example.yaml"),
            str(INVALID_DIR / "not-mirrored.yaml"),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "not-mirrored.yaml:36:8: error[not-mirrored]" in result.stderr


def render(runner: CliRunner, out: Path, inventory: Path) -> list[tuple[str, str]]:
    result = runner.invoke(app, ["render", str(inventory), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return [
        (found[1], found[2])
        for found in map(STATUS.match, result.stderr.splitlines())
        if found
    ]


def plan_statuses(
    runner: CliRunner, out: Path, inventory: Path
) -> list[tuple[str, str]]:
    result = runner.invoke(app, ["plan", str(inventory), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    (plan,) = json.loads(result.stdout)["inventories"]
    return [(f["status"], f["path"]) for f in plan["files"]]


def test_plan_predicts_what_a_signed_render_does(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRGEN_DEV_CERT_DIR", str(tmp_path / "dev-cert"))
    out = tmp_path / "out"
    inventory = tmp_path / "example.yaml"
    text = (INVENTORIES / "example.yaml").read_text(encoding="utf-8")
    inventory.write_text(text, encoding="utf-8")
    predicted = plan_statuses(runner, out, inventory)
    assert predicted == render(runner, out, inventory)
    assert {s for s, _ in predicted} == {"create"}
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # Unchanged: every file identical, although plan does not sign.
    assert {s for s, _ in plan_statuses(runner, out, inventory)} == {"identical"}
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    # One account changes: DRserver1's scripts, the site self-test and the manifest.
    inventory.write_text(text.replace("svc-bts-send", "svc-bts-out"), encoding="utf-8")
    predicted = plan_statuses(runner, out, inventory)
    changed = sorted(Path(p).name for s, p in predicted if s == "update")
    assert "Test-DrBundle.ps1" in changed
    assert "manifest.json" in changed
    assert predicted == render(runner, out, inventory)
    # A server removed from the inventory: its files would be removed.
    inventory.write_text(
        text.replace("mirrors: [server3],", "mirrors: [server3, server2],")
        .replace(
            "    - {name: DRserver2, mirrors: [server2], roles: [rules_engine]}\n", ""
        )
        .replace(
            "roles: [sso_master_secret, update_databases]",
            "roles: [sso_master_secret, update_databases, rules_engine]",
        ),
        encoding="utf-8",
    )
    predicted = plan_statuses(runner, out, inventory)
    assert sum(s == "remove" for s, _ in predicted) == 6
    assert predicted == render(runner, out, inventory)


def test_plan_does_not_trust_a_tampered_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRGEN_DEV_CERT_DIR", str(tmp_path / "dev-cert"))
    out = tmp_path / "out"
    render(runner, out, INVENTORIES / "example.yaml")
    script = out / "example" / "DR-West" / "DRserver2" / "Enable-DrServer.ps1"
    script.write_bytes(script.read_bytes() + b"# edited\r\n")
    statuses = {
        Path(p).name if "DRserver2" not in p else "2/" + Path(p).name: s
        for s, p in plan_statuses(runner, out, INVENTORIES / "example.yaml")
    }
    assert statuses["2/Enable-DrServer.ps1"] == "update"
    assert statuses["Test-DrBundle.ps1"] == "update"
    assert statuses["2/Disable-DrServer.ps1"] == "identical"


def test_plan_with_a_garbage_manifest_compares_bytes(
    runner: CliRunner, tmp_path: Path
) -> None:
    root = tmp_path / "example"
    root.mkdir()
    (root / "manifest.json").write_text("[not, a, manifest", encoding="utf-8")
    statuses = plan_statuses(runner, tmp_path, INVENTORIES / "example.yaml")
    assert ("update", f"{root}/manifest.json") in statuses
    assert {s for s, p in statuses if not p.endswith("manifest.json")} == {"create"}


def test_plan_shows_servers_that_are_not_mirrored(
    runner: CliRunner, tmp_path: Path, example_text: str
) -> None:
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(
        example_text.replace(
            "  join_mode: production\n",
            "  join_mode: production\n  not_mirrored:\n"
            "    - {server: server3, reason: batch jobs move to DRserver2}\n",
        )
        .replace(
            "{name: DRserver3, mirrors: [server3], roles: [rules_engine]}",
            "{name: DRserver3, roles: [rules_engine], host_instances: [Send]}",
        )
        .replace(
            "roles: [rules_engine]}",
            "roles: [rules_engine], host_instances: [Receive, Orchestration]}",
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["plan", str(inventory), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    rows = [line.split(None, 4) for line in result.stdout.splitlines()]
    assert [
        "Orchestration",
        "in-process",
        "server3",
        "-",
        "batch jobs move to DRserver2",
    ] in rows
    assert ["Orchestration", "in-process", "-", "DRserver2", "added on DR"] in rows
    assert "Not mirrored" in result.stdout


def test_plan_refuses_two_inventories_with_one_stem(
    runner: CliRunner, tmp_path: Path, example_text: str
) -> None:
    (tmp_path / "a").mkdir()
    other = tmp_path / "a" / "example.yaml"
    other.write_text(example_text, encoding="utf-8")
    result = runner.invoke(app, ["plan", str(other), str(INVENTORIES / "example.yaml")])
    assert result.exit_code == 2
