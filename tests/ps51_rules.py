"""Static Windows PowerShell 5.1 run-time rules over the tree-sitter-pwsh tree.

No Windows PowerShell runs where the tests run, so the traps that only show at run
time on 5.1 are looked for in the parse tree of the finished script. Each rule is a
function ``rule(script) -> list[Finding]``; a :class:`Finding` is ``(line, col,
rule, message)`` with 1-based line and character column. Each rule's docstring
names its SOURCE (a page of MicrosoftDocs/PowerShell-Docs under reference/5.1, a
file of the engine in PowerShell/PowerShell, or an issue there) and says exactly
what it accepts. :func:`check` runs every rule of :data:`RULES`.

Like :mod:`tests.pwsh_oracle`, this module knows nothing about templates or the
generator: it reads the bytes of a ``.ps1``. It does rely on two conventions of the
drgen scripts, both stated where used: ``Write-DrProblem`` records a problem
(:data:`PROBLEM_RECORDERS`), and a function that runs a native tool and returns an
object with an ``ExitCode`` property is a wrapper whose callers read that property.

Each script is parsed once (:func:`load` is cached) and every rule reads the same
tree and node index.

Traps looked at and NOT made a rule, and why:

* ``ConvertTo-Json`` fed a one-element collection through the pipeline writes a
  bare object, not an array (PowerShell/PowerShell#11857): whether the piped value
  is a collection is not in the tree; the writer/reader contract tests hold the
  shape of what the scripts write.
* An index past the end under ``Set-StrictMode -Version 3`` and later throws
  (reference/5.1/Microsoft.PowerShell.Core/Set-StrictMode.md, example 3): telling
  a safe ``$x[0]`` from an unsafe one needs value ranges, not syntax.
* ``.Length`` on a scalar throws under strict mode like ``.Count`` (engine
  Binders.cs), but a string's own ``Length`` is legitimate and the type is not in
  the tree: only ``.Count`` is checked (:func:`strict_count`).
* ``$PSCommandPath`` / ``$MyInvocation`` in a script's parameter default: probably
  empty like ``$PSScriptRoot`` but no source shows it; only ``$PSScriptRoot`` is
  checked (:func:`psscriptroot_param_default`).
* ``$a -in 'literal'``: equivalent to ``-eq``, not a bug; only ``-contains`` with a
  scalar literal on the left is (:func:`contains_operand_order`).
* ``-f`` with ``{0}`` of a DateTime or ``{0:N0}`` of a number is culture-sensitive
  too, but the argument's type is not in the tree and most such strings are
  console messages: only explicit custom date patterns are checked.
* .NET file methods given a path in a variable: whether the variable holds a rooted
  path is data flow across calls; only literal relative paths are checked
  (:func:`dotnet_relative_path`).
* ``Get-Content -Raw`` of an empty file returning ``$null`` in 5.1: not confirmed
  from a source here; the scripts cast it with ``[string]`` anyway.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Final, NamedTuple

from tree_sitter import Node

from tests.pwsh_oracle import (
    NATIVE_STATE_CHANGING,
    ancestors,
    canonical_command_name,
    line_col,
    node_text,
    parse,
    walk,
)

__all__ = [
    "PROBLEM_RECORDERS",
    "RULES",
    "Finding",
    "Rule",
    "Script",
    "check",
    "load",
]


class Finding(NamedTuple):
    """One rule violation: 1-based line and column, rule id, message."""

    line: int
    col: int
    rule: str
    message: str


@dataclass(frozen=True, eq=False)
class Script:
    """A parsed script and an index of its nodes, shared by every rule.

    Attributes:
        data: The script's bytes as given (BOM, CRLF and signature block allowed).
        root: The root node of the tree-sitter-pwsh parse.
        by_type: Every node by type, each list in document order.
        functions: Each ``function`` statement by lower-case name.
    """

    data: bytes
    root: Node
    by_type: Mapping[str, tuple[Node, ...]]
    functions: Mapping[str, Node]

    def of(self, *kinds: str) -> list[Node]:
        """Every node of the given types, in document order."""
        found = [node for kind in kinds for node in self.by_type.get(kind, ())]
        if len(kinds) > 1:
            found.sort(key=lambda node: node.start_byte)
        return found

    def at(self, node: Node, rule: str, message: str) -> Finding:
        """A finding located at the start of ``node``."""
        line, col = line_col(self.data, node.start_byte)
        return Finding(line, col, rule, message)


@lru_cache(maxsize=256)
def load(data: bytes) -> Script:
    """Parse ``data`` once and index it; cached by content."""
    root = parse(data).root_node
    by_type: dict[str, list[Node]] = defaultdict(list)
    for node in walk(root):
        by_type[node.type].append(node)
    functions: dict[str, Node] = {}
    for node in by_type.get("function_statement", []):
        name = node.child_by_field_name("function_name") or _first(
            node, "function_name"
        )
        if name is not None:
            functions.setdefault(text(name).casefold(), node)
    return Script(
        data=data,
        root=root,
        by_type={kind: tuple(found) for kind, found in by_type.items()},
        functions=functions,
    )


RuleFunction = Callable[[Script], list[Finding]]


class Rule(NamedTuple):
    """A rule id and the function that applies it."""

    id: str
    apply: RuleFunction


# --------------------------------------------------------------------- tree helpers


def text(node: Node) -> str:
    """The node's source text."""
    return node_text(node)


def _first(node: Node, kind: str) -> Node | None:
    """The first direct child of type ``kind``."""
    return next((child for child in node.children if child.type == kind), None)


def _descendants(node: Node, kind: str) -> Iterator[Node]:
    """Every node of type ``kind`` below ``node`` (itself included)."""
    return (found for found in walk(node) if found.type == kind)


def _normal(source: str) -> str:
    """Lower-case text without any whitespace: ``-not  $X`` -> ``-not$x``."""
    return re.sub(r"\s+", "", source).casefold()


def _variable_name(node: Node) -> str:
    """``$script:Foo`` / ``${Foo}`` -> ``foo``."""
    name = text(node).strip().lstrip("$").strip("{}").casefold()
    for scope in ("script:", "global:", "local:", "private:"):
        name = name.removeprefix(scope)
    return name


def _is_variable(node: Node, name: str) -> bool:
    """Tell whether ``node`` is the variable ``$name`` (any scope prefix)."""
    return node.type == "variable" and _variable_name(node) == name.casefold()


def _unwrap(node: Node) -> Node:
    """Skip ``unary_expression`` / ``pipeline`` / ``pipeline_chain`` wrappers
    that hold exactly one named child."""
    current = node
    while (
        current.type
        in {
            "unary_expression",
            "pipeline",
            "pipeline_chain",
            "assignment_value",
            "left_assignment_expression",
            "argument_expression",
        }
        and len(current.named_children) == 1
    ):
        current = current.named_children[0]
    return current


def _scope(node: Node) -> Node:
    """The body a node runs in: its function's ``script_block`` or the root."""
    for parent in ancestors(node):
        if parent.type == "function_statement":
            body = _first(parent, "script_block")
            return body if body is not None else parent
        if parent.parent is None:
            return parent
    return node


def _in_scope(node: Node, scope: Node) -> bool:
    """Tell whether ``node`` runs in ``scope`` (not in a function nested in it)."""
    return _scope(node) == scope


def _statement(node: Node) -> Node:
    """The statement ``node`` belongs to: the ancestor directly in a list."""
    current = node
    for parent in ancestors(node):
        if parent.type in {"statement_list", "program", "script_block_body"}:
            return current
        current = parent
    return current


def _negations(node: Node, stop: Node) -> int:
    """How many ``-not`` / ``!`` sit between ``node`` and ``stop``."""
    count = 0
    for parent in ancestors(node):
        if parent == stop:
            break
        if (
            parent.type == "expression_with_unary_operator"
            and parent.children
            and parent.children[0].type.casefold() in {"-not", "!"}
        ):
            count += 1
    return count


def _condition_clause(node: Node) -> tuple[Node, Node] | None:
    """The ``if``/``elseif`` clause whose condition holds ``node``, and the
    condition; None when ``node`` is not in a condition."""
    child = node
    for parent in ancestors(node):
        if parent.type in {"statement_block", "script_block", "program"}:
            return None
        if parent.type in {"if_statement", "elseif_clause"}:
            condition = parent.child_by_field_name("condition")
            if condition is not None and condition == child:
                return parent, condition
            return None
        child = parent
    return None


def _block(clause: Node) -> Node | None:
    """The ``statement_block`` of an if/elseif/else clause."""
    return _first(clause, "statement_block")


def _statements(block: Node) -> list[Node]:
    """The statements directly in a ``statement_block``."""
    body = _first(block, "statement_list")
    if body is None:
        return []
    return [child for child in body.named_children if child.type != "comment"]


def _next_clause(clause: Node) -> Node | None:
    """What runs when ``clause``'s condition is false: the next elseif or else."""
    if clause.type == "if_statement":
        clauses = clause.child_by_field_name("elseif_clauses")
        if clauses is not None and clauses.named_children:
            return clauses.named_children[0]
        return clause.child_by_field_name("else_clause")
    siblings = clause.parent
    if siblings is None:
        return None
    following = clause.next_named_sibling
    while following is not None and following.type != "elseif_clause":
        following = following.next_named_sibling
    if following is not None:
        return following
    statement = siblings.parent
    return statement.child_by_field_name("else_clause") if statement else None


# ------------------------------------------------------------------ command helpers


def command_name(command: Node) -> str:
    """The command's name as written (``Set-Service``, ``$tool``, ``'x.exe'``)."""
    name = command.child_by_field_name("command_name")
    return text(name).strip() if name is not None else ""


def canonical(command: Node) -> str:
    """Lower-case command name with quotes, folder and alias removed."""
    return canonical_command_name(command_name(command))


def invocation_operator(command: Node) -> str:
    """``'&'``, ``'.'`` or ``''``."""
    operator = _first(command, "command_invocation_operator")
    return text(operator).strip() if operator is not None else ""


def _elements(command: Node) -> list[Node]:
    """The named elements after the command name (no separators or comments)."""
    elements = command.child_by_field_name("command_elements")
    if elements is None:
        return []
    return [
        element
        for element in elements.named_children
        if element.type not in {"command_argument_sep", "comment"}
    ]


def parameters(command: Node) -> list[str]:
    """The command's parameter names, lower-case, without dash or ``:value``."""
    return [
        text(element).lstrip("-\u2013\u2014\u2015").split(":", 1)[0].casefold()
        for element in _elements(command)
        if element.type == "command_parameter"
    ]


def has_parameter(command: Node, full_name: str, min_prefix: int) -> bool:
    """Tell whether the command passes ``full_name`` or a prefix of >= min_prefix."""
    full = full_name.casefold()
    return any(
        full.startswith(name) and len(name) >= min_prefix
        for name in parameters(command)
    )


def parameter_value(command: Node, full_name: str, min_prefix: int) -> Node | None:
    """The argument that follows the parameter ``full_name`` (or its prefix)."""
    full = full_name.casefold()
    elements = _elements(command)
    for index, element in enumerate(elements):
        if element.type != "command_parameter":
            continue
        name = text(element).lstrip("-").split(":", 1)[0].casefold()
        matches = full.startswith(name) and len(name) >= min_prefix
        if matches and index + 1 < len(elements):
            return elements[index + 1]
    return None


# Native tools the scripts may run by bare name (lower case, with and without .exe).
_NATIVE_NAMES: Final = frozenset(NATIVE_STATE_CHANGING) | frozenset(
    {
        "appcmd",
        "appcmd.exe",
        "cmd",
        "cmd.exe",
        "icacls",
        "icacls.exe",
        "netsh",
        "netsh.exe",
        "reg",
        "reg.exe",
        "setspn",
        "setspn.exe",
        "whoami",
        "whoami.exe",
        "wevtutil",
        "wevtutil.exe",
    }
)
_NATIVE_SUFFIXES: Final = (".exe", ".com", ".bat", ".cmd")


def is_native(command: Node, script: Script) -> bool:
    """Tell whether ``command`` runs a native program.

    ``& <variable, string or path>`` (not a script block, not a script function),
    a name ending in .exe/.com/.bat/.cmd, a name with a folder, or a known tool
    name (:data:`_NATIVE_NAMES`). Dot-sourcing runs a script, not a program.
    """
    operator = invocation_operator(command)
    if operator == ".":
        return False
    name = command_name(command)
    plain = canonical(command)
    if plain in script.functions or name.startswith("{"):
        return False
    if operator == "&" and (name[:1] in {"$", "'", '"', "("} or "\\" in name):
        return True
    stripped = name.strip("'\"")
    return (
        plain.endswith(_NATIVE_SUFFIXES)
        or plain in _NATIVE_NAMES
        or "\\" in stripped
        or "/" in stripped
    )


@lru_cache(maxsize=256)
def _native_set(script: Script) -> frozenset[Node]:
    return frozenset(
        command for command in script.of("command") if is_native(command, script)
    )


def native_calls(script: Script) -> list[Node]:
    """Every command that runs a native program, in document order."""
    natives = _native_set(script)
    return [command for command in script.of("command") if command in natives]


@lru_cache(maxsize=256)
def _assignments_by_scope(script: Script) -> Mapping[Node, tuple[Node, ...]]:
    """Every assignment by the scope it runs in."""
    found: dict[Node, list[Node]] = defaultdict(list)
    for assignment in script.of("assignment_expression"):
        found[_scope(assignment)].append(assignment)
    return {scope: tuple(nodes) for scope, nodes in found.items()}


#: Commands that record a problem in the drgen scripts (a run with one ends with
#: exit code 1): the project's convention, see templates/_partials/helpers.
PROBLEM_RECORDERS: Final = frozenset({"write-drproblem"})


def _is_stop_statement(statement: Node) -> bool:
    """``throw ...``, ``exit ...`` or a call of a :data:`PROBLEM_RECORDERS`."""
    if statement.type == "flow_control_statement" and statement.children:
        return statement.children[0].type.casefold() in {"throw", "exit"}
    if statement.type == "pipeline":
        return any(
            canonical(command) in PROBLEM_RECORDERS
            for command in _descendants(statement, "command")
        )
    return False


def _condition_is(clause: Node, wanted: str) -> bool:
    """Tell whether an if/elseif condition, normalised, equals ``wanted``."""
    condition = clause.child_by_field_name("condition")
    return condition is not None and _normal(text(condition)) == wanted


_NOT_WHATIF: Final = frozenset({"-not$whatifpreference", "!$whatifpreference"})


def records(block: Node) -> bool:
    """Tell whether a block throws, exits or records a problem, outside -WhatIf.

    Accepted at the top of the block: ``throw``, ``exit``, a call of a
    :data:`PROBLEM_RECORDERS` command; ``if (-not $WhatIfPreference) { <one of
    these> }``; ``if ($WhatIfPreference) { ... } else { <one of these> }``.
    """
    for statement in _statements(block):
        if _is_stop_statement(statement):
            return True
        if statement.type != "if_statement":
            continue
        inner = _block(statement)
        if any(_condition_is(statement, form) for form in _NOT_WHATIF):
            if inner is not None and records(inner):
                return True
        elif _condition_is(statement, "$whatifpreference"):
            otherwise = statement.child_by_field_name("else_clause")
            has_elseif = statement.child_by_field_name("elseif_clauses") is not None
            other_block = _block(otherwise) if otherwise is not None else None
            if not has_elseif and other_block is not None and records(other_block):
                return True
    return False


# ------------------------------------------------------------------------ parameters


@dataclass(frozen=True)
class Parameter:
    """A declared parameter of the script or of a function."""

    node: Node
    name: str
    owner: str
    type_name: str
    attributes: frozenset[str]
    mandatory: bool
    validate_length_min: int | None


def _attribute_name(attribute: Node) -> str:
    """``[System.Management.Automation.AllowEmptyString()]`` -> ``allowemptystring``."""
    name = _first(attribute, "attribute_name")
    if name is None:
        return ""
    plain = text(name).strip().rsplit(".", 1)[-1].casefold()
    return plain.removesuffix("attribute")


def _is_mandatory(attribute: Node) -> bool:
    """Tell whether a ``[Parameter(...)]`` attribute says Mandatory (true)."""
    arguments = _first(attribute, "attribute_arguments")
    if arguments is None:
        return False
    for argument in arguments.named_children:
        if argument.type != "attribute_argument":
            continue
        name = _first(argument, "simple_name")
        if name is None or text(name).casefold() != "mandatory":
            continue
        values = [child for child in argument.named_children if child != name]
        if not values:
            return True
        return _normal(text(values[-1])) in {"$true", "1"}
    return False


def _validate_length_min(attribute: Node) -> int | None:
    """The first argument of ``[ValidateLength(min, max)]`` when it is a number."""
    arguments = _first(attribute, "attribute_arguments")
    if arguments is None or not arguments.named_children:
        return None
    # The grammar reads ``1, 5`` as one argument holding an array literal.
    first = text(arguments.named_children[0]).split(",", 1)[0].strip()
    return int(first) if first.isdigit() else None


def _owner(parameter: Node) -> str:
    """``function Name`` or ``script`` for a parameter node."""
    for parent in ancestors(parameter):
        if parent.type == "function_statement":
            name = _first(parent, "function_name")
            return f"function {text(name)}" if name is not None else "function"
    return "script"


def parameters_of(script: Script) -> list[Parameter]:
    """Every ``script_parameter`` of the script and of its functions."""
    found: list[Parameter] = []
    for node in script.of("script_parameter"):
        variable = _first(node, "variable")
        attribute_list = _first(node, "attribute_list")
        attributes: set[str] = set()
        type_name = ""
        mandatory = False
        minimum: int | None = None
        if attribute_list is not None:
            for attribute in attribute_list.named_children:
                literal = _first(attribute, "type_literal")
                if literal is not None:
                    spec = _first(literal, "type_spec")
                    type_name = _normal(text(spec)) if spec is not None else ""
                    continue
                name = _attribute_name(attribute)
                attributes.add(name)
                if name == "parameter" and _is_mandatory(attribute):
                    mandatory = True
                if name == "validatelength":
                    minimum = _validate_length_min(attribute)
        found.append(
            Parameter(
                node=node,
                name=text(variable) if variable is not None else "?",
                owner=_owner(node),
                type_name=type_name,
                attributes=frozenset(attributes),
                mandatory=mandatory,
                validate_length_min=minimum,
            )
        )
    return found


_TYPE_PREFIXES: Final = (
    "system.collections.generic.",
    "system.collections.objectmodel.",
    "system.collections.specialized.",
    "system.collections.",
    "collections.generic.",
    "collections.objectmodel.",
    "collections.specialized.",
    "collections.",
    "generic.",
    "objectmodel.",
    "specialized.",
    "system.",
)

# Generic collections the binder treats as collections (IList or ICollection<T>):
# List<T>, Collection<T>, HashSet<T>, SortedSet<T>, LinkedList<T>,
# ObservableCollection<T>, ReadOnlyCollection<T>, BindingList<T>. Not Queue<T> or
# Stack<T> (neither IList nor ICollection<T>), not dictionaries.
_GENERIC_COLLECTIONS: Final = frozenset(
    {
        "list",
        "collection",
        "hashset",
        "sortedset",
        "linkedlist",
        "observablecollection",
        "readonlycollection",
        "bindinglist",
    }
)
_PLAIN_COLLECTIONS: Final = frozenset({"array", "arraylist", "stringcollection"})


def _short_type(type_name: str) -> str:
    """``system.collections.generic.list[string]`` -> ``list[string]``."""
    for prefix in _TYPE_PREFIXES:
        if type_name.startswith(prefix):
            return type_name[len(prefix) :]
    return type_name


def collection_element(type_name: str) -> str | None:
    """The element type of a collection type the binder checks for emptiness,
    ``""`` when unknown (ArrayList), None when the type is not such a collection."""
    short = _short_type(type_name)
    if short.endswith("[]"):
        return _short_type(short[:-2])
    if short in _PLAIN_COLLECTIONS:
        return "string" if short == "stringcollection" else ""
    generic = re.fullmatch(r"([a-z]+)(?:`1)?\[(.+)\]", short)
    if generic and generic.group(1) in _GENERIC_COLLECTIONS:
        return _short_type(generic.group(2))
    return None


# --------------------------------------------------------------------------- rules


def mandatory_collection(script: Script) -> list[Finding]:
    """(a) A mandatory collection parameter carries ``[AllowEmptyCollection()]``.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/
    about_Functions_Advanced_Parameters.md ("AllowEmptyCollection validation
    attribute"); engine
    src/System.Management.Automation/engine/ParameterBinderBase.cs
    (``ValidateNullOrEmptyArgument``, called only when the parameter is mandatory,
    refuses an empty Array, IList or ICollection<T>); PowerShell/PowerShell#3225,
    PowerShell/PowerShell#17362.

    Collection types, as engine CompiledCommandParameter.cs
    (``ParameterCollectionTypeInformation``) classifies them: any ``T[]``,
    ``[array]``, ``ArrayList``, ``StringCollection`` and the generic List,
    Collection, HashSet, SortedSet, LinkedList, ObservableCollection,
    ReadOnlyCollection and BindingList. ``[hashtable]``, ``[ordered]`` and every
    dictionary are NOT collections for the binder (it returns early for IDictionary)
    and an empty one binds: they are not checked. Untyped and ``[object]``
    parameters are not collections either.
    """
    findings: list[Finding] = []
    for parameter in parameters_of(script):
        if not parameter.mandatory or "allowemptycollection" in parameter.attributes:
            continue
        if collection_element(parameter.type_name) is None:
            continue
        findings.append(
            script.at(
                parameter.node,
                "mandatory-collection",
                f"{parameter.owner}: mandatory [{parameter.type_name}]{parameter.name}"
                " refuses an empty collection without [AllowEmptyCollection()]",
            )
        )
    return findings


_CALLER_ERROR_ATTRIBUTES: Final = frozenset(
    {"validatenotnullorempty", "validateset", "validatepattern"}
)


def mandatory_string(script: Script) -> list[Finding]:
    """(b) A mandatory string parameter says what an empty value is.

    SOURCE: engine src/System.Management.Automation/engine/ParameterBinderBase.cs
    (``ValidateNullOrEmptyArgument``: for a mandatory parameter of type string an
    empty value is refused unless AllowEmptyString; for a collection of strings each
    element is checked the same way); PowerShell/PowerShell#3225 (5.1:
    ``[string[]]`` with an empty element); reference/5.1/Microsoft.PowerShell.Core/
    About/about_Functions_Advanced_Parameters.md ("AllowEmptyString validation
    attribute").

    Policy: Windows PowerShell 5.1 refuses ``''`` (and ``$null``, which becomes
    ``''``) for a mandatory ``[string]`` with "Cannot bind argument to parameter ...
    because it is an empty string", a terminating error that names the helper's
    parameter, not the cause. So the declaration must say which is meant:
    ``[AllowEmptyString()]`` when an empty value is legitimate (the body handles
    it), or a Validate attribute that makes empty a stated caller error:
    ``[ValidateNotNullOrEmpty()]``, ``[ValidateSet(...)]``,
    ``[ValidatePattern(...)]`` or ``[ValidateLength(n, m)]`` with n >= 1. Checked
    for ``[string]``, ``[string[]]`` and generic collections of string.
    """
    findings: list[Finding] = []
    for parameter in parameters_of(script):
        if not parameter.mandatory:
            continue
        short = _short_type(parameter.type_name)
        if short != "string" and collection_element(parameter.type_name) != "string":
            continue
        stated = parameter.attributes & (
            _CALLER_ERROR_ATTRIBUTES | {"allowemptystring"}
        )
        if stated or (parameter.validate_length_min or 0) >= 1:
            continue
        findings.append(
            script.at(
                parameter.node,
                "mandatory-string",
                f"{parameter.owner}: mandatory [{parameter.type_name}]{parameter.name}"
                " refuses '' with neither [AllowEmptyString()] nor a Validate"
                " attribute saying empty is a caller error",
            )
        )
    return findings


def stop_transcript_in_try(script: Script) -> list[Finding]:
    """(c) ``Stop-Transcript`` runs only in the body of a ``try`` that has a catch.

    SOURCE: PowerShell/PowerShell#1763 (Stop-Transcript throws "The host is not
    currently transcribing" when no transcript runs, and ``-ErrorAction
    SilentlyContinue``/``Ignore`` does not suppress it); engine
    src/Microsoft.PowerShell.ConsoleHost/host/msh/StopTranscriptCmdlet.cs.

    Accepted: the command sits, at any depth, in the ``{ }`` right after ``try`` of
    a try statement that has at least one ``catch`` (not in the catch or finally).
    """
    findings: list[Finding] = []
    for command in script.of("command"):
        if canonical(command) != "stop-transcript":
            continue
        if not _in_try_body_with_catch(command):
            findings.append(
                script.at(
                    command,
                    "stop-transcript-try",
                    "Stop-Transcript outside a try body with a catch: it throws when"
                    " no transcript runs, whatever -ErrorAction says",
                )
            )
    return findings


def _in_try_body_with_catch(node: Node) -> bool:
    """Tell whether ``node`` is in the try block of a try with a catch clause."""
    child = node
    for parent in ancestors(node):
        if (
            parent.type == "try_statement"
            and child.type == "statement_block"
            and _first(parent, "catch_clauses") is not None
        ):
            return True
        child = parent
    return False


_REGISTRY_PATH: Final = re.compile(
    r"^['\"]?(?:hklm|hkcu|hkcr|hku|hkcc):|^['\"]?registry::|^['\"]?hkey_",
    re.IGNORECASE,
)
#: Cmdlets that read the registry whatever their path (the registry is where
#: item properties live).
_REGISTRY_PROPERTY_READERS: Final = frozenset(
    {"get-itemproperty", "get-itempropertyvalue"}
)
#: Cmdlets that read the registry when given a registry path.
_PATH_READERS: Final = frozenset(
    {"get-item", "get-childitem", "test-path", "get-acl", "get-content"}
)


def _registry_variables(script: Script) -> frozenset[str]:
    """Variables assigned a value that holds a registry path literal."""
    names: set[str] = set()
    for assignment in script.of("assignment_expression"):
        value = assignment.child_by_field_name("value")
        if value is None or not any(
            _REGISTRY_PATH.match(text(literal))
            for literal in _descendants(value, "string_literal")
        ):
            continue
        for variable in _descendants(assignment.named_children[0], "variable"):
            names.add(_variable_name(variable))
    return frozenset(names)


def _reads_registry(command: Node, registry_variables: frozenset[str]) -> bool:
    """Tell whether ``command`` itself reads the registry."""
    name = canonical(command)
    if name in _REGISTRY_PROPERTY_READERS:
        return True
    if name == "reg.exe" or name == "reg":
        return True
    if name not in _PATH_READERS:
        return False
    for element in _elements(command):
        if _REGISTRY_PATH.match(text(element).strip()):
            return True
        if any(
            _variable_name(variable) in registry_variables
            for variable in _descendants(element, "variable")
        ):
            return True
    return False


def _refuses_32_bit(clause: Node) -> bool:
    """Tell whether an if/elseif throws or exits when the process is 32-bit.

    Conditions: ``-not [Environment]::Is64BitProcess`` (or ``!``),
    ``[Environment]::Is64BitProcess -eq $false``, ``[IntPtr]::Size -eq 4`` or
    ``-ne 8``; the block's first statements must include ``throw`` or ``exit``.
    """
    condition = clause.child_by_field_name("condition")
    block = _block(clause)
    if condition is None or block is None:
        return False
    normal = _normal(text(condition))
    is64 = re.search(r"\[(system\.)?environment\]::is64bitprocess", normal)
    refuses = False
    if is64:
        member = next(
            node
            for node in _descendants(condition, "member_name")
            if text(node).casefold() == "is64bitprocess"
        )
        refuses = _negations(member, condition) % 2 == 1 or bool(
            re.search(r"is64bitprocess-eq\$false|\$false-eq", normal)
        )
    elif re.search(r"\[(system\.)?intptr\]::size(-eq4|-ne8|-lt8)", normal):
        refuses = True
    if not refuses:
        return False
    return any(
        statement.type == "flow_control_statement"
        and statement.children
        and statement.children[0].type.casefold() in {"throw", "exit"}
        for statement in _statements(block)
    )


class _Event(NamedTuple):
    kind: str  # "guard" or "read"
    node: Node
    via: tuple[str, ...]


def _first_event(
    script: Script,
    start: Node,
    registry_variables: frozenset[str],
    via: tuple[str, ...],
    memo: dict[Node, _Event | None],
) -> _Event | None:
    """The first 32-bit guard or registry read run from ``start``, in document
    order, following calls of the script's functions (definitions are skipped)."""
    stack = list(reversed(start.children)) if start.type != "command" else [start]
    while stack:
        node = stack.pop()
        if node.type == "function_statement":
            continue
        if node.type in {"if_statement", "elseif_clause"} and _refuses_32_bit(node):
            return _Event("guard", node, via)
        if node.type == "member_access" and _normal(text(node)).startswith(
            "[microsoft.win32.registry]::"
        ):
            return _Event("read", node, via)
        if node.type == "command":
            if _reads_registry(node, registry_variables):
                return _Event("read", node, via)
            function = script.functions.get(canonical(node))
            if function is not None:
                name = command_name(node)
                if function not in memo:
                    memo[function] = None  # recursion guard
                    body = _first(function, "script_block") or function
                    memo[function] = _first_event(
                        script, body, registry_variables, (), memo
                    )
                found = memo[function]
                if found is not None:
                    return _Event(found.kind, found.node, (*via, name, *found.via))
        stack.extend(reversed(node.children))
    return None


def registry_64bit_guard(script: Script) -> list[Finding]:
    """(d) A script refuses a 32-bit process before it first reads the registry.

    SOURCE: learn.microsoft.com/windows/win32/winprog64/registry-redirector
    ("Registry Redirector": a 32-bit process on 64-bit Windows reads
    HKLM\\SOFTWARE through the Wow6432Node view, silently).

    Execution order is approximated by document order of the top-level statements,
    following each call of a function defined in the script into its body (function
    definitions themselves run nothing). The first of these wins:

    * a guard: an ``if``/``elseif`` whose condition is ``-not
      [Environment]::Is64BitProcess`` (or ``!``, ``-eq $false``,
      ``[IntPtr]::Size -eq 4``/``-ne 8``) and whose block throws or exits;
    * a registry read: ``Get-ItemProperty``/``Get-ItemPropertyValue`` (any path),
      ``reg.exe``, ``[Microsoft.Win32.Registry]::...``, or ``Get-Item``,
      ``Get-ChildItem``, ``Test-Path``, ``Get-Acl``, ``Get-Content`` given a
      registry path literal (``HKLM:``, ``Registry::``, ...) or a variable assigned
      one anywhere in the script.

    A read first is a finding; a script that never reads the registry needs no
    guard. A guard inside a branch counts as run (the approximation).
    """
    registry_variables = _registry_variables(script)
    event = _first_event(script, script.root, registry_variables, (), {})
    if event is None or event.kind == "guard":
        return []
    where = f" (through {' -> '.join(event.via)})" if event.via else ""
    line, _ = line_col(script.data, event.node.start_byte)
    read = text(event.node).splitlines()[0][:60]
    return [
        script.at(
            event.node,
            "registry-64bit-guard",
            f"registry read '{read}' at line {line}{where} runs before any"
            " refusal of a 32-bit process",
        )
    ]


_CONSENT_METHODS: Final = frozenset({"shouldprocess", "shouldcontinue"})


def _is_consent_call(node: Node) -> bool:
    """``$PSCmdlet.ShouldProcess(...)`` or ``$PSCmdlet.ShouldContinue(...)``."""
    if node.type != "invocation_expression" or not node.named_children:
        return False
    target = node.named_children[0]
    member = _first(node, "member_name")
    return (
        _is_variable(target, "pscmdlet")
        and member is not None
        and text(member).casefold() in _CONSENT_METHODS
    )


def _is_discarded(call: Node) -> bool:
    """Tell whether the call's value is thrown away: ``[void]``, ``$null =``,
    ``| Out-Null``."""
    statement = _statement(call)
    source = _normal(text(statement))
    return source.startswith(("[void]", "$null=")) or any(
        canonical(command) == "out-null"
        for command in _descendants(statement, "command")
    )


def _inside_whatif_only(node: Node) -> bool:
    """Tell whether ``node`` is in the block of ``if ($WhatIfPreference)``."""
    child = node
    for parent in ancestors(node):
        if (
            parent.type == "if_statement"
            and child.type == "statement_block"
            and _condition_is(parent, "$whatifpreference")
        ):
            return True
        child = parent
    return False


def should_process_declined(script: Script) -> list[Finding]:
    """(e) Every ShouldProcess/ShouldContinue has a declined path that throws or
    records a problem, unless only -WhatIf declines.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/
    about_Functions_Advanced_Methods.md ("ShouldProcess ... The function can
    continue based on the Boolean value returned"); reference/docs-conceptual/
    learn/deep-dives/everything-about-shouldprocess.md (-WhatIf makes
    ShouldProcess "return $false"; -Confirm offers "[N] No"). A declined change
    that reports success is this project's issue 16 (a stale private folder may
    hold passwords). Rule of this project.

    What counts as a consent call: ``$PSCmdlet.ShouldProcess(`` or
    ``$PSCmdlet.ShouldContinue(``. Each one must be one of:

    * in an ``if``/``elseif`` condition, not negated: the clause that runs when the
      condition is false must be an ``else`` whose block records, or an ``elseif
      (-not $WhatIfPreference)`` whose block records;
    * in an ``if``/``elseif`` condition, negated (``-not``/``!``): the clause's own
      block records;
    * its value discarded (``[void]``, ``$null =``, ``| Out-Null``) inside the block
      of ``if ($WhatIfPreference)``: a report made only under -WhatIf.

    "Records" (:func:`records`): at the top of the block, ``throw``, ``exit``, a
    call of ``Write-DrProblem`` (:data:`PROBLEM_RECORDERS`), or one of these inside
    ``if (-not $WhatIfPreference) { }`` or in the ``else`` of ``if
    ($WhatIfPreference) { } else { }``: declined by a person fails the run;
    declined by -WhatIf only reports.
    """
    findings: list[Finding] = []
    for call in script.of("invocation_expression"):
        if not _is_consent_call(call):
            continue
        method = text(_first(call, "member_name") or call)
        placed = _condition_clause(call)
        if placed is None:
            if _is_discarded(call) and _inside_whatif_only(call):
                continue
            message = f"{method}() is not an if condition: its declined case is unseen"
            findings.append(script.at(call, "should-process-declined", message))
            continue
        clause, condition = placed
        if _negations(call, condition) % 2 == 1:
            block = _block(clause)
            if block is not None and records(block):
                continue
            message = f"-not {method}(): the declined block neither throws nor records"
            findings.append(script.at(call, "should-process-declined", message))
            continue
        declined = _next_clause(clause)
        if declined is not None and (
            declined.type == "else_clause"
            or any(_condition_is(declined, form) for form in _NOT_WHATIF)
        ):
            block = _block(declined)
            if block is not None and records(block):
                continue
        message = (
            f"{method}() declined (by -Confirm 'No') falls through silently: add an"
            " else (or elseif (-not $WhatIfPreference)) that throws or records"
        )
        findings.append(script.at(call, "should-process-declined", message))
    return findings


def psscriptroot_param_default(script: Script) -> list[Finding]:
    """(f) No ``$PSScriptRoot`` in a default of the script's own parameters.

    SOURCE: PowerShell/PowerShell#4688 (Windows PowerShell 5.1, ``powershell.exe
    -File``: ``$PSScriptRoot`` is empty while an advanced script's parameter
    defaults are evaluated; the same default in a function's parameter works, so
    only the script's param block is checked).
    """
    findings: list[Finding] = []
    block = _first(script.root, "param_block")
    if block is None:
        return findings
    findings.extend(
        script.at(
            variable,
            "psscriptroot-param-default",
            "$PSScriptRoot in a script parameter default is empty"
            " under powershell.exe -File (5.1): resolve it in the body",
        )
        for default in _descendants(block, "script_parameter_default")
        for variable in _descendants(default, "variable")
        if _variable_name(variable) == "psscriptroot"
    )
    return findings


def _reads_after(
    script: Script, statement: Node, scope: Node, wanted: Callable[[Node], bool]
) -> Node | None:
    """The first node after ``statement`` in ``scope`` (document order, nested
    functions skipped) for which ``wanted`` holds, or a native call or wrapper call
    that comes first; None when neither follows."""
    stack = list(reversed(scope.children))
    while stack:
        node = stack.pop()
        if node.type == "function_statement" and node != scope:
            continue
        if node.end_byte <= statement.end_byte:
            continue
        if node.start_byte >= statement.end_byte:
            if wanted(node):
                return node
            if node.type == "command" and (
                node in _native_set(script) or canonical(node) in _wrappers(script)
            ):
                return node
        stack.extend(reversed(node.children))
    return None


def _function_of(node: Node) -> Node | None:
    """The nearest ``function`` statement around ``node``."""
    return next(
        (parent for parent in ancestors(node) if parent.type == "function_statement"),
        None,
    )


@lru_cache(maxsize=256)
def _wrappers_of(script: Script) -> frozenset[str]:
    """Functions that run a native tool (or a wrapper) and return its exit code as
    an ``ExitCode`` property: found to a fixed point."""
    calls: dict[Node, set[str]] = defaultdict(set)
    runs_native: set[Node] = set()
    natives = _native_set(script)
    for command in script.of("command"):
        function = _function_of(command)
        if function is None:
            continue
        if command in natives:
            runs_native.add(function)
        calls[function].add(canonical(command))
    returns_code = {
        function
        for entry in script.of("hash_entry")
        if entry.named_children
        and _normal(text(entry.named_children[0])) == "exitcode"
        and (function := _function_of(entry)) is not None
    }
    wrappers: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, function in script.functions.items():
            if name in wrappers or function not in returns_code:
                continue
            if function in runs_native or calls[function] & wrappers:
                wrappers.add(name)
                changed = True
    return frozenset(wrappers)


def _wrappers(script: Script) -> frozenset[str]:
    return _wrappers_of(script)


def _assigned_variable(command: Node) -> str | None:
    """The variable a command's output is assigned to (``$v = cmd ...``)."""
    for parent in ancestors(command):
        if parent.type == "assignment_expression":
            value = parent.child_by_field_name("value")
            if value is None or _unwrap(value) != command:
                inner = _unwrap(value) if value is not None else None
                if inner is None or inner.type != "parenthesized_expression":
                    return None
                if _unwrap(inner.named_children[0]) != command:
                    return None
            variables = list(_descendants(parent.named_children[0], "variable"))
            return _variable_name(variables[-1]) if variables else None
        if parent.type in {"statement_list", "statement_block", "script_block"}:
            return None
    return None


def _member_of_result(command: Node, member: str) -> bool:
    """``(cmd ...).Member``: the command's parenthesised output is accessed."""
    for parent in ancestors(command):
        if parent.type == "parenthesized_expression":
            access = parent.parent
            name = _first(access, "member_name") if access is not None else None
            return (
                access is not None
                and access.type in {"member_access", "invocation_expression"}
                and name is not None
                and text(name).casefold() == member.casefold()
                and _unwrap(parent.named_children[0]) == command
            )
        if parent.type in {"statement_list", "statement_block"}:
            return False
    return False


def _is_member_read(node: Node, variable: str, member: str) -> bool:
    """``$variable.member``."""
    if node.type != "member_access" or not node.named_children:
        return False
    name = _first(node, "member_name")
    return (
        _is_variable(node.named_children[0], variable)
        and name is not None
        and text(name).casefold() == member.casefold()
    )


def native_exit_code(script: Script) -> list[Finding]:
    """(g) Every native call's exit code is read.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/about_Automatic_Variables.md
    ($LASTEXITCODE: "Contains the exit code of the last native program or
    PowerShell script that ran"); a native tool's failure is no PowerShell error,
    so an unread exit code is a silent failure. Rule of this project.

    Accepted:

    * a native call (``& $tool ...``, ``& 'C:\\x\\y.exe'``, ``tool.exe ...``, see
      :func:`is_native`) followed, later in the same function (or script body),
      by a read of ``$LASTEXITCODE`` before any other native call or wrapper call;
    * a call of a wrapper (a function of the script that runs a native tool and
      returns an object with an ``ExitCode`` key, found to a fixed point, e.g.
      ``Invoke-DrNative``, ``Get-DrNativeOutput``) whose result is assigned to a
      variable whose ``.ExitCode`` is read later in the same function, or read as
      ``(Wrapper ...).ExitCode``.
    """
    findings: list[Finding] = []
    wrappers = _wrappers(script)
    natives = _native_set(script)
    for command in script.of("command"):
        name = command_name(command)
        if command in natives:
            statement = _statement(command)
            found = _reads_after(
                script,
                statement,
                _scope(command),
                lambda node: _is_variable(node, "lastexitcode"),
            )
            if found is None or not _is_variable(found, "lastexitcode"):
                findings.append(
                    script.at(
                        command,
                        "native-exit-code",
                        f"native call '{name}' is not followed by a read of"
                        " $LASTEXITCODE before the next native call",
                    )
                )
        elif canonical(command) in wrappers:
            if _member_of_result(command, "ExitCode"):
                continue
            variable = _assigned_variable(command)
            if variable is not None:
                found = _reads_after(
                    script,
                    _statement(command),
                    _scope(command),
                    partial(_is_member_read, variable=variable, member="ExitCode"),
                )
                if found is not None and found.type == "member_access":
                    continue
            findings.append(
                script.at(
                    command,
                    "native-exit-code",
                    f"the ExitCode that '{name}' returns is not read",
                )
            )
    return findings


def start_process_exit_code(script: Script) -> list[Finding]:
    """(g') ``Start-Process`` hands its exit code back only through ``-PassThru``.

    SOURCE: reference/5.1/Microsoft.PowerShell.Management/Start-Process.md
    (-PassThru: "Returns a process object ... By default, this cmdlet doesn't
    generate any output"; Start-Process does not set $LASTEXITCODE);
    PowerShell/PowerShell#5421 (with -NoNewWindow or -RedirectStandard* and no
    -Wait, ``ExitCode`` stays empty unless ``.Handle`` was read while the process
    ran).

    Accepted: ``$p = Start-Process ... -PassThru`` whose ``$p.ExitCode`` is read
    later in the same function; without ``-Wait`` and with ``-NoNewWindow`` or a
    ``-RedirectStandard*`` parameter, ``$p.Handle`` must be read too.
    """
    findings: list[Finding] = []
    for command in script.of("command"):
        if canonical(command) != "start-process":
            continue
        variable = _assigned_variable(command)
        if not has_parameter(command, "PassThru", 3) or variable is None:
            findings.append(
                script.at(
                    command,
                    "start-process-exit-code",
                    "Start-Process without -PassThru assigned to a variable: the"
                    " exit code is lost",
                )
            )
            continue
        scope = _scope(command)
        statement = _statement(command)
        members = {
            (text(_first(node, "member_name") or node)).casefold()
            for node in _descendants(scope, "member_access")
            if node.start_byte >= statement.end_byte
            and _is_variable(node.named_children[0], variable)
        }
        if "exitcode" not in members:
            findings.append(
                script.at(
                    command,
                    "start-process-exit-code",
                    f"${variable}.ExitCode is never read after Start-Process",
                )
            )
            continue
        unwaited = not has_parameter(command, "Wait", 2)
        detached = has_parameter(command, "NoNewWindow", 2) or any(
            name.startswith("redirectstandard") for name in parameters(command)
        )
        if unwaited and detached and "handle" not in members:
            findings.append(
                script.at(
                    command,
                    "start-process-exit-code",
                    f"${variable}.Handle is not read: with -NoNewWindow or"
                    " -RedirectStandard* and no -Wait, ExitCode stays empty"
                    " (PowerShell/PowerShell#5421)",
                )
            )
    return findings


def _stderr_redirected(command: Node) -> bool:
    """Tell whether the command redirects its error stream (``2>&1``, ``2>``,
    ``*>``)."""
    return any(
        _normal(text(operator)).startswith(("2>", "*>"))
        for redirection in _descendants(command, "redirection")
        for operator in redirection.named_children[:1]
    )


def _error_action_value(assignment: Node) -> str | None:
    """The lower-case value of ``$ErrorActionPreference = '<value>'``."""
    left = assignment.named_children[0] if assignment.named_children else None
    value = assignment.child_by_field_name("value")
    if left is None or value is None:
        return None
    variables = list(_descendants(left, "variable"))
    if not variables or _variable_name(variables[-1]) != "erroractionpreference":
        return None
    return text(value).strip().strip("'\"").casefold()


def native_stderr_stop(script: Script) -> list[Finding]:
    """A native call that redirects stderr runs with $ErrorActionPreference not
    'Stop'.

    SOURCE: reference/docs-conceptual/whats-new/differences-from-windows-powershell.md
    ("Make $ErrorActionPreference not affect stderr output of native commands":
    Windows PowerShell applies $ErrorActionPreference to the ErrorRecords it makes
    of a native command's stderr, so under 'Stop' the first stderr line ends the
    script, exit code unread).

    The preference in force is the last ``$ErrorActionPreference = '...'`` before
    the call in the same function, else the script body's last one, else
    'Continue' (the default).
    """
    findings: list[Finding] = []
    top_level = [
        value
        for assignment in _assignments_by_scope(script).get(script.root, ())
        if (value := _error_action_value(assignment)) is not None
    ]
    script_value = top_level[-1] if top_level else "continue"
    for command in native_calls(script):
        if not _stderr_redirected(command):
            continue
        scope = _scope(command)
        local = [
            value
            for assignment in _assignments_by_scope(script).get(scope, ())
            if assignment.start_byte < command.start_byte
            and (value := _error_action_value(assignment)) is not None
        ]
        value = local[-1] if local else script_value
        if scope == script.root:
            value = local[-1] if local else "continue"
        if value == "stop":
            findings.append(
                script.at(
                    command,
                    "native-stderr-stop",
                    f"'{command_name(command)}' redirects stderr while"
                    " $ErrorActionPreference is 'Stop': in 5.1 its first stderr"
                    " line is a terminating error",
                )
            )
    return findings


def _pipeline_commands(node: Node) -> list[Node]:
    """The commands of a pipeline expression (not those nested deeper)."""
    inner = _unwrap(node)
    if inner.type == "command":
        return [inner]
    if inner.type == "pipeline_chain":
        return [child for child in inner.named_children if child.type == "command"]
    return []


def _returns_intact(function: Node) -> bool:
    """Tell whether every ``return`` of a function writes one object with the
    unary comma (``return ,$rows``), so the caller gets the collection itself."""
    returns = [
        statement
        for statement in _descendants(function, "flow_control_statement")
        if statement.children and statement.children[0].type.casefold() == "return"
    ]
    return bool(returns) and all(
        _normal(text(statement)).startswith("return,") for statement in returns
    )


def _may_be_scalar(script: Script, value: Node) -> bool:
    """Tell whether a value is the bare output of a command: one object or none.

    ``@(...)`` and casts are expressions, not bare output. ``New-Object`` returns
    exactly the object it makes, and a script function whose every ``return`` uses
    the unary comma returns its collection intact: neither counts.
    """
    inner = _unwrap(value)
    if inner.type == "parenthesized_expression" and inner.named_children:
        inner = _unwrap(inner.named_children[0])
    commands = _pipeline_commands(inner)
    if not commands:
        return False
    last = commands[-1]
    name = canonical(last)
    if name == "new-object" and len(commands) == 1:
        return False
    function = script.functions.get(name)
    return not (
        function is not None and len(commands) == 1 and _returns_intact(function)
    )


def _pipeline_assignments(script: Script, scope: Node) -> dict[str, list[Node]]:
    """Untyped variables assigned bare command output in ``scope``."""
    assigned: dict[str, list[Node]] = defaultdict(list)
    for assignment in _assignments_by_scope(script).get(scope, ()):
        left = assignment.named_children[0] if assignment.named_children else None
        value = assignment.child_by_field_name("value")
        if left is None or value is None or any(_descendants(left, "type_literal")):
            continue
        inner = _unwrap(left)
        if inner.type != "variable":
            continue
        if _may_be_scalar(script, value):
            assigned[_variable_name(inner)].append(assignment)
    return assigned


def strict_count(script: Script) -> list[Finding]:
    """``.Count`` only on something that is surely a collection.

    SOURCE: engine src/System.Management.Automation/engine/runtime/Binding/Binders.cs
    (``PSGetMemberBinder.PropertyDoesntExist``: the intrinsic ``Count``/``Length``
    of a scalar or ``$null`` throws PropertyNotFoundStrict when strict mode is 2 or
    later); PowerShell/PowerShell#16427 (``(Get-ChildItem x).Count`` with one file
    under ``Set-StrictMode -Version Latest``);
    reference/5.1/Microsoft.PowerShell.Core/Set-StrictMode.md.

    A command's bare output is one object or none when one or none comes out. The
    rule flags ``(<pipeline>).Count`` and ``$v.Count`` where ``$v`` is assigned
    bare command output in the same function (untyped). Wrap in ``@()``. Not
    flagged: ``New-Object`` (one object of the named type), a script function
    whose every ``return`` is ``return ,$x``.
    """
    findings: list[Finding] = []
    assignments: dict[Node, dict[str, list[Node]]] = {}
    for access in script.of("member_access"):
        name = _first(access, "member_name")
        if name is None or text(name).casefold() != "count":
            continue
        target = access.named_children[0]
        if target.type == "parenthesized_expression":
            if _may_be_scalar(script, target):
                findings.append(
                    script.at(
                        access,
                        "strict-count",
                        f"'{text(access)[:60]}': .Count of command output that may"
                        " be one object or none throws under StrictMode; use @()",
                    )
                )
            continue
        if target.type != "variable":
            continue
        scope = _scope(access)
        if scope not in assignments:
            assignments[scope] = _pipeline_assignments(script, scope)
        variable = _variable_name(target)
        earlier = [
            node
            for node in assignments[scope].get(variable, [])
            if node.start_byte < access.start_byte
        ]
        if earlier:
            line, _ = line_col(script.data, earlier[-1].start_byte)
            findings.append(
                script.at(
                    access,
                    "strict-count",
                    f"${variable}.Count: ${variable} holds bare command output"
                    f" (line {line}), one object or none; StrictMode throws; use @()",
                )
            )
    return findings


#: Commands whose output may be nothing without any error: a property read on
#: it meets $null.
_MAYBE_NOTHING: Final = frozenset(
    {
        "get-wmiobject",
        "get-ciminstance",
        "get-childitem",
        "where-object",
        "select-string",
    }
)


def _is_quiet_query(command: Node) -> bool:
    """A cmdlet of :data:`_MAYBE_NOTHING`, or any command told to be silent."""
    if canonical(command) in _MAYBE_NOTHING:
        return True
    action = parameter_value(command, "ErrorAction", 2)
    return action is not None and text(action).strip("'\" ").casefold() in {
        "silentlycontinue",
        "ignore",
    }


@lru_cache(maxsize=256)
def _nothing_functions(script: Script) -> frozenset[str]:
    """Functions of the script that may return nothing: a ``return $null`` or a
    ``return`` of a quiet query (or of such a function), to a fixed point."""
    returns: dict[str, list[Node]] = defaultdict(list)
    for statement in script.of("flow_control_statement"):
        if not statement.children or statement.children[0].type.casefold() != "return":
            continue
        function = _function_of(statement)
        label = _first(function, "function_name") if function is not None else None
        if label is not None:
            returns[text(label).casefold()].append(statement)
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, statements in returns.items():
            if name in found:
                continue
            for statement in statements:
                value = (
                    statement.named_children[0] if statement.named_children else None
                )
                commands = _pipeline_commands(value) if value is not None else []
                if (value is not None and _normal(text(value)) == "$null") or (
                    commands
                    and (
                        _is_quiet_query(commands[-1])
                        or canonical(commands[-1]) in found
                    )
                ):
                    found.add(name)
                    changed = True
                    break
    return frozenset(found)


def _may_be_nothing(command: Node, script: Script) -> bool:
    """Tell whether a command may output nothing without an error: a quiet
    query, or a function of the script that may return nothing."""
    return _is_quiet_query(command) or canonical(command) in _nothing_functions(script)


def strict_member_on_query(script: Script) -> list[Finding]:
    """A property of a query result that may be nothing is read only after a check.

    SOURCE: engine src/System.Management.Automation/engine/runtime/Binding/Binders.cs
    (``PSGetMemberBinder.FallbackGetMember``: a ``$null`` target goes to
    ``PropertyDoesntExist``, which throws PropertyNotFoundStrict under strict mode
    2 or later; a method call on ``$null`` throws InvokeMethodOnNull, "You cannot
    call a method on a null-valued expression", in any mode);
    reference/5.1/Microsoft.PowerShell.Core/Set-StrictMode.md ("references to
    non-existent properties").

    Queries that may return nothing: ``Get-WmiObject``, ``Get-CimInstance``,
    ``Get-ChildItem``, ``Where-Object``, ``Select-String``, any command with
    ``-ErrorAction SilentlyContinue``/``Ignore``, and a function of the script with
    a ``return $null`` or a ``return`` of such a query. Flagged:
    ``(<query>).Property`` and ``(<query>).Method()``; ``$v.Property`` or
    ``$v.Method()`` where ``$v = <query>`` in the same function and neither an
    ``if``/``elseif``/``while`` condition mentioning ``$v`` nor a comparison of
    ``$v`` with ``$null`` comes between the assignment and the use. ``.Count`` is
    left to :func:`strict_count`.
    """
    findings: list[Finding] = []
    for access in script.of("member_access", "invocation_expression"):
        name = _first(access, "member_name")
        target = access.named_children[0] if access.named_children else None
        if name is None or target is None or text(name).casefold() == "count":
            continue
        if target.type == "parenthesized_expression" and target.named_children:
            commands = _pipeline_commands(target.named_children[0])
            if commands and _may_be_nothing(commands[-1], script):
                findings.append(
                    script.at(
                        access,
                        "strict-member-on-query",
                        f"'{text(access)[:60]}': the query may return nothing, and"
                        " a member of $null throws under StrictMode",
                    )
                )
    findings.extend(_unchecked_query_variables(script))
    return sorted(findings)


@lru_cache(maxsize=256)
def _variable_uses(script: Script) -> Mapping[tuple[Node, str], tuple[Node, ...]]:
    """``$v.Member`` and ``$v.Method()`` by (scope, variable), in order."""
    uses: dict[tuple[Node, str], list[Node]] = defaultdict(list)
    for access in script.of("member_access", "invocation_expression"):
        target = access.named_children[0] if access.named_children else None
        if target is not None and target.type == "variable":
            uses[(_scope(access), _variable_name(target))].append(access)
    return {key: tuple(found) for key, found in uses.items()}


@lru_cache(maxsize=256)
def _null_checks(script: Script) -> Mapping[tuple[Node, str], tuple[int, ...]]:
    """Where a variable is checked, by (scope, variable): the start of each
    if/elseif/while condition that mentions it and of each comparison of it
    with ``$null`` (``($null -ne $v) -and $v.X`` counts)."""
    checks: dict[tuple[Node, str], list[int]] = defaultdict(list)
    for clause in script.of("if_statement", "elseif_clause", "while_statement"):
        condition = clause.child_by_field_name("condition")
        if condition is None:
            continue
        scope = _scope(clause)
        for name in {_variable_name(v) for v in _descendants(condition, "variable")}:
            checks[(scope, name)].append(condition.start_byte)
    for comparison in script.of("comparison_expression"):
        parts = _comparison_parts(comparison)
        if parts is None:
            continue
        sides = {_normal(text(parts[0])), _normal(text(parts[2]))}
        if "$null" in sides and len(sides) == 2:
            (other,) = sides - {"$null"}
            name = other.lstrip("$").strip("{}")
            name = name.split(":", 1)[-1] if ":" in name else name
            checks[(_scope(comparison), name)].append(comparison.start_byte)
    return {key: tuple(sorted(found)) for key, found in checks.items()}


def _unchecked_query_variables(script: Script) -> Iterator[Finding]:
    """``$v = <query>`` then ``$v.Property`` with no check of ``$v`` between."""
    uses = _variable_uses(script)
    checks = _null_checks(script)
    for assignment in script.of("assignment_expression"):
        left = assignment.named_children[0] if assignment.named_children else None
        value = assignment.child_by_field_name("value")
        if left is None or value is None or _unwrap(left).type != "variable":
            continue
        commands = _pipeline_commands(value)
        if not commands or not _may_be_nothing(commands[-1], script):
            continue
        variable = _variable_name(_unwrap(left))
        key = (_scope(assignment), variable)
        for access in uses.get(key, ()):
            member = _first(access, "member_name")
            if access.start_byte < assignment.end_byte or member is None:
                continue
            if text(member).casefold() == "count":
                continue
            if any(
                assignment.end_byte <= check < access.start_byte
                for check in checks.get(key, ())
            ):
                continue
            yield script.at(
                access,
                "strict-member-on-query",
                f"${variable}.{text(member)}: ${variable} may be $null (the query can"
                " return nothing) and StrictMode throws; check it first",
            )
            break


_DATE_PATTERN: Final = re.compile(r"yy|MM|dd|HH|hh|mm|ss|fff|tt")
_INVARIANT_FORMATS: Final = frozenset({"o", "O", "r", "R", "s", "u"})


def _literal_value(node: Node) -> str | None:
    """The text between the quotes of a string literal (None for anything else)."""
    inner = _unwrap(node)
    if inner.type != "string_literal":
        return None
    if any(
        part.type in {"variable", "sub_expression"} for part in walk(inner)
    ):  # an expandable string's value is known only at run time
        return None
    source = text(inner)
    if source.startswith(("@'", '@"')):
        return source[2:-2]
    return source[1:-1]


def culture_format(script: Script) -> list[Finding]:
    """Dates are formatted with an explicit culture.

    SOURCE: reference/5.1/Microsoft.PowerShell.Utility/Get-Date.md ("Get-Date uses
    the current culture settings"; example 9: ``ToString()`` "converts a DateTime
    object to a String using the current culture setting"); engine
    src/System.Management.Automation/engine/runtime/Operations/StringOps.cs
    (``FormatOperator``, the ``-f`` operator) and
    src/System.Management.Automation/utils/StringUtil.cs (``string.Format(
    CultureInfo.CurrentCulture, ...)``). A Thai or Saudi culture writes another
    calendar's year.

    Flagged: ``.ToString('<date pattern>')`` with no second argument; ``-f`` whose
    literal format holds an item ``{n:<date pattern>}``; ``Get-Date -Format`` other
    than the invariant ``o``, ``r``, ``s``, ``u``. A date pattern contains
    ``yy``, ``MM``, ``dd``, ``HH``, ``hh``, ``mm``, ``ss``, ``fff`` or ``tt``.
    """
    findings: list[Finding] = []
    for call in script.of("invocation_expression"):
        member = _first(call, "member_name")
        arguments = _first(call, "argument_list")
        if member is None or text(member).casefold() != "tostring" or not arguments:
            continue
        listed = _first(arguments, "argument_expression_list")
        values = listed.named_children if listed is not None else []
        values = [value for value in values if value.type == "argument_expression"]
        if len(values) == 1:
            literal = _literal_value(values[0])
            if literal is not None and _DATE_PATTERN.search(literal):
                findings.append(
                    script.at(
                        call,
                        "culture-format",
                        f".ToString('{literal}') formats with the current culture;"
                        " pass [cultureinfo]::InvariantCulture",
                    )
                )
    for expression in script.of("format_expression"):
        literal = _literal_value(expression.named_children[0])
        if literal is None:
            continue
        for item in re.findall(r"\{\d+(?:,-?\d+)?:([^}]*)\}", literal):
            if _DATE_PATTERN.search(item):
                findings.append(
                    script.at(
                        expression,
                        "culture-format",
                        f"-f with '{{...:{item}}}' formats the date with the current"
                        " culture; use .ToString(format, InvariantCulture)",
                    )
                )
                break
    for command in script.of("command"):
        if canonical(command) != "get-date":
            continue
        value = parameter_value(command, "Format", 1)
        if value is None:
            continue
        literal = _literal_value(value)
        if literal is None or literal not in _INVARIANT_FORMATS:
            findings.append(
                script.at(
                    command,
                    "culture-format",
                    "Get-Date -Format uses the current culture; use"
                    " .ToString(format, [cultureinfo]::InvariantCulture)",
                )
            )
    return sorted(findings)


_CULTURE_TYPES: Final = frozenset(
    {"datetime", "datetimeoffset", "double", "decimal", "single", "float"}
)


def culture_parse(script: Script) -> list[Finding]:
    """Dates and numbers are parsed with an explicit culture.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/about_Type_Conversion.md
    ("[bigint]'42' is the same as [bigint]::Parse('42',
    [cultureinfo]::InvariantCulture)": a cast is culture-invariant, a ``Parse()``
    without an IFormatProvider uses the current culture; "binary cmdlets perform
    culture-sensitive conversion during parameter binding").

    Flagged: ``[datetime|datetimeoffset|double|decimal|single|float]::Parse(`` or
    ``::TryParse(`` whose arguments mention no culture or format provider (no
    argument text containing ``culture``, ``formatprovider``, ``numberformat`` or
    ``datetimeformat``); ``Get-Date -Date '<string literal>'``.
    """
    findings: list[Finding] = []
    for call in script.of("invocation_expression"):
        target = call.named_children[0] if call.named_children else None
        member = _first(call, "member_name")
        if target is None or member is None or target.type != "type_literal":
            continue
        type_name = _normal(text(target)).strip("[]").removeprefix("system.")
        method = text(member).casefold()
        if type_name not in _CULTURE_TYPES or method not in {"parse", "tryparse"}:
            continue
        arguments = _normal(text(_first(call, "argument_list") or call))
        if re.search(r"culture|formatprovider|numberformat|datetimeformat", arguments):
            continue
        findings.append(
            script.at(
                call,
                "culture-parse",
                f"[{type_name}]::{text(member)}() without a culture parses with the"
                " current culture; pass [cultureinfo]::InvariantCulture",
            )
        )
    for command in script.of("command"):
        if canonical(command) != "get-date":
            continue
        value = parameter_value(command, "Date", 1)
        if value is not None and _unwrap(value).type == "string_literal":
            findings.append(
                script.at(
                    command,
                    "culture-parse",
                    "Get-Date -Date '<text>' parses the text with the current"
                    " culture; use [datetime]::ParseExact(..., InvariantCulture)",
                )
            )
    return sorted(findings)


def _comparison_parts(node: Node) -> tuple[Node, str, Node] | None:
    """``(left, operator, right)`` of a comparison expression."""
    operator = _first(node, "comparison_operator")
    if operator is None or len(node.named_children) != 3:
        return None
    left, _, right = node.named_children
    return left, text(operator).strip().casefold(), right


def null_on_right(script: Script) -> list[Finding]:
    """``$null`` goes on the left of ``-eq`` / ``-ne``.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/about_Comparison_Operators.md
    ("if you need to determine whether a variable is $null, you must put $null on
    the left-hand side of the equality operator": with an array on the left, -eq
    filters it and returns the matching elements).
    """
    findings: list[Finding] = []
    for comparison in script.of("comparison_expression"):
        parts = _comparison_parts(comparison)
        if parts is None:
            continue
        _, operator, right = parts
        equality = {"-eq", "-ne", "-ieq", "-ine", "-ceq", "-cne"}
        if operator in equality and _normal(text(right)) == "$null":
            findings.append(
                script.at(
                    comparison,
                    "null-on-right",
                    f"'{text(comparison)[:60]}': put $null on the left of {operator}",
                )
            )
    return findings


def contains_operand_order(script: Script) -> list[Finding]:
    """``-contains`` has the collection on the left.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/about_Comparison_Operators.md
    ("<Collection> -contains <scalar-object>"; ``'abc' -contains $list`` is
    always false unless the list's string form is 'abc': it is not a substring or
    membership test the other way round; ``-in`` is).

    Flagged: ``-contains``/``-notcontains`` (any case prefix) with a single string
    or number literal on the left.
    """
    findings: list[Finding] = []
    for comparison in script.of("comparison_expression"):
        parts = _comparison_parts(comparison)
        if parts is None:
            continue
        left, operator, _ = parts
        if not re.fullmatch(r"-[ic]?(?:not)?contains", operator):
            continue
        inner = _unwrap(left)
        if inner.type in {"string_literal", "integer_literal", "real_literal"}:
            findings.append(
                script.at(
                    comparison,
                    "contains-operand-order",
                    f"'{text(comparison)[:60]}': a scalar on the left of"
                    f" {operator}; write <value> -in <collection>",
                )
            )
    return findings


def convertto_json_depth(script: Script) -> list[Finding]:
    """Every ``ConvertTo-Json`` states ``-Depth``.

    SOURCE: reference/5.1/Microsoft.PowerShell.Utility/ConvertTo-Json.md (-Depth:
    "The default value is 2"); PowerShell/PowerShell#8393 (deeper levels are
    written as their type name, data lost without an error);
    reference/docs-conceptual/whats-new/What-s-New-in-PowerShell-72.md ("Emit
    warning if ConvertTo-Json exceeds -Depth value (#13692)": Windows PowerShell
    5.1 has no such warning, PowerShell/PowerShell#23960, although the 5.1 page
    mentions one).
    """
    return [
        script.at(
            command,
            "convertto-json-depth",
            "ConvertTo-Json without -Depth truncates below level 2 without a word"
            " in 5.1",
        )
        for command in script.of("command")
        if canonical(command) == "convertto-json"
        and not has_parameter(command, "Depth", 3)
    ]


_ENCODED_COMMANDS: Final = frozenset(
    {"out-file", "set-content", "add-content", "get-content", "export-csv"}
)


def file_encoding(script: Script) -> list[Finding]:
    """Files are read and written with an explicit ``-Encoding``.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/about_Character_Encoding.md
    ("Out-File and the redirection operators > and >> create UTF-16LE";
    "Set-Content and Add-Content use Default encoding ... the active system
    locale's ANSI legacy code page"; "Get-Content ... uses the Default ANSI
    encoding" for a file without BOM); reference/5.1/Microsoft.PowerShell.Management/
    Set-Content.md (-Encoding default ``Default``).

    Flagged: ``Out-File``, ``Set-Content``, ``Add-Content``, ``Get-Content``,
    ``Export-Csv`` without ``-Encoding``; ``>``/``>>`` (any stream) to a file that
    is not ``$null``.
    """
    findings: list[Finding] = []
    for command in script.of("command"):
        name = canonical(command)
        if name in _ENCODED_COMMANDS and not has_parameter(command, "Encoding", 1):
            findings.append(
                script.at(
                    command,
                    "file-encoding",
                    f"{command_name(command)} without -Encoding uses the 5.1 default"
                    " (UTF-16LE for Out-File, ANSI otherwise)",
                )
            )
    for redirection in script.of("redirection"):
        operator = redirection.named_children[0] if redirection.named_children else None
        target = _first(redirection, "redirected_file_name")
        if operator is None or operator.type != "file_redirection_operator":
            continue
        if target is None or _normal(text(target)) == "$null":
            continue
        findings.append(
            script.at(
                redirection,
                "file-encoding",
                f"redirection '{text(redirection).strip()}' writes UTF-16LE in 5.1;"
                " use Set-Content/Out-File -Encoding",
            )
        )
    return sorted(findings)


def convertfrom_json_pipeline(script: Script) -> list[Finding]:
    """``ConvertFrom-Json`` ends its pipeline.

    SOURCE: PowerShell/PowerShell#3424 (Windows PowerShell's ConvertFrom-Json
    writes a JSON array as ONE object to the pipeline, so the next command gets the
    whole array as ``$_``; fixed only in PowerShell 7 and later).

    Accepted: ConvertFrom-Json as the last command of its pipeline (wrap it in
    parentheses to enumerate the array).
    """
    findings: list[Finding] = []
    for command in script.of("command"):
        if canonical(command) != "convertfrom-json":
            continue
        following = command.next_named_sibling
        while following is not None and following.type == "comment":
            following = following.next_named_sibling
        if following is not None and following.type == "command":
            findings.append(
                script.at(
                    command,
                    "convertfrom-json-pipeline",
                    "ConvertFrom-Json piped on: in 5.1 a JSON array reaches the next"
                    " command as one object; wrap ConvertFrom-Json in ( )",
                )
            )
    return findings


_DOTNET_PATH_TYPES: Final = frozenset(
    {"io.file", "io.directory", "io.fileinfo", "io.directoryinfo"}
)
_ROOTED: Final = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\|//|[\\/])")


def dotnet_relative_path(script: Script) -> list[Finding]:
    """.NET file methods get rooted paths.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/about_Methods.md ("Using
    .NET methods that take filesystem paths": ".NET methods use the process working
    directory. PowerShell cmdlets use the Runspace location");
    reference/5.1/Microsoft.PowerShell.Management/Set-Location.md (not the same as
    ``[System.Environment]::CurrentDirectory``).

    Flagged: ``[System.IO.File|Directory|FileInfo|DirectoryInfo]::Method(`` whose
    first argument is a string literal that is not rooted (no drive, UNC or leading
    slash). Paths in variables are not followed (module docstring).
    """
    findings: list[Finding] = []
    for call in script.of("invocation_expression"):
        target = call.named_children[0] if call.named_children else None
        if target is None or target.type != "type_literal":
            continue
        type_name = _normal(text(target)).strip("[]").removeprefix("system.")
        if type_name not in _DOTNET_PATH_TYPES:
            continue
        listed = _first(
            _first(call, "argument_list") or call, "argument_expression_list"
        )
        if listed is None or not listed.named_children:
            continue
        literal = _literal_value(listed.named_children[0])
        if literal is not None and not _ROOTED.match(literal):
            findings.append(
                script.at(
                    call,
                    "dotnet-relative-path",
                    f"relative path '{literal}' given to .NET resolves against the"
                    " process folder, not the PowerShell location",
                )
            )
    return findings


RULES: Final[tuple[Rule, ...]] = (
    Rule("mandatory-collection", mandatory_collection),
    Rule("mandatory-string", mandatory_string),
    Rule("stop-transcript-try", stop_transcript_in_try),
    Rule("registry-64bit-guard", registry_64bit_guard),
    Rule("should-process-declined", should_process_declined),
    Rule("psscriptroot-param-default", psscriptroot_param_default),
    Rule("native-exit-code", native_exit_code),
    Rule("start-process-exit-code", start_process_exit_code),
    Rule("native-stderr-stop", native_stderr_stop),
    Rule("strict-count", strict_count),
    Rule("strict-member-on-query", strict_member_on_query),
    Rule("culture-format", culture_format),
    Rule("culture-parse", culture_parse),
    Rule("null-on-right", null_on_right),
    Rule("contains-operand-order", contains_operand_order),
    Rule("convertto-json-depth", convertto_json_depth),
    Rule("file-encoding", file_encoding),
    Rule("convertfrom-json-pipeline", convertfrom_json_pipeline),
    Rule("dotnet-relative-path", dotnet_relative_path),
)


def check(data: bytes, rules: Iterable[Rule] = RULES) -> list[Finding]:
    """Every finding of ``rules`` (default: all) on a script, in document order."""
    script = load(data)
    return sorted(finding for rule in rules for finding in rule.apply(script))
