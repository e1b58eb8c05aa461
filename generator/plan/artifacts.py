"""Which files a site gets, from which template, with which context.

Every artifact is an ``ArtifactSpec``: its template, output path and typed
context, plus what it depends on that only exists once other files are rendered:
``reads`` names the data files whose SHA-256 a signed script carries (the hash
goes into ``Hashes``), and ``lists_site`` marks the bundle check, which carries
the SHA-256 of every other file of its site. ``bundle.build`` renders in that
order; it decides nothing about which file gets what.

A new artifact is one template plus one line here (and, if it reads a data file,
its ``reads``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Literal

from generator.plan.contexts import (
    BundleCheck,
    DiscoveryScript,
    LabProbe,
    ServerAnswers,
    ServerScript,
    SiteDocument,
    SiteRunbook,
    SiteScript,
    TemplateContext,
)
from generator.plan.outputs import (
    BUNDLE_CHECK_NAME,
    DISCOVERY_SCRIPT_NAME,
    PRODUCTION_FOLDER,
    ArtifactKind,
)
from generator.plan.runbook import runbook_document

if TYPE_CHECKING:
    from generator.plan.servers import ServerPlan
    from generator.plan.siteplan import SitePlan

# A field of ``Hashes``: which data file a script vouches for.
HashField = Literal["answers", "update_info", "update_info_rearm", "secret_server"]


@dataclass(frozen=True, slots=True)
class ArtifactSpec:
    """One file to render: its template, output path, context and dependencies."""

    template: str
    path: PurePosixPath
    kind: ArtifactKind
    server: str | None
    context: TemplateContext
    # (Hashes field, path of the data file) for each data file this script reads.
    reads: tuple[tuple[HashField, PurePosixPath], ...] = ()
    # True for the bundle check: it lists every other file of its site.
    lists_site: bool = False


BUNDLE_CHECK = "site/Test-DrBundle.ps1.jinja"
# The scripts of every DR server, in the order the runbook runs them.
SERVER_SCRIPTS = (
    "Initialize-DrServer",
    "Test-DrServer",
    "Enable-DrServer",
    "Disable-DrServer",
    "Reset-DrServer",
)
ANSWERS = "server/ConfigurationAnswers.xml.jinja"


def _output_name(template: str) -> str:
    return PurePosixPath(template).name.removesuffix(".jinja")


def _spec(
    template: str,
    path: PurePosixPath,
    server: str | None,
    context: TemplateContext,
    reads: tuple[tuple[HashField, PurePosixPath], ...] = (),
    *,
    lists_site: bool = False,
) -> ArtifactSpec:
    return ArtifactSpec(
        template,
        path,
        ArtifactKind.for_path(path),
        server,
        context,
        reads,
        lists_site,
    )


def _site_specs(site: SitePlan, root: PurePosixPath) -> list[ArtifactSpec]:
    update_info = root / "UpdateInfo.xml"
    documents = (
        "site/UpdateInfo.xml.jinja",
        "site/UpdateInfo-Rearm.xml.jinja",
        "site/SecretServer.xml.jinja",
    )
    specs = [
        _spec(t, root / _output_name(t), None, SiteDocument(site)) for t in documents
    ]
    # Both runbooks: the same plan and steps, and the bundle id the drill results
    # carry (the bundle stage fills it in); Runbook.html as steps to sign off.
    runbook = SiteRunbook(site, runbook_document(site))
    specs += [
        _spec(t, root / _output_name(t), None, runbook)
        for t in ("site/Runbook.md.jinja", "site/Runbook.html.jinja")
    ]
    specs.append(
        _spec(
            "site/Update-DrGroupDatabases.ps1.jinja",
            root / "Update-DrGroupDatabases.ps1",
            None,
            SiteScript(site, "Update-DrGroupDatabases"),
            (("update_info", update_info),),
        )
    )
    specs.append(
        _spec(
            "site/Test-DrLabFacts.ps1.jinja",
            root / "Test-DrLabFacts.ps1",
            None,
            LabProbe(site, "Test-DrLabFacts"),
        )
    )
    specs.append(
        _spec(
            BUNDLE_CHECK,
            root / BUNDLE_CHECK_NAME,
            None,
            BundleCheck(site, "Test-DrBundle"),
            lists_site=True,
        )
    )
    return specs


def _server_specs(
    site: SitePlan, server: ServerPlan, root: PurePosixPath
) -> list[ArtifactSpec]:
    folder = root / server.name
    answers = folder / "ConfigurationAnswers.xml"
    # The server's scripts share one data block, so each vouches for every data
    # file any of them reads: Initialize runs the answer file through
    # Configuration.exe; Enable feeds UpdateInfo.xml and SecretServer.xml to
    # UpdateRegistry.vbs and ssomanage; Reset feeds UpdateInfo-Rearm.xml to
    # UpdateRegistry.vbs.
    reads: tuple[tuple[HashField, PurePosixPath], ...] = (
        ("answers", answers),
        ("update_info", root / "UpdateInfo.xml"),
        ("update_info_rearm", root / "UpdateInfo-Rearm.xml"),
        ("secret_server", root / "SecretServer.xml"),
    )
    specs = [_spec(ANSWERS, answers, server.name, ServerAnswers(server.answer_file))]
    specs += [
        _spec(
            f"server/{name}.ps1.jinja",
            folder / f"{name}.ps1",
            server.name,
            ServerScript(site, server, name),
            reads,
        )
        for name in SERVER_SCRIPTS
    ]
    return specs


DISCOVERY = "production/Export-BizTalkGroup.ps1.jinja"
# Every script kind's template: the code each renders is this release's.
SCRIPT_TEMPLATES = (
    *(f"server/{name}.ps1.jinja" for name in SERVER_SCRIPTS),
    "site/Update-DrGroupDatabases.ps1.jinja",
    "site/Test-DrLabFacts.ps1.jinja",
    BUNDLE_CHECK,
    DISCOVERY,
)


def discovery_spec(
    path: PurePosixPath,
    production_servers: tuple[str, ...] = (),
    inventory: str = "",
) -> ArtifactSpec:
    """Export-BizTalkGroup.ps1 at ``path``: guarded to ``production_servers``, or
    (none given) the generic script ``drgen discover`` writes."""
    context = DiscoveryScript("Export-BizTalkGroup", production_servers, inventory)
    return _spec(DISCOVERY, path, None, context)


def _production_specs(site: SitePlan) -> list[ArtifactSpec]:
    # Beside the DR site, not in it: the production servers run these, so no DR
    # bundle check lists them (see bundle.build.render_bundle and bundle.verify).
    folder = PurePosixPath(site.stem, PRODUCTION_FOLDER)
    return [
        discovery_spec(
            folder / DISCOVERY_SCRIPT_NAME,
            site.production_servers,
            site.stem,
        )
    ]


def plan_artifacts(site: SitePlan) -> tuple[ArtifactSpec, ...]:
    """Every artifact of the site and of its production folder, in output-path
    order."""
    root = PurePosixPath(site.stem, site.site)
    specs = _site_specs(site, root) + _production_specs(site)
    for server in site.servers:
        specs += _server_specs(site, server, root)
    # Path order (a PurePosixPath sorts by its parts).
    return tuple(sorted(specs, key=lambda s: s.path.parts))
