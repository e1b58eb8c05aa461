"""Windows services and folders.

Paths are kept as folder + file so a script builds them with Join-Path; the install
folder comes from ``$env:BTSINSTALLPATH`` first (set by BizTalk setup), the
per-version default below only when it is unset.
"""

from __future__ import annotations

from generator.catalogue.model import Confidence, Entry, Kind, Probe
from generator.catalogue.sources import (
    core,
    guide,
    install,
    learn,
    public,
)

DOC = Confidence.DOCUMENTED
OBS = Confidence.OBSERVED

_SERVICES_PAGE = core(
    "how-to-start-stop-pause-resume-or-restart-biztalk-server-services.md"
)
_FRAMEWORK = install("working-with-the-configuration-framework.md")
_SSO_DISPLAY = core("how-to-display-the-sso-database-information.md")
_APPCMD = learn(
    "iis/get-started/getting-started-with-iis/getting-started-with-appcmdexe"
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
        if_failed="change the service name in generator/catalogue/services.py",
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
)
