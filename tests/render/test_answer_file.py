"""The Configuration Wizard answer file, checked structurally against the facts.

Facts §2.3-2.8 and §6 of biztalk-dr-facts.md: feature names, question IDs,
answer GUIDs, Selected="Yes" placement, direct children, version differences.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath

import pytest

from generator.api import plan as plan_inventories
from generator.bundle.build import render_unsigned
from generator.catalogue import CATALOGUE
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from generator.render.environment import make_environment
from generator.render.psdata import Row
from tests.support.scripts import Rendered, data_values

ANSWER_ATTRS = {"Value", "GUID", "Selected"}
QUESTION_ATTRS = {"ID", "Text", "Answers", "Default"}
FEATURE_ATTRS = {"Name", "DisplayName", "Version", "Description", "ConfigByDefault"}


def answer_files(
    rendered: dict[str, dict[PurePosixPath, RenderedArtifact]],
) -> list[tuple[str, str, ET.Element]]:
    found = []
    for stem, arts in rendered.items():
        for path, art in arts.items():
            if path.name == "ConfigurationAnswers.xml":
                found.append((stem, path.parent.name, ET.fromstring(art.text.encode())))
    return found


def feature(root: ET.Element, name: str) -> ET.Element:
    matches = [f for f in root.findall("Feature") if f.get("Name") == name]
    assert len(matches) == 1, f"expected one Feature {name}"
    return matches[0]


def selected(question: ET.Element) -> list[ET.Element]:
    return [a for a in question.findall("Answer") if a.get("Selected") is not None]


def test_every_dr_server_has_one(rendered, plans: dict[str, Plan]) -> None:
    names = {(stem, server) for stem, server, _ in answer_files(rendered)}
    expected = {(stem, s.name) for stem, p in plans.items() for s in p.site.servers}
    assert names == expected
    assert len(names) == 5


def test_root_and_child_order(rendered) -> None:
    for _, _, root in answer_files(rendered):
        assert root.tag == "Configuration"
        assert not root.attrib
        tags = [child.tag for child in root]
        first_installed = tags.index("InstalledFeature")
        assert set(tags[:first_installed]) == {"Feature"}
        assert set(tags[first_installed:]) == {"InstalledFeature"}


def test_sso_joins_and_is_not_the_master_secret_server(rendered) -> None:
    for _, server, root in answer_files(rendered):
        sso = feature(root, "SSOServer,Engine")
        assert sso.get("DisplayName") == "Enterprise Single Sign-On"
        question = sso.find("Question[@ID='IsSecretServer']")
        assert question is not None
        assert question.get("Answers") == "Create,Join"
        (chosen,) = selected(question)
        assert chosen.get("Value") == "Join", server
        assert chosen.get("GUID") == "{B9432756-1620-4bec-8CD9-E6D0B7805AA5}"
        assert chosen.get("Selected") == "Yes"
        create = question.find("Answer[@Value='Create']")
        assert create is not None
        assert create.get("GUID") == "{FB7268BE-82D4-4cad-8CFF-6930303DA7E2}"
        assert "Selected" not in create.attrib
        # Create-only children (admin groups, backup secret file/password) are absent.
        assert len(list(create)) == 0
        assert len(list(chosen)) == 0
        direct = {(c.tag, c.get("ID")) for c in sso}
        assert ("SQL", "SSO_DB_ID") in direct
        assert ("NTService", "ENTSSO") in direct


def test_group_join_names_production_management_db(rendered, plans) -> None:
    for stem, _, root in answer_files(rendered):
        wmi = feature(root, "WMI")
        assert wmi.get("DisplayName") == "BizTalk Server Group"
        question = wmi.find("Question[@ID='CREATEORJOIN']")
        assert question is not None
        (chosen,) = selected(question)
        assert chosen.get("Value") == "Join"
        assert chosen.get("GUID") == "{4D12E6A3-552E-4936-9DD3-59E1190FA324}"
        create = question.find("Answer[@Value='Create']")
        assert create is not None
        assert create.get("GUID") == "{C4DEF4B8-163E-4a8d-AB01-6C43917248B1}"
        assert "Selected" not in create.attrib
        assert len(list(create)) == 0  # no MessageBox/Tracking/admin groups
        mgmt = [c for c in wmi if c.tag == "SQL"]
        assert [m.get("ID") for m in mgmt] == ["{D757DBF9-5D71-4995-9F20-A552B7DFE7F1}"]
        prod = plans[stem].site.production_mgmt
        assert mgmt[0].findtext("Server") == prod.server
        assert mgmt[0].findtext("Database") == prod.name


def test_runtime_creates_no_host(rendered) -> None:
    for _, _, root in answer_files(rendered):
        runtime = feature(root, "Engine,BTSCfg")
        assert runtime.get("DisplayName") == "BizTalk Server runtime components"
        for qid, no_guid in (
            ("HOST", "{D9164C48-8179-4a40-912D-1BF4C3EFE70B}"),
            ("ISOHOST", "{5782A1A5-8578-4942-9CBB-E443A15A0B99}"),
        ):
            question = runtime.find(f"Question[@ID='{qid}']")
            assert question is not None
            (chosen,) = selected(question)
            assert (chosen.get("Value"), chosen.get("GUID")) == ("No", no_guid)
        assert runtime.find(".//Name[@ID='BTS_HOST_NAME']") is None


def test_rules_engine_only_where_the_role_is(rendered, plans) -> None:
    seen = 0
    for stem, server, root in answer_files(rendered):
        plan = next(s for s in plans[stem].site.servers if s.name == server)
        rules = [f for f in root.findall("Feature") if f.get("Name") == "RulesEngine"]
        installed = [i.text for i in root.findall("InstalledFeature")]
        if plan.rules_engine:
            seen += 1
            (feat,) = rules
            assert feat.get("Version") == "3.0"
            sql = feat.find("SQL[@ID='{E6C5E071-D6EB-4c31-BFE6-CA16637FBEEB}']")
            assert sql is not None
            assert sql.findtext("Database") == "BizTalkRuleEngineDb"
            assert (
                feat.find("NTService[@ID='{6ABAD351-9C7B-423e-9FDE-3A5C52441C00}']")
                is not None
            )
            assert "RulesEngine" in installed
        else:
            assert rules == []
            assert "RulesEngine" not in installed
    assert seen == 5  # every DR server of both examples has the role


def test_no_rules_engine_feature_without_the_role(
    tmp_path: Path, example_text: str
) -> None:
    text = example_text.replace(
        "mirrors: [server3], roles: [rules_engine]}", "mirrors: [server3]}"
    )
    assert text != example_text
    arts = _render_text(tmp_path, text)
    answers = {
        p.parent.name: ET.fromstring(a.text.encode())
        for p, a in arts.items()
        if p.name == "ConfigurationAnswers.xml"
    }
    for server, root in answers.items():
        rules = [f for f in root.findall("Feature") if f.get("Name") == "RulesEngine"]
        installed = [i.text for i in root.findall("InstalledFeature")]
        assert bool(rules) == (server != "DRserver3"), server
        assert ("RulesEngine" in installed) == (server != "DRserver3"), server


def test_installed_features_consistent(rendered) -> None:
    for _, _, root in answer_files(rendered):
        installed = [i.text for i in root.findall("InstalledFeature")]
        assert len(installed) == len(set(installed))
        for needed in ("WMI", "BizTalk", "Engine", "Runtime", "SSOServer", "SSOAdmin"):
            assert needed in installed


def test_no_invented_attributes_and_empty_passwords(rendered) -> None:
    for _, _, root in answer_files(rendered):
        for elem in root.iter():
            assert "Type" not in elem.attrib
            assert "Mode" not in elem.attrib
            allowed = {
                "Feature": FEATURE_ATTRS,
                "Question": QUESTION_ATTRS,
                "Answer": ANSWER_ATTRS,
            }.get(elem.tag)
            if allowed is not None:
                assert set(elem.attrib) <= allowed, elem.attrib
            if elem.tag == "Answer" and "Selected" in elem.attrib:
                assert elem.get("Selected") == "Yes"
        passwords = root.findall(".//Password")
        assert passwords
        assert all((p.text or "").strip() == "" for p in passwords)


@pytest.mark.parametrize(("stem", "gmsa"), [("example", True), ("consolidated", False)])
def test_version_specific_elements(rendered, stem: str, gmsa: bool) -> None:
    for found_stem, _, root in answer_files(rendered):
        if found_stem != stem:
            continue
        services = root.findall(".//NTService")
        assert services
        for service in services:
            children = [c.tag for c in service]
            assert children[:3] == ["UserName", "Domain", "Password"]
            if service.get("ID") == "ENTSSO":
                # Enterprise SSO does not support gMSA (gmsa-config.md): no real
                # 2020 export carries IsGmsaAccount under ENTSSO.
                assert "IsGmsaAccount" not in children
                continue
            # 2020 adds IsGmsaAccount to the other services (Rule Engine here).
            assert ("IsGmsaAccount" in children) is gmsa
            if gmsa:
                assert service.findtext("IsGmsaAccount") == "false"
        assert root.find(".//NTCredential[@ID='BTS_READONLY_USER_GROUP']") is None


def test_sql_children_order(rendered) -> None:
    for _, _, root in answer_files(rendered):
        for sql in root.iter("SQL"):
            tags = [c.tag for c in sql]
            assert tags == [
                "Server",
                "Database",
                "WindowsSecurity",
                "UserName",
                "Password",
            ]


def test_catalogue_ids_match_the_reference() -> None:
    # The GUIDs are verbatim facts; a typo here would silently break every file.
    assert CATALOGUE["answer:sso/join"] == "{B9432756-1620-4bec-8CD9-E6D0B7805AA5}"
    assert CATALOGUE["answer:group/join"] == "{4D12E6A3-552E-4936-9DD3-59E1190FA324}"
    assert (
        CATALOGUE["answer:sql/management"] == "{D757DBF9-5D71-4995-9F20-A552B7DFE7F1}"
    )


def test_every_file_carries_the_empty_mot_feature(rendered) -> None:
    # Every real export (and Microsoft's sample) has <Feature Name="MOT" .../>.
    for _, server, root in answer_files(rendered):
        mot = feature(root, "MOT")
        assert mot.get("DisplayName") == "BAM runtime", server
        assert mot.get("Version") == "1.0"
        assert len(list(mot)) == 0
        assert "MOT" in [i.text for i in root.findall("InstalledFeature")]


def test_no_gmsa_flag_under_enterprise_sso(rendered) -> None:
    for stem, server, root in answer_files(rendered):
        sso = feature(root, "SSOServer,Engine").find("NTService[@ID='ENTSSO']")
        assert sso is not None
        assert sso.find("IsGmsaAccount") is None, (stem, server)


# --- gMSA: the account name decides (gmsa-config.md) ---------------------------


def _render_text(tmp_path: Path, text: str) -> dict[PurePosixPath, RenderedArtifact]:
    path = tmp_path / "gmsa.yaml"
    path.write_text(text, encoding="utf-8")
    (plan,) = plan_inventories([path])
    return {art.path: art for art in render_unsigned(plan, make_environment())}


def test_a_gmsa_rule_engine_account_has_no_password(
    tmp_path: Path, example_text: str
) -> None:
    """gmsa-config.md: Business Rules Engine supports gMSA, and "when this setting
    is checked, the password property disables": IsGmsaAccount true, and the
    prepare script neither asks for nor injects a password for it."""
    text = example_text.replace(
        "rule_engine_service: CONTOSO\\svc-bre",
        "rule_engine_service: CONTOSO\\gmsa-bre$",
    )
    assert text != example_text
    arts = _render_text(tmp_path, text)
    answers = [a for p, a in arts.items() if p.name == "ConfigurationAnswers.xml"]
    assert len(answers) == 3
    for art in answers:
        root = ET.fromstring(art.text.encode())
        rules = feature(root, CATALOGUE["answer:feature/rules"])
        (service,) = rules.findall("NTService")
        assert service.findtext("UserName") == "gmsa-bre$"
        assert service.findtext("IsGmsaAccount") == "true"
        assert service.findtext("Password") in (None, "")
        # Enterprise SSO does not support gMSA: never an IsGmsaAccount there.
        sso = feature(root, CATALOGUE["answer:feature/sso"])
        assert sso.find("NTService/IsGmsaAccount") is None
    for path, art in arts.items():
        if path.name != "Initialize-DrServer.ps1":
            continue
        services = data_values(art.text)["AnswerFileServices"]
        assert isinstance(services, tuple)
        fields = [
            str(v) for row in services if isinstance(row, Row) for _, v in row.fields
        ]
        assert "CONTOSO\\svc-entsso" in fields
        assert not [f for f in fields if "gmsa-bre$" in f], path


def test_a_plain_rule_engine_account_is_not_a_gmsa(rendered) -> None:
    found = 0
    for stem, server, root in answer_files(rendered):
        rules = [
            f
            for f in root.findall("Feature")
            if f.get("Name") == CATALOGUE["answer:feature/rules"]
        ]
        for feature_ in rules:
            flag = feature_.findtext("NTService/IsGmsaAccount")
            if stem == "example":
                assert flag == "false", server
                found += 1
            else:
                assert flag is None, (stem, server)  # 2016: no gMSA elements
    assert found == 3


# =================================================================== answer file, join


def answer_file_roots(rendered: Rendered) -> list[tuple[str, ET.Element]]:
    return [
        (str(path), ET.fromstring(art.text))
        for arts in rendered.values()
        for path, art in arts.items()
        if path.name == "ConfigurationAnswers.xml"
    ]


def test_answer_file_shape(rendered: Rendered) -> None:
    """No gMSA flag under ENTSSO; the empty MOT feature every export carries."""
    files = answer_file_roots(rendered)
    assert len(files) == 5
    for path, root in files:
        (sso,) = [s for s in root.iter("NTService") if s.get("ID") == "ENTSSO"]
        assert sso.find("IsGmsaAccount") is None, path
        (mot,) = [f for f in root.findall("Feature") if f.get("Name") == "MOT"]
        assert len(mot) == 0, path
        assert not (mot.text or "").strip(), path
