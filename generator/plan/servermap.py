"""The SVG map of Runbook.html: production servers, the DR servers that take them
over, and an arrow from each to its stand-in, every coordinate decided here so that
the template only prints. Laid out in inventory order, so two renders give the
same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.plan.servers import ServerPlan
    from generator.plan.siteplan import SitePlan


@dataclass(frozen=True, slots=True)
class MapText:
    """One line of text in the SVG map, at its baseline."""

    x: int
    y: int
    text: str
    css: str


@dataclass(frozen=True, slots=True)
class MapBox:
    """A server in the SVG map: its rectangle and its lines of text."""

    x: int
    y: int
    width: int
    height: int
    css: str
    texts: tuple[MapText, ...]


@dataclass(frozen=True, slots=True)
class ServerMap:
    """The SVG map of production servers and the DR servers that take them over."""

    width: int
    height: int
    title: str
    description: str
    headings: tuple[MapText, ...]
    boxes: tuple[MapBox, ...]
    # SVG path data ("M x y C ..."), one per production server a DR server mirrors.
    arrows: tuple[str, ...]


def joined(values: tuple[str, ...]) -> str:
    return ", ".join(values) or "-"


def _list(values: tuple[str, ...]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(values) < 2:
        return "".join(values)
    return ", ".join(values[:-1]) + " and " + values[-1]


# Text is drawn in a monospace font, so a line's width follows from its length
# without measuring it: about 0.6 em per character.
_CHAR_EM = 0.6
_NAME_SIZE = 13
_LINE_SIZE = 11
_PAD = 8
_NAME_LINE = 18
_LINE = 15
_BOX_GAP = 14
_COLUMN_GAP = 120
_MARGIN = 12
_HEADING = 30
_MIN_WIDTH = 150


def _text_width(text: str, size: int) -> int:
    return math.ceil(len(text) * size * _CHAR_EM)


@dataclass(frozen=True, slots=True)
class _Card:
    """A box before it is placed: its name, its lines and its style."""

    name: str
    lines: tuple[str, ...]
    css: str

    @property
    def width(self) -> int:
        widest = max(
            [_text_width(self.name, _NAME_SIZE)]
            + [_text_width(line, _LINE_SIZE) for line in self.lines]
        )
        return widest + 2 * _PAD

    @property
    def height(self) -> int:
        return 2 * _PAD + _NAME_LINE + _LINE * len(self.lines)

    def place(self, x: int, y: int, width: int) -> MapBox:
        texts = [MapText(x + _PAD, y + _PAD + _NAME_SIZE, self.name, "name")]
        base = y + _PAD + _NAME_LINE
        texts += [
            MapText(x + _PAD, base + _LINE * i + _LINE_SIZE, line, "line")
            for i, line in enumerate(self.lines)
        ]
        return MapBox(x, y, width, self.height, self.css, tuple(texts))


def _dr_card(server: ServerPlan) -> _Card:
    lines = [f"roles: {joined(server.roles)}"]
    lines += [
        f"{'host' if h.in_process else 'isolated host'}: {h.host}"
        for h in server.host_instances
    ]
    lines += [f"IIS app pool: {pool}" for pool in server.app_pools]
    return _Card(server.name, tuple(lines), "dr")


def _production_card(name: str, dr: ServerPlan | None) -> _Card:
    if dr is None:
        return _Card(name, ("no DR counterpart (not mirrored)",), "unmirrored")
    hosts = tuple(
        f"host: {h.host}"
        for h in dr.host_instances
        if name.upper() in (r.upper() for r in h.replaces)
    )
    return _Card(name, hosts, "production")


def _arrow(x1: int, y1: int, x2: int, y2: int) -> str:
    middle = (x1 + x2) // 2
    return f"M {x1} {y1} C {middle} {y1} {middle} {y2} {x2} {y2}"


def _map_description(site: SitePlan, unmirrored: tuple[str, ...]) -> str:
    parts = []
    for server in site.servers:
        roles = f" ({', '.join(server.roles)})" if server.roles else ""
        hosts = ", ".join(server.host_names) or "none"
        parts.append(
            f"DR server {server.name}{roles} takes over "
            f"{_list(server.mirrors) or 'no production server'}"
            f" and runs the host instances {hosts}."
        )
    parts += [f"Production server {name} has no DR counterpart." for name in unmirrored]
    return " ".join(parts)


def server_map(site: SitePlan) -> ServerMap:
    """Production servers on the left, each DR server on the right, level with the
    production servers it mirrors, one arrow from each to the server taking it over.

    Groups are laid top to bottom in the DR servers' inventory order, so arrows
    never cross; production servers no DR server mirrors come last, dashed.
    """
    production = {name.upper(): name for name in site.production_servers}
    order = {name.upper(): i for i, name in enumerate(site.production_servers)}
    groups: list[tuple[ServerPlan, list[_Card]]] = []
    mirrored: set[str] = set()
    for server in site.servers:
        names = sorted(
            (production.get(m.upper(), m) for m in server.mirrors),
            key=lambda m: order.get(m.upper(), len(order)),
        )
        mirrored.update(m.upper() for m in names)
        groups.append((server, [_production_card(m, server) for m in names]))
    unmirrored = tuple(n for n in site.production_servers if n.upper() not in mirrored)
    loose = [_production_card(name, None) for name in unmirrored]
    left_cards = [c for _, cards in groups for c in cards] + loose
    right_cards = [_dr_card(server) for server, _ in groups]
    left_width = max([_MIN_WIDTH] + [c.width for c in left_cards])
    right_width = max([_MIN_WIDTH] + [c.width for c in right_cards])
    left_x = _MARGIN
    right_x = left_x + left_width + _COLUMN_GAP
    boxes: list[MapBox] = []
    arrows: list[str] = []
    top = _MARGIN + _HEADING
    for (_server, cards), dr_card in zip(groups, right_cards, strict=True):
        dr_box = dr_card.place(right_x, top, right_width)
        y = top
        placed = []
        for card in cards:
            placed.append(card.place(left_x, y, left_width))
            y += card.height + _BOX_GAP
        for i, box in enumerate(placed):
            # Arrow ends spread along the DR box's left edge, in mirror order.
            end_y = dr_box.y + dr_box.height * (i + 1) // (len(placed) + 1)
            arrows.append(
                _arrow(box.x + box.width, box.y + box.height // 2, right_x, end_y)
            )
        boxes += [*placed, dr_box]
        top = max(y, dr_box.y + dr_box.height + _BOX_GAP)
    for card in loose:
        boxes.append(card.place(left_x, top, left_width))
        top += card.height + _BOX_GAP
    headings = (
        MapText(left_x, _MARGIN + _NAME_SIZE, "Production", "heading"),
        MapText(right_x, _MARGIN + _NAME_SIZE, f"DR site {site.site}", "heading"),
    )
    return ServerMap(
        width=right_x + right_width + _MARGIN,
        height=top - _BOX_GAP + _MARGIN,
        title=f"Production servers and the DR servers of site {site.site}",
        description=_map_description(site, unmirrored),
        headings=headings,
        boxes=tuple(boxes),
        arrows=tuple(arrows),
    )
