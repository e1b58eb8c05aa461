"""The bundle id: which render a drill result came from.

The manifest is written after the scripts, so its hash cannot be inside them.
The bundle id is computed before rendering from everything that decides the
bytes of a site's files, apart from the signature:

    SHA-256 over "drgen-bundle-id/v1", the drgen version, the inventory's SHA-256,
    the site name, the catalogue's SHA-256, and the name and SHA-256 of every
    template the site's files are rendered from (their includes too), sorted.

The test scripts carry it and write it into their results; ``drgen report
--inventory`` computes it again, so a result from any other render (another
inventory, template or drgen version) shows as "tested bundle is not the bundle
you would run". Signing with another certificate keeps the id. A change of drgen's
Python code without a version change is not seen (the version stands for it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import jinja2

from generator import __version__
from generator.errors import Diagnostic, Location, TemplateError
from generator.plan.labprobe import catalogue_sha256
from generator.render.template_cache import folder_of, template_facts

if TYPE_CHECKING:
    from generator.plan.site import Plan

BUNDLE_ID_VERSION = "drgen-bundle-id/v1"


def templates_used(env: jinja2.Environment, roots: Iterable[str]) -> dict[str, bytes]:
    """Each template named in ``roots`` and every template it includes, as bytes."""
    loader = env.loader
    if loader is None:
        msg = "the environment has no template loader"
        raise TypeError(msg)
    found: dict[str, bytes] = {}
    pending = sorted(set(roots))
    while pending:
        name = pending.pop()
        if name in found:
            continue
        try:
            source, filename, _ = loader.get_source(env, name)
            children = template_facts(env, name, source, folder_of(env)).references
        except jinja2.TemplateError as exc:
            where = Location(f"templates/{name}", getattr(exc, "lineno", 0) or 0)
            message = f"{type(exc).__name__}: {exc}"
            raise TemplateError(
                f"{where}: {message}", (Diagnostic(where, "template", message),)
            ) from None
        found[name] = Path(filename).read_bytes() if filename else source.encode()
        for child in children:
            # An include computed at render time would escape the hash: refuse it.
            if child is None:
                msg = f"{name}: an include with a computed name"
                raise TypeError(msg)
            pending.append(child)
    return found


def bundle_id(
    *,
    inventory_sha256: str,
    site: str,
    catalogue_sha256: str,
    templates: dict[str, bytes],
    version: str = __version__,
) -> str:
    """The bundle id (lower-case hex SHA-256); see the module docstring."""
    digest = hashlib.sha256()
    fields = [BUNDLE_ID_VERSION, version, inventory_sha256.lower(), site]
    fields.append(catalogue_sha256.lower())
    for name in sorted(templates):
        fields += [name, hashlib.sha256(templates[name]).hexdigest()]
    for item in fields:
        digest.update(item.encode("utf-8") + b"\0")
    return digest.hexdigest()


def plan_bundle_id(plan: Plan, env: jinja2.Environment) -> str:
    """The bundle id of a plan's site, rendered with ``env``'s templates.

    Only the templates of the site's own files count: ``production/`` (the
    discovery script) sits beside the site and is never copied to a DR server.
    """
    site_root = PurePosixPath(plan.site.stem, plan.site.site)
    return bundle_id(
        inventory_sha256=plan.inventory_sha256,
        site=plan.site.site,
        catalogue_sha256=catalogue_sha256(),
        templates=templates_used(
            env,
            (
                s.template
                for s in plan.artifacts
                # site_root in s.path.parents, without building every parent
                if s.path.parts[: len(site_root.parts)] == site_root.parts
                and len(s.path.parts) > len(site_root.parts)
            ),
        ),
    )
