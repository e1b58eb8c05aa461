"""What each artifact is made from: one frozen value per kind of artifact.

A document template (XML, runbook) prints its context; a script's code template
sees no context at all (its code is the same in every bundle) and its context
becomes the script's data block (``script_data``). The plan builds every context
except two facts that exist only once other files are rendered: the SHA-256 of
the data files a script vouches for (``hashes``) and the file list of the site's
bundle check (``expected_files``). The bundle stage fills those in.

Names used on the target come from the catalogue, which every template sees as
the Jinja global ``n`` (``render.make_environment``), not as a context field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from generator.schema_ids import TEST_RESULT

if TYPE_CHECKING:
    from generator.plan.runbook import RunbookDocument
    from generator.plan.servers import AnswerFile, ServerPlan
    from generator.plan.siteplan import SitePlan


# One file of the bundle check's list: path relative to the site (backslashes),
# upper-case SHA-256, and for a script the upper-case SHA-256 of its code part.
FileRow = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Hashes:
    """SHA-256 of the data files a script reads (empty when it reads none)."""

    answers: str = ""
    update_info: str = ""
    update_info_rearm: str = ""
    secret_server: str = ""


@dataclass(frozen=True, slots=True)
class BundleIdentity:
    """Which render a script belongs to, as its drill result records it.

    ``bundle_id`` is ``generator.bundle.identity.bundle_id``; the others name the
    inventory and drgen version it was rendered from.
    """

    bundle_id: str
    inventory: str
    inventory_sha256: str
    drgen_version: str

    @property
    def result_schema(self) -> str:
        """The schema of the drill result the script writes."""
        return TEST_RESULT


# Before the bundle stage: a test script's identity is not known yet.
NO_IDENTITY = BundleIdentity("", "", "", "")


@dataclass(frozen=True, slots=True)
class SiteDocument:
    """UpdateInfo.xml, UpdateInfo-Rearm.xml, SecretServer.xml: the site's plan,
    printed."""

    site: SitePlan


@dataclass(frozen=True, slots=True)
class ScriptLines:
    """Where a script's data block is (1-based, inclusive) and how long it is."""

    path: str  # relative to the site, backslashes (as the admin sees it)
    kind: str  # the script's file name
    data_first: int
    data_last: int
    lines: int


@dataclass(frozen=True, slots=True)
class BundleReview:
    """What the runbooks tell a reviewer: the code hash of each script kind (once
    per release) and where each script's data block is (once per bundle)."""

    code: tuple[tuple[str, str], ...] = ()  # (kind, code SHA-256), by kind
    scripts: tuple[ScriptLines, ...] = ()  # the site's scripts, by path


@dataclass(frozen=True, slots=True)
class SiteRunbook:
    """Runbook.md and Runbook.html: the site's plan and the steps, tables and map
    decided from it."""

    site: SitePlan
    runbook: RunbookDocument
    # Filled in by the bundle stage: the id the drill results carry, so a signed
    # paper record names the bundle that drgen report judges.
    identity: BundleIdentity = NO_IDENTITY
    # Filled in by the bundle stage: the code hashes and data-block lines.
    review: BundleReview = BundleReview()


@dataclass(frozen=True, slots=True)
class ServerAnswers:
    """ConfigurationAnswers.xml of one DR server: what its answer file says.

    Only the answer file, not the server: most DR servers of a site share one
    (the same databases and accounts), and the renderer renders each once.
    """

    answers: AnswerFile


@dataclass(frozen=True, slots=True)
class ServerScript:
    """Initialize, Test, Enable, Disable and Reset of one DR server."""

    site: SitePlan
    server: ServerPlan
    script: str
    hashes: Hashes = field(default_factory=Hashes)
    # Filled in by the bundle stage; the script writes it into its drill result.
    identity: BundleIdentity = NO_IDENTITY


@dataclass(frozen=True, slots=True)
class SiteScript:
    """Update-DrGroupDatabases.ps1: runs once per site."""

    site: SitePlan
    script: str
    hashes: Hashes = field(default_factory=Hashes)


@dataclass(frozen=True, slots=True)
class LabProbe:
    """Test-DrLabFacts.ps1: the read-only lab probe of the site's version."""

    site: SitePlan
    script: str


@dataclass(frozen=True, slots=True)
class BundleCheck:
    """Test-DrBundle.ps1: the SHA-256 of every other file of its site."""

    site: SitePlan
    script: str
    # Filled in by the bundle stage: every other file of the site.
    expected_files: tuple[FileRow, ...] = ()
    # Filled in by the bundle stage; the script writes it into its drill result.
    identity: BundleIdentity = NO_IDENTITY


@dataclass(frozen=True, slots=True)
class DiscoveryScript:
    """Export-BizTalkGroup.ps1: reads a production group into one discovery file.

    ``production_servers`` is the guard: the computers it may run on, as the
    inventory spells them (compared case-insensitively). Empty for the generic
    script of ``drgen discover``, which runs on any BizTalk server.
    """

    script: str
    production_servers: tuple[str, ...] = ()
    inventory: str = ""


TemplateContext = (
    SiteDocument
    | SiteRunbook
    | ServerAnswers
    | ServerScript
    | SiteScript
    | LabProbe
    | BundleCheck
    | DiscoveryScript
)


def as_mapping(context: TemplateContext) -> dict[str, object]:
    """The context as the variables Jinja sees (shallow: values stay typed)."""
    return {f.name: getattr(context, f.name) for f in dataclasses.fields(context)}


def site_file_list(
    files: Iterable[tuple[PurePosixPath, str, str]],
) -> tuple[FileRow, ...]:
    """The bundle check's file list: (path relative to the site with backslashes,
    upper-case SHA-256, upper-case code SHA-256 or ''), sorted.

    ``bundle.build`` calls it on the rendered files and ``drgen verify`` on the
    manifest's entries, so both build the same list the same way.
    """
    return tuple(
        sorted(
            ("\\".join(path.parts), digest.upper(), code.upper())
            for path, digest, code in files
        )
    )
