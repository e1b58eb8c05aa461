""".NET and PowerShell members the scripts access: the platform, not BizTalk.

A member a script reads or calls (``$service.Status``, ``$list.Add(...)``,
``[System.IO.File]::ReadAllText(...)``) is a name too: Windows PowerShell 5.1 on
.NET Framework 4.x must have it. The WMI properties and methods of BizTalk are in
``wmi.py``; every other member name the rendered scripts use is here, one entry per
(type, member), grouped by the .NET type that defines it, citing its API page.

The check in tests/catalogue/test_script_names.py is by name (a parse tree does
not know the type of ``$x``), so a name several types share has one entry; its
note lists the other types. Properties of the scripts' own ``[pscustomobject]`` rows
(``$plan.HostName``, ``$row.Result``) are not platform names and are not here.
"""

from __future__ import annotations

from generator.catalogue.model import Confidence, Entry, Kind
from generator.catalogue.sources import learn

D = Confidence.DOCUMENTED

_INTRINSIC = "powershell/module/microsoft.powershell.core/about/about_intrinsic_members"

# Names several types share: the other types, for the reviewer.
_ALSO: dict[str, str] = {
    "Count": "also System.Array (ICollection.Count, which PowerShell exposes on "
    "arrays such as @(...)) and Hashtable.Count",
    "Name": "also ServiceController.Name, PSPropertyInfo.Name, WMI PropertyData."
    "Name, CimPropertyDeclaration.Name and CimMethodDeclaration.Name",
    "Value": "also Group.Value of a regex match, IdentityReference.Value and "
    "PSPropertyInfo.Value",
    "Status": "also System.Management.Automation.Signature.Status "
    "(Get-AuthenticodeSignature)",
    "Properties": "also PSObject.Properties (the .PSObject of any object)",
    "ToString": "also Guid.ToString('N')",
    "Trim": "on the strings of a script (log lines, tool output)",
    "Start": "the same name is also the MSBTS_HostInstance method (wmi.py)",
    "Stop": "the same name is also the MSBTS_HostInstance method (wmi.py)",
    "Password": "the same name is also an Install parameter (wmi.py)",
}

# (.NET type, members, what the scripts use them for). A type without a
# namespace dot is PowerShell's own (see _PAGES).
_TABLE: tuple[tuple[str, str, str], ...] = (
    (
        "System.Collections.Generic.List`1",
        "Add Clear Count ToArray",
        "the scripts' change, problem and row lists",
    ),
    (
        "System.Collections.Hashtable",
        "ContainsKey Keys",
        "lookup tables (@{ }) and the saved startup types",
    ),
    (
        "System.String",
        "Contains EndsWith IndexOf IsNullOrEmpty Length Replace Split StartsWith "
        "Substring ToLowerInvariant ToUpperInvariant Trim TrimEnd",
        "text handling",
    ),
    (
        "System.Environment",
        "GetCommandLineArgs GetEnvironmentVariable Is64BitProcess NewLine "
        "UserInteractive",
        "BTSINSTALLPATH, the 64-bit check, joining tool output",
    ),
    (
        "System.DateTime",
        "AddSeconds ParseExact ToString ToUniversalTime UtcNow",
        "bounded waits and time stamps; the age of a restored master secret",
    ),
    ("System.TimeSpan", "Days", "the age, in whole days, of a restored master secret"),
    ("System.Guid", "NewGuid", "the random name of the private folder"),
    ("System.Console", "IsInputRedirected", "whether a person can answer a prompt"),
    ("System.Array", "Reverse", "stop order is the reverse of start order"),
    ("System.Array", "Clone", "the copy that is reversed: the start order stays"),
    (
        "System.Text.RegularExpressions.Regex",
        "IsMatch Match",
        "label patterns of ssomanage -displaydb",
    ),
    (
        "System.Text.RegularExpressions.Match",
        "Groups Success",
        "the value group of a label pattern",
    ),
    ("System.Text.RegularExpressions.Capture", "Value", "the matched text"),
    (
        "System.Text.Encoding",
        "Default",
        "VBScript files are read in the ANSI code page",
    ),
    (
        "System.Text.Encoding",
        "GetBytes UTF8",
        "a script's code part as UTF-8 bytes, for its code SHA-256",
    ),
    (
        "System.StringComparison",
        "Ordinal",
        "the data markers and the signature line, found exactly",
    ),
    (
        "System.Security.Cryptography.SHA256",
        "ComputeHash Create Dispose",
        "the code SHA-256 of a script (Test-DrBundle.ps1)",
    ),
    ("System.BitConverter", "ToString", "a hash as hexadecimal text"),
    ("System.StringComparison", "OrdinalIgnoreCase", "file-mentions probe"),
    (
        "System.IO.File",
        "ReadAllBytes ReadAllLines ReadAllText WriteAllText",
        "logs, UpdateDatabase.vbs, the state and result files; a hashed file read once",
    ),
    (
        "System.IO.File",
        "WriteAllBytes",
        "UpdateInfo-Rearm.xml's reviewed bytes, written into the restore folder for "
        "UpdateRegistry.vbs (Reset-DrServer.ps1)",
    ),
    (
        "System.IO.File",
        "Move Replace",
        "the discovery file: written to a temporary file beside it, then renamed "
        "over it (Replace when it exists, Move when not)",
    ),
    (
        "System.Management.Automation.Language.NullString",
        "Value",
        "a null string for File.Replace's backup file name (PowerShell passes "
        "$null to a .NET string parameter as an empty string)",
    ),
    ("System.IO.Directory", "CreateDirectory", "folders created with their ACL"),
    ("System.IO.FileAttributes", "ReparsePoint", "a leftover folder that is a link"),
    (
        "System.IO.FileSystemInfo",
        "Attributes FullName Name",
        "folders and log files found by Get-ChildItem",
    ),
    (
        "System.Security.SecurityElement",
        "Escape",
        "a password as it would appear XML-escaped in a log",
    ),
    (
        "System.Security.AccessControl.ObjectSecurity",
        "AreAccessRulesProtected GetOwner SetAccessRuleProtection SetOwner",
        "the protected logs and private folders",
    ),
    (
        "System.Security.AccessControl.CommonObjectSecurity",
        "GetAccessRules",
        "who may read a folder",
    ),
    (
        "System.Security.AccessControl.FileSystemSecurity",
        "AddAccessRule",
        "Administrators and SYSTEM only",
    ),
    (
        "System.Security.AccessControl.AuthorizationRule",
        "IdentityReference",
        "the SID of an access rule",
    ),
    (
        "System.ServiceProcess.ServiceController",
        "DependentServices Start Status Stop",
        "Get-Service objects: start and stop with a bounded wait",
    ),
    (
        "System.Management.Automation.PSCredential",
        "GetNetworkCredential UserName",
        "service-account credentials",
    ),
    (
        "System.Net.NetworkCredential",
        "Password",
        "the plain password, only for the answer-file copy and Install",
    ),
    ("System.Management.Automation.ErrorRecord", "Exception", "$_ in catch blocks"),
    ("System.Exception", "Message", "the error text reported"),
    (
        "System.Management.Automation.Cmdlet",
        "ShouldProcess",
        "-WhatIf and -Confirm ($PSCmdlet)",
    ),
    (
        "System.Diagnostics.Process",
        "ExitCode Handle Kill WaitForExit",
        "Start-Process -PassThru of Configuration.exe: a bounded wait, "
        "ended on time-out",
    ),
    ("Microsoft.PowerShell.Commands.FileHashInfo", "Hash", "Get-FileHash results"),
    (
        "System.Management.Automation.PSCmdlet",
        "GetUnresolvedProviderPathFromPSPath",
        "a relative -OutFile resolved against PowerShell's current folder (.NET "
        "would use the process's)",
    ),
    (
        "System.Security.Principal.WindowsIdentity",
        "GetCurrent",
        "who ran the discovery script or a drill test (DOMAIN\\user, never a password)",
    ),
    (
        "System.Globalization.CultureInfo",
        "InvariantCulture",
        "time stamps in ISO 8601 whatever the server's culture and calendar",
    ),
    (
        "System.Management.ManagementObject",
        "GetMethodParameters InvokeMethod Put",
        "BizTalk WMI through Get-WmiObject objects, as Microsoft's samples",
    ),
    (
        "System.Management.ManagementClass",
        "CreateInstance",
        "a new MSBTS_ServerHost or MSBTS_HostInstance before Map or Install",
    ),
    (
        "System.Management.ManagementBaseObject",
        "Properties",
        "the in-parameters of a WMI method",
    ),
    (
        "Microsoft.Management.Infrastructure.CimClass",
        "CimClassMethods CimClassProperties",
        "the lab probe reads class declarations (Get-CimClass)",
    ),
    (
        "Microsoft.Management.Infrastructure.CimPropertyDeclaration",
        "Qualifiers",
        "the Write qualifier the lab probe looks for",
    ),
    (
        "Microsoft.Management.Infrastructure.CimMethodDeclaration",
        "Parameters",
        "the parameters of a WMI method, for the lab probe",
    ),
    (
        "Microsoft.Win32.RegistryKey",
        "GetValueNames",
        "the values under a key (Get-Item on the registry)",
    ),
    (
        "System.Xml.XmlDocument",
        "DocumentElement Load LoadXml PreserveWhitespace Save",
        "the answer-file copy and appcmd's XML output",
    ),
    ("System.Xml.XmlNode", "InnerText SelectSingleNode", "a Password element"),
    ("System.Xml.XmlElement", "GetAttribute", "autoStart of an application pool"),
    (
        "System.Data.SqlClient.SqlConnectionStringBuilder",
        "ConnectionString DataSource",
        "read-only queries with Windows authentication",
    ),
    (
        "System.Data.SqlClient.SqlConnection",
        "CreateCommand Dispose Open",
        "read-only queries",
    ),
    (
        "System.Data.SqlClient.SqlCommand",
        "CommandText CommandTimeout ExecuteReader",
        "read-only queries",
    ),
    (
        "System.Data.SqlClient.SqlDataReader",
        "Close FieldCount GetValues Read",
        "reading the rows",
    ),
    (
        "System.Xml.XmlDocument",
        "XmlResolver",
        "set to $null before a document from a database is parsed: no external "
        "entity or DTD is fetched",
    ),
    (
        "Intrinsic",
        "PSObject psbase",
        "PowerShell's intrinsic members of every object: .PSObject (its properties) "
        "and .psbase (the WMI object itself, for InvokeMethod)",
    ),
)

# PowerShell's own pages, for the types that are not .NET API types.
_PAGES = {"Intrinsic": _INTRINSIC}


def _type(type_name: str, members: str, use: str) -> tuple[Entry, ...]:
    """One entry per member of a type, citing the type's API page."""
    short = type_name.rsplit(".", 1)[-1].split("`", 1)[0]
    page = _PAGES.get(type_name) or f"dotnet/api/{type_name.lower().replace('`', '-')}"
    return tuple(
        Entry(
            f"net:{short}.{member}",
            Kind.PLATFORM,
            member,
            learn(page),
            D,
            f"{type_name}: {use}" + (f"; {_ALSO[member]}" if member in _ALSO else ""),
        )
        for member in members.split()
    )


ENTRIES: tuple[Entry, ...] = tuple(entry for row in _TABLE for entry in _type(*row))
