"""The validated, frozen inventory model (schema ``drgen/v1``).

``parse_inventory`` turns a ``RawDocument`` into an ``Inventory`` or raises one
``InventoryError`` carrying every problem found, each with its file position.
``json_schema`` is the JSON Schema of the model, committed as
``schema/drgen-v1.schema.json`` for editors.
"""

from __future__ import annotations

import datetime
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
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from generator.errors import Diagnostic, InventoryError
from generator.inventory import YAML11_BOOLEANS, Path_, RawDocument

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
# C0 and C1 controls, DEL, Unicode line breaks, lone surrogates and the two
# non-characters XML 1.0 forbids: none belongs in a one-line inventory value.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")

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
Version = Annotated[
    Literal["2013R2", "2016", "2020"],
    BeforeValidator(_version),
    WithJsonSchema(
        {
            "enum": ["2013R2", "2016", "2020", 2016, 2020],
            "description": "BizTalk Server version",
        }
    ),
]

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


class Host(_Model):
    """A BizTalk host of the group."""

    name: HostName
    type: Literal["in-process", "isolated"] = Field(
        "in-process", description="isolated hosts run in IIS (DR role 'iis')"
    )
    trusted: bool = False
    windows_group: Label
    account: Account
    gmsa: bool = Field(
        False, description="a group managed service account (BizTalk 2020 only)"
    )
    app_pools: tuple[AppPool, ...] = Field(
        (),
        description="isolated hosts: the IIS application pools that run their "
        "receive locations (stopped and not auto-started while the DR site is dormant)",
    )


class Group(_Model):
    """The production BizTalk group."""

    name: Label
    biztalk_version: Version
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


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an inventory, as committed in ``schema/``."""
    schema = Inventory.model_json_schema(by_alias=True)
    return {"$schema": JSON_SCHEMA_DIALECT, **schema}


_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|credential|private[_-]?key|token", re.I
)


def _unwrap(annotation: Any) -> Any:
    """The model class inside ``X | None``, ``tuple[X, ...]`` or ``Annotated[...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _unwrap(arg)
        if found is not None:
            return found
    return None


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


_SCHEMA_KEYS = _schema_keys()


def printable(text: str) -> str:
    """``text`` with every non-printable character escaped: one line, always."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shown(value: object) -> str:
    """A value as it may appear on one line of a diagnostic."""
    text = printable(str(value))
    return text if len(text) <= 60 else text[:57] + "..."


def dotted(path: Path_) -> str:
    """``dr.servers[2].name`` for the key path ``("dr", "servers", 2, "name")``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + shown(part)
    return text or "(top level)"


def _prescan(doc: RawDocument) -> tuple[list[Diagnostic], set[Path_]]:
    """Problems pydantic cannot see: secret-looking keys and control characters.

    Also returns the paths of the secret-looking keys: nothing below them may be
    echoed by another diagnostic.
    """
    found: list[Diagnostic] = []
    secrets: set[Path_] = set()

    def visit(value: Any, path: Path_) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if (
                    isinstance(key, str)
                    and key not in _SCHEMA_KEYS
                    and _SECRET_KEY.search(key)
                ):
                    secrets.add((*path, key))
                    found.append(
                        Diagnostic(
                            doc.locate((*path, key)),
                            "secret-in-inventory",
                            f"'{shown(key)}' looks like a secret; an inventory never "
                            "holds passwords",
                            hint="remove it: passwords are prompted on the DR server "
                            "at run time and never stored",
                        )
                    )
                if isinstance(key, str) and _CONTROL.search(key):
                    found.append(
                        Diagnostic(
                            doc.locate((*path, key)),
                            "control-character",
                            f"key '{shown(key)}' contains a control character "
                            "or line break",
                            hint="inventory keys and values are single-line text",
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
                    f"{dotted(path)}: value contains a control character or line break",
                    hint="inventory values are single-line text",
                )
            )

    visit(doc.data, ())
    return found, secrets


def _allowed_keys(loc: Path_) -> list[str]:
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


def _got(value: Any, spelled: str | None) -> str:
    """What YAML made of a value, for "expected X, got Y" messages."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"the boolean {spelled or value}"
    if isinstance(value, int | float):
        return f"the number {spelled or value}"
    if isinstance(value, datetime.date):
        return f"the date {spelled or value}"
    if isinstance(value, str):
        return f"'{shown(value)}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple | set):
        return "a list"
    return f"a value of type {type(value).__name__}"


_EXPECTED = {
    "string_type": "text",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
}


_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}


def _yaml_hint(value: Any, spelled: str | None) -> str | None:
    """The "quote it" hint when YAML 1.1 turned text into another type."""
    if spelled is None or isinstance(value, str):
        return None
    if isinstance(value, bool) and spelled.lower() in YAML11_BOOLEANS:
        return f"YAML reads unquoted {spelled} as a boolean; quote it: '{spelled}'"
    if isinstance(value, int) and re.fullmatch(r"[-+]?0[0-7_]+", spelled):
        return (
            f"YAML reads unquoted {spelled} as the octal number {value}; "
            f"quote it: '{spelled}'"
        )
    if isinstance(value, int | float) and ":" in spelled:
        return (
            f"YAML reads unquoted {spelled} as the base-60 number {value}; "
            f"quote it: '{spelled}'"
        )
    if value is None:
        return "write a value, or remove the key" if not spelled else None
    return f"YAML reads unquoted {shown(spelled)} as {_got(value, spelled)}; quote it"


def _close(word: str, choices: list[str]) -> list[str]:
    """The choice ``word`` most likely misspells (case does not count)."""
    by_lower = {c.lower(): c for c in choices}
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=1)
    return [by_lower[f] for f in found]


def _value_at(data: Any, path: Path_) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _document_path(error: Any, doc: RawDocument) -> Path_:
    """The key path of a pydantic error, without pydantic's own loc entries."""
    loc: Path_ = ()
    for part in error["loc"]:
        # Union members appear in loc as type names ("tuple[...]", "[key]"); a real
        # key of the document is kept even when it contains a bracket.
        if isinstance(part, str) and "[" in part and (*loc, part) not in doc.positions:
            continue
        loc = (*loc, part)
    return loc


def _diagnostic_for(error: Any, doc: RawDocument) -> Diagnostic:
    loc = _document_path(error, doc)
    kind = str(error["type"])
    where = dotted(loc)
    if kind == "missing":
        return Diagnostic(
            doc.locate(loc[:-1]),
            "missing-key",
            f"{dotted(loc[:-1])}: required key '{loc[-1]}' is missing",
        )
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = _close(key, _allowed_keys(loc))
        allowed = ", ".join(_allowed_keys(loc))
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else (f"allowed here: {allowed}" if allowed else None)
        )
        return Diagnostic(
            doc.locate(loc),
            "unknown-key",
            f"{dotted(loc[:-1])}: unknown key '{shown(key)}'",
            hint,
        )
    value = _value_at(doc.data, loc)
    spelled = doc.plain_scalars.get(loc)
    # Quoting helps only where text was expected.
    hint = (
        _yaml_hint(value, spelled)
        if kind in {"string_type", "literal_error", *NAME_CODES}
        else None
    )
    code = NAME_CODES.get(kind, "invalid-value")
    if kind in NAME_CODES:
        message = f"'{shown(error['input'])}' {error['msg']}"
    elif kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, got {_got(value, spelled)}"
    elif kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        choices = re.findall(r"'([^']*)'", expected)
        message = f"must be {expected}, not {_got(value, spelled)}"
        if hint is None and isinstance(value, str):
            close = _close(value, choices)
            hint = f"did you mean '{close[0]}'?" if close else None
    elif kind == "too_short" and isinstance(value, list | dict):
        message = "needs at least one entry"
    elif kind == "string_too_short":
        message = "must not be empty"
    elif kind in _BOUNDS:
        bound = error.get("ctx", {}).get(_BOUNDS[kind][1])
        message = f"must be {_BOUNDS[kind][0]} {bound}, not {_got(value, spelled)}"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
    return Diagnostic(
        doc.locate(loc),
        code,
        printable(f"{where}: {message}"),
        printable(hint) if hint else None,
    )


def _misspelt(errors: Any) -> set[tuple[Any, ...]]:
    """Locations of missing keys that an unknown sibling key is a misspelling of."""
    found: set[tuple[Any, ...]] = set()
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] != "extra_forbidden" or not isinstance(loc[-1], str):
            continue
        missing = {
            tuple(e["loc"])[-1]
            for e in errors
            if e["type"] == "missing" and tuple(e["loc"])[:-1] == loc[:-1]
        }
        close = _close(loc[-1], [str(m) for m in missing])
        if close:
            found.add((*loc[:-1], close[0]))
    return found


def parse_inventory(doc: RawDocument) -> Inventory:
    """Validate raw data into an ``Inventory``; raise with every problem at once."""
    problems, secrets = _prescan(doc)
    problems[:0] = doc.problems
    if not isinstance(doc.data, dict):
        problems.append(
            Diagnostic(
                doc.locate(()),
                "not-a-mapping",
                "the inventory must be a YAML mapping (key: value), "
                f"not {_got(doc.data, None)}",
            )
        )
        raise InventoryError(f"{doc.file}: invalid inventory", tuple(problems))
    inventory: Inventory | None = None
    try:
        inventory = Inventory.model_validate(doc.data)
    except ValidationError as exc:
        errors = exc.errors()
        misspelt = _misspelt(errors)
        for error in errors:
            loc = tuple(error["loc"])
            if error["type"] == "missing" and loc in misspelt:
                continue  # the unknown key's "did you mean" already says it
            if error["type"] == "string_unicode":
                continue  # a lone surrogate: reported as a control character
            path = _document_path(error, doc)
            if any(path[: len(secret)] == secret for secret in secrets):
                # Reported once, as a secret; never echo the value or its shape.
                continue
            problems.append(_diagnostic_for(error, doc))
    if problems or inventory is None:
        raise InventoryError(f"{doc.file}: invalid inventory", tuple(problems))
    return inventory
