"""Each script's data block: the values of one bundle, decided by the plan.

One function per context type turns the context into ``psdata.Item`` values; the
code of the script (rendered once per kind, ``scripts.py``) reads them by name.
The scripts of a DR server share one data block, so an admin reviews a
server's values once and sees the same lines in each of its scripts.

Each item carries how the inventory names it (``label``) and, for a list of
records, the field that tells its rows apart (``key``): ``drgen review`` and
``render --check --diff`` speak of "host instances + Send", not of variables.
"""

from __future__ import annotations

from generator.plan.contexts import (
    BundleCheck,
    BundleIdentity,
    DiscoveryScript,
    FileRow,
    Hashes,
    LabProbe,
    ServerScript,
    SiteScript,
    TemplateContext,
)
from generator.render.psdata import Item, Row, Value, row

ScriptContext = ServerScript | SiteScript | LabProbe | BundleCheck | DiscoveryScript

#: How the inventory names each data variable, and for a list of records the
#: field(s) that tell its rows apart: drgen review and render --check --diff speak
#: of "host instances: + Send", not of $HostInstances. A variable without an entry
#: is shown by its name.
LABELS: dict[str, tuple[str, str]] = {
    "TargetComputer": ("target computer", ""),
    "GroupName": ("group", ""),
    "SiteName": ("site", ""),
    "BizTalkVersion": ("BizTalk version", ""),
    "ProductVersionPrefix": ("product version prefix", ""),
    "DefaultInstallPath": ("default install path", ""),
    "ProductionMgmtServer": ("production management SQL instance", ""),
    "ProductionMgmtDatabase": ("production management database", ""),
    "DrMgmtServer": ("DR management SQL instance", ""),
    "DrMgmtDatabase": ("DR management database", ""),
    "ProductionSsoServer": ("production SSO SQL instance", ""),
    "DrSsoServer": ("DR SSO SQL instance", ""),
    "SsoDatabase": ("SSO database", ""),
    "MasterSecretServer": ("DR master secret server", ""),
    "IsMasterSecretServer": ("master secret server role", ""),
    "RulesEngine": ("Rules Engine", ""),
    "ProductionRulesServer": ("production Rules Engine SQL instance", ""),
    "HostInstances": ("host instances", "HostName"),
    "Services": ("services", ""),
    "RoleServices": ("role services", ""),
    "OptionalServices": ("optional services", ""),
    "AppPools": ("IIS application pools", ""),
    "RegistryChecks": ("registry checks", "Key,Value"),
    "DrSqlInstances": ("DR SQL instances", ""),
    "AnswerFileServices": ("service accounts asked for a password", "Id"),
    "AnswerFileSha256": ("ConfigurationAnswers.xml SHA-256", ""),
    "UpdateInfoSha256": ("UpdateInfo.xml SHA-256", ""),
    "RearmInfoSha256": ("UpdateInfo-Rearm.xml SHA-256", ""),
    "SecretServerSha256": ("SecretServer.xml SHA-256", ""),
    "BundleId": ("bundle id", ""),
    "InventoryName": ("inventory", ""),
    "InventorySha256": ("inventory hash", ""),
    "ReferenceQueries": ("reference queries", ""),
    "SiteServers": ("DR servers", ""),
    "ExpectedFiles": ("files", "Path"),
    "Probes": ("lab checks", "Id"),
    "ProductionServers": ("production servers", ""),
}


#: Values drgen derives from the others (hashes, the bundle id): a change in them
#: follows from a change elsewhere, so a diff names them in one line.
DERIVED = frozenset(
    {
        "BundleId",
        "InventorySha256",
        "AnswerFileSha256",
        "UpdateInfoSha256",
        "RearmInfoSha256",
        "SecretServerSha256",
    }
)
#: Fields of records that are hashes: a diff says which rows came and went.
DERIVED_FIELDS = frozenset({"Sha256", "CodeSha256"})


def label(name: str) -> str:
    """How a data variable is shown: the inventory's words, else its name."""
    return LABELS.get(name, (name, ""))[0] or name


def _item(name: str, value: Value, comment: str = "", *, records: bool = False) -> Item:
    shown, key = LABELS[name]
    return Item(name, value, comment, label=shown, key=key, records=records)


def _identity(identity: BundleIdentity) -> list[Item]:
    return [
        _item(
            "BundleId",
            identity.bundle_id,
            "Which render this is, as the drill results record it (drgen report).",
        ),
        _item("InventoryName", identity.inventory),
        _item(
            "InventorySha256",
            identity.inventory_sha256,
            "SHA-256 of what the inventory means (its model as canonical JSON).",
        ),
    ]


# The part of a server's block that only the plan decides, by server, for the one
# site being rendered: plan_review counts its lines before rendering, then each
# of the server's scripts prints it (the cache holds the site itself, so a
# reused id of a freed site can never hit).
_STABLE: dict[str, list[Item]] = {}
_STABLE_SITE: list[object] = []


def _server(context: ServerScript) -> list[Item]:
    if not _STABLE_SITE or _STABLE_SITE[0] is not context.site:
        _STABLE.clear()
        _STABLE_SITE[:] = [context.site]
    stable = _STABLE.get(context.server.name)
    if stable is None:
        stable = _STABLE[context.server.name] = _server_plan_items(context)
    return [*stable, *_hashes(context.hashes), *_identity(context.identity)]


def _server_plan_items(context: ServerScript) -> list[Item]:
    site, server = context.site, context.server
    host_instances = tuple(
        row(
            HostName=h.host,
            InProcess=h.in_process,
            HostType=h.host_type,
            Account=h.account.name,
            Gmsa=h.account.gmsa,
            Service=h.service_name,
        )
        for h in server.host_instances
    )
    registry_checks = tuple(
        row(
            Key=c.key,
            Value=c.value,
            Production=c.production,
            Dr=c.dr,
            Optional=c.optional,
            Fix=c.fix,
        )
        for c in server.registry_checks
    )
    answer_services = tuple(
        row(Id=key, Account=account.name)
        for key, account in server.answer_file.ntservices
    )
    return [
        _item(
            "TargetComputer",
            server.name,
            "The DR server these scripts run on, and nowhere else.",
        ),
        _item("GroupName", site.group_name),
        _item("SiteName", site.site),
        _item("BizTalkVersion", site.version),
        _item("ProductVersionPrefix", site.product_version_prefix),
        _item("DefaultInstallPath", site.install_path),
        _item(
            "ProductionMgmtServer",
            site.production_mgmt.server,
            "Management and SSO databases, in production and at DR.",
        ),
        _item("ProductionMgmtDatabase", site.production_mgmt.name),
        _item("DrMgmtServer", site.dr_mgmt.server),
        _item("DrMgmtDatabase", site.dr_mgmt.name),
        _item("ProductionSsoServer", site.production_sso.server),
        _item("DrSsoServer", site.dr_sso.server),
        _item("SsoDatabase", site.dr_sso.name),
        _item("MasterSecretServer", site.master_secret_server),
        _item("IsMasterSecretServer", server.is_master_secret),
        _item(
            "RulesEngine",
            server.rules_engine,
            "The Rules Engine is configured on this server (role rules_engine).",
        ),
        _item("ProductionRulesServer", site.production_rules_server),
        _item(
            "HostInstances",
            host_instances,
            "Host instances of this server (role: the production servers it mirrors).",
            records=True,
        ),
        _item(
            "Services",
            tuple(s.name for s in server.services),
            "BizTalk-related Windows services on this server, in start order "
            "(stop: reverse).",
        ),
        _item(
            "RoleServices",
            server.role_services,
            "Services of this server's roles (Rule Engine, BAM alerts), in start "
            "order.",
        ),
        _item(
            "OptionalServices",
            server.optional_services,
            "Services configured outside the answer file: handled when present, "
            "never required.",
        ),
        _item(
            "AppPools",
            server.app_pools,
            "IIS application pools of the isolated hosts on this server (role iis).",
        ),
        _item(
            "RegistryChecks",
            registry_checks,
            "Registry values UpdateRegistry.vbs must move from production to DR "
            "on this server.",
            records=True,
        ),
        _item(
            "DrSqlInstances",
            site.dr_sql_instances,
            "DR SQL instances: after UpdateDatabase.vbs every reference names one.",
        ),
        _item(
            "AnswerFileServices",
            answer_services,
            "Answer-file services whose password Initialize asks for (no gMSA).",
            records=True,
        ),
    ]


def _hashes(hashes: Hashes) -> list[Item]:
    return [
        _item(
            "AnswerFileSha256",
            hashes.answers,
            "SHA-256 of the data files these scripts read: they must be the "
            "reviewed ones.",
        ),
        _item("UpdateInfoSha256", hashes.update_info),
        _item("RearmInfoSha256", hashes.update_info_rearm),
        _item("SecretServerSha256", hashes.secret_server),
    ]


def _site(context: SiteScript) -> list[Item]:
    site = context.site
    return [
        _item(
            "TargetComputer",
            site.update_databases_server,
            "The DR server that runs UpdateDatabase.vbs for the site "
            "(role update_databases).",
        ),
        _item("SiteName", site.site),
        _item("BizTalkVersion", site.version),
        _item("ProductVersionPrefix", site.product_version_prefix),
        _item("DefaultInstallPath", site.install_path),
        _item("DrMgmtServer", site.dr_mgmt.server),
        _item("DrMgmtDatabase", site.dr_mgmt.name),
        _item("DrSqlInstances", site.dr_sql_instances),
        _item("UpdateInfoSha256", context.hashes.update_info),
        _item(
            "ReferenceQueries",
            site.reference_queries,
            "Read-only queries on the restored management database; each row is "
            "(where, value, form):\nform 'server' is a SQL instance, 'connection' a "
            "connection string.",
        ),
    ]


def expected_files_item(files: tuple[FileRow, ...]) -> Item:
    """``$ExpectedFiles`` of Test-DrBundle.ps1 (``drgen verify`` rebuilds it)."""
    return _item(
        "ExpectedFiles",
        tuple(
            row(Path=path, Sha256=digest, CodeSha256=code)
            for path, digest, code in files
        ),
        "Every other file of the site: SHA-256 of the file and, for a script, of "
        "its code.",
        records=True,
    )


def expected_file_row(file: FileRow) -> Row:
    """One row of ``$ExpectedFiles``."""
    path, digest, code = file
    return row(Path=path, Sha256=digest, CodeSha256=code)


def _bundle_check(context: BundleCheck) -> list[Item]:
    site = context.site
    return [
        _item("SiteName", site.site),
        _item(
            "SiteServers",
            site.server_names,
            "The DR servers this bundle may be checked on.",
        ),
        expected_files_item(context.expected_files),
        *_identity(context.identity),
    ]


def _lab_probe(context: LabProbe) -> list[Item]:
    site = context.site
    return [
        _item("SiteName", site.site),
        _item("BizTalkVersion", site.version),
        _item("ProductVersionPrefix", site.product_version_prefix),
        _item("DefaultInstallPath", site.install_path),
        _item(
            "Probes",
            tuple(
                row(Id=p.id, Method=p.method, Arguments=tuple(p.args))
                for p in site.lab_probes
            ),
            "The catalogue facts below 'documented' for this BizTalk version.",
            records=True,
        ),
    ]


def _discovery(context: DiscoveryScript) -> list[Item]:
    return [
        _item("InventoryName", context.inventory),
        _item(
            "ProductionServers",
            context.production_servers,
            "The computers this script may run on (case ignored); none: any "
            "BizTalk server.",
        ),
    ]


def data_items(context: TemplateContext) -> tuple[Item, ...]:
    """The data block of the script rendered from ``context``.

    Raises:
        TypeError: ``context`` is not a script's.
    """
    if isinstance(context, ServerScript):
        return tuple(_server(context))
    if isinstance(context, SiteScript):
        return tuple(_site(context))
    if isinstance(context, BundleCheck):
        return tuple(_bundle_check(context))
    if isinstance(context, LabProbe):
        return tuple(_lab_probe(context))
    if isinstance(context, DiscoveryScript):
        return tuple(_discovery(context))
    msg = f"{type(context).__name__} is not the context of a script"
    raise TypeError(msg)
