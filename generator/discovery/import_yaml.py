"""The ruamel.yaml side of ``drgen import``: the round-trip settings, the flow
style of the examples, and the REVIEW comments on what production does that DR
does otherwise (a clustered host, a disabled host instance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.discovery.import_parts import DROP
from generator.discovery.model import Discovery
from generator.discovery.production import clustered_hosts


def round_trip_yaml() -> Any:
    """ruamel.yaml set up to load and dump an inventory as the examples are laid out
    (quotes kept, no line wrapped)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def flow(value: Any) -> Any:
    """Block mappings with short lists and databases in flow style, as the examples."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = flow(v)
        if set(value) <= {"server", "name", "master", "backup_name"}:
            out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        seq = CommentedSeq(flow(v) for v in value)
        if all(isinstance(v, str) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


def clean(value: Any) -> Any:
    """Plain data for a new file: DROP keys and false flags (the default) left out."""
    if isinstance(value, dict):
        return {
            k: clean(v)
            for k, v in value.items()
            if v is not DROP and not (v is False and k in {"master", "trusted", "gmsa"})
        }
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class ReviewNotes:
    """REVIEW comments import adds: what production does that DR does otherwise."""

    hosts: dict[str, str]  # upper-case host name -> comment
    servers: dict[str, str]  # upper-case production server name -> comment


def review_notes(discovery: Discovery) -> ReviewNotes:
    """A note on each clustered host and each server with a disabled instance."""
    spelled = {h.name.upper(): h.name for h in discovery.hosts}
    hosts = {}
    for key, nodes in clustered_hosts(discovery).items():
        hosts[key] = (
            "REVIEW: clustered in production (runs on one node at a time"
            + (f", nodes {', '.join(nodes)}" if nodes else "")
            + "); DR starts it on every DR server that runs it, so adapters "
            "clustered to run once (FTP, SFTP, MSMQ, POP3, ordered delivery) would "
            "poll on each: keep it on one DR server (dr.servers[].host_instances)"
        )
    disabled: dict[str, list[str]] = {}
    for instance in discovery.host_instances:
        if instance.disabled and not instance.virtual:
            names = disabled.setdefault(instance.server.upper(), [])
            host = spelled.get(instance.host.upper(), instance.host)
            if host.upper() not in {n.upper() for n in names}:
                names.append(host)
    servers = {
        key: "REVIEW: "
        + ", ".join(names)
        + (" is" if len(names) == 1 else " are")
        + " disabled in production (IsDisabled); DR enables every instance it runs "
        "at failover"
        for key, names in disabled.items()
    }
    return ReviewNotes(hosts, servers)


def _note(items: Any, index: int, text: str) -> None:
    """``text`` as an end-of-line comment of ``items[index]``, unless it has one.

    A block mapping takes it on its ``name`` line; a flow mapping after its
    closing brace (ruamel would break a key's comment inside the braces). An
    existing comment (a reviewer's, or this note from an earlier import) is kept.
    """
    item = items[index]
    if item.fa.flow_style():
        if index not in items.ca.items:
            items.yaml_add_eol_comment(text, index)
    elif "name" not in item.ca.items:
        item.yaml_add_eol_comment(text, "name")


def add_review_notes(group: Any, production: Any, discovery: Discovery) -> None:
    """The REVIEW comments of ``review_notes`` on ruamel ``group``/``production``."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    notes = review_notes(discovery)
    for items, by_name in (
        (group.get("hosts"), notes.hosts),
        (production.get("servers"), notes.servers),
    ):
        if not isinstance(items, CommentedSeq):
            continue
        for index, item in enumerate(items):
            if isinstance(item, CommentedMap):
                text = by_name.get(str(item.get("name", "")).upper())
                if text is not None:
                    _note(items, index, text)
