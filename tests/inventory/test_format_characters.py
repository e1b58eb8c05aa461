"""Invisible Unicode format characters (category Cf) are refused in every key and
string value of an inventory, located, and nowhere else echoed: a bidirectional
override makes a reviewer read something other than what runs (Trojan Source).
Other non-ASCII text stays allowed where the name's rules allow it."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import api
from generator.inventory.load import load_inventory
from generator.text import format_character
from tests.support.paths import EXAMPLES, INVENTORIES

# Bidi embeddings and overrides, isolates, zero-width characters, a BOM inside
# text, the soft hyphen, the Arabic letter mark and a tag character.
FORMAT = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\ufeff",
    "\u00ad",
    "\u061c",
    "\U000e0041",
]


def _string_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    if isinstance(node, dict):
        for key, item in node.items():
            found += _string_paths(item, (*prefix, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += _string_paths(item, (*prefix, index))
    elif isinstance(node, str):
        found.append(prefix)
    return found


def _with(data: Any, path: tuple[Any, ...], char: str) -> Any:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    value = parent[path[-1]]
    parent[path[-1]] = value[:1] + char + value[1:]
    return data


def test_every_character_listed_is_a_format_character() -> None:
    assert {unicodedata.category(c) for c in FORMAT} == {"Cf"}
    assert all(format_character(f"a{c}b") == c for c in FORMAT)
    assert format_character("Zürich Ä é ß 東京") is None


@pytest.mark.parametrize("stem", EXAMPLES)
def test_every_string_value_refuses_a_format_character(
    tmp_path: Path, stem: str
) -> None:
    original = yaml.safe_load((INVENTORIES / f"{stem}.yaml").read_text("utf-8"))
    paths = _string_paths(original)
    assert len(paths) > 30
    for index, path in enumerate(paths):
        char = FORMAT[index % len(FORMAT)]
        data = _with(yaml.safe_load(yaml.safe_dump(original)), path, char)
        file = tmp_path / f"{stem}.yaml"
        file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        where = load_inventory(file).locate(path)
        checked = api.load(file)
        found = [d for d in checked.errors if d.code == "format-character"]
        assert [d.location for d in found] == [where], (path, checked.errors)
        assert f"U+{ord(char):04X}" in found[0].message
        # Reported once: no other error at that value echoes it.
        assert [d for d in checked.errors if d.location == where] == found, path
        for diagnostic in checked.diagnostics:
            assert char not in diagnostic.format(), diagnostic


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\ufeff"])
def test_a_key_refuses_a_format_character(tmp_path: Path, char: str) -> None:
    text = (INVENTORIES / "example.yaml").read_text("utf-8")
    file = tmp_path / "example.yaml"
    file.write_text(text.replace("  join_mode:", f"  jo{char}in_mode:"), "utf-8")
    checked = api.load(file)
    assert "format-character" in {d.code for d in checked.errors}
    assert all(char not in d.format() for d in checked.diagnostics)


def test_other_non_ascii_text_stays_allowed(tmp_path: Path) -> None:
    data = yaml.safe_load((INVENTORIES / "consolidated.yaml").read_text("utf-8"))
    data["group"]["name"] = "Gruppe Zürich — Ärzte 東京"
    data["group"]["hosts"][0]["windows_group"] = "FABRIKAM\\BizTalk-Benutzer Ä"
    data["group"]["databases"]["other"][0]["label"] = "Überweisungen"
    file = tmp_path / "consolidated.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert api.load(file).errors == ()
