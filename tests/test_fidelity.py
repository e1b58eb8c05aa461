"""Fidelity to BizTalk and Windows PowerShell 5.1: the defects an expert review found.

One section per item (A1..A14) of that review. Every test reads the *rendered*
output of both example inventories: scripts through the tree-sitter-pwsh parse tree
(:mod:`tests.pwsh_oracle` plus the small node helpers below), XML through
ElementTree, the runbook through markdown-it. Expected values come from the
inventory (loaded independently of the plan where that is cheap), from the plan, or
from Microsoft's documented names written out literally here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path, PurePosixPath

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from tree_sitter import Node

from generator.api import plan as plan_inventories
from generator.bundle.build import render_unsigned
from generator.catalogue import CATALOGUE, Kind
from generator.errors import Diagnostic, InventoryError, PlanError
from generator.inventory.load import load_inventory
from generator.inventory.model import Database, Inventory
from generator.inventory.validation import parse_inventory
from generator.plan.outputs import ArtifactKind
from generator.plan.servers import ServerPlan
from generator.plan.site import Plan, build_plan
from generator.render.artifacts import RenderedArtifact, encode_text
from generator.render.environment import make_environment
from tests import pwsh_oracle as ps
from tests.conftest import EXAMPLES, INVENTORIES
from tests.pwsh_oracle import node_text as text
from tests.pwsh_oracle import nodes

pytestmark = pytest.mark.oracle

Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]

#: Scripts that change the server (they call $PSCmdlet.ShouldProcess).
CHANGING = (
    "Initialize-DrServer.ps1",
    "Enable-DrServer.ps1",
    "Disable-DrServer.ps1",
    "Reset-DrServer.ps1",
    "Update-DrGroupDatabases.ps1",
)
SERVER_SCRIPTS = (
    "Initialize-DrServer.ps1",
    "Test-DrServer.ps1",
    "Enable-DrServer.ps1",
    "Disable-DrServer.ps1",
)

# Documented registry keys (Microsoft's pages; see generator/catalogue/registry.py).
ADMIN_KEY = r"HKLM:\SOFTWARE\Microsoft\BizTalk Server\3.0\Administration"
SSO_SQL_KEY = r"HKLM:\SOFTWARE\Microsoft\ENTSSO\SQL"
RULES_KEY = r"HKLM:\SOFTWARE\Microsoft\BusinessRules\3.0"
MSDTC_KEY = r"HKLM:\SOFTWARE\Microsoft\MSDTC\Security"


# =============================================================== shared helpers


@dataclass(frozen=True, repr=False)
class Script:
    """One rendered script: its artifact, its bytes as written, its parse tree."""

    art: RenderedArtifact
    data: bytes

    @property
    def name(self) -> str:
        return self.art.path.name

    @property
    def stem(self) -> str:
        """The inventory the script was rendered from."""
        return self.art.path.parts[0]

    @property
    def server(self) -> str:
        """The DR server of a server script (its folder name)."""
        return self.art.path.parent.name

    @cached_property
    def root(self) -> Node:
        return ps.parse(self.data).root_node

    def __repr__(self) -> str:
        return str(self.art.path)


def scripts(all_artifacts: Sequence[RenderedArtifact], *names: str) -> list[Script]:
    """Every script, or those with one of ``names``, encoded as written to disk."""
    found = [
        Script(a, encode_text(a.text, ArtifactKind.POWERSHELL))
        for a in all_artifacts
        if a.kind is ArtifactKind.POWERSHELL and (not names or a.path.name in names)
    ]
    assert found, names
    return found


@cache
def inventory(stem: str) -> Inventory:
    """An example inventory, loaded on its own (not through the plan)."""
    return parse_inventory(load_inventory(INVENTORIES / f"{stem}.yaml"))


def dr_of(inv: Inventory, server: str) -> str:
    """The DR SQL instance a production instance maps to (case-insensitive)."""
    return {k.upper(): v for k, v in inv.dr.sql.items()}[server.upper()]


def server_plans(plans: dict[str, Plan]) -> dict[tuple[str, str], ServerPlan]:
    return {(stem, s.name): s for stem, p in plans.items() for s in p.site.servers}


def line(node: Node) -> int:
    """1-based line of a node (as :class:`ps.Command` counts them)."""
    return node.start_point.row + 1


def within(node: Node, scope: Node) -> bool:
    return scope.start_byte <= node.start_byte and node.end_byte <= scope.end_byte


def ancestors(node: Node) -> Iterator[Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def verbatim(node: Node) -> str | None:
    """The value of a node that is exactly one single-quoted literal."""
    literals = nodes(node, "verbatim_string_characters")
    if len(literals) != 1 or text(literals[0]).strip() != text(node).strip():
        return None
    return text(literals[0])[1:-1].replace("''", "'")


def strings(node: Node) -> list[str]:
    """Every single-quoted literal value inside ``node``, in document order."""
    return [
        text(n)[1:-1].replace("''", "'")
        for n in nodes(node, "verbatim_string_characters")
    ]


def top_level(root: Node) -> list[Node]:
    """The script's top-level statements (comments left out)."""
    body = next(c for c in root.named_children if c.type == "statement_list")
    return [c for c in body.named_children if c.type != "comment"]


def top_assignment(script: Script, variable: str) -> Node:
    """The value node of the top-level statement ``$variable = ...``."""
    for statement in top_level(script.root):
        if statement.type != "pipeline" or not statement.named_children:
            continue
        assignment = statement.named_children[0]
        if assignment.type != "assignment_expression":
            continue
        left = text(assignment.named_children[0]).strip()
        if left.casefold() == f"${variable}".casefold():
            value = assignment.child_by_field_name("value")
            assert value is not None
            return value
    raise AssertionError(f"{script}: no top-level ${variable} = ...")


def top_string(script: Script, variable: str) -> str:
    value = verbatim(top_assignment(script, variable))
    assert value is not None, f"{script}: ${variable} is not one '...' literal"
    return value


def records(node: Node) -> list[dict[str, str]]:
    """``[pscustomobject]@{...}`` entries: key -> literal value (or raw text)."""
    rows = []
    for table in nodes(node, "hash_literal_expression"):
        row = {}
        for entry in nodes(table, "hash_entry"):
            key = text(entry.named_children[0])
            value_node = entry.named_children[-1]
            value = verbatim(value_node)
            row[key] = value if value is not None else text(value_node)
        rows.append(row)
    return rows


def functions(script: Script) -> dict[str, Node]:
    """Every ``function Name {...}`` of the script, by name."""
    found: dict[str, Node] = {}
    for statement in nodes(script.root, "function_statement"):
        name_node = next(c for c in statement.children if c.type == "function_name")
        assert text(name_node) not in found, f"{script}: {text(name_node)} twice"
        found[text(name_node)] = statement
    return found


def function(script: Script, name: str) -> Node:
    found = functions(script)
    assert name in found, f"{script}: no function {name}"
    return found[name]


def commands_in(script: Script, node: Node) -> list[ps.Command]:
    """The oracle's commands whose line lies within ``node``."""
    first, last = node.start_point.row + 1, node.end_point.row + 1
    return [c for c in ps.commands(script.data) if first <= c.line <= last]


def command_nodes(node: Node, name: str) -> list[Node]:
    """``command`` nodes named ``name`` (case-insensitive) below ``node``."""
    found = []
    for command in nodes(node, "command"):
        name_node = command.child_by_field_name("command_name")
        if name_node is not None and text(name_node).casefold() == name.casefold():
            found.append(command)
    return found


def named(commands: list[ps.Command], name: str) -> list[ps.Command]:
    return [c for c in commands if c.name.casefold() == name.casefold()]


def canonical(command: ps.Command) -> str:
    """The command an alias resolves to, lower-case."""
    plain = command.name.strip("'\"").casefold()
    return ps.ALIAS_TARGETS.get(plain, plain).casefold()


def main_body(script: Script) -> list[ps.Command]:
    """Top-level commands from the wrong-host guard on: the script's steps."""
    inside = [
        (f.start_point.row + 1, f.end_point.row + 1)
        for f in nodes(script.root, "function_statement")
    ]
    body = [
        c
        for c in ps.commands(script.data)
        if not any(first <= c.line <= last for first, last in inside)
    ]
    start = next(i for i, c in enumerate(body) if c.name == "Assert-DrTargetComputer")
    return body[start:]


def first_line(commands: list[ps.Command], name: str, *arguments: str) -> int:
    """Line of the first command ``name`` passing every one of ``arguments``."""
    lines = [
        c.line
        for c in named(commands, name)
        if all(a.casefold() in (x.casefold() for x in c.arguments) for a in arguments)
    ]
    assert lines, f"no {name} {' '.join(arguments)}"
    return lines[0]


def parameter_value(command: ps.Command, parameter: str) -> str | None:
    """The argument bound to ``parameter``: ``-P value`` or ``-P:value``."""
    for i, given in enumerate(command.arguments):
        name, colon, value = given.partition(":")
        if name.casefold() != parameter.casefold():
            continue
        if colon:
            return value
        return command.arguments[i + 1] if i + 1 < len(command.arguments) else None
    return None


def method_calls(node: Node) -> list[tuple[str, str, list[Node], Node]]:
    """``(method, target text, argument nodes, call node)`` of each method call."""
    calls = []
    for call in nodes(node, "invocation_expression"):
        member = next((c for c in call.children if c.type == "member_name"), None)
        if member is None:
            continue
        arguments = [
            a
            for lst in nodes(call, "argument_expression_list")
            if lst.parent is not None and lst.parent.parent == call
            for a in lst.named_children
            if a.type == "argument_expression"
        ]
        calls.append((text(member), text(call.named_children[0]), arguments, call))
    return calls


def member_accesses(node: Node) -> list[tuple[str, str]]:
    """``(target text, member)`` of each property read or write."""
    found = []
    for access in nodes(node, "member_access"):
        member = next((c for c in access.children if c.type == "member_name"), None)
        if member is not None:
            found.append((text(access.named_children[0]), text(member)))
    return found


def variables(node: Node) -> set[str]:
    """Lower-case names of every variable used below ``node``."""
    return {text(v).casefold() for v in nodes(node, "variable")}


def condition(statement: Node) -> Node:
    found = statement.child_by_field_name("condition")
    assert found is not None, text(statement)[:60]
    return found


def branch_block(statement: Node) -> Node:
    """The statement block of an ``if``/``elseif`` (not its else parts)."""
    return next(c for c in statement.named_children if c.type == "statement_block")


def throws(node: Node) -> bool:
    return any(
        text(f).startswith("throw") for f in nodes(node, "flow_control_statement")
    )


def keyword_statements(node: Node, keyword: str) -> list[Node]:
    return [
        f
        for f in nodes(node, "flow_control_statement")
        if f.children and f.children[0].type == keyword
    ]


def calls_should_process(node: Node) -> bool:
    """Whether an ``if`` condition calls $PSCmdlet.ShouldProcess, not negated."""
    for method, target, _, call in method_calls(node):
        if method.casefold() == "shouldprocess" and target.casefold() == "$pscmdlet":
            negated = any(
                a.type == "expression_with_unary_operator"
                and a.children[0].type.casefold() in {"-not", "!"}
                for a in ancestors(call)
                if a.start_byte >= node.start_byte
            )
            return not negated
    return False


def guarded(node: Node) -> bool:
    """Whether ``node`` sits in the block of ``if ($PSCmdlet.ShouldProcess(...))``."""
    child = node
    for parent in ancestors(node):
        branch = child.type == "statement_block" and parent.type in {
            "if_statement",
            "elseif_clause",
        }
        if branch and calls_should_process(condition(parent)):
            return True
        child = parent
    return False


def assigned_variable(node: Node) -> str:
    """The variable an enclosing assignment stores ``node``'s value in."""
    for parent in ancestors(node):
        if parent.type == "assignment_expression":
            return text(parent.named_children[0]).strip().casefold()
    raise AssertionError(f"not assigned: {text(node)[:60]}")


def match_comparisons(node: Node, pattern_variable: str) -> list[Node]:
    """``... -match $pattern_variable`` comparisons below ``node``."""
    found = []
    for comparison in nodes(node, "comparison_expression"):
        operator = next(
            c for c in comparison.named_children if c.type == "comparison_operator"
        )
        right = comparison.named_children[-1]
        if (
            text(operator).casefold() == "-match"
            and text(right).strip().casefold() == f"${pattern_variable}".casefold()
        ):
            found.append(comparison)
    return found


def throws_when(scope: Node, variable: str) -> bool:
    """Whether some ``if`` in ``scope`` that tests ``variable`` throws."""
    return any(
        variable in variables(condition(statement)) and throws(branch_block(statement))
        for statement in nodes(scope, "if_statement")
    )


def script_parameters(params: Node) -> dict[str, Node]:
    """Parameters of a ``param_block``, lower-case name -> declaring node.

    tree-sitter-pwsh folds a parameter that follows one with a default into that
    default (``$a = '', [switch]$b`` reads as an array); such a parameter is found
    there, as its ``cast_expression``.
    """
    found: dict[str, Node] = {}
    for parameter in nodes(params, "script_parameter"):
        variable = next(c for c in parameter.named_children if c.type == "variable")
        found[text(variable).casefold()] = parameter
        for default in parameter.named_children:
            if default.type != "script_parameter_default":
                continue
            for array in default.named_children:
                if array.type != "array_literal_expression":
                    continue
                for element in array.named_children[1:]:
                    own = nodes(element, "variable")
                    if own:
                        found[text(own[-1]).casefold()] = element
    return found


def script_param_block(script: Script) -> Node:
    return next(c for c in script.root.named_children if c.type == "param_block")


def is_switch(declaration: Node) -> bool:
    types = [text(t).casefold() for t in nodes(declaration, "type_literal")]
    return "[switch]" in types


def validate_set(declaration: Node) -> list[str]:
    for attribute in nodes(declaration, "attribute"):
        name = next((c for c in attribute.children if c.type == "attribute_name"), None)
        if name is not None and text(name).casefold() == "validateset":
            return strings(attribute)
    raise AssertionError(f"no ValidateSet on {text(declaration)[:60]}")


def help_comment(script: Script) -> str:
    """The comment-based help block at the top of the script."""
    for child in script.root.named_children:
        if child.type == "comment" and text(child).startswith("<#"):
            return text(child)
    raise AssertionError(f"{script}: no comment-based help")


def artifact(rendered: Rendered, stem: str, name: str) -> RenderedArtifact:
    (found,) = [a for p, a in rendered[stem].items() if p.name == name]
    return found


def site_xml(rendered: Rendered, stem: str, name: str) -> ET.Element:
    return ET.fromstring(artifact(rendered, stem, name).text)


def locate(text_: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle``."""
    assert needle in text_, needle
    return text_[: text_.index(needle)].count("\n") + 1


# ----------------------------------------------------------- runbook structure


@dataclass(frozen=True)
class Item:
    """One numbered step of a runbook section: its source text and code spans."""

    number: int
    text: str
    code: tuple[str, ...]


def section_tokens(markdown: str, heading: str) -> list[Token]:
    """The tokens of the ``##`` section whose heading starts with ``heading``."""
    tokens = MarkdownIt().parse(markdown)
    start = None
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            title = tokens[i + 1].content
            if start is not None:
                return tokens[start:i]
            if title.startswith(heading):
                start = i + 3
    assert start is not None, heading
    return tokens[start:]


def steps(markdown: str, heading: str) -> list[Item]:
    """The numbered steps (``### <phase>.<k> title`` sections) of a runbook phase,
    each with all its text (headings, paragraphs, commands) and its code."""
    items: list[Item] = []
    parts: list[str] = []
    code: list[str] = []
    open_step = False

    def close() -> None:
        if open_step:
            joined = re.sub(r"\s+", " ", " ".join(parts))
            items.append(Item(len(items) + 1, joined, tuple(code)))

    tokens = section_tokens(markdown, heading)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h3":
            close()
            title = tokens[i + 1].content
            # "Abort path" is not a step: it has no number.
            number = re.match(r"\d+\.\d+ ", title)
            open_step = number is not None
            parts, code = [title[number.end() :] if number else title], []
        elif token.type == "inline" and not (i and tokens[i - 1].tag == "h3"):
            parts.append(token.content)
            code += [c.content for c in token.children or [] if c.type == "code_inline"]
        elif token.type == "code_block":
            lines = [line.strip() for line in token.content.splitlines()]
            parts += lines
            code += [line for line in lines if line]
    close()
    assert items, heading
    return items


def failover(rendered: Rendered, stem: str) -> list[Item]:
    return steps(artifact(rendered, stem, "Runbook.md").text, "3. Failover")


def item_index(items: list[Item], test: Callable[[Item], bool], what: str) -> int:
    found = [i for i, item in enumerate(items) if test(item)]
    assert found, f"no failover step {what}"
    return found[0]


def load_error(path: Path) -> InventoryError:
    """The error loading an invalid inventory raises."""
    doc = load_inventory(path)
    with pytest.raises(InventoryError) as caught:
        parse_inventory(doc)
    return caught.value


def plan_error(path: Path) -> PlanError:
    """The error planning a well-formed inventory that breaks a rule raises."""
    doc = load_inventory(path)
    inv = parse_inventory(doc)
    with pytest.raises(PlanError) as caught:
        build_plan(inv, doc, path.stem)
    return caught.value


def diagnostics_with(error: InventoryError, code: str) -> list[Diagnostic]:
    found = [d for d in error.diagnostics if d.code == code]
    assert found, [d.format() for d in error.diagnostics]
    return found


def consolidated_text() -> str:
    return (INVENTORIES / "consolidated.yaml").read_text(encoding="utf-8")


def edit(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, old
    return source.replace(old, new)


# ============================================== A1. MessageBoxes: MSBTS_MsgBoxSetting


def test_a1_no_script_names_a_messagebox_wmi_class_that_does_not_exist(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A1: there is no WMI class MSBTS_MessageBox (its name is MSBTS_MsgBoxSetting)."""
    for script in scripts(all_artifacts):
        names = [
            *strings(script.root),
            *(text(n) for n in nodes(script.root, "generic_token")),
            *(text(n) for n in nodes(script.root, "expandable_string_literal")),
        ]
        assert not [n for n in names if re.search(r"MSBTS_MessageBox\b", n)], script


def test_a1_enable_checks_messageboxes_through_msgboxsetting(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A1: the MessageBox check reads MsgBoxDBServerName/MsgBoxDBName of that class."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        queries = [
            command
            for command in nodes(script.root, "command")
            if "MSBTS_MsgBoxSetting" in strings(command)
            and {"-class", "-classname"}
            & {text(p).casefold() for p in nodes(command, "command_parameter")}
        ]
        assert len(queries) == 1, script
        (query,) = queries
        owner = next(a for a in ancestors(query) if a.type == "function_statement")
        boxes = {assigned_variable(query)}
        for loop in nodes(owner, "foreach_statement"):
            loop_variable, collection = loop.named_children[:2]
            if variables(collection) & boxes:
                boxes.add(text(loop_variable).casefold())
        read = {m for target, m in member_accesses(owner) if target.casefold() in boxes}
        assert {"MsgBoxDBServerName", "MsgBoxDBName"} <= read, script
        # The location is compared with the DR SQL instances, and a miss stops it.
        assert any(
            "MsgBoxDBServerName" in text(condition(s))
            and "$drsqlinstances" in variables(condition(s))
            and throws(branch_block(s))
            for s in nodes(owner, "if_statement")
        ), script
        name = text(next(c for c in owner.children if c.type == "function_name"))
        body = main_body(script)
        assert first_line(body, name) < first_line(body, "Enable-DrHostInstance")


# ============================================================ A2. version prefixes


def test_a2_catalogue_version_prefixes() -> None:
    """A2: BizTalk 2013 R2 is 3.11, 2016 is 3.12, 2020 is 3.13 (not off by one)."""
    assert CATALOGUE["ver:2013R2"] == "3.11."
    assert CATALOGUE["ver:2016"] == "3.12."
    assert CATALOGUE["ver:2020"] == "3.13."


def test_a2_every_script_checks_the_planned_prefix(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """A2: each script's $ProductVersionPrefix is the plan's (and the version's)."""
    expected = {"example": "3.13.", "consolidated": "3.12."}
    checked = set()
    for script in scripts(all_artifacts):
        # The bundle check checks no product; the discovery script reports it.
        if script.name in {"Test-DrBundle.ps1", "Export-BizTalkGroup.ps1"}:
            continue
        prefix = top_string(script, "ProductVersionPrefix")
        assert prefix == plans[script.stem].site.product_version_prefix, script
        assert prefix == expected[script.stem], script
        checked.add(script.name)
    assert {*SERVER_SCRIPTS, "Update-DrGroupDatabases.ps1"} <= checked


def test_a2_biztalk_2013r2_scripts_check_3_11(write_inventory) -> None:
    """A2: a BizTalk 2013 R2 group renders scripts that expect ProductVersion 3.11."""
    source = edit(
        consolidated_text(), 'biztalk_version: "2016"', 'biztalk_version: "2013R2"'
    )
    (plan,) = plan_inventories([write_inventory(source, "r2.yaml")])
    arts = render_unsigned(plan, make_environment())
    checked = [
        script
        for script in scripts(arts)
        if script.name in {*SERVER_SCRIPTS, "Update-DrGroupDatabases.ps1"}
    ]
    assert len(checked) == 9
    for script in checked:
        assert top_string(script, "ProductVersionPrefix") == "3.11.", script


@pytest.mark.parametrize(
    "name",
    ["Enable-DrServer.ps1", "Initialize-DrServer.ps1", "Update-DrGroupDatabases.ps1"],
)
def test_a2_skip_version_check_is_a_switch_passed_on(
    all_artifacts: list[RenderedArtifact], name: str
) -> None:
    """A2: -SkipVersionCheck exists and reaches Assert-DrBizTalkInstalled."""
    for script in scripts(all_artifacts, name):
        parameters = script_parameters(script_param_block(script))
        assert "$skipversioncheck" in parameters, script
        assert is_switch(parameters["$skipversioncheck"]), script
        calls = named(ps.commands(script.data), "Assert-DrBizTalkInstalled")
        assert calls, script
        for call in calls:
            assert "-SkipVersionCheck:$SkipVersionCheck" in call.arguments, script
        checker = function(script, "Assert-DrBizTalkInstalled")
        assert "$productversionprefix" in variables(checker), script


# ===================================================== A3. UpdateInfo.xml RuleEngineDB


@pytest.mark.parametrize("stem", EXAMPLES)
def test_a3_rule_engine_is_one_top_level_element(rendered: Rendered, stem: str) -> None:
    """A3: UpdateDatabase.vbs reads /UpdateConfiguration/RuleEngineDB only."""
    inv = inventory(stem)
    rules = inv.group.databases.rule_engine
    assert rules is not None  # both examples configure the Rules Engine
    root = site_xml(rendered, stem, "UpdateInfo.xml")
    assert root.tag == "UpdateConfiguration"
    assert len(list(root.iter("RuleEngineDB"))) == 1
    (element,) = root.findall("RuleEngineDB")
    assert element.attrib == {
        "oldDBServer": rules.server,
        "oldDBName": rules.name,
        "newDBServer": dr_of(inv, rules.server),
        "newDBName": rules.name,
    }
    other = [d.get("Name", "") for d in root.findall("OtherDatabases/Database")]
    assert not [n for n in other if re.search(r"rule", n, re.IGNORECASE)], other


# ======================================================= A4. OtherDatabases names


@pytest.mark.parametrize("stem", EXAMPLES)
def test_a4_other_databases_are_named_as_registered(
    rendered: Rendered, stem: str
) -> None:
    """A4: SSO is 'SSO'; a custom database is its Backup job name, not a label."""
    inv = inventory(stem)
    root = site_xml(rendered, stem, "UpdateInfo.xml")
    entries = root.findall("OtherDatabases/Database")
    by_name: dict[str, list[ET.Element]] = {}
    for entry in entries:
        by_name.setdefault(entry.get("Name", ""), []).append(entry)

    def moved(db: Database) -> dict[str, str]:
        return {
            "oldDBServer": db.server,
            "oldDBName": db.name,
            "newDBServer": dr_of(inv, db.server),
            "newDBName": db.name,
        }

    (sso,) = by_name["SSO"]
    assert {k: v for k, v in sso.attrib.items() if k != "Name"} == moved(
        inv.group.databases.sso
    )
    for other in inv.group.databases.other:
        (entry,) = by_name[other.backup_name]
        assert {k: v for k, v in entry.attrib.items() if k != "Name"} == moved(other)
        if other.label and other.label != other.backup_name:
            assert other.label not in by_name
    if stem == "consolidated":
        assert [o.backup_name for o in inv.group.databases.other] == ["FabrikamOrders"]


def test_a4_custom_database_without_backup_name_is_located(write_inventory) -> None:
    """A4: backup_name is required, and its absence points at the entry."""
    entry = (
        r"{backup_name: FabrikamOrders, label: Fabrikam Orders, "
        r"server: FABSQL02\BTS, name: FabrikamOrders}"
    )
    source = edit(
        consolidated_text(),
        entry,
        r"{label: Fabrikam Orders, server: FABSQL02\BTS, name: FabrikamOrders}",
    )
    error = load_error(write_inventory(source))
    (missing,) = [
        d for d in diagnostics_with(error, "missing-key") if "backup_name" in d.message
    ]
    assert missing.severity == "error"
    assert missing.location.line == locate(source, "{label: Fabrikam Orders")
    assert missing.location.column > 0


@pytest.mark.parametrize(
    "reserved",
    [
        "SSO",
        "sso",
        "RuleEngine DB",
        "BAM Alerts Application DB",
        "BAM Alerts Instance DB",
        "HWS Administration DB",
    ],
)
def test_a4_reserved_backup_name_is_a_rule_error(
    write_inventory, reserved: str
) -> None:
    """A4: a custom database may not claim a name BizTalk registers itself."""
    source = edit(
        consolidated_text(),
        "backup_name: FabrikamOrders",
        f'backup_name: "{reserved}"',
    )
    error = plan_error(write_inventory(source))
    (found,) = diagnostics_with(error, "reserved-backup-name")
    assert found.severity == "error"
    assert found.location.line == locate(source, f'backup_name: "{reserved}"')
    assert found.location.column > 0


@pytest.mark.parametrize("stem", EXAMPLES)
def test_a4_bam_deployment_units_in_documented_order(
    rendered: Rendered, stem: str
) -> None:
    """A4: BAM units in the documented order; Old* names production, the rest DR."""
    inv = inventory(stem)
    bam = inv.group.databases.bam
    root = site_xml(rendered, stem, "UpdateInfo.xml")
    if bam is None:
        assert root.find("BAM") is None
        return
    units = root.findall("BAM/DeploymentUnit")
    names = [u.get("Name") for u in units]
    documented = [
        "OldPrimaryImportDatabase",
        "PrimaryImportDatabase",
        "ArchivingDatabase",
        "StarSchemaDatabase",
    ]
    present = {
        "ArchivingDatabase": bam.archive is not None,
        "StarSchemaDatabase": bam.star_schema is not None,
        "AnalysisDatabase": bam.analysis is not None,
        "Alert": bam.alerts_instance is not None,
    }
    assert [n for n in names if n in documented] == [
        n for n in documented if present.get(n, True)
    ]
    assert ("AnalysisDatabase" in names) == present["AnalysisDatabase"]
    assert ("Alert" in names) == present["Alert"]
    expected_db = {
        "OldPrimaryImportDatabase": bam.primary_import,
        "PrimaryImportDatabase": bam.primary_import,
        "ArchivingDatabase": bam.archive,
        "StarSchemaDatabase": bam.star_schema,
        "AnalysisDatabase": bam.analysis,
    }
    for unit in units:
        name = unit.get("Name", "")
        if name == "Alert":
            continue
        db = expected_db[name]
        assert db is not None
        properties = {p.get("Name"): p.text for p in unit.findall("Property")}
        server = db.server if name.startswith("Old") else dr_of(inv, db.server)
        assert properties == {"ServerName": server, "DatabaseName": db.name}, name
    if stem == "consolidated":
        assert names == documented


# ===================================================== A5. Update-DrGroupDatabases


def test_a5_error_lines_fail_the_update(all_artifacts: list[RenderedArtifact]) -> None:
    """A5: UpdateDatabase.vbs prints 'Error: ...', exits 0; such lines fail the run."""
    for script in scripts(all_artifacts, "Update-DrGroupDatabases.ps1"):
        assert (
            top_string(script, "UpdateDatabaseErrorPattern")
            == CATALOGUE["out:updatedatabase-error"]
        )
        assert (
            top_string(script, "ScriptErrorPattern") == CATALOGUE["out:cscript-error"]
        )
        update = function(script, "Update-DrGroupDatabases")
        runs = [
            c
            for c in command_nodes(update, "Invoke-DrNative")
            if command_nodes(c, "Get-DrCscript")
        ]
        assert len(runs) == 1, script
        run = assigned_variable(runs[0])
        for pattern in ("UpdateDatabaseErrorPattern", "ScriptErrorPattern"):
            (match,) = match_comparisons(update, pattern)
            assert match.start_byte > runs[0].end_byte, script
            assignment = next(
                a for a in ancestors(match) if a.type == "assignment_expression"
            )
            assert (run, "lines") in {
                (t.casefold(), m.casefold()) for t, m in member_accesses(assignment)
            }, script
            assert throws_when(update, assigned_variable(match)), script


def test_a5_catalogue_patterns_match_what_the_tools_print() -> None:
    """A5: the patterns catch UpdateDatabase.vbs and cscript errors, not info lines."""

    def matches(pattern: str, sample: str) -> bool:
        # PowerShell's -match is case-insensitive.
        return re.search(pattern, sample, re.IGNORECASE) is not None

    error, script_error = (
        CATALOGUE["out:updatedatabase-error"],
        CATALOGUE["out:cscript-error"],
    )
    assert matches(error, "Error: Failed to update the BAM databases: x")
    assert matches(
        script_error,
        "C:\\x\\UpdateDatabase.vbs(120, 2) Microsoft OLE DB Provider for SQL Server: "
        "Invalid",
    )
    for info in ("Info: Updating the adm_Group table", "Updating the adm_Group table"):
        assert not matches(error, info)
        assert not matches(script_error, info)


_QUERY = re.compile(
    r"^SELECT N'[^']*'(?: \+ \w+)?, (?P<column>\w+), N'(?P<form>\w+)' "
    r"FROM dbo\.(?P<table>\w+)$"
)


def reference_queries(script: Script) -> set[tuple[str, str, str]]:
    """``(table, column, form)`` of each query in ``$ReferenceQueries``."""
    found = set()
    for query in strings(top_assignment(script, "ReferenceQueries")):
        parsed = _QUERY.match(query)
        assert parsed is not None, query
        found.add((parsed["table"], parsed["column"], parsed["form"]))
    return found


def test_a5_reference_queries_cover_every_reference(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A5: every management-database reference to another database is read back."""
    for script in scripts(all_artifacts, "Update-DrGroupDatabases.ps1"):
        dbs = inventory(script.stem).group.databases
        queries = reference_queries(script)
        required = {
            ("adm_Group", "SubscriptionDBServerName", "server"),
            ("adm_Group", "TrackingDBServerName", "server"),
            ("adm_MessageBox", "DBServerName", "server"),
            ("TDDS_Destinations", "ConnectionString", "connection"),
            # UpdateDatabase.vbs rewrites a MessageBox's tracking source only WHERE
            # SourceName = '<oldServer>_<oldDB>': a miss leaves DR tracking reading
            # production MessageBoxes (public copies of UpdateDatabase.vbs).
            ("TDDS_Sources", "ConnectionString", "connection"),
            ("adm_OtherBackupDatabases", "ServerName", "server"),
            # ... and adm_OtherDatabases beside adm_OtherBackupDatabases.
            ("adm_OtherDatabases", "ServerName", "server"),
        }
        assert required <= queries, script
        rules = ("adm_Group", "RuleEngineDBServerName", "server")
        bam = ("adm_Group", "BamDBServerName", "server")
        assert (rules in queries) == (dbs.rule_engine is not None), script
        assert (bam in queries) == (dbs.bam is not None), script
        assert (bam in queries) == (script.stem == "consolidated"), script
        stale = function(script, "Get-DrStaleReferences")
        assert any(
            "$referencequeries" in variables(loop.named_children[1])
            for loop in nodes(stale, "foreach_statement")
        ), script


# ================================================== A6. registry references checked


def test_a6_registry_checks_name_production_and_dr(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """A6: management, SSO and (rules servers only) Rules Engine values are checked."""
    planned = server_plans(plans)
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        site = plans[script.stem].site
        server = planned[(script.stem, script.server)]
        rows = records(top_assignment(script, "RegistryChecks"))
        found = {(r["Key"], r["Value"]): (r["Production"], r["Dr"]) for r in rows}
        expected = {
            (ADMIN_KEY, "MgmtDBServer"): (
                site.production_mgmt.server,
                site.dr_mgmt.server,
            ),
            (SSO_SQL_KEY, "Server"): (site.production_sso.server, site.dr_sso.server),
        }
        if server.rules_engine:
            rules = site.update_info.rule_engine
            assert rules is not None
            expected[(RULES_KEY, "DatabaseServer")] = (
                rules.old_server,
                rules.new_server,
            )
        for key, values in expected.items():
            assert found.get(key) == values, (script, key)
            (row,) = [r for r in rows if (r["Key"], r["Value"]) == key]
            assert row["Optional"] == "$false", (script, key)
        if not server.rules_engine:
            assert not [r for r in rows if "BusinessRules" in r["Key"]], script


def test_a6_registry_is_checked_between_update_and_wmi_restart(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A6: values are read back after UpdateRegistry.vbs; drgen never writes them."""
    writers = {"set-itemproperty", "new-itemproperty", "remove-itemproperty"}
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        body = main_body(script)
        update = first_line(body, "Update-DrRegistryReferences")
        check = first_line(body, "Assert-DrRegistryReferences")
        restart = first_line(body, "Restart-DrWmi")
        assert update < check < restart, script
        assertion = function(script, "Assert-DrRegistryReferences")
        assert not [
            c for c in commands_in(script, assertion) if canonical(c) in writers
        ], script
        assert not [c for c in ps.commands(script.data) if canonical(c) in writers]
        assert any(
            "$registrychecks" in variables(loop.named_children[1])
            for loop in nodes(assertion, "foreach_statement")
        ), script
        assert throws(assertion), script


# ========================================================= A7. SSO master secret


def test_a7_master_secret_server_checks_displaydb_around_updatedb(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """A7: -displaydb before and after the guarded 'ssomanage -updatedb'."""
    planned = server_plans(plans)
    updatedb = f"'{CATALOGUE['arg:ssomanage.exe-updatedb']}'"
    masters = 0
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        server = planned[(script.stem, script.server)]
        flag = text(top_assignment(script, "IsMasterSecretServer")).strip()
        assert flag == ("$true" if server.is_master_secret else "$false"), script
        if not server.is_master_secret:
            continue
        masters += 1
        promote = function(script, "Enable-DrMasterSecretServer")
        cmds = commands_in(script, promote)
        runs = [
            c
            for c in named(cmds, "Invoke-DrNative")
            if any(updatedb in a for a in c.arguments)
        ]
        assert len(runs) == 1, script
        assert runs[0].guarded, script
        display = [c.line for c in named(cmds, "Get-DrSsoView")]
        assert [n for n in display if n < runs[0].line], script
        assert [n for n in display if n > runs[0].line], script
        reader = function(script, "Get-DrSsoView")
        assert named(commands_in(script, reader), "Get-DrSsoDisplayDb"), script
        tool = commands_in(script, function(script, "Get-DrSsoDisplayDb"))
        assert [
            c
            for c in named(tool, "Get-DrNativeOutput")
            if any("'-displaydb'" in a for a in c.arguments)
        ], script
        # The promotion runs when the flag is set, in the main body.
        (call,) = command_nodes(script.root, "Enable-DrMasterSecretServer")
        assert reachable_when(call, master=True), script
    assert masters == len(plans)


def reachable_when(call: Node, *, master: bool) -> bool:
    """Whether ``call`` runs when $IsMasterSecretServer is ``master``."""
    child = call
    for parent in ancestors(call):
        if parent.type == "if_statement":
            test = text(condition(parent)).replace(" ", "").casefold()
            wants = {"$ismastersecretserver": True, "-not$ismastersecretserver": False}
            if test in wants:
                in_else = child.type == "else_clause"
                if (wants[test] != in_else) != master:
                    return False
        child = parent
    return True


def test_a7_other_servers_check_the_secret_server_before_sso_starts(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """A7: a non-master server checks SSODB's secret server before ENTSSO starts."""
    planned = server_plans(plans)
    others = 0
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        parameters = script_parameters(script_param_block(script))
        assert is_switch(parameters["$skipsecretservercheck"]), script
        check = function(script, "Assert-DrSecretServerIsDr")
        assert throws_when(check, "$skipsecretservercheck"), script
        if planned[(script.stem, script.server)].is_master_secret:
            continue
        others += 1
        (call,) = command_nodes(script.root, "Assert-DrSecretServerIsDr")
        assert reachable_when(call, master=False), script
        body = main_body(script)
        start = first_line(body, "Enable-DrService", "-Name", "$SsoService", "-Start")
        assert line(call) < start, script
    assert others == sum(len(p.site.failover_after_master) for p in plans.values())


@pytest.mark.parametrize("name", ["Enable-DrServer.ps1", "Test-DrServer.ps1"])
def test_a7_master_secret_presence_has_one_definition(
    all_artifacts: list[RenderedArtifact], name: str
) -> None:
    """A7: only Test-DrSecretPresent looks at the SSOSS key."""
    for script in scripts(all_artifacts, name):
        helper = function(script, "Test-DrSecretPresent")
        definition = top_assignment(script, "SsoSecretRegistryKey")
        assert verbatim(definition) == r"HKLM:\SOFTWARE\Microsoft\ENTSSO\SSOSS"
        assignment = next(
            a for a in ancestors(definition) if a.type == "assignment_expression"
        )
        uses = [
            v
            for v in nodes(script.root, "variable")
            if text(v).casefold() == "$ssosecretregistrykey"
        ]
        outside = [
            v
            for v in uses
            if not within(v, helper) and not within(v, assignment.named_children[0])
        ]
        assert not outside, (script, [line(v) for v in outside])
        assert [v for v in uses if within(v, helper)], script
        literal_uses = [
            n
            for n in nodes(script.root, "verbatim_string_characters")
            if "\\SSOSS" in text(n).upper()
        ]
        assert len(literal_uses) == 1, script
        caller = (
            "Enable-DrMasterSecretServer"
            if name == "Enable-DrServer.ps1"
            else "Get-DrStateReport"
        )
        assert named(
            commands_in(script, function(script, caller)), "Test-DrSecretPresent"
        ), script


# ============================================================ A8. WMI writes


def test_a8_no_cim_cmdlets(all_artifacts: list[RenderedArtifact]) -> None:
    """A8: the CIM cmdlets refuse properties without the Write qualifier."""
    banned = {"set-ciminstance", "invoke-cimmethod", "new-ciminstance"}
    for script in scripts(all_artifacts):
        used = {canonical(c) for c in ps.commands(script.data)}
        assert not used & banned, script


def test_a8_wmi_properties_written_with_put(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A8: IsDisabled and SSOServerName: assignment, then .Put(), both guarded."""
    written: dict[str, set[str]] = {}
    for script in scripts(all_artifacts, *CHANGING):
        for assignment in nodes(script.root, "assignment_expression"):
            left = assignment.named_children[0]
            accesses = member_accesses(left)
            if not accesses or accesses[0][1] not in {"IsDisabled", "SSOServerName"}:
                continue
            target, member = accesses[0]
            written.setdefault(script.name, set()).add(member)
            assert guarded(assignment), (script, line(assignment))
            statement = next(a for a in ancestors(assignment) if a.type == "pipeline")
            siblings = statement.parent
            assert siblings is not None
            later = [
                call
                for s in siblings.named_children
                if s.start_byte > statement.end_byte
                for method, on, _, call in method_calls(s)
                if method == "Put" and on == target
            ]
            assert later, (script, line(assignment))
            assert guarded(later[0]), (script, line(later[0]))
    for name in (
        "Initialize-DrServer.ps1",
        "Enable-DrServer.ps1",
        "Disable-DrServer.ps1",
    ):
        assert "IsDisabled" in written.get(name, set()), name
    assert "SSOServerName" in written["Enable-DrServer.ps1"]


def test_a8_wmi_methods_through_invokemethod(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A8: BizTalk WMI methods run through psbase.InvokeMethod, never directly."""
    wmi_methods = CATALOGUE.names(Kind.WMI_METHOD)
    assert {"Install", "Map", "Start", "Stop"} <= wmi_methods
    expected = {
        "Initialize-DrServer.ps1": {"Map", "Install", "Stop"},
        "Enable-DrServer.ps1": {"Start", "Stop"},
        "Disable-DrServer.ps1": {"Stop"},
    }
    for script in scripts(all_artifacts, *expected):
        invoked = set()
        for method, target, arguments, call in method_calls(script.root):
            if method == "InvokeMethod":
                assert target.casefold().endswith(".psbase"), (script, line(call))
                value = verbatim(arguments[0])
                assert value in wmi_methods, (script, line(call))
                invoked.add(value)
                assert guarded(call), (script, line(call))
            assert method not in {"Install", "Map"}, (script, line(call))
        assert expected[script.name] <= invoked, script
        for name in (
            "Stop-DrHostInstance",
            "Enable-DrHostInstance",
            "Install-DrHostInstance",
        ):
            if name not in functions(script):
                continue
            direct = [
                m
                for m, _, _, _ in method_calls(function(script, name))
                if m in wmi_methods
            ]
            assert not direct, (script, name, direct)


# ======================================================== A9. PowerShell 5.1 traps


def test_a9_no_parameter_default_uses_psscriptroot(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A9: under -File, 5.1 leaves $PSScriptRoot empty while defaults are computed."""
    for script in scripts(all_artifacts):
        defaults = nodes(script.root, "script_parameter_default")
        for default in defaults:
            assert "$psscriptroot" not in variables(default), (script, line(default))


def test_a9_every_script_requires_desktop_edition(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A9: the scripts are for Windows PowerShell 5.1, not PowerShell 7."""
    for script in scripts(all_artifacts):
        requires = [
            [text(a) for a in nodes(r, "requires_argument")]
            for r in nodes(script.root, "requires_statement")
        ]
        assert ["-PSEdition", "Desktop"] in requires, script


#: Cmdlets that have -Confirm in Windows PowerShell 5.1 and change something.
CONFIRM_CMDLETS = frozenset(
    name.casefold()
    for name in (
        "Set-Service",
        "Start-Service",
        "Stop-Service",
        "Restart-Service",
        "Suspend-Service",
        "Resume-Service",
        "New-Service",
        "Copy-Item",
        "Move-Item",
        "Remove-Item",
        "Rename-Item",
        "New-Item",
        "Set-Item",
        "Clear-Item",
        "Set-ItemProperty",
        "New-ItemProperty",
        "Remove-ItemProperty",
        "Rename-ItemProperty",
        "Copy-ItemProperty",
        "Move-ItemProperty",
        "Clear-ItemProperty",
        "Set-Acl",
        "Set-Content",
        "Add-Content",
        "Clear-Content",
        "Out-File",
        "Stop-Process",
        "Invoke-WmiMethod",
        "Set-WmiInstance",
        "Remove-WmiObject",
        "Invoke-CimMethod",
        "Set-CimInstance",
        "New-CimInstance",
        "Remove-CimInstance",
        "Restart-Computer",
        "Stop-Computer",
    )
)


def should_process_functions(script: Script) -> set[str]:
    """Lower-case names of the script's functions with SupportsShouldProcess."""
    found = set()
    for name, statement in functions(script).items():
        for attribute in nodes(statement, "attribute"):
            if "SupportsShouldProcess = $true" in text(attribute):
                found.add(name.casefold())
                break
    return found


def test_a9_guarded_changes_do_not_ask_twice(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A9: under -Confirm, a cmdlet inside an approved change would prompt again."""
    for script in scripts(all_artifacts):
        confirming = CONFIRM_CMDLETS | should_process_functions(script)
        for command in ps.commands(script.data):
            name = canonical(command)
            passed = {a.casefold() for a in command.arguments}
            if name == "start-process":
                # 5.1's Start-Process has no -Confirm: passing it is an error.
                assert not [a for a in passed if a.startswith("-confirm")], script
            if command.guarded and name in confirming:
                assert "-confirm:$false" in passed, (script, command.line, command.name)


def test_a9_wmi_result_null_is_a_failure(all_artifacts: list[RenderedArtifact]) -> None:
    """A9: a declined or silent WMI call returns $null, which is not success."""
    # The server scripts that make changes call WMI methods (the site script not).
    server_changing = [n for n in CHANGING if n != "Update-DrGroupDatabases.ps1"]
    for script in scripts(all_artifacts, *server_changing):
        checker = function(script, "Assert-DrWmiResult")
        assert any(
            re.fullmatch(r"\$null\s+-eq\s+\$Result", text(condition(s)).strip())
            and throws(branch_block(s))
            for s in nodes(checker, "if_statement")
        ), script


def test_a9_no_restart_service_and_bounded_waits(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A9: Restart-Service and one-argument WaitForStatus wait without a bound."""
    for script in scripts(all_artifacts):
        assert not [
            c for c in ps.commands(script.data) if canonical(c) == "restart-service"
        ], script
        for method, _, arguments, call in method_calls(script.root):
            if method.casefold() == "waitforstatus":
                assert len(arguments) == 2, (script, line(call))


AUTOMATIC = frozenset({"$true", "$false", "$null"})


def plain_variable(name: str) -> str:
    """``$script:Problems`` -> ``$problems``."""
    bare = name.casefold().lstrip("$")
    for scope in ("script:", "global:", "local:"):
        bare = bare.removeprefix(scope)
    return "$" + bare


def test_a9_every_script_ends_with_an_explicit_exit(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A9: without exit, -Command '...; exit $LASTEXITCODE' returns a stale code."""
    for script in scripts(all_artifacts):
        statements = top_level(script.root)
        last = statements[-1]
        assert last.type == "flow_control_statement", script
        assert last.children[0].type == "exit", script
        assert nodes(last, "integer_literal"), script
        # The run is one try with a catch-all; only exits follow it, and they
        # decide from variables set before the try (never only inside it).
        tries = [i for i, s in enumerate(statements) if s.type == "try_statement"]
        assert tries, script
        run = statements[tries[-1]]
        assert [
            c
            for c in nodes(run, "catch_clause")
            if not any(k.type == "catch_type_list" for k in c.named_children)
        ], script
        before = {
            plain_variable(text(s.named_children[0].named_children[0]))
            for s in statements[: tries[-1]]
            if s.type == "pipeline"
            and s.named_children
            and s.named_children[0].type == "assignment_expression"
        }
        for statement in statements[tries[-1] + 1 :]:
            assert statement.type in {"if_statement", "flow_control_statement"}
            if statement.type == "if_statement":
                assert nodes(statement, "flow_control_statement"), script
                used = {plain_variable(v) for v in variables(condition(statement))}
                assert used - AUTOMATIC <= before, (script, used - AUTOMATIC - before)
        for exit_ in keyword_statements(script.root, "exit"):
            assert len(exit_.named_children) == 1, (script, line(exit_))
        functions_ = nodes(script.root, "function_statement")
        blocks = nodes(script.root, "script_block_expression")
        for return_ in keyword_statements(script.root, "return"):
            assert any(within(return_, f) for f in (*functions_, *blocks)), (
                script,
                line(return_),
            )


# -NonInteractive: a prompt fails instead of waiting for ever; try/catch: a script
# that cannot start at all (not elevated, not trusted) exits 3, not 0.
_UNATTENDED = (
    r"powershell\.exe -NoProfile -NonInteractive -Command \"try \{{ "
    r"& '\.\\{name}'(?: [^\"\r\n]*)? "
    r"-Confirm:\$false; exit \$LASTEXITCODE \}} catch \{{ exit 3 \}}\""
)


def test_a9_unattended_form_in_help_and_runbook(
    all_artifacts: list[RenderedArtifact], rendered: Rendered
) -> None:
    """A9: -File cannot pass -Confirm:$false; the help shows the form that can."""
    changing = set()
    for script in scripts(all_artifacts):
        calls = [m for m, t, _, _ in method_calls(script.root) if m == "ShouldProcess"]
        if not calls:
            continue
        changing.add(script.name)
        help_ = help_comment(script)
        pattern = _UNATTENDED.format(name=re.escape(script.name))
        found = re.search(pattern, help_)
        assert found is not None, script
        assert help_.index(".EXAMPLE") < found.start(), script
    # The discovery script writes its one file through ShouldProcess (-WhatIf).
    assert changing == {*CHANGING, "Export-BizTalkGroup.ps1"}
    for stem in EXAMPLES:
        tokens = MarkdownIt().parse(artifact(rendered, stem, "Runbook.md").text)
        blocks = [t.content for t in tokens if t.type in {"code_block", "fence"}]
        pattern = _UNATTENDED.format(name=r"[\w-]+\.ps1")
        assert [b for b in blocks if re.search(pattern, b)], stem


# ============================================================ A10. answer file, join


def answer_files(rendered: Rendered) -> list[tuple[str, ET.Element]]:
    return [
        (str(path), ET.fromstring(art.text))
        for arts in rendered.values()
        for path, art in arts.items()
        if path.name == "ConfigurationAnswers.xml"
    ]


def test_a10_answer_file_shape(rendered: Rendered) -> None:
    """A10: no gMSA flag under ENTSSO; the empty MOT feature every export carries."""
    files = answer_files(rendered)
    assert len(files) == 5
    for path, root in files:
        (sso,) = [s for s in root.iter("NTService") if s.get("ID") == "ENTSSO"]
        assert sso.find("IsGmsaAccount") is None, path
        (mot,) = [f for f in root.findall("Feature") if f.get("Name") == "MOT"]
        assert len(mot) == 0, path
        assert not (mot.text or "").strip(), path


def test_a10_join_is_read_back(all_artifacts: list[RenderedArtifact]) -> None:
    """A10: the join is proved by MSBTS_Server and the SSO registry, not exit codes."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        join = function(script, "Assert-DrJoinComplete")
        cmds = commands_in(script, join)
        assert named(cmds, "Test-DrServerRegistered"), script
        assert [
            c
            for c in named(cmds, "Get-DrRegistryValue")
            if "$SsoSqlRegistryKey" in c.arguments and "'Server'" in c.arguments
        ], script
        assert top_string(script, "SsoSqlRegistryKey") == SSO_SQL_KEY
        assert throws(join), script
        registered = function(script, "Test-DrServerRegistered")
        assert [
            c
            for c in named(commands_in(script, registered), "Get-DrWmiInstances")
            if "'MSBTS_Server'" in c.arguments
        ], script
        run = function(script, "Invoke-DrConfigurationJoin")
        run_cmds = commands_in(script, run)
        configure = first_line(run_cmds, "Start-Process")
        assert [
            c for c in named(run_cmds, "Assert-DrJoinComplete") if c.line > configure
        ]


def test_a10_configuration_log_errors_fail_the_join(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A10: Configuration log error lines are found with the catalogue pattern."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        pattern = top_string(script, "ConfigurationLogErrorPattern")
        assert pattern == CATALOGUE["out:configuration-log-error"]
        run = function(script, "Invoke-DrConfigurationJoin")
        (match,) = match_comparisons(run, "ConfigurationLogErrorPattern")
        assert throws_when(run, assigned_variable(match)), script
    pattern = CATALOGUE["out:configuration-log-error"]
    for line_ in ("[1:57:09 PM Error ConfigHelper] x", "[10:01:02 Error BtsCfg] y"):
        assert re.search(pattern, line_), line_
    assert not re.search(pattern, "[10:01:02 Info ConfigHelper] error in text")


# ======================================================= A11. secrets and logs


def test_a11_configuration_log_is_searched_before_it_is_copied(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A11: a log holding a password never leaves the private folder."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        run = function(script, "Invoke-DrConfigurationJoin")
        (copy,) = command_nodes(run, "Copy-Item")
        branch = next(
            a for a in ancestors(copy) if a.type in {"elseif_clause", "else_clause"}
        )
        statement = next(a for a in ancestors(branch) if a.type == "if_statement")
        assert command_nodes(condition(statement), "Test-DrTextHoldsSecret"), script
        assert not command_nodes(branch_block(statement), "Copy-Item"), script


def test_a11_stale_folders_checked_before_removal(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A11: only real folders owned by Administrators/SYSTEM are deleted."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        cleanup = function(script, "Remove-DrStalePrivateFolders")
        (remove,) = command_nodes(cleanup, "Remove-Item")
        assert guarded(remove), script
        skips = [
            s
            for s in nodes(cleanup, "if_statement")
            if s.end_byte < remove.start_byte
            and keyword_statements(branch_block(s), "continue")
        ]
        reparse = [
            s
            for s in skips
            if "ReparsePoint" in {m for _, m in member_accesses(condition(s))}
        ]
        assert reparse, script
        owner_calls = [
            call
            for method, _, arguments, call in method_calls(cleanup)
            if method == "GetOwner"
            and arguments
            and "SecurityIdentifier" in text(arguments[0])
            and call.end_byte < remove.start_byte
        ]
        assert len(owner_calls) == 1, script
        owner = assigned_variable(owner_calls[0])
        assert [
            s
            for s in skips
            if owner in variables(condition(s))
            and "$privilegedsids" in variables(condition(s))
        ], script


def test_a11_every_changing_script_protects_its_logs(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A11: every changing script restricts logs\\ to Administrators and SYSTEM."""
    for script in scripts(all_artifacts, *CHANGING):
        assert named(main_body(script), "Protect-DrLogFolder"), script
        protect = function(script, "Protect-DrLogFolder")
        acl = named(commands_in(script, protect), "Set-Acl")
        assert acl, script
        assert all(c.guarded for c in acl), script


# ======================================================= A12. isolated hosts, IIS


def test_a12_app_pools_follow_the_isolated_hosts(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """A12: the pools of isolated hosts are data of every server script."""
    planned = server_plans(plans)
    assert planned[("consolidated", "FABDRBTS01")].app_pools == ("FabrikamWebReceive",)
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        pools = strings(top_assignment(script, "AppPools"))
        assert pools == list(planned[(script.stem, script.server)].app_pools), script
        if (script.stem, script.server) == ("consolidated", "FABDRBTS01"):
            assert pools == ["FabrikamWebReceive"]


def test_a12_pools_dormant_then_enabled(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """A12: pools are stopped with autoStart off while dormant, started at failover."""
    planned = server_plans(plans)
    with_pools = 0
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        pools = planned[(script.stem, script.server)].app_pools
        body = main_body(script)
        # The same code on every server (a server without pools has none listed):
        # $AppPools in the data block is exactly the plan's.
        assert strings(top_assignment(script, "AppPools")) == list(pools), script
        with_pools += bool(pools)
        if script.name in {"Initialize-DrServer.ps1", "Disable-DrServer.ps1"}:
            (call,) = command_nodes(script.root, "Set-DrAppPool")
            loop = next(a for a in ancestors(call) if a.type == "foreach_statement")
            assert "$apppools" in variables(loop.named_children[1]), script
            (dormant,) = named(commands_in(script, call), "Set-DrAppPool")
            assert parameter_value(dormant, "-Running") == "$false", script
            pool = function(script, "Set-DrAppPool")
            natives = named(commands_in(script, pool), "Invoke-DrNative")
            assert len(natives) == 2, script
            assert all(c.guarded for c in natives), script
            arguments = [" ".join(c.arguments) for c in natives]
            assert [a for a in arguments if "'set'" in a and "'/autoStart:'" in a]
            assert [a for a in arguments if "'/apppool.name:'" in a], script
            # The values -Running $false gives them ('/autoStart:false', 'stop'):
            # check_app_pool_changes of test_failover_safety evaluates the function.
            assert "stop" in strings(pool), script
        if script.name == "Enable-DrServer.ps1":
            hosts = first_line(body, "Enable-DrHostInstance")
            # -NoStart stops them (test_pools_before_msis.py); this one starts them.
            (running,) = [
                c
                for c in named(body, "Set-DrAppPool")
                if parameter_value(c, "-Running") == "$true"
            ]
            assert running.line > hosts, script
        if script.name == "Test-DrServer.ps1":
            report = function(script, "Get-DrStateReport")
            loops = [
                loop
                for loop in nodes(report, "foreach_statement")
                if "$apppools" in variables(loop.named_children[1])
            ]
            assert len(loops) == 1, script
            inner = {c.name for c in commands_in(script, loops[0])}
            assert {"Get-DrAppPoolState", "Get-DrAppPoolAutoStart"} <= inner, script
    assert with_pools == 4


def test_a12_isolated_host_without_pools_is_rejected(write_inventory) -> None:
    """A12: an isolated host must name its IIS application pools."""
    source = edit(consolidated_text(), "      app_pools: [FabrikamWebReceive]\n", "")
    error = plan_error(write_inventory(source))
    (found,) = diagnostics_with(error, "isolated-without-app-pools")
    assert found.severity == "error"
    assert found.location.line == locate(source, "- name: WebReceiveHost")
    assert found.location.column > 0


# =============================================================== A13. -NoStart


def test_a13_enable_no_start_ends_ready(all_artifacts: list[RenderedArtifact]) -> None:
    """A13: -NoStart enables everything but starts no host instance or pool."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        parameters = script_parameters(script_param_block(script))
        assert is_switch(parameters["$nostart"]), script
        ends = [
            s
            for s in nodes(script.root, "if_statement")
            if text(condition(s)).strip().casefold() == "$nostart"
            and command_nodes(s, "Assert-DrEndState")
        ]
        assert len(ends) == 1, script
        (ready,) = command_nodes(branch_block(ends[0]), "Assert-DrEndState")
        assert "Ready" in strings(ready), script
        (otherwise,) = [c for c in ends[0].named_children if c.type == "else_clause"]
        (active,) = command_nodes(otherwise, "Assert-DrEndState")
        assert "Active" in strings(active), script
        # Pools: started only outside -NoStart; Ready stops them again
        # (test_pools_before_msis.py).
        if "Set-DrAppPool" in functions(script):
            (call,) = [
                c
                for c in command_nodes(script.root, "Set-DrAppPool")
                if re.search(r"-Running\s+\$true\b", text(c), re.IGNORECASE)
            ]
            guard = next(
                s
                for s in ancestors(call)
                if s.type == "if_statement"
                and "-not $nostart" in text(condition(s)).casefold()
            )
            assert guard is not None, script
        starters = {"Enable-DrHostInstance": "Start"}
        for name in starters:
            fn = function(script, name)
            returns = [
                s
                for s in nodes(fn, "if_statement")
                if text(condition(s)).strip().casefold() == "$nostart"
                and keyword_statements(branch_block(s), "return")
            ]
            assert returns, (script, name)
            starts = [
                call
                for method, _, arguments, call in method_calls(fn)
                if method == "InvokeMethod" and verbatim(arguments[0]) == "Start"
            ] + [
                c for c in command_nodes(fn, "Invoke-DrNative") if "start" in strings(c)
            ]
            assert starts, (script, name)
            assert all(returns[0].end_byte < s.start_byte for s in starts)


def test_a13_test_accepts_ready(all_artifacts: list[RenderedArtifact]) -> None:
    """A13: Test-DrServer.ps1 -Expect Ready checks the -NoStart end state."""
    for script in scripts(all_artifacts, "Test-DrServer.ps1"):
        parameters = script_parameters(script_param_block(script))
        assert "Ready" in validate_set(parameters["$expect"]), script
        report = function(script, "Get-DrStateReport")
        report_parameters = script_parameters(
            next(c for c in nodes(report, "param_block"))
        )
        assert "Ready" in validate_set(report_parameters["$expect"]), script


def no_start(item: Item) -> bool:
    """A step running Enable-DrServer.ps1 -NoStart."""
    return any(re.search(r"Enable-DrServer\.ps1 -NoStart\b", c) for c in item.code)


def starts_processing(item: Item) -> bool:
    """A step running Enable-DrServer.ps1 without arguments."""
    return any(re.fullmatch(r"\.\\Enable-DrServer\.ps1", c.strip()) for c in item.code)


def test_a13_runbook_enables_without_start_then_bindings_then_start(
    rendered: Rendered, plans: dict[str, Plan]
) -> None:
    """A13: no processing before the applications and DR bindings are in place."""
    for stem, plan in plans.items():
        items = failover(rendered, stem)
        quiet = [i for i, item in enumerate(items) if no_start(item)]
        assert quiet, stem
        for server in (
            plan.site.master_secret_server,
            *plan.site.failover_after_master,
        ):
            mine = [i for i in quiet if server in items[i].code]
            assert mine, (stem, server)
        master = next(
            i for i in quiet if plan.site.master_secret_server in items[i].code
        )
        assert master == quiet[0], stem
        bindings = item_index(
            items, lambda item: "bindings" in item.text.casefold(), "for bindings"
        )
        ready = item_index(
            items,
            lambda item: r".\Test-DrServer.ps1 -Expect Ready" in item.code,
            "checking Ready",
        )
        go = item_index(items, starts_processing, "starting processing")
        installs = item_index(
            items,
            lambda item: item.text.startswith("Applications: the installation MSIs"),
            "installing the MSIs",
        )
        # Issue 18 item 4: the installation MSIs come before the Enable steps, so
        # Enable -NoStart fences any pool they started; with pools, Enable -NoStart
        # runs again in the step that checks Ready, after the bindings.
        enables = [i for i in quiet if i != ready]
        assert installs < min(enables), stem
        assert max(enables) < bindings < ready < go, stem
        pools = any(s.app_pools for s in plan.site.servers)
        assert no_start(items[ready]) == pools, stem
        if pools:
            assert "autoStart off" in items[ready].text, stem
        for server in plan.site.server_names:
            assert server in items[go].code, (stem, server)


# ================================================================ A14. runbook


def test_a14_log_shipping_jobs_disabled_before_restore_to_mark(
    rendered: Rendered,
) -> None:
    """A14: the restore jobs are disabled before 'Restore To Mark' runs."""
    for stem in EXAMPLES:
        items = failover(rendered, stem)
        step = items[
            item_index(items, lambda i: "Restore To Mark" in i.text, "restoring")
        ]
        # The instruction (after the step's success line): disable, then start.
        disable = step.text.index("Disable the log-shipping jobs")
        mark = step.text.index("Restore To Mark", disable)
        for job in ("Get Backup History", "Restore Databases"):
            assert disable < step.text.index(job, disable) < mark, (stem, job)
        # Only the step stopping production comes first (not in a drill).
        assert items.index(step) == 1, stem
        assert items[0].text.startswith("Not in a drill:"), stem


def test_a14_runbook_dba_steps(rendered: Rendered) -> None:
    """A14: logins and orphaned users, SQL Agent jobs enabled at DR, BAM where used."""
    for stem in EXAMPLES:
        items = failover(rendered, stem)
        mark = item_index(items, lambda i: "Restore To Mark" in i.text, "restoring")
        logins = item_index(
            items,
            lambda i: "logins" in i.text and "orphaned users" in i.text,
            "for logins and orphaned users",
        )
        agent = item_index(
            items,
            lambda i: "SQL Agent jobs at DR" in i.text and "enabled" in i.text,
            "enabling SQL Agent jobs at DR",
        )
        enable = item_index(
            items,
            lambda i: any("Enable-DrServer.ps1" in c for c in i.code),
            "running Enable-DrServer.ps1",
        )
        assert mark <= logins < enable, stem
        assert mark < agent < enable, stem
        bam = inventory(stem).group.databases.bam
        has_bam = bam is not None
        text_ = " ".join(item.text for item in items).casefold()
        assert ("web.config" in text_) == has_bam, stem
        # The Analysis database only where the inventory has one (neither example).
        has_analysis = bam is not None and bam.analysis is not None
        assert ("analysis" in text_) == has_analysis, stem
        assert has_bam == (stem == "consolidated")


def test_a14_test_checks_msdtc_network_access(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A14: MSDTC network access (inbound, outbound) is read, never written."""
    wanted = {"NetworkDtcAccess", "NetworkDtcAccessInbound", "NetworkDtcAccessOutbound"}
    for script in scripts(all_artifacts, "Test-DrServer.ps1"):
        assert top_string(script, "MsdtcSecurityKey") == MSDTC_KEY
        report = function(script, "Get-DrStateReport")
        loops = [
            loop
            for loop in nodes(report, "foreach_statement")
            if wanted <= set(strings(loop.named_children[1]))
        ]
        assert len(loops) == 1, script
        reads = [
            c
            for c in named(commands_in(script, loops[0]), "Get-DrRegistryValue")
            if "$MsdtcSecurityKey" in c.arguments
        ]
        assert reads, script
        reader = function(script, "Get-DrRegistryValue")
        assert {c.name for c in commands_in(script, reader)} == {"Get-ItemProperty"}
        assert not [c for c in ps.commands(script.data) if ps.is_state_changing(c)]
