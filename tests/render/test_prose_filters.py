"""The runbooks' prose filters: authored words as text, names as code, each
distinct prose converted once and always to the same text.

``md_prose`` and ``html_prose`` (generator/render/markdown.py) cache by the prose
value; a prose span that is already ``Markup`` is refused, since it would pass
``escape`` unchanged and, being equal to its plain string, share its cache entry.
"""

from __future__ import annotations

import pytest
from markupsafe import Markup

from generator.plan.prose import Code
from generator.render.markdown import html_prose, md_prose


def test_html_prose_escapes_words_and_names() -> None:
    value = ("Run ", Code("a<b>&c"), " then <check> & stop.")
    assert str(html_prose(value)) == (
        "Run <code>a&lt;b&gt;&amp;c</code> then &lt;check&gt; &amp; stop."
    )


def test_md_prose_prints_names_as_code_spans() -> None:
    assert md_prose(("Run ", Code("x|y"), ".")) == "Run `x\\|y`."


def test_a_markup_span_is_refused_not_served_from_the_cache() -> None:
    plain = ("<b>",)
    assert str(html_prose(plain)) == "&lt;b&gt;"
    with pytest.raises(TypeError, match="runbook prose"):
        html_prose((Markup("<b>"),))
    with pytest.raises(TypeError, match="runbook prose"):
        md_prose((Markup("<b>"),))
    # The plain entry is still the escaped one.
    assert str(html_prose(plain)) == "&lt;b&gt;"


def test_not_prose_is_refused() -> None:
    with pytest.raises(TypeError, match="runbook prose"):
        html_prose(["a list", "is not prose"])
    with pytest.raises(TypeError, match="runbook prose"):
        md_prose(("ok", 3))


def test_repeated_prose_is_converted_once_and_stays_equal() -> None:
    value = ("On ", Code("DRSERVER-CACHE-1"), ".")
    first = html_prose(value)
    again = html_prose(("On ", Code("DRSERVER-CACHE-1"), "."))
    assert first is again
    assert md_prose(value) == "On `DRSERVER-CACHE-1`."


def test_the_list_filters_are_map_then_join() -> None:
    from generator.render.markdown import md_code, md_code_list, md_prose_list

    proses = [(Code("DR|1"),), ("on ", Code("a`b")), ("words",)]
    assert md_prose_list(proses) == ", ".join(md_prose(p) for p in proses)
    assert md_prose_list(tuple(proses), "; ") == "; ".join(md_prose(p) for p in proses)
    names = ("DR`1", "a|b", "plain")
    assert md_code_list(names) == ", ".join(md_code(n) for n in names)
    assert md_code_list(()) == ""
    with pytest.raises(TypeError, match="md_prose_list expects a list"):
        md_prose_list("not a list")
    with pytest.raises(TypeError, match="md_code_list expects a list"):
        md_code_list({"a"})
    with pytest.raises(TypeError, match="runbook prose"):
        md_prose_list([(Markup("<b>"),)])
