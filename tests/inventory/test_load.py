"""Loading YAML with positions: every YAML-level problem is located, none crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import InventoryError, Location
from generator.inventory.load import (
    MAX_DEPTH,
    MAX_NODES,
    load_inventory,
    parse_inventory_text,
)
from tests.support.paths import DATA, INVENTORIES


def problems(text: str) -> list[tuple[int, int, str, str]]:
    """(line, column, code, message) of every YAML-level problem of ``text``.

    Duplicate keys do not stop loading (they are reported with the model's
    problems), so they come back on the document; the others are raised.
    """
    try:
        doc = parse_inventory_text(text, "inv.yaml")
    except InventoryError as caught:
        found = caught.diagnostics
    else:
        found = doc.problems
        assert found, "expected a problem"
    return [(d.location.line, d.location.column, d.code, d.message) for d in found]


def codes_at(text: str) -> list[tuple[int, int, str]]:
    return [(line, col, code) for line, col, code, _ in problems(text)]


def test_positions_of_keys_items_and_scalars() -> None:
    doc = parse_inventory_text(
        "a:\n  b: [x, {c: 1}]\n  d: text\n", "inv.yaml", sha256="0" * 64
    )
    assert doc.data == {"a": {"b": ["x", {"c": 1}], "d": "text"}}
    assert doc.positions[("a",)] == (1, 1)
    assert doc.positions[("a", "b")] == (2, 3)  # the key, not its value
    assert doc.positions[("a", "b", 1)] == (2, 10)
    assert doc.positions[("a", "b", 1, "c")] == (2, 11)
    assert doc.plain_scalars[("a", "d")] == "text"
    assert doc.sha256 == "0" * 64


def test_locate_falls_back_to_the_nearest_ancestor() -> None:
    doc = parse_inventory_text("a:\n  b: 1\n", "inv.yaml")
    assert doc.locate(("a", "missing", 3)) == Location("inv.yaml", 1, 1)
    assert doc.locate(("nothing",)) == Location("inv.yaml", 1, 1)


def test_syntax_error_carries_line_and_column() -> None:
    assert codes_at("a:\n  b: [1, 2\nc: 3\n") == [(3, 2, "yaml-syntax")]


def test_tab_indentation_is_a_located_syntax_error() -> None:
    ((line, _col, code, message),) = problems("a:\n\tb: 1\n")
    assert (line, code) == (2, "yaml-syntax")
    assert "\t" not in message


def test_duplicate_keys_are_errors_at_the_second_key() -> None:
    ((line, col, code, message),) = problems("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert (line, col, code) == (4, 3, "duplicate-key")
    assert "first on line 3" in message


def test_duplicate_keys_are_all_reported() -> None:
    assert codes_at("a: 1\na: 2\nb: {x: 1, x: 2}\n") == [
        (2, 1, "duplicate-key"),
        (3, 11, "duplicate-key"),
    ]


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("on", "a boolean"),
        ("yes", "a boolean"),
        ("1", "a number"),
        ("0.5", "a number"),
        ("~", "empty (null)"),
        ("2020-01-01", "a date"),
    ],
)
def test_keys_yaml_does_not_read_as_text(key: str, kind: str) -> None:
    ((line, col, code, message),) = problems(f"a:\n  {key}: x\n")
    assert (line, col, code) == (2, 3, "key-not-text")
    assert kind in message


def test_empty_and_complex_keys() -> None:
    assert codes_at("a:\n  ?\n  : x\n") == [(2, 4, "key-not-text")]
    assert codes_at("? [a, b]\n: x\n") == [(1, 3, "key-not-text")]


def test_quoted_keys_are_text() -> None:
    doc = parse_inventory_text("'on': x\n'1': y\n", "inv.yaml")
    assert doc.data == {"on": "x", "1": "y"}


def test_merge_keys_are_allowed() -> None:
    doc = parse_inventory_text(
        "base: &b {type: isolated}\nhost:\n  <<: *b\n  name: Web\n", "inv.yaml"
    )
    assert doc.data["host"] == {"type": "isolated", "name": "Web"}


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("2020-13-45", "a date"),
        ("0x_", "a number"),
        ("!!float abc", "a number"),
        ("!!int nope", "a number"),
        ("!!bool maybe", "a boolean"),
    ],
)
def test_values_yaml_cannot_construct_are_located(value: str, kind: str) -> None:
    ((line, col, code, message),) = problems(f"a:\n  b: {value}\n")
    assert (line, col, code) == (2, 6, "yaml-value")
    assert kind in message


@pytest.mark.parametrize(
    "value",
    [
        "!!set {a, b}",
        "!!omap [a: 1]",
        "!!binary aGk=",
        "!custom x",
        "!!python/tuple [1]",
    ],
)
def test_tags_are_refused(value: str) -> None:
    assert codes_at(f"a:\n  b: {value}\n") == [(2, 6, "yaml-tag")]


def test_recursive_alias_is_an_error_not_a_recursion() -> None:
    assert codes_at("a: &x [1, *x]\n") == [(1, 4, "recursive-alias")]
    assert codes_at("a: &x {b: *x}\n") == [(1, 8, "recursive-alias")]


def test_plain_aliases_work() -> None:
    doc = parse_inventory_text("a: &x [1, 2]\nb: *x\n", "inv.yaml")
    assert doc.data == {"a": [1, 2], "b": [1, 2]}


def test_alias_bomb_stops_at_the_node_budget() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    found = problems("\n".join(lines) + "\n")
    assert [code for _, _, code, _ in found] == ["too-large"]
    assert str(MAX_NODES) in found[0][3]


def test_deep_nesting_is_located_where_it_passes_the_limit() -> None:
    # The 64th bracket is the 65th collection (the top mapping is the first),
    # whether composing the nodes ran out of recursion (5,000 levels) or not;
    # below b: (a mapping inside the top one) it is the 63rd.
    assert codes_at("a: " + "[" * 5000 + "\n") == [(1, 3 + 64, "too-deep")]
    assert codes_at("a:\n  b: " + "[" * 100 + "]" * 100 + "\n") == [
        (2, 6 + 62, "too-deep")
    ]
    flow = "a:\n  b: " + "{x: " * 100 + "}" * 100 + "\n"
    assert codes_at(flow) == [(2, 6 + 4 * 62, "too-deep")]
    ((*_, message),) = problems(flow)
    assert str(MAX_DEPTH) in message


@pytest.mark.parametrize("char", ["\x07", "\x00", "\ufffe"])
def test_characters_yaml_refuses_are_located(char: str) -> None:
    ((line, col, code, message),) = problems(f"a: 1\nb: x{char}y\n")
    assert (line, col, code) == (2, 5, "yaml-syntax")
    assert f"U+{ord(char):04X}" in message


def test_more_than_one_document_is_an_error() -> None:
    assert codes_at("a: 1\n---\nb: 2\n") == [(2, 1, "yaml-syntax")]


def test_undefined_alias_is_located() -> None:
    assert codes_at("a: 1\nb: *nope\n") == [(2, 4, "yaml-syntax")]


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n"])
def test_empty_inventory(text: str) -> None:
    assert codes_at(text) == [(1, 1, "empty")]


def test_messages_are_single_lines() -> None:
    for text in ["a: 'x\n", "a:\n\tb\n", "a: b: c\n", "? [a]\n: b\n"]:
        for _, _, _, message in problems(text):
            assert "\n" not in message


def test_load_reads_utf8_with_or_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: Z\xc3\xbcrich\n")
    doc = load_inventory(path)
    assert doc.data == {"name": "Zürich"}
    assert len(doc.sha256) == 64


def test_load_refuses_other_encodings(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_bytes("name: Zürich\n".encode("latin-1"))
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    assert [d.code for d in caught.value.diagnostics] == ["encoding"]


def test_load_reports_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(tmp_path / "missing.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "unreadable"
    assert diagnostic.location.file.endswith("missing.yaml")


def test_duplicate_keys_are_reported_with_every_other_problem() -> None:
    from generator.inventory.validation import parse_inventory

    doc = parse_inventory_text(
        "schema: drgen/v1\ngroup:\n  name: G\n  name: H\n  biztalk_version: '2099'\n",
        "inv.yaml",
    )
    with pytest.raises(InventoryError) as caught:
        parse_inventory(doc)
    codes = {(d.location.line, d.code) for d in caught.value.diagnostics}
    assert (4, "duplicate-key") in codes
    assert (5, "invalid-value") in codes
    assert (1, "missing-key") in codes


# --- libyaml and the pure-Python parser agree ----------------------------------


def _documents() -> list[tuple[str, str]]:
    from bench.synthetic import synthetic_inventory

    files = sorted(INVENTORIES.glob("*.yaml"))
    files += sorted((DATA / "inventories").rglob("*.yaml"))
    texts = [
        (p.name, p.read_text(encoding="utf-8", errors="surrogatepass")) for p in files
    ]
    return [*texts, ("synthetic-200.yaml", synthetic_inventory(200))]


def _outcome(text: str) -> object:
    try:
        doc = parse_inventory_text(text, "inv.yaml", sha256="0" * 64)
    except InventoryError as exc:
        return ("error", [d.format() for d in exc.diagnostics])
    return (doc.data, doc.positions, doc.plain_scalars, doc.problems)


@pytest.mark.parametrize(("name", "text"), _documents(), ids=lambda v: v[:40])
def test_the_fast_parser_gives_what_the_pure_parser_gives(
    monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> None:
    import yaml

    import generator.inventory.load as inventory

    assert inventory._FAST_LOADER is getattr(yaml, "CSafeLoader", None)
    fast = _outcome(text)
    monkeypatch.setattr(inventory, "_FAST_LOADER", None)
    assert fast == _outcome(text), name


def test_a_syntax_error_is_worded_by_the_pure_parser() -> None:
    # libyaml calls a lone surrogate escape a syntax error at the escape; the
    # pure-Python parser reads it and the control-character rule reports it
    # at the key, as the fixtures expect.
    doc = parse_inventory_text('name: "Biz\\ud800Talk"\n', "inv.yaml")
    assert doc.data == {"name": "Biz\ud800Talk"}
