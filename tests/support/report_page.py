"""The readiness report page as the tests read it: rendered from results, parsed
as XHTML, its visible words."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from generator.evidence.readiness import (
    Loaded,
)
from generator.evidence.report import render_report, report_context
from generator.plan.site import Plan
from tests.support.paths import TEMPLATES
from tests.support.readiness import judge

XHTML = "{http://www.w3.org/1999/xhtml}"


DEFAULT_TEMPLATES = TEMPLATES


def page(results: list[Loaded], plan: Plan | None, **extra) -> str:
    readiness = judge(results, plan, **extra)
    context = report_context(
        readiness, results, capacity=plan.capacity if plan else None
    )
    return render_report(context, DEFAULT_TEMPLATES)


def parse_page(html: str) -> ET.Element:
    """The report read as XML: it is written as XHTML-compatible HTML5."""
    return ET.fromstring(html.encode("utf-8"))


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def words(element: ET.Element) -> str:
    """The text of ``element`` (the body of a page), one space between pieces."""
    body = element.find(f"{XHTML}body")
    shown = body if body is not None else element
    return re.sub(r"\s+", " ", " ".join(shown.itertext())).strip()
