"""Drift of the hosts, the production servers and their host instances, and
what DR does with them: a clustered host that several DR servers would run, an
instance production keeps disabled that DR would enable at failover.
"""

from __future__ import annotations

from generator.discovery.drift_findings import WARNING, Finder, upper
from generator.discovery.production import (
    clustered_hosts,
    host_accounts,
    production_servers,
)
from generator.inventory.load import Path_
from generator.plan.mapping import dr_host_instances


def _same_group(production: str, inventory: str) -> bool:
    """Windows groups compare without the domain when one side does not give it
    ('BizTalk Application Users' and 'CONTOSO\\BizTalk Application Users': the
    inventory's group is a label, and WMI's NTGroupName is as it was configured)."""
    if ("\\" in production) == ("\\" in inventory):
        return upper(production) == upper(inventory)
    return upper(production.rpartition("\\")[2]) == upper(inventory.rpartition("\\")[2])


def compare_hosts(f: Finder) -> tuple[set[str], set[str]]:
    """Host findings; returns the upper-case names of added and removed hosts."""
    inventory = {upper(h.name): (i, h) for i, h in enumerate(f.inv.group.hosts)}
    found = {upper(h.name): h for h in f.disc.discovery.hosts}
    logons = host_accounts(f.disc.discovery)
    servers_of: dict[str, list[str]] = {}
    for instance in f.disc.discovery.host_instances:
        if not instance.virtual:  # the cluster's network name: not a server
            servers_of.setdefault(upper(instance.host), []).append(instance.server)
    added = set(found) - set(inventory)
    order = {key: index for index, key in enumerate(found)}  # discovery order
    for key in sorted(added, key=order.__getitem__):
        new = found[key]
        servers = servers_of.get(key, [])
        if servers:
            f.add(
                "DRIFT001",
                ("group", "hosts"),
                f"host `{new.name}` has instances in production "
                f"({', '.join(servers)}) and none at DR: its work stops after failover",
            )
        else:
            f.add(
                "DRIFT001",
                ("group", "hosts"),
                f"host `{new.name}` is in production (without instances) but not "
                "in the inventory",
                breaks="nothing runs it today; once it has instances, DR lacks them",
                severity=WARNING,
            )
    removed = set(inventory) - set(found)
    for key in removed:
        index, host = inventory[key]
        f.add(
            "DRIFT002",
            ("group", "hosts", index, "name"),
            f"host `{host.name}` is in the inventory but no longer in production",
        )
    for key in set(found) & set(inventory):
        index, host = inventory[key]
        seen = found[key]
        path: Path_ = ("group", "hosts", index)
        kind = "in-process" if seen.host_type == 1 else "isolated"
        if kind != host.type:
            f.add(
                "DRIFT003",
                (*path, "type"),
                f"host `{host.name}` is {kind} in production, {host.type} in the "
                "inventory",
            )
        regrouped = seen.windows_group is not None and not _same_group(
            seen.windows_group, host.windows_group
        )
        if regrouped or seen.trusted != host.trusted:
            which = (
                f"Windows group {seen.windows_group}"
                if regrouped
                else f"trusted: {str(seen.trusted).lower()}"
            )
            f.add(
                "DRIFT005",
                (*path, "windows_group" if "group" in which else "trusted"),
                f"host `{host.name}` has {which} in production",
            )
        logon = logons.get(key)
        if logon is None or logon.account is None:
            continue
        if upper(logon.account) != upper(host.account) or logon.gmsa != host.is_gmsa:
            f.add(
                "DRIFT004",
                (*path, "account"),
                f"host `{host.name}` instances log on as {logon.account}"
                + (" (a gMSA)" if logon.gmsa else "")
                + f" in production, the inventory has {host.account}"
                + (" (a gMSA)" if host.is_gmsa else ""),
            )
        if logon.others:
            f.add(
                "DRIFT006",
                (*path, "account"),
                f"instances of host `{host.name}` log on as {logon.account} and "
                f"{', '.join(logon.others)}",
            )
    return added, removed


def compare_servers(f: Finder, added_hosts: set[str], removed_hosts: set[str]) -> None:
    inventory = {upper(s.name): (i, s) for i, s in enumerate(f.inv.production.servers)}
    found = production_servers(f.disc.discovery)
    dr_runs = {
        k.upper(): {h.upper() for h in v} for k, v in dr_host_instances(f.inv).items()
    }
    at_dr = set().union(*dr_runs.values()) if dr_runs else set()
    spelled = {upper(h.name): h.name for h in f.inv.group.hosts}

    def mirrors(server: str) -> list[str]:
        return [
            d.name for d in f.inv.dr.servers if server in {upper(m) for m in d.mirrors}
        ]

    for key, (name, instances) in found.items():
        if key in inventory:
            continue
        # Hosts new to the inventory are DRIFT001's; here the known ones DR lacks.
        lost = [
            spelled.get(upper(h), h)
            for h in instances
            if upper(h) not in at_dr and upper(h) not in added_hosts
        ]
        f.add(
            "DRIFT010",
            ("production", "servers"),
            f"production server {name} runs "
            + (", ".join(instances) if instances else "no host instance")
            + " and is not in the inventory",
            breaks=(
                f"no DR server takes it over; host `{lost[0]}` has instances in "
                "production and none at DR: its work stops after failover"
                if lost
                else None
            ),
            severity=None if instances else WARNING,
        )
    for key, (index, server) in inventory.items():
        path: Path_ = ("production", "servers", index)
        if key not in found:
            f.add(
                "DRIFT011",
                (*path, "name"),
                f"production server {server.name} is in the inventory but no longer "
                "in the group",
            )
            continue
        have = {upper(h) for h in server.host_instances}
        now = found[key][1]
        where = (*path, "host_instances") if server.host_instances else (*path, "name")
        for host in now:
            if upper(host) in have or upper(host) in added_hosts:
                continue
            takers = mirrors(key)
            name = spelled.get(upper(host), host)
            if upper(host) not in at_dr:
                breaks = (
                    f"host `{name}` has instances in production and none at DR: "
                    "its work stops after failover"
                )
            elif takers and not any(upper(host) in dr_runs[upper(t)] for t in takers):
                breaks = (
                    f"{', '.join(takers)}, which takes over {server.name}, does not "
                    f"run `{name}`: less capacity for it after failover"
                )
            else:
                breaks = None
            f.add(
                "DRIFT012",
                where,
                f"production server {server.name} now runs an instance of host "
                f"`{name}`; the inventory does not list it",
                breaks=breaks or "the inventory's production list is out of date",
                severity=None if breaks else WARNING,
            )
        current = {upper(h) for h in now}
        for j, host in enumerate(server.host_instances):
            if upper(host) not in current and upper(host) not in removed_hosts:
                f.add(
                    "DRIFT013",
                    (*path, "host_instances", j),
                    f"production server {server.name} no longer runs an instance of "
                    f"host `{host}`",
                )


def _runs(f: Finder) -> dict[str, tuple[str, set[str]]]:
    """Upper-case DR server name -> (spelling, upper-case hosts it runs)."""
    return {
        upper(d): (d, {upper(h) for h in hosts})
        for d, hosts in dr_host_instances(f.inv).items()
    }


def compare_clustered(f: Finder) -> None:
    """A clustered host runs on one node at a time; DR runs every instance."""
    clustered = clustered_hosts(f.disc.discovery)
    runs = _runs(f)
    for index, host in enumerate(f.inv.group.hosts):
        if upper(host.name) not in clustered:
            continue
        takers = [name for name, hosts in runs.values() if upper(host.name) in hosts]
        # One DR server runs it once, as the cluster did: nothing polls twice.
        if len(takers) < 2:
            continue
        f.add(
            "DRIFT007",
            ("group", "hosts", index, "name"),
            f"host `{host.name}` is clustered in production (it runs on one node at "
            f"a time); at DR, {', '.join(takers)} each run an instance of it",
            breaks=f"adapters clustered to run once would poll on {len(takers)} DR "
            "servers at once after failover; keep the host on one DR server "
            "(dr.servers[].host_instances)",
        )


def compare_disabled(f: Finder) -> None:
    """An instance disabled in production that a DR server enables at failover."""
    inventory = {upper(s.name): (i, s) for i, s in enumerate(f.inv.production.servers)}
    runs = _runs(f)
    seen: set[tuple[str, str]] = set()
    for instance in f.disc.discovery.host_instances:
        key = (upper(instance.server), upper(instance.host))
        if not instance.disabled or instance.virtual or key in seen:
            continue
        seen.add(key)
        match = inventory.get(key[0])
        if match is None:
            continue  # a server new to the inventory: DRIFT010
        index, server = match
        listed = [j for j, h in enumerate(server.host_instances) if upper(h) == key[1]]
        if not listed:
            continue  # an instance new to the inventory: DRIFT012
        takers = [
            d.name
            for d in f.inv.dr.servers
            if key[0] in {upper(m) for m in d.mirrors}
            and key[1] in runs[upper(d.name)][1]
        ]
        if not takers:
            continue  # no DR server runs it: nothing is enabled
        host = server.host_instances[listed[0]]
        f.add(
            "DRIFT014",
            ("production", "servers", index, "host_instances", listed[0]),
            f"the instance of host `{host}` on {server.name} is disabled in "
            f"production; DR will enable it at failover ({', '.join(takers)})",
        )
