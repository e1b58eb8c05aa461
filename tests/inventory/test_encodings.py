"""Input files as Windows writes them, and the commonest YAML slips explained.

Windows PowerShell 5.1's ``>`` and ``Out-File`` write UTF-16LE with a byte order
mark: such an inventory, discovery or drill result is read (the mark makes it
unambiguous); what cannot be told apart safely (UTF-16 without the mark, UTF-32)
is a located error that says so and how to convert.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import api
from generator.cli.app import app
from generator.errors import DiscoveryError, InventoryError
from generator.inventory.load import load_inventory
from tests.support.paths import INVENTORIES, ROOT

INVALID = ROOT / "tests" / "data" / "inventories" / "invalid"
EXAMPLE = INVENTORIES / "example.yaml"


def _utf16(text: str, order: str) -> bytes:
    if order == "le":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return codecs.BOM_UTF16_BE + text.encode("utf-16-be")


@pytest.mark.parametrize("order", ["le", "be"])
def test_a_utf16_inventory_with_a_byte_order_mark_is_read(
    tmp_path: Path, order: str
) -> None:
    text = EXAMPLE.read_text("utf-8")
    path = tmp_path / "example.yaml"
    raw = _utf16(text, order)
    path.write_bytes(raw)
    doc = load_inventory(path)
    assert doc.data == load_inventory(EXAMPLE).data
    assert doc.positions == load_inventory(EXAMPLE).positions
    # The hash is of the bytes as stored: the bundle id names this very file.
    assert doc.sha256 == hashlib.sha256(raw).hexdigest()
    assert api.load(path).errors == ()


def test_a_utf16_inventory_renders(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "example.yaml"
    path.write_bytes(_utf16(EXAMPLE.read_text("utf-8"), "le"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(path), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    # The same meaning as the UTF-8 file: a byte-identical bundle.
    plain = tmp_path / "plain" / "example.yaml"
    plain.parent.mkdir()
    plain.write_bytes(EXAMPLE.read_bytes())
    other = tmp_path / "out-plain"
    result = runner.invoke(app, ["render", str(plain), "--out", str(other), "-q"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "example/manifest.json").read_text("utf-8"))
    assert manifest == json.loads((other / "example/manifest.json").read_text("utf-8"))
    assert (
        manifest["inventory"]["sha256"] != hashlib.sha256(path.read_bytes()).hexdigest()
    )


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (EXAMPLE.read_text("utf-8").encode("utf-16-le"), "UTF-16 without a byte order"),
        (EXAMPLE.read_text("utf-8").encode("utf-16-be"), "UTF-16 without a byte order"),
        (EXAMPLE.read_text("utf-8").encode("utf-32"), "UTF-32"),
    ],
    ids=["utf16le-no-bom", "utf16be-no-bom", "utf32"],
)
def test_what_cannot_be_told_apart_is_refused_with_how_to_convert(
    runner: CliRunner, tmp_path: Path, raw: bytes, words: str
) -> None:
    path = tmp_path / "example.yaml"
    path.write_bytes(raw)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 3
    assert "example.yaml:1:1: error[encoding]: the inventory " in result.stderr
    assert words in result.stderr
    assert "hint: save it as UTF-8" in result.stderr
    assert "Set-Content -Encoding UTF8" in result.stderr


def test_a_bad_byte_is_located(tmp_path: Path) -> None:
    path = tmp_path / "example.yaml"
    text = EXAMPLE.read_text("utf-8").replace("DR-West", "DR-W\xe9st")
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    (problem,) = caught.value.diagnostics
    line = next(n for n, each in enumerate(text.splitlines(), 1) if "DR-W" in each)
    column = text.splitlines()[line - 1].index("\xe9") + 1
    assert (problem.location.line, problem.location.column) == (line, column)
    assert "not valid UTF-8" in problem.message


def test_a_utf16_discovery_is_read_and_a_bomless_one_refused(tmp_path: Path) -> None:
    text = api.simulate_discovery(EXAMPLE)
    path = tmp_path / "discovery.json"
    path.write_bytes(_utf16(text, "le"))
    assert not api.drift(EXAMPLE, path).findings
    assert "group:" in api.import_discovery(path)
    path.write_bytes(text.encode("utf-16-le"))
    with pytest.raises(DiscoveryError) as caught:
        api.drift(EXAMPLE, path)
    (problem,) = caught.value.diagnostics
    assert problem.code == "encoding"
    assert "UTF-16" in problem.message
    assert "Set-Content -Encoding UTF8" in (problem.hint or "")


def _diagnostic(runner: CliRunner, path: Path) -> tuple[str, str]:
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    index = next(i for i, line in enumerate(lines) if ": error[" in line)
    hint = lines[index + 1]
    assert hint.startswith("  hint: "), lines
    return lines[index], hint


def test_a_backslash_in_double_quotes_suggests_single_quotes(
    runner: CliRunner,
) -> None:
    error, hint = _diagnostic(runner, INVALID / "yaml-escape.yaml")
    assert "found unknown escape character 'B'" in error
    assert "single quotes" in hint
    # The user's own line, rewritten: what to type.
    assert "tracking: {server: 'SQLPROD01\\BTS', name: BizTalkDTADb}" in hint


def test_the_single_quote_example_without_the_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text('group:\n  name: "it\'s \\q"\n', encoding="utf-8")
    error, hint = _diagnostic(runner, path)
    assert "unknown escape" in error
    assert "server: 'SQLPROD01\\BTS'" in hint


@pytest.mark.parametrize(
    "text",
    [
        "group:\n  name: x\n   biztalk_version: 2020\n",
        "group:\n  name: x\n biztalk_version: 2020\n",
        "dr:\n  servers:\n    - name: a\n      roles: []\n     mirrors: []\n",
        "dr:\n  servers:\n    - {name: a}\n   - {name: b}\n",
    ],
)
def test_an_indentation_slip_gets_a_hint_about_spaces_and_alignment(
    runner: CliRunner, tmp_path: Path, text: str
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    _, hint = _diagnostic(runner, path)
    assert "spaces" in hint
    assert "same column" in hint


def test_a_tab_gets_its_own_hint(runner: CliRunner) -> None:
    _, hint = _diagnostic(runner, INVALID / "yaml-syntax-tab.yaml")
    assert "tabs" in hint
    assert "spaces" in hint
