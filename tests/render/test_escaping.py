"""Escaping by construction: the ps_* filters, the finalize guard, XML autoescape."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import nodes

from generator.defaults import DEFAULT_TEMPLATES
from generator.errors import TemplateError
from generator.plan.artifacts import ArtifactSpec
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact
from generator.render.environment import (
    make_environment,
    render_artifact,
    render_template,
)
from generator.render.escaping import (
    FILTERS,
    PsLiteral,
    UnsafeValueError,
    check_xml_text,
    ps_array,
    ps_block,
    ps_bool,
    ps_int,
    ps_str,
)
from tests.support.ps_quotes import QUOTES, ps_unquote

LINE_BREAKS = ("\r", "\n", "\r\n", "\x85", "\u2028", "\u2029")
XML_FORBIDDEN = ("\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff")


# --------------------------------------------------------------- reference un-quoter


def naive_quote(value: str) -> str:
    """What a careless generator would write: only ASCII ' doubled."""
    return "'" + value.replace("'", "''") + "'"


def test_reference_unquoter_rejects_a_naive_escaper() -> None:
    # The property below can fail: the un-quoter sees the early end of a naive literal.
    for quote in QUOTES[1:]:
        with pytest.raises(AssertionError, match="ends early"):
            ps_unquote(naive_quote(f"x{quote}; Remove-Item C:\\ #"))
    assert ps_unquote("'a''b'") == "a'b"
    assert ps_unquote("'a\u2019\u2019b'") == "a\u2019b"


# ------------------------------------------------------------------------- ps_str


@pytest.mark.parametrize("quote", list(QUOTES))
def test_ps_str_doubles_each_single_quote_character(quote: str) -> None:
    assert ps_str(f"a{quote}b") == f"'a{quote}{quote}b'"
    assert ps_str(quote) == f"'{quote}{quote}'"
    assert ps_str(f"{quote}{quote}") == f"'{quote * 4}'"


def test_ps_str_leaves_other_characters_alone() -> None:
    value = 'x $(Get-Date) ${x} `n ; | & " \u201c\u201d #> <# @ \t'
    assert ps_str(value) == f"'{value}'"
    assert ps_str("") == "''"
    assert isinstance(ps_str("x"), PsLiteral)


single_line_text = st.text(
    alphabet=st.one_of(
        st.sampled_from([*QUOTES, "$", "`", '"', "@", "#", " ", "\t"]),
        st.characters(
            exclude_characters="\r\n\x85\u2028\u2029",
            codec="utf-8",
        ).filter(lambda c: not ("\x00" <= c <= "\x1f" or c == "\x7f") or c == "\t"),
    )
)


@given(single_line_text)
def test_ps_str_round_trips_through_the_reference_unquoter(value: str) -> None:
    literal = ps_str(value)
    assert isinstance(literal, PsLiteral)
    assert literal[0] == "'"
    assert literal[-1] == "'"
    assert ps_unquote(literal) == value
    # Every quote character inside comes in pairs of the same character.
    body = literal[1:-1]
    for run in re.findall(f"[{QUOTES}]+", body):
        assert len(run) % 2 == 0, (run, literal)
        assert all(run[i] == run[i + 1] for i in range(0, len(run), 2)), run


@pytest.mark.parametrize("brk", LINE_BREAKS)
def test_ps_str_rejects_line_breaks(brk: str) -> None:
    with pytest.raises(UnsafeValueError, match="line break"):
        ps_str(f"a{brk}b")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x0b", "\x0c", "\x1b", "\x7f"])
def test_ps_str_rejects_control_characters(char: str) -> None:
    with pytest.raises(UnsafeValueError):
        ps_str(f"a{char}b")


@pytest.mark.parametrize("value", [None, 1, 1.5, True, b"x", ["x"]])
def test_ps_str_rejects_non_text(value: object) -> None:
    with pytest.raises(UnsafeValueError, match="expects text"):
        ps_str(value)


# ------------------------------------------------------- ps_int, ps_bool, ps_array


def test_ps_int() -> None:
    assert ps_int(0) == "0"
    assert ps_int(300) == "300"
    assert ps_int(-1) == "-1"
    assert isinstance(ps_int(5), PsLiteral)


@pytest.mark.parametrize("value", [True, False, "1", 1.0, None, "1; Remove-Item x"])
def test_ps_int_rejects_non_integers(value: object) -> None:
    with pytest.raises(UnsafeValueError, match="integer"):
        ps_int(value)


def test_ps_bool() -> None:
    assert ps_bool(True) == "$true"
    assert ps_bool(False) == "$false"
    assert isinstance(ps_bool(True), PsLiteral)


@pytest.mark.parametrize("value", [1, 0, "true", "$true", None])
def test_ps_bool_rejects_non_booleans(value: object) -> None:
    with pytest.raises(UnsafeValueError, match="boolean"):
        ps_bool(value)


def test_ps_array() -> None:
    assert ps_array(["a", "b'c"]) == "@('a', 'b''c')"
    assert ps_array(("x\u2018",)) == "@('x\u2018\u2018')"
    assert ps_array(()) == "@()"
    assert isinstance(ps_array(["a"]), PsLiteral)


@pytest.mark.parametrize(
    "value", ["abc", None, 5, [1], ["a", None], ["a\nb"], {"a": 1}, b"ab"]
)
def test_ps_array_rejects_anything_but_a_sequence_of_safe_strings(
    value: object,
) -> None:
    with pytest.raises(UnsafeValueError):
        ps_array(value)  # type: ignore[arg-type]


def test_ps_block_passes_only_blocks_drgen_built() -> None:
    block = PsLiteral("$a = @(\n    'x'\n)")
    assert ps_block(block) is block
    for value in ("$a = 1", 1, None, ["'x'"]):
        with pytest.raises(UnsafeValueError, match="ps_block"):
            ps_block(value)


def test_the_filters_are_the_ps_functions() -> None:
    expected = {
        "ps_str": ps_str,
        "ps_int": ps_int,
        "ps_bool": ps_bool,
        "ps_array": ps_array,
        "ps_block": ps_block,
    }
    assert expected == FILTERS
    assert set(FILTERS).issubset(make_environment().filters)


# ----------------------------------------------------------- the finalize guard


def write_templates(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def render_one(
    templates: Path, name: str, context: dict[str, object]
) -> RenderedArtifact:
    output = PurePosixPath("site") / name.removesuffix(".jinja")
    kind = ArtifactKind.for_path(output)
    if kind is not ArtifactKind.POWERSHELL:
        # Any dataclass is a template context; this one holds exactly the values.
        fields = [(key, object) for key in context]
        values = dataclasses.make_dataclass("Context", fields, frozen=True)(**context)
        spec = ArtifactSpec(name, output, kind, None, values)
        return render_artifact(make_environment(templates), spec)
    # A script's code template gets no inventory: the guard is tried on the
    # template itself, with the values a template could reach (n, c, or these).
    text = render_template(make_environment(templates), name, kind, context)
    return RenderedArtifact(output, kind, name, None, text)


PS1_LINES = "# line 1\n$a = 1\n{expr}\n$b = 2\n"


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("{{ value }}", "SQLPROD01'; Remove-Item C:\\ -Recurse; '"),
        ("{{ value }}", 42),
        ("{{ value }}", True),
        ("{{ value }}", None),
        ("{{ value }}", ["a"]),
        ("$x = {{ value|ps_str ~ '' }}", "a"),
        ("$x = {{ value|ps_str|upper }}", "a"),
        ("$x = {{ value|ps_str|safe }}", "a"),
        ("$x = {{ value|ps_str|replace('a', 'b') }}", "a"),
        ("$x = '{{ value|e }}'", "a"),
    ],
)
def test_finalize_guard_names_template_and_line(
    tmp_path: Path, expr: str, value: object
) -> None:
    templates = write_templates(tmp_path, {"x.ps1.jinja": PS1_LINES.format(expr=expr)})
    with pytest.raises(TemplateError) as caught:
        render_one(templates, "x.ps1.jinja", {"value": value})
    (diagnostic,) = caught.value.diagnostics
    assert Path(diagnostic.location.file).name == "x.ps1.jinja"
    assert diagnostic.location.line == 3
    assert "unescaped value" in diagnostic.message
    assert "x.ps1.jinja:3" in str(caught.value)
    assert "x.ps1.jinja:3" in caught.value.lines()[0]


def test_finalize_guard_lets_filtered_values_through(tmp_path: Path) -> None:
    text = (
        "$s = {{ s|ps_str }}\n$i = {{ i|ps_int }}\n"
        "$b = {{ b|ps_bool }}\n$a = {{ a|ps_array }}\n"
    )
    templates = write_templates(tmp_path, {"x.ps1.jinja": text})
    art = render_one(
        templates, "x.ps1.jinja", {"s": "it's", "i": 3, "b": False, "a": ["x", "y"]}
    )
    assert art.text == "$s = 'it''s'\n$i = 3\n$b = $false\n$a = @('x', 'y')\n"


@pytest.mark.parametrize("partial", ["_p.ps1.jinja", "_p.jinja", "_p.txt.jinja"])
def test_finalize_guard_holds_in_included_partials(
    tmp_path: Path, partial: str
) -> None:
    # The partial's own name need not end in .ps1.jinja: the artifact is a .ps1.
    templates = write_templates(
        tmp_path,
        {
            "x.ps1.jinja": f'# x\n{{% include "{partial}" %}}\n$z = 1\n',
            partial: "$ok = {{ value|ps_str }}\n$bad = {{ value }}\n",
        },
    )
    with pytest.raises(TemplateError) as caught:
        render_one(templates, "x.ps1.jinja", {"value": "a"})
    (diagnostic,) = caught.value.diagnostics
    assert Path(diagnostic.location.file).name == partial
    assert diagnostic.location.line == 2


def test_a_template_syntax_error_is_located(tmp_path: Path) -> None:
    templates = write_templates(tmp_path, {"x.ps1.jinja": "a\nb\n{{ value|ps_str }\n"})
    with pytest.raises(TemplateError) as caught:
        render_one(templates, "x.ps1.jinja", {"value": "a"})
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.location.line == 3


# -------------------------------------------------------------------- XML escaping


XML_TEMPLATE = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    "<r a=\"{{ v }}\" b='{{ v }}'>\n"
    "  <t>{{ v }}</t>\n"
    "  <u>{{ v }}{{ v }}</u>\n"
    "</r>\n"
)


def render_xml(tmp_path: Path, value: str) -> ET.Element:
    templates = write_templates(tmp_path, {"x.xml.jinja": XML_TEMPLATE})
    art = render_one(templates, "x.xml.jinja", {"v": value})
    assert art.kind is ArtifactKind.XML
    return ET.fromstring(art.text.encode("utf-8"))


def assert_round_trip(root: ET.Element, value: str) -> None:
    assert root.get("a") == value
    assert root.get("b") == value
    assert root.findtext("t") == value
    assert root.findtext("u") == value + value


@pytest.mark.parametrize(
    "value",
    [
        "&",
        "<",
        ">",
        '"',
        "'",
        "a & b < c > d \" e ' f",
        "]]>",
        "<![CDATA[x]]>",
        "&amp;",
        "&#65;",
        "<!-- x -->",
        "</t><t>",
        "\t tab\nline\r\nend\r",
        "\u2019 \u00e9 \U0001f600",
    ],
)
def test_xml_autoescape_round_trips(tmp_path: Path, value: str) -> None:
    assert_round_trip(render_xml(tmp_path, value), value)


@pytest.fixture(scope="module")
def xml_templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("xml")


xml_text = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_characters="".join(
            chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"
        )
        + "\ufffe\uffff",
    )
)


@given(xml_text)
def test_xml_autoescape_round_trips_any_text(xml_templates: Path, value: str) -> None:
    root = render_xml(xml_templates, value)
    assert_round_trip(root, value)


@pytest.mark.parametrize("char", XML_FORBIDDEN)
def test_xml_forbidden_characters_are_rejected(tmp_path: Path, char: str) -> None:
    with pytest.raises(UnsafeValueError):
        check_xml_text(f"a{char}b")
    templates = write_templates(tmp_path, {"x.xml.jinja": XML_TEMPLATE})
    with pytest.raises(TemplateError) as caught:
        render_one(templates, "x.xml.jinja", {"v": f"a{char}b"})
    (diagnostic,) = caught.value.diagnostics
    assert Path(diagnostic.location.file).name == "x.xml.jinja"
    assert diagnostic.location.line == 2


def test_xml_none_is_rejected(tmp_path: Path) -> None:
    templates = write_templates(tmp_path, {"x.xml.jinja": XML_TEMPLATE})
    with pytest.raises(TemplateError, match="None"):
        render_one(templates, "x.xml.jinja", {"v": None})


def test_autoescape_is_on_exactly_for_xml_templates() -> None:
    env = make_environment()
    names = env.list_templates()
    xml = [n for n in names if n.endswith(".xml.jinja")]
    ps1 = [n for n in names if n.endswith(".ps1.jinja")]
    assert len(xml) >= 3
    assert len(ps1) >= 7
    assert callable(env.autoescape)
    assert all(env.autoescape(n) for n in xml)
    assert not any(env.autoescape(n) for n in ps1)


# ---------------------------------------------------------------- the templates


def template_names() -> list[str]:
    return make_environment().list_templates()


def walk(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from walk(child)


def test_every_template_loads() -> None:
    env = make_environment()
    names = env.list_templates()
    assert len(names) >= 10
    on_disk = sorted(
        p.relative_to(DEFAULT_TEMPLATES).as_posix()
        for p in DEFAULT_TEMPLATES.rglob("*.jinja")
    )
    assert sorted(names) == on_disk
    for name in names:
        template = env.get_template(name)
        assert template.name == name
        assert template.filename == str(DEFAULT_TEMPLATES / name)


@pytest.mark.parametrize("name", template_names())
def test_no_template_bypasses_escaping(name: str) -> None:
    env = make_environment()
    source = (DEFAULT_TEMPLATES / name).read_text(encoding="utf-8")
    assert "Markup" not in source
    assert not re.search(r"\|\s*safe\b", source)
    tree = env.parse(source, name)
    for node in walk(tree):
        if isinstance(node, nodes.Filter):
            assert node.name not in {"safe", "forceescape"}, (name, node.lineno)
        assert not isinstance(node, nodes.ScopedEvalContextModifier), (
            name,
            node.lineno,
        )
        assert not isinstance(node, nodes.MarkSafe | nodes.MarkSafeIfAutoescape), (
            name,
            node.lineno,
        )


def test_every_ps1_output_goes_through_a_ps_filter() -> None:
    # Static twin of the finalize guard: it also covers branches no example renders.
    env = make_environment()
    outputs = 0
    for name in env.list_templates():
        if not name.endswith(".ps1.jinja"):
            continue
        source = (DEFAULT_TEMPLATES / name).read_text(encoding="utf-8")
        for node in walk(env.parse(source, name)):
            if not isinstance(node, nodes.Output):
                continue
            for expr in node.nodes:
                if isinstance(expr, nodes.TemplateData):
                    continue
                outputs += 1
                assert isinstance(expr, nodes.Filter), (name, expr.lineno)
                assert expr.name in FILTERS, (name, expr.lineno, expr.name)
    assert outputs >= 30
