"""A small DER writer and a strict DER reader (single-byte tags only).

The writer builds signatures without a general ASN.1 library, so signing costs
little more than the private-key operation; the reader accepts only the strict
DER the verifier expects and says where it is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The tags used here (all single-byte).
INTEGER, OCTETS, NULL, OID = 0x02, 0x04, 0x05, 0x06
SEQUENCE, SET = 0x30, 0x31
CTX0, CTX1 = 0xA0, 0xA1


# ------------------------------------------------------------------- writer


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes((size,))
    body = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, *parts: bytes) -> bytes:
    """The element with ``tag`` whose content is ``parts`` joined."""
    content = b"".join(parts)
    return bytes((tag,)) + _length(len(content)) + content


def seq(*parts: bytes) -> bytes:
    """A SEQUENCE of the encoded ``parts``."""
    return tlv(SEQUENCE, *parts)


def set_of(items: Iterable[bytes]) -> bytes:
    """A SET OF the encoded ``items``, in DER order."""
    return tlv(SET, *der_sorted(items))


def der_sorted(items: Iterable[bytes]) -> list[bytes]:
    """Encodings in SET OF order.

    DER sorts SET OF by encoding, the shorter padded with zero octets (X.690
    11.6); osslsigncode does not notice an unsorted set, Windows may.
    """
    members = list(items)
    width = max((len(m) for m in members), default=0)
    return sorted(members, key=lambda m: m.ljust(width, b"\0"))


def retag(tag: int, encoded: bytes) -> bytes:
    """``encoded`` with its (single-byte) tag replaced by ``tag``."""
    return bytes((tag,)) + encoded[1:]


def oid(dotted: str) -> bytes:
    """An OBJECT IDENTIFIER from its dotted form."""
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return tlv(OID, bytes(body))


def integer(value: int) -> bytes:
    """An INTEGER in its minimal two's-complement form."""
    return tlv(INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def octets(value: bytes) -> bytes:
    """An OCTET STRING."""
    return tlv(OCTETS, value)


# ------------------------------------------------------------------- reader


class DerError(ValueError):
    """The data is not the strict DER expected; the text says where."""


@dataclass(frozen=True, slots=True)
class Node:
    """One DER element: its tag, full encoding and where its content starts."""

    tag: int
    encoded: bytes
    header: int

    @property
    def content(self) -> bytes:
        """The element's content octets."""
        return self.encoded[self.header :]

    def children(self) -> list[Node]:
        """The elements inside a constructed element."""
        if not self.tag & 0x20:
            raise DerError(f"element 0x{self.tag:02x} is not constructed")
        return parse_all(self.content)


def _parse_at(data: bytes, pos: int) -> tuple[Node, int]:
    if pos + 2 > len(data):
        raise DerError("truncated element")
    tag, first = data[pos], data[pos + 1]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not expected")
    header = 2
    if first < 0x80:
        size = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise DerError("indefinite or oversized length (not DER)")
        raw = data[pos + 2 : pos + 2 + count]
        size = int.from_bytes(raw, "big")
        if len(raw) != count or raw[0] == 0 or size < 0x80:
            raise DerError("length not in minimal DER form")
        header += count
    end = pos + header + size
    if end > len(data):
        raise DerError("element runs past its container")
    return Node(tag, data[pos:end], header), end


def parse_all(data: bytes) -> list[Node]:
    """The consecutive elements that make up ``data``."""
    nodes, pos = [], 0
    while pos < len(data):
        node, pos = _parse_at(data, pos)
        nodes.append(node)
    return nodes


def parse_single(data: bytes) -> Node:
    """The one element that is the whole of ``data``."""
    node, end = _parse_at(data, 0)
    if end != len(data):
        raise DerError("data after the end of the structure")
    return node


def expect(node: Node, tag: int, what: str) -> Node:
    """``node``, which must have ``tag``."""
    if node.tag != tag:
        raise DerError(f"{what}: expected tag 0x{tag:02x}, found 0x{node.tag:02x}")
    return node


def fields(
    node: Node, what: str, count: int | None = None, *, minimum: int = 0
) -> list[Node]:
    """The fields of a SEQUENCE: exactly ``count``, or at least ``minimum``."""
    expect(node, SEQUENCE, what)
    children = node.children()
    if count is not None and len(children) != count:
        raise DerError(f"{what}: {len(children)} fields, expected {count}")
    if len(children) < minimum:
        raise DerError(f"{what}: too few fields")
    return children


def explicit(node: Node, tag: int, what: str) -> Node:
    """The one element inside an EXPLICIT ``tag``."""
    inner = expect(node, tag, what).children()
    if len(inner) != 1:
        raise DerError(f"{what}: expected exactly one element")
    return inner[0]


def oid_text(node: Node) -> str:
    """The dotted form of an OBJECT IDENTIFIER."""
    content = expect(node, OID, "object identifier").content
    arcs, value = [], 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs or content[-1] & 0x80:
        raise DerError("malformed object identifier")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])


def small_int(node: Node) -> int:
    """The value of an INTEGER."""
    return int.from_bytes(expect(node, INTEGER, "integer").content, "big", signed=True)
