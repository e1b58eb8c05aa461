"""A render signs every script: checked by osslsigncode and in-process."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner

from generator.cli.app import app
from generator.signing.verify import verify_script
from tests.support.paths import INVENTORIES
from tests.support.tools import require_tool

pytestmark = pytest.mark.oracle


@pytest.fixture(scope="module")
def signed_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("signed")
    out, dev = base / "out", base / "dev"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DRGEN_DEV_CERT_DIR", str(dev))
        result = CliRunner().invoke(
            app, ["render", str(INVENTORIES / "consolidated.yaml"), "--out", str(out)]
        )
    assert result.exit_code == 0, result.output
    assert "EVALUATION ONLY" in result.stderr
    (cert,) = dev.glob("*cert*.pem")
    return out, cert


def test_every_script_verifies_with_osslsigncode(signed_out: tuple[Path, Path]) -> None:
    tool = require_tool("osslsigncode")
    out, cert = signed_out
    scripts = sorted(out.rglob("*.ps1"))
    # Five per DR server (2), three per site, and production's discovery script.
    assert len(scripts) == 14
    for script in scripts:
        done = subprocess.run(
            [tool, "verify", "-in", str(script), "-CAfile", str(cert)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, (script, done.stdout, done.stderr)
        assert "Signature verification: ok" in done.stdout


def test_every_script_verifies_in_process(signed_out: tuple[Path, Path]) -> None:
    out, cert = signed_out
    root = x509.load_pem_x509_certificate(cert.read_bytes())
    for script in sorted(out.rglob("*.ps1")):
        data = script.read_bytes()
        assert verify_script(data, root) == [], script
        at = data.rindex(b"\r\nexit 0\r\n") + 7
        tampered = data[:at] + b"1" + data[at + 1 :]
        assert tampered != data
        assert verify_script(tampered, root) != [], script


def test_manifest_names_the_signer(signed_out: tuple[Path, Path]) -> None:
    out, cert = signed_out
    manifest = json.loads((out / "consolidated" / "manifest.json").read_text())
    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    assert manifest["signer"]["subject"] == certificate.subject.rfc4514_string()
    assert len(manifest["signer"]["thumbprint_sha1"]) == 40
    for entry in manifest["files"]:
        assert entry["signed"] is entry["path"].endswith(".ps1")
        assert (entry["sha256"] != entry["sha256_unsigned"]) is entry["signed"]
    assert "PRIVATE" not in json.dumps(manifest)


def test_dev_certificate_is_reused(
    signed_out: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, cert = signed_out
    monkeypatch.setenv("DRGEN_DEV_CERT_DIR", str(cert.parent))
    result = CliRunner().invoke(
        app, ["render", str(INVENTORIES / "example.yaml"), "--out", str(tmp_path), "-q"]
    )
    assert result.exit_code == 0
    assert "EVALUATION ONLY: using" in result.stderr


def test_unusable_certificate_exit_4_nothing_written(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "render",
            str(INVENTORIES / "example.yaml"),
            "--out",
            str(out),
            "--cert",
            str(bogus),
        ],
    )
    assert result.exit_code == 4, result.output
    assert "bogus.pem" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_bundle_test_script_knows_every_file(signed_out: tuple[Path, Path]) -> None:
    import hashlib
    import re

    from tests.support import pwsh_oracle as ps

    out, _ = signed_out
    site = out / "consolidated" / "DR-North"
    data = (site / "Test-DrBundle.ps1").read_bytes()
    assert ps.syntax_problems(data) == []
    assert ps.lint(data) == []
    text = data.decode("utf-8-sig")
    listed = dict(re.findall(r"Path = '([^']+)'\r\n\s+Sha256 = '([0-9A-F]{64})'", text))
    on_disk = {
        "\\".join(p.relative_to(site).parts): hashlib.sha256(p.read_bytes())
        .hexdigest()
        .upper()
        for p in site.rglob("*")
        if p.is_file() and p.name != "Test-DrBundle.ps1"
    }
    assert listed == on_disk
    assert len(listed) == 18 + 1  # + Runbook.html
