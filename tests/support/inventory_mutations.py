"""Hypothesis strategies that mutate the example inventories: structural edits
(deleted, replaced, renamed, duplicated keys), edited lines, arbitrary free text and
random YAML."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import strategies as st

from generator.inventory.model import DB_PATTERN
from tests.support.paths import EXAMPLES, INVENTORIES

TEXTS = {stem: (INVENTORIES / f"{stem}.yaml").read_text("utf-8") for stem in EXAMPLES}


DATA = {stem: yaml.safe_load(text) for stem, text in TEXTS.items()}


# Values an admin might plausibly (mis)type, YAML 1.1 surprises included.
TRICKY = [
    "no",
    "on",
    "yes",
    "off",
    "0123",
    "1:20",
    "2020-01-01",
    "~",
    "",
    " ",
    "null",
    "SQLPROD01\\BTS",
    "SQLPROD01,1433",
    "SQLPROD01,0",
    "CONTOSO\\svc$",
    "CONTOSO\\",
    "DRserver1",
    "server1",
    "Send",
    "iis",
    "rules_engine",
    "sso_master_secret",
    "update_databases",
    "bam_alerts",
    "isolated",
    "2016",
    "2013R2",
    "drgen/v1",
    "password",
    "x" * 81,
    "a'b\"c<d>&e$f`g",
    "line\nbreak",
    "tab\there",
    "\u2028",
    "\ufeffbom",
    "Zürich",
    # Names Windows cannot hold, names drgen uses itself, invisible characters.
    "CON",
    "nul.txt",
    "Com1",
    "DR-West.",
    "manifest.json",
    "logs",
    "State",
    "\u202eevil",
    "a\u2066b",
    "Send\u200b",
]


# YAML constructs an inventory has no use for, spliced into lines.
YAML_TOKENS = [
    "!!bool maybe",
    "!!int x",
    "!!float abc",
    "!!set {a}",
    "!!binary zz",
    "!!python/object:os.system x",
    "!custom x",
    "&a [*a]",
    "&b {k: *b}",
    "*undefined",
    "<<: {x: 1}",
    "? [a]",
    "---",
    "...",
    "%YAML 1.1",
    "|",
    ">-",
    '"\\ud800"',
    '"\\x85"',
    "0x_",
    "2020-13-45",
    "1_000",
    ".inf",
    "{a: 1, a: 2}",
    # The commonest slips: a backslash in double quotes, nesting gone wild.
    '"SQLPROD01\\BTS"',
    "[" * 70 + "x" + "]" * 70,
    "[" * 400,
]


scalars = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=20),
    st.integers(min_value=-(10**6), max_value=10**20),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)


values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["name", "server", "x", "roles"]), inner),
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, item in node.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += _paths(item, (*prefix, index))
    return found


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


# Free-text values that reach scripts and XML: most mutations here stay valid, so
# the templates' escaping meets arbitrary text.
FREE_TEXT = {
    "example": [
        ("group", "name"),
        ("group", "hosts", 0, "windows_group"),
        ("group", "databases", "tracking", "name"),
    ],
    "consolidated": [
        ("group", "name"),
        ("group", "hosts", 4, "windows_group"),
        ("group", "databases", "other", 0, "label"),
        ("group", "databases", "bam", "archive", "name"),
    ],
}


@st.composite
def relabelled(draw: st.DrawFn) -> str:
    """An example inventory whose free-text values are arbitrary text."""
    stem = draw(st.sampled_from(EXAMPLES))
    data = copy.deepcopy(DATA[stem])
    for path in draw(st.lists(st.sampled_from(FREE_TEXT[stem]), min_size=1)):
        text = draw(st.text(min_size=1, max_size=40))
        if path[-1] == "name":  # a database name has its own pattern
            text = draw(st.from_regex(DB_PATTERN, fullmatch=True))
        _parent(data, path)[path[-1]] = text
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@st.composite
def mutated_data(draw: st.DrawFn) -> str:
    """An example inventory with one to three structural mutations, as YAML."""
    data = copy.deepcopy(DATA[draw(st.sampled_from(EXAMPLES))])
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(data, path), path[-1]
        action = draw(st.sampled_from(["delete", "replace", "rename", "duplicate"]))
        if action == "delete":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(values)
        elif action == "rename" and isinstance(parent, dict):
            new = draw(st.one_of(st.sampled_from(TRICKY), st.text(max_size=12)))
            parent[new] = parent.pop(last)
        elif action == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        else:
            parent[last] = draw(values)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    """An example inventory with edited lines: deleted, repeated, re-indented, typed."""
    lines = TEXTS[draw(st.sampled_from(EXAMPLES))].splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(
            st.sampled_from(["delete", "repeat", "indent", "dedent", "value", "insert"])
        )
        line = lines[index]
        if action == "delete" and len(lines) > 1:
            del lines[index]
        elif action == "repeat":
            lines.insert(index, line)
        elif action == "indent":
            lines[index] = "  " + line
        elif action == "dedent":
            lines[index] = line[2:] if line.startswith("  ") else line
        elif action == "value" and ": " in line:
            key = line.split(": ", 1)[0]
            lines[index] = f"{key}: {draw(st.sampled_from(TRICKY))}\n"
        else:
            junk = draw(
                st.one_of(
                    st.sampled_from(YAML_TOKENS),
                    st.text(
                        alphabet=st.sampled_from(list("abc:-[]{},#&*!|>'\"%@` \t\n\\")),
                        max_size=12,
                    ),
                )
            )
            cut = draw(st.integers(0, len(line)))
            lines[index] = line[:cut] + junk + line[cut:]
    return "".join(lines)


random_yaml = st.one_of(
    st.text(max_size=200),
    values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
    st.builds(
        lambda head, tail: head + tail,
        st.sampled_from(["schema: drgen/v1\n", "group:\n  name: ", "dr: [", "- "]),
        st.text(max_size=60),
    ),
)
