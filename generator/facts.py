"""BizTalk Server facts drgen relies on, in one place.

Every value here comes from ``docs/biztalk-dr-facts.md`` (shared with the project).
Values marked UNCONFIRMED are hypotheses that a lab export or a DR drill must
confirm; each lives here alone so that a lab result changes it in one edit.
"""

from __future__ import annotations

from typing import Final

SUPPORTED_VERSIONS: Final = ("2013R2", "2016", "2020")

# §2.2: where Configuration.exe lives when $env:BTSINSTALLPATH is not set.
DEFAULT_INSTALL_PATH: Final = {
    "2013R2": r"C:\Program Files (x86)\Microsoft BizTalk Server 2013 R2",
    "2016": r"C:\Program Files (x86)\Microsoft BizTalk Server 2016",
    "2020": r"C:\Program Files (x86)\Microsoft BizTalk Server",
}

# §2.2: HKLM\SOFTWARE\Microsoft\BizTalk Server\3.0 carries ProductVersion.
# Product version prefixes per release (3.10 = 2013 R2, 3.12 = 2016, 3.13 = 2020).
# UNCONFIRMED: the exact registry value name (ProductVersion) and prefixes are taken
# from common installs, not from the facts file; the prepare script only warns.
PRODUCT_VERSION_PREFIX: Final = {"2013R2": "3.10.", "2016": "3.12.", "2020": "3.13."}

# §1.5 / §1.7: the Restore folder under the install path on a 64-bit OS.
RESTORE_SUBFOLDER: Final = r"Bins32\Schema\Restore"

# §1.8: SSO tools (ssoconfig.exe, ssomanage.exe) live in this folder under the
# 64-bit Common Files folder (%CommonProgramW6432%).
SSO_TOOLS_SUBFOLDER: Final = "Enterprise Single Sign-On"

# §2.1: `/noprogressbar` is observed in three public scripts but not documented.
# UNCONFIRMED: kept off by default; flip here once a lab run shows it is accepted.
CONFIGURATION_EXE_NOPROGRESSBAR: Final = False

# §2.1: log markers. UNCONFIRMED that 2016/2020 logs still use these exact words; a
# broad "error " would flag successful runs, so only the documented marker is used
# and the join is confirmed from the registry afterwards.
CONFIGURATION_LOG_ERROR_PATTERNS: Final = ("Error ConfigHelper",)

# §2.4 / §6: answer-file feature names, question IDs and answer GUIDs (verbatim).
SSO_FEATURE: Final = "SSOServer,Engine"
GROUP_FEATURE: Final = "WMI"
RUNTIME_FEATURE: Final = "Engine,BTSCfg"
RULES_FEATURE: Final = "RulesEngine"

SSO_CREATE_GUID: Final = "{FB7268BE-82D4-4cad-8CFF-6930303DA7E2}"
SSO_JOIN_GUID: Final = "{B9432756-1620-4bec-8CD9-E6D0B7805AA5}"
GROUP_CREATE_GUID: Final = "{C4DEF4B8-163E-4a8d-AB01-6C43917248B1}"
GROUP_JOIN_GUID: Final = "{4D12E6A3-552E-4936-9DD3-59E1190FA324}"
MGMT_DB_SQL_ID: Final = "{D757DBF9-5D71-4995-9F20-A552B7DFE7F1}"
HOST_YES_GUID: Final = "{8E714C78-05B8-45d1-9B50-D737EF7AD682}"
HOST_NO_GUID: Final = "{D9164C48-8179-4a40-912D-1BF4C3EFE70B}"
ISOHOST_YES_GUID: Final = "{5638D8B2-58C9-4b2a-B5B1-3771ADECC327}"
ISOHOST_NO_GUID: Final = "{5782A1A5-8578-4942-9CBB-E443A15A0B99}"
RULES_SQL_ID: Final = "{E6C5E071-D6EB-4c31-BFE6-CA16637FBEEB}"
RULES_SERVICE_ID: Final = "{6ABAD351-9C7B-423e-9FDE-3A5C52441C00}"

# §2.7: the answer file answers HOST and ISOHOST with No (the *_NO_GUID answers are
# Selected in ConfigurationAnswers.xml.jinja), so the wizard creates no host; the
# scripts create every host instance by WMI, disabled. UNCONFIRMED that the runtime
# feature still registers the server in the group with both answered No.

# §2.1 (/ADDLOCAL examples) and §2.3: setup features a joined runtime server has.
# The answer file lists exactly these as InstalledFeature, in this order.
INSTALLED_FEATURES_BASE: Final = (
    "WMI",
    "BizTalk",
    "Engine",
    "MOT",
    "MSMQ",
    "Runtime",
    "SSOAdmin",
    "SSOServer",
    "AdditionalApps",
)
INSTALLED_FEATURES_RULES: Final = ("RulesEngine",)

# §2.8: 2020 adds IsGmsaAccount to NTService; ENTSSO never supports gMSA (§2.5).
VERSIONS_WITH_GMSA: Final = frozenset({"2020"})

# §3.1: WMI namespace and the host-instance name format.
WMI_NAMESPACE: Final = r"root\MicrosoftBizTalkServer"
HOST_TYPE_IN_PROCESS: Final = 1
HOST_TYPE_ISOLATED: Final = 2

# §3.3: Windows services.
SSO_SERVICE: Final = "ENTSSO"
RULE_ENGINE_SERVICE: Final = "RuleEngineUpdateService"
BAM_ALERTS_SERVICE: Final = {
    "2013R2": "NS$BamAlerts",
    "2016": "BAMAlerts",
    "2020": "BAMAlerts",
}


def host_service_name(host: str) -> str:
    """§3.3: the Windows service of an in-process host instance."""
    return f"BTSSvc${host}"


# §1.5: SampleUpdateInfo.xml labels under OtherDatabases.
UPDATEINFO_SSO_LABEL: Final = "SSO"
# UNCONFIRMED: the shipped sample's exact entry for the Rule Engine DB was not found
# in public copies; drgen writes it as an OtherDatabases entry with this label.
UPDATEINFO_RULE_ENGINE_LABEL: Final = "RuleEngineDB"
UPDATEINFO_BAM_ALERTS_APP_LABEL: Final = "BAM Alerts Application DB"
UPDATEINFO_BAM_ALERTS_INSTANCE_LABEL: Final = "BAM Alerts Instance DB"

# §1.6: UpdateDatabase.vbs on SQL 2016+ needs MSOLEDBSQL instead of SQLOLEDB.
UPDATEDATABASE_OLD_PROVIDER: Final = 'conn.Provider = "SQLOLEDB"'
UPDATEDATABASE_NEW_PROVIDER: Final = 'conn.Provider = "MSOLEDBSQL"'

# §1.8: ENTSSO can take about three minutes to start.
SSO_START_TIMEOUT_SECONDS: Final = 300

# §1.8: the master secret lives under this key on the master secret server only.
SSOSS_REGISTRY_KEY: Final = r"HKLM:\SOFTWARE\Microsoft\ENTSSO\SSOSS"

# §2.9: "already configured" test.
ADMIN_REGISTRY_KEY: Final = (
    r"HKLM:\SOFTWARE\Microsoft\BizTalk Server\3.0\Administration"
)

# §1.8: `ssomanage -displaydb` prints the secret server name. UNCONFIRMED: the exact
# label; this pattern ({0} = the escaped computer name) decides whether Enable skips
# `ssomanage -updatedb` on a re-run.
SSOMANAGE_DISPLAYDB_SECRET_SERVER_PATTERN: Final = (
    r"(?im)^\s*secret\s*server[^:\r\n]*:\s*{0}(\.[^\s]*)?\s*$"  # noqa: S105 - a regex
)

# §1.6: UpdateDatabase.vbs rewrites the MessageBox locations in the management DB.
# UNCONFIRMED: table and column names (MSBTS_MessageBox.DBServerName is read from
# them); Update-DrGroupDatabases.ps1 uses this query to decide whether to run.
MESSAGEBOX_LOCATION_QUERY: Final = "SELECT DBServerName FROM dbo.adm_MessageBox"
