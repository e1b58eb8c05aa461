"""``drgen import``: a discovery file turned into inventory YAML.

Without an existing inventory it prints a new one (this module): ``group`` and
``production`` from the discovery (``import_parts``), a ``dr`` section scaffolded
for review (one DR server per production server, a DR SQL instance per
production instance) whose values start with ``REPLACE-ME-``, which ``drgen
validate`` refuses until each is replaced. With an existing inventory it changes
``group`` and ``production`` in place and shows the change as a unified diff
(``import_merge``); ``--write`` replaces the file atomically.

Why ruamel.yaml: it is the one maintained Python YAML library that round-trips a
document (comments, key order, flow or block style, quoting, indentation), so
merging the discovery into a reviewed inventory changes only the values that
changed; PyYAML drops comments on load. Both example inventories load and dump
byte for byte unchanged with the settings of ``import_yaml.round_trip_yaml()``
(a test checks it).

What discovery cannot see is kept from the inventory (or, in a new inventory,
left as a placeholder): the IIS application pools of isolated hosts, the label
of a custom database, and any value the discovery reports as null because it
could not read it (see docs/discovery.md).
"""

from __future__ import annotations

import io
from typing import Any

from generator.discovery.import_merge import Merged, merge_into
from generator.discovery.import_parts import host_placeholders, inventory_parts
from generator.discovery.import_yaml import (
    add_review_notes,
    clean,
    flow,
    round_trip_yaml,
)
from generator.discovery.load import DiscoveryDocument
from generator.inventory.prescan import PLACEHOLDER

MODELINE = "yaml-language-server: $schema=../schema/drgen-v1.schema.json"


def _placeholders(group: dict[str, Any]) -> None:
    """Fill what a new inventory needs but discovery could not read."""
    accounts = group["accounts"]
    accounts.setdefault("sso_service", PLACEHOLDER + "DOMAIN\\svc-entsso")
    if "sso" not in group:  # not readable: a placeholder, in its usual place
        keys = list(group)
        after = keys[keys.index("databases") + 1 :]
        tail = {k: group.pop(k) for k in after}
        group["sso"] = {"master_secret_server": PLACEHOLDER + "BTS"}
        group.update(tail)
    host_placeholders(group["hosts"])


def _dr_scaffold(group: dict[str, Any], production: dict[str, Any]) -> dict[str, Any]:
    """One DR server per production server; roles on the likely candidates."""
    servers = production["servers"]
    names = [s["name"] for s in servers]
    dbs = group["databases"]
    sql: list[str] = []
    for db in [
        dbs["management"],
        dbs["sso"],
        *dbs["messageboxes"],
        dbs["tracking"],
        dbs.get("rule_engine"),
        *(dbs.get("bam") or {}).values(),
        *(dbs.get("other") or []),
    ]:
        if isinstance(db, dict) and db["server"].upper() not in {
            s.upper() for s in sql
        }:
            sql.append(db["server"])
    isolated = {h["name"].upper() for h in group["hosts"] if h["type"] == "isolated"}
    secret = group["sso"]["master_secret_server"].upper()
    master_index = next((i for i, n in enumerate(names) if n.upper() == secret), 0)
    dr_servers = []
    for index, server in enumerate(servers):
        roles = []
        if index == master_index:
            roles.append("sso_master_secret")
        if index == 0:
            roles.append("update_databases")
            if dbs.get("rule_engine") and group["accounts"].get("rule_engine_service"):
                roles.append("rules_engine")
            if "alerts_application" in (dbs.get("bam") or {}):
                roles.append("bam_alerts")
        if any(h.upper() in isolated for h in server["host_instances"]):
            roles.append("iis")
        entry: dict[str, Any] = {
            "name": f"{PLACEHOLDER}DR{index + 1}",
            "mirrors": [server["name"]],
        }
        if roles:
            entry["roles"] = roles
        dr_servers.append(entry)
    return {
        "site": PLACEHOLDER + "DR",
        "join_mode": "production",
        "sql": {s: f"{PLACEHOLDER}DRSQL{i + 1}" for i, s in enumerate(sql)},
        "servers": dr_servers,
    }


_HEADER = """\
{modeline}
Imported by drgen import from a discovery collected {at} on {computer}.
REVIEW before use: group and production come from production as discovered; the
dr section is a scaffold. Replace every {placeholder}... value (drgen validate
refuses the file until each is replaced) and review the roles, the DR servers and
the SQL mapping."""

_DR_COMMENT = """\
REVIEW: one DR server per production server (fold several onto one with
mirrors: [a, b], or list a server under not_mirrored with a reason); sql maps each
production SQL instance to its DR instance."""


def new_inventory_text(doc: DiscoveryDocument) -> str:
    """A new inventory from a discovery: group and production filled, dr scaffolded."""
    group, production = inventory_parts(doc)
    group = clean(group)
    production = clean(production)
    _placeholders(group)
    dr = _dr_scaffold(group, production)
    from ruamel.yaml.comments import CommentedMap

    root = CommentedMap()
    root["schema"] = "drgen/v1"
    root["group"] = flow(group)
    root["production"] = flow(production)
    root["dr"] = flow(dr)
    collected = doc.discovery.collected
    root.yaml_set_start_comment(
        _HEADER.format(
            modeline=MODELINE,
            at=collected.at.isoformat().replace("+00:00", "Z"),
            computer=collected.computer,
            placeholder=PLACEHOLDER,
        )
    )
    root.yaml_set_comment_before_after_key("dr", before=_DR_COMMENT)
    add_review_notes(root["group"], root["production"], doc.discovery)
    for index, host in enumerate(group["hosts"]):
        if str(host.get("account", "")).startswith(PLACEHOLDER):
            root["group"]["hosts"][index].yaml_add_eol_comment(
                "REVIEW: no instance in production, logon unknown", "account"
            )
        if host["type"] == "isolated":
            root["group"]["hosts"][index].yaml_add_eol_comment(
                "REVIEW: the IIS application pools of its receive locations",
                "app_pools",
            )
    stream = io.StringIO()
    round_trip_yaml().dump(root, stream)
    return stream.getvalue()


__all__ = ["MODELINE", "Merged", "merge_into", "new_inventory_text"]
