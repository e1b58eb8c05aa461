"""``drgen render`` with real certificates: PFX/PEM, checks, timestamps."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli.app import app
from tests.support import pki
from tests.support.paths import INVENTORIES
from tests.support.tools import require_tool
from tests.support.tsa import TestAuthority, closed_port, local_server

INVENTORY = str(INVENTORIES / "example.yaml")


@pytest.fixture(scope="module")
def trust() -> pki.Pki:
    return pki.build_pki()


def render(out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["render", INVENTORY, "--out", str(out), "-q", *extra]
    )
    return result.exit_code, result.stderr + result.stdout


def test_pfx_with_password_from_environment(
    tmp_path: Path, trust: pki.Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    pfx = pki.write_pfx(tmp_path / "signer.pfx", trust.leaf, (trust.intermediate.cert,))
    monkeypatch.setenv("DRGEN_CERT_PASSWORD", pki.PFX_PASSWORD.decode())
    code, output = render(tmp_path / "out", "--cert", str(pfx))
    assert code == 0, output
    assert "EVALUATION ONLY" not in output
    tool = require_tool("osslsigncode")
    root = pki.write_pem(tmp_path / "root.pem", trust.root)
    for script in sorted((tmp_path / "out").rglob("*.ps1")):
        result = pki.verify_with_osslsigncode(tool, script, root)
        assert pki.accepted(result), (script, result.stdout)
    assert pki.PFX_PASSWORD.decode() not in output


def test_wrong_pfx_password_exit_4(
    tmp_path: Path, trust: pki.Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    pfx = pki.write_pfx(tmp_path / "signer.pfx", trust.leaf)
    monkeypatch.setenv("DRGEN_CERT_PASSWORD", "not-the-password")
    code, output = render(tmp_path / "out", "--cert", str(pfx))
    assert code == 4
    assert "signer.pfx" in output
    assert "not-the-password" not in output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "which", ["expired", "not_yet_valid", "server_auth", "no_digital_signature", "weak"]
)
def test_unusable_certificates_exit_4_nothing_written(
    tmp_path: Path, trust: pki.Pki, which: str
) -> None:
    issued = getattr(trust, which)
    cert = pki.write_pem(tmp_path / "cert.pem", issued, trust.intermediate)
    key = pki.write_key(tmp_path / "key.pem", issued.key)
    out = tmp_path / "out"
    out.mkdir()
    code, output = render(out, "--cert", str(cert), "--key", str(key))
    assert code == 4, output
    assert "Traceback" not in output
    assert list(out.iterdir()) == []


def test_revocation_urls_warn(tmp_path: Path, trust: pki.Pki) -> None:
    cert = pki.write_pem(tmp_path / "cert.pem", trust.with_urls, trust.intermediate)
    key = pki.write_key(tmp_path / "key.pem", trust.with_urls.key)
    code, output = render(tmp_path / "out", "--cert", str(cert), "--key", str(key))
    assert code == 0, output
    assert "air-gapped" in output


@pytest.mark.oracle
def test_timestamped_render_verifies(tmp_path: Path, trust: pki.Pki) -> None:
    tool = require_tool("osslsigncode")
    authority = TestAuthority(trust.tsa)
    cert = pki.write_pem(tmp_path / "cert.pem", trust.leaf, trust.intermediate)
    key = pki.write_key(tmp_path / "key.pem", trust.leaf.key)
    with local_server(lambda body: (200, authority.reply(body))) as url:
        code, output = render(
            tmp_path / "out",
            "--cert",
            str(cert),
            "--key",
            str(key),
            "--timestamp-url",
            url,
        )
    assert code == 0, output
    scripts = sorted((tmp_path / "out").rglob("*.ps1"))
    # + production/Export-BizTalkGroup.ps1
    assert len(authority.requests) == len(scripts) == 18 + 1
    root = pki.write_pem(tmp_path / "root.pem", trust.root)
    tsa_root = pki.write_pem(tmp_path / "tsaroot.pem", trust.tsa_root)
    result = pki.verify_with_osslsigncode(
        tool, scripts[0], root, "-TSA-CAfile", tsa_root
    )
    assert pki.accepted(result), result.stdout
    assert "Timestamp Server Signature verification: ok" in result.stdout


def test_unreachable_tsa_exit_4_nothing_written(tmp_path: Path, trust: pki.Pki) -> None:
    cert = pki.write_pem(tmp_path / "cert.pem", trust.leaf, trust.intermediate)
    key = pki.write_key(tmp_path / "key.pem", trust.leaf.key)
    url = f"http://127.0.0.1:{closed_port()}/tsa"
    code, output = render(
        tmp_path / "out", "--cert", str(cert), "--key", str(key), "--timestamp-url", url
    )
    assert code == 4, output
    assert "127.0.0.1" in output
    assert not (tmp_path / "out").exists()


def test_the_library_asks_for_a_password_only_through_its_caller(
    tmp_path: Path, trust: pki.Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import api
    from generator.errors import SigningError

    pfx = pki.write_pfx(tmp_path / "signer.pfx", trust.leaf, (trust.intermediate.cert,))
    # Even with the variable set and a terminal, the library neither reads nor prompts.
    monkeypatch.setenv("DRGEN_CERT_PASSWORD", pki.PFX_PASSWORD.decode())
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr(
        "getpass.getpass", lambda *_: pytest.fail("the library prompted")
    )
    inventory = [INVENTORIES / "example.yaml"]
    out = tmp_path / "out"
    with pytest.raises(SigningError):
        api.render(inventory, out=out, signing=api.Signing(cert=pfx))
    assert not out.exists()
    asked: list[str] = []

    def password() -> bytes:
        asked.append("once")
        return pki.PFX_PASSWORD

    written = api.render(
        inventory, out=out, signing=api.Signing(cert=pfx, password=password)
    )
    assert asked == ["once"]
    # + production/Export-BizTalkGroup.ps1
    assert written[0].written == len(written[0].changes) == 26 + 1 + 1
