"""The pipeline for one inventory: load, model, plan, render, encode, sign, bundle.

Rendering has two phases because signed scripts vouch for the data files they read
(they carry their SHA-256): the XML files are rendered first, then the scripts, and
last Test-DrBundle.ps1, which carries the hash of every other file of the site.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import jinja2

from generator.artifacts import ArtifactKind, EncodedArtifact, RenderedArtifact
from generator.catalogue import CATALOGUE
from generator.errors import Diagnostic
from generator.inventory import load_inventory
from generator.manifest import build_manifest
from generator.model import parse_inventory
from generator.parallel import render_encode_sign
from generator.plan import ArtifactSpec, Plan, build_plan
from generator.signing import NullSigner, Signer
from generator.writer import MANIFEST_NAME, BundleFiles

BUNDLE_TEST_TEMPLATE = "site/Test-DrBundle.ps1.jinja"


@dataclass(frozen=True, slots=True)
class BuiltBundle:
    """An inventory turned into bytes, ready to be written."""

    inventory: Path
    plan: Plan
    files: BundleFiles
    warnings: tuple[Diagnostic, ...]


def plan_inventory(path: Path) -> tuple[Plan, str]:
    """Load, validate and plan one inventory; returns the plan and inventory sha256."""
    doc = load_inventory(path)
    inventory = parse_inventory(doc)
    return build_plan(inventory, doc, path.stem), doc.sha256


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest().upper()


def _with_hashes(
    spec: ArtifactSpec, digests: dict[PurePosixPath, str], site_root: PurePosixPath
) -> ArtifactSpec:
    """The spec of a script, given the hashes of the data files it reads."""
    answers = site_root / (spec.server or "") / "ConfigurationAnswers.xml"
    hashes = {
        "update_info": digests[site_root / "UpdateInfo.xml"],
        "secret_server": digests[site_root / "SecretServer.xml"],
        "answers": digests.get(answers, ""),
    }
    return dataclasses.replace(spec, context={**spec.context, "hashes": hashes})


def _bundle_test_spec(
    plan: Plan, encoded: Sequence[EncodedArtifact], site_root: PurePosixPath
) -> ArtifactSpec:
    files = sorted(
        ("\\".join(art.path.relative_to(site_root).parts), _sha256(art.data))
        for art in encoded
    )
    return ArtifactSpec(
        BUNDLE_TEST_TEMPLATE,
        site_root / "Test-DrBundle.ps1",
        ArtifactKind.POWERSHELL,
        None,
        {
            "site": plan.site,
            "n": CATALOGUE,
            "script": "Test-DrBundle",
            "files": files,
            "site_servers": [s.name for s in plan.site.servers],
        },
    )


def render_bundle(
    plan: Plan, env: jinja2.Environment, signer: Signer, jobs: int = 1
) -> tuple[EncodedArtifact, ...]:
    """Every artifact of the plan, rendered, encoded and signed, in path order."""
    site_root = PurePosixPath(plan.site.stem, plan.site.site)
    data_specs = [s for s in plan.artifacts if not s.kind.signed]
    data_files = render_encode_sign(data_specs, env, signer)
    digests = {art.path: _sha256(art.data) for art in data_files}
    script_specs = [
        _with_hashes(s, digests, site_root) for s in plan.artifacts if s.kind.signed
    ]
    scripts = render_encode_sign(script_specs, env, signer, jobs)
    encoded = (*data_files, *scripts)
    bundle_test = render_encode_sign(
        [_bundle_test_spec(plan, encoded, site_root)], env, signer
    )
    return tuple(sorted((*encoded, *bundle_test), key=lambda a: a.path))


def render_unsigned(
    plan: Plan, env: jinja2.Environment
) -> tuple[RenderedArtifact, ...]:
    """Every artifact as LF text, unsigned (for snapshots and structural checks)."""
    return tuple(
        RenderedArtifact(
            art.path,
            art.kind,
            art.template,
            art.server,
            art.data.removeprefix(b"\xef\xbb\xbf")
            .decode("utf-8")
            .replace("\r\n", "\n"),
        )
        for art in render_bundle(plan, env, NullSigner())
    )


def build_bundle(
    path: Path,
    env: jinja2.Environment,
    signer: Signer,
    templates_sha256: str,
    jobs: int = 1,
    planned: tuple[Plan, str] | None = None,
) -> BuiltBundle:
    """Everything for one inventory, in memory; touches no output file."""
    plan, inventory_sha256 = planned or plan_inventory(path)
    encoded = render_bundle(plan, env, signer, jobs)
    root = PurePosixPath(path.stem)
    manifest = build_manifest(
        inventory_name=path.name,
        inventory_sha256=inventory_sha256,
        templates_sha256=templates_sha256,
        signer=signer.description,
        artifacts=encoded,
        root=root,
    )
    files = tuple((art.path, art.data) for art in encoded)
    files += ((root / MANIFEST_NAME, manifest),)
    return BuiltBundle(path, plan, BundleFiles(root, files), plan.warnings)
