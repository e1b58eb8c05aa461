"""Read an inventory YAML file into plain data plus a position index.

Positions come from PyYAML's node marks so that every later diagnostic can say
``file:line:col``. Duplicate keys, which PyYAML silently collapses, are errors, and
so are keys YAML would not read as text (``on:``, ``1:``), values YAML cannot
construct (``2020-13-45``), recursive aliases and alias bombs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.errors import Diagnostic, InventoryError, Location, relative_display
from generator.files.textfile import TextDecodeError, decode_text
from generator.text import printable, shown

Path_ = tuple[str | int, ...]

# YAML 1.1 reads these unquoted scalars as booleans; users almost always meant text.
YAML11_BOOLEANS = frozenset({"y", "yes", "n", "no", "on", "off", "true", "false"})

# More nodes than any real inventory has: stops alias bombs before they eat memory.
MAX_NODES = 20_000
# Deeper than any inventory is (dr.servers[].host_instances[] is four levels): a
# document nested deeper is reported where it passes this depth.
MAX_DEPTH = 64

_TAG = "tag:yaml.org,2002:"
_STR_TAG = _TAG + "str"
# What YAML made of an unquoted scalar, in words an admin understands.
TAG_WORDS = {
    _TAG + "bool": "a boolean",
    _TAG + "int": "a number",
    _TAG + "float": "a number",
    _TAG + "null": "empty (null)",
    _TAG + "timestamp": "a date",
}
# Tags an inventory may carry; !!set, !!omap, !!binary and custom tags are refused.
_ALLOWED_TAGS = frozenset({_STR_TAG, _TAG + "seq", _TAG + "map", *TAG_WORDS})


@dataclass(frozen=True, slots=True)
class RawDocument:
    """The parsed YAML with the position of every key path and scalar spelling."""

    file: str
    data: Any
    positions: dict[Path_, tuple[int, int]]
    plain_scalars: dict[Path_, str]
    sha256: str
    # YAML-level problems that do not stop validation (duplicate keys), so that
    # they are reported together with every other problem of the file.
    problems: tuple[Diagnostic, ...] = ()

    def locate(self, path: Path_) -> Location:
        """Location of ``path``, or of its nearest ancestor that exists."""
        probe = tuple(path)
        while probe not in self.positions and probe:
            probe = probe[:-1]
        line, column = self.positions.get(probe, (0, 0))
        return Location(self.file, line, column)


# libyaml's parser (when PyYAML was built with it) composes the same nodes with
# the same marks about four times faster than the pure-Python one (1,000 servers:
# 0.07 s instead of 0.31 s); the constructor is SafeConstructor either way. The
# two parsers word some syntax errors differently, so a document libyaml rejects
# is parsed again by the pure-Python one and its diagnostics are reported: the
# located messages stay exactly those the fixtures in tests/ pin down.
_FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)
_Loader = yaml.SafeLoader  # the type both loaders share for annotations


def _at(file: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(file, 1, 1)
    return Location(file, mark.line + 1, mark.column + 1)


class _Walker:
    """Records positions and plain spellings; collects YAML-level problems."""

    def __init__(self, file: str, loader: _Loader) -> None:
        self.file = file
        self.loader = loader
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.plain: dict[Path_, str] = {}
        self.problems: list[Diagnostic] = []
        self.active: set[int] = set()
        self.count = 0

    def problem(
        self, mark: yaml.Mark | None, code: str, message: str, hint: str | None = None
    ) -> None:
        self.problems.append(Diagnostic(_at(self.file, mark), code, message, hint))

    def walk(self, node: yaml.Node, path: Path_) -> None:
        self.count += 1
        if self.count == MAX_NODES:
            self.problem(
                node.start_mark,
                "too-large",
                f"the inventory has more than {MAX_NODES} YAML nodes",
                hint="an alias (*name) repeated inside aliases multiplies the "
                "document; write the values out",
            )
        if self.count >= MAX_NODES:
            return
        if len(path) >= MAX_DEPTH and not isinstance(node, yaml.ScalarNode):
            self.problem(node.start_mark, "too-deep", _DEPTH_MESSAGE, _DEPTH_HINT)
            self.count = MAX_NODES + 1  # reported once; nothing below is walked
            return
        self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if node.tag not in _ALLOWED_TAGS:
            self.problem(
                node.start_mark,
                "yaml-tag",
                f"the YAML tag '{shown(node.tag.replace(_TAG, '!!'))}' is not "
                "used in an inventory",
                hint="write plain text, lists and mappings without tags",
            )
            return
        if isinstance(node, yaml.ScalarNode):
            self.scalar(node, path)
            return
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                self.mapping(node, path)
            elif isinstance(node, yaml.SequenceNode):
                for index, item in enumerate(node.value):
                    if self.recursive(item, node.start_mark):
                        continue
                    self.walk(item, (*path, index))
        finally:
            self.active.discard(id(node))

    def recursive(self, node: yaml.Node, mark: yaml.Mark) -> bool:
        if id(node) not in self.active:
            return False
        self.problem(
            mark,
            "recursive-alias",
            "this alias refers to a node that contains it",
            hint="an inventory is a tree: write the value out instead of *alias",
        )
        return True

    def mapping(self, node: yaml.MappingNode, path: Path_) -> None:
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            mark = key_node.start_mark
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(
                    mark,
                    "key-not-text",
                    "a mapping key must be plain text, not a list or a mapping",
                )
                continue
            key = str(key_node.value)
            if key_node.tag == _TAG + "merge":
                # "<<: *defaults" merges a mapping in; its keys are checked merged.
                continue
            if key_node.tag != _STR_TAG and not key:
                self.problem(
                    mark,
                    "key-not-text",
                    "this mapping has an empty key",
                    hint="write the key name before the colon",
                )
                continue
            if key_node.tag != _STR_TAG:
                kind = TAG_WORDS.get(key_node.tag, f"a value of type {key_node.tag}")
                self.problem(
                    mark,
                    "key-not-text",
                    f"YAML reads the key '{shown(key)}' as {kind}, not as text",
                    hint=f"quote it: '{shown(key)}'",
                )
                continue
            if key in seen:
                self.problem(
                    mark,
                    "duplicate-key",
                    f"key '{shown(key)}' appears twice in this mapping "
                    f"(first on line {seen[key]})",
                    hint="YAML keeps only the last value; remove one of them",
                )
                continue
            seen[key] = mark.line + 1
            if not self.recursive(value_node, mark):
                self.walk(value_node, (*path, key))
            # A key's own position is more useful than its value's for messages.
            self.positions[(*path, key)] = (mark.line + 1, mark.column + 1)

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> None:
        if not node.style:  # plain: None from PyYAML's parser, "" from libyaml's
            self.plain[path] = str(node.value)
        if node.tag in TAG_WORDS:
            # Construct typed scalars one by one so a bad one is reported where it is.
            construct = self.loader.yaml_constructors[node.tag]
            try:
                construct(self.loader, node)
            except (ValueError, OverflowError, KeyError, yaml.YAMLError) as exc:
                kind = TAG_WORDS[node.tag]
                reason = getattr(exc, "problem", None) or str(exc)
                self.problem(
                    node.start_mark,
                    "yaml-value",
                    f"YAML reads '{shown(str(node.value))}' as {kind} but cannot "
                    f"convert it: {shown(str(reason))}",
                    hint=f"quote it to keep it as text: '{shown(str(node.value))}'",
                )


def _reader_location(file: str, text: str, exc: yaml.reader.ReaderError) -> Location:
    before = text[: exc.position]
    line = before.count("\n") + 1
    return Location(file, line, exc.position - (before.rfind("\n") + 1) + 1)


_DEPTH_MESSAGE = f"the document is nested more than {MAX_DEPTH} levels deep here"
_DEPTH_HINT = "an inventory is a few levels deep: look for brackets opened by mistake"
_INDENT_HINT = (
    "check the indentation on this line and the one above: YAML indents with "
    "spaces (never tabs), the keys of one mapping start in the same column, and "
    "a list's '- ' items line up under their key"
)
_TAB_HINT = "YAML does not allow tabs for indentation: indent with spaces"
# Pure-Python parser wordings (the ones reported) that come from indentation.
_INDENT_PROBLEMS = (
    "mapping values are not allowed here",
    "expected <block end>, but found",
    "could not find expected ':'",
)


def _single_quoted(text: str, mark: yaml.Mark) -> str | None:
    """The line of ``mark`` with its double-quoted scalar in single quotes, when
    that reads the same text (no single quote or escape inside)."""
    lines = text.splitlines()
    if mark.line >= len(lines):
        return None
    line = lines[mark.line]
    opening = line.rfind('"', 0, mark.column)
    closing = line.find('"', mark.column)
    if opening < 0 or closing < 0:
        return None
    inner = line[opening + 1 : closing]
    if "'" in inner:
        return None
    return (line[:opening] + "'" + inner + "'" + line[closing + 1 :]).strip()


def _syntax_hint(text: str, problem: str, mark: yaml.Mark | None) -> str | None:
    """What to do about the commonest YAML slips, in words an admin knows."""
    if "found unknown escape character" in problem:
        fixed = _single_quoted(text, mark) if mark is not None else None
        example = f" ({fixed})" if fixed else " (server: 'SQLPROD01\\BTS')"
        return (
            "in double quotes a backslash starts an escape sequence; write the value "
            f"in single quotes, where a backslash is just a backslash{example}"
        )
    if "'\\t'" in problem or "found character '\t'" in problem:
        return _TAB_HINT
    if any(words in problem for words in _INDENT_PROBLEMS):
        return _INDENT_HINT
    return None


def _deep_location(file: str, text: str) -> Location:
    """Where the document first nests deeper than ``MAX_DEPTH`` (its events are
    read without recursion, unlike its nodes)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                mark = event.start_mark
                if depth > MAX_DEPTH and mark is not None:
                    return Location(file, mark.line + 1, mark.column + 1)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        if isinstance(exc, yaml.MarkedYAMLError):
            return _at(file, exc.problem_mark)
    # Recursion ran out before MAX_DEPTH (a tiny recursion limit): the top.
    return Location(file, 1, 1)


def _syntax_error(file: str, text: str, exc: BaseException) -> InventoryError:
    """One located ``yaml-syntax`` diagnostic for any failure of the YAML library."""
    hint = None
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = _at(file, mark)
        problem = exc.problem or exc.context or "invalid YAML"
        hint = _syntax_hint(text, problem, mark)
        if exc.context and exc.problem:
            problem = f"{exc.context}: {exc.problem}"
    elif isinstance(exc, yaml.reader.ReaderError):
        where = _reader_location(file, text, exc)
        problem = (
            f"character U+{exc.character:04X} is not allowed in YAML"
            if isinstance(exc.character, int)
            else str(exc.reason)
        )
    elif isinstance(exc, RecursionError):
        deep = Diagnostic(
            _deep_location(file, text), "too-deep", _DEPTH_MESSAGE, _DEPTH_HINT
        )
        return InventoryError(f"{file}: nested too deeply", (deep,))
    else:
        where, problem = Location(file, 1, 1), str(exc).splitlines()[0]
    return InventoryError(
        f"{file}: YAML syntax error",
        (
            Diagnostic(
                where, "yaml-syntax", f"YAML syntax error: {printable(problem)}", hint
            ),
        ),
    )


def _compose(
    text: str, loader_class: type[_Loader]
) -> tuple[_Loader, yaml.Node | None]:
    """The document's node tree (no values constructed yet) and its loader."""
    loader = loader_class(text)
    try:
        return loader, loader.get_single_node()
    finally:
        loader.dispose()


def parse_inventory_text(
    text: str, file: str, sha256: str | None = None
) -> RawDocument:
    """Parse YAML text; raise ``InventoryError`` with a location on any problem."""
    digest = sha256 or hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    try:
        loader, node = _compose(text, _FAST_LOADER or yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError) as exc:
        if _FAST_LOADER is None:
            raise _syntax_error(file, text, exc) from None
        try:  # the pure-Python parser's wording and position for the same error
            loader, node = _compose(text, yaml.SafeLoader)
        except (yaml.YAMLError, RecursionError) as again:
            raise _syntax_error(file, text, again) from None
    if node is None or (
        isinstance(node, yaml.ScalarNode)
        and node.tag == _TAG + "null"
        and not node.value
    ):
        raise InventoryError(
            f"{file}: empty inventory",
            (Diagnostic(Location(file, 1, 1), "empty", "the inventory file is empty"),),
        )
    walker = _Walker(file, loader)
    try:
        walker.walk(node, ())
    except RecursionError as exc:
        raise _syntax_error(file, text, exc) from None
    if any(p.code != "duplicate-key" for p in walker.problems):
        raise InventoryError(f"{file}: invalid YAML", tuple(walker.problems))
    try:
        data = loader.construct_document(node)
    except (
        yaml.YAMLError,
        ValueError,
        OverflowError,
        KeyError,
        RecursionError,
    ) as exc:
        raise _syntax_error(file, text, exc) from None
    return RawDocument(
        file, data, walker.positions, walker.plain, digest, tuple(walker.problems)
    )


def load_inventory(path: Path) -> RawDocument:
    """Read ``path`` as YAML with positions: UTF-8, or UTF-16 with a byte order
    mark (``generator.files.textfile``)."""
    file = relative_display(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InventoryError(
            f"{file}: cannot read inventory: {exc.strerror}",
            (
                Diagnostic(
                    Location(file),
                    "unreadable",
                    f"cannot read inventory: {exc.strerror}",
                ),
            ),
        ) from None
    try:
        text = decode_text(raw, "inventory")
    except TextDecodeError as exc:
        raise InventoryError(
            f"{file}: {exc.message}",
            (
                Diagnostic(
                    Location(file, exc.line, exc.column),
                    "encoding",
                    exc.message,
                    exc.hint,
                ),
            ),
        ) from None
    return parse_inventory_text(text, file, hashlib.sha256(raw).hexdigest())
