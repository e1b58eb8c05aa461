"""Inventories of chosen shapes: BAM or not, IIS pools or not, gMSA or not, one to
three MessageBoxes, the Rules Engine or not, any BizTalk version.

Every shape validates and renders; tests use them to show that what must not
depend on the inventory (a script's code) does not.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shape:
    """What varies between the generated inventories."""

    version: str = "2020"
    bam: bool = False
    pools: int = 0  # IIS application pools of the isolated host (-1: no isolated host)
    gmsa: bool = False
    messageboxes: int = 1
    rules_engine: bool = False
    servers: int = 2
    other: bool = False

    @property
    def label(self) -> str:
        """A short name for test ids."""
        parts = [self.version, f"{self.messageboxes}mb", f"{self.servers}srv"]
        parts += [
            name
            for name, on in (
                ("bam", self.bam),
                ("gmsa", self.gmsa),
                ("rules", self.rules_engine),
                ("other", self.other),
            )
            if on
        ]
        if self.pools >= 0:
            parts.append(f"{self.pools}pools")
        return "-".join(parts)


def shaped_inventory(shape: Shape) -> str:
    """YAML text of a valid inventory of ``shape``."""
    gmsa = shape.gmsa and shape.version == "2020"
    lines = [
        "schema: drgen/v1",
        "group:",
        "  name: Shaped Group",
        f'  biztalk_version: "{shape.version}"',
        "  databases:",
        "    management: {server: SQLA, name: BizTalkMgmtDb}",
        "    sso: {server: SQLA, name: SSODB}",
        "    messageboxes:",
    ]
    for index in range(shape.messageboxes):
        master = ", master: true" if index == 0 else ""
        server = "SQLA" if index % 2 == 0 else "SQLB\\BTS"
        lines.append(f"      - {{server: '{server}', name: MsgBox{index}{master}}}")
    lines.append("    tracking: {server: SQLA, name: BizTalkDTADb}")
    if shape.rules_engine:
        lines.append("    rule_engine: {server: SQLA, name: BizTalkRuleEngineDb}")
    if shape.bam:
        lines += [
            "    bam:",
            "      primary_import: {server: SQLA, name: BAMPrimaryImport}",
            "      archive: {server: SQLA, name: BAMArchive}",
            "      alerts_application: {server: SQLA, name: BAMAlertsApplication}",
        ]
    if shape.other:
        lines += [
            "    other:",
            "      - {backup_name: Orders, server: SQLA, name: OrdersDb}",
        ]
    lines += [
        "  sso: {master_secret_server: SSOPROD}",
        "  accounts:",
        "    sso_service: CORP\\svc-sso",
    ]
    if shape.rules_engine:
        account = "CORP\\gmsa-bre$" if gmsa else "CORP\\svc-bre"
        lines.append(f"    rule_engine_service: {account}")
    account = "CORP\\gmsa-host$" if gmsa else "CORP\\svc-host"
    lines += [
        "  hosts:",
        f"    - {{name: Work, windows_group: CORP\\BizTalk Users, account: {account}}}",
    ]
    if shape.pools >= 0:
        pools = ", ".join(f"Pool{i}" for i in range(shape.pools))
        lines.append(
            "    - {name: Web, type: isolated, windows_group: CORP\\Iso Users, "
            f"account: CORP\\svc-iso, app_pools: [{pools}]}}"
        )
    lines += ["production:", "  servers:"]
    for index in range(shape.servers):
        hosts = "Work, Web" if shape.pools >= 0 and index == 0 else "Work"
        lines.append(f"    - {{name: PROD{index}, host_instances: [{hosts}]}}")
    sql = (
        "{SQLA: SQLDRA"
        + (", SQLB\\BTS: SQLDRB\\BTS" if shape.messageboxes > 1 else "")
        + "}"
    )
    lines += ["dr:", "  site: DR-Shape", f"  sql: {sql}", "  servers:"]
    for index in range(shape.servers):
        roles = ["sso_master_secret", "update_databases"] if index == 0 else []
        if shape.pools >= 0 and index == 0:
            roles.append("iis")
        if shape.rules_engine:
            roles.append("rules_engine")
        if shape.bam and index == shape.servers - 1:
            roles.append("bam_alerts")
        lines.append(
            f"    - {{name: DR{index}, mirrors: [PROD{index}], "
            f"roles: [{', '.join(roles)}]}}"
        )
    return "\n".join(lines) + "\n"


#: A covering set: every value of every dimension at least once, combined.
SHAPES = (
    Shape(),
    Shape(version="2016", bam=True, pools=2, messageboxes=2, rules_engine=True),
    Shape(version="2020", gmsa=True, rules_engine=True, messageboxes=3, pools=1),
    Shape(version="2013R2", pools=-1, servers=1, other=True),
    Shape(version="2020", bam=True, gmsa=True, pools=0, servers=3, other=True),
)
