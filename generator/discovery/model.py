"""The discovery file (schema ``drgen/discovery-v1``): what production looks like.

``Export-BizTalkGroup.ps1`` writes it on a production BizTalk server and
``drgen discover --simulate`` prints it; ``drgen import`` and ``drgen drift``
read it. Values are kept as BizTalk returns them (WMI host type numbers,
``DOMAIN\\user`` logons, names in the case they are stored in); turning them into
inventory terms is ``generator.discovery.importer``.

Forward compatibility: unknown keys inside any object are ignored (a newer
script may report more), but the schema id must be exactly
``drgen/discovery-v1``: a file of another version is refused, never guessed at.
Every problem of a file is a located ``DiscoveryError`` (``FILE:LINE:COL``, exit
code 3, the code of every invalid input), and nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from generator.errors import Diagnostic, DiscoveryError, Location, relative_display
from generator.files.jsonfile import LineIndex, decode
from generator.files.textfile import TextDecodeError, decode_text
from generator.inventory.model import model_schema
from generator.schema_ids import DISCOVERY
from generator.text import dotted, shown

SCHEMA_ID = DISCOVERY
SCHEMA_FILE = "drgen-discovery-v1.schema.json"

# Larger than any real group's discovery (thousands of host instances is a few MB).
MAX_BYTES = 32 * 1024 * 1024

Path_ = tuple[str | int, ...]

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


# ------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class DiscoveryDocument:
    """A parsed, valid discovery file and the position of every key."""

    file: str
    discovery: Discovery
    positions: dict[Path_, tuple[int, int]]

    def locate(self, path: Path_) -> Location:
        """Location of ``path``, or of its nearest ancestor that exists."""
        return _locate(self.file, self.positions, path)


def _locate(
    file: str, positions: dict[Path_, tuple[int, int]], path: Path_
) -> Location:
    probe = tuple(path)
    while probe not in positions and probe:
        probe = probe[:-1]
    line, column = positions.get(probe, (1, 1))
    return Location(file, line, column)


_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


class _Positions:
    """Where each key and value of an already valid JSON text starts.

    ``json`` reports no positions, so this second, small pass over the text
    (which ``json.loads`` has accepted) records them by key path; a key's own
    position is kept, as for the inventory. Duplicate keys are collected here.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        # Line starts computed once: locating each key stays O(log lines).
        self.lines = LineIndex(text)
        self.found: dict[Path_, tuple[int, int]] = {}
        self.duplicates: list[tuple[Path_, int]] = []

    def skip(self, at: int) -> int:
        match = _WS.match(self.text, at)
        return match.end() if match else at

    def value(self, at: int, path: Path_) -> int:
        at = self.skip(at)
        self.found.setdefault(path, self.lines.position(at))
        char = self.text[at]
        if char == "{":
            return self.mapping(at + 1, path)
        if char == "[":
            return self.sequence(at + 1, path)
        if char == '"':
            return int(scanstring(self.text, at + 1)[1])
        for word in ("true", "false", "null"):
            if self.text.startswith(word, at):
                return at + len(word)
        match = _NUMBER.match(self.text, at)
        return match.end() if match else at + 1

    def mapping(self, at: int, path: Path_) -> int:
        seen: set[str] = set()
        at = self.skip(at)
        if self.text[at] == "}":
            return at + 1
        while True:
            at = self.skip(at)
            start = at
            key, at = scanstring(self.text, at + 1)
            if key in seen:
                self.duplicates.append(((*path, key), start))
            seen.add(key)
            self.found[(*path, key)] = self.lines.position(start)
            at = self.skip(at) + 1  # the colon
            at = self.value(at, (*path, key))
            # Positions of a later duplicate must not replace the first's.
            at = self.skip(at)
            if self.text[at] == "}":
                return at + 1
            at += 1  # the comma

    def sequence(self, at: int, path: Path_) -> int:
        at = self.skip(at)
        if self.text[at] == "]":
            return at + 1
        index = 0
        while True:
            at = self.value(at, (*path, index))
            index += 1
            at = self.skip(at)
            if self.text[at] == "]":
                return at + 1
            at += 1


def _error(
    file: str, where: Location, code: str, message: str, hint: str | None = None
) -> DiscoveryError:
    return DiscoveryError(
        f"{file}: invalid discovery file", (Diagnostic(where, code, message, hint),)
    )


def _decode(text: str, file: str) -> Any:
    def located(line: int, column: int, message: str) -> DiscoveryError:
        return _error(file, Location(file, line, column), "json-syntax", message)

    return decode(text, located, constants=False)


def _got(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"'{shown(value)}'"
    if isinstance(value, dict):
        return "an object"
    return "a list"


def _model_problem(
    error: Any, file: str, positions: dict[Path_, tuple[int, int]], data: Any
) -> Diagnostic:
    loc: Path_ = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
    kind = str(error["type"])
    if kind == "missing":
        return Diagnostic(
            _locate(file, positions, loc[:-1]),
            "missing-key",
            f"{dotted(loc[:-1])}: required key '{loc[-1]}' is missing",
        )
    value: Any = data
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            value = None
            break
    message = str(error["msg"]).removeprefix("Value error, ")
    return Diagnostic(
        _locate(file, positions, loc),
        "invalid-value",
        f"{dotted(loc)}: {message} (got {_got(value)})",
    )


def parse_discovery_text(text: str, file: str) -> DiscoveryDocument:
    """Parse and validate discovery JSON; raise ``DiscoveryError`` located."""
    data = _decode(text, file)
    scan = _Positions(text)
    try:
        scan.value(0, ())
    except (
        IndexError,
        ValueError,
        RecursionError,
    ):  # pragma: no cover - json accepted it
        scan.found.setdefault((), (1, 1))
    positions = scan.found
    if scan.duplicates:
        path, offset = scan.duplicates[0]
        line, column = scan.lines.position(offset)
        raise _error(
            file,
            Location(file, line, column),
            "duplicate-key",
            f"key '{shown(path[-1])}' appears twice in {dotted(path[:-1])}",
        )
    if not isinstance(data, dict):
        raise _error(
            file,
            _locate(file, positions, ()),
            "not-an-object",
            f"a discovery file is one JSON object, not {_got(data)}",
        )
    schema = data.get("schema")
    if schema != SCHEMA_ID:
        where = _locate(file, positions, ("schema",))
        if schema is None:
            message = f'this is not a drgen discovery file (no "schema": "{SCHEMA_ID}")'
        else:
            message = (
                f"unknown discovery schema {_got(schema)}; this drgen reads "
                f"'{SCHEMA_ID}'"
            )
        raise _error(
            file,
            where,
            "discovery-schema",
            message,
            hint="run the Export-BizTalkGroup.ps1 that this drgen version renders "
            "(drgen discover)",
        )
    try:
        discovery = Discovery.model_validate(data)
    except ValidationError as exc:
        problems = tuple(_model_problem(e, file, positions, data) for e in exc.errors())
        raise DiscoveryError(f"{file}: invalid discovery file", problems) from None
    return DiscoveryDocument(file, discovery, positions)


def load_discovery(path: Path) -> DiscoveryDocument:
    """Read ``path`` as JSON: UTF-8 (a BOM, as PowerShell 5.1 writes, is allowed),
    or UTF-16 with a byte order mark (``generator.files.textfile``)."""
    file = relative_display(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _error(
            file,
            Location(file),
            "unreadable",
            f"cannot read discovery file: {exc.strerror or exc}",
        ) from None
    if len(raw) > MAX_BYTES:
        raise _error(
            file, Location(file), "too-large", f"larger than {MAX_BYTES} bytes"
        )
    try:
        text = decode_text(raw, "discovery file")
    except TextDecodeError as exc:
        raise _error(
            file,
            Location(file, exc.line, exc.column),
            "encoding",
            exc.message,
            exc.hint,
        ) from None
    return parse_discovery_text(text, file)
