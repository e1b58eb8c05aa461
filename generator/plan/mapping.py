"""Where production's host instances go at DR, and the load each DR server takes.

These are decisions of the plan, used by the rules (capacity warning, coverage)
and shown by ``drgen plan``; computed here once, from the inventory alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.inventory.model import Inventory


def dr_host_instances(inv: Inventory) -> dict[str, tuple[str, ...]]:
    """DR server -> host names it runs: its own list, else the union of its mirrors."""
    by_prod = {s.name.upper(): s.host_instances for s in inv.production.servers}
    result: dict[str, tuple[str, ...]] = {}
    for server in inv.dr.servers:
        if server.host_instances is not None:
            result[server.name] = tuple(server.host_instances)
            continue
        names: list[str] = []
        seen: set[str] = set()
        for prod in server.mirrors:
            for host in by_prod.get(prod.upper(), ()):
                # Host names are case-insensitive in BizTalk: Send and SEND are one.
                if host.upper() not in seen:
                    seen.add(host.upper())
                    names.append(host)
        result[server.name] = tuple(names)
    return result


@dataclass(frozen=True, slots=True)
class CapacityRow:
    """The load one DR server takes over at failover."""

    index: int
    server: str
    mirrors: tuple[str, ...]
    load: int  # host instances of the production servers it takes over (or its own)
    runs: int  # host instances it runs itself
    ratio: float | None  # load / busiest production server; None when that is 0
    over: bool


@dataclass(frozen=True, slots=True)
class Capacity:
    """Per DR server load against the busiest production server."""

    busiest_server: str
    busiest_load: int
    warning_ratio: float
    rows: tuple[CapacityRow, ...]
    dr_servers: int
    production_servers: int


def capacity(
    inv: Inventory, instances: dict[str, tuple[str, ...]] | None = None
) -> Capacity:
    """The capacity table: what each DR server takes over, and how that compares."""
    by_prod = {s.name.upper(): len(s.host_instances) for s in inv.production.servers}
    busiest = max(inv.production.servers, key=lambda s: len(s.host_instances))
    peak = len(busiest.host_instances)
    limit = inv.dr.capacity_warning_ratio
    instances = instances if instances is not None else dr_host_instances(inv)
    rows = []
    for index, server in enumerate(inv.dr.servers):
        taken = sum(by_prod.get(m.upper(), 0) for m in dict.fromkeys(server.mirrors))
        runs = len(instances.get(server.name, ()))
        load = max(taken, runs)
        ratio = load / peak if peak else None
        rows.append(
            CapacityRow(
                index,
                server.name,
                server.mirrors,
                load,
                runs,
                ratio,
                ratio is not None and ratio > limit,
            )
        )
    return Capacity(
        busiest.name,
        peak,
        limit,
        tuple(rows),
        len(inv.dr.servers),
        len(inv.production.servers),
    )


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One host instance: where it runs in production and who takes it over."""

    host: str
    host_type: str
    production: str | None  # None: the instance exists only on the DR site
    dr: str | None  # None: nobody takes it over (see note)
    note: str | None


def host_mapping(
    inv: Inventory, instances: dict[str, tuple[str, ...]] | None = None
) -> tuple[MappingRow, ...]:
    """Production -> DR for every host instance, in inventory order."""
    runs = instances if instances is not None else dr_host_instances(inv)
    upper = {name: {h.upper() for h in hosts} for name, hosts in runs.items()}
    mirror_of: dict[str, str] = {}
    for server in inv.dr.servers:
        for prod in server.mirrors:
            mirror_of.setdefault(prod.upper(), server.name)
    reasons = {e.server.upper(): e.reason for e in inv.dr.not_mirrored}
    types = {h.name.upper(): h.type for h in inv.group.hosts}
    rows: list[MappingRow] = []
    carried: set[tuple[str, str]] = set()
    for prod_server in inv.production.servers:
        for host in prod_server.host_instances:
            kind = types.get(host.upper(), "?")
            dr = mirror_of.get(prod_server.name.upper())
            if dr is None:
                reason = reasons.get(prod_server.name.upper(), "no DR server")
                row = MappingRow(host, kind, prod_server.name, None, reason)
            elif host.upper() in upper.get(dr, set()):
                row = MappingRow(host, kind, prod_server.name, dr, None)
                carried.add((dr, host.upper()))
            else:
                row = MappingRow(
                    host, kind, prod_server.name, None, f"{dr} does not run {host}"
                )
            rows.append(row)
    for name, hosts in runs.items():
        rows.extend(
            MappingRow(host, types.get(host.upper(), "?"), None, name, "added on DR")
            for host in hosts
            if (name, host.upper()) not in carried
        )
    return tuple(rows)
