"""Compiled and parsed templates kept between runs (generator/render/template_cache.py):
the same bytes with and without the cache, written only where and when Python
writes bytecode, never trusted beyond the source it was made from."""

from __future__ import annotations

import sys
from pathlib import Path

import jinja2
import pytest

from generator import api
from generator.bundle.build import render_unsigned
from generator.render.environment import make_environment
from generator.render.scripts import script_code
from generator.render.template_cache import (
    cache_folder,
    environment_signature,
    folder_of,
    template_facts,
    use_cache,
)
from tests.support.paths import INVENTORIES


@pytest.fixture
def bytecode_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Python writes bytecode, under a prefix of this test's own."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "pycache"))
    return tmp_path / "pycache"


def _texts() -> dict[str, str]:
    (plan,) = api.plan([INVENTORIES / "example.yaml"])
    return {str(a.path): a.text for a in render_unsigned(plan, make_environment())}


def test_a_render_from_the_cache_is_the_render_without_it(
    bytecode_written: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = _texts()
    folder = folder_of(make_environment())
    assert folder is not None
    assert folder.parent == bytecode_written
    assert sorted(folder.glob("*.jinja-code"))
    assert sorted(folder.glob("*.facts.json"))

    # Parsing and compiling are now refused: a second render must use the cache.
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("compiled or parsed again despite the cache")

    monkeypatch.setattr(jinja2.Environment, "_parse", refuse)
    monkeypatch.setattr("generator.render.template_cache._FACTS", {})
    assert _texts() == cold


def test_nothing_is_written_when_python_writes_no_bytecode(
    bytecode_written: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setattr("generator.render.template_cache._FACTS", {})
    _texts()
    assert not bytecode_written.exists()


def test_a_damaged_cache_is_a_miss(bytecode_written: Path) -> None:
    cold = _texts()
    folder = folder_of(make_environment())
    assert folder is not None
    for entry in [*folder.glob("*.jinja-code"), *folder.glob("*.facts.json")]:
        entry.write_bytes(b"\x00garbage")
    assert _texts() == cold


def _folder_env(root: Path, templates: dict[str, str]) -> jinja2.Environment:
    """An environment of templates of a test's own, given a cache folder of its own
    (make_environment keeps none for a --templates folder)."""
    for name, text in templates.items():
        (root / name).write_text(text, encoding="utf-8")
    env = make_environment(root)
    assert folder_of(env) is None
    use_cache(env, root.parent / "cache")
    return env


def test_only_drgens_own_templates_are_kept(
    bytecode_written: Path, tmp_path: Path
) -> None:
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "a.xml.jinja").write_text("<a/>\n", encoding="utf-8")
    env = make_environment(templates)
    assert folder_of(env) is None
    assert env.bytecode_cache is None
    assert folder_of(make_environment()) is not None


def test_facts_follow_the_source_not_the_name(
    bytecode_written: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = tmp_path / "t"
    templates.mkdir()
    env = _folder_env(templates, {"a.jinja": '{% include "b.jinja" %}', "b.jinja": ""})
    folder = folder_of(env)
    source = (templates / "a.jinja").read_text(encoding="utf-8")
    assert template_facts(env, "a.jinja", source, folder).references == ("b.jinja",)
    changed = '{% include "c.jinja" %}'
    assert template_facts(env, "a.jinja", changed, folder).references == ("c.jinja",)
    # From the disk alone (a new process): the entry holds the changed source's.
    monkeypatch.setattr("generator.render.template_cache._FACTS", {})
    assert template_facts(env, "a.jinja", changed, folder).references == ("c.jinja",)
    assert template_facts(env, "a.jinja", source, folder).references == ("b.jinja",)
    assert folder is not None
    assert len(list(folder.glob("*.facts.json"))) == 1  # replaced, not added


def test_text_outside_the_frame_blocks_is_refused_from_the_cache_too(
    bytecode_written: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = tmp_path / "t"
    templates.mkdir()
    frame = "{% block code %}{% endblock %}"
    child = (
        '{% extends "frame.jinja" %}\nWrite-Host lost\n{% block code %}{% endblock %}'
    )
    for attempt in range(2):  # the second from the cached parse results
        monkeypatch.setattr("generator.render.template_cache._FACTS", {})
        env = _folder_env(templates, {"frame.jinja": frame, "x.ps1.jinja": child})
        with pytest.raises(jinja2.TemplateSyntaxError, match="dropped") as raised:
            script_code(env, "x.ps1.jinja")
        assert raised.value.lineno == 2, attempt


def test_what_compiled_code_depends_on_names_another_folder() -> None:
    """A compiled template has the environment's options built in (autoescape,
    whitespace control, finalize): changing any of them must not read old code."""
    env = make_environment()
    base = environment_signature(env, ["autoescape", ("xml.jinja",)])
    assert environment_signature(env, ["autoescape", ("xml.jinja",)]) == base
    assert environment_signature(env, ["autoescape", ("html.jinja",)]) != base
    for option, value in (("trim_blocks", False), ("lstrip_blocks", False)):
        changed = make_environment()
        setattr(changed, option, value)
        assert environment_signature(changed, ["autoescape", ("xml.jinja",)]) != base
    assert cache_folder(base) != cache_folder(
        environment_signature(env, ["autoescape", ()])
    )


def test_a_filter_of_another_convention_or_code_names_another_folder() -> None:
    """Jinja builds a filter's calling convention into the compiled code (and may
    run a filter on constants while compiling): drgen's unchanged version number
    must not hide a change of either."""
    env = make_environment()
    base = environment_signature(env, [])
    original = env.filters["md_code"]
    env.filters["md_code"] = jinja2.pass_eval_context(lambda _ctx, value: value)
    assert environment_signature(env, []) != base
    env.filters["md_code"] = original
    assert environment_signature(env, []) == base
    env.filters["md_code"] = lambda value: value  # defined in this test module
    assert environment_signature(env, []) != base
