"""Production as the inventory holds it, read from a discovery: a computer's
name, the BizTalk version, each host's logon, the servers with their host
instances, the clustered hosts.

``drgen import`` writes these into an inventory and ``drgen drift`` compares the
inventory with them: both read production the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from generator.catalogue import CATALOGUE as N
from generator.discovery.model import Discovery
from generator.inventory.model import VERSIONS


def netbios_name(computer: str) -> str:
    """The computer name the inventory holds for ``computer``: a DNS name's first
    label (``SSOPROD01.contoso.local`` is ``SSOPROD01``)."""
    return computer.split(".")[0] or computer


def version_of(product_version: str) -> str | None:
    """The inventory's biztalk_version for a ProductVersion (catalogue ver:*)."""
    for version in VERSIONS:
        if product_version.startswith(N[f"ver:{version}"]):
            return version
    return None


@dataclass(frozen=True, slots=True)
class HostAccount:
    """The logon of a host's instances; ``None`` when it has none in production."""

    account: str | None
    gmsa: bool
    others: tuple[str, ...]  # other logons its instances use (a drift finding)


def host_accounts(discovery: Discovery) -> dict[str, HostAccount]:
    """Each host's logon (by upper-case name): the most used one of its instances."""
    logons: dict[str, Counter[str]] = {}
    spelled: dict[tuple[str, str], str] = {}
    gmsa: dict[str, bool] = {}
    for instance in discovery.host_instances:
        if instance.logon is None:
            continue
        key = instance.host.upper()
        logons.setdefault(key, Counter())[instance.logon.upper()] += 1
        spelled.setdefault((key, instance.logon.upper()), instance.logon)
        gmsa[key] = (
            gmsa.get(key, False) or instance.gmsa or instance.logon.endswith("$")
        )
    found = {}
    for key, counter in logons.items():
        ordered = [logon for logon, _ in counter.most_common()]
        found[key] = HostAccount(
            spelled[(key, ordered[0])],
            gmsa[key],
            tuple(spelled[(key, o)] for o in ordered[1:]),
        )
    return found


def virtual_servers(discovery: Discovery) -> dict[str, str]:
    """Upper-case name -> spelling of each name that only clustered virtual
    instances (ClusterInstanceType 2) run on: the cluster's network name, not a
    BizTalk server a DR server could mirror."""
    real = {i.server.upper() for i in discovery.host_instances if not i.virtual}
    return {
        i.server.upper(): i.server
        for i in discovery.host_instances
        if i.virtual and i.server.upper() not in real
    }


def production_servers(discovery: Discovery) -> dict[str, tuple[str, list[str]]]:
    """Upper-case server name -> (spelling, host instances in discovery order).

    Clustered virtual instances are left out, and so is a name only they run on.
    """
    servers: dict[str, tuple[str, list[str]]] = {}
    hosts = {h.name.upper(): h.name for h in discovery.hosts}
    virtual = virtual_servers(discovery)
    for name in discovery.servers:
        if name.upper() not in virtual:
            servers.setdefault(name.upper(), (name, []))
    for instance in discovery.host_instances:
        if instance.virtual:
            continue
        _, instances = servers.setdefault(
            instance.server.upper(), (instance.server, [])
        )
        host = hosts.get(instance.host.upper(), instance.host)
        if host.upper() not in {h.upper() for h in instances}:
            instances.append(host)
    return servers


def clustered_hosts(discovery: Discovery) -> dict[str, list[str]]:
    """Upper-case host name -> the servers its clustered (type 1) instances are on,
    for each host with a clustered instance (of type 1 or 2)."""
    found: dict[str, list[str]] = {}
    for instance in discovery.host_instances:
        if instance.clustered:
            nodes = found.setdefault(instance.host.upper(), [])
            if not instance.virtual and instance.server.upper() not in {
                n.upper() for n in nodes
            }:
                nodes.append(instance.server)
    return found
