"""A discovery file that is valid JSON of the right shape can still describe no
BizTalk group: two master MessageBoxes, a host listed twice, an instance of a
host that is not there, a collection date in the future. ``drgen import`` would
turn it into an inventory and ``drgen drift`` would compare against it, so each
such problem is a located error here (exit 3, like every invalid input file).

``read_discovery`` is what ``api`` reads a discovery with: the model's checks
(``load.load_discovery``), then these. Names compare case-insensitively,
as BizTalk and Windows compare them. Pure but for reading the file: the caller
passes ``now``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from generator.discovery.load import DiscoveryDocument, load_discovery
from generator.errors import Diagnostic, DiscoveryError
from generator.text import character_name, dotted, format_character, shown

# Clocks drift: a discovery this far after ``now`` is not believed.
CLOCK_TOLERANCE = timedelta(minutes=10)

Path_ = tuple[str | int, ...]


def _duplicates(
    doc: DiscoveryDocument, names: list[tuple[Path_, str]], code: str, what: str
) -> Iterator[Diagnostic]:
    first: dict[str, Path_] = {}
    for path, name in names:
        key = name.casefold()
        if key in first:
            yield Diagnostic(
                doc.locate(path),
                code,
                f"{what} '{shown(name)}' is listed twice (first at "
                f"{dotted(first[key])}; case does not count)",
                hint="a discovery lists each once: was the file edited or merged?",
            )
        else:
            first[key] = path


def _messageboxes(doc: DiscoveryDocument) -> Iterator[Diagnostic]:
    boxes = doc.discovery.group.messageboxes
    masters = [i for i, box in enumerate(boxes) if box.master]
    if len(masters) != 1:
        path: Path_ = ("group", "messageboxes")
        if len(masters) > 1:
            path = (*path, masters[1], "master")
        yield Diagnostic(
            doc.locate(path),
            "master-messagebox",
            f"a group has exactly one master MessageBox; this discovery marks "
            f"{len(masters)}",
        )
    yield from _duplicates(
        doc,
        [(("group", "messageboxes", i, "name"), b.name) for i, b in enumerate(boxes)],
        "duplicate-messagebox",
        "MessageBox",
    )


def _hosts_and_servers(doc: DiscoveryDocument) -> Iterator[Diagnostic]:
    found = doc.discovery
    yield from _duplicates(
        doc,
        [(("hosts", i, "name"), h.name) for i, h in enumerate(found.hosts)],
        "duplicate-host",
        "host",
    )
    yield from _duplicates(
        doc,
        [(("servers", i), s) for i, s in enumerate(found.servers)],
        "duplicate-server",
        "server",
    )
    hosts = {h.name.casefold() for h in found.hosts}
    seen: set[tuple[str, str]] = set()
    for i, instance in enumerate(found.host_instances):
        path: Path_ = ("host_instances", i, "host")
        if instance.host.casefold() not in hosts:
            yield Diagnostic(
                doc.locate(path),
                "unknown-host",
                f"host instance of '{shown(instance.host)}' on "
                f"'{shown(instance.server)}': no such host in hosts",
            )
        pair = (instance.host.casefold(), instance.server.casefold())
        if pair in seen:
            yield Diagnostic(
                doc.locate(path),
                "duplicate-instance",
                f"host '{shown(instance.host)}' has two instances on "
                f"'{shown(instance.server)}' (case does not count)",
                hint="BizTalk allows one instance of a host per server",
            )
        seen.add(pair)


def _dates(doc: DiscoveryDocument, now: datetime | None) -> Iterator[Diagnostic]:
    at = doc.discovery.collected.at
    if now is not None and at - now > CLOCK_TOLERANCE:
        yield Diagnostic(
            doc.locate(("collected", "at")),
            "future-date",
            f"collected.at is {at.isoformat()}, after now ({now.isoformat()})",
            hint="the clock of the server that ran the discovery is ahead, or the "
            "file was edited; run the discovery again",
        )


def _strings(value: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
    elif isinstance(value, str):
        yield path, value


def _format_characters(doc: DiscoveryDocument) -> Iterator[Diagnostic]:
    if doc.discovery.model_dump_json().isascii():
        return  # the usual case, found in C: no character to look at
    data = doc.discovery.model_dump(by_alias=True, mode="python")
    for path, text in _strings(data, ()):
        char = format_character(text)
        if char is not None:
            yield Diagnostic(
                doc.locate(path),
                "format-character",
                f"{dotted(path)}: contains the invisible format character "
                f"{character_name(char)}",
                hint="no BizTalk name has one; the file was edited",
            )


def consistency(doc: DiscoveryDocument, *, now: datetime | None) -> list[Diagnostic]:
    """Every way ``doc`` contradicts itself or the BizTalk group it describes."""
    found = [
        *_messageboxes(doc),
        *_hosts_and_servers(doc),
        *_dates(doc, now),
        *_format_characters(doc),
    ]
    return sorted(found, key=Diagnostic.sort_key)


def check_discovery(doc: DiscoveryDocument, *, now: datetime | None) -> None:
    """Raise ``DiscoveryError`` with every consistency problem of ``doc``."""
    problems = consistency(doc, now=now)
    if problems:
        raise DiscoveryError(f"{doc.file}: invalid discovery file", tuple(problems))


def read_discovery(path: Path, *, now: datetime | None = None) -> DiscoveryDocument:
    """Read, validate and check a discovery file (``now``: the caller's time; None
    skips the future-date check).

    Raises:
        DiscoveryError: located, one diagnostic per problem.
    """
    doc = load_discovery(path)
    check_discovery(doc, now=now)
    return doc


def check_group(
    doc: DiscoveryDocument, group_name: object, inventory_file: str
) -> None:
    """Refuse a discovery of another group than the inventory's (case-insensitive)."""
    found = doc.discovery.group.name
    if isinstance(group_name, str) and found.upper() == group_name.upper():
        return
    raise DiscoveryError(
        f"{doc.file}: another group's discovery",
        (
            Diagnostic(
                doc.locate(("group", "name")),
                "other-group",
                f"this discovery is of group '{shown(found)}', the inventory "
                f"{inventory_file} describes '{shown(group_name)}'",
                hint="discover the group the inventory describes, or pass the "
                "inventory of this group",
            ),
        ),
    )


__all__ = ["check_discovery", "check_group", "consistency", "read_discovery"]
