"""A script = its kind's code (rendered once) + one bundle's data block.

A script template sees no inventory: it is rendered once per environment and
template, into the kind's code, whose two data marker lines enclose nothing.
Each script is then that code with its data block (``script_data``) put between
the markers, so the code part is byte-identical in every bundle of a release and
costs one Jinja render per kind, not per server. ``code_sha256`` is what the
manifest records and Test-DrBundle.ps1 recomputes on the server.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass

import jinja2

from generator.render.escaping import OUTPUT_KIND_VAR
from generator.render.psdata import split_script
from generator.render.template_cache import folder_of, template_facts


@dataclass(frozen=True, slots=True)
class ScriptCode:
    """The code of one script kind: the text before and after the data block."""

    template: str
    head: str  # up to and including the data-begin line
    tail: str  # from the data-end line to the end
    sha256: str  # code_sha256: SHA-256 of head + tail, UTF-8, LF
    lines_before_data: int  # lines of code above the data block (the marker last)
    lines: int  # lines of code in all (a script has these plus its data block's)

    @property
    def text(self) -> str:
        """The code part alone (as ``psdata.code_part`` reads it from a script)."""
        return self.head + self.tail


_CACHE: weakref.WeakKeyDictionary[jinja2.Environment, dict[str, ScriptCode]] = (
    weakref.WeakKeyDictionary()
)


def code_sha256(code: str) -> str:
    """The code hash of a code part (LF text), upper-case hex as the script shows."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest().upper()


def _check_extends_only(env: jinja2.Environment, template: str) -> None:
    """A script template that extends the frame must put everything in blocks:
    Jinja drops text outside them without a word, so code written there would
    silently be missing from the script."""
    loader = env.loader
    if loader is None:
        return
    source, filename, _ = loader.get_source(env, template)
    line = template_facts(env, template, source, folder_of(env)).dropped_text_line
    if line:
        msg = "text outside a block of a template that extends the frame is dropped"
        raise jinja2.TemplateSyntaxError(msg, line, template, filename)


def script_code(env: jinja2.Environment, template: str) -> ScriptCode:
    """The code of ``template``, rendered once per environment.

    The template gets no context but the artifact kind: anything it printed from
    an inventory would fail the render (StrictUndefined), so its code cannot vary
    by bundle.

    Raises:
        jinja2.TemplateError: the template does not render without an inventory.
        psdata.DataBlockError: it has not exactly one pair of data markers.
    """
    known = _CACHE.setdefault(env, {})
    found = known.get(template)
    if found is None:
        _check_extends_only(env, template)
        text = env.get_template(template).render({OUTPUT_KIND_VAR: "ps1"})
        head, block, tail = split_script(text)
        if block:
            msg = f"{template}: the code template writes data between the markers"
            raise ValueError(msg)
        found = ScriptCode(
            template,
            head,
            tail,
            code_sha256(head + tail),
            head.count("\n"),
            head.count("\n") + tail.count("\n"),
        )
        known[template] = found
    return found
