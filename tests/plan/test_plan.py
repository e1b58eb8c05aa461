"""Planning: which DR server gets which host instances, services and roles."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from generator import api
from generator.bundle.build import render_bundle
from generator.plan.contexts import (
    BundleCheck,
    DiscoveryScript,
    LabProbe,
    ServerAnswers,
    ServerScript,
    SiteDocument,
    SiteRunbook,
    SiteScript,
)
from generator.plan.site import Plan
from generator.render.environment import make_environment
from generator.signing.signer import NullSigner
from tests.support.paths import INVENTORIES


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
    assert services["DRserver1"] == ["ENTSSO", "BTSSvc$Send", "RuleEngineUpdateService"]
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
        "RuleEngineUpdateService",
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
    # DRserver3 runs the Orchestration host as a gMSA: no password for it.
    assert [a.name for a in by_name["DRserver3"].prompt_accounts] == [
        "CONTOSO\\svc-entsso",
        "CONTOSO\\svc-bre",
    ]
    assert [a.name for a in by_name["FABDRBTS01"].prompt_accounts] == [
        "FABRIKAM\\svc-entsso",
        "FABRIKAM\\svc-bre",
        "FABRIKAM\\svc-bts-app",
        "FABRIKAM\\svc-bts-track",
        "FABRIKAM\\svc-bts-iso",
    ]


def test_output_layout(plans: dict[str, Plan]) -> None:
    paths = {str(a.path) for a in plans["example"].artifacts}
    assert "example/DR-West/UpdateInfo.xml" in paths
    assert "example/DR-West/UpdateInfo-Rearm.xml" in paths
    assert "example/DR-West/SecretServer.xml" in paths
    assert "example/DR-West/Update-DrGroupDatabases.ps1" in paths
    for server in ("DRserver1", "DRserver2", "DRserver3"):
        for name in (
            "ConfigurationAnswers.xml",
            "Initialize-DrServer.ps1",
            "Test-DrServer.ps1",
            "Enable-DrServer.ps1",
            "Disable-DrServer.ps1",
            "Reset-DrServer.ps1",
        ):
            assert f"example/DR-West/{server}/{name}" in paths
    assert "example/DR-West/Runbook.md" in paths
    assert "example/DR-West/Runbook.html" in paths
    assert "example/DR-West/Test-DrLabFacts.ps1" in paths
    assert "example/DR-West/Test-DrBundle.ps1" in paths
    # Beside the site: the production servers' discovery script.
    assert "example/production/Export-BizTalkGroup.ps1" in paths
    assert len(paths) == 8 + 3 * 6 + 1


def test_capacity_warning_for_smaller_site(plans: dict[str, Plan]) -> None:
    codes = [w.code for w in plans["consolidated"].warnings]
    assert "smaller-dr-site" in codes
    assert plans["example"].warnings == ()


def test_role_services_exclude_sso_and_host_services(plans: dict[str, Plan]) -> None:
    by_name = {s.name: s for p in plans.values() for s in p.site.servers}
    assert by_name["DRserver1"].role_services == ("RuleEngineUpdateService",)
    assert by_name["DRserver2"].role_services == ("RuleEngineUpdateService",)
    assert by_name["FABDRBTS02"].role_services == (
        "RuleEngineUpdateService",
        "BAMAlerts",
    )


# ------------------------------------------------------------- from the plan side


def test_bam_units_in_documented_order_old_primary_import_at_production(
    plans: dict[str, Plan],
) -> None:
    info = plans["consolidated"].site.update_info
    units = [(u.name, dict(u.properties)) for u in info.bam_units]
    assert [name for name, _ in units] == [
        "OldPrimaryImportDatabase",
        "PrimaryImportDatabase",
        "ArchivingDatabase",
        "StarSchemaDatabase",
    ]
    old, new, archive, star = (props for _, props in units)
    # Only the old primary import names where the database was; the rest, DR.
    assert old == {"ServerName": "FABSQL02\\BTS", "DatabaseName": "BAMPrimaryImport"}
    assert new == {"ServerName": "FABDRSQL01\\BTS", "DatabaseName": "BAMPrimaryImport"}
    assert archive["ServerName"] == star["ServerName"] == "FABDRSQL01\\BTS"
    # No BAM in the example group: no unit at all.
    assert plans["example"].site.update_info.bam_units == ()


def test_isolated_host_has_no_service_and_brings_its_app_pools(
    plans: dict[str, Plan],
) -> None:
    server = plans["consolidated"].site.servers[0]
    (web,) = [h for h in server.host_instances if h.host == "WebReceiveHost"]
    assert (web.in_process, web.host_type, web.service) == (False, 2, None)
    assert web.replaces == ("FABWEB01",)
    assert server.app_pools == ("FabrikamWebReceive",)
    assert web not in server.in_process_instances
    # Every in-process instance is type 1 with its BTSSvc$ service.
    for host in server.in_process_instances:
        assert (host.host_type, host.service) == (1, f"BTSSvc${host.host}")
    # The server without the iis role gets no pools.
    assert plans["consolidated"].site.servers[1].app_pools == ()
    isolated = [r for r in plans["consolidated"].mapping if r.host_type == "isolated"]
    assert [(r.host, r.production, r.dr) for r in isolated] == [
        ("WebReceiveHost", "FABWEB01", "FABDRBTS01")
    ]


def test_mixed_case_sql_names_map_to_their_dr_instance(
    write_inventory: Callable[[str, str], Path],
) -> None:
    # SQL instance names are case-insensitive: the databases spell the instance
    # differently from the dr.sql table, and still map.
    source = (INVENTORIES / "consolidated.yaml").read_text(encoding="utf-8")
    source = source.replace(
        "management: {server: FABSQL01\\BTS", "management: {server: fabsql01\\bts"
    ).replace("tracking: {server: FABSQL02\\BTS", "tracking: {server: FabSql02\\Bts")
    assert "fabsql01\\bts" in source
    assert "FabSql02\\Bts" in source
    (plan,) = api.plan([write_inventory(source, "consolidated.yaml")])
    site = plan.site
    assert site.production_mgmt.server == "fabsql01\\bts"  # as the admin wrote it
    assert site.dr_mgmt.server == "FABDRSQL01\\BTS"
    tracking = site.update_info.tracking
    assert (tracking.old_server, tracking.new_server) == (
        "FabSql02\\Bts",
        "FABDRSQL01\\BTS",
    )
    assert site.dr_sql_instances == ("FABDRSQL01\\BTS",)


def test_servers_after_the_master_are_in_inventory_order(
    plans: dict[str, Plan],
) -> None:
    site = plans["example"].site
    assert site.master_secret_server == "DRserver1"
    assert site.failover_after_master == ("DRserver2", "DRserver3")
    assert plans["consolidated"].site.failover_after_master == ("FABDRBTS02",)


def test_each_script_reads_exactly_the_data_files_it_vouches_for(
    plans: dict[str, Plan],
) -> None:
    plan = plans["example"]
    reads = {
        str(a.path).removeprefix("example/DR-West/"): {
            (field, str(path).removeprefix("example/DR-West/"))
            for field, path in a.reads
        }
        for a in plan.artifacts
        if a.reads
    }
    # The scripts of a server share one data block: each carries the hash of
    # every data file any of them reads.
    for server in ("DRserver1", "DRserver2", "DRserver3"):
        for script in ("Initialize", "Test", "Enable", "Disable", "Reset"):
            assert reads.pop(f"{server}/{script}-DrServer.ps1") == {
                ("answers", f"{server}/ConfigurationAnswers.xml"),
                ("update_info", "UpdateInfo.xml"),
                ("update_info_rearm", "UpdateInfo-Rearm.xml"),
                ("secret_server", "SecretServer.xml"),
            }
    assert reads == {"Update-DrGroupDatabases.ps1": {("update_info", "UpdateInfo.xml")}}
    paths = {a.path for a in plan.artifacts}
    assert all(p in paths for a in plan.artifacts for _, p in a.reads)
    # Only data files are read, so one rendering pass before the scripts suffices.
    assert all(not p.name.endswith(".ps1") for a in plan.artifacts for _, p in a.reads)
    (check,) = [a for a in plan.artifacts if a.lists_site]
    assert check.path.name == "Test-DrBundle.ps1"


def test_every_template_gets_a_typed_context(plans: dict[str, Plan]) -> None:
    kinds = {
        "Runbook.md": SiteRunbook,
        "Runbook.html": SiteRunbook,
        "UpdateInfo.xml": SiteDocument,
        "UpdateInfo-Rearm.xml": SiteDocument,
        "SecretServer.xml": SiteDocument,
        "ConfigurationAnswers.xml": ServerAnswers,
        "Update-DrGroupDatabases.ps1": SiteScript,
        "Test-DrLabFacts.ps1": LabProbe,
        "Test-DrBundle.ps1": BundleCheck,
        "Export-BizTalkGroup.ps1": DiscoveryScript,
    }
    for plan in plans.values():
        for spec in plan.artifacts:
            wanted = kinds.get(spec.path.name, ServerScript)
            assert type(spec.context) is wanted, spec.path
            assert dataclasses.is_dataclass(spec.context)
            assert spec.context.__dataclass_params__.frozen  # type: ignore[union-attr]
            server = getattr(spec.context, "server", None)
            if isinstance(spec.context, ServerAnswers):
                # Only the answer file: servers with the same one share its text.
                by_name = {s.name: s for s in plan.site.servers}
                planned = by_name[str(spec.server)].answer_file
                assert spec.context.answers == planned, spec.path
                continue
            assert (server.name if server else None) == spec.server, spec.path


def test_bundle_fills_hashes_of_the_files_it_rendered(plans: dict[str, Plan]) -> None:
    import hashlib

    plan = plans["example"]
    encoded = {a.path: a for a in render_bundle(plan, make_environment(), NullSigner())}
    enable = encoded[PurePosixPath("example/DR-West/DRserver2/Enable-DrServer.ps1")]
    text = enable.data.decode("utf-8-sig")
    info = encoded[PurePosixPath("example/DR-West/UpdateInfo.xml")].data
    digest = hashlib.sha256(info).hexdigest().upper()
    assert f"$UpdateInfoSha256 = '{digest}'" in text
    check = encoded[PurePosixPath("example/DR-West/Test-DrBundle.ps1")]
    listed = check.data.decode("utf-8-sig")
    for path, art in encoded.items():
        if path.name == "Test-DrBundle.ps1":
            continue
        if path.parts[1] == "production":
            # Not copied to DR servers: the site's check does not list it.
            assert path.name not in listed
            continue
        relative = "\\".join(path.relative_to("example/DR-West").parts)
        digest = hashlib.sha256(art.data).hexdigest().upper()
        row = f"Path = '{relative}'\r\n        Sha256 = '{digest}'"
        assert row in listed, relative


def test_host_names_differing_only_in_case_are_one_host(
    write_inventory: Callable[[str, str], Path],
) -> None:
    source = (INVENTORIES / "consolidated.yaml").read_text(encoding="utf-8")
    edited = source.replace(
        "{name: FABBTS02, host_instances: [ReceiveHost, SendHost]}",
        "{name: FABBTS02, host_instances: [receivehost, SENDHOST]}",
    )
    assert edited != source
    (plan,) = api.plan([write_inventory(edited, "consolidated.yaml")])
    server = plan.site.servers[0]
    assert [h.host for h in server.host_instances] == [
        "ReceiveHost",
        "SendHost",
        "TrackingHost",
        "WebReceiveHost",
    ]
    services = [s.name for s in server.services]
    assert len(services) == len(set(services))
    (row,) = [r for r in plan.capacity.rows if r.server == server.name]
    assert row.runs == 4
