"""Product versions and how the tools behave (exit codes, order, side effects)."""

from __future__ import annotations

from generator.catalogue.model import Confidence, Entry, Kind, Probe
from generator.catalogue.sources import (
    EXPORTS,
    core,
    inferred,
    public,
    tech,
)

DOC = Confidence.DOCUMENTED
OBS = Confidence.OBSERVED
INF = Confidence.INFERRED

ENTRIES: tuple[Entry, ...] = (
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
            if_failed="change the prefix in generator/catalogue/behaviour.py; the "
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
