"""Planning: which DR server gets which host instances, services and roles."""

from __future__ import annotations

from generator.plan import Plan


def instances(plan: Plan) -> dict[str, list[str]]:
    return {s.name: [h.host for h in s.host_instances] for s in plan.site.servers}


def test_seed_scenario_is_one_to_one(plans: dict[str, Plan]) -> None:
    assert instances(plans["example"]) == {
        "DRserver1": ["Send"],
        "DRserver2": ["Receive"],
        "DRserver3": ["Orchestration"],
    }


def test_consolidation_is_the_union_of_mirrors(plans: dict[str, Plan]) -> None:
    assert instances(plans["consolidated"]) == {
        "FABDRBTS01": ["ReceiveHost", "SendHost", "TrackingHost", "WebReceiveHost"],
        "FABDRBTS02": ["ProcessingHost", "TrackingHost"],
    }
    server = plans["consolidated"].site.servers[0]
    receive = server.host_instances[0]
    assert receive.replaces == ("FABBTS01", "FABBTS02")


def test_services_per_server(plans: dict[str, Plan]) -> None:
    services = {
        s.name: [x.name for x in s.services]
        for p in plans.values()
        for s in p.site.servers
    }
    assert services["DRserver1"] == ["ENTSSO", "BTSSvc$Send"]
    assert services["DRserver2"] == [
        "ENTSSO",
        "BTSSvc$Receive",
        "RuleEngineUpdateService",
    ]
    # Isolated hosts run in IIS: no BTSSvc$ service.
    assert services["FABDRBTS01"] == [
        "ENTSSO",
        "BTSSvc$ReceiveHost",
        "BTSSvc$SendHost",
        "BTSSvc$TrackingHost",
    ]
    assert services["FABDRBTS02"] == [
        "ENTSSO",
        "BTSSvc$ProcessingHost",
        "BTSSvc$TrackingHost",
        "RuleEngineUpdateService",
        "BAMAlerts",
    ]


def test_prompted_accounts_skip_gmsa_and_repeats(plans: dict[str, Plan]) -> None:
    by_name = {s.name: s for p in plans.values() for s in p.site.servers}
    assert [a.name for a in by_name["DRserver3"].prompt_accounts] == [
        "CONTOSO\\svc-entsso"
    ]
    assert [a.name for a in by_name["FABDRBTS01"].prompt_accounts] == [
        "FABRIKAM\\svc-entsso",
        "FABRIKAM\\svc-bts-app",
        "FABRIKAM\\svc-bts-track",
        "FABRIKAM\\svc-bts-iso",
    ]


def test_output_layout(plans: dict[str, Plan]) -> None:
    paths = {str(a.path) for a in plans["example"].artifacts}
    assert "example/DR-West/UpdateInfo.xml" in paths
    assert "example/DR-West/SecretServer.xml" in paths
    assert "example/DR-West/Update-DrGroupDatabases.ps1" in paths
    for server in ("DRserver1", "DRserver2", "DRserver3"):
        for name in (
            "ConfigurationAnswers.xml",
            "Initialize-DrServer.ps1",
            "Test-DrServer.ps1",
            "Enable-DrServer.ps1",
            "Disable-DrServer.ps1",
        ):
            assert f"example/DR-West/{server}/{name}" in paths
    assert "example/DR-West/Runbook.md" in paths
    assert "example/DR-West/Test-DrLabFacts.ps1" in paths
    assert "example/DR-West/Test-DrBundle.ps1" in paths
    assert len(paths) == 6 + 3 * 5


def test_capacity_warning_for_smaller_site(plans: dict[str, Plan]) -> None:
    codes = [w.code for w in plans["consolidated"].warnings]
    assert "smaller-dr-site" in codes
    assert plans["example"].warnings == ()


def test_role_services_exclude_sso_and_host_services(plans: dict[str, Plan]) -> None:
    by_name = {s.name: s for p in plans.values() for s in p.site.servers}
    assert by_name["DRserver1"].role_services == ()
    assert by_name["DRserver2"].role_services == ("RuleEngineUpdateService",)
    assert by_name["FABDRBTS02"].role_services == (
        "RuleEngineUpdateService",
        "BAMAlerts",
    )
