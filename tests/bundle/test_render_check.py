"""`drgen render --check`: is OUT exactly what the inventories render to?

It must need no signing key (an inventory repository's CI has none), write
nothing, pass on an up-to-date bundle and list every file a render would change.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.cli.app import app
from generator.errors import ExitCode
from tests.support.checkout import checkout_files
from tests.support.paths import INVENTORIES

EXAMPLE = INVENTORIES / "example.yaml"


@pytest.fixture
def rendered_out(runner, tmp_path: Path, monkeypatch) -> Path:
    """OUT rendered from a copy of the example, signed with a key kept elsewhere."""
    monkeypatch.setenv("DRGEN_DEV_CERT_DIR", str(tmp_path / "signing-keys"))
    shutil.copy(EXAMPLE, tmp_path / "example.yaml")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["render", str(tmp_path / "example.yaml"), "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    # From here on no key is reachable: a check must not need one.
    monkeypatch.setenv("DRGEN_DEV_CERT_DIR", str(tmp_path / "no-keys-here"))
    return out


def _check(runner, tmp_path: Path, out: Path):
    return runner.invoke(
        app, ["render", "--check", str(tmp_path / "example.yaml"), "--out", str(out)]
    )


def test_an_up_to_date_bundle_passes_without_a_key_and_nothing_is_written(
    runner, tmp_path, rendered_out
):
    before = checkout_files(tmp_path)
    result = _check(runner, tmp_path, rendered_out)
    assert result.exit_code == 0, result.output
    assert "up to date" in result.stderr
    assert result.stdout == ""
    assert checkout_files(tmp_path) == before  # not a byte, not an mtime
    assert not (tmp_path / "no-keys-here").exists()
    assert not (tmp_path / ".drgen").exists()


def test_an_edited_script_is_listed_with_what_depends_on_it(
    runner, tmp_path, rendered_out
):
    script = rendered_out / "example" / "DR-West" / "DRserver2" / "Disable-DrServer.ps1"
    data = script.read_bytes()
    script.write_bytes(data.replace(b"Disable", b"Dizable", 1))
    result = _check(runner, tmp_path, rendered_out)
    assert result.exit_code == ExitCode.OUT_OF_DATE
    listed = sorted(line.split()[1] for line in result.stdout.splitlines())
    root = str(rendered_out / "example")
    # The script itself, the bundle check that carries its hash, the manifest.
    assert listed == sorted(
        [
            str(script),
            f"{root}/DR-West/{'Test-DrBundle.ps1'}",
            f"{root}/manifest.json",
        ]
    )
    assert all(line.split()[0] == "update" for line in result.stdout.splitlines())
    assert "run drgen render" in result.stderr


def test_a_changed_inventory_lists_new_and_removed_files(
    runner, tmp_path, rendered_out
):
    inventory = tmp_path / "example.yaml"
    text = inventory.read_text(encoding="utf-8")
    inventory.write_text(text.replace("DRserver3", "DRserver9"), encoding="utf-8")
    result = _check(runner, tmp_path, rendered_out)
    assert result.exit_code == ExitCode.OUT_OF_DATE
    statuses = {
        (line.split()[0], Path(line.split()[1]).parent.name)
        for line in result.stdout.splitlines()
    }
    assert ("create", "DRserver9") in statuses
    assert ("remove", "DRserver3") in statuses
    assert ("update", "example") in statuses  # the manifest


def test_a_missing_out_is_out_of_date(runner, tmp_path, rendered_out):
    shutil.rmtree(rendered_out)
    result = _check(runner, tmp_path, rendered_out)
    assert result.exit_code == ExitCode.OUT_OF_DATE
    assert all(line.split()[0] == "create" for line in result.stdout.splitlines())
    assert not rendered_out.exists()


def test_a_damaged_signature_block_makes_the_script_differ(
    runner, tmp_path, rendered_out
):
    script = rendered_out / "example" / "DR-West" / "DRserver1" / "Test-DrServer.ps1"
    data = script.read_bytes()
    script.write_bytes(data.replace(b"# SIG # End signature block", b"# SIG # End"))
    result = _check(runner, tmp_path, rendered_out)
    assert result.exit_code == ExitCode.OUT_OF_DATE
    assert str(script) in result.stdout


@pytest.mark.parametrize("option", [["--cert", "x.pfx"], ["--force"]])
def test_check_refuses_signing_and_writing_options(runner, tmp_path, option):
    result = runner.invoke(
        app, ["render", "--check", str(EXAMPLE), "--out", str(tmp_path), *option]
    )
    assert result.exit_code == ExitCode.USAGE
    assert "--check writes and signs nothing" in result.output
