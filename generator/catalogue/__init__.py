"""The one catalogue of names drgen uses on a BizTalk server, each with its source.

Templates take names only from here (``n['svc:ENTSSO']``), tests check that every
name a rendered file uses is here, ``drgen facts`` prints it, and the lab probe
(Test-DrLabFacts.ps1) checks on a real server every entry below ``documented``.
"""

from __future__ import annotations

from typing import Final

from generator.catalogue import (
    bam,
    behaviour,
    platform,
    procedure,
    registry,
    services,
    sql,
    tools,
    wmi,
    xml,
)
from generator.catalogue.model import (
    PROBE_METHODS,
    Catalogue,
    Confidence,
    Entry,
    Kind,
    Probe,
)

CATALOGUE: Final = Catalogue(
    (
        *wmi.ENTRIES,
        *registry.ENTRIES,
        *services.ENTRIES,
        *tools.ENTRIES,
        *behaviour.ENTRIES,
        *sql.ENTRIES,
        *xml.ENTRIES,
        *platform.ENTRIES,
        *bam.ENTRIES,
        *procedure.ENTRIES,
    )
)

__all__ = [
    "CATALOGUE",
    "PROBE_METHODS",
    "Catalogue",
    "Confidence",
    "Entry",
    "Kind",
    "Probe",
]
