"""The inventory model (schema ``drgen/v1``): what a valid inventory is.

The name patterns and their validators, the frozen pydantic types and
``json_schema``, the JSON Schema of the model, committed as
``schema/drgen-v1.schema.json`` for editors. Validating a document against the
model, with located diagnostics, is ``generator.inventory.validation``.
"""

from __future__ import annotations

import hashlib
import json
import re
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

SCHEMA_ID = "drgen/v1"
SCHEMA_FILE = "drgen-v1.schema.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Each pattern is written once and used both here (Python ``re``) and in the JSON
# Schema (ECMA-262), so it keeps to the syntax both share.
NETBIOS_PATTERN = r"^(?![0-9]+$)[A-Za-z0-9-]{1,15}$"
HOST_PATTERN = r"^[A-Za-z0-9_.-]{1,80}$"
SQL_PATTERN = (
    r"^[A-Za-z0-9-]{1,15}(\.[A-Za-z0-9-]+)*(\\[A-Za-z0-9_$#-]{1,16}|,[0-9]{1,5})?$"
)
ACCOUNT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.-]{0,14}\\[^\\/\"\[\]:;|=,+*?<>@]{1,64}$"
DB_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_$#@. -]{0,127}$"
SITE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
APP_POOL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,63}$"

_NETBIOS = re.compile(NETBIOS_PATTERN)
_HOST = re.compile(HOST_PATTERN)
_SQL = re.compile(SQL_PATTERN)
_ACCOUNT = re.compile(ACCOUNT_PATTERN)
_DB = re.compile(DB_PATTERN)
_SITE = re.compile(SITE_PATTERN)
_APP_POOL = re.compile(APP_POOL_PATTERN)

# pydantic error type -> diagnostic code, for the name rules below.
NAME_CODES = {
    "computer_name": "invalid-computer-name",
    "host_name": "invalid-host-name",
    "sql_instance": "invalid-sql-instance",
    "account": "invalid-account",
    "database_name": "invalid-database-name",
    "site_name": "invalid-site-name",
    "app_pool": "invalid-app-pool",
}


def _name_check(
    kind: str, pattern: re.Pattern[str], message: str
) -> typing.Callable[[str], str]:
    # The value itself is added, made printable, when the diagnostic is built.
    def check(value: str) -> str:
        if not pattern.match(value):
            raise PydanticCustomError(kind, message)
        return value

    check.__name__ = f"check_{kind}"
    return check


def _sql_instance(value: str) -> str:
    _name_check(
        "sql_instance",
        _SQL,
        "is not a SQL Server instance (SERVER, SERVER\\INSTANCE or SERVER,PORT)",
    )(value)
    port = value.rpartition(",")[2] if "," in value else None
    if port is not None and not 1 <= int(port) <= 65535:
        raise PydanticCustomError(
            "sql_instance",
            "names port {port}; a TCP port is 1-65535",
            {"port": port},
        )
    return value


def _version(value: Any) -> Any:
    # An unquoted 2020 is an int in YAML; accept it rather than force quoting.
    return (
        str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    )


def _text(pattern: str, description: str) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "pattern": pattern, "description": description}
    )


ComputerName = Annotated[
    str,
    AfterValidator(
        _name_check(
            "computer_name",
            _NETBIOS,
            "is not a valid computer name "
            "(1-15 letters, digits or hyphens, not all digits)",
        )
    ),
    _text(NETBIOS_PATTERN, "NetBIOS computer name: 1-15 letters, digits, hyphens"),
]
HostName = Annotated[
    str,
    AfterValidator(
        _name_check(
            "host_name",
            _HOST,
            "is not a valid BizTalk host name "
            "(at most 80 letters, digits, '_', '-' or '.'; no spaces)",
        )
    ),
    _text(HOST_PATTERN, "BizTalk host name: at most 80 characters, no spaces"),
]
SqlInstance = Annotated[
    str,
    AfterValidator(_sql_instance),
    _text(SQL_PATTERN, "SQL Server instance: SERVER, SERVER\\INSTANCE or SERVER,PORT"),
]
Account = Annotated[
    str,
    AfterValidator(
        _name_check(
            "account", _ACCOUNT, "is not a Windows account in the form DOMAIN\\name"
        )
    ),
    _text(ACCOUNT_PATTERN, "Windows account DOMAIN\\name (a gMSA ends in $)"),
]
DatabaseName = Annotated[
    str,
    AfterValidator(_name_check("database_name", _DB, "is not a usable database name")),
    _text(DB_PATTERN, "SQL Server database name"),
]
SiteName = Annotated[
    str,
    AfterValidator(
        _name_check(
            "site_name",
            _SITE,
            "is not a usable site name (letters, digits, '.', '_', '-')",
        )
    ),
    _text(SITE_PATTERN, "DR site name; also a folder name under out/"),
]
AppPool = Annotated[
    str,
    AfterValidator(
        _name_check(
            "app_pool",
            _APP_POOL,
            "is not a usable IIS application pool name "
            "(letters, digits, spaces, '.', '_', '-', '(' or ')'; at most 64)",
        )
    ),
    _text(APP_POOL_PATTERN, "IIS application pool name"),
]
Label = Annotated[str, Field(min_length=1, max_length=128)]
Reason = Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")]
BizTalkVersion = Literal["2013R2", "2016", "2020"]
# The versions drgen knows, oldest first (discovery maps ProductVersion onto them).
VERSIONS: tuple[str, ...] = typing.get_args(BizTalkVersion)
Version = Annotated[
    BizTalkVersion,
    BeforeValidator(_version),
    WithJsonSchema(
        {
            "enum": [*VERSIONS, 2016, 2020],
            "description": "BizTalk Server version",
        }
    ),
]

# gmsa-config.md: "BizTalk Server 2020 and newer supports Group Managed Service
# Accounts"; 2020 answer files also carry IsGmsaAccount in NTService elements.
VERSIONS_WITH_GMSA = frozenset({"2020"})


def is_gmsa_account(account: str) -> bool:
    """A group managed service account: Windows names every gMSA with a final '$'
    (gmsa-config.md: "Be sure the user name is set to the correct gMSA")."""
    return account.endswith("$")


Role = Literal[
    "sso_master_secret", "update_databases", "rules_engine", "iis", "bam_alerts"
]
ROLES: tuple[str, ...] = typing.get_args(Role)
DEFAULT_CAPACITY_RATIO = 1.5


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class Database(_Model):
    """A production database: its SQL instance and name."""

    server: SqlInstance
    name: DatabaseName


class MessageBox(Database):
    """A MessageBox database; exactly one is the master."""

    master: bool = Field(False, description="the master MessageBox (exactly one)")


class OtherDatabase(Database):
    """A custom database carried to DR by the Backup BizTalk Server job."""

    backup_name: Label = Field(
        description="the name it is registered under in the Backup BizTalk Server "
        "job (adm_OtherBackupDatabases.DefaultDatabaseName); UpdateDatabase.vbs "
        "updates the row with exactly this name, and silently nothing otherwise"
    )
    label: Label | None = Field(
        None, description="a display name for the runbook (default: backup_name)"
    )


class Bam(_Model):
    """BAM databases (only primary_import is required when BAM is used)."""

    primary_import: Database
    archive: Database | None = None
    star_schema: Database | None = None
    analysis: Database | None = None
    alerts_application: Database | None = None
    alerts_instance: Database | None = None


class Databases(_Model):
    """Every database of the production group."""

    management: Database
    sso: Database
    messageboxes: Annotated[tuple[MessageBox, ...], Field(min_length=1)]
    tracking: Database
    rule_engine: Database | None = None
    bam: Bam | None = None
    other: tuple[OtherDatabase, ...] = ()


class Sso(_Model):
    """Enterprise SSO of the production group."""

    master_secret_server: ComputerName


class Accounts(_Model):
    """Service account names (never passwords: those are prompted on the server)."""

    sso_service: Account
    rule_engine_service: Account | None = None

    @property
    def rule_engine_is_gmsa(self) -> bool:
        """The Rule Engine Update Service runs as a gMSA (its name ends in '$')."""
        return self.rule_engine_service is not None and is_gmsa_account(
            self.rule_engine_service
        )


class Host(_Model):
    """A BizTalk host of the group."""

    name: HostName
    type: Literal["in-process", "isolated"] = Field(
        "in-process", description="isolated hosts run in IIS (DR role 'iis')"
    )
    trusted: bool = False
    windows_group: Label
    account: Account
    gmsa: bool | None = Field(
        None,
        description="a group managed service account (BizTalk 2020 only); optional: "
        "an account name ending in '$' is a gMSA, and a value that contradicts the "
        "name is an error",
        validate_default=True,
    )
    app_pools: tuple[AppPool, ...] | None = Field(
        None,
        description="isolated hosts (required): the IIS application pools that run "
        "their receive locations (stopped and not auto-started while the DR site is "
        "dormant); [] when the host runs none",
    )

    @field_validator("gmsa")
    @classmethod
    def _gmsa_from_name(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        # Left out, the flag is what the name says, so an inventory means the same
        # with or without it (the bundle id hashes the model, not the file).
        account = info.data.get("account")
        if value is None and isinstance(account, str):
            return is_gmsa_account(account)
        return value

    @property
    def is_gmsa(self) -> bool:
        """A gMSA: its account name ends in '$' (gmsa-config.md)."""
        return is_gmsa_account(self.account)

    @property
    def pools(self) -> tuple[str, ...]:
        """Its IIS application pools (none when the inventory lists none)."""
        return self.app_pools or ()


class Group(_Model):
    """The production BizTalk group."""

    name: Label
    biztalk_version: Version
    biztalk_cu: (
        Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}$")] | None
    ) = Field(
        None,
        description="cumulative update level, e.g. CU5 (optional; drgen drift "
        "compares it with what discovery reads in production)",
    )
    databases: Databases
    sso: Sso
    accounts: Accounts
    hosts: Annotated[tuple[Host, ...], Field(min_length=1)]


class ProductionServer(_Model):
    """A production runtime server and the host instances it runs."""

    name: ComputerName
    host_instances: tuple[HostName, ...] = ()


class Production(_Model):
    """The production runtime servers."""

    servers: Annotated[tuple[ProductionServer, ...], Field(min_length=1)]


class DrServer(_Model):
    """A DR runtime server: whom it mirrors, its roles, optionally its instances."""

    name: ComputerName
    mirrors: tuple[ComputerName, ...] = Field(
        (), description="production servers whose host instances this server takes over"
    )
    roles: tuple[Role, ...] = ()
    host_instances: tuple[HostName, ...] | None = Field(
        None, description="overrides the union of the mirrored servers' instances"
    )


class NotMirrored(_Model):
    """A production server deliberately left without a DR server, and why."""

    server: ComputerName = Field(description="the production server")
    reason: Reason = Field(description="why no DR server takes it over")


class DrSite(_Model):
    """The DR site: SQL mapping, DR runtime servers, capacity threshold."""

    site: SiteName
    # "production": the seed procedure, DR servers join the production group now.
    join_mode: Literal["production"] = "production"
    sql: dict[SqlInstance, SqlInstance] = Field(
        description="production SQL instance -> DR SQL instance"
    )
    servers: Annotated[tuple[DrServer, ...], Field(min_length=1)]
    not_mirrored: tuple[NotMirrored, ...] = Field(
        (), description="production servers deliberately without a DR server"
    )
    capacity_warning_ratio: Annotated[
        float, Field(ge=1.0, le=100.0, strict=True, allow_inf_nan=False)
    ] = Field(
        DEFAULT_CAPACITY_RATIO,
        description="warn when a DR server takes over more than this many times "
        "the host instances of the busiest production server",
    )


class Inventory(_Model):
    """A whole inventory file."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        title="drgen inventory (schema drgen/v1)",
    )

    schema_id: Literal["drgen/v1"] = Field(
        alias="schema", description="the inventory schema version"
    )
    group: Group
    production: Production
    dr: DrSite


def model_sha256(inventory: Inventory) -> str:
    """SHA-256 of what an inventory means: its validated model as canonical JSON.

    Comments, blank lines, key order, quoting and defaults written out or left
    to their default do not change it; the bundle id and the scripts carry it, so
    a cosmetic edit renders a byte-identical bundle.
    """
    data = inventory.model_dump(mode="json", by_alias=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON Schema as ``schema/`` commits it (by alias, draft 2020-12);
    ``schema_text`` is its text. The discovery and drill-result models
    use it too."""
    return {"$schema": JSON_SCHEMA_DIALECT, **model.model_json_schema(by_alias=True)}


def schema_text(schema: dict[str, Any]) -> str:
    """A JSON Schema as ``drgen schema`` prints it (and ``schema/`` commits it)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an inventory, as committed in ``schema/``."""
    return model_schema(Inventory)


def nested_model(annotation: Any) -> Any:
    """The model class inside ``X | None``, ``tuple[X, ...]`` or ``Annotated[...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = nested_model(arg)
        if found is not None:
            return found
    return None
