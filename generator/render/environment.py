"""Jinja environment and rendering of a plan into LF text per artifact."""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.parsers import expat

import jinja2

from generator.catalogue import CATALOGUE, Catalogue
from generator.defaults import DEFAULT_TEMPLATES
from generator.errors import Diagnostic, Location, TemplateError
from generator.plan.artifacts import ArtifactSpec
from generator.plan.contexts import ServerAnswers, ServerScript, as_mapping
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact
from generator.render.escaping import (
    FILTERS,
    OUTPUT_KIND_VAR,
    UnsafeValueError,
    finalize,
)
from generator.render.markdown import FILTERS as MARKDOWN_FILTERS
from generator.render.psdata import DataBlockError, render_block
from generator.render.release import release
from generator.render.script_data import data_items
from generator.render.scripts import ScriptCode, script_code
from generator.render.template_cache import (
    cache_folder,
    environment_signature,
    use_cache,
)


def make_environment(
    templates: Path = DEFAULT_TEMPLATES, catalogue: Catalogue = CATALOGUE
) -> jinja2.Environment:
    """The one Jinja environment drgen renders with.

    Every template sees the catalogue as ``n``: names on the target are printed
    as ``n['svc:ENTSSO']`` and come from nowhere else; and this release's
    constants as ``c`` (``generator.render.release``).
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        # Match on the full suffix: select_autoescape(["xml"]) misses "x.xml.jinja".
        autoescape=jinja2.select_autoescape(**_AUTOESCAPE),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    env.filters.update(MARKDOWN_FILTERS)
    env.globals["n"] = catalogue
    # This release's constants: what the code of a script may print besides names.
    env.globals["c"] = release()
    if templates.resolve() == DEFAULT_TEMPLATES.resolve():
        # drgen's own templates only: a folder given with --templates is compiled
        # in each run (its entries would pile up under drgen's __pycache__).
        signature = environment_signature(env, sorted(_AUTOESCAPE.items()))
        use_cache(env, cache_folder(signature))
    return env


# Which templates Jinja autoescapes (by the end of the name). A compiled
# template has the decision built in, so the template cache's signature holds it.
_AUTOESCAPE: dict[str, Any] = {
    "enabled_extensions": ("xml.jinja", "html.jinja"),
    "default_for_string": False,
    "default": False,
}


def template_set_sha256(templates: Path = DEFAULT_TEMPLATES) -> str:
    """A hash over every template's relative path and bytes (for the manifest)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in templates.rglob("*") if p.is_file()):
        digest.update(path.relative_to(templates).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _template_location(exc: BaseException, template: str) -> Location:
    """The deepest traceback frame that is inside a template file."""
    line = getattr(exc, "lineno", None)
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    if isinstance(exc, jinja2.TemplateSyntaxError) and line:
        return Location(str(name or template), line, 0)
    found = Location(f"templates/{template}")
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".jinja") and frame.lineno:
            found = Location(frame.filename, frame.lineno, 0)
    return found


def _check_xml(text: str, spec: ArtifactSpec) -> None:
    # expat alone, without building a tree: the same well-formedness errors at
    # the same positions as ElementTree (the parser under it), five times faster
    # on a large site's HTML runbook.
    parser = expat.ParserCreate()
    try:
        parser.Parse(text.encode("utf-8"), True)
    except expat.ExpatError as exc:
        line, column = exc.lineno, exc.offset
        raise TemplateError(
            f"{spec.template}: rendered {spec.kind.value.upper()} is not well-formed",
            (
                Diagnostic(
                    Location(str(spec.path), line, column + 1),
                    "xml",
                    f"rendered {spec.kind.value.upper()} is not well-formed: {exc}",
                ),
            ),
        ) from None


def render_template(
    env: jinja2.Environment,
    template: str,
    kind: ArtifactKind,
    context: Mapping[str, object],
) -> str:
    """One template with a context; every failure is a located ``TemplateError``.

    The artifact kind travels with the context into every include, so the
    finalize guard (``escaping.finalize``) holds in partials of any name.
    """
    try:
        return env.get_template(template).render(
            {**context, OUTPUT_KIND_VAR: kind.value}
        )
    except (jinja2.TemplateError, UnsafeValueError) as exc:
        where = _template_location(exc, template)
        raise TemplateError(
            f"{where}: {exc}",
            (Diagnostic(where, "template", f"{type(exc).__name__}: {exc}"),),
        ) from None


def script_code_of(env: jinja2.Environment, template: str) -> ScriptCode:
    """The code of a script template; a failure is a located ``TemplateError``."""
    try:
        return script_code(env, template)
    except (jinja2.TemplateError, UnsafeValueError, DataBlockError) as exc:
        where = _template_location(exc, template)
        raise TemplateError(
            f"{where}: {exc}",
            (Diagnostic(where, "template", f"{type(exc).__name__}: {exc}"),),
        ) from None


# The last few data blocks, by what decides them: a DR server's five scripts share
# one (same server, hashes and identity), and are rendered one after another.
_BLOCKS: dict[tuple[object, ...], str] = {}
_BLOCKS_KEPT = 16
# Answer files by their (hashable) context: a site has a few distinct ones.
_DOCUMENTS: dict[tuple[object, ...], str] = {}


def _block_key(context: object) -> tuple[object, ...] | None:
    if isinstance(context, ServerScript):
        # id(site): one SitePlan object serves every spec of a plan (and survives
        # the fork into the workers).
        server = context.server.name
        return (id(context.site), server, context.hashes, context.identity)
    return None


def data_block(spec: ArtifactSpec) -> str:
    """The data block of a script's spec (``psdata.render_block`` of its items).

    Raises:
        TemplateError: a value the data block cannot hold.
    """
    key = _block_key(spec.context)
    found = _BLOCKS.get(key) if key is not None else None
    if found is not None:
        return found
    try:
        block = render_block(data_items(spec.context))
    except (UnsafeValueError, DataBlockError) as exc:
        where = Location(str(spec.path))
        raise TemplateError(
            f"{where}: {exc}",
            (Diagnostic(where, "template", f"{type(exc).__name__}: {exc}"),),
        ) from None
    if key is not None:
        if len(_BLOCKS) >= _BLOCKS_KEPT:
            _BLOCKS.pop(next(iter(_BLOCKS)))
        _BLOCKS[key] = block
    return block


def render_artifact(env: jinja2.Environment, spec: ArtifactSpec) -> RenderedArtifact:
    """Render one artifact; every failure becomes a located ``TemplateError``."""
    if spec.kind is ArtifactKind.POWERSHELL:
        # Code once per kind, data per script: see generator/render/scripts.py.
        code = script_code_of(env, spec.template)
        block = data_block(spec)
        return RenderedArtifact(
            spec.path,
            spec.kind,
            spec.template,
            spec.server,
            "",  # the text is the parts below (RenderedArtifact.text)
            code.sha256,
            block,
            code.head,
            code.tail,
        )
    key = (id(env), spec.template, spec.context)
    text = _DOCUMENTS.get(key) if isinstance(spec.context, ServerAnswers) else None
    if text is None:
        text = render_template(env, spec.template, spec.kind, as_mapping(spec.context))
        # The HTML runbook is written as XHTML-compatible HTML5: the same check holds.
        if spec.kind in (ArtifactKind.XML, ArtifactKind.HTML):
            _check_xml(text, spec)
        if isinstance(spec.context, ServerAnswers):
            # Most DR servers of a site have the same answer file.
            if len(_DOCUMENTS) >= _BLOCKS_KEPT:
                _DOCUMENTS.pop(next(iter(_DOCUMENTS)))
            _DOCUMENTS[key] = text
    return RenderedArtifact(spec.path, spec.kind, spec.template, spec.server, text)
