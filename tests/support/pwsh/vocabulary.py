"""The PowerShell names the lint knows, as data.

Owns: Windows PowerShell 5.1's default aliases (:data:`ALIAS_TARGETS`), the
cmdlets, native tools and methods that change state (:data:`STATE_CHANGING`,
:data:`NATIVE_STATE_CHANGING`, :data:`READ_ONLY_NATIVE_ARGUMENTS`,
:data:`STATE_CHANGING_METHODS`), and what exists only in PowerShell 6 and later
(:data:`PS7_ONLY_COMMANDS`, :data:`PS7_ONLY_PARAMETERS`). Why a module of its own:
these are tables a reviewer checks against their sources, not logic, and they are
most of the lint's length; :mod:`tests.support.pwsh.lint` applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

#: Default aliases of Windows PowerShell 5.1 (``Get-Alias`` on a clean host, plus
#: the CimCmdlets ones), lower-case alias -> command it resolves to.
ALIAS_TARGETS: Final[Mapping[str, str]] = {
    "%": "ForEach-Object",
    "?": "Where-Object",
    "ac": "Add-Content",
    "asnp": "Add-PSSnapin",
    "cat": "Get-Content",
    "cd": "Set-Location",
    "cfs": "ConvertFrom-String",
    "chdir": "Set-Location",
    "clc": "Clear-Content",
    "clear": "Clear-Host",
    "clhy": "Clear-History",
    "cli": "Clear-Item",
    "clp": "Clear-ItemProperty",
    "cls": "Clear-Host",
    "clv": "Clear-Variable",
    "cnsn": "Connect-PSSession",
    "compare": "Compare-Object",
    "copy": "Copy-Item",
    "cp": "Copy-Item",
    "cpi": "Copy-Item",
    "cpp": "Copy-ItemProperty",
    "curl": "Invoke-WebRequest",
    "cvpa": "Convert-Path",
    "dbp": "Disable-PSBreakpoint",
    "del": "Remove-Item",
    "diff": "Compare-Object",
    "dir": "Get-ChildItem",
    "dnsn": "Disconnect-PSSession",
    "ebp": "Enable-PSBreakpoint",
    "echo": "Write-Output",
    "epal": "Export-Alias",
    "epcsv": "Export-Csv",
    "epsn": "Export-PSSession",
    "erase": "Remove-Item",
    "etsn": "Enter-PSSession",
    "exsn": "Exit-PSSession",
    "fc": "Format-Custom",
    "fhx": "Format-Hex",
    "fl": "Format-List",
    "foreach": "ForEach-Object",
    "ft": "Format-Table",
    "fw": "Format-Wide",
    "gal": "Get-Alias",
    "gbp": "Get-PSBreakpoint",
    "gc": "Get-Content",
    "gcb": "Get-Clipboard",
    "gci": "Get-ChildItem",
    "gcim": "Get-CimInstance",
    "gcls": "Get-CimClass",
    "gcm": "Get-Command",
    "gcms": "Get-CimSession",
    "gcs": "Get-PSCallStack",
    "gdr": "Get-PSDrive",
    "ghy": "Get-History",
    "gi": "Get-Item",
    "gin": "Get-ComputerInfo",
    "gjb": "Get-Job",
    "gl": "Get-Location",
    "gm": "Get-Member",
    "gmo": "Get-Module",
    "gp": "Get-ItemProperty",
    "gps": "Get-Process",
    "gpv": "Get-ItemPropertyValue",
    "group": "Group-Object",
    "gsn": "Get-PSSession",
    "gsnp": "Get-PSSnapin",
    "gsv": "Get-Service",
    "gtz": "Get-TimeZone",
    "gu": "Get-Unique",
    "gv": "Get-Variable",
    "gwmi": "Get-WmiObject",
    "h": "Get-History",
    "history": "Get-History",
    "icim": "Invoke-CimMethod",
    "icm": "Invoke-Command",
    "iex": "Invoke-Expression",
    "ihy": "Invoke-History",
    "ii": "Invoke-Item",
    "ipal": "Import-Alias",
    "ipcsv": "Import-Csv",
    "ipmo": "Import-Module",
    "ipsn": "Import-PSSession",
    "irm": "Invoke-RestMethod",
    "ise": "powershell_ise.exe",
    "iwmi": "Invoke-WmiMethod",
    "iwr": "Invoke-WebRequest",
    "kill": "Stop-Process",
    "lp": "Out-Printer",
    "ls": "Get-ChildItem",
    "man": "help",
    "md": "mkdir",
    "measure": "Measure-Object",
    "mi": "Move-Item",
    "mount": "New-PSDrive",
    "move": "Move-Item",
    "mp": "Move-ItemProperty",
    "mv": "Move-Item",
    "nal": "New-Alias",
    "ncim": "New-CimInstance",
    "ncms": "New-CimSession",
    "ncso": "New-CimSessionOption",
    "ndr": "New-PSDrive",
    "ni": "New-Item",
    "nmo": "New-Module",
    "npssc": "New-PSSessionConfigurationFile",
    "nsn": "New-PSSession",
    "nv": "New-Variable",
    "ogv": "Out-GridView",
    "oh": "Out-Host",
    "popd": "Pop-Location",
    "ps": "Get-Process",
    "pushd": "Push-Location",
    "pwd": "Get-Location",
    "r": "Invoke-History",
    "rbp": "Remove-PSBreakpoint",
    "rcie": "Register-CimIndicationEvent",
    "rcim": "Remove-CimInstance",
    "rcjb": "Receive-Job",
    "rcms": "Remove-CimSession",
    "rcsn": "Receive-PSSession",
    "rd": "Remove-Item",
    "rdr": "Remove-PSDrive",
    "ren": "Rename-Item",
    "ri": "Remove-Item",
    "rjb": "Remove-Job",
    "rm": "Remove-Item",
    "rmdir": "Remove-Item",
    "rmo": "Remove-Module",
    "rni": "Rename-Item",
    "rnp": "Rename-ItemProperty",
    "rp": "Remove-ItemProperty",
    "rsn": "Remove-PSSession",
    "rsnp": "Remove-PSSnapin",
    "rujb": "Resume-Job",
    "rv": "Remove-Variable",
    "rvpa": "Resolve-Path",
    "rwmi": "Remove-WmiObject",
    "sajb": "Start-Job",
    "sal": "Set-Alias",
    "saps": "Start-Process",
    "sasv": "Start-Service",
    "sbp": "Set-PSBreakpoint",
    "sc": "Set-Content",
    "scb": "Set-Clipboard",
    "scim": "Set-CimInstance",
    "select": "Select-Object",
    "set": "Set-Variable",
    "shcm": "Show-Command",
    "si": "Set-Item",
    "sl": "Set-Location",
    "sleep": "Start-Sleep",
    "sls": "Select-String",
    "sort": "Sort-Object",
    "sp": "Set-ItemProperty",
    "spjb": "Stop-Job",
    "spps": "Stop-Process",
    "spsv": "Stop-Service",
    "start": "Start-Process",
    "stz": "Set-TimeZone",
    "sujb": "Suspend-Job",
    "sv": "Set-Variable",
    "swmi": "Set-WmiInstance",
    "tee": "Tee-Object",
    "trcm": "Trace-Command",
    "type": "Get-Content",
    "wget": "Invoke-WebRequest",
    "where": "Where-Object",
    "wjb": "Wait-Job",
    "write": "Write-Output",
}

#: Every alias name (lower-case). A command whose name is in here is a lint finding.
ALIASES: Final[frozenset[str]] = frozenset(ALIAS_TARGETS)

#: Cmdlets that change the machine and so must run inside a ShouldProcess block.
#: ``New-CimInstance`` is exempt when it has ``-ClientOnly`` (see
#: :func:`is_state_changing`). ``Set-Content``, ``Add-Content`` and ``Out-File`` are
#: deliberately absent: the scripts write logs and state files with them, and the
#: oracle cannot tell a log path from any other path (it is usually a variable).
STATE_CHANGING: Final[frozenset[str]] = frozenset(
    {
        "Set-Service",
        "Start-Service",
        "Stop-Service",
        "Restart-Service",
        "Suspend-Service",
        "Resume-Service",
        "New-Service",
        "Remove-Service",
        "Invoke-CimMethod",
        "Set-CimInstance",
        "New-CimInstance",
        "Remove-CimInstance",
        "Invoke-WmiMethod",
        "Set-WmiInstance",
        "Remove-WmiObject",
        "Remove-Item",
        "Move-Item",
        "Rename-Item",
        "Copy-Item",
        "New-Item",
        "Set-Item",
        "Clear-Item",
        "Set-ItemProperty",
        "New-ItemProperty",
        "Remove-ItemProperty",
        "Rename-ItemProperty",
        "Set-Acl",
        "Start-Process",
        "Stop-Process",
        "Restart-Computer",
        "Stop-Computer",
    }
)

#: Native tools (lower-case file names) that change state; invoking one, directly or
#: with ``&``/``.``, must be inside a ShouldProcess block.
NATIVE_STATE_CHANGING: Final[frozenset[str]] = frozenset(
    {
        "configuration.exe",
        "cscript",
        "cscript.exe",
        "ssomanage",
        "ssomanage.exe",
        "ssoconfig",
        "ssoconfig.exe",
        "sc.exe",
        "net",
        "net.exe",
        "net1",
        "net1.exe",
        "msdtc",
        "msdtc.exe",
        "iisreset",
        "iisreset.exe",
        "btstask",
        "btstask.exe",
        "msiexec",
        "msiexec.exe",
    }
)

#: First arguments (lower-case, without the leading ``-`` or ``/``) that make a
#: native tool call read-only, by tool stem. Such a call may run outside a
#: ShouldProcess block, e.g. ``& $ssomanage -displaydb`` or ``sc.exe query``.
READ_ONLY_NATIVE_ARGUMENTS: Final[Mapping[str, frozenset[str]]] = {
    "ssomanage": frozenset({"displaydb", "displayapp", "listapps", "displayadmins"}),
    "sc": frozenset(
        {
            "query",
            "queryex",
            "qc",
            "qdescription",
            "qfailure",
            "qfailureflag",
            "qsidtype",
            "qprivs",
            "qtriggerinfo",
            "qmanagedaccount",
            "getdisplayname",
            "getkeyname",
            "enumdepend",
            "sdshow",
            "showsid",
        }
    ),
}

#: Method names (lower-case) that start, stop or rewrite things when called on
#: WMI/CIM/.NET objects, e.g. ``$hostInstance.Stop()``. A call outside a
#: ShouldProcess block is a lint finding. ``$stopwatch.Stop()`` is a false positive.
STATE_CHANGING_METHODS: Final[frozenset[str]] = frozenset(
    {
        "start",
        "stop",
        "pause",
        "continue",
        "delete",
        "put",
        "change",
        "changestartmode",
        "kill",
        "terminate",
        "invokemethod",
        "install",
        "uninstall",
    }
)

#: Commands that exist only in PowerShell 6+ (canonical spelling).
PS7_ONLY_COMMANDS: Final[frozenset[str]] = frozenset(
    {
        "Remove-Service",
        "Get-Error",
        "Join-String",
        "Test-Json",
        "Get-Uptime",
        "ConvertFrom-Markdown",
        "Show-Markdown",
        "Get-MarkdownOption",
        "Set-MarkdownOption",
        "Remove-Alias",
        "Get-ExperimentalFeature",
        "Enable-ExperimentalFeature",
        "Disable-ExperimentalFeature",
    }
)

#: Parameters that appeared after Windows PowerShell 5.1, by lower-case command name.
#: Matched on the full name only.
PS7_ONLY_PARAMETERS: Final[Mapping[str, frozenset[str]]] = {
    "foreach-object": frozenset(
        {"parallel", "throttlelimit", "timeoutseconds", "usenewrunspace", "asjob"}
    ),
    "convertfrom-json": frozenset({"ashashtable", "depth", "noenumerate"}),
    "convertto-json": frozenset({"asarray", "escapehandling"}),
    "invoke-webrequest": frozenset(
        {
            "skipcertificatecheck",
            "authentication",
            "token",
            "skiphttperrorcheck",
            "statuscodevariable",
            "responseheadersvariable",
            "sslprotocol",
            "resume",
            "noproxy",
            "maximumretrycount",
            "retryintervalsec",
            "skipheadervalidation",
            "form",
        }
    ),
    "invoke-restmethod": frozenset(
        {
            "skipcertificatecheck",
            "authentication",
            "token",
            "skiphttperrorcheck",
            "statuscodevariable",
            "responseheadersvariable",
            "sslprotocol",
            "resume",
            "noproxy",
            "maximumretrycount",
            "retryintervalsec",
            "skipheadervalidation",
            "form",
            "followrellink",
        }
    ),
    "test-connection": frozenset(
        {"tcpport", "traceroute", "mtusize", "ping", "repeat", "detailed"}
    ),
    "select-string": frozenset({"raw", "noemphasis"}),
    "split-path": frozenset({"extension", "leafbase"}),
    "get-content": frozenset({"asbytestream"}),
    "set-content": frozenset({"asbytestream"}),
    "add-content": frozenset({"asbytestream"}),
}

#: Stems of NATIVE_STATE_CHANGING long enough to recognise in a variable name such as
#: ``$cscriptPath`` (``sc`` and ``net`` would match far too much).
NATIVE_VARIABLE_STEMS: Final = frozenset(
    {
        "configurationexe",
        "cscript",
        "ssomanage",
        "ssoconfig",
        "msdtc",
        "iisreset",
        "btstask",
        "msiexec",
    }
)
