"""The pydantic model: names, YAML 1.1 hints, unknown and missing keys, the schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pydantic
import pytest

from generator.errors import Diagnostic, InventoryError
from generator.inventory.load import load_inventory, parse_inventory_text
from generator.inventory.model import (
    DEFAULT_CAPACITY_RATIO,
    SCHEMA_FILE,
    Inventory,
    json_schema,
    schema_text,
)
from generator.inventory.validation import parse_inventory
from tests.support.golden import REGEN, stale
from tests.support.paths import EXAMPLES, INVENTORIES, ROOT

SCHEMA_PATH = ROOT / "schema" / SCHEMA_FILE
MODELINE = "# yaml-language-server: $schema=../schema/drgen-v1.schema.json\n"


def diagnostics(text: str) -> list[Diagnostic]:
    with pytest.raises(InventoryError) as caught:
        parse_inventory(parse_inventory_text(text, "inv.yaml"))
    return sorted(caught.value.diagnostics, key=Diagnostic.sort_key)


def only(text: str) -> Diagnostic:
    (found,) = diagnostics(text)
    return found


def at(found: Diagnostic) -> tuple[int, int, str]:
    return (found.location.line, found.location.column, found.code)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# --- the model --------------------------------------------------------------


@pytest.mark.parametrize("stem", EXAMPLES)
def test_examples_are_valid(stem: str) -> None:
    inventory = parse_inventory(load_inventory(INVENTORIES / f"{stem}.yaml"))
    assert inventory.schema_id == "drgen/v1"
    assert inventory.dr.capacity_warning_ratio == DEFAULT_CAPACITY_RATIO
    assert inventory.dr.not_mirrored == ()


def test_model_is_frozen(example_text: str) -> None:
    inventory = parse_inventory(parse_inventory_text(example_text, "inv.yaml"))
    with pytest.raises(pydantic.ValidationError):
        inventory.group.name = "changed"  # type: ignore[misc]


def test_schema_version_is_required(example_text: str) -> None:
    text = replaced(example_text, "schema: drgen/v1\n", "")
    # The parent is the document mapping, which starts at its first key.
    assert at(only(text)) == (line_of(text, "group:"), 1, "missing-key")
    found = only(replaced(example_text, "schema: drgen/v1", "schema: drgen/v2"))
    assert found.code == "invalid-value"
    assert "'drgen/v1'" in found.message


def test_unquoted_version_number_is_accepted(example_text: str) -> None:
    text = replaced(example_text, 'biztalk_version: "2020"', "biztalk_version: 2020")
    inventory = parse_inventory(parse_inventory_text(text, "inv.yaml"))
    assert inventory.group.biztalk_version == "2020"


def test_not_mirrored_and_capacity_ratio_are_read(example_text: str) -> None:
    text = replaced(
        example_text,
        "  join_mode: production\n",
        "  join_mode: production\n  capacity_warning_ratio: 2\n"
        "  not_mirrored:\n    - {server: server3, reason: 'batch only, moves to DR'}\n",
    )
    inventory = parse_inventory(parse_inventory_text(text, "inv.yaml"))
    assert inventory.dr.capacity_warning_ratio == 2.0
    assert inventory.dr.not_mirrored[0].server == "server3"
    assert inventory.dr.not_mirrored[0].reason == "batch only, moves to DR"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("1", True),
        ("1.0", True),
        ("2.75", True),
        ("100", True),
        ("0.99", False),
        ("101", False),
        ("true", False),
        ("'2'", False),
        (".inf", False),
        (".nan", False),
    ],
)
def test_capacity_warning_ratio_bounds(
    example_text: str, value: str, accepted: bool
) -> None:
    text = replaced(
        example_text,
        "  join_mode: production\n",
        f"  join_mode: production\n  capacity_warning_ratio: {value}\n",
    )
    if accepted:
        parse_inventory(parse_inventory_text(text, "inv.yaml"))
    else:
        found = only(text)
        assert (found.code, found.location.line) == ("invalid-value", 43)


@pytest.mark.parametrize("reason", ['""', '"   "', "x" * 501])
def test_not_mirrored_needs_a_reason(example_text: str, reason: str) -> None:
    text = replaced(
        example_text,
        "  join_mode: production\n",
        f"  join_mode: production\n  not_mirrored:\n"
        f"    - {{server: server3, reason: {reason}}}\n",
    )
    found = only(text)
    assert found.code == "invalid-value"
    assert "dr.not_mirrored[0].reason" in found.message


# --- names ------------------------------------------------------------------

NAME_CASES = [
    # (old text in example.yaml, template with {}, valid values, invalid values, code)
    (
        "{name: DRserver2,",
        "{{name: '{}',",
        ["A", "dr-2", "DRSERVER0123456", "1a"],
        ["", "12345", "DRSERVER01234567", "dr_2", "dr 2", "dr.2", "dr$"],
        "invalid-computer-name",
    ),
    (
        "    - name: Receive\n",
        "    - name: '{}'\n",
        ["R", "Receive_Host-2.a", "H" * 80],
        ["", "H" * 81, "Receive Host", "Receive$", "Réception", "a/b", "a\\b"],
        "invalid-host-name",
    ),
    (
        "    tracking: {server: SQLPROD01,",
        "    tracking: {{server: '{}',",
        [
            "SQLPROD01",
            "SQLPROD01\\BTS",
            "SQLPROD01,1433",
            "sql01.contoso.com\\BTS_2",
            "SQLPROD01,65535",
        ],
        [
            "",
            "SQLPROD01\\",
            "SQLPROD01,0",
            "SQLPROD01,65536",
            "SQLPROD01/BTS",
            "SQL PROD01",
            "SQLPROD01\\BTS,1433",
            "SQLPROD01\\INSTANCE-NAME-TOO-LONG",
            ".\\BTS",
        ],
        "invalid-sql-instance",
    ),
    (
        "      account: CONTOSO\\svc-bts-send\n",
        "      account: '{}'\n",
        ["CONTOSO\\svc-bts-send", "contoso.com\\svc", "C\\user name"],
        [
            "svc-bts-send",
            "CONTOSO\\",
            "\\svc",
            "CONTOSO\\a/b",
            "CONTOSO\\a@b",
            "A\\B\\C",
        ],
        "invalid-account",
    ),
    (
        "    tracking: {server: SQLPROD01, name: BizTalkDTADb}",
        "    tracking: {{server: SQLPROD01, name: '{}'}}",
        ["BizTalkDTADb", "My DB$1", "_x"],
        ["", " x", "a/b", "a;b", "x" * 129],
        "invalid-database-name",
    ),
    (
        "  site: DR-West\n",
        "  site: '{}'\n",
        ["DR-West", "dr.west_2"],
        ["", ".hidden", "DR West", "DR/West", "x" * 65],
        "invalid-site-name",
    ),
]


@pytest.mark.parametrize(
    ("old", "template", "value", "code"),
    [
        pytest.param(old, template, value, code, id=f"{code}-ok-{value[:20]}")
        for old, template, good, _, code in NAME_CASES
        for value in good
    ],
)
def test_valid_names(
    example_text: str, old: str, template: str, value: str, code: str
) -> None:
    text = replaced(example_text, old, template.format(value))
    parse_inventory(parse_inventory_text(text, "inv.yaml"))


@pytest.mark.parametrize(
    ("old", "template", "value", "code"),
    [
        pytest.param(old, template, value, code, id=f"{code}-bad-{value[:20]}")
        for old, template, _, bad, code in NAME_CASES
        for value in bad
    ],
)
def test_invalid_names_have_their_code_and_place(
    example_text: str, old: str, template: str, value: str, code: str
) -> None:
    text = replaced(example_text, old, template.format(value))
    found = only(text)
    assert found.code == code
    assert found.location.line == line_of(text, template.format(value).strip())
    assert f"'{value[:50]}" in found.message


# --- YAML 1.1 surprises -------------------------------------------------------


@pytest.mark.parametrize(
    ("spelled", "hint"),
    [
        ("no", "YAML reads unquoted no as a boolean; quote it: 'no'"),
        ("on", "YAML reads unquoted on as a boolean; quote it: 'on'"),
        ("yes", "YAML reads unquoted yes as a boolean; quote it: 'yes'"),
        ("OFF", "YAML reads unquoted OFF as a boolean; quote it: 'OFF'"),
        ("0123", "YAML reads unquoted 0123 as the octal number 83; quote it: '0123'"),
        ("1:20", "YAML reads unquoted 1:20 as the base-60 number 80; quote it: '1:20'"),
        (
            "2020-01-01",
            "YAML reads unquoted 2020-01-01 as the date 2020-01-01; quote it",
        ),
        ("12.5", "YAML reads unquoted 12.5 as the number 12.5; quote it"),
    ],
)
def test_yaml_11_surprises_get_a_quote_it_hint(
    example_text: str, spelled: str, hint: str
) -> None:
    text = replaced(
        example_text,
        "master_secret_server: SSOPROD01",
        f"master_secret_server: {spelled}",
    )
    found = only(text)
    assert at(found) == (17, 5, "invalid-value")
    assert "expected text" in found.message
    assert found.hint == hint


def test_quoted_yaml_11_words_are_text(example_text: str) -> None:
    text = replaced(example_text, "name: BizTalk Group", "name: 'no'")
    inventory = parse_inventory(parse_inventory_text(text, "inv.yaml"))
    assert inventory.group.name == "no"


def test_an_empty_value_says_so(example_text: str) -> None:
    found = only(replaced(example_text, "name: BizTalk Group", "name:"))
    assert "got nothing (an empty value)" in found.message
    assert found.hint == "write a value, or remove the key"


def test_a_number_where_a_number_belongs_gets_no_quote_hint(example_text: str) -> None:
    text = replaced(
        example_text,
        "  join_mode: production\n",
        "  join_mode: production\n  capacity_warning_ratio: 0.5\n",
    )
    found = only(text)
    assert (
        found.message
        == "dr.capacity_warning_ratio: must be at least 1.0, not the number 0.5"
    )
    assert found.hint is None


def test_a_wrong_choice_gets_did_you_mean(example_text: str) -> None:
    found = only(
        replaced(example_text, "roles: [rules_engine]", "roles: [rule_engine]")
    )
    assert found.message.startswith(
        "dr.servers[1].roles[0]: must be 'sso_master_secret'"
    )
    assert found.hint == "did you mean 'rules_engine'?"


def test_wrong_shapes_say_what_was_expected(example_text: str) -> None:
    text = replaced(
        example_text,
        "  hosts:\n    - name: Send",
        "  hosts: Send\n  x:\n    - name: Send",
    )
    messages = [d.message for d in diagnostics(text)]
    assert "group.hosts: expected a list, got 'Send'" in messages
    found = only(
        replaced(
            example_text,
            "  sso:\n    master_secret_server: SSOPROD01\n",
            "  sso: [SSOPROD01]\n",
        )
    )
    assert found.message == "group.sso: expected a mapping (key: value), got a list"


# --- unknown and missing keys -------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "where", "hint"),
    [
        ("  sso:\n", "  ssso:\n", (16, 3), "did you mean 'sso'?"),
        ("  join_mode:", "  joinmode:", (42, 3), "did you mean 'join_mode'?"),
        (
            "{name: DRserver3, mirrors:",
            "{name: DRserver3, mirror:",
            (48, 25),
            "did you mean 'mirrors'?",
        ),
        ("      gmsa: true\n", "      gMSA: true\n", (34, 7), "did you mean 'gmsa'?"),
        (
            "schema: drgen/v1\n",
            "schema: drgen/v1\nzzz: 1\n",
            (6, 1),
            "allowed here: schema, group, production, dr",
        ),
    ],
)
def test_unknown_keys_get_a_hint(
    example_text: str, old: str, new: str, where: tuple[int, int], hint: str
) -> None:
    found = only(replaced(example_text, old, new))
    assert (found.location.line, found.location.column) == where
    assert found.code == "unknown-key"
    assert found.hint == hint


def test_a_misspelt_required_key_is_reported_once(example_text: str) -> None:
    found = only(replaced(example_text, "  sso:\n", "  ssso:\n"))
    assert found.message == "group: unknown key 'ssso'"


def test_a_missing_key_points_at_its_parent_mapping(example_text: str) -> None:
    text = replaced(
        example_text, "    tracking: {server: SQLPROD01, name: BizTalkDTADb}\n", ""
    )
    found = only(text)
    assert at(found) == (line_of(text, "  databases:"), 3, "missing-key")
    assert found.message == "group.databases: required key 'tracking' is missing"
    text = replaced(
        example_text,
        "{name: server2, host_instances: [Receive]}",
        "{host_instances: [Receive]}",
    )
    found = only(text)
    assert at(found) == (38, 7, "missing-key")
    assert found.message == "production.servers[1]: required key 'name' is missing"


def test_every_problem_is_reported_at_once_and_sorted(example_text: str) -> None:
    text = example_text
    for old, new in [
        ("name: BizTalk Group", "name: no"),
        ("  ssso:", "  ssso:"),
        ("account: CONTOSO\\svc-bts-recv", "account: svc-bts-recv"),
        ("{name: DRserver3,", "{name: 'DR server3',"),
        ("  site: DR-West", "  site: DR-West\n  sites: x"),
    ]:
        text = text.replace(old, new)
    found = diagnostics(text)
    assert [d.code for d in found] == [
        "invalid-value",
        "invalid-account",
        "unknown-key",
        "invalid-computer-name",
    ]
    assert [d.location.line for d in found] == sorted(d.location.line for d in found)


def test_not_a_mapping() -> None:
    found = only("- a\n- b\n")
    assert at(found) == (1, 1, "not-a-mapping")
    assert found.message.endswith("not a list")


# --- secrets and control characters -------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "sso_password",
        "Pwd",
        "secret",
        "bre_credential",
        "api_token",
        "private_key",
        "passphrase",
    ],
)
def test_secret_looking_keys_are_refused_anywhere(example_text: str, key: str) -> None:
    for old in ("  accounts:\n", "dr:\n", "    - name: Send\n"):
        indent = " " * (len(old) - len(old.lstrip()) + 2)
        if old.strip().startswith("-"):
            indent = " " * 6
        text = replaced(example_text, old, f"{old}{indent}{key}: hunter2\n")
        found = only(text)
        assert found.code == "secret-in-inventory"
        assert found.location.line == line_of(text, f"{key}: hunter2")
        assert "hunter2" not in found.message
        assert "prompted on the DR server" in (found.hint or "")


def test_schema_keys_that_look_secret_are_fine(example_text: str) -> None:
    assert "master_secret_server" in example_text
    parse_inventory(parse_inventory_text(example_text, "inv.yaml"))


@pytest.mark.parametrize(
    "escaped",
    [
        "\\t",
        "\\n",
        "\\r",
        "\\x00",
        "\\x1b",
        "\\x7f",
        "\\x85",
        "\\x9b",
        "\\u2028",
        "\\ud800",
        "\\uffff",
    ],
)
def test_control_characters_are_refused(example_text: str, escaped: str) -> None:
    text = replaced(
        example_text, "name: BizTalk Group", f'name: "BizTalk{escaped}Group"'
    )
    found = only(text)
    assert at(found) == (7, 3, "control-character")
    assert found.message.isprintable()


def test_diagnostics_print_on_one_line_whatever_the_value(example_text: str) -> None:
    text = replaced(example_text, "{name: DRserver3,", '{name: "DR\\rserver\\u2028",')
    for found in diagnostics(text):
        assert found.message.isprintable(), found.message
        assert "\n" not in found.format().split("\n  hint:")[0]


# --- the JSON Schema --------------------------------------------------------


def test_committed_schema_matches_the_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(json_schema()), stale(
        f"schema/{SCHEMA_FILE}"
    )


def test_schema_is_the_pydantic_schema_by_alias() -> None:
    schema = json.loads(schema_text(json_schema()))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {k: v for k, v in schema.items() if k != "$schema"} == (
        Inventory.model_json_schema(by_alias=True)
    )
    assert schema == json_schema()
    assert schema["required"] == ["schema", "group", "production", "dr"]
    assert schema["additionalProperties"] is False
    dr = schema["$defs"]["DrSite"]["properties"]
    assert dr["capacity_warning_ratio"]["default"] == DEFAULT_CAPACITY_RATIO
    assert dr["not_mirrored"]["items"] == {"$ref": "#/$defs/NotMirrored"}


def test_schema_patterns_agree_with_the_validators() -> None:
    """Every pattern in the schema compiles in Python and is anchored."""
    patterns = re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', schema_text(json_schema()))
    assert len(set(patterns)) >= 6
    for pattern in patterns:
        compiled = re.compile(json.loads(f'"{pattern}"'))
        assert compiled.pattern.startswith("^") or compiled.pattern == r"\S"


@pytest.mark.parametrize(
    "path", sorted(INVENTORIES.glob("*.yaml")), ids=lambda p: p.name
)
def test_every_example_names_the_schema_on_its_first_line(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines(keepends=True)[0]
    assert first == MODELINE
    target = (path.parent / MODELINE.split("$schema=", 1)[1].strip()).resolve()
    assert target == SCHEMA_PATH.resolve()


def test_schema_command_prints_the_committed_schema(runner) -> None:
    from generator.cli.app import app

    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.stdout == SCHEMA_PATH.read_text(encoding="utf-8"), stale(
        f"schema/{SCHEMA_FILE}"
    )


def test_a_stale_schema_fails_naming_regen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner
) -> None:
    """Counter-test: both comparisons with the committed schema fail on a stale
    copy, and say which command rewrites it."""
    stale_copy = tmp_path / SCHEMA_FILE
    stale_copy.write_text(SCHEMA_PATH.read_text(encoding="utf-8") + "\n", "utf-8")
    monkeypatch.setattr(f"{__name__}.SCHEMA_PATH", stale_copy)
    with pytest.raises(AssertionError, match=re.escape(REGEN)):
        test_committed_schema_matches_the_model()
    with pytest.raises(AssertionError, match=re.escape(REGEN)):
        test_schema_command_prints_the_committed_schema(runner)


@pytest.mark.parametrize(
    ("anchor", "line"),
    [
        ("    SQLPROD01: SQLDR01\n", "    password: Hunter2-S3cr3t!\n"),
        ("group:\n", "  credentials:\n    sso: Hunter2-S3cr3t!\n"),
        ("  accounts:\n", "    sso_password: [Hunter2-S3cr3t!]\n"),
    ],
)
def test_nothing_below_a_secret_key_is_echoed(
    example_text: str, anchor: str, line: str
) -> None:
    text = replaced(example_text, anchor, anchor + line)
    found = only(text)
    assert found.code == "secret-in-inventory"
    assert "Hunter2" not in found.format()
