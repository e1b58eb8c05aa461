"""BizTalk WMI: the namespace, classes, properties and methods the scripts use.

Every class and member is on its own page of the BizTalk technical reference
(``technical-reference/msbts-<class>-<member>-...-wmi.md``). There is no class
``MSBTS_MessageBox``: MessageBoxes are ``MSBTS_MsgBoxSetting`` (core-server-classes).
Scripts read and write through ``Get-WmiObject`` and ``System.Management`` (``Put()``,
``InvokeMethod``), the pattern of Microsoft's own samples, because the CIM cmdlets
refuse to set a property whose class lacks the Write qualifier.
"""

from __future__ import annotations

from generator.catalogue.model import Confidence, Entry, Kind, Probe
from generator.catalogue.sources import core, inferred, learn, tech

DOC = Confidence.DOCUMENTED


def _page(cls: str, member: str = "", kind: str = "") -> str:
    """The technical-reference page of a class or one of its members."""
    stem = cls.lower().replace("_", "-")
    if not member:
        return tech(f"{stem}-wmi.md")
    suffix = {"property": "property-wmi", "method": "method-wmi"}[kind]
    return tech(f"{stem}-{member.lower()}-{suffix}.md")


def _class(
    cls: str,
    note: str,
    properties: dict[str, str],
    methods: dict[str, str] | None = None,
) -> tuple[Entry, ...]:
    found = [Entry(f"wmi:{cls}", Kind.WMI_CLASS, cls, _page(cls), DOC, note)]
    for name, what in properties.items():
        found.append(
            Entry(
                f"wmi:{cls}.{name}",
                Kind.WMI_PROPERTY,
                name,
                _page(cls, name, "property"),
                DOC,
                what,
            )
        )
    for name, what in (methods or {}).items():
        found.append(
            Entry(
                f"wmi:{cls}.{name}()",
                Kind.WMI_METHOD,
                name,
                _page(cls, name, "method"),
                DOC,
                what,
            )
        )
    return tuple(found)


ENTRIES: tuple[Entry, ...] = (
    Entry(
        "wmi:namespace",
        Kind.WMI_NAMESPACE,
        r"root\MicrosoftBizTalkServer",
        tech("msbts-hostinstance-wmi.md"),
        DOC,
        "every BizTalk class: 'Namespace: Included in \\root\\MicrosoftBizTalkServer'",
    ),
    *_class(
        "MSBTS_HostInstance",
        "a host instance: one host on one server",
        {
            "Name": "key: 'Microsoft BizTalk Server <host> <server>'",
            "HostName": "the host of the instance",
            "RunningServer": "the server the instance runs on",
            "HostType": "1 in-process, 2 isolated",
            "Logon": "the account the instance runs as",
            "IsDisabled": "read/write; 'can only be set when the host instance is "
            "in a stopped state'",
            "ServiceState": "1 Stopped, 2 Start pending, 3 Stop pending, "
            "4 Running, ...",
            "ConfigurationState": "1 Installed, 2 Installation failed, ... 5 Not "
            "installed",
            "MgmtDbNameOverride": "key, left empty",
            "MgmtDbServerOverride": "key, left empty",
            "ClusterInstanceType": "read only: 0 UnClusteredInstance, 1 "
            "ClusteredInstance, 2 ClusteredVirtualInstance (default 0); discovery "
            "reads it so that DR does not run a clustered host on every server",
        },
        {
            "Install": "Install(Logon, Password, GrantLogOnAsService"
            "[, IsGmsaAccount on 2020]); the sample spawns an instance, sets Name",
            "Start": "starts the instance",
            "Stop": "stops the instance",
        },
    ),
    Entry(
        "out:host-instance-name",
        Kind.OUTPUT,
        "Microsoft BizTalk Server {0} {1}",
        tech("mapping-and-installing-host-instances-using-wmi.md"),
        DOC,
        "the Name key of a new instance: 'Microsoft BizTalk Server' + host + server "
        "({0} host, {1} server)",
    ),
    Entry(
        "wmi:qualifier/write",
        Kind.WMI_PROPERTY,
        "write",
        learn("windows/win32/wmisdk/standard-wmi-qualifiers"),
        DOC,
        "the property qualifier that marks a property writable (the lab probe reads "
        "it with Get-CimClass)",
    ),
    Entry(
        "wmi:MSBTS_HostInstance.Install(IsGmsaAccount)",
        Kind.WMI_PROPERTY,
        "IsGmsaAccount",
        tech("msbts-hostinstance-install-method.md"),
        DOC,
        "Install parameter added in BizTalk 2020 (optional from CU5); the script "
        "passes it only when GetMethodParameters('Install') lists it",
    ),
    Entry(
        "wmi:MSBTS_HostInstance.Install(Logon)",
        Kind.WMI_PROPERTY,
        "Logon",
        tech("msbts-hostinstance-install-method.md"),
        DOC,
        "Install parameter: the account",
    ),
    Entry(
        "wmi:MSBTS_HostInstance.Install(Password)",
        Kind.WMI_PROPERTY,
        "Password",
        tech("msbts-hostinstance-install-method.md"),
        DOC,
        "Install parameter: the password (empty for a gMSA)",
    ),
    Entry(
        "wmi:MSBTS_HostInstance.Install(GrantLogOnAsService)",
        Kind.WMI_PROPERTY,
        "GrantLogOnAsService",
        tech("msbts-hostinstance-install-method.md"),
        DOC,
        "Install parameter: grant 'Log on as a service' (in-process hosts)",
    ),
    *_class(
        "MSBTS_ServerHost",
        "the mapping of a host to a server; Map() comes before Install()",
        {
            "HostName": "the host",
            "ServerName": "the server",
            "IsMapped": "whether the host is mapped to the server",
            "MgmtDbNameOverride": "key, left empty",
            "MgmtDbServerOverride": "key, left empty",
        },
        {"Map": "maps the host to the server"},
    ),
    *_class(
        "MSBTS_HostSetting",
        "a host of the group (read only here: DR never creates or changes a host)",
        {
            "Name": "the host name",
            "HostType": "1 in-process, 2 isolated",
            "NTGroupName": "the host's Windows group (read by the discovery script)",
            "IsHost32BitOnly": "whether instances run as 32-bit processes",
            "HostTracking": "whether instances of the host host the tracking "
            "sub-service",
            "AuthTrusted": "whether the host is trusted to collect authentication "
            "information",
        },
    ),
    *_class(
        "MSBTS_Server",
        "'computers within a group that have BizTalk Servers installed': a joined "
        "server is listed here",
        {"Name": "the computer name"},
    ),
    *_class(
        "MSBTS_MsgBoxSetting",
        "one MessageBox of the group (there is no MSBTS_MessageBox class)",
        {
            "MsgBoxDBServerName": "the SQL Server of the MessageBox",
            "MsgBoxDBName": "the MessageBox database name",
            "IsMasterMsgBox": "whether it is the master MessageBox",
        },
    ),
    *_class(
        "MSBTS_GroupSetting",
        "the group: its databases and SSO server",
        {
            "SSOServerName": "read-write, max 80 characters: the SSO server the group "
            "uses",
            "MgmtDbServerName": "the management database server",
            "MgmtDbName": "the management database name",
            "Name": "the group name (read by the discovery script)",
            "TrackingDBServerName": "the SQL Server of the tracking database",
            "TrackingDBName": "the tracking database name",
            "RuleEngineDBServerName": "the SQL Server of the Rule Engine database "
            "(empty when no Rule Engine is configured)",
            "RuleEngineDBName": "the Rule Engine database name",
            "BamDBServerName": "'the BAM SQL database' server (empty without BAM); "
            "taken as BAM Primary Import, see behaviour:MSBTS_GroupSetting.BamDBName",
            "BamDBName": "'the name of the BAM SQL database'",
        },
    ),
    Entry(
        "behaviour:MSBTS_HostInstance.IsDisabled/Write",
        Kind.BEHAVIOUR,
        "IsDisabled carries the Write qualifier",
        inferred(
            "no page mentions the qualifier; mgmtclassgen wrappers of the class have "
            "a setter; icraftsoftware sets it with Set-CimInstance"
        ),
        Confidence.INFERRED,
        "only the CIM cmdlets depend on it (they refuse a property without it); the "
        "scripts write with Get-WmiObject and Put(), which do not",
        probe=Probe("wmi-writable", ("MSBTS_HostInstance", "IsDisabled")),
        if_failed="nothing to change while the scripts use Put(); never switch them "
        "to Set-CimInstance",
    ),
    Entry(
        "behaviour:MSBTS_GroupSetting.SSOServerName/Write",
        Kind.BEHAVIOUR,
        "SSOServerName carries the Write qualifier",
        inferred(
            "the page says 'This property is read-write'; the qualifier itself "
            "is not documented"
        ),
        Confidence.INFERRED,
        "written with Get-WmiObject and Put()",
        probe=Probe("wmi-writable", ("MSBTS_GroupSetting", "SSOServerName")),
        if_failed="nothing to change while the scripts use Put()",
    ),
    Entry(
        "behaviour:wmi-put-pattern",
        Kind.BEHAVIOUR,
        "Get-WmiObject ... ; set property ; Put()",
        core("cbr-biztalk-server-sample.md"),
        DOC,
        "Microsoft's PowerShell sample: '$WMIsendport = get-wmiobject MSBTS_SendPort "
        "...; [Void] $WMIsendport.Put()'; Map and Install through ManagementClass."
        "CreateInstance() and InvokeMethod (mapping-and-installing-host-instances-"
        "using-wmi.md). The same on MSBTS_HostInstance.IsDisabled is observed in "
        "sandroasp/BizTalk-Server-Resources bts-WMI-classes/MSBTS_HostInstance",
    ),
    Entry(
        "wmi:Win32_Service",
        Kind.WMI_CLASS,
        "Win32_Service",
        learn("windows/win32/cimwin32prov/win32-service"),
        DOC,
        "a Windows service; StartMode reads the startup type on every .NET version",
    ),
    Entry(
        "wmi:Win32_Service.Name",
        Kind.WMI_PROPERTY,
        "Name",
        learn("windows/win32/cimwin32prov/win32-service"),
        DOC,
        "the service name",
    ),
    Entry(
        "wmi:Win32_Service.StartMode",
        Kind.WMI_PROPERTY,
        "StartMode",
        learn("windows/win32/cimwin32prov/win32-service"),
        DOC,
        "'Boot', 'System', 'Auto', 'Manual' or 'Disabled'",
    ),
    Entry(
        "wmi:Win32_Service.StartName",
        Kind.WMI_PROPERTY,
        "StartName",
        learn("windows/win32/cimwin32prov/win32-service"),
        DOC,
        "the account a service logs on as (the discovery script reads ENTSSO's and "
        "the Rule Engine Update Service's; never a password)",
    ),
    Entry(
        "behaviour:MSBTS_GroupSetting.BamDBName/PrimaryImport",
        Kind.BEHAVIOUR,
        "BamDBServerName and BamDBName name the BAM Primary Import database",
        inferred(
            "the pages say only 'the BAM SQL database'; BAM Primary Import is the "
            "one BAM database a group registers (the others hang off it)"
        ),
        Confidence.INFERRED,
        "Export-BizTalkGroup.ps1 reports them as bam_primary_import",
        settle="on a lab group with BAM configured, run Export-BizTalkGroup.ps1: "
        "bam_primary_import must name the BAMPrimaryImport database the "
        "Configuration wizard created",
        if_failed="report another database under its own key in "
        "templates/production/Export-BizTalkGroup.ps1.jinja and the discovery contract",
    ),
    Entry(
        "wmi:ReturnValue",
        Kind.WMI_PROPERTY,
        "ReturnValue",
        learn("dotnet/api/system.management.managementobject.invokemethod"),
        DOC,
        "the out-parameter object of a WMI method call; BizTalk methods also raise "
        "failures as exceptions",
    ),
)
