"""The JSON a script writes, read from its tree-sitter-pwsh parse tree.

The scripts build what they write as ``[ordered]@{ key = value }`` literals and
serialise it with ``ConvertTo-Json``. :func:`written_shape` follows the value
piped into ``ConvertTo-Json`` back to those literals: through variables assigned
in the same function (or at the top level), ``$list.ToArray()`` of a list filled
with ``$list.Add(...)``, ``$x.key`` of a table, and the ``return`` statements of
the script's own functions called for a value. Several literals that can reach
one value (a function's ``return`` in ``try`` and in ``catch``) are merged.

A shape is a dict (keys in the order written), ``[element shape]`` for an array,
or ``None`` for anything else (a scalar, ``$null``, a value of another origin).
:func:`shape_paths`, :func:`data_paths` and :func:`model_paths` turn a script's
shape, a JSON document and a pydantic model into the same set of key paths
(``"[]"`` stands for "each element of an array"), so that they can be compared.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from tree_sitter import Node

from tests.support.pwsh_oracle import node_text, nodes

Shape = dict[str, "Shape"] | list["Shape"] | None
KeyPath = tuple[str, ...]
EACH = "[]"

# Nodes that only wrap the value they hold.
_WRAPPERS = frozenset(
    {
        "pipeline",
        "pipeline_chain",
        "unary_expression",
        "expression_with_unary_operator",
        "argument_expression",
        "assignment_value",
        "parenthesized_expression",
    }
)
# Casts that keep a table a table (ConvertTo-Json writes both as an object).
_TABLE_CASTS = frozenset({"[ordered]", "[pscustomobject]"})


def merge(first: Shape, second: Shape) -> Shape:
    """Both shapes at once: the union of the keys, element shapes merged."""
    if first is None:
        return second
    if second is None:
        return first
    if isinstance(first, dict) and isinstance(second, dict):
        merged: dict[str, Shape] = dict(first)
        for key, value in second.items():
            merged[key] = merge(merged.get(key), value)
        return merged
    if isinstance(first, list) and isinstance(second, list):
        return [merge(first[0], second[0])]
    msg = f"one value written both as an object and as an array: {first} {second}"
    raise AssertionError(msg)


def _function_name(statement: Node) -> str:
    return node_text(next(c for c in statement.children if c.type == "function_name"))


class _Reader:
    """Resolves values within one parsed script."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self.functions = {
            _function_name(f).lower(): f for f in nodes(root, "function_statement")
        }
        self.busy: set[tuple[int, int]] = set()

    def scope(self, node: Node) -> Node:
        """The function a node is in, or the script itself."""
        parent = node.parent
        while parent is not None:
            if parent.type == "function_statement":
                return parent
            parent = parent.parent
        return self.root

    def assigned(self, scope: Node, variable: str) -> list[Node]:
        """The values ``$variable = ...`` takes in ``scope`` (not in other
        functions)."""
        found = []
        for node in nodes(scope, "assignment_expression"):
            target = node_text(node.children[0]).strip().lower()
            if target == variable.lower() and self.scope(node) == scope:
                value = node.child_by_field_name("value")
                assert value is not None
                found.append(value)
        return found

    def added(self, scope: Node, variable: str) -> list[Node]:
        """The arguments of ``$variable.Add(...)`` in ``scope``."""
        found = []
        for call in nodes(scope, "invocation_expression"):
            if (
                node_text(call.children[0]).lower() == variable.lower()
                and _member(call) == "Add"
                and self.scope(call) == scope
            ):
                found += nodes(call, "argument_expression")[:1]
        return found

    def returned(self, function: Node) -> list[Node]:
        """The values a function's ``return`` statements give."""
        found = []
        for statement in nodes(function, "flow_control_statement"):
            if statement.children[0].type != "return" or self.scope(statement) != (
                function
            ):
                continue
            found += [c for c in statement.named_children if c.type == "pipeline"]
        return found

    def shape(self, node: Node, scope: Node) -> Shape:
        key = (node.id, scope.id)
        if key in self.busy:
            return None
        self.busy.add(key)
        try:
            return self._shape(node, scope)
        finally:
            self.busy.discard(key)

    def _shape(self, node: Node, scope: Node) -> Shape:
        while node.type in _WRAPPERS or node.type == "cast_expression":
            if node.type == "cast_expression":
                cast = next(c for c in node.children if c.type == "type_literal")
                if node_text(cast).replace(" ", "").lower() not in _TABLE_CASTS:
                    return None
            inner = [c for c in node.named_children if c.type != "type_literal"]
            if node.type == "pipeline_chain" and any(
                c.type == "|" for c in node.children
            ):
                return None
            if len(inner) != 1:
                return None
            node = inner[0]
        if node.type == "hash_literal_expression":
            return self._table(node, scope)
        if node.type == "invocation_expression":
            if _member(node) == "ToArray":
                element: Shape = None
                for argument in self.added(scope, node_text(node.children[0])):
                    element = merge(element, self.shape(argument, scope))
                return [element]
            return None
        if node.type == "member_access":
            whole = self.shape(node.children[0], scope)
            member = _member(node)
            if isinstance(whole, dict) and member is not None:
                return whole.get(member)
            return None
        if node.type == "variable":
            found: Shape = None
            for value in self.assigned(scope, node_text(node)):
                found = merge(found, self.shape(value, scope))
            return found
        if node.type == "command":
            name = node_text(
                node.child_by_field_name("command_name") or node.children[0]
            )
            function = self.functions.get(name.lower())
            if function is None:
                return None
            found = None
            for value in self.returned(function):
                found = merge(found, self.shape(value, function))
            return found
        return None

    def _table(self, table: Node, scope: Node) -> dict[str, Shape]:
        body = next(c for c in table.children if c.type == "hash_literal_body")
        shape: dict[str, Shape] = {}
        for entry in (c for c in body.children if c.type == "hash_entry"):
            key = node_text(entry.children[0]).strip().strip("'\"")
            value = next(c for c in entry.named_children[1:])
            shape[key] = merge(shape.get(key), self.shape(value, scope))
        return shape


def _member(node: Node) -> str | None:
    member = next((c for c in node.children if c.type == "member_name"), None)
    return None if member is None else node_text(member)


def written_shape(root: Node, function: str | None = None) -> Shape:
    """What the script (or one of its functions) writes with ``ConvertTo-Json``."""
    reader = _Reader(root)
    scope = root if function is None else reader.functions[function.lower()]
    found: Shape = None
    converts = 0
    for command in nodes(scope, "command"):
        name = command.child_by_field_name("command_name") or command.children[0]
        if node_text(name) != "ConvertTo-Json":
            continue
        converts += 1
        chain = command.parent
        assert chain is not None
        assert chain.type == "pipeline_chain"
        piped = [c for c in chain.named_children if c.end_byte <= command.start_byte]
        assert piped, node_text(chain)
        found = merge(found, reader.shape(piped[-1], reader.scope(command)))
    assert converts, "no ConvertTo-Json"
    return found


def shape_paths(shape: Shape, prefix: KeyPath = ()) -> set[KeyPath]:
    """Every key path of a shape (a list's elements under ``"[]"``)."""
    found: set[KeyPath] = set()
    if isinstance(shape, dict):
        for key, value in shape.items():
            found.add((*prefix, key))
            found |= shape_paths(value, (*prefix, key))
    elif isinstance(shape, list):
        found.add((*prefix, EACH))
        found |= shape_paths(shape[0], (*prefix, EACH))
    return found


def data_paths(value: Any, prefix: KeyPath = ()) -> set[KeyPath]:
    """Every key path of a JSON document (every element of each array)."""
    found: set[KeyPath] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found.add((*prefix, key))
            found |= data_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for item in value:
            found.add((*prefix, EACH))
            found |= data_paths(item, (*prefix, EACH))
    return found


def _sequence(annotation: Any) -> bool:
    if typing.get_origin(annotation) in {tuple, list}:
        return True
    return any(_sequence(a) for a in typing.get_args(annotation) if a is not Ellipsis)


def _model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model(arg)
        if found is not None:
            return found
    return None


def model_paths(model: type[BaseModel], prefix: KeyPath = ()) -> set[KeyPath]:
    """Every key path a reader of ``model`` can read (field aliases, nested models)."""
    found: set[KeyPath] = set()
    for name, field in model.model_fields.items():
        path = (*prefix, field.alias or name)
        found.add(path)
        if _sequence(field.annotation):
            path = (*path, EACH)
            found.add(path)
        nested = _model(field.annotation)
        if nested is not None:
            found |= model_paths(nested, path)
    return found


def schema_paths(schema: dict[str, Any]) -> set[KeyPath]:
    """Every key path a JSON Schema lists (``$ref``, ``anyOf``, ``items`` followed)."""

    def walk(node: dict[str, Any], prefix: KeyPath) -> Iterator[KeyPath]:
        if "$ref" in node:
            yield from walk(schema["$defs"][node["$ref"].rsplit("/", 1)[-1]], prefix)
            return
        for choice in node.get("anyOf", []):
            yield from walk(choice, prefix)
        if node.get("type") == "array":
            yield (*prefix, EACH)
            yield from walk(node.get("items", {}), (*prefix, EACH))
        for key, value in node.get("properties", {}).items():
            yield (*prefix, key)
            yield from walk(value, (*prefix, key))

    return set(walk(schema, ()))


def dotted(path: KeyPath) -> str:
    """A key path as ``group.messageboxes[].server``."""
    return ".".join(path).replace(f".{EACH}", EACH)
