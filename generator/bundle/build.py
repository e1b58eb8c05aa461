"""Render a Plan into the bytes of its bundle: render, encode, sign, list, manifest.

Signed scripts vouch for the data files they read (they carry their SHA-256) and
each site's bundle check vouches for every other file of its site, so rendering
follows the dependencies the plan declares on each ``ArtifactSpec``: first every
artifact that depends on nothing, then the scripts that ``read`` those files,
then the bundle check (``lists_site``). This module fills in the hashes; which
file reads what is the plan's decision.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import jinja2

from generator import __version__
from generator.bundle.identity import plan_bundle_id
from generator.bundle.manifest import build_manifest
from generator.bundle.parallel import Sink, render_encode_sign
from generator.bundle.writer import MANIFEST_NAME, BundleFiles
from generator.plan.artifacts import ArtifactSpec
from generator.plan.contexts import (
    BundleCheck,
    BundleIdentity,
    BundleReview,
    Hashes,
    ScriptLines,
    ServerScript,
    SiteRunbook,
    TemplateContext,
    site_file_list,
)
from generator.plan.outputs import ArtifactKind
from generator.plan.site import Plan
from generator.render.artifacts import EncodedArtifact, RenderedArtifact
from generator.render.environment import script_code_of
from generator.render.psdata import count_lines
from generator.render.script_data import data_items
from generator.signing.signer import NullSigner, Signer


@dataclass(frozen=True, slots=True)
class BuiltBundle:
    """A plan turned into bytes, ready to be written."""

    plan: Plan
    files: BundleFiles


def _in_site(path: PurePosixPath, site_root: PurePosixPath) -> bool:
    """``path`` is below ``site_root`` (OUT/<inventory>/<site>): a file of the site,
    not of production/ beside it. (``site_root in path.parents``, without building
    every parent: this runs for every file of every bundle.)"""
    parts = site_root.parts
    return path.parts[: len(parts)] == parts and len(path.parts) > len(parts)


def _with_context(spec: ArtifactSpec, context: TemplateContext) -> ArtifactSpec:
    """``spec`` with another context (dataclasses.replace, without its field
    lookups: it runs twice for each of a site's 5,000 scripts)."""
    return ArtifactSpec(
        spec.template,
        spec.path,
        spec.kind,
        spec.server,
        context,
        spec.reads,
        spec.lists_site,
    )


def _with_hashes(
    spec: ArtifactSpec,
    digests: dict[PurePosixPath, str],
    known: dict[object, Hashes],
) -> ArtifactSpec:
    """The spec of a script, given the hashes of the data files it reads.

    ``known`` holds the Hashes already made for the same ``reads`` (a DR server's
    scripts read the same files), so they share one object.
    """
    if not spec.reads:
        return spec
    hashes = known.get(spec.reads)
    if hashes is None:
        hashes = Hashes(**{name: digests[path] for name, path in spec.reads})
        known[spec.reads] = hashes
    context = dataclasses.replace(spec.context, hashes=hashes)  # type: ignore[arg-type]
    return _with_context(spec, context)


def _with_file_list(
    spec: ArtifactSpec, encoded: Sequence[EncodedArtifact], site_root: PurePosixPath
) -> ArtifactSpec:
    """The bundle check, given every other file of its site."""
    if not isinstance(spec.context, BundleCheck):
        msg = f"{spec.template}: lists_site needs a BundleCheck context"
        raise TypeError(msg)
    # The site's own files only: production/ is beside the site, for the
    # production servers, and is never copied to a DR server.
    depth = len(site_root.parts)
    files = (
        # art.path.relative_to(site_root), from its parts (6,000 files a site)
        (PurePosixPath(*art.path.parts[depth:]), art.sha256, art.code_sha256)
        for art in encoded
        if _in_site(art.path, site_root)
    )
    listed = site_file_list(files)
    context = dataclasses.replace(spec.context, expected_files=listed)
    return _with_context(spec, context)


def _with_identity(spec: ArtifactSpec, identity: BundleIdentity) -> ArtifactSpec:
    """The spec of a script that records which render it belongs to."""
    if not hasattr(spec.context, "identity"):
        return spec
    context = dataclasses.replace(spec.context, identity=identity)  # type: ignore[arg-type]
    return _with_context(spec, context)


def plan_review(plan: Plan, env: jinja2.Environment) -> BundleReview:
    """The code hash of each script kind and where each data block is.

    A data block's length follows from its items, not from their values (a text
    is one line whatever it says), so it is known before the hashes it will hold.
    """
    site_root = PurePosixPath(plan.site.stem, plan.site.site)
    listed = sum(
        1 for s in plan.artifacts if _in_site(s.path, site_root) and not s.lists_site
    )
    codes: dict[str, str] = {}
    scripts = []
    # A DR server's scripts share one data block: count it once.
    counted: dict[str | None, int] = {}
    for spec in plan.artifacts:
        if spec.kind is not ArtifactKind.POWERSHELL or not _in_site(
            spec.path, site_root
        ):
            continue
        code = script_code_of(env, spec.template)
        context = spec.context
        if isinstance(context, BundleCheck):
            context = dataclasses.replace(
                context, expected_files=(("", "", ""),) * listed
            )
        key = spec.server if isinstance(context, ServerScript) else spec.template
        if key not in counted:
            counted[key] = count_lines(data_items(context))
        first = code.lines_before_data + 1
        last = first + counted[key] - 1
        total = code.lines + counted[key]
        codes[spec.path.name] = code.sha256
        relative = "\\".join(spec.path.parts[len(site_root.parts) :])
        scripts.append(ScriptLines(relative, spec.path.name, first, last, total))
    return BundleReview(tuple(sorted(codes.items())), tuple(scripts))


def _with_review(spec: ArtifactSpec, review: BundleReview) -> ArtifactSpec:
    """The runbooks, given what a reviewer reads where."""
    if not isinstance(spec.context, SiteRunbook):
        return spec
    context = dataclasses.replace(spec.context, review=review)
    return _with_context(spec, context)


def plan_identity(plan: Plan, env: jinja2.Environment) -> BundleIdentity:
    """The identity the test scripts of ``plan`` carry (``bundle.identity``)."""
    return BundleIdentity(
        plan_bundle_id(plan, env),
        plan.inventory_name,
        plan.inventory_sha256,
        __version__,
    )


def render_bundle(
    plan: Plan,
    env: jinja2.Environment,
    signer: Signer,
    jobs: int = 1,
    sink: Sink | None = None,
) -> tuple[EncodedArtifact, ...]:
    """Every artifact of the plan, rendered, encoded and signed, in path order.

    With a ``sink`` (``staging``), each artifact is handed to it in the worker
    that signed it and what it returns (the hashes, without the bytes) is kept.
    """
    site_root = PurePosixPath(plan.site.stem, plan.site.site)
    identity = plan_identity(plan, env)
    review = plan_review(plan, env)
    artifacts = [
        _with_review(_with_identity(s, identity), review) for s in plan.artifacts
    ]
    first = [s for s in artifacts if not s.reads and not s.lists_site]
    done = list(render_encode_sign(first, env, signer, jobs, sink))
    digests = {art.path: art.sha256.upper() for art in done}
    known: dict[object, Hashes] = {}
    readers = [
        _with_hashes(s, digests, known)
        for s in artifacts
        if s.reads and not s.lists_site
    ]
    done += render_encode_sign(readers, env, signer, jobs, sink)
    checks = [_with_file_list(s, done, site_root) for s in artifacts if s.lists_site]
    done += render_encode_sign(checks, env, signer, 1, sink)
    return tuple(sorted(done, key=lambda a: a.path.parts))  # path order


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
            art.code_sha256,
        )
        for art in render_bundle(plan, env, NullSigner())
    )


def manifest_bytes(
    plan: Plan,
    encoded: Sequence[EncodedArtifact],
    signer: Signer,
    templates_sha256: str,
) -> bytes:
    """The manifest of ``plan``'s bundle (it needs the hashes, not the bytes)."""
    return build_manifest(
        inventory_name=plan.inventory_name,
        inventory_sha256=plan.inventory_sha256,
        templates_sha256=templates_sha256,
        signer=signer.description,
        artifacts=encoded,
        root=PurePosixPath(plan.site.stem),
    )


def build_bundle(
    plan: Plan,
    env: jinja2.Environment,
    signer: Signer,
    templates_sha256: str,
    jobs: int = 1,
) -> BuiltBundle:
    """Every file of one plan, in memory; touches no output file."""
    encoded = render_bundle(plan, env, signer, jobs)
    root = PurePosixPath(plan.site.stem)
    manifest = manifest_bytes(plan, encoded, signer, templates_sha256)
    files = tuple((art.path, art.data) for art in encoded)
    files += ((root / MANIFEST_NAME, manifest),)
    return BuiltBundle(plan, BundleFiles(root, files))
