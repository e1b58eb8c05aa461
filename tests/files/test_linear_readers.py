"""Readers take time linear in their input: the work is counted, not timed.

``Counted`` is a ``str`` that adds up how many characters the Python code of a
reader slices, searches or indexes. Reading a discovery used to slice the text
from its start for every key (``text[:offset].count("\\n")``): 3,000 host
instances took 12 s, a 24 MB file minutes. With the line index built once the
count grows like the text, so four times the hosts is about four times the
work, never sixteen. (The figures in seconds are bench/bench.py's, recorded in
docs/performance.md.)
"""

from __future__ import annotations

import random
from typing import Any, SupportsIndex

import pytest

from bench.synthetic import synthetic_discovery
from generator.discovery.load import parse_discovery_text
from generator.files.jsonfile import LineIndex, nesting_offset


class Counted(str):
    """A text that counts the characters its methods are asked to go through."""

    work = 0

    def __getitem__(self, key: Any) -> str:
        part = super().__getitem__(key)
        Counted.work += len(part) if isinstance(key, slice) else 1
        return part

    def _span(self, start: SupportsIndex | None, end: SupportsIndex | None) -> int:
        first = 0 if start is None else int(start)
        last = len(self) if end is None else int(end)
        return max(0, min(last, len(self)) - max(first, 0))

    def count(self, sub: str, start: Any = None, end: Any = None) -> int:
        Counted.work += self._span(start, end)
        return super().count(sub, start, end)

    def find(self, sub: str, start: Any = None, end: Any = None) -> int:
        found = super().find(sub, start, end)
        first = 0 if start is None else int(start)
        Counted.work += (found + len(sub) if found >= 0 else len(self)) - first
        return found

    def rfind(self, sub: str, start: Any = None, end: Any = None) -> int:
        Counted.work += self._span(start, end)
        return super().rfind(sub, start, end)


def work_to_read(hosts: int) -> int:
    text = Counted(synthetic_discovery(hosts, servers=10))
    Counted.work = 0
    doc = parse_discovery_text(text, "d.json")
    assert len(doc.discovery.hosts) == hosts
    return Counted.work


def test_reading_a_discovery_is_linear_in_its_size() -> None:
    small, large = work_to_read(300), work_to_read(1200)
    size_ratio = len(synthetic_discovery(1200, 10)) / len(synthetic_discovery(300, 10))
    assert 3.5 < size_ratio < 4.5
    # Linear: the work grows like the text (about 4 x); quadratic: about 16 x.
    assert large / small < size_ratio * 1.25, (small, large)
    # And it is a small multiple of the text, not of its square.
    assert large < 4 * len(synthetic_discovery(1200, 10))


def test_the_line_index_agrees_with_counting_newlines() -> None:
    rng = random.Random(20)
    text = "".join(rng.choice("ab\n\r{") for _ in range(5000))
    index = LineIndex(text)
    for offset in [0, 1, len(text) - 1, *rng.sample(range(len(text)), 300)]:
        before = text[:offset]
        expected = before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1
        assert index.position(offset) == expected, offset


@pytest.mark.parametrize("depth", [65, 100, 5000])
def test_nesting_is_found_in_one_pass(depth: int) -> None:
    text = '{"a": "[[[", "b": ' + "[" * depth + "]" * depth + "}"
    # The brackets inside the string do not count; the 64th list is level 65.
    assert nesting_offset(text) == text.index("[[[[") + 63
    assert nesting_offset('{"a": [[1]]}') is None
