"""No secret-like content in any rendered or written file; the answer files carry
only empty passwords (passwords are asked for on the DR server at run time)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from generator.cli.app import app
from generator.render.artifacts import RenderedArtifact, encode_text
from tests.support import pwsh_oracle as ps
from tests.support.paths import INVENTORIES
from tests.support.taint import leaks

pytestmark = pytest.mark.oracle


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Every file the CLI writes for both examples, by relative path."""
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(
        app,
        [
            "render",
            str(INVENTORIES / "example.yaml"),
            str(INVENTORIES / "consolidated.yaml"),
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    files = {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }
    assert len(files) >= 30
    return files


# -------------------------------------------------------- secret-like content anywhere


SECRET_TAG = re.compile(r"pass(word|wd|phrase)?$|pwd$|secret$|credential", re.I)


ASSIGNED_SECRET = re.compile(
    r"""(?i)(?<![a-z])(?:pass(?:word|wd|phrase)?|pwd)(?![a-z])['"]?"""
    r"""\s*[:=]\s*(?P<value>[^\s,;}]*)"""
)


#: What may follow "password =" / "password:": an empty literal or an expression.
ALLOWED_AFTER = re.compile(r"^(''|\"\"|\$|\(|$)")


def secret_like(name: str, raw: bytes) -> list[str]:
    """Secret-looking content in one file's bytes."""
    problems: list[str] = []
    content = raw.decode("utf-8-sig")
    problems += [
        f"{name}: literal secret {match[0]!r}"
        for match in ASSIGNED_SECRET.finditer(content)
        if not ALLOWED_AFTER.match(match["value"])
    ]
    if re.search(r"ConvertTo-SecureString\b[^\n]*-AsPlainText", content, re.I):
        problems.append(f"{name}: ConvertTo-SecureString -AsPlainText")
    if re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", content):
        problems.append(f"{name}: private key")
    if name.endswith(".xml"):
        tree = ET.fromstring(raw)
        for element in tree.iter():
            tag = element.tag.rsplit("}", 1)[-1]
            if SECRET_TAG.search(tag) and (element.text or "").strip():
                problems.append(f"{name}: <{tag}> is not empty")
            for attribute, value in element.attrib.items():
                if SECRET_TAG.search(attribute) and value.strip():
                    problems.append(f"{name}: {tag}@{attribute} is not empty")
            if element.get("Hidden", "").casefold() == "true":
                problems += [
                    f"{name}: hidden <Value> is not empty"
                    for child in element.iter()
                    if child.tag == "Value" and (child.text or "").strip()
                ]
    if name.endswith(".ps1"):
        problems += [
            f"{name}:{command.line}: ConvertTo-SecureString"
            for command in ps.commands(raw)
            if command.name.casefold() == "convertto-securestring"
        ]
        problems += [f"{name}:{leak}" for leak in leaks(raw)]
    return problems


def test_no_rendered_file_holds_secret_like_content(
    all_artifacts: list[RenderedArtifact],
) -> None:
    checked = 0
    for art in all_artifacts:
        raw = encode_text(art.text, art.kind)
        assert secret_like(str(art.path), raw) == []
        checked += 1
    assert checked >= 30


def test_no_written_file_holds_secret_like_content(written: dict[str, bytes]) -> None:
    assert any(name.endswith("manifest.json") for name in written)
    for name, raw in written.items():
        assert secret_like(name, raw) == [], name


def test_answer_files_carry_only_empty_passwords(
    all_artifacts: list[RenderedArtifact],
) -> None:
    answers = [a for a in all_artifacts if a.path.name == "ConfigurationAnswers.xml"]
    assert len(answers) >= 5
    for art in answers:
        tree = ET.fromstring(art.text.encode("utf-8"))
        passwords = tree.findall(".//Password")
        assert len(passwords) >= 3
        assert all(p.text is None and len(p) == 0 for p in passwords)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.xml", b"<r><NTService><Password>Hunter2</Password></NTService></r>"),
        ("a.xml", b'<r><Q Hidden="true"><Value>Hunter2</Value></Q></r>'),
        ("a.xml", b'<r><S password="Hunter2"/></r>'),
        ("a.ps1", b"$password = 'Hunter2'\n"),
        ("a.ps1", b"$arguments = @{ Password = 'Hunter2' }\n"),
        ("a.json", b'{"sso_password": "Hunter2"}\n'),
        ("a.ps1", b"$s = ConvertTo-SecureString -String $x -AsPlainText -Force\n"),
        ("a.ps1", b"$c = Get-Credential\n$c | Export-Clixml -Path 'c.xml'\n"),
        ("a.ps1", b"$c = Get-Credential\nSet-Content -Path 'x' -Value $c.Password\n"),
        ("a.ps1", b"Write-Host $Credential.GetNetworkCredential().Password\n"),
        (
            "a.ps1",
            b"$p = (Get-DrCredential -Account 'a').GetNetworkCredential()\n"
            b"$q = $p\nWrite-Output ('{0}' -f $q)\n",
        ),
        ("a.ps1", b'$cred = Get-Credential\nWrite-Host "user $($cred.Password)"\n'),
        ("a.ps1", b"$c = Get-Credential\nthrow ('bad {0}' -f $c.Password)\n"),
        ("a.ps1", b"$c = Get-Credential\n$c.GetNetworkCredential().Password\n"),
        ("a.ps1", b"function F {\n    $c = Get-Credential\n    $c\n}\n"),
        (
            "a.ps1",
            b"$c = Get-Credential\n"
            b"[IO.File]::WriteAllText('x', $c.GetNetworkCredential().Password)\n",
        ),
    ],
)
def test_the_secret_scan_catches(name: str, content: bytes) -> None:
    assert secret_like(name, content) != []
