"""Where every production database goes at DR, and how the scripts prove it went.

Three decisions about databases, taken once for the plan:

* the content of UpdateInfo.xml, in the form UpdateDatabase.vbs reads (the Rules
  Engine database is a top-level ``RuleEngineDB`` element; an ``OtherDatabases``
  entry is matched by the name it is registered under in the Backup job), and of
  UpdateInfo-Rearm.xml, the same moves the other way (``UpdateInfo.rearmed``);
* the read-only SQL queries Update-DrGroupDatabases.ps1 runs after UpdateDatabase.vbs
  to show that every reference in the management database names a DR instance;
* the registry values each DR server checks after UpdateRegistry.vbs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from generator.catalogue import CATALOGUE as N
from generator.catalogue.model import sql_identifier
from generator.inventory.model import Database, Inventory


@dataclass(frozen=True, slots=True)
class DbMove:
    """One database's production location and its DR location.

    ``label`` is what UpdateInfo.xml calls it (for an OtherDatabases entry, the
    name it is registered under in the Backup job); ``title`` what the runbook
    shows, when it differs.
    """

    label: str
    old_server: str
    old_name: str
    new_server: str
    new_name: str
    is_master: bool = False
    title: str = ""

    @property
    def display(self) -> str:
        """The name the runbook shows."""
        return self.title or self.label

    def reversed(self) -> DbMove:
        """The same database moved back: DR location to production location."""
        return dataclasses.replace(
            self,
            old_server=self.new_server,
            old_name=self.new_name,
            new_server=self.old_server,
            new_name=self.old_name,
        )


@dataclass(frozen=True, slots=True)
class BamUnit:
    """A BAM ``DeploymentUnit`` of SampleUpdateInfo.xml.

    ``properties`` are the unit's values in UpdateInfo.xml; ``back`` the same
    properties in UpdateInfo-Rearm.xml, where every location is the other one
    (OldPrimaryImportDatabase names DR there, every other unit production).
    """

    name: str
    properties: tuple[tuple[str, str], ...]
    back: tuple[tuple[str, str], ...]

    def reversed(self) -> BamUnit:
        """The unit as UpdateInfo-Rearm.xml writes it."""
        return BamUnit(self.name, self.back, self.properties)


@dataclass(frozen=True, slots=True)
class UpdateInfo:
    """The content of UpdateInfo.xml (SampleUpdateInfo.xml form)."""

    messageboxes: tuple[DbMove, ...]
    tracking: DbMove
    management: DbMove
    rule_engine: DbMove | None
    bam_units: tuple[BamUnit, ...]
    other: tuple[DbMove, ...]

    @property
    def all_moves(self) -> tuple[DbMove, ...]:
        """Every database with a production and a DR location, for the runbook."""
        moves = [*self.messageboxes, self.tracking, self.management]
        if self.rule_engine is not None:
            moves.append(self.rule_engine)
        return (*moves, *self.other)

    def rearmed(self) -> UpdateInfo:
        """UpdateInfo-Rearm.xml: every move of this file the other way round.

        For UpdateRegistry.vbs only, on a DR server after a drill: its registry
        names the DR instances, and this file points it back at production. Never
        for UpdateDatabase.vbs: it writes into the "new" databases, which here are
        the running production group's (INFERRED: drgen facts
        behaviour:updateregistry-rearm). Without the BAM section: no BAM location
        is kept in the registry, and the public restore scripts hand that section
        to a BAM restore against the "new" (production) management database.
        """
        rule_engine = self.rule_engine
        return UpdateInfo(
            messageboxes=tuple(m.reversed() for m in self.messageboxes),
            tracking=self.tracking.reversed(),
            management=self.management.reversed(),
            rule_engine=None if rule_engine is None else rule_engine.reversed(),
            bam_units=(),
            other=tuple(o.reversed() for o in self.other),
        )


@dataclass(frozen=True, slots=True)
class RegistryCheck:
    """A registry value UpdateRegistry.vbs should have moved to its DR value."""

    key: str
    value: str
    production: str
    dr: str
    fix: str
    # The 32-bit registry view: checked only where the value exists there.
    optional: bool = False


def dr_sql(inv: Inventory, server: str) -> str:
    """The DR instance a production SQL instance maps to (case is ignored)."""
    mapping = {k.upper(): v for k, v in inv.dr.sql.items()}
    return mapping[server.upper()]


def dr_database(inv: Inventory, db: Database) -> Database:
    """The same database at its DR instance."""
    return Database(server=dr_sql(inv, db.server), name=db.name)


def _move(inv: Inventory, label: str, db: Database, *, master: bool = False) -> DbMove:
    return DbMove(label, db.server, db.name, dr_sql(inv, db.server), db.name, master)


def _bam_units(inv: Inventory) -> tuple[BamUnit, ...]:
    """BAM units in the order of the documented fragment (how-to-move-the-bam-...1)."""
    bam = inv.group.databases.bam
    if bam is None:
        return ()
    server_key, db_key = (
        N["answer:bam-property/ServerName"],
        N["answer:bam-property/DatabaseName"],
    )

    def unit(name_id: str, db: Database, *, old: bool = False) -> BamUnit:
        production = ((server_key, db.server), (db_key, db.name))
        dr = ((server_key, dr_sql(inv, db.server)), (db_key, db.name))
        if old:
            return BamUnit(N[name_id], production, dr)
        return BamUnit(N[name_id], dr, production)

    # OldPrimaryImportDatabase names the production location, the others the DR one.
    units = [
        unit("answer:bam-unit/OldPrimaryImportDatabase", bam.primary_import, old=True),
        unit("answer:bam-unit/PrimaryImportDatabase", bam.primary_import),
    ]
    if bam.archive:
        units.append(unit("answer:bam-unit/ArchivingDatabase", bam.archive))
    if bam.analysis:
        units.append(unit("answer:bam-unit/AnalysisDatabase", bam.analysis))
    if bam.star_schema:
        units.append(unit("answer:bam-unit/StarSchemaDatabase", bam.star_schema))
    if bam.alerts_instance:
        alerts = bam.alerts_instance
        server, name = (
            N["answer:bam-property/DBServer"],
            N["answer:bam-property/InstanceDatabaseName"],
        )
        units.append(
            BamUnit(
                N["answer:bam-unit/Alert"],
                ((server, dr_sql(inv, alerts.server)), (name, alerts.name)),
                ((server, alerts.server), (name, alerts.name)),
            )
        )
    return tuple(units)


def update_info(inv: Inventory) -> UpdateInfo:
    """What UpdateInfo.xml says: every production database and its DR instance."""
    dbs = inv.group.databases
    other = [_move(inv, N["answer:default-name/SSO"], dbs.sso)]
    if dbs.bam and dbs.bam.alerts_application:
        app = dbs.bam.alerts_application
        other.append(_move(inv, N["answer:default-name/BamAlertsApplication"], app))
    if dbs.bam and dbs.bam.alerts_instance:
        instance = dbs.bam.alerts_instance
        other.append(_move(inv, N["answer:default-name/BamAlertsInstance"], instance))
    other += [
        dataclasses.replace(_move(inv, o.backup_name, o), title=o.label or "")
        for o in dbs.other
    ]
    return UpdateInfo(
        messageboxes=tuple(
            _move(inv, "MessageBox", m, master=m.master) for m in dbs.messageboxes
        ),
        tracking=_move(inv, "Tracking", dbs.tracking),
        management=_move(inv, "Management", dbs.management),
        rule_engine=(
            _move(inv, "Rules Engine", dbs.rule_engine) if dbs.rule_engine else None
        ),
        bam_units=_bam_units(inv),
        other=tuple(other),
    )


#: Names BizTalk registers in adm_OtherBackupDatabases itself; a custom database
#: that claimed one would make UpdateDatabase.vbs update the wrong row.
RESERVED_BACKUP_NAMES = frozenset(
    N[i].upper()
    for i in (
        "answer:default-name/SSO",
        "answer:default-name/RuleEngine",
        "answer:default-name/BamAlertsApplication",
        "answer:default-name/BamAlertsInstance",
        "answer:default-name/HWS",
    )
)


def sql_name(entry_id: str) -> str:
    """A table or column name from the catalogue, checked to be a plain identifier."""
    try:
        return sql_identifier(N[entry_id])
    except ValueError as exc:
        msg = f"catalogue entry {entry_id}: {exc}"
        raise ValueError(msg) from None


def _select(label: str, column: str, table: str, form: str = "server") -> str:
    return f"SELECT N'{label}', {column}, N'{form}' FROM dbo.{table}"  # noqa: S608


def reference_queries(inv: Inventory) -> tuple[str, ...]:
    """Read-only queries whose rows (label, value, form) must all name DR instances.

    ``form`` is ``server`` (the value is a SQL instance) or ``connection`` (a
    connection string whose data source is one). Columns the group does not use
    (Rules Engine, BAM) are left out.
    """
    group = sql_name("sql:adm_Group")
    columns = [
        "sql:adm_Group.SubscriptionDBServerName",
        "sql:adm_Group.TrackingDBServerName",
    ]
    if inv.group.databases.rule_engine is not None:
        columns.append("sql:adm_Group.RuleEngineDBServerName")
    if inv.group.databases.bam is not None:
        columns.append("sql:adm_Group.BamDBServerName")
    queries = [_select(f"{group}.{sql_name(c)}", sql_name(c), group) for c in columns]
    box = sql_name("sql:adm_MessageBox")
    box_name = sql_name("sql:adm_MessageBox.DBName")
    box_server = sql_name("sql:adm_MessageBox.DBServerName")
    queries.append(
        f"SELECT N'{box} ' + {box_name}, {box_server}, "  # noqa: S608
        f"N'server' FROM dbo.{box}"
    )
    tdds = sql_name("sql:TDDS_Destinations")
    connection = sql_name("sql:TDDS_Destinations.ConnectionString")
    queries.append(_select(tdds, connection, tdds, "connection"))
    # The tracking host's sources: a MessageBox row UpdateDatabase.vbs missed (its
    # SourceName was not '<oldServer>_<oldDB>') leaves DR tracking pulling from
    # production.
    sources = sql_name("sql:TDDS_Sources")
    source = sql_name("sql:TDDS_Sources.SourceName")
    source_connection = sql_name("sql:TDDS_Sources.ConnectionString")
    queries.append(
        f"SELECT N'{sources} ' + {source}, {source_connection}, "  # noqa: S608
        f"N'connection' FROM dbo.{sources}"
    )
    # Both tables UpdateDatabase.vbs rewrites for each OtherDatabases entry.
    for table in ("adm_OtherBackupDatabases", "adm_OtherDatabases"):
        other = sql_name(f"sql:{table}")
        default = sql_name(f"sql:{table}.DefaultDatabaseName")
        server = sql_name(f"sql:{table}.ServerName")
        queries.append(
            f"SELECT N'{other} ' + {default}, {server}, "  # noqa: S608
            f"N'server' FROM dbo.{other}"
        )
    return tuple(queries)


def secret_server_query() -> str:
    """The master secret server SSODB names, read by SQL (no SSO service needed)."""
    column = sql_name("sql:SSOX_GlobalInfo.gi_SecretServer")
    table = sql_name("sql:SSOX_GlobalInfo")
    return f"SELECT {column} FROM dbo.{table}"  # noqa: S608


def group_name_query() -> str:
    """The name of the group a management database holds (adm_Group.Name)."""
    column = sql_name("sql:adm_Group.Name")
    table = sql_name("sql:adm_Group")
    return f"SELECT {column} FROM dbo.{table}"  # noqa: S608


def messagebox_servers_query() -> str:
    """The SQL instance of every MessageBox a management database names: the
    production group's name production instances, the restored DR copy (after
    UpdateDatabase.vbs) DR ones."""
    column = sql_name("sql:adm_MessageBox.DBServerName")
    table = sql_name("sql:adm_MessageBox")
    return f"SELECT {column} FROM dbo.{table}"  # noqa: S608


_SSO_FIX = (
    "UpdateRegistry.vbs did not move the SSO database location. Point the SSO "
    "service at the DR SSO database with 'ssoconfig -setDB' (see 'SSO event 10511' "
    "in the BizTalk documentation), then run this script again"
)
_MGMT_FIX = (
    "UpdateRegistry.vbs did not update it; check its output above, correct the "
    "cause, then run this script again"
)
_WOW64_FIX = (
    "this 32-bit registry copy is read by 32-bit BizTalk processes and "
    "UpdateRegistry.vbs did not update it; no Microsoft page says how it is moved: "
    "report it, set it to the DR value by hand if you accept that, then run this "
    "script again"
)
_RULES_FIX = (
    "UpdateRegistry.vbs did not update this Rule Engine setting; set it to the DR "
    "value (Microsoft: 'Rule Engine Configuration and Tuning Parameters'), then run "
    "this script again"
)


def registry_checks(inv: Inventory, *, rules_engine: bool) -> tuple[RegistryCheck, ...]:
    """The registry values a DR server checks after UpdateRegistry.vbs."""
    dbs = inv.group.databases
    mgmt, sso = dbs.management, dbs.sso
    checks = [
        RegistryCheck(
            N[key],
            N[f"{key}/MgmtDBServer"],
            mgmt.server,
            dr_sql(inv, mgmt.server),
            _WOW64_FIX if key.endswith("-wow64") else _MGMT_FIX,
            optional=key.endswith("-wow64"),
        )
        for key in ("reg:biztalk-admin", "reg:biztalk-admin-wow64")
    ]
    checks.append(
        RegistryCheck(
            N["reg:sso-sql"],
            N["reg:sso-sql/Server"],
            sso.server,
            dr_sql(inv, sso.server),
            _SSO_FIX,
        )
    )
    if rules_engine and dbs.rule_engine is not None:
        checks += [
            RegistryCheck(
                N[key],
                N[f"{key}/DatabaseServer"],
                dbs.rule_engine.server,
                dr_sql(inv, dbs.rule_engine.server),
                _WOW64_FIX if key.endswith("-wow64") else _RULES_FIX,
                optional=key.endswith("-wow64"),
            )
            for key in ("reg:rules", "reg:rules-wow64")
        ]
    return tuple(checks)
