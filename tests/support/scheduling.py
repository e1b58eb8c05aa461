"""The order pytest-xdist hands tests out in."""

from __future__ import annotations

from typing import Protocol, TypeVar


class Marked(Protocol):
    def get_closest_marker(self, name: str) -> object | None: ...


M = TypeVar("M", bound=Marked)


def slow_first(items: list[M]) -> None:
    """Put the tests marked ``slow`` first, each group in its own order: xdist
    hands tests out in this order, so a long one never starts last and keeps one
    worker busy after the others are done."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
