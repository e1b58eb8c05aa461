"""The catalogue: its invariants, and every name a rendered file uses, checked.

Every name a generated script or XML file relies on being spelled exactly so on a
BizTalk server comes from ``generator.catalogue.CATALOGUE``. These tests check the
catalogue itself (a), read every rendered script through the tree-sitter-pwsh parse
tree and check each name it uses against the catalogue (b), check every element,
attribute and answer value of the rendered XML files (c), render with a poisoned
catalogue to prove the templates take names from ``n[...]`` and spell none
themselves (d), and check ``drgen facts`` (e).

What the script checks read: CODE only. Comments, including the comment-based help
block (``<# .SYNOPSIS ... #>``) and any signature block, are ``comment`` nodes of the
parse tree, so no string literal, member name or command inside them is ever seen
(``test_help_and_comments_are_comment_nodes`` pins that down).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
from tree_sitter import Node
from typer.testing import CliRunner

from generator.api import plan as plan_inventories
from generator.bundle.build import render_unsigned
from generator.catalogue import CATALOGUE, PROBE_METHODS, Catalogue, Confidence, Kind
from generator.cli.app import app
from generator.defaults import DEFAULT_TEMPLATES
from generator.plan import databases, discovery_reads
from generator.plan import servers as server_plan
from generator.plan import site as plan_module
from generator.plan.labprobe import probe_items
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact, encode_text
from generator.render.environment import make_environment
from tests import pwsh_oracle as ps
from tests.conftest import EXAMPLES, INVENTORIES
from tests.pwsh_oracle import node_text as _text
from tests.pwsh_oracle import walk as _walk

VERSIONS = ("2013R2", "2016", "2020")

# ------------------------------------------------------------------ parse-tree helpers


def _key(node: Node) -> tuple[int, int, str]:
    return (node.start_byte, node.end_byte, node.type)


def _line(node: Node) -> int:
    return node.start_point[0] + 1


def _string_value(literal: Node) -> str:
    """The contents of a ``string_literal`` node; single quotes un-doubled."""
    inner = literal.children[0] if literal.children else literal
    text = _text(inner)
    if inner.type == "verbatim_string_characters":
        return text[1:-1].replace("''", "'")
    if inner.type in {
        "verbatim_here_string_characters",
        "expandable_here_string_literal",
    }:
        return text[2:-2].strip("\r\n")
    return text[1:-1]  # "...": raw contents, escapes and $variables as written


# Nodes a value passes through unchanged on its way to where it is used:
# 'a', @('a', 'b'), @( 'a' <newline> 'b' ), $x = 'a'. A literal inside
# (...), a -f format or a + concatenation is not itself the value.
_TRANSPARENT = frozenset(
    {
        "unary_expression",
        "array_expression",
        "statement_list",
        "pipeline",
        "pipeline_chain",
        "array_literal_expression",
        "assignment_value",
    }
)


def _direct_literals(node: Node) -> list[Node]:
    """String literals that are the value of ``node`` (alone or as array elements)."""
    if node.type == "string_literal":
        return [node]
    if node.type not in _TRANSPARENT:
        return []
    return [lit for child in node.children for lit in _direct_literals(child)]


def _all_literals(node: Node) -> list[Node]:
    return [n for n in _walk(node) if n.type == "string_literal"]


def _scope(node: Node) -> Node:
    """The function a node is in, or the whole script."""
    current = node.parent
    while current is not None:
        if current.type == "function_statement" or current.parent is None:
            return current
        current = current.parent
    return node


def _assignments(root: Node) -> Iterator[tuple[str, Node, Node]]:
    """Every ``$var = ...`` / ``$var += ...``: (lower-case variable, value, node)."""
    for node in _walk(root):
        if node.type != "assignment_expression":
            continue
        value = node.child_by_field_name("value")
        if value is None or not node.children:
            continue
        yield _text(node.children[0]).strip().lower(), value, node


def _bound_values(variable: Node) -> list[Node]:
    """The expressions a variable can hold where it is used.

    Inside ``foreach ($v in <collection>) { ... }`` the loop's collection;
    otherwise every value assigned (``=`` or ``+=``) to it in the same function, or
    at script level when the function assigns none.
    """
    name = _text(variable).lower()
    current = variable.parent
    while current is not None:
        if current.type == "foreach_statement":
            loop_variable = next(
                (c for c in current.children if c.type == "variable"), None
            )
            body = next(
                (c for c in current.children if c.type == "statement_block"), None
            )
            if (
                loop_variable is not None
                and body is not None
                and _text(loop_variable).lower() == name
                and body.start_byte <= variable.start_byte < body.end_byte
            ):
                return [c for c in current.children if c.type == "pipeline"]
        current = current.parent
    scope = _scope(variable)
    root = scope
    while root.parent is not None:
        root = root.parent
    for where in (scope, root):
        found = [
            value
            for var, value, node in _assignments(where)
            if var == name and _key(_scope(node)) == _key(where)
        ]
        if found:
            return found
    return []


def _values(argument: Node) -> list[Node]:
    """What an argument passes: itself, or what its variable was given."""
    inner = argument
    while inner.type == "unary_expression" and inner.named_child_count == 1:
        inner = inner.named_children[0]
    return _bound_values(inner) if inner.type == "variable" else [argument]


def _value_literals(argument: Node) -> list[Node]:
    """The literals that are the argument's value (or its variable's)."""
    return [lit for value in _values(argument) for lit in _direct_literals(value)]


@dataclass(frozen=True)
class CommandCall:
    name: str  # lower case; '' for `& $tool`
    invocation: str  # '&', '.' or ''
    arguments: tuple[tuple[str, Node], ...]  # (lower-case -Parameter or '', value)


def _command_calls(root: Node) -> Iterator[CommandCall]:
    for node in _walk(root):
        if node.type != "command":
            continue
        name_node = node.child_by_field_name("command_name")
        elements = node.child_by_field_name("command_elements")
        invocation = next(
            (
                _text(c)
                for c in node.children
                if c.type == "command_invocation_operator"
            ),
            "",
        )
        name = _text(name_node).lower() if name_node is not None else ""
        if invocation:
            name = ""
        pairs: list[tuple[str, Node]] = []
        pending = ""
        for element in elements.named_children if elements is not None else []:
            if element.type in {"comment", "command_argument_sep"}:
                continue
            if element.type == "command_parameter":
                pending = _text(element).lower().rstrip(":")
                continue
            pairs.append((pending, element))
            pending = ""
        yield CommandCall(name, invocation, tuple(pairs))


# ------------------------------------------------------------- names a script uses

_WMI_CLASS = re.compile(r"^(MSBTS|Win32)_\w+$")
_REGISTRY = re.compile(r"^HKLM:", re.IGNORECASE)
_EXECUTABLE = re.compile(r"\.(exe|vbs)$", re.IGNORECASE)
_SELECT = re.compile(r"^\s*SELECT\b", re.IGNORECASE)
_BARE_WORD = re.compile(r"^[a-z]+$")  # appcmd verbs and object types: list, apppool

_SERVICE_COMMANDS = (
    "get-service",
    "set-service",
    "get-drservice",
    "set-drservicedormant",
    "enable-drservice",
    "start-drservice",
    "stop-drservice",
    "wait-drservicestatus",
)
# (command, parameter) -> what its value names.
_SINKS: dict[tuple[str, str], str] = {
    **{(c, "-name"): "service" for c in _SERVICE_COMMANDS},
    ("get-drregistryvalue", "-name"): "registry-value",
    ("get-wmiobject", "-class"): "wmi-class",
    ("get-drwmiinstances", "-class"): "wmi-class",
    ("get-ciminstance", "-classname"): "wmi-class",
    ("get-cimclass", "-classname"): "wmi-class",
    ("invoke-drnative", "-argumentlist"): "argument",
    ("get-drnativeoutput", "-argumentlist"): "argument",
    ("start-process", "-argumentlist"): "argument",
}
# Data tables of the scripts: every string in them names a service ...
_SERVICE_ARRAYS = ("$services", "$roleservices", "$optionalservices")
# ... or the named key of each row does.
_TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "$hostinstances": {"service": "service"},
    "$registrychecks": {"key": "registry-key", "value": "registry-value"},
    "$answerfileservices": {"id": "answer-value"},
}
_WMI_METHOD_CALLS = frozenset({"InvokeMethod", "GetMethodParameters"})
# SQL words that are not BizTalk names (keywords, INFORMATION_SCHEMA views, dbo).
_SQL_WORDS = frozenset(
    {
        *("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "AS"),
        *("COUNT", "TOP", "DISTINCT", "ORDER", "BY", "DESC", "DBO"),
        "INFORMATION_SCHEMA",
        *("TABLES", "COLUMNS", "TABLE_NAME", "COLUMN_NAME"),
    }
)
_SQL_QUOTED_NAME = re.compile(
    r"\b(?:TABLE_NAME|COLUMN_NAME)\s*=\s*N'((?:[^']|'')*)'", re.IGNORECASE
)
_SQL_STRING = re.compile(r"N?'(?:[^']|'')*'")
_SQL_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

KINDS = (
    "wmi-class",
    "wmi-method",
    "member",
    "registry-key",
    "registry-value",
    "service",
    "executable",
    "switch",
    "sql",
    "answer-value",
)


@dataclass(frozen=True, order=True)
class NameUse:
    """One name a script uses on the target, found in its parse tree."""

    line: int
    kind: str
    name: str
    why: str


def sql_names(query: str) -> list[str]:
    """Table and column names a SELECT uses (N'..' labels and SQL words left out)."""
    found = [m.replace("''", "'") for m in _SQL_QUOTED_NAME.findall(query)]
    code = _SQL_STRING.sub(" ", query)
    found += [t for t in _SQL_TOKEN.findall(code) if t.upper() not in _SQL_WORDS]
    return found


def _literal_uses(literal: Node) -> Iterator[NameUse]:
    value = _string_value(literal)
    line = _line(literal)
    if _WMI_CLASS.match(value):
        yield NameUse(line, "wmi-class", value, "literal")
    if _REGISTRY.match(value):
        yield NameUse(line, "registry-key", value, "literal")
    if _EXECUTABLE.search(value):
        yield NameUse(line, "executable", value, "literal")
    if _SELECT.match(value):
        for name in sql_names(value):
            yield NameUse(line, "sql", name, "SELECT")


def _argument_uses(call: CommandCall) -> Iterator[NameUse]:
    for parameter, value in call.arguments:
        if call.invocation == "&" and not parameter:
            for literal in _direct_literals(value):
                text = _string_value(literal)
                if text[:1] in {"-", "/"}:
                    yield NameUse(_line(literal), "switch", text, "& tool argument")
            continue
        sink = _SINKS.get((call.name, parameter))
        if sink is None:
            continue
        why = f"{call.name} {parameter}"
        if sink != "argument":
            for literal in _value_literals(value):
                yield NameUse(_line(literal), sink, _string_value(literal), why)
            continue
        direct = {_key(lit) for lit in _value_literals(value)}
        for literal in (lit for v in _values(value) for lit in _all_literals(v)):
            text = _string_value(literal)
            if text[:1] in {"-", "/"} or (
                _key(literal) in direct and _BARE_WORD.match(text)
            ):
                yield NameUse(_line(literal), "switch", text, why)


def _data_uses(root: Node) -> Iterator[NameUse]:
    for variable, value, _node in _assignments(root):
        if variable in _SERVICE_ARRAYS:
            for literal in _all_literals(value):
                yield NameUse(
                    _line(literal), "service", _string_value(literal), variable
                )
        columns = _TABLE_COLUMNS.get(variable, {})
        for entry in (n for n in _walk(value) if n.type == "hash_entry"):
            kind = columns.get(_text(entry.children[0]).strip().lower())
            if kind is None:
                continue
            for literal in _direct_literals(entry.children[-1]):
                text = _string_value(literal)
                if text:  # isolated hosts have no service: ''
                    yield NameUse(_line(literal), kind, text, variable)


def _member_uses(root: Node) -> Iterator[NameUse]:
    for node in _walk(root):
        if node.type not in {"member_access", "invocation_expression"}:
            continue
        member = next((c for c in node.children if c.type == "member_name"), None)
        if member is None or member.named_child_count != 1:
            continue
        name_node = member.named_children[0]
        if name_node.type != "simple_name":
            continue  # $display.$field: a dynamic member, named by a script key
        name = _text(name_node)
        yield NameUse(_line(member), "member", name, _text(node.children[0])[:40])
        if node.type == "invocation_expression" and name in _WMI_METHOD_CALLS:
            arguments = next(
                (c for c in node.children if c.type == "argument_list"), None
            )
            first = (
                next(
                    (n for n in _walk(arguments) if n.type == "argument_expression"),
                    None,
                )
                if arguments is not None
                else None
            )
            for child in first.children if first is not None else []:
                for literal in _direct_literals(child):
                    text = _string_value(literal)
                    yield NameUse(_line(literal), "wmi-method", text, name)


def script_keys(root: Node) -> frozenset[str]:
    """Property names the script defines itself (keys of its @{ } literals).

    ``$plan.HostName`` or ``$row.Result`` read a ``[pscustomobject]`` the script
    built: not a name on the target. Matched case-sensitively, so that the script's
    own ``status`` key does not excuse ``ServiceController.Status``.
    """
    keys = set()
    for node in _walk(root):
        if node.type == "key_expression":
            literals = _all_literals(node)
            keys.add(_string_value(literals[0]) if literals else _text(node).strip())
    return frozenset(keys)


@functools.lru_cache(maxsize=64)
def name_uses(data: bytes) -> tuple[NameUse, ...]:
    """Every name on the target the script's code uses, from its parse tree.

    Cached: several tests read the same rendered scripts.
    """
    root = ps.parse(data).root_node
    uses: list[NameUse] = []
    for literal in _all_literals(root):
        uses += _literal_uses(literal)
    for call in _command_calls(root):
        uses += _argument_uses(call)
    uses += _data_uses(root)
    uses += _member_uses(root)
    return tuple(sorted(set(uses)))


def _allowed(catalogue: Catalogue) -> dict[str, Callable[[str], bool]]:
    def names(*kinds: Kind) -> Callable[[str], bool]:
        found = catalogue.names(*kinds)
        return found.__contains__

    host_prefix = catalogue["svc:BTSSvc"]
    # The prefix alone names no service: BTSSvc$<host> does.
    services = catalogue.names(Kind.SERVICE) - {host_prefix}
    return {
        "wmi-class": names(Kind.WMI_CLASS),
        "wmi-method": names(Kind.WMI_METHOD),
        "member": names(Kind.WMI_PROPERTY, Kind.WMI_METHOD, Kind.PLATFORM),
        "registry-key": names(Kind.REGISTRY_KEY),
        "registry-value": names(Kind.REGISTRY_VALUE),
        "service": lambda n: (
            n in services or (n.startswith(host_prefix) and len(n) > len(host_prefix))
        ),
        "executable": names(Kind.EXECUTABLE, Kind.FILE),
        "switch": names(Kind.SWITCH),
        "sql": names(Kind.SQL_TABLE, Kind.SQL_COLUMN),
        "answer-value": names(Kind.ANSWER_VALUE),
    }


def name_problems(
    data: bytes,
    catalogue: Catalogue = CATALOGUE,
    own_keys: frozenset[str] = frozenset(),
) -> list[str]:
    """Each name the script uses that the catalogue does not have, located.

    ``own_keys``: row properties other scripts of the bundle define; a shared
    partial may read a row its script does not build (see the rendered test).
    """
    allowed = _allowed(catalogue)
    own = script_keys(ps.parse(data).root_node) | own_keys
    problems: dict[tuple[int, str, str], str] = {}
    for use in name_uses(data):
        if allowed[use.kind](use.name) or (use.kind == "member" and use.name in own):
            continue
        problems.setdefault(
            (use.line, use.kind, use.name),
            f"line {use.line}: {use.kind} {use.name!r} is not in the catalogue "
            f"({use.why})",
        )
    return [problems[k] for k in sorted(problems)]


# -------------------------------------------------------------------- fixtures


def _scripts(artifacts: list[RenderedArtifact]) -> list[tuple[PurePosixPath, bytes]]:
    found = [
        (a.path, encode_text(a.text, ArtifactKind.POWERSHELL))
        for a in artifacts
        if a.kind is ArtifactKind.POWERSHELL
    ]
    assert found
    return found


_SQL_KINDS = (Kind.SQL_TABLE, Kind.SQL_COLUMN)


def _marker(entry_id: str) -> str:
    """What a poisoned catalogue prints for an id (SQL names stay identifiers)."""
    if CATALOGUE.entry(entry_id).kind in _SQL_KINDS:
        return "POISON_" + re.sub(r"\W", "_", entry_id)
    return f"⟦{entry_id}⟧"


def render_examples(
    templates: Path = DEFAULT_TEMPLATES,
    stems: tuple[str, ...] = EXAMPLES,
    catalogue: Catalogue = CATALOGUE,
) -> list[RenderedArtifact]:
    """The example inventories rendered (unsigned) from a templates folder."""
    env = make_environment(templates, catalogue)
    return [
        art
        for stem in stems
        for art in render_unsigned(
            plan_inventories([INVENTORIES / f"{stem}.yaml"])[0], env
        )
    ]


def render_poisoned(
    templates: Path = DEFAULT_TEMPLATES, stems: tuple[str, ...] = EXAMPLES
) -> list[RenderedArtifact]:
    """The examples rendered with every catalogue name replaced by a marker.

    Poisoned both where templates read it (``n``) and where the plan takes names
    for its data (plan.py, server_plan.py, databases.py, the lab probe items), so
    that no real name
    can reach a script except by being spelled in a template.
    """
    marked = Catalogue(
        tuple(dataclasses.replace(e, name=_marker(e.id)) for e in CATALOGUE)
    )
    with pytest.MonkeyPatch.context() as patch:
        for module in (plan_module, server_plan, databases, discovery_reads):
            patch.setattr(module, "N", marked)
        patch.setattr(
            plan_module, "probe_items", lambda version: probe_items(version, marked)
        )
        return render_examples(templates, stems, marked)


@pytest.fixture(scope="module")
def poisoned() -> list[RenderedArtifact]:
    """Both examples rendered with a poisoned catalogue."""
    return render_poisoned()


def _mutated_templates(tmp_path: Path, template: str, old: str, new: str) -> Path:
    """A copy of the templates with one template's text changed (once)."""
    copy = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, copy)
    path = copy / template
    text = path.read_text(encoding="utf-8")
    assert old in text, (template, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


# ======================================================== a. catalogue invariants

_PREFIXES: dict[Kind, tuple[str, ...]] = {
    Kind.WMI_NAMESPACE: ("wmi:",),
    Kind.WMI_CLASS: ("wmi:",),
    Kind.WMI_PROPERTY: ("wmi:",),
    Kind.WMI_METHOD: ("wmi:",),
    Kind.REGISTRY_KEY: ("reg:",),
    Kind.REGISTRY_VALUE: ("reg:",),
    Kind.SERVICE: ("svc:",),
    Kind.EXECUTABLE: ("exe:",),
    Kind.SWITCH: ("arg:",),
    Kind.FILE: ("file:",),
    Kind.FOLDER: ("folder:", "env:"),
    Kind.SQL_TABLE: ("sql:",),
    Kind.SQL_COLUMN: ("sql:",),
    Kind.XML_ELEMENT: ("xml:",),
    Kind.XML_ATTRIBUTE: ("xml:",),
    Kind.ANSWER_VALUE: ("answer:",),
    Kind.OUTPUT: ("out:", "text:"),
    Kind.VERSION: ("ver:",),
    Kind.BEHAVIOUR: ("behaviour:",),
    Kind.PLATFORM: ("net:",),
    Kind.SQL_JOB: ("job:",),
    Kind.SQL_PROCEDURE: ("proc:",),
    Kind.SSIS_PACKAGE: ("ssis:",),
    Kind.CONFIG_KEY: ("config:",),
}


def test_ids_are_unique() -> None:
    counts = Counter(e.id for e in CATALOGUE)
    assert [i for i, n in counts.items() if n > 1] == []
    assert len(counts) == len(CATALOGUE)


def test_ids_carry_the_prefix_of_their_kind() -> None:
    assert set(_PREFIXES) == set(Kind)
    wrong = [
        (e.id, str(e.kind))
        for e in CATALOGUE
        if not re.match(r"^[a-z]+:\S", e.id) or not e.id.startswith(_PREFIXES[e.kind])
    ]
    assert wrong == []


def test_every_entry_has_a_source_and_a_name() -> None:
    assert [e.id for e in CATALOGUE if not e.source.strip()] == []
    assert [e.id for e in CATALOGUE if not e.name.strip()] == []


def test_inferred_entries_say_why() -> None:
    wrong = [
        e.id
        for e in CATALOGUE
        if e.confidence is Confidence.INFERRED
        and not (e.source.startswith("inferred:") and e.source[9:].strip())
    ]
    assert wrong == []


def test_only_inferred_entries_cite_inference() -> None:
    wrong = [
        e.id
        for e in CATALOGUE
        if e.confidence is not Confidence.INFERRED and e.source.startswith("inferred")
    ]
    assert wrong == []


def test_entries_below_documented_can_be_settled() -> None:
    unsettled = [
        e.id
        for e in CATALOGUE.below_documented()
        if e.probe is None and not e.settle.strip()
    ]
    assert unsettled == []


def test_probe_methods_are_known() -> None:
    used = {e.probe.method for e in CATALOGUE if e.probe is not None}
    assert used
    assert used - set(PROBE_METHODS) == set()


def _lab_probe_cases(rendered_text: str) -> set[str]:
    """The method labels of the probe ``switch`` in a rendered Test-DrLabFacts.ps1."""
    root = ps.parse(encode_text(rendered_text, ArtifactKind.POWERSHELL)).root_node
    switches = [
        n
        for n in _walk(root)
        if n.type == "switch_statement"
        and "$Probe.Method"
        in _text(n.child_by_field_name("condition") or n.children[1])
    ]
    assert len(switches) == 1
    return {
        _string_value(literal)
        for clause in _walk(switches[0])
        if clause.type == "switch_clause_condition"
        for literal in _all_literals(clause)
    }


@pytest.mark.oracle
def test_lab_probe_handles_every_probe_method(
    all_artifacts: list[RenderedArtifact],
) -> None:
    probes = [a for a in all_artifacts if a.path.name == "Test-DrLabFacts.ps1"]
    assert len(probes) == len(EXAMPLES)
    used = {item.method for v in VERSIONS for item in probe_items(v)}
    assert used
    for art in probes:
        cases = _lab_probe_cases(art.text)
        assert used - cases == set(), art.path
        # No case for a method the catalogue does not define (a stale label).
        assert cases - set(PROBE_METHODS) == set(), art.path


@pytest.mark.oracle
def test_lab_probe_case_reader_reads_labels_not_default() -> None:
    text = (
        "switch ($Probe.Method) {\n    'wmi-class' {\n        1\n    }\n"
        "    { $_ -in @('file', 'file-mentions') } {\n        2\n    }\n"
        "    default {\n        3\n    }\n}\n"
    )
    assert _lab_probe_cases(text) == {"wmi-class", "file", "file-mentions"}


# ================================================ b. names in the rendered scripts


@pytest.mark.oracle
def test_help_and_comments_are_comment_nodes(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """The exclusion of comments is by construction: help text is a comment node."""
    for path, data in _scripts(all_artifacts):
        root = ps.parse(data).root_node
        comments = [n for n in _walk(root) if n.type == "comment"]
        help_blocks = [c for c in comments if ".SYNOPSIS" in _text(c)]
        assert len(help_blocks) == 1, path
        assert _text(help_blocks[0]).startswith("<#"), path
        # Nothing the checks read lies inside a comment.
        ranges = [(c.start_byte, c.end_byte) for c in comments]
        for node in _walk(root):
            if node.type in {"string_literal", "member_access", "command"}:
                assert not any(s <= node.start_byte < e for s, e in ranges), path


@pytest.mark.oracle
def test_every_name_in_the_scripts_is_in_the_catalogue(
    all_artifacts: list[RenderedArtifact],
) -> None:
    scripts = _scripts(all_artifacts)
    # Row properties any script of the bundle defines: changes.ps1, shared by the
    # site scripts too, reads $Plan.Service of the server scripts' $HostInstances.
    own = frozenset().union(*(script_keys(ps.parse(d).root_node) for _, d in scripts))
    problems = [
        f"{path}: {problem}"
        for path, data in scripts
        for problem in name_problems(data, own_keys=own)
    ]
    assert problems == []


@pytest.mark.oracle
def test_the_name_checks_see_every_kind(all_artifacts: list[RenderedArtifact]) -> None:
    """Not vacuous: the rendered scripts use names of every kind checked."""
    seen = Counter(
        use.kind for _, data in _scripts(all_artifacts) for use in name_uses(data)
    )
    assert {k for k in KINDS if seen[k] == 0} == set()
    names = {u.name for _, data in _scripts(all_artifacts) for u in name_uses(data)}
    # The names that matter most, reached through each route the checker follows.
    for expected in (
        "MSBTS_HostInstance",  # -Class literal
        "Winmgmt",  # $name = '...' then Get-DrService -Name $name
        "ENTSSO",  # $Services and $SsoService
        "MSDTC",  # Get-DrService -Name '...'
        "/NOPROGRESSBAR",  # $arguments += '...' then Start-Process -ArgumentList
        "-restoreSecret",  # & $ssoconfig '...'
        "list",  # appcmd verb in -ArgumentList @(...)
        "NetworkDtcAccessInbound",  # foreach ($name in @(...)) Get-DrRegistryValue
        "gi_SecretServer",  # SELECT
        "adm_OtherBackupDatabases",
        "Install",  # InvokeMethod('...')
        "IsDisabled",  # $instance.IsDisabled
        "psbase",
    ):
        assert expected in names, expected
    host = CATALOGUE["svc:BTSSvc"]
    assert any(
        u.name.startswith(host) and u.why == "$hostinstances"
        for _, data in _scripts(all_artifacts)
        for u in name_uses(data)
    )


@pytest.mark.oracle
def test_platform_entries_are_all_used(all_artifacts: list[RenderedArtifact]) -> None:
    """Each PLATFORM entry names a member some rendered script accesses."""
    members = {
        u.name
        for _, data in _scripts(all_artifacts)
        for u in name_uses(data)
        if u.kind == "member"
    }
    platform = CATALOGUE.of_kind(Kind.PLATFORM)
    assert platform
    assert [e.id for e in platform if e.name not in members] == []
    for entry in platform:
        assert entry.id == f"net:{entry.id[4:].split('.', 1)[0]}.{entry.name}"
        assert entry.confidence is Confidence.DOCUMENTED, entry.id
        assert entry.source.startswith("learn.microsoft.com:"), entry.id


_BAD_SCRIPT = """\
function Get-DrBox {
    # 'MSBTS_Nonsense' in a comment is not code
    $boxes = @(Get-WmiObject -Namespace $ns -Class 'MSBTS_MessageBox')
    $k = 'HKLM:\\SOFTWARE\\Microsoft\\BizTalk Server\\3.0\\Nowhere'
    foreach ($box in $boxes) {
        $box.DBServerName
    }
}
"""


@pytest.mark.oracle
def test_checker_fails_on_wrong_names() -> None:
    problems = name_problems(encode_text(_BAD_SCRIPT, ArtifactKind.POWERSHELL))
    key = "HKLM:\\SOFTWARE\\Microsoft\\BizTalk Server\\3.0\\Nowhere"
    assert problems == [
        "line 3: wmi-class 'MSBTS_MessageBox' is not in the catalogue "
        "(get-wmiobject -class)",
        f"line 4: registry-key {key!r} is not in the catalogue (literal)",
        "line 6: member 'DBServerName' is not in the catalogue ($box)",
    ]


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("script", "kind", "name"),
    [
        ("Get-DrService -Name 'W3SVC'", "service", "W3SVC"),
        (
            "function Restart-X {\n    $name = 'Winmgmtx'\n"
            "    Get-DrService -Name $name\n}",
            "service",
            "Winmgmtx",
        ),
        (
            "$Services = @(\n    'ENTSSO'\n    'MSSQLSERVER'\n)",
            "service",
            "MSSQLSERVER",
        ),
        ("$Services = @('BTSSvc$')", "service", "BTSSvc$"),
        (
            "$HostInstances = @(\n    [pscustomobject]@{ Service = 'BTSvc$Host' }\n)",
            "service",
            "BTSvc$Host",
        ),
        (
            "foreach ($name in @('NetworkDtcAccessX')) {\n"
            "    Get-DrRegistryValue -Path $k -Name $name\n}",
            "registry-value",
            "NetworkDtcAccessX",
        ),
        (
            "$RegistryChecks = @(\n    [pscustomobject]@{ Value = 'MgmtDb' }\n)",
            "registry-value",
            "MgmtDb",
        ),
        (
            "$r = Invoke-DrNative -FilePath $t -ArgumentList @('-updateDB', $f)",
            "switch",
            "-updateDB",
        ),
        (
            "$r = Get-DrNativeOutput -FilePath $t -ArgumentList @('lst', 'apppool')",
            "switch",
            "lst",
        ),
        (
            "function Join-X {\n    $arguments = @('/S', ('\"{0}\"' -f $f))\n"
            "    $arguments += '/Quiet'\n"
            "    Start-Process -FilePath $e -ArgumentList $arguments -Wait\n}",
            "switch",
            "/Quiet",
        ),
        ("& $ssoconfig '-restoreSecrets' $file", "switch", "-restoreSecrets"),
        (
            "function Set-X {\n    $a = @('set', ('/autoStrt:' + 'x'))\n"
            "    Invoke-DrNative -FilePath $t -ArgumentList $a\n}",
            "switch",
            "/autoStrt:",
        ),
        (
            "$r = Invoke-DrNative -FilePath $t -ArgumentList @(('/autoStrt:' + 'x'))",
            "switch",
            "/autoStrt:",
        ),
        ("$q = 'SELECT DBServer FROM dbo.adm_MessageBox'", "sql", "DBServer"),
        (
            "$q = 'SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES "
            "WHERE TABLE_NAME = N''adm_MsgBox'''",
            "sql",
            "adm_MsgBox",
        ),
        ("$r = $i.psbase.InvokeMethod('Enable', $null)", "wmi-method", "Enable"),
        ("$p = $i.psbase.GetMethodParameters('Instal')", "wmi-method", "Instal"),
        ("Join-Path -Path $p -ChildPath 'BTSTask.exe'", "executable", "BTSTask.exe"),
        (
            "Join-Path -Path $p -ChildPath 'UpdateRegistry2.vbs'",
            "executable",
            "UpdateRegistry2.vbs",
        ),
        ("$s = Get-WmiObject -Class 'Win32_Services'", "wmi-class", "Win32_Services"),
        (
            "$s = Get-DrWmiInstances -Class $c\n$c = 'MSBTS_Hosts'",
            "wmi-class",
            "MSBTS_Hosts",
        ),
        ("$x = $service.Frobnicate()", "member", "Frobnicate"),
        (
            "$AnswerFileServices = @(\n    [pscustomobject]@{ Id = 'ENTSSO2' }\n)",
            "answer-value",
            "ENTSSO2",
        ),
    ],
)
def test_checker_fails_on_each_kind(script: str, kind: str, name: str) -> None:
    problems = name_problems(encode_text(script + "\n", ArtifactKind.POWERSHELL))
    assert any(f"{kind} {name!r} is not in the catalogue" in p for p in problems), (
        problems
    )


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("template", "old", "new", "problem"),
    [
        (
            "server/Enable-DrServer.ps1.jinja",
            "{{ n['wmi:MSBTS_MsgBoxSetting']|ps_str }}",
            "'MSBTS_MessageBox'",
            "wmi-class 'MSBTS_MessageBox'",
        ),
        (
            "_partials/server-changes.ps1.jinja",
            "$instance.IsDisabled = $Disabled",
            "$instance.IsDisable = $Disabled",
            "member 'IsDisable'",
        ),
        (
            "_partials/wmi-restart.ps1.jinja",
            "{{ n['svc:Winmgmt']|ps_str }}",
            "'WinMgmtSvc'",
            "service 'WinMgmtSvc'",
        ),
    ],
)
def test_checker_fails_on_a_wrong_name_in_a_template(
    tmp_path: Path, template: str, old: str, new: str, problem: str
) -> None:
    """End to end: a template that misspells a name fails the rendered check."""
    templates = _mutated_templates(tmp_path, template, old, new)
    arts = render_examples(templates, ("example",))
    found = [p for _, data in _scripts(arts) for p in name_problems(data)]
    assert any(problem in p for p in found), found


_GOOD_SCRIPT = """\
function Test-X {
    $name = 'Winmgmt'
    Get-DrService -Name $name
    $boxes = @(Get-WmiObject -Namespace $ns -Class 'MSBTS_MsgBoxSetting')
    foreach ($box in $boxes) {
        $box.MsgBoxDBServerName
    }
    $rows = @('x') | ForEach-Object -Process { [pscustomobject]@{ Result = 'OK' } }
    $rows[0].Result
    Get-DrService -Name 'BTSSvc$AnyHost'
    $r = Get-DrNativeOutput -FilePath $t -ArgumentList @('list', 'apppool', '/config:*')
    $q = 'SELECT N''adm_MessageBox '' + DBName, DBServerName FROM dbo.adm_MessageBox'
    $k = 'HKLM:\\SOFTWARE\\Microsoft\\ENTSSO\\SQL'
    $v = Get-DrRegistryValue -Path $k -Name 'Server'
    $result = $instance.psbase.InvokeMethod('Stop', $null)
    & $ssoconfig '-restoreSecret' $file
}
"""


@pytest.mark.oracle
def test_checker_accepts_catalogue_names() -> None:
    data = encode_text(_GOOD_SCRIPT, ArtifactKind.POWERSHELL)
    assert name_problems(data) == []
    assert {u.kind for u in name_uses(data)} >= {
        "service",
        "wmi-class",
        "member",
        "switch",
        "sql",
        "registry-key",
        "registry-value",
        "wmi-method",
    }


# ===================================================== c. names in the XML files

_XML_FILES = {
    "ConfigurationAnswers.xml": ("xml:answers/", "xml:answers@"),
    "UpdateInfo.xml": ("xml:updateinfo/", "xml:updateinfo@"),
    "SecretServer.xml": ("xml:secretserver/", "xml:secretserver@"),
}
# (element, attribute or '' for the text) -> id prefix of the catalogue values.
_XML_VALUES = {
    ("Feature", "Name"): "answer:feature/",
    ("Question", "ID"): "answer:question/",
    ("Answer", "GUID"): "answer:",
    ("SQL", "ID"): "answer:sql/",
    ("NTService", "ID"): "answer:service/",
    ("InstalledFeature", ""): "answer:installed/",
    ("DeploymentUnit", "Name"): "answer:bam-unit/",
    ("Property", "Name"): "answer:bam-property/",
}


def _names_with_prefix(prefix: str, *kinds: Kind) -> frozenset[str]:
    return frozenset(
        e.name for e in CATALOGUE if e.id.startswith(prefix) and e.kind in kinds
    )


def xml_problems(name: str, text: str) -> list[str]:
    """Element, attribute and value names of an XML file that the catalogue lacks."""
    element_prefix, attribute_prefix = _XML_FILES[name]
    elements = _names_with_prefix(element_prefix, Kind.XML_ELEMENT)
    attributes = _names_with_prefix(attribute_prefix, Kind.XML_ATTRIBUTE)
    problems = []
    for node in ET.fromstring(text).iter():
        if node.tag not in elements:
            problems.append(f"element {node.tag!r}")
        problems += [
            f"attribute {node.tag}@{a}" for a in node.attrib if a not in attributes
        ]
        for (tag, attribute), prefix in _XML_VALUES.items():
            if node.tag != tag:
                continue
            value = node.get(attribute) if attribute else (node.text or "").strip()
            if value is not None and value not in _names_with_prefix(
                prefix, Kind.ANSWER_VALUE
            ):
                problems.append(
                    f"value {tag}{'@' + attribute if attribute else ''}={value!r}"
                )
    return problems


def test_every_name_in_the_xml_files_is_in_the_catalogue(
    all_artifacts: list[RenderedArtifact],
) -> None:
    files = [a for a in all_artifacts if a.path.name in _XML_FILES]
    assert {a.path.name for a in files} == set(_XML_FILES)
    problems = [
        f"{a.path}: {p}" for a in files for p in xml_problems(a.path.name, a.text)
    ]
    assert problems == []
    # Not vacuous: the values checked are there.
    answers = "".join(
        a.text for a in files if a.path.name == "ConfigurationAnswers.xml"
    )
    update = "".join(a.text for a in files if a.path.name == "UpdateInfo.xml")
    assert "<InstalledFeature>" in answers
    assert "GUID=" in answers
    assert "<DeploymentUnit Name=" in update
    assert "<Property Name=" in update


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "ConfigurationAnswers.xml",
            '<Configuration><Feature Name="SSO" /></Configuration>',
            "value Feature@Name='SSO'",
        ),
        (
            "ConfigurationAnswers.xml",
            "<Configuration><Features /></Configuration>",
            "element 'Features'",
        ),
        (
            "ConfigurationAnswers.xml",
            "<Configuration><InstalledFeature>Engines</InstalledFeature></Configuration>",
            "value InstalledFeature='Engines'",
        ),
        (
            "UpdateInfo.xml",
            '<UpdateConfiguration><ManagementDB oldDbName="x" /></UpdateConfiguration>',
            "attribute ManagementDB@oldDbName",
        ),
        (
            "UpdateInfo.xml",
            '<UpdateConfiguration><BAM><DeploymentUnit Name="PrimaryImportDB" />'
            "</BAM></UpdateConfiguration>",
            "value DeploymentUnit@Name='PrimaryImportDB'",
        ),
        (
            "SecretServer.xml",
            "<sso><globalInfo><secretserver>X</secretserver></globalInfo></sso>",
            "element 'secretserver'",
        ),
    ],
)
def test_xml_check_fails_on_wrong_names(name: str, text: str, problem: str) -> None:
    assert problem in xml_problems(name, text)


# ===================================== d. templates take every name from n[...]

_POISON_SERVICES = ("ENTSSO", "Winmgmt", "MSDTC", "RuleEngineUpdateService")
# Left out on purpose: the lab probe's $Probes table. Its arguments are the probe
# arguments stored in each catalogue entry (Entry.probe.args), not looked up by id,
# so they are real names even in a poisoned render. Comments are not code (above).
_POISON_EXEMPT_TABLES = frozenset({"$probes"})


def _poisoned_code(data: bytes) -> tuple[list[Node], str]:
    """The code's string literals, and its text with comments and literals blanked."""
    root = ps.parse(data).root_node
    exempt = [
        value
        for variable, value, _ in _assignments(root)
        if variable in _POISON_EXEMPT_TABLES
    ]
    literals = [
        lit
        for lit in _all_literals(root)
        if not any(e.start_byte <= lit.start_byte < e.end_byte for e in exempt)
    ]
    blanked = bytearray(data)
    for node in _walk(root):
        if node.type in {"comment", "string_literal"}:
            span = data[node.start_byte : node.end_byte]
            blanked[node.start_byte : node.end_byte] = re.sub(rb"[^\n]", b" ", span)
    return literals, blanked.decode("utf-8", "replace")


def poison_problems(data: bytes) -> list[str]:
    """Real names in the code of a script rendered with a poisoned catalogue."""
    services = CATALOGUE.names(Kind.SERVICE) | set(_POISON_SERVICES)
    literals, code = _poisoned_code(data)
    problems = []
    for literal in literals:
        value = _string_value(literal)
        if (
            _WMI_CLASS.match(value)
            or _REGISTRY.match(value)
            or _EXECUTABLE.search(value)
            or value in services
            or value.startswith(CATALOGUE["svc:BTSSvc"])
        ):
            problems.append(f"line {_line(literal)}: literal {value!r}")
    words = "|".join(re.escape(s) for s in _POISON_SERVICES)
    bare = re.compile(
        rf"\b(?:MSBTS|Win32)_\w+|HKLM:|\b[\w.]+\.(?:exe|vbs)\b|\b(?:{words})\b"
    )
    for match in bare.finditer(code):
        line = code.count("\n", 0, match.start()) + 1
        problems.append(f"line {line}: bare word {match.group()!r}")
    return problems


@pytest.mark.oracle
def test_templates_take_names_from_the_catalogue(
    poisoned: list[RenderedArtifact], all_artifacts: list[RenderedArtifact]
) -> None:
    scripts = _scripts(poisoned)
    # Every script of both examples, the same files as the real render.
    assert sorted(p for p, _ in scripts) == sorted(
        p for p, _ in _scripts(all_artifacts)
    )
    problems = [f"{path}: {p}" for path, data in scripts for p in poison_problems(data)]
    assert problems == []
    # The poison reached the scripts (else this test proves nothing).
    text = "".join(data.decode("utf-8") for _, data in scripts)
    for entry_id in (
        "svc:ENTSSO",
        "svc:Winmgmt",
        "svc:MSDTC",
        "wmi:MSBTS_HostInstance",
        "reg:biztalk-admin",
        "exe:Configuration.exe",
        "file:UpdateDatabase.vbs",
        "svc:RuleEngineUpdateService",
        "svc:BTSSvc",
    ):
        assert _marker(entry_id) in text, entry_id


@pytest.mark.oracle
def test_poison_check_sees_a_spelled_out_name() -> None:
    script = (
        "<# .SYNOPSIS\n    MSDTC, 'Configuration.exe', HKLM:\\x #>\n"
        "# Winmgmt in a comment is fine\n"
        "$SsoService = '⟦svc:ENTSSO⟧'\n"
        "$dtc = Get-DrService -Name 'MSDTC'\n"
        "Restart-Service Winmgmt\n"
        "$exe = Join-Path -Path $p -ChildPath 'Configuration.exe'\n"
        "$k = 'HKLM:\\SOFTWARE\\Microsoft\\ENTSSO\\SQL'\n"
        "$c = 'MSBTS_HostInstance'\n"
        "$Probes = @('MSBTS_HostInstance', 'MSDTC')\n"
    )
    key = "HKLM:\\SOFTWARE\\Microsoft\\ENTSSO\\SQL"
    assert poison_problems(encode_text(script, ArtifactKind.POWERSHELL)) == [
        "line 5: literal 'MSDTC'",
        "line 7: literal 'Configuration.exe'",
        f"line 8: literal {key!r}",
        "line 9: literal 'MSBTS_HostInstance'",
        "line 6: bare word 'Winmgmt'",
    ]


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("template", "old", "new", "problem"),
    [
        (
            "_partials/release.ps1.jinja",
            "{{ n['svc:ENTSSO']|ps_str }}",
            "'ENTSSO'",
            "literal 'ENTSSO'",
        ),
        (
            "_partials/wmi-restart.ps1.jinja",
            "{{ n['svc:Winmgmt']|ps_str }}",
            "'Winmgmt'",
            "literal 'Winmgmt'",
        ),
        (
            "server/Initialize-DrServer.ps1.jinja",
            "Get-DrService -Name {{ n['svc:MSDTC']|ps_str }}",
            "Get-DrService -Name MSDTC",
            "bare word 'MSDTC'",
        ),
        (
            "_partials/helpers.ps1.jinja",
            "{{ n['wmi:MSBTS_HostInstance']|ps_str }}",
            "'MSBTS_HostInstance'",
            "literal 'MSBTS_HostInstance'",
        ),
        (
            "_partials/release.ps1.jinja",
            "{{ n['reg:rules']|ps_str }}",
            "'HKLM:\\SOFTWARE\\Microsoft\\BusinessRules\\3.0'",
            "literal 'HKLM:",
        ),
        (
            "_partials/helpers.ps1.jinja",
            "{{ n['exe:cscript.exe']|ps_str }}",
            "'cscript.exe'",
            "literal 'cscript.exe'",
        ),
        (
            "site/Update-DrGroupDatabases.ps1.jinja",
            "$scriptName = {{ n['file:UpdateDatabase.vbs']|ps_str }}",
            "$scriptName = 'UpdateDatabase.vbs'",
            "literal 'UpdateDatabase.vbs'",
        ),
    ],
)
def test_poison_check_fails_on_a_name_spelled_in_a_template(
    tmp_path: Path, template: str, old: str, new: str, problem: str
) -> None:
    """End to end: a template that spells a name itself fails the poisoned render."""
    templates = _mutated_templates(tmp_path, template, old, new)
    arts = render_poisoned(templates, ("example",))
    found = [p for _, data in _scripts(arts) for p in poison_problems(data)]
    assert any(problem in p for p in found), found


# ============================================================== e. drgen facts


def test_facts_text_lists_every_entry(runner: CliRunner) -> None:
    result = runner.invoke(app, ["facts"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    listed = [
        line.split("  [", 1)[0]
        for line in lines
        if "  [" in line and not line.startswith(" ")
    ]
    assert sorted(listed) == sorted(e.id for e in CATALOGUE)
    counts = Counter(e.confidence for e in CATALOGUE)
    summary = ", ".join(f"{counts[c]} {c}" for c in Confidence)
    assert f"{len(CATALOGUE)} names used on BizTalk servers ({summary})" in lines[0]
    assert sum(counts.values()) == len(CATALOGUE)


def test_facts_json_has_every_entry(runner: CliRunner) -> None:
    result = runner.invoke(app, ["facts", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    entries = document["entries"]
    assert [e["id"] for e in entries] == [e.id for e in CATALOGUE]
    for data, entry in zip(entries, CATALOGUE, strict=True):
        assert {k: data[k] for k in ("id", "kind", "name", "source", "confidence")} == {
            "id": entry.id,
            "kind": str(entry.kind),
            "name": entry.name,
            "source": entry.source,
            "confidence": str(entry.confidence),
        }
        assert ("probe" in data) == (entry.probe is not None)
    counts = document["counts"]
    assert sum(counts.values()) == len(entries) == len(CATALOGUE)
    assert counts == {
        str(c): n for c, n in Counter(e.confidence for e in CATALOGUE).items()
    }


ENV_VARIABLE = re.compile(rb"\$env:([A-Za-z0-9_]+)", re.I)


@pytest.mark.oracle
def test_every_environment_variable_is_in_the_catalogue(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """$env:X is a name on the target too: each must be a catalogued env: entry."""
    known = _names_with_prefix("env:", Kind.FOLDER)
    used: set[str] = set()
    for _, data in _scripts(all_artifacts):
        for node in _walk(ps.parse(data).root_node):
            if node.type == "variable":
                found = ENV_VARIABLE.fullmatch(node.text or b"")
                if found:
                    used.add(found.group(1).decode())
    assert "COMPUTERNAME" in used  # not vacuous
    assert sorted(used - known) == []
    # And the checker sees an unknown one.
    bogus = b"Write-Host $env:DRGEN_NOT_A_WINDOWS_VARIABLE\n"
    names = {
        m.group(1).decode()
        for node in _walk(ps.parse(bogus).root_node)
        if node.type == "variable" and (m := ENV_VARIABLE.fullmatch(node.text or b""))
    }
    assert names - known == {"DRGEN_NOT_A_WINDOWS_VARIABLE"}


def test_every_fix_hint_names_the_module_that_holds_the_entry() -> None:
    """An ``if_failed`` that says where to change a name must say the right file."""
    from generator import catalogue as package

    folder = Path(package.__file__).parent
    holders = {
        entry.id: module.stem
        for module in sorted(folder.glob("*.py"))
        for entry in getattr(
            __import__(f"generator.catalogue.{module.stem}", fromlist=["ENTRIES"]),
            "ENTRIES",
            (),
        )
    }
    named = 0
    for entry in CATALOGUE:
        for file in re.findall(r"generator/catalogue/(\w+)\.py", entry.if_failed or ""):
            named += 1
            assert file == holders[entry.id], (entry.id, file)
    assert named >= 3
