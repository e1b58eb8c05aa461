"""drgen drift: each kind of drift found, with its code and location, and nothing
else; case-insensitive names; an old discovery is a warning.

Each case mutates what ``discover --simulate`` writes for an example inventory
one way and expects exactly its findings."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from generator import api
from generator.cli.drift import drift_json, drift_text
from generator.discovery.drift import CODES
from generator.discovery.simulate import simulate
from generator.errors import ExitCode
from tests.support.discoveries import (
    EPOCH,
    Mutation,
    drift_cli,
    drift_of,
    location_of,
    simulated,
)
from tests.support.paths import EXAMPLES, INVENTORIES

# ---------------------------------------------------------------------------- no drift


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_simulated_production_has_no_drift(name: str, tmp_path: Path) -> None:
    report = drift_of(name, simulated(name), tmp_path, now=EPOCH, max_age=timedelta(1))
    assert report.findings == ()
    assert report.computer
    assert report.collected_at == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize("name", EXAMPLES)
def test_names_compare_case_insensitively(name: str, tmp_path: Path) -> None:
    data = simulated(name)

    def upper(value: Any) -> Any:
        if isinstance(value, str):
            return value.upper()
        if isinstance(value, list):
            return [upper(v) for v in value]
        if isinstance(value, dict):
            return {k: upper(v) for k, v in value.items()}
        return value

    shouted = upper(data)
    # Keep what is not a name: the schema id and when it was collected.
    shouted["schema"] = data["schema"]
    shouted["collected"] = data["collected"]
    assert shouted["hosts"][0]["name"].isupper()
    report = drift_of(name, shouted, tmp_path)
    assert report.findings == ()


# ----------------------------------------------------------- one mutation, one finding


def add_host(data: dict[str, Any]) -> None:
    data["hosts"].append(
        {
            "name": "Audit",
            "host_type": 1,
            "windows_group": "CONTOSO\\BizTalk Application Users",
        }
    )
    data["host_instances"].append(
        {
            "host": "Audit",
            "server": "server1",
            "logon": "CONTOSO\\svc-audit",
            "state": 4,
        }
    )


def remove_host(data: dict[str, Any]) -> None:
    data["hosts"] = [h for h in data["hosts"] if h["name"] != "Receive"]
    data["host_instances"] = [
        i for i in data["host_instances"] if i["host"] != "Receive"
    ]


def instances(data: dict[str, Any], host: str) -> list[dict[str, Any]]:
    return [i for i in data["host_instances"] if i["host"] == host]


def set_logon(host: str, logon: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        for instance in instances(data, host):
            instance["logon"] = logon

    return mutate


def mixed_logons(data: dict[str, Any]) -> None:
    instances(data, "ReceiveHost")[1]["logon"] = "FABRIKAM\\svc-other"


def add_instance(data: dict[str, Any]) -> None:
    data["host_instances"].append(
        {"host": "Receive", "server": "server1", "logon": "CONTOSO\\svc-bts-recv"}
    )


def add_server(data: dict[str, Any]) -> None:
    data["servers"].append("server4")
    data["host_instances"].append(
        {"host": "Send", "server": "server4", "logon": "CONTOSO\\svc-bts-send"}
    )


def remove_server(data: dict[str, Any]) -> None:
    data["servers"].remove("server3")
    data["host_instances"] = [
        i for i in data["host_instances"] if i["server"] != "server3"
    ]


def remove_instance(data: dict[str, Any]) -> None:
    data["host_instances"] = [
        i
        for i in data["host_instances"]
        if (i["host"], i["server"]) != ("Send", "server1")
    ]


def group(key: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["group"][key] = value

    return mutate


def db(key: str, field: str, value: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["group"][key][field] = value

    return mutate


def secret_server_as_dns_name(data: dict[str, Any]) -> None:
    data["group"]["master_secret_server"] += ".contoso.com"


def swap_master(data: dict[str, Any]) -> None:
    first, second = data["group"]["messageboxes"]
    first["master"], second["master"] = False, True


def move_messagebox(data: dict[str, Any]) -> None:
    data["group"]["messageboxes"][1]["server"] = "FABSQL03\\BTS"


def add_messagebox(data: dict[str, Any]) -> None:
    data["group"]["messageboxes"].append(
        {"server": "SQLPROD01", "name": "BizTalkMsgBoxDb2", "master": False}
    )


def remove_messagebox(data: dict[str, Any]) -> None:
    data["group"]["messageboxes"].pop()


def _backup_row(data: dict[str, Any], name: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = data["group"]["other_databases"]
    return next(r for r in rows if r["backup_name"] == name)


def move_other(data: dict[str, Any]) -> None:
    _backup_row(data, "FabrikamOrders")["server"] = "FABSQL09"


def move_biztalks_sso_row(data: dict[str, Any]) -> None:
    # BizTalk's own row: the SSO database is compared where WMI names it.
    _backup_row(data, "SSO")["server"] = "FABSQL09"


def remove_other(data: dict[str, Any]) -> None:
    data["group"]["other_databases"].remove(_backup_row(data, "FabrikamOrders"))


def add_other(data: dict[str, Any]) -> None:
    data["group"]["other_databases"].append(
        {"backup_name": "Billing", "server": "FABSQL02\\BTS", "name": "Billing"}
    )


def unread(source: str, *keys: str) -> Mutation:
    """The script could not read ``source``: its databases null, with a reason."""

    def mutate(data: dict[str, Any]) -> None:
        for key in keys:
            data["group"][key] = None
        data["group"]["unread"][source] = "Cannot read it: permission denied"

    return mutate


def from_an_older_script(data: dict[str, Any]) -> None:
    """A file without ``unread``: a null BAM database there was not read."""
    del data["group"]["unread"]
    data["group"]["bam_archive"] = None


def host_field(host: str, key: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        next(h for h in data["hosts"] if h["name"] == host)[key] = value

    return mutate


def sso_account(data: dict[str, Any]) -> None:
    data["accounts"]["sso_service"] = "CONTOSO\\svc-entsso2"


def cluster(host: str, network_name: str = "BTSCLUSTER01") -> Mutation:
    """``host`` clustered as BizTalk reports it: each node's instance type 1, and
    a virtual instance (type 2) on the cluster's network name."""

    def mutate(data: dict[str, Any]) -> None:
        found = instances(data, host)
        for instance in found:
            instance["cluster_instance_type"] = 1
        data["host_instances"].append(
            {**found[0], "server": network_name, "cluster_instance_type": 2}
        )

    return mutate


def cluster_listed_as_server(data: dict[str, Any]) -> None:
    cluster("Send")(data)
    data["servers"].append("BTSCLUSTER01")


def disable(host: str, server: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        for instance in instances(data, host):
            if instance["server"] == server:
                instance["disabled"] = True
                instance["state"] = 1

    return mutate


def disable_send_on_two_servers(data: dict[str, Any]) -> None:
    for server in ("FABBTS01", "FABBTS02"):
        disable("SendHost", server)(data)


def disabled_on_a_new_server(data: dict[str, Any]) -> None:
    add_server(data)
    disable("Send", "server4")(data)


def without_cluster_instance_type(data: dict[str, Any]) -> None:
    # A discovery file of a script that did not read it: still valid, no finding.
    for instance in data["host_instances"]:
        del instance["cluster_instance_type"]


H = ("group", "hosts")


DBS = ("group", "databases")


P = ("production", "servers")


CASES: list[tuple[str, str, Mutation, list[tuple[str, tuple[str | int, ...]]]]] = [
    ("host added", "example", add_host, [("DRIFT001", H)]),
    ("host removed", "example", remove_host, [("DRIFT002", (*H, 1, "name"))]),
    (
        "host type",
        "example",
        host_field("Send", "host_type", 2),
        [("DRIFT003", (*H, 0, "type"))],
    ),
    (
        "host account",
        "example",
        set_logon("Send", "CONTOSO\\svc-new"),
        [("DRIFT004", (*H, 0, "account"))],
    ),
    (
        "gMSA lost",
        "example",
        set_logon("Orchestration", "CONTOSO\\svc-orch"),
        [("DRIFT004", (*H, 2, "account"))],
    ),
    (
        "windows group",
        "example",
        host_field("Send", "windows_group", "CONTOSO\\Other"),
        [("DRIFT005", (*H, 0, "windows_group"))],
    ),
    (
        "windows group without its domain",
        "example",
        host_field("Send", "windows_group", "biztalk application users"),
        [],
    ),
    (
        "windows group of another domain",
        "example",
        host_field("Send", "windows_group", "FABRIKAM\\BizTalk Application Users"),
        [("DRIFT005", (*H, 0, "windows_group"))],
    ),
    (
        "trusted",
        "example",
        host_field("Send", "trusted", True),
        [("DRIFT005", (*H, 0, "trusted"))],
    ),
    ("mixed logons", "consolidated", mixed_logons, [("DRIFT006", (*H, 0, "account"))]),
    # TrackingHost runs on FABBTS01 and FABBTS03, mirrored by two DR servers.
    (
        "clustered host on two DR servers",
        "consolidated",
        cluster("TrackingHost", "FABCLUSTER01"),
        [("DRIFT007", (*H, 3, "name"))],
    ),
    # ReceiveHost's nodes FABBTS01 and FABBTS02 are both mirrored by FABDRBTS01:
    # one DR server runs it once, as the cluster does.
    (
        "clustered host on one DR server",
        "consolidated",
        cluster("ReceiveHost", "FABCLUSTER01"),
        [],
    ),
    # The virtual instance's network name is no production server (no DRIFT010).
    ("clustered host, one node", "example", cluster("Send"), []),
    ("cluster name among the servers", "example", cluster_listed_as_server, []),
    ("older file without cluster type", "example", without_cluster_instance_type, []),
    (
        "instance disabled",
        "example",
        disable("Receive", "server2"),
        [("DRIFT014", (*P, 1, "host_instances", 0))],
    ),
    (
        "instance disabled on two servers",
        "consolidated",
        disable_send_on_two_servers,
        [
            ("DRIFT014", (*P, 0, "host_instances", 1)),
            ("DRIFT014", (*P, 1, "host_instances", 1)),
        ],
    ),
    # A server new to the inventory is DRIFT010, not also DRIFT014.
    (
        "instance disabled on a new server",
        "example",
        disabled_on_a_new_server,
        [("DRIFT010", P)],
    ),
    ("server added", "example", add_server, [("DRIFT010", P)]),
    ("server removed", "example", remove_server, [("DRIFT011", (*P, 2, "name"))]),
    (
        "instance added",
        "example",
        add_instance,
        [("DRIFT012", (*P, 0, "host_instances"))],
    ),
    (
        "instance removed",
        "example",
        remove_instance,
        [("DRIFT013", (*P, 0, "host_instances", 0))],
    ),
    (
        "messagebox added",
        "example",
        add_messagebox,
        [("DRIFT020", (*DBS, "messageboxes"))],
    ),
    (
        "messagebox removed",
        "consolidated",
        remove_messagebox,
        [("DRIFT021", (*DBS, "messageboxes", 1, "name"))],
    ),
    (
        "master changed",
        "consolidated",
        swap_master,
        [
            ("DRIFT022", (*DBS, "messageboxes", 0, "master")),
            ("DRIFT022", (*DBS, "messageboxes", 1, "name")),
        ],
    ),
    (
        "messagebox moved",
        "consolidated",
        move_messagebox,
        [("DRIFT023", (*DBS, "messageboxes", 1, "server"))],
    ),
    (
        "tracking moved",
        "example",
        db("tracking", "server", "SQLPROD02"),
        [("DRIFT023", (*DBS, "tracking", "server"))],
    ),
    (
        "management renamed",
        "example",
        db("management", "name", "MgmtDb2"),
        [("DRIFT023", (*DBS, "management", "name"))],
    ),
    (
        "sso moved",
        "consolidated",
        db("sso", "server", "FABSQL02\\BTS"),
        [("DRIFT023", (*DBS, "sso", "server"))],
    ),
    (
        "bam moved",
        "consolidated",
        db("bam_archive", "server", "FABSQL01\\BTS"),
        [("DRIFT023", (*DBS, "bam", "archive", "server"))],
    ),
    (
        "custom db moved",
        "consolidated",
        move_other,
        [("DRIFT023", (*DBS, "other", 0, "server"))],
    ),
    ("biztalk's own backup row", "consolidated", move_biztalks_sso_row, []),
    (
        "custom db removed",
        "consolidated",
        remove_other,
        [("DRIFT025", (*DBS, "other", 0))],
    ),
    (
        "custom db added",
        "consolidated",
        add_other,
        [("DRIFT024", (*DBS, "other"))],
    ),
    (
        "bam archive gone",
        "consolidated",
        group("bam_archive", None),
        [("DRIFT025", (*DBS, "bam", "archive"))],
    ),
    (
        "bam analysis added",
        "consolidated",
        group("bam_analysis", {"server": "FABSQL03\\BTS", "name": "BAMAnalysis"}),
        [("DRIFT024", (*DBS, "bam"))],
    ),
    (
        "bam alerts gone from the backup job",
        "consolidated",
        group("bam_alerts_application", None),
        [("DRIFT025", (*DBS, "bam", "alerts_application"))],
    ),
    (
        "bam configuration not read",
        "consolidated",
        unread("bam_configuration", "bam_archive", "bam_star_schema", "bam_analysis"),
        [],
    ),
    (
        "backup job not read",
        "consolidated",
        unread(
            "backup_databases",
            "other_databases",
            "bam_alerts_application",
            "bam_alerts_instance",
        ),
        [],
    ),
    ("bam archive from an older script", "consolidated", from_an_older_script, []),
    (
        "bam added",
        "example",
        group(
            "bam_primary_import", {"server": "SQLPROD01", "name": "BAMPrimaryImport"}
        ),
        [("DRIFT024", DBS)],
    ),
    (
        "rules engine removed",
        "example",
        group("rule_engine", None),
        [("DRIFT025", (*DBS, "rule_engine"))],
    ),
    (
        "master secret server",
        "example",
        group("master_secret_server", "SSOPROD02"),
        [("DRIFT030", ("group", "sso", "master_secret_server"))],
    ),
    # Not readable (no SSO Administrators membership): nothing to compare.
    (
        "master secret server not read",
        "example",
        group("master_secret_server", None),
        [],
    ),
    # gi_SecretServer as a DNS name is the same computer as its first label.
    ("master secret server fqdn", "example", secret_server_as_dns_name, []),
    (
        "sso account",
        "example",
        sso_account,
        [("DRIFT031", ("group", "accounts", "sso_service"))],
    ),
    (
        "version",
        "example",
        group("product_version", "3.12.774.0"),
        [("DRIFT040", ("group", "biztalk_version"))],
    ),
    ("cu", "example", group("cu", "CU6"), [("DRIFT041", ("group", "biztalk_version"))]),
]


def test_a_missing_alerts_row_names_the_backup_job(tmp_path: Path) -> None:
    """Production's BAM alerts databases are the Backup job's rows of the names
    UpdateInfo.xml uses: without the row, UpdateDatabase.vbs updates nothing."""
    data = simulated("consolidated")
    data["group"]["bam_alerts_application"] = None
    report = drift_of("consolidated", data, tmp_path, now=EPOCH, max_age=timedelta(1))
    (finding,) = report.findings
    assert finding.code == "DRIFT025"
    assert "'BAM Alerts Application DB' in the Backup BizTalk Server job" in (
        finding.message
    )


@pytest.mark.parametrize(
    ("name", "mutate", "expected"),
    [pytest.param(n, m, e, id=i) for i, n, m, e in CASES],
)
def test_each_drift_is_found_where_to_fix_it_and_nothing_else(
    name: str,
    mutate: Mutation,
    expected: list[tuple[str, tuple[str | int, ...]]],
    tmp_path: Path,
) -> None:
    data = simulated(name)
    mutate(data)
    report = drift_of(name, data, tmp_path, now=EPOCH, max_age=timedelta(1))
    found = sorted((f.code, f.location) for f in report.findings)
    assert found == sorted((code, location_of(name, path)) for code, path in expected)
    for finding in report.findings:
        assert finding.severity == CODES[finding.code].severity or finding.code in {
            "DRIFT001",
            "DRIFT010",
            "DRIFT012",
        }
        assert finding.breaks
        assert finding.message


def test_every_code_has_a_case_or_an_age_test() -> None:
    covered = {code for _, _, _, expected in CASES for code, _ in expected}
    assert covered | {"DRIFT050"} == set(CODES)


def test_a_clustered_host_says_how_many_dr_servers_would_poll(
    tmp_path: Path,
) -> None:
    data = simulated("consolidated")
    cluster("TrackingHost", "FABCLUSTER01")(data)
    report = drift_of("consolidated", data, tmp_path, now=EPOCH, max_age=timedelta(1))
    (finding,) = report.findings
    assert finding.code == "DRIFT007"
    assert finding.severity == "warning"
    assert "host `TrackingHost` is clustered in production" in finding.message
    assert "FABDRBTS01, FABDRBTS02 each run an instance" in finding.message
    assert finding.breaks.startswith(
        "adapters clustered to run once would poll on 2 DR servers"
    )
    assert "dr.servers[].host_instances" in finding.breaks
    assert finding.location == location_of(
        "consolidated", ("group", "hosts", 3, "name")
    )
    # Kept on one DR server (an explicit host_instances list): no finding.
    inventory = (INVENTORIES / "consolidated.yaml").read_text(encoding="utf-8")
    kept = inventory.replace(
        "      mirrors: [FABBTS03, FABBTS04]\n",
        "      mirrors: [FABBTS03, FABBTS04]\n      host_instances: [ProcessingHost]\n",
    )
    assert kept != inventory
    path = tmp_path / "kept.yaml"
    path.write_text(kept, encoding="utf-8")
    discovery = tmp_path / "discovery.json"
    report = api.drift(path, discovery, now=EPOCH, max_age=timedelta(1))
    assert report.findings == ()


def test_a_disabled_instance_says_dr_enables_it(tmp_path: Path) -> None:
    data = simulated("example")
    disable("Receive", "server2")(data)
    report = drift_of("example", data, tmp_path, now=EPOCH, max_age=timedelta(1))
    (finding,) = report.findings
    assert finding.severity == "warning"
    assert finding.message == (
        "the instance of host `Receive` on server2 is disabled in production; "
        "DR will enable it at failover (DRserver2)"
    )
    assert "DR enables every instance it runs at failover" in finding.breaks
    # Simulated discoveries write disabled: false and type 0: nothing to report.
    plain = simulated("example")
    assert {i["disabled"] for i in plain["host_instances"]} == {False}
    assert {i["cluster_instance_type"] for i in plain["host_instances"]} == {0}


def test_messages_keep_the_inventory_spelling(tmp_path: Path) -> None:
    data = simulated("example")
    for instance in data["host_instances"]:
        instance["host"] = instance["host"].upper()
        instance["server"] = instance["server"].upper()
    data["host_instances"].append(
        {"host": "RECEIVE", "server": "SERVER1", "logon": "CONTOSO\\svc-bts-recv"}
    )
    (finding,) = drift_of("example", data, tmp_path).findings
    assert finding.code == "DRIFT012"
    assert (
        "production server server1 now runs an instance of host `Receive`"
        in finding.message
    )
    assert (
        "DRserver1, which takes over server1, does not run `Receive`" in finding.breaks
    )


def test_a_sql_instance_spelled_otherwise_is_drift_that_says_so(
    tmp_path: Path,
) -> None:
    # UpdateInfo.xml's oldDBServer must match production's spelling, so a DNS name
    # or port where the inventory has the computer name is drift, but not a move.
    data = simulated("example")
    data["group"]["management"]["server"] = "sqlprod01.contoso.com,1433"
    data["group"]["messageboxes"][0]["server"] = "tcp:SQLPROD01"
    report = drift_of("example", data, tmp_path)
    assert sorted(f.code for f in report.findings) == ["DRIFT023", "DRIFT023"]
    for finding in report.findings:
        assert "the same instance spelled differently?" in finding.message
    data = simulated("example")
    data["group"]["management"]["server"] = "SQLPROD02.contoso.com"
    (moved,) = drift_of("example", data, tmp_path).findings
    assert moved.code == "DRIFT023"
    assert "spelled differently" not in moved.message


def test_a_cu_written_with_a_space_is_the_same_cu(tmp_path: Path) -> None:
    text = (INVENTORIES / "example.yaml").read_text(encoding="utf-8")
    inventory = tmp_path / "example.yaml"
    inventory.write_text(
        text.replace(
            'biztalk_version: "2020"', 'biztalk_version: "2020"\n  biztalk_cu: CU 5'
        ),
        encoding="utf-8",
    )
    data = simulated("example")
    data["group"]["cu"] = "CU5"
    path = tmp_path / "discovery.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert api.drift(inventory, path).findings == ()
    data["group"]["cu"] = "CU6"
    path.write_text(json.dumps(data), encoding="utf-8")
    (finding,) = api.drift(inventory, path).findings
    assert finding.code == "DRIFT041"


def test_a_host_no_dr_server_runs_says_its_work_stops(tmp_path: Path) -> None:
    data = simulated("consolidated")
    # WebReceiveHost moves to FABBTS04, whose DR server runs no isolated host.
    for instance in data["host_instances"]:
        if instance["server"] == "FABWEB01":
            instance["server"] = "FABWEB02"
    data["servers"] = [s.replace("FABWEB01", "FABWEB02") for s in data["servers"]]
    report = drift_of("consolidated", data, tmp_path)
    codes = sorted(f.code for f in report.findings)
    assert codes == ["DRIFT010", "DRIFT011"]
    added = next(f for f in report.findings if f.code == "DRIFT010")
    assert added.severity == "error"
    assert "FABWEB02 runs WebReceiveHost" in added.message


def test_host_added_says_its_work_stops_after_failover(tmp_path: Path) -> None:
    data = simulated("example")
    add_host(data)
    (finding,) = drift_of("example", data, tmp_path).findings
    assert finding.message == (
        "host `Audit` has instances in production (server1) and none at DR: its "
        "work stops after failover"
    )


# --------------------------------------------------------------------------------- age


def test_an_old_discovery_is_a_warning_located_in_the_discovery(tmp_path: Path) -> None:
    data = simulated("example")
    now = EPOCH + timedelta(days=8)
    report = drift_of("example", data, tmp_path, now=now, max_age=timedelta(days=7))
    (finding,) = report.findings
    assert finding.code == "DRIFT050"
    assert finding.severity == "warning"
    assert finding.location.file.endswith("discovery.json")
    assert (finding.location.line, finding.location.column) == (4, 5)
    assert "8.0 days ago" in finding.message
    assert (
        drift_of("example", data, tmp_path, now=now, max_age=timedelta(days=9)).findings
        == ()
    )
    assert drift_of("example", data, tmp_path).findings == ()  # no now: no age check


# -------------------------------------------------------------------- the command line


def test_cli_exit_codes(tmp_path: Path) -> None:
    inventory = str(INVENTORIES / "example.yaml")
    clean = tmp_path / "clean.json"
    clean.write_text(simulate(INVENTORIES / "example.yaml"))
    result = drift_cli([inventory, str(clean)])
    # The simulated file is from 1970: one warning, which alone exits 0 ...
    assert result.exit_code == 0, result.output
    assert "warning[DRIFT050]" in result.stdout
    # ... and 9 with --strict.
    assert drift_cli([inventory, str(clean), "--strict"]).exit_code == ExitCode.DRIFT
    result = drift_cli([inventory, str(clean), "--max-age", "36500"])
    assert result.exit_code == 0
    assert result.stdout.startswith("inventories/example.yaml: no drift against ")
    data = simulated("example")
    add_server(data)
    drifted = tmp_path / "drifted.json"
    drifted.write_text(json.dumps(data))
    result = drift_cli([inventory, str(drifted), "--format", "json"])
    assert result.exit_code == ExitCode.DRIFT
    report = json.loads(result.stdout)
    codes = [f["code"] for f in report["findings"]]
    assert codes == ["DRIFT010", "DRIFT050"] or codes == ["DRIFT050", "DRIFT010"]
    finding = next(f for f in report["findings"] if f["code"] == "DRIFT010")
    where = location_of("example", P)
    assert (finding["line"], finding["column"]) == (where.line, where.column)
    assert finding["severity"] == "error"
    assert finding["breaks"]
    text = drift_cli([inventory, str(drifted)]).stdout
    assert re.search(
        r"example\.yaml:\d+:\d+: error\[DRIFT010\]: production server server4", text
    )
    assert "  breaks at DR: " in text


def test_report_formatters_agree(tmp_path: Path) -> None:
    data = simulated("example")
    remove_host(data)
    report = drift_of("example", data, tmp_path)
    as_json = json.loads(drift_json(report))
    assert as_json == report.to_json()
    assert as_json["errors"] == 1
    assert as_json["warnings"] == 0
    assert drift_text(report).count("error[DRIFT002]") == 1
