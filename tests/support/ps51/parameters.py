"""Rules on the scripts' own parameters: mandatory collections and strings
(how the 5.1 parameter binder treats an empty value)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from tree_sitter import Node

from tests.support.ps51.core import Finding, Script, _first, _normal, text
from tests.support.pwsh_oracle import (
    ancestors,
)

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
