"""Registry keys and values the scripts read (they never write the registry).

Several value names are used by public tools and Microsoft's own scripts but are
not on any documentation page; those are ``observed`` and the lab probe checks them.
After UpdateRegistry.vbs, Enable-DrServer.ps1 reads each value it knows the DR
value of and stops, naming it, when one still names production: no source says
which values UpdateRegistry.vbs rewrites, so drgen never writes them itself.
"""

from __future__ import annotations

from generator.catalogue.model import Confidence, Entry, Kind, Probe
from generator.catalogue.sources import (
    UPDATEDATABASE_VBS,
    core,
    inferred,
    learn,
    public,
)

DOC = Confidence.DOCUMENTED
OBS = Confidence.OBSERVED

_VERSION_PAGE = core("what-version-of-biztalk-server-do-i-have.md")
_RULES_PAGE = core("rule-engine-configuration-and-tuning-parameters.md")
_SSO_TOOLS = public(
    "Didago.Tools.SSOConfigCmdTool SSO.cs ('taken from the MMC snap-in for SSO'), "
    "GT.BizTalk.SSO.AdminMMC SSOManager, bizilante.SSO.Helper: "
    'Registry.GetValue("HKEY_LOCAL_MACHINE\\\\Software\\\\Microsoft\\\\ENTSSO\\\\SQL", '
    '"Server")'
)
_MGMT = public(
    "dsccommunity/BizTalkServerDsc:Examples/Scenario_OneMachine/~Config/~BizTalk/"
    "BtsConfig.ps1 (Name = 'MgmtDBServer'); HydAu/Biztalk:biztalk/recipes/"
    "configure_Test_BizTalk.rb (.MgmtDBName); UpdateDatabase.vbs reads both"
)
_UNINSTALL_PAGE = learn("windows/win32/msi/uninstall-registry-key")
_MSDTC = learn(
    "troubleshoot/windows-server/application-management/enable-network-dtc-access"
)


def _value(
    key_id: str,
    name: str,
    source: str,
    confidence: Confidence,
    note: str,
    if_failed: str = "",
) -> Entry:
    return Entry(
        f"{key_id}/{name}",
        Kind.REGISTRY_VALUE,
        name,
        source,
        confidence,
        note,
        probe=None if confidence is DOC else Probe("registry-value", (key_id, name)),
        if_failed=if_failed,
    )


ENTRIES: tuple[Entry, ...] = (
    Entry(
        "reg:biztalk",
        Kind.REGISTRY_KEY,
        r"HKLM:\SOFTWARE\Microsoft\BizTalk Server\3.0",
        _VERSION_PAGE,
        DOC,
        "the installed BizTalk Server: InstallPath, ProductEdition, ProductVersion",
    ),
    _value(
        "reg:biztalk",
        "ProductVersion",
        _VERSION_PAGE,
        DOC,
        "'Lists the base product version' (compared by prefix, see ver:*)",
    ),
    _value(
        "reg:biztalk",
        "ProductName",
        public("BizTalkCommunity/BizTalkWinSCPInstaller:InstallWinSCPForBizTalk.ps1"),
        OBS,
        "'Microsoft BizTalk Server 2020': shown when the version prefix does not "
        "match, so the admin sees what is installed",
        if_failed="only a message uses it: drop it from the version-check message in "
        "templates/_partials/helpers.ps1.jinja",
    ),
    Entry(
        "reg:biztalk-admin",
        Kind.REGISTRY_KEY,
        r"HKLM:\SOFTWARE\Microsoft\BizTalk Server\3.0\Administration",
        core("how-biztalk-server-processes-large-messages.md"),
        DOC,
        "the group this server is configured for",
    ),
    _value(
        "reg:biztalk-admin",
        "MgmtDBServer",
        _MGMT,
        OBS,
        "the management database SQL instance; set by the join, rewritten by "
        "UpdateRegistry.vbs ('updates all registry entries that store information "
        "about the location of other databases', how-to-restore-your-databases.md)",
        if_failed="change the value name in generator/catalogue/registry.py",
    ),
    _value(
        "reg:biztalk-admin",
        "MgmtDBName",
        _MGMT,
        OBS,
        "the management database name",
        if_failed="change the value name in generator/catalogue/registry.py",
    ),
    Entry(
        "reg:biztalk-admin-wow64",
        Kind.REGISTRY_KEY,
        r"HKLM:\SOFTWARE\Wow6432Node\Microsoft\BizTalk Server\3.0\Administration",
        public(
            "icraftsoftware Be.Stateless.BizTalk.Explorer BizTalkServerGroup "
            "(RegistryView.Registry32: '[HKLM\\Wow6432Node\\Microsoft\\Biztalk "
            "Server\\3.0\\Administration]')"
        ),
        OBS,
        "the 32-bit view of the same key, read by 32-bit BizTalk processes; checked "
        "only where the value exists",
        settle="checked only where present; nothing to confirm",
    ),
    Entry(
        "reg:biztalk-admin-wow64/MgmtDBServer",
        Kind.REGISTRY_VALUE,
        "MgmtDBServer",
        _MGMT,
        OBS,
        "the management database SQL instance, 32-bit view; Enable-DrServer.ps1 "
        "checks it after UpdateRegistry.vbs where it exists",
        probe=Probe("registry-value", ("reg:biztalk-admin-wow64", "MgmtDBServer")),
        if_failed="nothing to change: the copy is checked only where it exists",
    ),
    Entry(
        "reg:sso-sql",
        Kind.REGISTRY_KEY,
        r"HKLM:\SOFTWARE\Microsoft\ENTSSO\SQL",
        core("single-sign-on-event-10513.md"),
        DOC,
        "where the SSO service finds its database ('the SQL Server and SSO database "
        "names specified in the registry'; the key path itself is observed)",
    ),
    _value(
        "reg:sso-sql",
        "Server",
        _SSO_TOOLS,
        OBS,
        "the SQL instance of the SSO database. Not ENTSSO\\Server, which holds the "
        "SSO version. Documented fix when it is wrong: ssoconfig -setDB (Single "
        "Sign-On event 10511)",
        if_failed="change the value name in generator/catalogue/registry.py",
    ),
    _value(
        "reg:sso-sql",
        "Database",
        _SSO_TOOLS,
        OBS,
        "the SSO database name",
        if_failed="change the value name in generator/catalogue/registry.py",
    ),
    Entry(
        "reg:sso-secret",
        Kind.REGISTRY_KEY,
        r"HKLM:\SOFTWARE\Microsoft\ENTSSO\SSOSS",
        core("single-sign-on-event-10520.md"),
        DOC,
        "'The master secret is located under ...SSOSS (this key is present only on "
        "the SSO master secret server)'; 'one or more keys under SSOSS named as GUIDs'",
    ),
    Entry(
        "reg:rules",
        Kind.REGISTRY_KEY,
        r"HKLM:\SOFTWARE\Microsoft\BusinessRules\3.0",
        _RULES_PAGE,
        DOC,
        "Rule Engine settings ('stored under HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\"
        "BusinessRules\\3.0')",
    ),
    _value(
        "reg:rules",
        "DatabaseServer",
        _RULES_PAGE,
        DOC,
        "'Database server used' by the Rule Engine",
    ),
    _value(
        "reg:rules",
        "DatabaseName",
        _RULES_PAGE,
        DOC,
        "'Typically, it is BizTalkRuleEngineDb'",
    ),
    Entry(
        "reg:rules-wow64",
        Kind.REGISTRY_KEY,
        r"HKLM:\SOFTWARE\Wow6432Node\Microsoft\BusinessRules\3.0",
        core("invoking-static-members-of-a-class.md"),
        DOC,
        "'If BizTalk is installed on a 64-bit machine ... look under HKLM\\Software\\"
        "Wow6432Node\\Microsoft\\BusinessRules\\3.0'",
    ),
    _value(
        "reg:rules-wow64",
        "DatabaseServer",
        _RULES_PAGE,
        DOC,
        "the Rule Engine database server, 32-bit view (checked where present)",
    ),
    # ------------------------------------------ installed updates (discovery)
    Entry(
        "reg:uninstall",
        Kind.REGISTRY_KEY,
        r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
        _UNINSTALL_PAGE,
        DOC,
        "one subkey per installed product and update (Programs and Features); the "
        "discovery script reads DisplayName of each to find BizTalk cumulative updates",
    ),
    Entry(
        "reg:uninstall-wow64",
        Kind.REGISTRY_KEY,
        r"HKLM:\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
        learn("windows/win32/winprog64/registry-redirector"),
        DOC,
        "the same key in the 32-bit view, where 32-bit installers such as BizTalk's "
        "updates register (Sandro Pereira's CU check reads this one)",
    ),
    _value(
        "reg:uninstall",
        "DisplayName",
        _UNINSTALL_PAGE,
        DOC,
        "the name Programs and Features shows, e.g. 'Microsoft BizTalk Server 2020 "
        "Cumulative Update 5 ...' (read in both views)",
    ),
    Entry(
        "reg:msdtc-security",
        Kind.REGISTRY_KEY,
        r"HKLM:\SOFTWARE\Microsoft\MSDTC\Security",
        _MSDTC,
        DOC,
        "MSDTC network access settings (read-only check in Test-DrServer.ps1)",
    ),
    *(
        _value("reg:msdtc-security", name, _MSDTC, DOC, note)
        for name, note in (
            ("NetworkDtcAccess", "1: Network DTC Access"),
            ("NetworkDtcAccessInbound", "1: Allow Inbound"),
            ("NetworkDtcAccessOutbound", "1: Allow Outbound"),
            ("NetworkDtcAccessTransactions", "1: transactions over the network"),
        )
    ),
    Entry(
        "behaviour:updateregistry-sso",
        Kind.BEHAVIOUR,
        "UpdateRegistry.vbs rewrites ENTSSO\\SQL\\Server",
        "inferred: no public copy of UpdateRegistry.vbs; the Sysprep sample fixes SSO "
        "with a separate UpdateSSO.cmd (sysprep-a-biztalk-server-vhd-biztalk-server-"
        "sample.md)",
        Confidence.INFERRED,
        "Enable-DrServer.ps1 checks the value after UpdateRegistry.vbs and stops, "
        "naming it, if it still names production",
        probe=Probe(
            "file-mentions", ("folder:restore", "UpdateRegistry.vbs", "ENTSSO")
        ),
        if_failed="UpdateRegistry.vbs does not repoint SSO: add a documented step "
        "(ssoconfig -setDB, event 10511) to the runbook before Enable-DrServer.ps1",
    ),
    Entry(
        "behaviour:updateregistry-rules",
        Kind.BEHAVIOUR,
        "UpdateRegistry.vbs rewrites BusinessRules\\3.0\\DatabaseServer",
        "inferred: no public copy of UpdateRegistry.vbs; the DR pages say it "
        "'updates all registry entries that store information about the location "
        "of other databases'",
        Confidence.INFERRED,
        "checked after UpdateRegistry.vbs on rules_engine servers",
        probe=Probe(
            "file-mentions", ("folder:restore", "UpdateRegistry.vbs", "BusinessRules")
        ),
        if_failed="add a documented step to repoint the Rule Engine to the runbook",
    ),
    Entry(
        "behaviour:updateregistry-mgmt",
        Kind.BEHAVIOUR,
        "UpdateRegistry.vbs rewrites Administration\\MgmtDBServer",
        "inferred: the DR pages say it 'updates all registry entries that store "
        "information about the location of other databases'; UpdateDatabase.vbs "
        "reads the same value",
        Confidence.INFERRED,
        "Enable-DrServer.ps1 decides from this value whether UpdateRegistry.vbs ran",
        probe=Probe(
            "file-mentions", ("folder:restore", "UpdateRegistry.vbs", "MgmtDBServer")
        ),
        if_failed="Enable-DrServer.ps1 cannot tell whether UpdateRegistry.vbs ran: "
        "decide from another value",
    ),
    Entry(
        "behaviour:updateregistry-rearm",
        Kind.BEHAVIOUR,
        "UpdateRegistry.vbs with old and new swapped points the registry back at "
        "production",
        inferred(
            "UpdateRegistry.vbs reads the same UpdateInfo.xml format (oldDBServer/"
            "newDBServer per database, how-to-update-the-runtime-computers.md), so "
            "UpdateInfo-Rearm.xml, the same moves the other way, moves the DR "
            "server's references back; no source describes a way back after a drill "
            "(drgen facts, turn-3 review finding 12)"
        ),
        Confidence.INFERRED,
        "Reset-DrServer.ps1 runs UpdateRegistry.vbs with UpdateInfo-Rearm.xml only "
        "while a checked value still names a DR SQL instance, and never runs "
        "UpdateDatabase.vbs (with that file it would write into the running "
        "production group's databases); the file has no BAM section",
        settle="in a drill: after Reset-DrServer.ps1, Test-DrServer.ps1 -Expect "
        "Dormant reads every checked registry value back and must find production",
        if_failed="the registry is not moved back: add the documented manual way to "
        "the runbook's re-arm section and have Reset-DrServer.ps1 stop before it",
    ),
    Entry(
        "behaviour:updatedatabase-reads",
        Kind.BEHAVIOUR,
        "UpdateDatabase.vbs reads /UpdateConfiguration/RuleEngineDB",
        UPDATEDATABASE_VBS,
        OBS,
        "the Rules Engine database is a top-level element of UpdateInfo.xml",
        probe=Probe(
            "file-mentions",
            (
                "folder:restore",
                "UpdateDatabase.vbs",
                "/UpdateConfiguration/RuleEngineDB",
            ),
        ),
        if_failed="the installed UpdateDatabase.vbs reads the Rules Engine database "
        "elsewhere: change UpdateInfo.xml.jinja",
    ),
)
