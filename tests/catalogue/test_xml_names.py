"""Every element, attribute and answer value of the rendered XML files that
names something on the target is in the catalogue."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from generator.catalogue import Kind
from generator.render.artifacts import RenderedArtifact
from tests.support.catalogue_names import names_with_prefix
from tests.support.paths import EXAMPLES
from tests.support.scripts import Rendered, artifact

# ----------------------------------------------------------- names in the XML files


_XML_FILES = {
    "ConfigurationAnswers.xml": ("xml:answers/", "xml:answers@"),
    "UpdateInfo.xml": ("xml:updateinfo/", "xml:updateinfo@"),
    "SecretServer.xml": ("xml:secretserver/", "xml:secretserver@"),
}


# (element, attribute or '' for the text) -> id prefix of the catalogue values.
_XML_VALUES = {
    ("Feature", "Name"): "answer:feature/",
    ("Question", "ID"): "answer:question/",
    ("Answer", "GUID"): "answer:",
    ("SQL", "ID"): "answer:sql/",
    ("NTService", "ID"): "answer:service/",
    ("InstalledFeature", ""): "answer:installed/",
    ("DeploymentUnit", "Name"): "answer:bam-unit/",
    ("Property", "Name"): "answer:bam-property/",
}


def xml_problems(name: str, text: str) -> list[str]:
    """Element, attribute and value names of an XML file that the catalogue lacks."""
    element_prefix, attribute_prefix = _XML_FILES[name]
    elements = names_with_prefix(element_prefix, Kind.XML_ELEMENT)
    attributes = names_with_prefix(attribute_prefix, Kind.XML_ATTRIBUTE)
    problems = []
    for node in ET.fromstring(text).iter():
        if node.tag not in elements:
            problems.append(f"element {node.tag!r}")
        problems += [
            f"attribute {node.tag}@{a}" for a in node.attrib if a not in attributes
        ]
        for (tag, attribute), prefix in _XML_VALUES.items():
            if node.tag != tag:
                continue
            value = node.get(attribute) if attribute else (node.text or "").strip()
            if value is not None and value not in names_with_prefix(
                prefix, Kind.ANSWER_VALUE
            ):
                problems.append(
                    f"value {tag}{'@' + attribute if attribute else ''}={value!r}"
                )
    return problems


def test_every_name_in_the_xml_files_is_in_the_catalogue(
    all_artifacts: list[RenderedArtifact],
) -> None:
    files = [a for a in all_artifacts if a.path.name in _XML_FILES]
    assert {a.path.name for a in files} == set(_XML_FILES)
    problems = [
        f"{a.path}: {p}" for a in files for p in xml_problems(a.path.name, a.text)
    ]
    assert problems == []
    # Not vacuous: the values checked are there.
    answers = "".join(
        a.text for a in files if a.path.name == "ConfigurationAnswers.xml"
    )
    update = "".join(a.text for a in files if a.path.name == "UpdateInfo.xml")
    assert "<InstalledFeature>" in answers
    assert "GUID=" in answers
    assert "<DeploymentUnit Name=" in update
    assert "<Property Name=" in update


def test_rearm_file_uses_catalogue_names_only(rendered: Rendered) -> None:
    for stem in EXAMPLES:
        text = artifact(rendered, stem, "UpdateInfo-Rearm.xml").text
        # The same format as UpdateInfo.xml, so the same names.
        assert xml_problems("UpdateInfo.xml", text) == [], stem


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "ConfigurationAnswers.xml",
            '<Configuration><Feature Name="SSO" /></Configuration>',
            "value Feature@Name='SSO'",
        ),
        (
            "ConfigurationAnswers.xml",
            "<Configuration><Features /></Configuration>",
            "element 'Features'",
        ),
        (
            "ConfigurationAnswers.xml",
            "<Configuration><InstalledFeature>Engines</InstalledFeature></Configuration>",
            "value InstalledFeature='Engines'",
        ),
        (
            "UpdateInfo.xml",
            '<UpdateConfiguration><ManagementDB oldDbName="x" /></UpdateConfiguration>',
            "attribute ManagementDB@oldDbName",
        ),
        (
            "UpdateInfo.xml",
            '<UpdateConfiguration><BAM><DeploymentUnit Name="PrimaryImportDB" />'
            "</BAM></UpdateConfiguration>",
            "value DeploymentUnit@Name='PrimaryImportDB'",
        ),
        (
            "SecretServer.xml",
            "<sso><globalInfo><secretserver>X</secretserver></globalInfo></sso>",
            "element 'secretserver'",
        ),
    ],
)
def test_xml_check_fails_on_wrong_names(name: str, text: str, problem: str) -> None:
    assert problem in xml_problems(name, text)
