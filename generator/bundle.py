"""The pipeline for one inventory: load, model, plan, render, encode, sign, bundle."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import jinja2

from generator import facts
from generator.artifacts import ArtifactKind, EncodedArtifact
from generator.errors import Diagnostic
from generator.inventory import load_inventory
from generator.manifest import build_manifest
from generator.model import parse_inventory
from generator.parallel import render_encode_sign
from generator.plan import ArtifactSpec, Plan, build_plan
from generator.render import render_artifact
from generator.signing import Signer, encode_and_sign
from generator.writer import MANIFEST_NAME, BundleFiles


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


def build_bundle(
    path: Path,
    env: jinja2.Environment,
    signer: Signer,
    templates_sha256: str,
    jobs: int = 1,
) -> BuiltBundle:
    """Everything for one inventory, in memory; touches no output file."""
    plan, inventory_sha256 = plan_inventory(path)
    encoded = render_encode_sign(plan.artifacts, env, signer, jobs)
    encoded += (_bundle_test(plan, encoded, env, signer),)
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


BUNDLE_TEST_TEMPLATE = "site/Test-DrBundle.ps1.jinja"


def _bundle_test(
    plan: Plan,
    encoded: tuple[EncodedArtifact, ...],
    env: jinja2.Environment,
    signer: Signer,
) -> EncodedArtifact:
    """Test-DrBundle.ps1: the bytes of every other site file are known only now."""
    site_root = PurePosixPath(plan.site.stem, plan.site.site)
    files = sorted(
        (
            "\\".join(art.path.relative_to(site_root).parts),
            hashlib.sha256(art.data).hexdigest().upper(),
        )
        for art in encoded
    )
    spec = ArtifactSpec(
        BUNDLE_TEST_TEMPLATE,
        site_root / "Test-DrBundle.ps1",
        ArtifactKind.POWERSHELL,
        None,
        {
            "site": plan.site,
            "facts": facts,
            "files": files,
            "site_servers": [s.name for s in plan.site.servers],
        },
    )
    (art,) = encode_and_sign((render_artifact(env, spec),), signer)
    return art
