"""Domain rules over a validated inventory: cross-references, roles, capacity.

Each rule yields located diagnostics with a stable code; ``check_rules`` collects
them all so an admin sees every problem at once. The rules live by theme in this
package; what they compute about the DR site (which instances each DR server runs,
the capacity table) is the plan's, in ``generator.plan.mapping``.
"""

from __future__ import annotations

from generator.errors import Diagnostic
from generator.inventory.load import RawDocument
from generator.inventory.model import Inventory
from generator.plan.rules.capacity import _capacity
from generator.plan.rules.names import _server_names, _site_name
from generator.plan.rules.sql import (
    _backup_names,
    _messageboxes,
    _sql_mapping,
    database_servers,
)
from generator.plan.rules.topology import (
    _accounts,
    _app_pools,
    _coverage,
    _mirroring,
    _references,
    _roles,
    _unique_names,
)

# The names first: the other rules key their tables by name, so a name listed
# twice makes them report misleading errors (a duplicated DR server "loses" the
# hosts of one of its entries). While a name rule finds an error, only the name
# rules' diagnostics are reported.
NAME_RULES = (_unique_names, _site_name, _server_names)
_NAME_ERRORS = frozenset({"duplicate-host", "duplicate-server"})

RULES = (
    *NAME_RULES,
    _references,
    _mirroring,
    _coverage,
    _roles,
    _accounts,
    _app_pools,
    _backup_names,
    _sql_mapping,
    _messageboxes,
    _capacity,
)

# Every code a rule can report, for documentation and tests.
RULE_CODES = (
    "duplicate-host",
    "duplicate-server",
    "dr-name-is-production",
    "reserved-site-name",
    "reserved-server-name",
    "windows-name",
    "unknown-host",
    "duplicate-instance",
    "unknown-server",
    "mirrored-and-not-mirrored",
    "duplicate-mirror",
    "not-mirrored",
    "mirrored-twice",
    "host-not-on-dr",
    "role-count",
    "duplicate-role",
    "rules-without-db",
    "rules-without-account",
    "bam-without-db",
    "rules-engine-missing",
    "isolated-without-iis",
    "isolated-without-app-pools",
    "app-pools-on-in-process",
    "duplicate-app-pool",
    "duplicate-backup-name",
    "reserved-backup-name",
    "gmsa-unsupported",
    "gmsa-name",
    "sso-gmsa",
    "sql-not-mapped",
    "dr-sql-is-production",
    "master-messagebox",
    "capacity",
    "smaller-dr-site",
)


def check_rules(inv: Inventory, doc: RawDocument) -> list[Diagnostic]:
    """Run every rule; errors and warnings together, sorted.

    A name listed twice (a host, a production or DR server) is reported alone,
    with the other name problems: what the other rules would say follows from it.
    """
    names = [d for rule in NAME_RULES for d in rule(inv, doc)]
    if any(d.code in _NAME_ERRORS for d in names):
        return sorted(names, key=Diagnostic.sort_key)
    found = names + [d for rule in RULES[len(NAME_RULES) :] for d in rule(inv, doc)]
    return sorted(found, key=Diagnostic.sort_key)


__all__ = ["RULES", "RULE_CODES", "check_rules", "database_servers"]
