"""Domain rules: each code, where it points, and what stays valid."""

from __future__ import annotations

import re

import pytest

from generator.errors import Diagnostic
from generator.inventory.load import parse_inventory_text
from generator.inventory.model import Inventory
from generator.inventory.validation import parse_inventory
from generator.plan import rules
from generator.plan.mapping import capacity, dr_host_instances, host_mapping
from generator.plan.rules import RULE_CODES, check_rules
from generator.plan.site import build_plan
from tests.support.invalid_inventories import INVALID
from tests.support.paths import INVENTORIES, ROOT

CONSOLIDATED = (INVENTORIES / "consolidated.yaml").read_text(encoding="utf-8")
WARNING_CODES = {"capacity", "smaller-dr-site", "rules-engine-missing"}


def model(text: str) -> tuple[Inventory, list[Diagnostic]]:
    doc = parse_inventory_text(text, "inv.yaml")
    inventory = parse_inventory(doc)
    return inventory, check_rules(inventory, doc)


def found(text: str) -> list[tuple[int, int, str, str]]:
    """(line, column, severity, code) of every rule diagnostic."""
    return [
        (d.location.line, d.location.column, d.severity, d.code) for d in model(text)[1]
    ]


def errors(text: str) -> list[str]:
    return [code for _, _, severity, code in found(text) if severity == "error"]


def edit(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# --- bookkeeping: every code is listed, documented and tested -------------------


def test_rule_codes_list_every_code_a_rule_reports() -> None:
    source = "".join(
        p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "generator" / "plan" / "rules").glob("*.py"))
    )
    reported = set(re.findall(r'^\s+"([a-z]+(?:-[a-z]+)+|capacity)",$', source, re.M))
    assert reported == set(RULE_CODES)


def test_every_error_rule_has_an_invalid_fixture() -> None:
    tested = {code for _, _, code in INVALID}
    assert set(RULE_CODES) - WARNING_CODES <= tested


# --- the examples -------------------------------------------------------------


def test_seed_example_has_no_findings(example_text: str) -> None:
    assert found(example_text) == []


def test_consolidated_example_only_warns_about_capacity() -> None:
    assert found(CONSOLIDATED) == [
        (
            line_of(CONSOLIDATED, "  servers:\n    - name: FABDRBTS01"),
            3,
            "warning",
            "smaller-dr-site",
        ),
        (line_of(CONSOLIDATED, "    - name: FABDRBTS01"), 7, "warning", "capacity"),
    ]


# --- names and references -----------------------------------------------------


def test_references_ignore_case(example_text: str) -> None:
    text = edit(
        example_text,
        ("mirrors: [server1]", "mirrors: [SERVER1]"),
        ("host_instances: [Receive]", "host_instances: [RECEIVE]"),
    )
    assert found(text) == []


@pytest.mark.parametrize("name", ["server2", "SERVER2", "SSOPROD01", "ssoprod01"])
def test_dr_names_differ_from_production_computers(
    example_text: str, name: str
) -> None:
    text = edit(example_text, ("{name: DRserver3,", f"{{name: {name},"))
    assert "dr-name-is-production" in errors(text)


def test_duplicate_dr_server(example_text: str) -> None:
    text = edit(example_text, ("{name: DRserver3,", "{name: drserver2,"))
    assert errors(text).count("duplicate-server") == 2


def test_duplicate_instance_on_a_dr_server(example_text: str) -> None:
    text = edit(
        example_text,
        (
            "{name: DRserver3, mirrors: [server3], roles: [rules_engine]}",
            "{name: DRserver3, mirrors: [server3], roles: [rules_engine], "
            "host_instances: [Orchestration, ORCHESTRATION]}",
        ),
    )
    ((line, _column, _, code),) = [f for f in found(text) if f[2] == "error"]
    assert code == "duplicate-instance"
    assert line == line_of(text, "ORCHESTRATION")


def test_the_union_of_mirrors_never_repeats_a_host() -> None:
    inventory, _ = model(CONSOLIDATED)
    hosts = dr_host_instances(inventory)
    assert hosts["FABDRBTS01"] == (
        "ReceiveHost",
        "SendHost",
        "TrackingHost",
        "WebReceiveHost",
    )
    for names in hosts.values():
        assert len({n.upper() for n in names}) == len(names)


# --- mirroring ----------------------------------------------------------------

NOT_MIRRORED = (
    "  join_mode: production\n",
    "  join_mode: production\n  not_mirrored:\n"
    "    - {server: server3, reason: batch server; its host runs on DRserver2}\n",
)
ORCHESTRATION_ON_DR2 = (
    "{name: DRserver2, mirrors: [server2], roles: [rules_engine]}",
    "{name: DRserver2, mirrors: [server2], roles: [rules_engine], "
    "host_instances: [Receive, Orchestration]}",
)
DR3_MIRRORS_NOTHING = (
    "{name: DRserver3, mirrors: [server3], roles: [rules_engine]}",
    "{name: DRserver3, mirrors: [], roles: [rules_engine], host_instances: [Send]}",
)


def test_a_server_marked_not_mirrored_with_a_reason_is_valid(example_text: str) -> None:
    text = edit(example_text, NOT_MIRRORED, ORCHESTRATION_ON_DR2, DR3_MIRRORS_NOTHING)
    assert errors(text) == []
    inventory, _ = model(text)
    rows = {(r.host, r.production): (r.dr, r.note) for r in host_mapping(inventory)}
    assert rows[("Orchestration", "server3")] == (
        None,
        "batch server; its host runs on DRserver2",
    )
    assert rows[("Orchestration", None)] == ("DRserver2", "added on DR")


def test_without_the_mark_it_is_not_mirrored(example_text: str) -> None:
    text = edit(example_text, ORCHESTRATION_ON_DR2, DR3_MIRRORS_NOTHING)
    assert errors(text) == ["not-mirrored"]
    (diagnostic,) = [d for d in model(text)[1] if d.severity == "error"]
    assert "dr.not_mirrored" in (diagnostic.hint or "")


def test_not_mirrored_does_not_excuse_a_host_without_dr_instance(
    example_text: str,
) -> None:
    text = edit(example_text, NOT_MIRRORED, DR3_MIRRORS_NOTHING)
    assert errors(text) == ["host-not-on-dr"]


def test_not_mirrored_listed_twice(example_text: str) -> None:
    text = edit(
        example_text,
        (NOT_MIRRORED[0], NOT_MIRRORED[1] + "    - {server: SERVER3, reason: again}\n"),
        ORCHESTRATION_ON_DR2,
        DR3_MIRRORS_NOTHING,
    )
    assert errors(text) == ["duplicate-server"]


def test_mirrored_by_three(example_text: str) -> None:
    text = edit(
        example_text,
        ("mirrors: [server2]", "mirrors: [server2, server1]"),
        ("mirrors: [server3]", "mirrors: [server3, server1]"),
    )
    diagnostic = next(d for d in model(text)[1] if d.code == "mirrored-twice")
    assert "mirrored by 3 DR servers" in diagnostic.message
    assert diagnostic.location.line == line_of(text, "{name: server1,")


# --- roles --------------------------------------------------------------------


def test_role_count_without_owner_points_at_dr_servers(example_text: str) -> None:
    text = edit(
        example_text,
        ("roles: [sso_master_secret, update_databases, rules_engine]", "roles: []"),
    )
    assert [f for f in found(text) if f[2] == "error"] == [
        (line_of(text, "  servers:\n    - {name: DRserver1"), 3, "error", "role-count"),
        (line_of(text, "  servers:\n    - {name: DRserver1"), 3, "error", "role-count"),
    ]
    assert found(text)[2:] == [
        (line_of(text, "name: DRserver1"), 8, "warning", "rules-engine-missing")
    ]


def test_isolated_host_on_an_iis_server_is_fine() -> None:
    inventory, diagnostics = model(CONSOLIDATED)
    assert "iis" in inventory.dr.servers[0].roles
    assert not [d for d in diagnostics if d.severity == "error"]


def test_isolated_host_without_iis() -> None:
    text = edit(
        CONSOLIDATED,
        (
            "roles: [sso_master_secret, update_databases, iis, rules_engine]",
            "roles: [sso_master_secret, update_databases, rules_engine]",
        ),
    )
    assert errors(text) == ["isolated-without-iis"]


def test_bam_role_with_bam_databases_is_fine() -> None:
    assert "bam_alerts" in CONSOLIDATED
    assert "bam-without-db" not in errors(CONSOLIDATED)


def test_gmsa_is_fine_on_2020(example_text: str) -> None:
    assert "gmsa: true" in example_text
    assert errors(example_text) == []


def test_gmsa_on_2013r2(example_text: str) -> None:
    text = edit(example_text, ('biztalk_version: "2020"', 'biztalk_version: "2013R2"'))
    assert errors(text) == ["gmsa-unsupported"]


def test_a_gmsa_is_told_by_its_name_without_the_flag(example_text: str) -> None:
    """gmsa-config.md: a gMSA account name ends in '$'; the flag may be left out."""
    text = edit(example_text, ("      gmsa: true\n", ""))
    inventory, diagnostics = model(text)
    assert diagnostics == []
    assert [h.name for h in inventory.group.hosts if h.is_gmsa] == ["Orchestration"]
    # On a version without gMSA the name alone is enough to refuse it.
    old = edit(text, ('biztalk_version: "2020"', 'biztalk_version: "2016"'))
    assert errors(old) == ["gmsa-unsupported"]


def test_a_gmsa_flag_that_contradicts_the_name_is_located(example_text: str) -> None:
    flag_false = edit(example_text, ("      gmsa: true", "      gmsa: false"))
    assert found(flag_false) == [
        (
            line_of(flag_false, "account: CONTOSO\\svc-bts-orch$"),
            7,
            "error",
            "gmsa-name",
        )
    ]
    flag_true = edit(
        example_text,
        (
            "account: CONTOSO\\svc-bts-send\n",
            "account: CONTOSO\\svc-bts-send\n      gmsa: true\n",
        ),
    )
    codes = [d for d in model(flag_true)[1] if d.code == "gmsa-name"]
    assert len(codes) == 1
    assert "contradicts" in codes[0].message


def test_a_gmsa_rule_engine_account(example_text: str) -> None:
    """The Rule Engine Update Service may run as a gMSA on 2020 (gmsa-config.md),
    never on an older version; Enterprise SSO never."""
    text = edit(
        example_text,
        (
            "rule_engine_service: CONTOSO\\svc-bre",
            "rule_engine_service: CONTOSO\\gmsa-bre$",
        ),
    )
    assert errors(text) == []
    old = edit(text, ('biztalk_version: "2020"', 'biztalk_version: "2016"'))
    located = [d for d in model(old)[1] if d.severity == "error"]
    assert {d.code for d in located} == {"gmsa-unsupported"}
    assert line_of(old, "rule_engine_service:") in {d.location.line for d in located}


def test_rules_engine_missing_on_a_server_with_host_instances(
    example_text: str,
) -> None:
    """how-to-restore-your-databases.md: the Rule Engine Update Service is
    restarted on every server of the group; a DR server that runs host instances
    without the Rules Engine is warned about, where its roles are."""
    text = edit(
        example_text,
        ("mirrors: [server3], roles: [rules_engine]}", "mirrors: [server3]}"),
    )
    assert found(text) == [
        (line_of(text, "name: DRserver3"), 8, "warning", "rules-engine-missing")
    ]
    with_roles = edit(
        example_text,
        (
            "roles: [sso_master_secret, update_databases, rules_engine]",
            "roles: [sso_master_secret, update_databases]",
        ),
    )
    ((line, _column, severity, code),) = found(with_roles)
    assert (severity, code) == ("warning", "rules-engine-missing")
    assert line == line_of(with_roles, "roles: [sso_master_secret, update_databases]")
    (warning,) = model(with_roles)[1]
    assert warning.hint is not None
    assert "how-to-restore-your-databases.md" in warning.hint
    # No Rules Engine database: nothing to warn about.
    without_db = edit(
        text,
        ("    rule_engine: {server: SQLPROD01, name: BizTalkRuleEngineDb}\n", ""),
        ("    rule_engine_service: CONTOSO\\svc-bre\n", ""),
        (
            "roles: [sso_master_secret, update_databases, rules_engine]}",
            "roles: [sso_master_secret, update_databases]}",
        ),
        ("roles: [rules_engine]}", "}"),
    )
    assert found(without_db) == []


def test_an_isolated_host_may_run_no_app_pool() -> None:
    """app_pools: [] says "no pools"; leaving the key out is a located error whose
    hint offers both forms."""
    none = edit(CONSOLIDATED, ("app_pools: [FabrikamWebReceive]", "app_pools: []"))
    assert errors(none) == []
    inventory, _ = model(none)
    plan = build_plan(inventory, parse_inventory_text(none, "inv.yaml"), "inv")
    assert all(s.app_pools == () for s in plan.site.servers)
    missing = edit(CONSOLIDATED, ("      app_pools: [FabrikamWebReceive]\n", ""))
    (diagnostic,) = [d for d in model(missing)[1] if d.severity == "error"]
    assert diagnostic.code == "isolated-without-app-pools"
    assert diagnostic.location.line == line_of(missing, "- name: WebReceiveHost")
    assert diagnostic.hint is not None
    assert "app_pools: []" in diagnostic.hint
    assert "app_pools: [PoolName" in diagnostic.hint


# --- SQL ----------------------------------------------------------------------


def test_every_database_server_needs_a_mapping() -> None:
    text = edit(CONSOLIDATED, ("    FABSQL02\\BTS: FABDRSQL01\\BTS\n", ""))
    missing = [d for d in model(text)[1] if d.code == "sql-not-mapped"]
    # tracking, the second MessageBox, four BAM databases and the custom database
    assert len(missing) == 7
    assert {d.location.line for d in missing} == {
        line_of(text, needle)
        for needle in (
            "{server: FABSQL02\\BTS, name: BizTalkMsgBoxDb2}",
            "tracking: {server: FABSQL02",
            "primary_import:",
            "archive:",
            "star_schema:",
            "alerts_application:",
            "{backup_name: FabrikamOrders",
        )
    }


def test_sql_mapping_keys_ignore_case(example_text: str) -> None:
    text = edit(example_text, ("    SQLPROD01: SQLDR01", "    sqlprod01: SQLDR01"))
    assert errors(text) == []


def test_dr_sql_must_not_be_another_production_instance() -> None:
    text = edit(
        CONSOLIDATED,
        ("    FABSQL01\\BTS: FABDRSQL01\\BTS", "    FABSQL01\\BTS: FABSQL02\\BTS"),
    )
    assert errors(text) == ["dr-sql-is-production"]


# --- capacity -----------------------------------------------------------------


def test_capacity_table_of_the_consolidated_example() -> None:
    inventory, _ = model(CONSOLIDATED)
    table = capacity(inventory)
    assert (table.busiest_server, table.busiest_load) == ("FABBTS01", 3)
    assert (table.dr_servers, table.production_servers) == (2, 5)
    assert [(r.server, r.load, r.runs, r.ratio, r.over) for r in table.rows] == [
        ("FABDRBTS01", 6, 4, 2.0, True),
        ("FABDRBTS02", 3, 2, 1.0, False),
    ]


@pytest.mark.parametrize(
    ("ratio", "warned"), [("1.0", True), ("1.99", True), ("2", False), ("2.5", False)]
)
def test_capacity_warning_ratio_is_configurable(ratio: str, warned: bool) -> None:
    text = edit(
        CONSOLIDATED,
        (
            "  join_mode: production\n",
            f"  join_mode: production\n  capacity_warning_ratio: {ratio}\n",
        ),
    )
    codes = [code for _, _, _, code in found(text)]
    assert ("capacity" in codes) is warned
    assert "smaller-dr-site" in codes


def test_the_warning_is_above_the_ratio_not_at_it(example_text: str) -> None:
    # DRserver3 takes over server3 and server2's instances: 2 / 1 = 2.0
    text = edit(
        example_text,
        ("mirrors: [server3]", "mirrors: [server3, server2]"),
        ("{name: DRserver2, mirrors: [server2]", "{name: DRserver2, mirrors: []"),
        (
            "  join_mode: production\n",
            "  join_mode: production\n  capacity_warning_ratio: 2\n",
        ),
    )
    assert "capacity" not in [code for _, _, _, code in found(text)]
    text = edit(text, ("capacity_warning_ratio: 2\n", "capacity_warning_ratio: 1.9\n"))
    warning = next(d for d in model(text)[1] if d.code == "capacity")
    assert warning.severity == "warning"
    assert warning.location.line == line_of(text, "{name: DRserver3,")
    assert "takes over 2 host instances, 2.00 times" in warning.message
    assert "dr.capacity_warning_ratio (1.9)" in (warning.hint or "")


def test_explicit_host_instances_count_when_larger(example_text: str) -> None:
    text = edit(
        example_text,
        (
            "{name: DRserver3, mirrors: [server3], roles: [rules_engine]}",
            "{name: DRserver3, mirrors: [server3], roles: [rules_engine], "
            "host_instances: [Orchestration, Send, Receive]}",
        ),
    )
    inventory, diagnostics = model(text)
    row = capacity(inventory).rows[2]
    assert (row.load, row.runs, row.ratio, row.over) == (3, 3, 3.0, True)
    assert [d.code for d in diagnostics] == ["capacity"]


def test_no_ratio_when_production_runs_no_instances(example_text: str) -> None:
    text = example_text
    for host in ("Send", "Receive", "Orchestration"):
        text = edit(text, (f"host_instances: [{host}]}}", "host_instances: []}"))
    text = edit(
        text,
        (
            "{name: DRserver3, mirrors: [server3], roles: [rules_engine]}",
            "{name: DRserver3, mirrors: [server3], roles: [rules_engine], "
            "host_instances: [Send, Receive, Orchestration]}",
        ),
    )
    inventory, diagnostics = model(text)
    assert [r.ratio for r in capacity(inventory).rows] == [None, None, None]
    assert "capacity" not in [d.code for d in diagnostics]


def test_smaller_dr_site_is_a_warning_that_does_not_block_the_plan() -> None:
    doc = parse_inventory_text(CONSOLIDATED, "inv.yaml")
    plan = build_plan(parse_inventory(doc), doc, "consolidated")
    assert sorted(d.code for d in plan.warnings) == ["capacity", "smaller-dr-site"]


def test_errors_block_the_plan_with_every_diagnostic(example_text: str) -> None:
    from generator.errors import PlanError

    text = edit(
        example_text,
        ("mirrors: [server3]", "mirrors: []"),
        ("master: true", "master: false"),
    )
    doc = parse_inventory_text(text, "inv.yaml")
    with pytest.raises(PlanError) as caught:
        build_plan(parse_inventory(doc), doc, "example")
    assert sorted(d.code for d in caught.value.diagnostics) == [
        "host-not-on-dr",
        "master-messagebox",
        "not-mirrored",
    ]


def test_database_servers_lists_every_production_database() -> None:
    inventory, _ = model(CONSOLIDATED)
    paths = [path for path, _ in rules.database_servers(inventory)]
    assert len(paths) == 11
    assert ("group", "databases", "bam", "alerts_application", "server") in paths
