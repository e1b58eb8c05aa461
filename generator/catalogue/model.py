"""A catalogue entry: a name used on the target, its source and its confidence.

A name here is anything a generated file relies on being spelled exactly so on a
BizTalk server: a WMI class, property or method, a registry key or value, a service,
an executable and its switches, a SQL table or column, an XML element or attribute,
an answer-file ID, a line a tool prints. Each entry says where the spelling comes
from and how sure we are; entries below ``documented`` say how a lab settles them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


class Confidence(enum.StrEnum):
    """How a name is known, best first."""

    DOCUMENTED = "documented"  # a Microsoft documentation page states it
    OBSERVED = "observed"  # public scripts or real exports use it
    INFERRED = "inferred"  # reasoned from the sources; no source states it

    @property
    def rank(self) -> int:
        """0 for documented, 2 for inferred."""
        return list(Confidence).index(self)


class Kind(enum.StrEnum):
    """What sort of name an entry is."""

    WMI_NAMESPACE = "wmi-namespace"
    WMI_CLASS = "wmi-class"
    WMI_PROPERTY = "wmi-property"
    WMI_METHOD = "wmi-method"
    REGISTRY_KEY = "registry-key"
    REGISTRY_VALUE = "registry-value"
    SERVICE = "service"
    EXECUTABLE = "executable"
    SWITCH = "switch"
    FILE = "file"
    FOLDER = "folder"
    SQL_TABLE = "sql-table"
    SQL_COLUMN = "sql-column"
    XML_ELEMENT = "xml-element"
    XML_ATTRIBUTE = "xml-attribute"
    ANSWER_VALUE = "answer-value"  # feature names, question IDs, answer GUIDs
    OUTPUT = "output"  # what a tool prints, a log line format
    VERSION = "version"  # a product version prefix
    BEHAVIOUR = "behaviour"  # how a tool or service behaves (not a spelling)
    PLATFORM = "platform"  # a .NET or PowerShell member the scripts use
    SQL_JOB = "sql-job"  # a SQL Server Agent job the runbook names
    SQL_PROCEDURE = "sql-procedure"  # a stored procedure the runbook has a DBA run
    SSIS_PACKAGE = "ssis-package"  # an SSIS package prefix, or the SSIS Catalog
    CONFIG_KEY = "config-key"  # an appSettings key of a .config file


#: Probe methods the lab probe (Test-DrLabFacts.ps1) implements, with the meaning of
#: their arguments. Every probe is read-only.
PROBE_METHODS: Mapping[str, str] = MappingProxyType(
    {
        "wmi-class": "class: the class exists in the BizTalk WMI namespace",
        "wmi-property": "class, property: the class declares the property",
        "wmi-writable": "class, property: the property carries the Write qualifier",
        "wmi-method": "class, method, parameters...: the method and its parameters",
        "registry-value": "key, value: the value exists on a configured server",
        "service": "name: the Windows service is installed",
        "file": "folder id, file: the file exists in that folder",
        "file-mentions": "folder id, file, text: the file contains the text",
        "sql-column": "table, column: the management database has the column",
        "sso-sql-column": "table, column: the SSO database has the column",
        "displaydb-label": "pattern: a line of `ssomanage -displaydb` matches",
        "log-line": "pattern: a line of the newest Configuration log matches",
        "product-version": "prefix: HKLM BizTalk ProductVersion starts with it",
        "bam-sql-column": "table, column: the BAM Primary Import database has the "
        "column",
        "bam-configuration": "unit, property: the newest BAM configuration in the BAM "
        "Primary Import database has that DeploymentUnit with that Property",
        "sql-row": "table, column, value: a row of the management database has the "
        "value in the column",
    }
)


@dataclass(frozen=True, slots=True)
class Probe:
    """How the lab probe checks an entry: a method and its arguments."""

    method: str
    args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.method not in PROBE_METHODS:
            msg = f"unknown probe method {self.method!r}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Entry:
    """One name used on the target, with where it comes from.

    Attributes:
        id: Stable key, ``<kind prefix>:<name>``; templates and the plan use it.
        kind: What sort of name this is.
        name: The exact spelling on the target.
        source: A MicrosoftDocs/biztalk-docs path, a public script or export, or
            ``inferred: <reasoning>``.
        confidence: documented, observed or inferred.
        note: What the name is for, and anything a reviewer should know.
        probe: How the lab probe checks it (entries below documented).
        settle: For an entry below documented that no read-only probe can check:
            how a lab or a drill settles it.
        if_failed: What to change in drgen when the probe finds it false.
    """

    id: str
    kind: Kind
    name: str
    source: str
    confidence: Confidence
    note: str = ""
    probe: Probe | None = None
    settle: str = ""
    if_failed: str = ""

    def __post_init__(self) -> None:
        if ":" not in self.id:
            msg = f"catalogue id {self.id!r} has no kind prefix"
            raise ValueError(msg)
        if not self.source.strip():
            msg = f"catalogue entry {self.id!r} has no source"
            raise ValueError(msg)
        if self.confidence is Confidence.INFERRED and not self.source.startswith(
            "inferred"
        ):
            msg = f"inferred entry {self.id!r}: its source must say 'inferred: why'"
            raise ValueError(msg)

    @property
    def below_documented(self) -> bool:
        """Whether a lab (or a drill) still has to confirm it."""
        return self.confidence is not Confidence.DOCUMENTED

    def as_json(self) -> dict[str, object]:
        """The entry for ``drgen facts --format json``."""
        data: dict[str, object] = {
            "id": self.id,
            "kind": str(self.kind),
            "name": self.name,
            "source": self.source,
            "confidence": str(self.confidence),
        }
        if self.note:
            data["note"] = self.note
        if self.probe is not None:
            data["probe"] = {"method": self.probe.method, "args": list(self.probe.args)}
        if self.settle:
            data["settle"] = self.settle
        if self.if_failed:
            data["if_failed"] = self.if_failed
        return data


@dataclass(frozen=True)
class Catalogue:
    """Every entry, by id; ``catalogue[id]`` is the name to print.

    Templates subscript it (``n['svc:ENTSSO']``): an unknown id fails the render.
    """

    entries: tuple[Entry, ...]
    _by_id: Mapping[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, Entry] = {}
        for entry in self.entries:
            if entry.id in by_id:
                msg = f"catalogue id {entry.id!r} is defined twice"
                raise ValueError(msg)
            by_id[entry.id] = entry
        object.__setattr__(self, "_by_id", MappingProxyType(by_id))

    def __getitem__(self, entry_id: str) -> str:
        return self._by_id[entry_id].name

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, entry_id: str) -> Entry:
        """The whole entry for an id (KeyError when unknown)."""
        return self._by_id[entry_id]

    def names(self, *kinds: Kind) -> frozenset[str]:
        """Every spelling of the given kinds, as written on the target."""
        return frozenset(e.name for e in self.entries if e.kind in kinds)

    def of_kind(self, *kinds: Kind) -> tuple[Entry, ...]:
        """The entries of the given kinds, in catalogue order."""
        return tuple(e for e in self.entries if e.kind in kinds)

    def below_documented(self) -> tuple[Entry, ...]:
        """Entries a lab or a drill still has to confirm."""
        return tuple(e for e in self.entries if e.below_documented)


_SQL_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def sql_identifier(name: str) -> str:
    """``name`` itself, checked to be a plain SQL identifier (no quoting needed).

    Queries are built from catalogue names only, never from inventory text; this
    check makes that string building safe by construction.
    """
    if not _SQL_IDENTIFIER.fullmatch(name):
        msg = f"not a SQL identifier: {name!r}"
        raise ValueError(msg)
    return name


def ids(entries: Iterable[Entry]) -> tuple[str, ...]:
    """The ids of some entries, in order."""
    return tuple(e.id for e in entries)
