"""``drgen render`` puts one discovery script per inventory in ``production/``,
which ``drgen verify`` (and osslsigncode) checks; ``drgen discover`` writes the
generic one, once, and ``--simulate`` prints a discovery."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from typer.testing import CliRunner

from generator import api
from generator.bundle.build import render_unsigned
from generator.cli.app import app
from generator.discovery.model import SCHEMA_ID
from generator.errors import ExitCode, VerificationError
from generator.plan.artifacts import DISCOVERY
from generator.plan.outputs import (
    BUNDLE_CHECK_NAME,
    DISCOVERY_SCRIPT_NAME,
)
from generator.plan.site import Plan
from generator.render.environment import make_environment
from tests.support.discovery_script import PRODUCTION_PATH, production_servers
from tests.support.paths import EXAMPLES, INVENTORIES
from tests.support.tools import require_tool

pytestmark = pytest.mark.oracle


# ------------------------------------------------------------------- render and verify


@pytest.fixture(scope="module")
def rendered_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("production")
    out, dev = base / "out", base / "dev"
    api.render(
        [INVENTORIES / f"{stem}.yaml" for stem in EXAMPLES],
        out=out,
        signing=api.Signing(dev_folder=dev),
    )
    return out, dev


def test_rendered_bundles_verify_with_the_production_script(
    rendered_out: tuple[Path, Path],
) -> None:
    out, _ = rendered_out
    assert api.verify(out) == len(EXAMPLES)
    for stem in EXAMPLES:
        manifest = json.loads((out / stem / "manifest.json").read_text("utf-8"))
        (entry,) = [f for f in manifest["files"] if f["path"] == str(PRODUCTION_PATH)]
        assert entry["signed"] is True
        assert entry["kind"] == "ps1"
        assert entry["template"] == DISCOVERY
        # Not a DR site: no bundle check lists it (it is never copied to DR).
        checks = list((out / stem).glob(f"*/{BUNDLE_CHECK_NAME}"))
        assert len(checks) == 1
        assert DISCOVERY_SCRIPT_NAME not in checks[0].read_text("utf-8-sig")


def _problems(out: Path) -> list[tuple[str, str]]:
    with pytest.raises(VerificationError) as caught:
        api.verify(out)
    return [(d.location.file, d.code) for d in caught.value.diagnostics]


def test_verify_sees_a_changed_or_missing_production_script(
    rendered_out: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    out = tmp_path / "out"
    shutil.copytree(rendered_out[0], out)
    script = out / "example" / PRODUCTION_PATH
    original = script.read_bytes()
    script.write_bytes(original.replace(b"'server1'", b"'server9'", 1))
    problems = _problems(out)
    where = f"example/{PRODUCTION_PATH}"
    assert (where, "changed") in problems
    assert (where, "signature") in problems
    assert {file for file, _ in problems} == {where}
    script.unlink()
    assert _problems(out) == [(where, "missing")]


def test_rendered_and_discover_scripts_verify_with_osslsigncode(
    rendered_out: tuple[Path, Path], tmp_path: Path
) -> None:
    tool = require_tool("osslsigncode")
    out, dev = rendered_out
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DRGEN_DEV_CERT_DIR", str(dev))
        result = CliRunner().invoke(app, ["discover", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (cert,) = dev.glob("*cert*.pem")
    for script in (
        tmp_path / DISCOVERY_SCRIPT_NAME,
        *(out / stem / PRODUCTION_PATH for stem in EXAMPLES),
    ):
        done = subprocess.run(
            [tool, "verify", "-in", str(script), "-CAfile", str(cert)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, (script, done.stdout, done.stderr)
        assert "Signature verification: ok" in done.stdout


# ---------------------------------------------------------------------------- discover


def _discover(dev: Path, *args: str) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DRGEN_DEV_CERT_DIR", str(dev))
        return CliRunner().invoke(app, ["discover", *args])


def test_discover_writes_the_generic_script_once(tmp_path: Path) -> None:
    dev = tmp_path / "dev"
    first, second = tmp_path / "a", tmp_path / "b"
    result = _discover(dev, "--out", str(first))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "create" in result.stderr
    assert [p.name for p in first.iterdir()] == [DISCOVERY_SCRIPT_NAME]
    data = (first / DISCOVERY_SCRIPT_NAME).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf#Requires -Version 5.1\r\n")
    assert b"\r\n$ProductionServers = @()\r\n" in data
    assert b"# SIG # Begin signature block" in data
    # Again: nothing to do. Elsewhere: the same bytes (deterministic).
    again = _discover(dev, "--out", str(first))
    assert again.exit_code == 0
    assert "identical" in again.stderr
    assert (first / DISCOVERY_SCRIPT_NAME).read_bytes() == data
    assert _discover(dev, "--out", str(second)).exit_code == 0
    assert (second / DISCOVERY_SCRIPT_NAME).read_bytes() == data


def test_discover_refuses_a_file_it_did_not_write(tmp_path: Path) -> None:
    dev = tmp_path / "dev"
    target = tmp_path / DISCOVERY_SCRIPT_NAME
    target.write_bytes(b"Write-Host 'mine'\r\n")
    result = _discover(dev, "--out", str(tmp_path))
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "was not written by drgen discover" in result.stderr
    assert "Traceback" not in result.output
    assert target.read_bytes() == b"Write-Host 'mine'\r\n"
    # Refused before the key is loaded: no development identity was created.
    assert not dev.exists()
    forced = _discover(dev, "--out", str(tmp_path), "--force")
    assert forced.exit_code == 0, forced.output
    assert b"$ResultSchema = 'drgen/discovery-v1'" in target.read_bytes()


def test_discover_refuses_a_file_as_out(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    result = _discover(tmp_path / "dev", "--out", str(file))
    assert result.exit_code == ExitCode.USAGE
    assert file.read_text() == "x"


def test_discover_simulate_prints_a_discovery(tmp_path: Path) -> None:
    result = _discover(
        tmp_path / "dev", "--simulate", str(INVENTORIES / "example.yaml")
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema"] == SCHEMA_ID
    assert sorted(document["servers"], key=str.upper) == sorted(
        production_servers("example"), key=str.upper
    )
    assert not (tmp_path / "dev").exists()
    refused = _discover(
        tmp_path / "dev", "--simulate", str(INVENTORIES / "example.yaml"), "--force"
    )
    assert refused.exit_code == ExitCode.USAGE


def test_production_script_is_deterministic(plans: dict[str, Plan]) -> None:
    env = make_environment()
    for stem, plan in plans.items():
        path = PurePosixPath(stem) / PRODUCTION_PATH
        first = {a.path: a.text for a in render_unsigned(plan, env)}[path]
        second = {a.path: a.text for a in render_unsigned(plan, env)}[path]
        assert first == second
        assert "\r" not in first
