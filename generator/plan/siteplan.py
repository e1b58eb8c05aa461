"""What is decided for a DR site as a whole (``SitePlan``), apart from its files.

Kept below ``plan.artifacts``, ``plan.contexts`` and ``plan.runbook``, which take a
``SitePlan``; ``plan.site.build_plan`` makes it and the ``Plan`` around it.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.catalogue import CATALOGUE as N
from generator.inventory.model import Database
from generator.plan.databases import UpdateInfo
from generator.plan.labprobe import ProbeItem
from generator.plan.servers import ServerPlan


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Everything decided for the DR site as a whole."""

    stem: str
    group_name: str
    version: str
    site: str
    install_path: str
    product_version_prefix: str
    production_mgmt: Database
    dr_mgmt: Database
    production_sso: Database
    dr_sso: Database
    master_secret_server: str
    update_databases_server: str
    update_info: UpdateInfo
    dr_sql_instances: tuple[str, ...]
    # Update-DrGroupDatabases.ps1: rows (label, value, form) that must name DR.
    reference_queries: tuple[str, ...]
    servers: tuple[ServerPlan, ...]
    # Test-DrLabFacts.ps1: the catalogue facts a lab server of this version checks.
    lab_probes: tuple[ProbeItem, ...] = ()
    # Runbook, failover step 1: where production may still process, in inventory
    # order, and the SQL instances of the production databases (BAM's Analysis
    # Services instance left out: it runs no SQL Agent jobs).
    production_servers: tuple[str, ...] = ()
    production_sql_instances: tuple[str, ...] = ()
    # Runbook, failback: the production master secret server, which the group's SSO
    # Server name must name again (Enable-DrServer.ps1 set it to the DR one).
    production_master_secret_server: str = ""
    # Runbook, BAM (None or () without them): the BAM Primary Import database at DR,
    # which the portal's Web.config and bm.exe.config must name; the Analysis
    # Services database and the Archive and Star Schema databases, which the DBA
    # restores from backups older than the BAM Primary Import one
    # (how-to-restore-your-databases.md, "Before you begin").
    dr_bam_primary_import: Database | None = None
    dr_bam_analysis: Database | None = None
    dr_bam_sql_copies: tuple[Database, ...] = ()
    # Runbook.html's header: the SHA-256 of the inventory file the plan was made from.
    inventory_sha256: str = ""

    @property
    def server_names(self) -> tuple[str, ...]:
        """The site's DR servers, in inventory order."""
        return tuple(s.name for s in self.servers)

    @property
    def rearm_info(self) -> UpdateInfo:
        """UpdateInfo-Rearm.xml: UpdateInfo.xml the other way round (Reset-DrServer.ps1
        feeds it to UpdateRegistry.vbs after a drill)."""
        return self.update_info.rearmed()

    @property
    def production_rules_server(self) -> str:
        """The Rules Engine's production SQL instance; '' without a Rules Engine."""
        rules = self.update_info.rule_engine
        return rules.old_server if rules else ""

    @property
    def has_bam(self) -> bool:
        """The group uses BAM: the runbook adds the BAM steps."""
        return bool(self.update_info.bam_units)

    @property
    def has_bam_analysis(self) -> bool:
        """The group has a BAM Analysis database: the runbook's BAM step names it."""
        return self.dr_bam_analysis is not None

    @property
    def messagebox_cleanup_jobs(self) -> tuple[str, ...]:
        """The MessageBox_Message_Cleanup_<MessageBox> SQL Agent job of each MessageBox.

        The one BizTalk job that must stay disabled at DR: the MessageBox's
        ManageRefCountLog job starts it (database-structure-and-jobs.md). Its name
        ends in the MessageBox database name, which DR keeps.
        """
        prefix = N["answer:job-prefix/MessageBoxMessageCleanup"]
        return tuple(prefix + m.new_name for m in self.update_info.messageboxes)

    @property
    def failover_after_master(self) -> tuple[str, ...]:
        """DR servers enabled after the master secret server, in inventory order."""
        return tuple(s.name for s in self.servers if not s.is_master_secret)
