"""The validated, frozen inventory model (schema ``drgen/v1``).

``parse_inventory`` turns a ``RawDocument`` into an ``Inventory`` or raises one
``InventoryError`` carrying every problem found, each with its file position.
"""

from __future__ import annotations

import difflib
import re
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from generator.errors import Diagnostic, InventoryError
from generator.inventory import YAML11_BOOLEANS, Path_, RawDocument

SCHEMA_ID = "drgen/v1"

_NETBIOS = re.compile(r"^[A-Za-z0-9-]{1,15}$")
_HOST = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
_SQL = re.compile(
    r"^[A-Za-z0-9-]{1,15}(\.[A-Za-z0-9-]+)*(\\[A-Za-z0-9_$#-]{1,16}|,[0-9]{1,5})?$"
)
_ACCOUNT = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9.-]{0,14}\\[^\\/\"\[\]:;|=,+*?<>@]{1,64}$"
)
_DB = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_$#@. -]{0,127}$")
_SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def _computer_name(value: str) -> str:
    if not _NETBIOS.match(value) or value.isdigit():
        msg = (
            f"'{value}' is not a valid computer name "
            "(1-15 letters, digits or hyphens, not all digits)"
        )
        raise ValueError(msg)
    return value


def _host_name(value: str) -> str:
    if not _HOST.match(value):
        msg = (
            f"'{value}' is not a valid BizTalk host name "
            "(at most 80 letters, digits, '_', '-' or '.'; no spaces)"
        )
        raise ValueError(msg)
    return value


def _sql_instance(value: str) -> str:
    if not _SQL.match(value):
        msg = (
            f"'{value}' is not a SQL Server instance "
            "(SERVER, SERVER\\INSTANCE or SERVER,PORT)"
        )
        raise ValueError(msg)
    return value


def _account(value: str) -> str:
    if not _ACCOUNT.match(value):
        msg = f"'{value}' is not a Windows account in the form DOMAIN\\name"
        raise ValueError(msg)
    return value


def _database(value: str) -> str:
    if not _DB.match(value):
        msg = f"'{value}' is not a usable database name"
        raise ValueError(msg)
    return value


def _site(value: str) -> str:
    if not _SITE.match(value):
        msg = f"'{value}' is not a usable site name (letters, digits, '.', '_', '-')"
        raise ValueError(msg)
    return value


def _version(value: Any) -> Any:
    # An unquoted 2020 is an int in YAML; accept it rather than force quoting.
    return (
        str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    )


ComputerName = Annotated[str, AfterValidator(_computer_name)]
HostName = Annotated[str, AfterValidator(_host_name)]
SqlInstance = Annotated[str, AfterValidator(_sql_instance)]
Account = Annotated[str, AfterValidator(_account)]
DatabaseName = Annotated[str, AfterValidator(_database)]
SiteName = Annotated[str, AfterValidator(_site)]
Label = Annotated[str, Field(min_length=1, max_length=128)]

Role = Literal[
    "sso_master_secret", "update_databases", "rules_engine", "iis", "bam_alerts"
]
ROLES: tuple[str, ...] = typing.get_args(Role)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class Database(_Model):
    """A production database: its SQL instance and name."""

    server: SqlInstance
    name: DatabaseName


class MessageBox(Database):
    """A MessageBox database; exactly one is the master."""

    master: bool = False


class OtherDatabase(Database):
    """A custom database carried to DR by the Backup BizTalk Server job."""

    label: Label


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


class Host(_Model):
    """A BizTalk host of the group."""

    name: HostName
    type: Literal["in-process", "isolated"] = "in-process"
    trusted: bool = False
    windows_group: Label
    account: Account
    gmsa: bool = False


class Group(_Model):
    """The production BizTalk group."""

    name: Label
    biztalk_version: Annotated[
        Literal["2013R2", "2016", "2020"], BeforeValidator(_version)
    ]
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
    mirrors: tuple[ComputerName, ...] = ()
    roles: tuple[Role, ...] = ()
    host_instances: tuple[HostName, ...] | None = None


class DrSite(_Model):
    """The DR site: SQL mapping and DR runtime servers."""

    site: SiteName
    # "production": the seed procedure, DR servers join the production group now.
    join_mode: Literal["production"] = "production"
    sql: dict[SqlInstance, SqlInstance]
    servers: Annotated[tuple[DrServer, ...], Field(min_length=1)]


class Inventory(_Model):
    """A whole inventory file."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_id: Literal["drgen/v1"] = Field(alias="schema")
    group: Group
    production: Production
    dr: DrSite


_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|credential|private[_-]?key|token", re.I
)


def _schema_keys() -> frozenset[str]:
    """Every key the schema defines (some, like master_secret_server, look secret)."""
    keys: set[str] = set()
    pending: list[Any] = [Inventory]
    while pending:
        model = pending.pop()
        for name, info in model.model_fields.items():
            keys.add(info.alias or name)
            inner = _unwrap(info.annotation)
            if inner is not None:
                pending.append(inner)
    return frozenset(keys)


def _prescan(doc: RawDocument) -> list[Diagnostic]:
    """Problems pydantic cannot see: secret-looking keys and control characters."""
    found: list[Diagnostic] = []

    def visit(value: Any, path: Path_) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if (
                    isinstance(key, str)
                    and key not in _SCHEMA_KEYS
                    and _SECRET_KEY.search(key)
                ):
                    found.append(
                        Diagnostic(
                            doc.locate((*path, key)),
                            "secret-in-inventory",
                            f"'{key}' looks like a secret; an inventory never holds "
                            "passwords",
                            hint="remove it: passwords are prompted on the DR server "
                            "at run time and never stored",
                        )
                    )
                visit(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, (*path, index))
        elif isinstance(value, str) and _CONTROL.search(value):
            found.append(
                Diagnostic(
                    doc.locate(path),
                    "control-character",
                    "value contains a control character or line break",
                    hint="inventory values are single-line text",
                )
            )

    visit(doc.data, ())
    return found


def _allowed_keys(loc: tuple[str | int, ...]) -> list[str]:
    """Field names (aliases) accepted at the mapping that ``loc`` points into."""
    model: Any = Inventory
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = model.model_fields
        name = next(
            (n for n, f in fields.items() if (f.alias or n) == part),
            None,
        )
        if name is None:
            return []
        model = _unwrap(fields[name].annotation)
        if model is None:
            return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _unwrap(annotation: Any) -> Any:
    """The model class inside ``X | None``, ``tuple[X, ...]`` or ``Annotated[...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _unwrap(arg)
        if found is not None:
            return found
    return None


def _diagnostic_for(error: Any, doc: RawDocument) -> Diagnostic:
    loc: tuple[str | int, ...] = tuple(
        p for p in error["loc"] if not (isinstance(p, str) and "[" in p)
    )
    kind = error["type"]
    where = ".".join(str(p) for p in loc) or "(top level)"
    hint = None
    if kind == "missing":
        return Diagnostic(
            doc.locate(loc[:-1]),
            "missing-key",
            f"{where}: required key '{loc[-1]}' is missing",
        )
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, _allowed_keys(loc), n=1)
        hint = f"did you mean '{close[0]}'?" if close else None
        return Diagnostic(
            doc.locate(loc), "unknown-key", f"{where}: unknown key '{key}'", hint
        )
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    spelled = doc.plain_scalars.get(loc)
    if (
        spelled is not None
        and spelled.lower() in YAML11_BOOLEANS
        and kind.endswith("_type")
    ):
        hint = f"YAML reads unquoted {spelled} as a boolean; quote it: '{spelled}'"
    elif spelled is not None and re.fullmatch(r"0[0-9]+", spelled):
        hint = f"YAML may read {spelled} as an octal number; quote it: '{spelled}'"
    return Diagnostic(doc.locate(loc), "invalid-value", f"{where}: {message}", hint)


_SCHEMA_KEYS = _schema_keys()


def parse_inventory(doc: RawDocument) -> Inventory:
    """Validate raw data into an ``Inventory``; raise with every problem at once."""
    problems = _prescan(doc)
    if not isinstance(doc.data, dict):
        problems.append(
            Diagnostic(
                doc.locate(()),
                "not-a-mapping",
                "the inventory must be a YAML mapping (key: value)",
            )
        )
        raise InventoryError(f"{doc.file}: invalid inventory", tuple(problems))
    inventory: Inventory | None = None
    try:
        inventory = Inventory.model_validate(doc.data)
    except ValidationError as exc:
        secret_at = {d.location for d in problems if d.code == "secret-in-inventory"}
        for error in exc.errors():
            found = _diagnostic_for(error, doc)
            # A secret-looking key is reported once, as a secret, not also as unknown.
            if not (found.code == "unknown-key" and found.location in secret_at):
                problems.append(found)
    if problems or inventory is None:
        raise InventoryError(f"{doc.file}: invalid inventory", tuple(problems))
    return inventory
