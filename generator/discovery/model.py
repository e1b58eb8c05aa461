"""The discovery file (schema ``drgen/discovery-v1``): what production looks like.

``Export-BizTalkGroup.ps1`` writes it on a production BizTalk server and
``drgen discover --simulate`` prints it; ``drgen import`` and ``drgen drift``
read it. Values are kept as BizTalk returns them (WMI host type numbers,
``DOMAIN\\user`` logons, names in the case they are stored in); turning them into
inventory terms is ``generator.discovery.importer``.

This module is the pydantic model (what is valid) and its JSON Schema;
``generator.discovery.load`` reads a file into it, located.

Forward compatibility: unknown keys inside any object are ignored (a newer
script may report more), but the schema id must be exactly
``drgen/discovery-v1``: a file of another version is refused, never guessed at.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
)
from pydantic_core import PydanticCustomError

from generator.inventory.model import model_schema
from generator.schema_ids import DISCOVERY

SCHEMA_ID = DISCOVERY
SCHEMA_FILE = "drgen-discovery-v1.schema.json"

# One line of printable text: nothing a WMI string should contain otherwise.
_TEXT_PATTERN = r"^[^\x00-\x1f\x7f]+$"
Text = Annotated[str, Field(min_length=1, max_length=256, pattern=_TEXT_PATTERN)]


class _Object(BaseModel):
    # extra="ignore": a newer script may add keys; the schema id guards the shape.
    model_config = ConfigDict(frozen=True, extra="ignore")


def _text_only(value: Any) -> Any:
    """A date is ISO 8601 text: pydantic would also take a number (seconds)."""
    if isinstance(value, int | float):
        raise PydanticCustomError("datetime_type", "must be ISO 8601 text")
    return value


def _whole_number(value: Any) -> Any:
    """JSON ``true`` and ``1.0`` are not host types, though ``Literal[1, 2]``
    takes them as 1."""
    if isinstance(value, bool | float):
        raise PydanticCustomError("int_type", "must be the number 1 or 2")
    return value


class Collected(_Object):
    """When, where and by whom the discovery ran."""

    at: Annotated[AwareDatetime, BeforeValidator(_text_only)] = Field(
        description="UTC ISO 8601, from the server clock"
    )
    computer: Text = Field(description="$env:COMPUTERNAME of the server it ran on")
    user: Text | None = Field(None, description="who ran it (DOMAIN\\user)")
    script_sha256: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")] | None = None
    drgen_version: Text | None = None


class DatabaseRef(_Object):
    """A database as BizTalk registers it: SQL instance and name."""

    server: Text
    name: Text


class MessageBoxRef(DatabaseRef):
    """A MessageBox; ``master`` marks the master MessageBox."""

    master: StrictBool = False


class OtherDatabaseRef(DatabaseRef):
    """A custom database registered in the Backup BizTalk Server job."""

    backup_name: Text = Field(
        description="adm_OtherBackupDatabases.DefaultDatabaseName"
    )


# A reason a part could not be read: the script's own words and the SQL error.
Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class Unread(_Object):
    """Why a part of the group could not be read; null: it was read.

    When a part was read, a null database of it means that production has none
    (not configured); when it could not be read, the reason is here and its
    databases are null: not read. Files of scripts that did not write this
    object report every one of those databases as not read when it is null.
    """

    backup_databases: Reason | None = Field(
        None,
        description="adm_OtherBackupDatabases could not be read: other_databases, "
        "bam_alerts_application and bam_alerts_instance are not read",
    )
    bam_configuration: Reason | None = Field(
        None,
        description="the BAM configuration (bam_Metadata_Configuration) could not be "
        "read: bam_archive, bam_star_schema and bam_analysis are not read",
    )


#: The group keys read from one source each, and the Unread field that says why
#: the source could not be read.
READ_FROM: dict[str, str] = {
    "other_databases": "backup_databases",
    "bam_alerts_application": "backup_databases",
    "bam_alerts_instance": "backup_databases",
    "bam_archive": "bam_configuration",
    "bam_star_schema": "bam_configuration",
    "bam_analysis": "bam_configuration",
}


class GroupInfo(_Object):
    """The group's name, product version and databases."""

    name: Text = Field(description="MSBTS_GroupSetting.Name")
    product_version: Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+){1,3}$")] = Field(
        description="registry ProductVersion, e.g. 3.13.717.0"
    )
    product_name: Text | None = None
    cu: Text | None = Field(None, description="cumulative update level, e.g. CU5")
    management: DatabaseRef
    tracking: DatabaseRef
    messageboxes: Annotated[tuple[MessageBoxRef, ...], Field(min_length=1)]
    sso: DatabaseRef
    rule_engine: DatabaseRef | None = None
    bam_primary_import: DatabaseRef | None = None
    # Read from the BAM configuration (archive, star schema, analysis) and from
    # the Backup job's rows (alerts): null is "none" when ``unread`` says the part
    # was read, "not read" otherwise (see ``unread_reason``).
    bam_archive: DatabaseRef | None = Field(
        None, description="ArchivingDatabase of the BAM configuration"
    )
    bam_star_schema: DatabaseRef | None = Field(
        None, description="StarSchemaDatabase of the BAM configuration"
    )
    bam_analysis: DatabaseRef | None = Field(
        None, description="AnalysisDatabase of the BAM configuration"
    )
    bam_alerts_application: DatabaseRef | None = Field(
        None, description="the Backup job's row 'BAM Alerts Application DB'"
    )
    bam_alerts_instance: DatabaseRef | None = Field(
        None, description="the Backup job's row 'BAM Alerts Instance DB'"
    )
    other_databases: tuple[OtherDatabaseRef, ...] | None = Field(
        None,
        description="every row of adm_OtherBackupDatabases, BizTalk's own names "
        "(SSO, RuleEngine DB, the BAM alerts databases) included; null: see unread",
    )
    # null: not readable (the account that ran the script cannot read the SSO
    # database); the inventory's value is kept, drift does not compare it.
    master_secret_server: Text | None = Field(
        None, description="gi_SecretServer of the SSO database; null: not readable"
    )
    # Absent in files of scripts that did not read the backup job or the BAM
    # configuration: every database of READ_FROM is then "not read" when null.
    unread: Unread | None = Field(
        None,
        description="why the backup job's databases or the BAM configuration could "
        "not be read; absent: this file does not tell a database production lacks "
        "from one the script did not read",
    )

    def unread_reason(self, key: str) -> str | None:
        """Why the database(s) under ``key`` (one of READ_FROM) were not read;
        None when the file says what production has there (a value, or null for
        none configured)."""
        source = READ_FROM[key]
        if self.unread is None:
            if getattr(self, key) is None:
                return "the script that wrote this file does not read it"
            return None
        if key not in self.model_fields_set:
            return "not in the file"
        reason: str | None = getattr(self.unread, source)
        if reason is not None and getattr(self, key) is None:
            return reason
        return None

    def known(self, key: str) -> bool:
        """Whether the file says what production has under ``key``: a database
        (or list), or null for none."""
        return self.unread_reason(key) is None


class HostInfo(_Object):
    """A host (MSBTS_HostSetting)."""

    name: Text
    host_type: Annotated[Literal[1, 2], BeforeValidator(_whole_number)] = Field(
        description="1 = in-process, 2 = isolated"
    )
    windows_group: Text | None = Field(None, description="null: not readable")
    is_32bit_only: StrictBool = False
    tracking: StrictBool = False
    trusted: StrictBool = False


class HostInstanceInfo(_Object):
    """A host instance (MSBTS_HostInstance)."""

    host: Text
    server: Text
    logon: Text | None = Field(None, description="null: not readable")
    gmsa: StrictBool = False
    disabled: StrictBool = False
    state: StrictInt | None = Field(
        None, description="ServiceState: 1 stopped, 4 running, 8 unknown ..."
    )
    # Optional, so that files of scripts that did not read it stay valid.
    cluster_instance_type: Annotated[StrictInt, Field(ge=0, le=2)] | None = Field(
        None,
        description="ClusterInstanceType: 0 not clustered, 1 clustered, 2 the "
        "clustered virtual instance; null or absent: not read",
    )

    @property
    def clustered(self) -> bool:
        """Whether the instance belongs to a clustered host (types 1 and 2)."""
        return self.cluster_instance_type in {1, 2}

    @property
    def virtual(self) -> bool:
        """A clustered virtual instance: its server is the cluster's network
        name, not a BizTalk server with a host instance of its own."""
        return self.cluster_instance_type == 2


class ServiceAccounts(_Object):
    """Logons of the services on the computer the discovery ran on."""

    sso_service: Text | None = None
    rule_engine_service: Text | None = None


class Discovery(_Object):
    """A whole discovery file."""

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        populate_by_name=True,
        title="drgen discovery (schema drgen/discovery-v1)",
    )

    schema_id: Literal["drgen/discovery-v1"] = Field(
        alias="schema", description="the discovery schema version"
    )
    collected: Collected
    group: GroupInfo
    hosts: tuple[HostInfo, ...]
    host_instances: tuple[HostInstanceInfo, ...] = ()
    servers: tuple[Text, ...] = ()
    accounts: ServiceAccounts = ServiceAccounts()


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a discovery file, as committed in ``schema/``."""
    return model_schema(Discovery)
