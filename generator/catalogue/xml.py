"""XML names: the Configuration Wizard answer file, UpdateInfo.xml, SecretServer.xml.

The answer-file vocabulary is Microsoft's sample in "Working with the Configuration
Framework" (a full create-group file) and real exports; UpdateInfo.xml follows
SampleUpdateInfo.xml as the DR pages show it and as UpdateDatabase.vbs reads it;
SecretServer.xml is the ``ssomanage -updatedb`` input of "How to change the master
secret server". Tests parse every rendered XML file and check each element and
attribute name against these entries.
"""

from __future__ import annotations

from generator.catalogue.model import Confidence, Entry, Kind, Probe
from generator.catalogue.sources import EXPORTS, UPDATEDATABASE_VBS, core, install

DOC = Confidence.DOCUMENTED
OBS = Confidence.OBSERVED

_FRAMEWORK = install("working-with-the-configuration-framework.md")
_MOVE_BAM = core("how-to-move-the-bam-primary-import-database1.md")
_LOG_SHIPPING = core("how-to-configure-the-destination-system-for-log-shipping.md")
_MSS = core("how-to-change-the-master-secret-server.md")


def _names(
    prefix: str, kind: Kind, names: str, source: str, confidence: Confidence, note: str
) -> tuple[Entry, ...]:
    return tuple(
        Entry(f"{prefix}{name}", kind, name, source, confidence, note)
        for name in names.split()
    )


def _values(
    items: tuple[tuple[str, str, str], ...], source: str, confidence: Confidence
) -> tuple[Entry, ...]:
    return tuple(
        Entry(f"answer:{key}", Kind.ANSWER_VALUE, value, source, confidence, note)
        for key, value, note in items
    )


_ANSWER_VALUES = (
    ("feature/sso", "SSOServer,Engine", "Feature Name: Enterprise Single Sign-On"),
    ("feature/group", "WMI", "Feature Name: BizTalk Server Group"),
    ("feature/runtime", "Engine,BTSCfg", "Feature Name: runtime components"),
    ("feature/rules", "RulesEngine", "Feature Name: Business Rules Engine"),
    ("feature/mot", "MOT", "Feature Name: BAM runtime (empty in every export)"),
    ("question/sso", "IsSecretServer", "Create a new / Join an existing SSO system"),
    ("question/group", "CREATEORJOIN", "Create a new / Join an existing group"),
    ("question/host", "HOST", "create an in-process host and instance"),
    ("question/isohost", "ISOHOST", "create an isolated host and instance"),
    ("sso/create", "{FB7268BE-82D4-4cad-8CFF-6930303DA7E2}", "IsSecretServer=Create"),
    ("sso/join", "{B9432756-1620-4bec-8CD9-E6D0B7805AA5}", "IsSecretServer=Join"),
    ("group/create", "{C4DEF4B8-163E-4a8d-AB01-6C43917248B1}", "CREATEORJOIN=Create"),
    ("group/join", "{4D12E6A3-552E-4936-9DD3-59E1190FA324}", "CREATEORJOIN=Join"),
    ("host/yes", "{8E714C78-05B8-45d1-9B50-D737EF7AD682}", "HOST=Yes"),
    ("host/no", "{D9164C48-8179-4a40-912D-1BF4C3EFE70B}", "HOST=No"),
    ("isohost/yes", "{5638D8B2-58C9-4b2a-B5B1-3771ADECC327}", "ISOHOST=Yes"),
    ("isohost/no", "{5782A1A5-8578-4942-9CBB-E443A15A0B99}", "ISOHOST=No"),
    ("sql/sso", "SSO_DB_ID", "SQL ID of the SSO database (Feature-level)"),
    ("sql/management", "{D757DBF9-5D71-4995-9F20-A552B7DFE7F1}", "management DB"),
    ("sql/rules", "{E6C5E071-D6EB-4c31-BFE6-CA16637FBEEB}", "Rule Engine database"),
    ("service/sso", "ENTSSO", "NTService ID of the SSO service account"),
    ("service/rules", "{6ABAD351-9C7B-423e-9FDE-3A5C52441C00}", "Rule Engine service"),
    ("installed/WMI", "WMI", "InstalledFeature"),
    ("installed/BizTalk", "BizTalk", "InstalledFeature"),
    ("installed/Engine", "Engine", "InstalledFeature"),
    ("installed/MOT", "MOT", "InstalledFeature"),
    ("installed/MSMQ", "MSMQ", "InstalledFeature"),
    ("installed/Runtime", "Runtime", "InstalledFeature"),
)

# Setup feature codes of a runtime server that the sample file does not list.
_SETUP_FEATURES = (
    ("installed/SSOAdmin", "SSOAdmin", "InstalledFeature"),
    ("installed/SSOServer", "SSOServer", "InstalledFeature"),
    ("installed/AdditionalApps", "AdditionalApps", "InstalledFeature"),
    ("installed/RulesEngine", "RulesEngine", "InstalledFeature"),
)

ENTRIES: tuple[Entry, ...] = (
    # ----------------------------------------------------------- the answer file
    *_names(
        "xml:answers/",
        Kind.XML_ELEMENT,
        "Configuration Feature Question Answer NTService SQL UserName Domain "
        "Password Server Database WindowsSecurity InstalledFeature",
        _FRAMEWORK,
        DOC,
        "answer-file element (Microsoft's sample configuration file)",
    ),
    Entry(
        "xml:answers/IsGmsaAccount",
        Kind.XML_ELEMENT,
        "IsGmsaAccount",
        EXPORTS,
        OBS,
        "NTService child in BizTalk 2020 exports; never under NTService ENTSSO "
        "(Enterprise SSO does not support gMSA: biztalk/core/gmsa-config.md)",
        probe=None,
        settle="compare with a Configuration Wizard export of a 2020 DR server",
    ),
    *_names(
        "xml:answers@",
        Kind.XML_ATTRIBUTE,
        "Name DisplayName Version Description ConfigByDefault ID Text Answers "
        "Default Value GUID Selected Editable",
        _FRAMEWORK,
        DOC,
        "answer-file attribute (Microsoft's sample configuration file)",
    ),
    *_values(_ANSWER_VALUES, _FRAMEWORK, DOC),
    *_values(_SETUP_FEATURES, install("appendix-a-silent-installation.md"), DOC),
    # ------------------------------------------------------------ UpdateInfo.xml
    *_names(
        "xml:updateinfo/",
        Kind.XML_ELEMENT,
        "UpdateConfiguration MessageBoxDB TrackingDB ManagementDB OtherDatabases "
        "Database BAM DeploymentUnit Property",
        _LOG_SHIPPING,
        DOC,
        "SampleUpdateInfo.xml element",
    ),
    *_names(
        "xml:updateinfo@",
        Kind.XML_ATTRIBUTE,
        "oldDBName oldDBServer newDBName newDBServer IsMaster Name",
        _LOG_SHIPPING,
        DOC,
        "SampleUpdateInfo.xml attribute",
    ),
    Entry(
        "xml:updateinfo/RuleEngineDB",
        Kind.XML_ELEMENT,
        "RuleEngineDB",
        UPDATEDATABASE_VBS,
        OBS,
        "top-level element read by selectSingleNode('/UpdateConfiguration/"
        "RuleEngineDB'); updates adm_Group.RuleEngineDBServerName and the "
        "'RuleEngine DB' row of adm_OtherBackupDatabases. Not an OtherDatabases entry",
        probe=Probe(
            "file-mentions", ("folder:restore", "SampleUpdateInfo.xml", "RuleEngineDB")
        ),
        if_failed="the installed sample names the element differently: change "
        "UpdateInfo.xml.jinja and this entry",
    ),
    *_names(
        "answer:bam-unit/",
        Kind.ANSWER_VALUE,
        "OldPrimaryImportDatabase PrimaryImportDatabase ArchivingDatabase "
        "AnalysisDatabase StarSchemaDatabase Alert",
        _MOVE_BAM,
        DOC,
        "BAM DeploymentUnit Name",
    ),
    *_names(
        "answer:bam-property/",
        Kind.ANSWER_VALUE,
        "ServerName DatabaseName DBServer InstanceDatabaseName",
        _MOVE_BAM,
        DOC,
        "BAM Property Name (the Alert unit uses DBServer and InstanceDatabaseName)",
    ),
    # ---------------------------------------------------------- SecretServer.xml
    *_names(
        "xml:secretserver/",
        Kind.XML_ELEMENT,
        "sso globalInfo secretServer",
        _MSS,
        DOC,
        "ssomanage -updatedb input; only secretServer when run from a computer that "
        "is not the current master secret server",
    ),
)
