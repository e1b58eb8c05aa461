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


def synthetic_discovery(hosts: int, servers: int = 100) -> str:
    """A discovery file (``drgen/discovery-v1``) of a group with ``hosts`` hosts,
    one instance of each spread over ``servers`` servers, as Windows PowerShell
    5.1's ConvertTo-Json lays it out (four-space indent, CRLF)."""
    import json

    names = [f"PROD{i:05d}" for i in range(servers)]
    document = {
        "schema": "drgen/discovery-v1",
        "collected": {
            "at": "2026-12-01T08:00:00Z",
            "computer": names[0],
            "user": "CONTOSO\\dr-operator",
            "script_sha256": None,
            "drgen_version": "0.1.0",
        },
        "group": {
            "name": "Synthetic Group",
            "product_version": "3.13.717.0",
            "product_name": "Microsoft BizTalk Server 2020",
            "cu": "CU5",
            "management": {"server": "SQLPROD01", "name": "BizTalkMgmtDb"},
            "tracking": {"server": "SQLPROD02", "name": "BizTalkDTADb"},
            "messageboxes": [
                {"server": "SQLPROD01", "name": "BizTalkMsgBoxDb", "master": True}
            ],
            "sso": {"server": "SQLPROD01", "name": "SSODB"},
            "rule_engine": {"server": "SQLPROD01", "name": "BizTalkRuleEngineDb"},
            "bam_primary_import": None,
            "other_databases": [],
            "master_secret_server": "SSOPROD01",
        },
        "hosts": [
            {
                "name": f"Host{i:05d}",
                "host_type": 1,
                "windows_group": "CONTOSO\\BizTalk Application Users",
                "is_32bit_only": False,
                "tracking": False,
                "trusted": False,
            }
            for i in range(hosts)
        ],
        "host_instances": [
            {
                "host": f"Host{i:05d}",
                "server": names[i % servers],
                "logon": f"CONTOSO\\svc-host{i:05d}",
                "gmsa": False,
                "disabled": False,
                "state": 4,
                "cluster_instance_type": 0,
            }
            for i in range(hosts)
        ],
        "servers": names,
        "accounts": {
            "sso_service": "CONTOSO\\svc-entsso",
            "rule_engine_service": "CONTOSO\\svc-bre",
        },
    }
    return json.dumps(document, indent=4).replace("\n", "\r\n")


def synthetic_result(megabytes: float) -> str:
    """A Test-DrBundle.ps1 result (``drgen/test-result-v1``) of about
    ``megabytes`` MB: a site of many files, each with its hash check."""
    import json

    digest = "A" * 64
    checks = []
    size = 0
    index = 0
    while size < megabytes * 1_000_000:
        path = f"DR{index // 5:05d}\\File-{index:06d}.ps1"
        for check in (
            {
                "id": f"sha256:{path}",
                "check": f"{path} SHA-256",
                "expected": digest,
                "observed": digest,
                "passed": True,
            },
            {
                "id": f"signature:{path}",
                "check": f"{path} signature",
                "expected": "Valid",
                "observed": "Valid",
                "passed": True,
            },
        ):
            checks.append(check)
            size += len(json.dumps(check)) + 40
        index += 1
    document = {
        "schema": "drgen/test-result-v1",
        "script": "Test-DrBundle",
        "computer": "DR00000",
        "run_by": "CONTOSO\\dr-operator",
        "site": "DR-Synthetic",
        "inventory": "synthetic.yaml",
        "inventory_sha256": "0" * 64,
        "drgen_version": "0.1.0",
        "bundle_id": "1" * 64,
        "script_sha256": "2" * 64,
        "expected_state": None,
        "after_drill": False,
        "started": "2026-12-01T08:00:00Z",
        "finished": "2026-12-01T08:09:00Z",
        "checks": checks,
    }
    return json.dumps(document, indent=4).replace("\n", "\r\n")
