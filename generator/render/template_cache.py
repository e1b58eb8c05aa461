"""Templates compiled and parsed once, kept between runs as Python keeps modules.

Every render compiles the templates it uses into Python code (Jinja), and parses
them again for the bundle id (which templates a site's files come from) and for
the frame check of each script template (``scripts.script_code``). For a small
site that is a third of a render's CPU; none of it depends on the inventory.

So both results are kept on disk, where and when Python keeps drgen's own compiled
modules: in ``sys.pycache_prefix`` if set, else in ``__pycache__`` beside this
package, and never written when Python writes no bytecode
(PYTHONDONTWRITEBYTECODE, ``-B``); an existing cache is still read then, as
Python reads existing ``.pyc`` files. Whoever can change that folder can change
drgen's code itself, so the cache adds no one who can change a script.

Only drgen's own templates are kept (``make_environment``): a folder given with
``--templates`` is compiled in every run. An entry is only used for the exact
template source it was made from: Jinja checks each compiled template against its
source, and the parse results of a template carry the SHA-256 of the source they
were made from (one entry per template, replaced when it changes). The folder's
name carries drgen's and Jinja's versions, the Python implementation and the
environment's options, so a change of any of them never reads an old entry. Any
failure to read or write the cache is silent: drgen then compiles and parses as
without it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import weakref
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.meta import find_referenced_templates

from generator import __version__
from generator.errors import OutputError
from generator.files.atomic import write_atomically

_PACKAGE = Path(__file__).resolve().parent.parent


def cache_folder(signature: str) -> Path:
    """Where the entries of an environment with this signature go."""
    name = f"drgen-templates-{signature[:16]}"
    if sys.pycache_prefix:
        return Path(sys.pycache_prefix) / name
    return _PACKAGE / "__pycache__" / name


def environment_signature(env: jinja2.Environment, options: object) -> str:
    """What the compiled code of a template depends on besides its source."""
    parts = (
        __version__,
        jinja2.__version__,
        sys.implementation.cache_tag,
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        env.policies.get("compiler.ascii_str"),
        getattr(env.finalize, "__qualname__", repr(env.finalize)),
        env.undefined.__qualname__,
        sorted(env.extensions),
        options,  # what decides autoescape per template name, and the like
        _callables(env),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _callables(env: jinja2.Environment) -> tuple[object, ...]:
    """The filters and tests as compiled code depends on them: Jinja builds each
    one's calling convention into the code (``pass_context`` and the like) and may
    call a filter on constant arguments while compiling. So each one's name and
    convention count, and the source of every module outside Jinja that defines
    one (drgen's version stays the same while its code changes in a checkout)."""
    found: list[object] = []
    modules: set[str] = set()
    for kind, table in (("filter", env.filters), ("test", env.tests)):
        for name in sorted(table):
            function = table[name]
            found.append((kind, name, str(getattr(function, "jinja_pass_arg", ""))))
            module = getattr(function, "__module__", "") or ""
            if not module.startswith("jinja2"):
                modules.add(module)
    for module in sorted(modules):
        file = getattr(sys.modules.get(module), "__file__", None)
        try:
            source = Path(file).read_bytes() if file else b""
        except OSError:
            source = b""
        found.append((module, hashlib.sha256(source).hexdigest()))
    return tuple(found)


class _Bytecode(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache that writes only when Python writes bytecode, and
    treats any failure to read or write as a cache miss."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if sys.dont_write_bytecode:
            return
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            return


def bytecode_cache(folder: Path | None) -> jinja2.BytecodeCache | None:
    """The compiled-template cache for ``folder`` (None: no cache)."""
    if folder is None:
        return None
    return _Bytecode(str(folder), "%s.jinja-code")


@dataclass(frozen=True, slots=True)
class TemplateFacts:
    """What parsing a template tells, besides its compiled code."""

    # Templates it includes, imports or extends (None: a name computed at render).
    references: tuple[str | None, ...]
    # The line of text outside a block in a template that extends another (Jinja
    # drops it without a word), or 0.
    dropped_text_line: int


def _facts_of(env: jinja2.Environment, source: str, name: str) -> TemplateFacts:
    tree = env.parse(source, name)
    dropped = 0
    if any(isinstance(node, nodes.Extends) for node in tree.body):
        for node in tree.body:
            if isinstance(node, nodes.Output) and any(
                not (isinstance(child, nodes.TemplateData) and not child.data.strip())
                for child in node.nodes
            ):
                dropped = node.lineno
                break
    return TemplateFacts(tuple(find_referenced_templates(tree)), dropped)


# Parse results of this process, by (cache folder, name, source hash).
_FACTS: dict[tuple[str, str, str], TemplateFacts] = {}


def template_facts(
    env: jinja2.Environment, name: str, source: str, folder: Path | None
) -> TemplateFacts:
    """The parse results of template ``name`` with ``source``, from the cache
    when it holds this very source.

    Raises:
        jinja2.TemplateSyntaxError: the template does not parse.
    """
    source_sha256 = hashlib.sha256(source.encode()).hexdigest()
    key = (str(folder), name, source_sha256)
    found = _FACTS.get(key)
    if found is not None:
        return found
    # One entry per template name, holding the hash of the source it was made
    # from: an edited template replaces its entry instead of adding one.
    entry = None
    if folder is not None:
        entry = folder / f"{hashlib.sha256(name.encode()).hexdigest()}.facts.json"
    found = _read_facts(entry, source_sha256) if entry is not None else None
    if found is None:
        found = _facts_of(env, source, name)
        if entry is not None:
            _write_facts(entry, found, source_sha256)
    _FACTS[key] = found
    return found


def _read_facts(entry: Path, source_sha256: str) -> TemplateFacts | None:
    try:
        data = json.loads(entry.read_bytes())
        if data["source_sha256"] != source_sha256:
            return None
        references = tuple(
            r for r in data["references"] if r is None or isinstance(r, str)
        )
        if len(references) != len(data["references"]):
            return None
        line = data["dropped_text_line"]
        if not isinstance(line, int) or isinstance(line, bool):
            return None
        return TemplateFacts(references, line)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_facts(entry: Path, facts: TemplateFacts, source_sha256: str) -> None:
    if sys.dont_write_bytecode:
        return
    data = json.dumps(
        {
            "source_sha256": source_sha256,
            "references": list(facts.references),
            "dropped_text_line": facts.dropped_text_line,
        }
    ).encode()
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        # Whole or not at all: a concurrent reader sees the old entry or the new.
        write_atomically(entry, data)
    except (OSError, OutputError):
        return


# The cache folder of each environment (make_environment registers it).
_FOLDERS: weakref.WeakKeyDictionary[jinja2.Environment, Path | None] = (
    weakref.WeakKeyDictionary()
)


def use_cache(env: jinja2.Environment, folder: Path) -> None:
    """Give ``env`` its compiled-template cache in ``folder`` and remember it."""
    env.bytecode_cache = bytecode_cache(folder)
    _FOLDERS[env] = folder


def folder_of(env: jinja2.Environment) -> Path | None:
    """The cache folder of ``env`` (None: an environment without a cache)."""
    return _FOLDERS.get(env)
