"""The data block of a generated script: every per-bundle value, as literals only.

A script is its code (the same bytes in every bundle of a drgen release, rendered
once per kind) and one data block between two marker lines near its top. The
block is written here, from typed values, in one small fixed form, so that:

* escaping holds by construction: strings go through ``escaping.ps_str``;
  booleans, integers and lists are printed by this module and nothing else;
* ``parse_block`` can read a block back without evaluating PowerShell: it accepts
  exactly the form ``render_block`` writes, which is how ``drgen review`` and
  ``render --check --diff`` compare two bundles by meaning.

Form (one assignment per item, lists one element per line)::

    # comment
    $Name = 'text'
    $Flag = $true
    $Count = 5
    $Names = @('a', 'b')
    $Rows = @(
        [pscustomobject]@{
            Field = 'text'
            Other = @('x')
        }
    )
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from generator.render.escaping import ps_str

# The two lines that enclose every data block. Code outside them is the script
# kind's constant code; Test-DrBundle.ps1 finds them the same way (whole lines).
DATA_BEGIN = "# ---- drgen data: begin " + "-" * 55
DATA_END = "# ---- drgen data: end " + "-" * 57
# The first line of an Authenticode signature block (PowerShell SIP): the code
# part is read from the unsigned text, before this line.
SIGNATURE_BEGIN = "# SIG # Begin signature block"

Scalar = str | bool | int
Field = Scalar | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Row:
    """One ``[pscustomobject]`` of a list of records: its fields, in order."""

    fields: tuple[tuple[str, Field], ...]

    def get(self, name: str) -> Field:
        """The value of field ``name``."""
        for key, value in self.fields:
            if key == name:
                return value
        raise KeyError(name)


Value = Scalar | tuple[str, ...] | tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Item:
    """One ``$Name = value`` of a data block.

    ``label`` names the value as the inventory does (for ``drgen review``);
    ``key`` is the field that identifies a row of a list of records.
    """

    name: str
    value: Value
    comment: str = ""
    label: str = ""
    key: str = ""
    # Rows are records even when the list is empty (a string list prints the same).
    records: bool = field(default=False)


class DataBlockError(ValueError):
    """A data block is not in the form drgen writes."""


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")


def row(**fields: Field) -> Row:
    """A record with the fields in the order given."""
    return Row(tuple(fields.items()))


def _scalar(value: Field) -> str:
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return ps_str(value)
    return "@(" + ", ".join(ps_str(v) for v in value) + ")"


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        msg = f"not a data variable name: {name!r}"
        raise DataBlockError(msg)
    return name


@functools.lru_cache(maxsize=4096)
def render_item(item: Item) -> str:
    """The lines of one item (LF, each ending in a line break).

    Cached: most items (the site's databases, registry checks, timeouts of the
    plan) are the same in every server's block.
    """
    lines = [f"# {line}".rstrip() for line in item.comment.splitlines()]
    name = _check_name(item.name)
    value = item.value
    if isinstance(value, tuple) and (
        item.records or (value and isinstance(value[0], Row))
    ):
        lines.append(f"${name} = @(")
        for record in value:
            if not isinstance(record, Row):
                msg = f"${name}: a list of records holds a {type(record).__name__}"
                raise DataBlockError(msg)
            lines.append("    [pscustomobject]@{")
            lines += [
                f"        {_check_name(key)} = {_scalar(v)}" for key, v in record.fields
            ]
            lines.append("    }")
        lines.append(")")
    else:
        if isinstance(value, tuple) and any(not isinstance(v, str) for v in value):
            msg = f"${name}: a list holds something other than text"
            raise DataBlockError(msg)
        lines.append(f"${name} = {_scalar(value)}")  # type: ignore[arg-type]
    return "".join(line + "\n" for line in lines)


def count_lines(items: Iterable[Item]) -> int:
    """How many lines ``render_block`` writes for ``items``, without writing them:
    a text is one line whatever it says, so the count follows from the shapes."""
    total = 0
    for item in items:
        total += len(item.comment.splitlines())
        value = item.value
        if isinstance(value, tuple) and (
            item.records or (value and isinstance(value[0], Row))
        ):
            total += 2 + sum(2 + len(r.fields) for r in value if isinstance(r, Row))
        else:
            total += 1
    return total


def render_block(items: Iterable[Item]) -> str:
    """The data block's lines, without the marker lines (LF, final line break)."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item.name.upper() in seen:
            msg = f"${item.name} is assigned twice"
            raise DataBlockError(msg)
        seen.add(item.name.upper())
        out.append(render_item(item))
    return "".join(out)


# ------------------------------------------------------------------- reading

_ASSIGN = re.compile(r"\$([A-Za-z][A-Za-z0-9]*) = (.*)\Z")
_FIELD = re.compile(r" {8}([A-Za-z][A-Za-z0-9]*) = (.*)\Z")
_STRING = re.compile(
    r"'((?:[^'\u2018\u2019\u201a\u201b]|(['\u2018\u2019\u201a\u201b])\2)*)'"
)


def _unquote(text: str) -> str:
    match = _STRING.fullmatch(text)
    if match is None:
        msg = f"not a single-quoted literal: {text[:60]}"
        raise DataBlockError(msg)
    return re.sub(r"(['\u2018\u2019\u201a\u201b])\1", r"\1", match.group(1))


def _split_list(inner: str) -> tuple[str, ...]:
    if inner == "":
        return ()
    values = []
    rest = inner
    while True:
        match = _STRING.match(rest)
        if match is None:
            msg = f"not a list of literals: @({inner[:60]})"
            raise DataBlockError(msg)
        values.append(_unquote(match.group(0)))
        rest = rest[match.end() :]
        if rest == "":
            return tuple(values)
        if not rest.startswith(", "):
            msg = f"not a list of literals: @({inner[:60]})"
            raise DataBlockError(msg)
        rest = rest[2:]


def _parse_scalar(text: str) -> Field:
    if text in ("$true", "$false"):
        return text == "$true"
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if text.startswith("@(") and text.endswith(")"):
        return _split_list(text[2:-1])
    return _unquote(text)


def parse_block(text: str) -> tuple[tuple[str, Value], ...]:
    """The ``(name, value)`` pairs of a data block's lines (markers excluded).

    Raises:
        DataBlockError: a line that ``render_block`` does not write.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    found: list[tuple[str, Value]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.startswith("#") or line == "":
            continue
        match = _ASSIGN.match(line)
        if match is None:
            msg = f"line {index} of the data block is not an assignment: {line[:60]}"
            raise DataBlockError(msg)
        name, value = match.groups()
        if value != "@(":
            found.append((name, _parse_scalar(value)))
            continue
        rows: list[Row] = []
        while True:
            if index >= len(lines):
                msg = f"${name}: the list is not closed"
                raise DataBlockError(msg)
            line = lines[index]
            index += 1
            if line == ")":
                break
            if line != "    [pscustomobject]@{":
                msg = f"${name}: not a record: {line[:60]}"
                raise DataBlockError(msg)
            fields: list[tuple[str, Field]] = []
            while True:
                if index >= len(lines):
                    msg = f"${name}: a record is not closed"
                    raise DataBlockError(msg)
                line = lines[index]
                index += 1
                if line == "    }":
                    break
                field_match = _FIELD.match(line)
                if field_match is None:
                    msg = f"${name}: not a field: {line[:60]}"
                    raise DataBlockError(msg)
                fields.append((field_match[1], _parse_scalar(field_match[2])))
            rows.append(Row(tuple(fields)))
        found.append((name, tuple(rows)))
    return tuple(found)


def split_script(text: str) -> tuple[str, str, str]:
    """``(code before, data block, code after)`` of a script's LF text.

    The marker lines belong to the code; the block is what lies between them.

    Raises:
        DataBlockError: the script has not exactly one pair of markers.
    """
    begin = "\n" + DATA_BEGIN + "\n"
    end = "\n" + DATA_END + "\n"
    start = text.find(begin)
    if start < 0 or text.find(begin, start + 1) >= 0:
        msg = "the script has not exactly one data-begin line"
        raise DataBlockError(msg)
    head_end = start + len(begin)
    stop = text.find(end, head_end - 1)
    if stop < 0 or text.find(end, stop + 1) >= 0:
        msg = "the script has not exactly one data-end line after its data-begin line"
        raise DataBlockError(msg)
    return text[:head_end], text[head_end : stop + 1], text[stop + 1 :]


def unsigned_text(data: bytes) -> str:
    """A script file's LF text without BOM and signature block (as rendered).

    Raises:
        UnicodeDecodeError: the file is not UTF-8.
    """
    text = data.decode("utf-8-sig").replace("\r\n", "\n")
    signature = text.find("\n" + SIGNATURE_BEGIN + "\n")
    return text if signature < 0 else text[:signature]


def code_part(text: str) -> str:
    """A script's code: its LF text without the data block (markers kept)."""
    head, _, tail = split_script(text)
    return head + tail


def values_by_name(items: Sequence[Item]) -> dict[str, Value]:
    """Items as a name -> value mapping (for tests and review)."""
    return {item.name: item.value for item in items}
