"""``drgen verify`` names changed, missing, extra and badly signed files; exit 5.

Each problem is a diagnostic ``FILE: error[KIND]: detail``, then a summary line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli.app import app
from tests.support.paths import INVENTORIES


@pytest.fixture
def bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    dev = tmp_path / "dev"
    monkeypatch.setenv("DRGEN_DEV_CERT_DIR", str(dev))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["render", str(INVENTORIES / "example.yaml"), "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    (cert,) = dev.glob("*cert*.pem")
    return out, cert


def run(out: Path, cert: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", str(out), "--ca", str(cert)])
    return result.exit_code, result.stderr


def test_intact_bundle_verifies(bundle: tuple[Path, Path]) -> None:
    code, err = run(*bundle)
    assert code == 0, err
    assert "1 bundle(s) checked, 0 problem(s)" in err


def test_every_kind_of_damage_is_named(bundle: tuple[Path, Path]) -> None:
    out, cert = bundle
    site = out / "example" / "DR-West"
    xml = site / "UpdateInfo.xml"
    xml.write_bytes(xml.read_bytes().replace(b"SQLDR01", b"SQLDR09"))
    (site / "SecretServer.xml").unlink()
    (site / "DRserver1" / "notes.txt").write_text("hello")
    script = site / "DRserver2" / "Test-DrServer.ps1"
    data = bytearray(script.read_bytes())
    data[200] ^= 0x01
    script.write_bytes(bytes(data))
    (site / "DRserver3" / "logs").mkdir()
    (site / "DRserver3" / "logs" / "run.log").write_text("ignored")
    code, err = run(out, cert)
    assert code == 5
    assert "example/DR-West/UpdateInfo.xml: error[changed]: sha256 differs" in err
    assert "example/DR-West/SecretServer.xml: error[missing]: " in err
    assert "example/DR-West/DRserver1/notes.txt: error[extra]: " in err
    assert "example/DR-West/DRserver2/Test-DrServer.ps1: error[changed]: " in err
    assert "example/DR-West/DRserver2/Test-DrServer.ps1: error[signature]: " in err
    # Byte 200 is in the help, the code part: the code no longer hashes to the
    # manifest's code_sha256 (the one its kind has in every bundle of the release).
    assert (
        "example/DR-West/DRserver2/Test-DrServer.ps1: error[code]: code_sha256 "
        "differs from the manifest" in err
    )
    assert "run.log" not in err
    assert err.splitlines()[-1] == "1 bundle(s) checked, 6 problem(s)"


def test_a_code_hash_the_signed_check_does_not_carry_is_named(
    bundle: tuple[Path, Path],
) -> None:
    """The manifest is unsigned: a changed code_sha256 in it disagrees with the
    script and with the signed Test-DrBundle.ps1."""
    import json

    out, cert = bundle
    manifest_path = out / "example" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    entry = next(
        f
        for f in manifest["files"]
        if f["path"] == "DR-West/DRserver1/Enable-DrServer.ps1"
    )
    entry["code_sha256"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    code, err = run(out, cert)
    assert code == 5
    assert (
        "example/DR-West/DRserver1/Enable-DrServer.ps1: error[code]: code_sha256 "
        "differs from the manifest" in err
    )
    assert (
        "example/DR-West/DRserver1/Enable-DrServer.ps1: error[changed]: differs from "
        "the signed Test-DrBundle.ps1" in err
    )


def test_wrong_root_fails(bundle: tuple[Path, Path], tmp_path: Path) -> None:
    from tests.support import pki

    out, _ = bundle
    other = tmp_path / "other-root.pem"
    pki.write_pem(other, pki.build_pki().root.cert)
    code, err = run(out, other)
    assert code == 5
    assert "error[signature]:" in err


def test_nothing_to_verify(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["verify", str(tmp_path)])
    assert result.exit_code == 5
    assert "no bundle" in result.stderr


def test_a_script_marked_unsigned_is_still_verified(bundle: tuple[Path, Path]) -> None:
    import json

    out, cert = bundle
    manifest_path = out / "example" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    script = out / "example" / "DR-West" / "DRserver1" / "Test-DrServer.ps1"
    body = script.read_bytes().split(b"\r\n# SIG # Begin signature block")[0] + b"\r\n"
    script.write_bytes(body)  # signature stripped
    for entry in manifest["files"]:
        if entry["path"] == "DR-West/DRserver1/Test-DrServer.ps1":
            entry["signed"] = False
            entry["sha256"] = __import__("hashlib").sha256(body).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    code, err = run(out, cert)
    assert code == 5
    assert "example/DR-West/DRserver1/Test-DrServer.ps1: error[signature]: " in err


def test_unreadable_manifest_is_named(bundle: tuple[Path, Path]) -> None:
    out, cert = bundle
    (out / "example" / "manifest.json").write_text("{not json")
    code, err = run(out, cert)
    assert code == 5
    assert "example/manifest.json: error[manifest]: unreadable" in err


def test_editing_a_file_and_its_manifest_entry_is_still_caught(
    bundle: tuple[Path, Path],
) -> None:
    import hashlib
    import json

    out, cert = bundle
    xml = out / "example" / "DR-West" / "UpdateInfo.xml"
    forged = xml.read_bytes().replace(b"SQLDR01", b"EVILSQL")
    xml.write_bytes(forged)
    manifest_path = out / "example" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["files"]:
        if entry["path"] == "DR-West/UpdateInfo.xml":
            entry["sha256"] = hashlib.sha256(forged).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    code, err = run(out, cert)
    assert code == 5
    assert err.splitlines() == [
        "example/DR-West/UpdateInfo.xml: error[changed]: "
        "differs from the signed Test-DrBundle.ps1",
        "1 bundle(s) checked, 1 problem(s)",
    ]


def test_removing_a_file_and_its_manifest_entry_is_still_caught(
    bundle: tuple[Path, Path],
) -> None:
    import json

    out, cert = bundle
    (out / "example" / "DR-West" / "Runbook.md").unlink()
    manifest_path = out / "example" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"] = [
        e for e in manifest["files"] if e["path"] != "DR-West/Runbook.md"
    ]
    manifest_path.write_text(json.dumps(manifest))
    code, err = run(out, cert)
    assert code == 5
    assert err.splitlines() == [
        "example/DR-West/Test-DrBundle.ps1: error[missing]: "
        "names a file that is not in the manifest",
        "1 bundle(s) checked, 1 problem(s)",
    ]


def _forge_entry(out: Path, path: str, data: bytes | None) -> None:
    """Set (or, with None, drop) a manifest entry, as someone covering tracks would."""
    import hashlib
    import json

    manifest_path = out / "example" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    files = [e for e in manifest["files"] if e["path"] != path]
    if data is not None:
        files.append(
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "signed": False}
        )
    manifest["files"] = files
    manifest_path.write_text(json.dumps(manifest))


def test_deleting_the_bundle_check_does_not_switch_it_off(
    bundle: tuple[Path, Path],
) -> None:
    out, cert = bundle
    site = out / "example" / "DR-West"
    (site / "Test-DrBundle.ps1").unlink()
    _forge_entry(out, "DR-West/Test-DrBundle.ps1", None)
    xml = site / "UpdateInfo.xml"
    forged = xml.read_bytes().replace(b"SQLDR01", b"EVILSQL")
    xml.write_bytes(forged)
    _forge_entry(out, "DR-West/UpdateInfo.xml", forged)
    code, err = run(out, cert)
    assert code == 5
    assert err.splitlines()[0].startswith(
        "example/DR-West/Test-DrBundle.ps1: error[missing]: every site has a signed"
    )


def test_a_file_added_to_disk_and_manifest_is_not_in_the_signed_list(
    bundle: tuple[Path, Path],
) -> None:
    out, cert = bundle
    extra = out / "example" / "DR-West" / "DRserver1" / "O'Brien.ps1"
    extra.write_bytes(b"\xef\xbb\xbfWrite-Host 'hello'\r\n")
    _forge_entry(out, "DR-West/DRserver1/O'Brien.ps1", extra.read_bytes())
    code, err = run(out, cert)
    assert code == 5
    assert (
        "example/DR-West/DRserver1/O'Brien.ps1: error[extra]: "
        "not in the signed Test-DrBundle.ps1"
    ) in err


def test_a_folder_where_the_bundle_check_should_be_is_reported(
    bundle: tuple[Path, Path],
) -> None:
    out, cert = bundle
    check = out / "example" / "DR-West" / "Test-DrBundle.ps1"
    check.unlink()
    check.mkdir()
    (check / "x.txt").write_text("x")
    code, err = run(out, cert)
    assert code == 5
    assert "Traceback" not in err
    assert "example/DR-West/Test-DrBundle.ps1: error[missing]" in err
    assert "example/DR-West/Test-DrBundle.ps1/x.txt: error[extra]" in err


@pytest.mark.parametrize(
    "manifest",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"files": {"a": 1}}',
        '{"files": [{"path": "a", "sha256": 1}]}',
        '{"files": [{"path": "a", "sha256": "00"}, {"path": "a", "sha256": "11"}]}',
    ],
    ids=["deeply-nested", "files-not-a-list", "sha256-not-text", "duplicate-entry"],
)
def test_a_malformed_manifest_is_one_finding(
    bundle: tuple[Path, Path], manifest: str
) -> None:
    out, cert = bundle
    (out / "example" / "manifest.json").write_text(manifest)
    code, err = run(out, cert)
    assert code == 5
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("example/manifest.json: error[manifest]: unreadable: ")
    assert lines[1] == "1 bundle(s) checked, 1 problem(s)"


def test_verify_of_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no such directory" in result.stderr


def test_a_site_or_server_named_like_a_log_folder_is_still_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scripts write logs\ next to themselves; a DR site called "logs" is still
    # part of the bundle, and only a logs\ folder the bundle does not have is skipped.
    source = (INVENTORIES / "example.yaml").read_text(encoding="utf-8")
    source = source.replace("site: DR-West", "site: logs")
    assert "site: logs" in source
    inventory = tmp_path / "example.yaml"
    inventory.write_text(source, encoding="utf-8")
    monkeypatch.setenv("DRGEN_DEV_CERT_DIR", str(tmp_path / "dev"))
    out = tmp_path / "out"
    rendered = CliRunner().invoke(app, ["render", str(inventory), "--out", str(out)])
    assert rendered.exit_code == 0, rendered.output
    (cert,) = (tmp_path / "dev").glob("*cert*.pem")
    server_logs = out / "example" / "logs" / "DRserver1" / "logs"
    server_logs.mkdir()
    (server_logs / "run.log").write_text("written by a script")
    code, err = run(out, cert)
    assert code == 0, err
    (out / "example" / "logs" / "Runbook.md").write_text("edited")
    code, err = run(out, cert)
    assert code == 5
    assert "example/logs/Runbook.md: error[changed]" in err


def test_a_state_folder_is_not_skipped(bundle: tuple[Path, Path]) -> None:
    # Scripts keep their state in %ProgramData%; only logs\ is theirs in the bundle,
    # as Test-DrBundle.ps1 decides too.
    out, cert = bundle
    state = out / "example" / "DR-West" / "DRserver1" / "state"
    state.mkdir()
    (state / "previous-startup-types.json").write_text("{}")
    code, err = run(out, cert)
    assert code == 5
    assert (
        "example/DR-West/DRserver1/state/previous-startup-types.json: error[extra]"
    ) in err
