"""The pre-order index of a parsed tree, and the node helpers tests read it with.

Owns: every node of a tree in document (pre-)order and where each node type sits
in that order (:class:`TreeIndex`, built once per tree and kept for the last
:data:`_MAX_INDEXED` trees), and the helpers a test uses to look at nodes itself:
:func:`walk`, :func:`nodes`, :func:`node_text`, :func:`ancestors`, plus
:func:`source_text` for the rest of the package. Walking a tree in Python is the
oracle's cost, so it is done once per tree with a cursor and every later walk or
search by type is a slice of that list. Why a module of its own: it knows no
PowerShell and parses nothing, and every other module of the package builds on it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterator

from tree_sitter import Node


def _descend(node: Node) -> list[Node]:
    """``node`` and its descendants in document (pre-)order.

    A tree cursor visits every child, named or not, as ``node.children`` lists
    them, about five times faster than walking the ``children`` lists in Python.
    """
    found: list[Node] = []
    cursor = node.walk()
    while True:
        found.append(cursor.node)  # type: ignore[arg-type]
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return found


class TreeIndex:
    """Every node of one tree in document (pre-)order, and where each type is.

    A node's subtree is the slice of :attr:`order` from its position, of length
    ``descendant_count`` (the node included): :func:`walk` and :func:`nodes` read
    slices instead of walking the tree again in Python, the oracle's cost.
    """

    __slots__ = ("by_type", "order", "root_id", "starts")

    def __init__(self, root: Node) -> None:
        self.root_id = root.id
        self.order = _descend(root)
        by_type: dict[str, list[int]] = {}
        for position, node in enumerate(self.order):
            by_type.setdefault(node.type, []).append(position)
        self.by_type = by_type
        # Start offsets in order (never decreasing in pre-order), made when a
        # subtree is first asked for.
        self.starts: list[int] | None = None

    def position(self, node: Node) -> int:
        """Where ``node`` is in :attr:`order`: among the nodes that start where it
        starts (its ancestors and first descendants), the one with its id."""
        if self.starts is None:
            self.starts = [each.start_byte for each in self.order]
        position = bisect_left(self.starts, node.start_byte)
        while self.order[position].id != node.id:
            position += 1
        return position


#: Indexed trees by the id of their root (a node's id is its place in its tree,
#: the same for every wrapper object the bindings hand out), least recently used
#: first. The indexed nodes keep their trees alive, so no id is reused while its
#: tree is listed here.
_MAX_INDEXED = 96
_INDEXED: OrderedDict[int, TreeIndex] = OrderedDict()


def _index(root: Node) -> TreeIndex:
    """The index of the tree whose root is ``root`` (built on first use)."""
    index = _INDEXED.get(root.id)
    if index is not None:
        _INDEXED.move_to_end(root.id)
        return index
    index = TreeIndex(root)
    _INDEXED[index.root_id] = index
    while len(_INDEXED) > _MAX_INDEXED:
        _INDEXED.popitem(last=False)
    return index


def locate(node: Node) -> tuple[TreeIndex, int]:
    """The index of ``node``'s tree and ``node``'s position in it."""
    root = node
    while (parent := root.parent) is not None:
        root = parent
    index = _index(root)
    return index, 0 if root is node else index.position(node)


def walk(node: Node) -> Iterator[Node]:
    """Yield ``node`` and its descendants in document (pre-)order."""
    index, position = locate(node)
    return iter(index.order[position : position + node.descendant_count])


def source_text(node: Node, data: bytes) -> str:
    """Return the source text of ``node``, taken from the original bytes."""
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def nodes(node: Node, kind: str) -> list[Node]:
    """Every node of type ``kind`` under ``node`` (itself included), in order."""
    index, position = locate(node)
    positions = index.by_type.get(kind)
    if not positions:
        return []
    first = bisect_left(positions, position)
    last = bisect_left(positions, position + node.descendant_count, first)
    order = index.order
    return [order[i] for i in positions[first:last]]


def node_text(node: Node) -> str:
    """The source text of ``node`` (the tree keeps the parsed bytes)."""
    return (node.text or b"").decode("utf-8", "replace")


def ancestors(node: Node) -> Iterator[Node]:
    """Yield the parent of ``node``, its parent, and so on up to the root."""
    current = node.parent
    while current is not None:
        yield current
        current = current.parent
