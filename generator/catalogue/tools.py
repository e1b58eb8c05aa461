"""Services, folders, executables, their switches and what they print.

Paths are kept as folder + file so a script builds them with Join-Path; the install
folder comes from ``$env:BTSINSTALLPATH`` first (set by BizTalk setup), the
per-version default below only when it is unset.
"""

from __future__ import annotations

from generator.catalogue.model import Confidence, Entry, Kind, Probe
from generator.catalogue.sources import (
    EXPORTS,
    core,
    guide,
    inferred,
    install,
    learn,
    public,
    tech,
)

DOC = Confidence.DOCUMENTED
OBS = Confidence.OBSERVED
INF = Confidence.INFERRED

_RESTORE_PAGE = core("how-to-restore-your-databases.md")
_SERVICES_PAGE = core(
    "how-to-start-stop-pause-resume-or-restart-biztalk-server-services.md"
)
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
    # -------------------------------------------------------------- services
    Entry(
        "svc:ENTSSO",
        Kind.SERVICE,
        "ENTSSO",
        _FRAMEWORK,
        DOC,
        "Enterprise Single Sign-On Service; host instances depend on it",
    ),
    Entry(
        "svc:BTSSvc",
        Kind.SERVICE,
        "BTSSvc$",
        core("host-instance-service-properties-in-services.md"),
        DOC,
        "prefix of an in-process host instance's service: BTSSvc$<HostName>",
    ),
    Entry(
        "svc:RuleEngineUpdateService",
        Kind.SERVICE,
        "RuleEngineUpdateService",
        _SERVICES_PAGE,
        DOC,
        "Rule Engine Update Service; restart on every server after a restore",
    ),
    Entry(
        "svc:BAMAlerts",
        Kind.SERVICE,
        "BAMAlerts",
        core("gmsa-config.md"),
        DOC,
        "BAM alerts on BizTalk 2016 and 2020",
    ),
    Entry(
        "svc:NS$BamAlerts",
        Kind.SERVICE,
        "NS$BamAlerts",
        core("how-to-recover-bam-alerts.md"),
        DOC,
        "BAM alerts on SQL Notification Services (BizTalk 2013 R2): 'net start "
        "NS$BamAlerts'",
    ),
    Entry(
        "svc:Winmgmt",
        Kind.SERVICE,
        "Winmgmt",
        _FRAMEWORK,
        DOC,
        "Windows Management Instrumentation ('net stop winmgmt'); restarted after "
        "UpdateRegistry.vbs so BizTalk WMI reads the new database names",
    ),
    Entry(
        "svc:MSDTC",
        Kind.SERVICE,
        "MSDTC",
        public("dataplat/dbatools Get-DbaMsdtc (Win32_Service WHERE Name = 'MSDTC')"),
        OBS,
        "Distributed Transaction Coordinator; BizTalk docs only say 'Restart the "
        "MSDTC service'",
        probe=Probe("service", ("MSDTC",)),
        if_failed="change the service name in generator/catalogue/tools.py",
    ),
    # --------------------------------------------------------------- folders
    Entry(
        "env:BTSINSTALLPATH",
        Kind.FOLDER,
        "BTSINSTALLPATH",
        core("general-troubleshooting-questions-and-answers.md"),
        DOC,
        "environment variable BizTalk setup sets to the install folder",
    ),
    *(
        Entry(f"env:{name}", Kind.FOLDER, name, source, DOC, note)
        for name, source, note in (
            (
                "COMPUTERNAME",
                learn("windows/deployment/usmt/usmt-recognized-environment-variables"),
                "this computer's NetBIOS name: every script's wrong-host guard",
            ),
            (
                "ProgramData",
                learn("windows/deployment/usmt/usmt-recognized-environment-variables"),
                "where the private answer-file folder and drgen-state live",
            ),
            (
                "SystemRoot",
                learn("windows/deployment/usmt/usmt-recognized-environment-variables"),
                "the Windows folder: cscript.exe, appcmd.exe",
            ),
            (
                "TEMP",
                learn("windows/deployment/usmt/usmt-recognized-environment-variables"),
                "where the Configuration Wizard writes its own log",
            ),
            (
                "CommonProgramFiles",
                learn("windows/win32/winprog64/wow64-implementation-details"),
                "Common Files of the process's bitness (fallback)",
            ),
            (
                "CommonProgramW6432",
                learn("windows/win32/winprog64/wow64-implementation-details"),
                "the 64-bit Common Files folder, where the SSO tools are",
            ),
        )
    ),
    Entry(
        "folder:install/2013R2",
        Kind.FOLDER,
        r"C:\Program Files (x86)\Microsoft BizTalk Server 2013 R2",
        public("HydAu/Biztalk:biztalk/files/default/configureBizTalk.ps1"),
        OBS,
        "default install folder, used when BTSINSTALLPATH is unset",
        settle="the scripts use BTSINSTALLPATH first; this default matters only "
        "when it is unset",
    ),
    Entry(
        "folder:install/2016",
        Kind.FOLDER,
        r"C:\Program Files (x86)\Microsoft BizTalk Server 2016",
        core("logic-app-adapter.md"),
        DOC,
        "default install folder, used when BTSINSTALLPATH is unset",
    ),
    Entry(
        "folder:install/2020",
        Kind.FOLDER,
        r"C:\Program Files (x86)\Microsoft BizTalk Server",
        core("logic-app-adapter.md"),
        DOC,
        "default install folder (no version in the name)",
    ),
    Entry(
        "folder:restore",
        Kind.FOLDER,
        r"Bins32\Schema\Restore",
        guide("how-to-update-the-runtime-computers.md"),
        DOC,
        "under the install folder on a 64-bit OS: UpdateDatabase.vbs, "
        "UpdateRegistry.vbs, SampleUpdateInfo.xml",
    ),
    Entry(
        "folder:sso-tools",
        Kind.FOLDER,
        "Enterprise Single Sign-On",
        _SSO_DISPLAY,
        DOC,
        "under the 64-bit Common Files folder: 'Program Files\\Common Files\\"
        "Enterprise Single Sign-On'",
    ),
    Entry(
        "folder:system32",
        Kind.FOLDER,
        "System32",
        learn("windows/win32/winprog64/file-system-redirector"),
        DOC,
        "under the Windows folder: 64-bit cscript.exe for a 64-bit process",
    ),
    Entry(
        "folder:sysnative",
        Kind.FOLDER,
        "Sysnative",
        learn("windows/win32/winprog64/file-system-redirector"),
        DOC,
        "'32-bit applications can access the native system directory by "
        "substituting %windir%\\Sysnative for %windir%\\System32'",
    ),
    Entry(
        "file:ConfigLog",
        Kind.FILE,
        "ConfigLog(*).log",
        install("configure-biztalk-server.md"),
        DOC,
        "the wizard's own log in the temp folder, e.g. 'ConfigLog(01-12-2017 "
        "0h37m59s).log' (the lab probe reads the newest)",
    ),
    Entry(
        "folder:inetsrv",
        Kind.FOLDER,
        r"System32\inetsrv",
        _APPCMD,
        DOC,
        "under the Windows folder: 'AppCmd.exe is located in the %systemroot%\\"
        "system32\\inetsrv\\ directory'",
    ),
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
        "text:provider-sqloledb",
        Kind.OUTPUT,
        'conn.Provider = "SQLOLEDB"',
        _RESTORE_PAGE,
        DOC,
        '\'In UpdateDatabase.vbs, go to conn.Provider = "SQLOLEDB". Change SQLOLEDB '
        "to MSOLEDBSQL' (SQL Server 2016 and later)",
    ),
    Entry(
        "text:provider-msoledbsql",
        Kind.OUTPUT,
        'conn.Provider = "MSOLEDBSQL"',
        _RESTORE_PAGE,
        DOC,
        "the replacement provider line",
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
    # -------------------------------------------------------------- versions
    *(
        Entry(
            f"ver:{version}",
            Kind.VERSION,
            prefix,
            source,
            OBS,
            f"BizTalk Server {version}: ProductVersion starts with {prefix} "
            f"({example})",
            probe=Probe("product-version", (prefix,)),
            if_failed="change the prefix in generator/catalogue/tools.py; the "
            "scripts refuse other versions unless -SkipVersionCheck",
        )
        for version, prefix, example, source in (
            (
                "2013R2",
                "3.11.",
                "3.11.158.0",
                public("HydAu/Biztalk:biztalk/recipes/Install_BizTalk_TestServer.rb"),
            ),
            (
                "2016",
                "3.12.",
                "3.12.774.0",
                public(
                    "the TransMock adapter install script (ProductVersion 3.12.774.0)"
                ),
            ),
            (
                "2020",
                "3.13.",
                "3.13.717.0",
                public("BizTalkCommunity/BizTalkWinSCPInstaller (RTM 3.13.717.0)"),
            ),
        )
    ),
    # ----------------------------------------------------------- behaviours
    Entry(
        "behaviour:host-no-registers-server",
        Kind.BEHAVIOUR,
        "HOST=No and ISOHOST=No still register the server in the group",
        inferred("all public answer files create a host; no Join export was found"),
        INF,
        "Initialize-DrServer.ps1 checks MSBTS_Server for this computer after "
        "Configuration.exe and stops if it is missing",
        settle="the first DR server prepared shows it (the check fails loudly)",
    ),
    Entry(
        "behaviour:sso-start-before-updatedb",
        Kind.BEHAVIOUR,
        "start ENTSSO before 'ssomanage -updatedb' on the new master secret server",
        inferred(
            "ssomanage addresses a running SSO service; the documented order is "
            "updatedb, restart ENTSSO, restoreSecret (how-to-change-the-master-"
            "secret-server.md)"
        ),
        INF,
        "Enable-DrServer.ps1 starts ENTSSO, runs -updatedb, restarts ENTSSO, then "
        "restores the secret",
        settle="a DR drill on the master secret server",
    ),
    Entry(
        "behaviour:isdisabled-when-stopped",
        Kind.BEHAVIOUR,
        "IsDisabled is set only while the instance is stopped",
        tech("msbts-hostinstance-isdisabled-property-wmi.md"),
        DOC,
        "'IsDisabled can only be set when the host instance is in a stopped state' "
        "(MSBTS_HostInstanceSetting says otherwise; scripts stop first)",
    ),
    Entry(
        "behaviour:sso-no-gmsa",
        Kind.BEHAVIOUR,
        "Enterprise SSO does not support gMSA",
        core("gmsa-config.md"),
        DOC,
        "'Enterprise SSO | No': no IsGmsaAccount under NTService ENTSSO",
    ),
    Entry(
        "behaviour:answer-file-mot",
        Kind.BEHAVIOUR,
        "every export carries an empty MOT feature",
        EXPORTS,
        OBS,
        'the answer file carries <Feature Name="MOT" .../> like real exports',
        settle="compare with a Configuration Wizard export of a DR server",
    ),
)
