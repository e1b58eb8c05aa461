"""How catalogue entries cite their sources, spelled the same way everywhere."""

from __future__ import annotations

MSDOCS = "MicrosoftDocs/biztalk-docs"


def doc(path: str) -> str:
    """A page of Microsoft's BizTalk documentation, by path in its repository."""
    return f"{MSDOCS}:{path}"


def tech(page: str) -> str:
    """A page of the BizTalk technical reference (WMI classes and the like)."""
    return doc(f"technical-reference/{page}")


def core(page: str) -> str:
    """A page of the BizTalk core documentation."""
    return doc(f"biztalk/core/{page}")


def guide(page: str) -> str:
    """A page of the BizTalk technical guides (the DR series)."""
    return doc(f"biztalk/technical-guides/{page}")


def install(page: str) -> str:
    """A page of the BizTalk installation and configuration guides."""
    return doc(f"biztalk/install-and-config-guides/{page}")


def learn(page: str) -> str:
    """A Microsoft documentation page outside BizTalk (Windows, .NET, PowerShell)."""
    return f"learn.microsoft.com:{page}"


def public(where: str) -> str:
    """A public script or export that uses the name (confidence: observed)."""
    return f"public: {where}"


def inferred(why: str) -> str:
    """No source states it; the reasoning (confidence: inferred)."""
    return f"inferred: {why}"


# Public copies of BizTalk's own UpdateDatabase.vbs found in the code index: they
# read UpdateInfo.xml and update the management database tables named below.
UPDATEDATABASE_VBS = public(
    "copies of BizTalk's Schema\\Restore\\UpdateDatabase.vbs in the public code index "
    "(strings '/UpdateConfiguration/RuleEngineDB', 'adm_OtherBackupDatabases')"
)
# Real Configuration Wizard exports and templates (facts §2.6).
EXPORTS = public(
    "dsccommunity/BizTalkServerDsc:Examples/Scenario_OneMachine/@Stream/BizTalk/"
    "Configuration.xml; skastberg/biztalkps ScriptedInstallSamples; "
    "HydAu/Biztalk:biztalk/templates/default/BizTalkFeaturesServer.erb"
)
