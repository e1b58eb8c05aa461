"""Synthetic inventories of any size, for the benchmark (not used by tests)."""

from __future__ import annotations


def synthetic_inventory(servers: int) -> str:
    """YAML for a group with ``servers`` production and ``servers`` DR servers."""
    hosts = [f"Host{i:02d}" for i in range(12)]
    lines = [
        "schema: drgen/v1",
        "group:",
        "  name: Synthetic Group",
        '  biztalk_version: "2020"',
        "  databases:",
        "    management: {server: SQLPROD01, name: BizTalkMgmtDb}",
        "    sso: {server: SQLPROD01, name: SSODB}",
        "    messageboxes:",
        "      - {server: SQLPROD01, name: BizTalkMsgBoxDb, master: true}",
        "    tracking: {server: SQLPROD02, name: BizTalkDTADb}",
        "    rule_engine: {server: SQLPROD01, name: BizTalkRuleEngineDb}",
        "  sso: {master_secret_server: SSOPROD01}",
        "  accounts:",
        "    sso_service: CONTOSO\\svc-entsso",
        "    rule_engine_service: CONTOSO\\svc-bre",
        "  hosts:",
    ]
    lines += [
        f"    - {{name: {h}, windows_group: CONTOSO\\BizTalk Users, "
        f"account: CONTOSO\\svc-{h.lower()}}}"
        for h in hosts
    ]
    lines += ["production:", "  servers:"]
    lines += [
        f"    - {{name: PROD{i:05d}, host_instances: "
        f"[{hosts[i % 12]}, {hosts[(i + 1) % 12]}, {hosts[(i + 5) % 12]}]}}"
        for i in range(servers)
    ]
    lines += [
        "dr:",
        "  site: DR-Synthetic",
        "  sql: {SQLPROD01: SQLDR01, SQLPROD02: SQLDR02}",
        "  servers:",
    ]
    for i in range(servers):
        roles = ["sso_master_secret", "update_databases"] if i == 0 else []
        if i % 10 == 1:
            roles.append("rules_engine")
        role_list = ", ".join(roles)
        lines.append(
            f"    - {{name: DR{i:05d}, mirrors: [PROD{i:05d}], roles: [{role_list}]}}"
        )
    return "\n".join(lines) + "\n"
