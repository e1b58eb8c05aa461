"""Jinja environment and rendering of a plan into LF text per artifact."""

from __future__ import annotations

import hashlib
import traceback
import xml.etree.ElementTree as ET
from pathlib import Path

import jinja2

from generator.artifact_plan import ArtifactSpec
from generator.artifacts import ArtifactKind, RenderedArtifact
from generator.catalogue import CATALOGUE, Catalogue
from generator.contexts import as_mapping
from generator.defaults import DEFAULT_TEMPLATES
from generator.errors import Diagnostic, Location, TemplateError
from generator.escaping import FILTERS, OUTPUT_KIND_VAR, UnsafeValueError, finalize
from generator.markdown import FILTERS as MARKDOWN_FILTERS


def make_environment(
    templates: Path = DEFAULT_TEMPLATES, catalogue: Catalogue = CATALOGUE
) -> jinja2.Environment:
    """The one Jinja environment drgen renders with.

    Every template sees the catalogue as ``n``: names on the target are printed
    as ``n['svc:ENTSSO']`` and come from nowhere else.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        # Match on the full suffix: select_autoescape(["xml"]) misses "x.xml.jinja".
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("xml.jinja", "html.jinja"),
            default_for_string=False,
            default=False,
        ),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    env.filters.update(MARKDOWN_FILTERS)
    env.globals["n"] = catalogue
    return env


def template_set_sha256(templates: Path = DEFAULT_TEMPLATES) -> str:
    """A hash over every template's relative path and bytes (for the manifest)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in templates.rglob("*") if p.is_file()):
        digest.update(path.relative_to(templates).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _template_location(exc: BaseException, spec: ArtifactSpec) -> Location:
    """The deepest traceback frame that is inside a template file."""
    line = getattr(exc, "lineno", None)
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    if isinstance(exc, jinja2.TemplateSyntaxError) and line:
        return Location(str(name or spec.template), line, 0)
    found = Location(f"templates/{spec.template}")
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".jinja") and frame.lineno:
            found = Location(frame.filename, frame.lineno, 0)
    return found


def _check_xml(text: str, spec: ArtifactSpec) -> None:
    try:
        ET.fromstring(text.encode("utf-8"))  # noqa: S314 - our own output
    except ET.ParseError as exc:
        line, column = exc.position
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


def render_artifact(env: jinja2.Environment, spec: ArtifactSpec) -> RenderedArtifact:
    """Render one artifact; every failure becomes a located ``TemplateError``."""
    # The kind travels with the context into every include, for the finalize guard.
    context = {**as_mapping(spec.context), OUTPUT_KIND_VAR: spec.kind.value}
    try:
        text = env.get_template(spec.template).render(context)
    except (jinja2.TemplateError, UnsafeValueError) as exc:
        where = _template_location(exc, spec)
        raise TemplateError(
            f"{where}: {exc}",
            (Diagnostic(where, "template", f"{type(exc).__name__}: {exc}"),),
        ) from None
    # The HTML runbook is written as XHTML-compatible HTML5: the same check holds.
    if spec.kind in (ArtifactKind.XML, ArtifactKind.HTML):
        _check_xml(text, spec)
    return RenderedArtifact(spec.path, spec.kind, spec.template, spec.server, text)
