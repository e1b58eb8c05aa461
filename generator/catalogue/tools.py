"""Executables, their switches, the files they read and what they print."""

from __future__ import annotations

from generator.catalogue.model import Confidence, Entry, Kind, Probe
from generator.catalogue.sources import (
    core,
    inferred,
    install,
    learn,
    public,
)

DOC = Confidence.DOCUMENTED
OBS = Confidence.OBSERVED
INF = Confidence.INFERRED

_RESTORE_PAGE = core("how-to-restore-your-databases.md")
_FRAMEWORK = install("working-with-the-configuration-framework.md")
_SSO_DISPLAY = core("how-to-display-the-sso-database-information.md")
_APPCMD = learn(
    "iis/get-started/getting-started-with-iis/getting-started-with-appcmdexe"
)
_APPCMD_STOP = learn(
    "previous-versions/windows/it-pro/windows-server-2008-R2-and-2008/cc732742(v=ws.10)"
)
_APPPOOL_ADD = learn("iis/configuration/system.applicationhost/applicationpools/add/")
_DISPLAYDB_IF_FAILED = (
    "change the label pattern in generator/catalogue/tools.py to the line the probe "
    "printed; Enable-DrServer.ps1 refuses to promote or start SSO while it cannot "
    "read the value"
)


ENTRIES: tuple[Entry, ...] = (
    # ------------------------------------------------------ executables, files
    Entry(
        "exe:Configuration.exe",
        Kind.EXECUTABLE,
        "Configuration.exe",
        _FRAMEWORK,
        DOC,
        "the Configuration Wizard, in the install folder",
    ),
    Entry(
        "arg:Configuration.exe/S",
        Kind.SWITCH,
        "/S",
        _FRAMEWORK,
        DOC,
        "silent configuration with the full path of the answer file",
    ),
    Entry(
        "arg:Configuration.exe/L",
        Kind.SWITCH,
        "/L",
        _FRAMEWORK,
        DOC,
        "full path of the log file",
    ),
    Entry(
        "arg:Configuration.exe/NOPROGRESSBAR",
        Kind.SWITCH,
        "/NOPROGRESSBAR",
        public(
            "dsccommunity/BizTalkServerDsc BtsConfig.ps1; HydAu/Biztalk "
            "configureBizTalk.ps1 ('/noprogressbar')"
        ),
        OBS,
        "not passed (off in the plan): undocumented",
        settle="run Configuration.exe /H on a lab server and look for it",
    ),
    Entry(
        "behaviour:configuration-exit-code",
        Kind.BEHAVIOUR,
        "Configuration.exe /S exit code",
        inferred("no source states what Configuration.exe /S returns on failure"),
        INF,
        "a non-zero exit code fails the join; success is decided from the registry, "
        "MSBTS_Server and the log, not from the exit code",
        settle="a lab join with a wrong password shows the exit code",
    ),
    Entry(
        "out:configuration-log-error",
        Kind.OUTPUT,
        r"(?i)^\[[^\]]*\sError\s[^\]]*\]",
        public(
            "a BizTalk 2006 log quoted at malgreve.net: '[1:57:09 PM Error "
            "ConfigHelper] ...'"
        ),
        OBS,
        "an error line of any component in the Configuration.exe log: "
        "'[<time> Error <component>] <message>'",
        probe=Probe("log-line", (r"(?i)^\[[^\]]*\s(Info|Warning|Error)\s[^\]]*\]",)),
        if_failed="the 2016/2020 log format differs: change the pattern in "
        "generator/catalogue/tools.py",
    ),
    Entry(
        "exe:cscript.exe",
        Kind.EXECUTABLE,
        "cscript.exe",
        _RESTORE_PAGE,
        DOC,
        "run UpdateDatabase.vbs and UpdateRegistry.vbs 'from a 64-bit command "
        "prompt': System32 (Sysnative from a 32-bit process)",
    ),
    Entry(
        "arg:cscript.exe//NoLogo",
        Kind.SWITCH,
        "//NoLogo",
        learn("windows-server/administration/windows-commands/cscript"),
        DOC,
        "no banner",
    ),
    Entry(
        "file:UpdateDatabase.vbs",
        Kind.FILE,
        "UpdateDatabase.vbs",
        _RESTORE_PAGE,
        DOC,
        "run once per group with the update file",
    ),
    Entry(
        "file:UpdateRegistry.vbs",
        Kind.FILE,
        "UpdateRegistry.vbs",
        _RESTORE_PAGE,
        DOC,
        "run on every server with the update file",
    ),
    Entry(
        "file:SampleUpdateInfo.xml",
        Kind.FILE,
        "SampleUpdateInfo.xml",
        _RESTORE_PAGE,
        DOC,
        "the shipped sample the lab probe reads for element names",
    ),
    Entry(
        "file:UpdateDatabase.MSOLEDBSQL.vbs",
        Kind.FILE,
        "UpdateDatabase.MSOLEDBSQL.vbs",
        inferred("drgen's own copy of UpdateDatabase.vbs with the provider changed"),
        INF,
        "written next to the original by -UseMsOleDbSql; the installed script is "
        "never modified",
        settle="drgen's own file name: nothing to confirm",
    ),
    Entry(
        "text:provider-line",
        Kind.OUTPUT,
        r'(?i)(?<lead>conn\.Provider[ \t]*=[ \t]*")(?<value>[^"\r\n]+)(?<trail>")',
        _RESTORE_PAGE,
        DOC,
        "the documented line 'conn.Provider = \"SQLOLEDB\"' of UpdateDatabase.vbs as "
        "a pattern: any spacing and case (VBScript ignores both), any provider "
        "(group value); -UseMsOleDbSql replaces only the value and stops when no "
        "line matches",
    ),
    Entry(
        "out:cumulative-update-name",
        Kind.OUTPUT,
        r"(?i)\bBizTalk Server\b.*\b(?:Cumulative Update|CU) ?(?<value>[0-9]{1,3})\b",
        public(
            "sandroasp/BizTalk-Server-Resources:PowerShell-scripts/adm-updates-Check-"
            "What-BTS2020-CU-Are-Installed/Check-what-BTS2020-CU-are-installed.ps1 "
            "('normally they are \"Microsoft BizTalk Server 2020 Cumulative Update "
            "#\"') and .../adm-updates-Check-What-BTS2016-CU-Are-Installed/"
            "CheckWhatBTS2016CUAreInstalled.ps1 ('normally they are \"Microsoft "
            "BizTalk Server 2016 CU#\"'); both search the Uninstall key recursively"
        ),
        OBS,
        "a BizTalk cumulative update as Programs and Features lists it; the highest "
        "number found is the CU level the discovery script reports ('CU5'). Microsoft "
        "documents no way to read the CU level (what-version-of-biztalk-server-do-i-"
        "have.md: ProductVersion 'lists the base product version')",
        settle="on a lab server with a known CU, run Export-BizTalkGroup.ps1: cu must "
        "be that CU (and null on a server without one)",
        if_failed="change the pattern in generator/catalogue/tools.py",
    ),
    Entry(
        "text:provider-name-sqloledb",
        Kind.OUTPUT,
        "SQLOLEDB",
        _RESTORE_PAGE,
        DOC,
        "'Change SQLOLEDB to MSOLEDBSQL': the provider UpdateDatabase.vbs names; "
        "another one found there is reported, then replaced all the same",
    ),
    Entry(
        "text:provider-name-msoledbsql",
        Kind.OUTPUT,
        "MSOLEDBSQL",
        _RESTORE_PAGE,
        DOC,
        "'Change SQLOLEDB to MSOLEDBSQL' (SQL Server 2016 and later; Microsoft OLE "
        "DB Driver for SQL Server)",
    ),
    Entry(
        "out:updatedatabase-error",
        Kind.OUTPUT,
        r"^\s*Error:",
        public('UpdateDatabase.vbs copies: wscript.echo "Error: Failed to ..."'),
        OBS,
        "UpdateDatabase.vbs reports failures as 'Error: ...' lines and still exits 0",
        probe=Probe(
            "file-mentions", ("folder:restore", "UpdateDatabase.vbs", "Error:")
        ),
        if_failed="the installed script reports errors differently: change the "
        "pattern in generator/catalogue/tools.py",
    ),
    Entry(
        "out:cscript-error",
        Kind.OUTPUT,
        r"\.vbs\(\d+, \d+\) ",
        public(
            "cscript error lines in public logs: 'x.vbs(1, 1) Microsoft VBScript "
            "compilation error: ...'"
        ),
        OBS,
        "an unhandled VBScript or ADO error: '<script>(<line>, <col>) <source>: "
        "<description>'; cscript may still exit 0",
        settle="drgen fails on it whatever the source text; nothing to confirm",
    ),
    Entry(
        "exe:ssomanage.exe",
        Kind.EXECUTABLE,
        "ssomanage.exe",
        _SSO_DISPLAY,
        DOC,
        "SSO administration ('ssomanage -displaydb'); ASCII hyphens, not the en "
        "dashes some pages print",
    ),
    Entry(
        "arg:ssomanage.exe-displaydb",
        Kind.SWITCH,
        "-displaydb",
        _SSO_DISPLAY,
        DOC,
        "shows the SSO database and the secret server (read only)",
    ),
    Entry(
        "out:ssomanage-error",
        Kind.OUTPUT,
        r"(?m)^\s*ERROR\b",
        core("troubleshooting-enterprise-single-sign-on.md"),
        DOC,
        "how the SSO tools report a failure: 'ssomanage -displayapp ... they receive "
        "the following error: ERROR: 0x800706BA: The RPC server is unavailable.' "
        "Matched at the start of any line (a 'Using SSO server ...' line may come "
        "first) and not trusted to come with a non-zero exit code",
    ),
    Entry(
        "arg:ssomanage.exe-updatedb",
        Kind.SWITCH,
        "-updatedb",
        core("how-to-change-the-master-secret-server.md"),
        DOC,
        "'ssomanage -updatedb <update file>' with only secretServer when run on a "
        "computer that is not the master secret server",
    ),
    Entry(
        "exe:ssoconfig.exe",
        Kind.EXECUTABLE,
        "ssoconfig.exe",
        core("how-to-restore-the-master-secret.md"),
        DOC,
        "SSO configuration ('ssoconfig -restoreSecret <restore file>')",
    ),
    Entry(
        "arg:ssoconfig.exe-restoreSecret",
        Kind.SWITCH,
        "-restoreSecret",
        core("how-to-restore-the-master-secret.md"),
        DOC,
        "prompts for the backup password; prints 'The operation completed "
        "successfully'",
    ),
    Entry(
        "out:displaydb-sql-server",
        Kind.OUTPUT,
        r"(?im)^\s*SQL\s+Server\s*:\s*(?<value>\S+)\s*$",
        inferred(
            "the documented value table of ssomanage -displaydb names the row 'SQL "
            "Server'; the console layout ('label : value') is not published"
        ),
        INF,
        "the SQL instance of the SSO database the local SSO service uses",
        probe=Probe("displaydb-label", (r"(?im)^\s*SQL\s+Server\s*:\s*\S+\s*$",)),
        if_failed=_DISPLAYDB_IF_FAILED,
    ),
    Entry(
        "out:displaydb-database",
        Kind.OUTPUT,
        r"(?im)^\s*(?:Single\s+Sign-On|SSO|SQL\s+Server)\s+database\s*:\s*(?<value>\S+)\s*$",
        inferred(
            "the documented value table names the row 'Single Sign-On database' "
            "(the HIS copy: 'SQL Server database'); console layout not published"
        ),
        INF,
        "the SSO database name",
        probe=Probe(
            "displaydb-label",
            (
                r"(?im)^\s*(?:Single\s+Sign-On|SSO|SQL\s+Server)\s+database\s*:\s*\S+\s*$",
            ),
        ),
        if_failed=_DISPLAYDB_IF_FAILED,
    ),
    Entry(
        "out:displaydb-secret-server",
        Kind.OUTPUT,
        r"(?im)^\s*(?:Single\s+Sign-On\s+|SSO\s+)?Secret\s+Server(?:\s+name)?\s*:\s*(?<value>\S+)\s*$",
        inferred(
            "the documented value table names the row 'Single Sign-On Secret Server "
            "name'; console layout not published"
        ),
        INF,
        "the master secret server SSODB names",
        probe=Probe(
            "displaydb-label",
            (
                r"(?im)^\s*(?:Single\s+Sign-On\s+|SSO\s+)?Secret\s+Server(?:\s+name)?\s*:\s*\S+\s*$",
            ),
        ),
        if_failed=_DISPLAYDB_IF_FAILED,
    ),
    Entry(
        "behaviour:ssomanage-needs-sso-service",
        Kind.BEHAVIOUR,
        "ssomanage talks to a running SSO service",
        inferred(
            "the SSO tools address an SSO server (ssomanage -server, how-to-set-the-"
            "sso-server.md); a stopped, disabled ENTSSO cannot answer"
        ),
        INF,
        "so a DR server reads the secret server from SSODB by SQL before it starts "
        "ENTSSO, and from -displaydb after",
        settle="run ssomanage -displaydb on a dormant DR server (ENTSSO disabled)",
    ),
    Entry(
        "exe:appcmd.exe",
        Kind.EXECUTABLE,
        "appcmd.exe",
        _APPCMD,
        DOC,
        "IIS command line ('Because it is not part of the PATH automatically, you "
        "need to use the full path')",
    ),
    Entry(
        "arg:appcmd.exe-list",
        Kind.SWITCH,
        "list",
        _APPCMD,
        DOC,
        "'APPCMD list apppools DefaultAppPool' (read only)",
    ),
    Entry(
        "arg:appcmd.exe-apppool",
        Kind.SWITCH,
        "apppool",
        _APPCMD,
        DOC,
        "the application pool object type",
    ),
    Entry(
        "arg:appcmd.exe-text-state",
        Kind.SWITCH,
        "/text:state",
        _APPCMD,
        DOC,
        "'display only a specific property': the run-time state, Started or Stopped",
    ),
    Entry(
        "arg:appcmd.exe-config",
        Kind.SWITCH,
        "/config:*",
        _APPCMD,
        DOC,
        "'display the effective configuration including inherited or default "
        "values' (autoStart is omitted without the *)",
    ),
    Entry(
        "arg:appcmd.exe-stop",
        Kind.SWITCH,
        "stop",
        _APPCMD_STOP,
        DOC,
        "'appcmd stop apppool /apppool.name:string'; transient: it does not "
        "change autoStart",
    ),
    Entry(
        "arg:appcmd.exe-start",
        Kind.SWITCH,
        "start",
        _APPCMD_STOP,
        DOC,
        "'appcmd start apppool /apppool.name:string'",
    ),
    Entry(
        "arg:appcmd.exe-set",
        Kind.SWITCH,
        "set",
        _APPCMD,
        DOC,
        "'APPCMD set apppool \"MyAppPool\" /<attribute>:<value>'",
    ),
    Entry(
        "arg:appcmd.exe-apppool.name",
        Kind.SWITCH,
        "/apppool.name:",
        _APPCMD_STOP,
        DOC,
        "names the pool for stop and start",
    ),
    Entry(
        "arg:appcmd.exe-autoStart",
        Kind.SWITCH,
        "/autoStart:",
        _APPPOOL_ADD,
        DOC,
        "'autoStart: When true, indicates to W3SVC that the application pool should "
        "be automatically started'; set with the documented 'set apppool' form",
    ),
    Entry(
        "xml:apppool@autoStart",
        Kind.XML_ATTRIBUTE,
        "autoStart",
        _APPPOOL_ADD,
        DOC,
        "attribute of the add element printed by 'list apppool ... /config:*'",
    ),
)
