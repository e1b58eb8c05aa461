"""How to fix what ``drgen report`` finds: one sentence per check id the test
scripts write, and one per reason a result keeps the standby from being ready.

This is a table to review like the catalogue: each key of :data:`CHECK_FIXES`
is the id exactly as ``Add-DrCheck -Id`` writes it in the templates
(``_partials/checks.ps1.jinja`` for Test-DrServer.ps1's end-state checks,
``site/Test-DrBundle.ps1.jinja`` for the bundle check, ``run:completed`` in
both), with ``{0}`` and ``{1}`` where the script formats in a name. Each text
names the drgen script to run, or the Windows setting to change when no drgen
script changes it. ``tests/evidence/test_report_fixes.py`` fails when the scripts can
write an id that has no text here (ids read from the rendered scripts' parse
tree and from the templates), when a key here is an id no script writes, and
when a text names a script that is not in the bundle.

A text may use ``{0}``/``{1}`` (the names in the id), ``{server}`` (the DR
server the result is from) and ``{test}`` (the test that wrote the result, as
it is run). Where the state the test expected matters, a :class:`Fix` has a
text for Ready and one for Active beside the Dormant one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from generator.catalogue import CATALOGUE as N
from generator.evidence.verdict import Reason


@dataclass(frozen=True, slots=True)
class Fix:
    """What to do about one failed check, by the state the test expected."""

    # Dormant, a bundle check, and any state without a text of its own.
    text: str
    # -Expect Ready ("": as ``text``).
    ready: str = ""
    # -Expect Active ("": as ``ready``, else ``text``).
    active: str = ""

    def for_kind(self, kind: str) -> str:
        """The text for a result of ``kind`` (Bundle, Dormant, Ready, Active)."""
        if kind == "Active":
            return self.active or self.ready or self.text
        if kind == "Ready":
            return self.ready or self.text
        return self.text


# Reset-DrServer.ps1 is one step of the phase: the DBA's log-shipping steps and
# Initialize-DrServer.ps1 follow it, so a fix points at the whole phase.
_RUNBOOK_REARM = "the runbook's phase \u201cRe-arm\u201d (Reset-DrServer.ps1 first)"


def _enable_again(what: str) -> str:
    """The Ready/Active fix of a registry value that still names production."""
    return (
        what + " on {server} does not have its DR value yet: run "
        "Enable-DrServer.ps1 there (the master secret server first); its first step "
        "runs " + N["file:UpdateRegistry.vbs"] + " with UpdateInfo.xml and reads "
        "every value back, and if it stopped there its log in logs\\ names the "
        "value still naming production."
    )


_DISABLE = "Run Disable-DrServer.ps1 on {server}: it "
_START = (
    "Run Enable-DrServer.ps1 without -NoStart on {server} (after the applications "
    "and DR bindings are in place): it "
)
_NO_START = (
    "Run Disable-DrServer.ps1 on {server}, then Enable-DrServer.ps1 -NoStart "
    "again: Ready means nothing processes yet; "
)
_WMI = (
    "BizTalk WMI on {server} could not read the management database its registry "
    "names: make that SQL instance reachable from {server} (network, firewall, "
    "SQL Server service running) and run {test} again as a BizTalk administrator; "
    "the service, pool and MSDTC checks ran regardless."
)
_BUNDLE_COPY = (
    "copy the bundle again from the reviewed render (drgen verify on the "
    "workstation first) to {server}, then run Test-DrBundle.ps1 again."
)

#: Check id (as the scripts write it) -> how to fix it when it failed.
CHECK_FIXES: Final[Mapping[str, Fix]] = MappingProxyType(
    {
        # --- Test-DrServer.ps1 (Get-DrStateReport) ---------------------------------
        "registry:management-server": Fix(
            "The BizTalk registry on {server} does not name the production "
            "management database server: after a drill or failover it still names "
            "the DR SQL instance, so re-arm the server as " + _RUNBOOK_REARM + " "
            "says; if it is empty, BizTalk is not configured there: run "
            "Initialize-DrServer.ps1.",
            ready=_enable_again("The management database server (registry)"),
        ),
        "registry:management-database": Fix(
            "The BizTalk registry on {server} does not name the production "
            "management database: re-arm the server as " + _RUNBOOK_REARM + " says "
            "after a drill; if it is empty, run Initialize-DrServer.ps1.",
            ready=_enable_again("The management database name (registry)"),
        ),
        "registry:{0}\\{1}": Fix(
            "{0}\\{1} on {server} does not name the production SQL instance: after "
            "a drill or failover re-arm the server as " + _RUNBOOK_REARM + " says; "
            "if it is empty, the feature behind it is not configured: run "
            "Initialize-DrServer.ps1.",
            ready=_enable_again("{0}\\{1}"),
        ),
        "wmi:restart-pending": Fix(
            "UpdateRegistry.vbs ran on {server} but the WMI restart after it did "
            "not finish, so BizTalk WMI may read the old database names: run "
            "Enable-DrServer.ps1 again during a failover, Disable-DrServer.ps1 at a "
            "stand down, or Reset-DrServer.ps1 again when re-arming; each of them "
            "finishes the restart.",
        ),
        "host-instance:{0}:installed": Fix(
            "Run Initialize-DrServer.ps1 on {server}: it maps and installs host "
            "instance {0} (a host added in production since needs the inventory "
            "updated and the bundle rendered again first)."
        ),
        "host-instance:{0}:is-disabled": Fix(
            _DISABLE + "sets IsDisabled on host instance {0}.",
            ready="Run Enable-DrServer.ps1 -NoStart on {server}: it clears "
            "IsDisabled on host instance {0} (and starts nothing).",
            active="Run Enable-DrServer.ps1 on {server}: it clears IsDisabled on "
            "host instance {0}.",
        ),
        "host-instance:{0}:state": Fix(
            _DISABLE + "stops host instance {0}.",
            ready=_NO_START + "host instance {0} was started by someone or "
            "something else: find out what.",
            active=_START + "starts host instance {0}; if it stops again, the "
            "Application event log on {server} says why.",
        ),
        "host-instance:{0}:unexpected": Fix(
            "Host instance {0} is on {server} but the inventory does not give it "
            "this server: add its host to the server's host_instances in the "
            "inventory and render again, or delete that host instance in the "
            "BizTalk Administration console (Platform Settings, Host Instances)."
        ),
        "wmi:host-instances": Fix(_WMI),
        "wmi:group-sso-server": Fix(_WMI),
        "group:sso-server": Fix(
            "Run Enable-DrServer.ps1 on the master secret server (it names itself "
            "the group's SSO server), then on {server}: the setting is the group's, "
            "so every DR server reads the same value."
        ),
        "service:{0}:installed": Fix(
            "Service {0} is not installed on {server}: the BizTalk feature that "
            "provides it is not configured there. Run Initialize-DrServer.ps1 on "
            "{server} (it configures BizTalk with the answer file), then {test}."
        ),
        "service:{0}:startup-type": Fix(
            _DISABLE + "sets service {0} to Disabled and stops it.",
            ready="Run Enable-DrServer.ps1 -NoStart on {server}: service {0} becomes "
            "Automatic if it is Enterprise SSO or a role service, and stays Disabled "
            "if it is a host instance's (if it is not, run Disable-DrServer.ps1 "
            "first).",
            active=_START + "restores the startup type of service {0} that "
            "Initialize-DrServer.ps1 recorded.",
        ),
        "service:{0}:status": Fix(
            _DISABLE + "stops service {0} and sets it to Disabled.",
            ready="Run Enable-DrServer.ps1 -NoStart on {server}: service {0} runs "
            "if it is Enterprise SSO or a role service, and stays stopped if it is a "
            "host instance's (if it runs, run Disable-DrServer.ps1 first).",
            active=_START + "starts service {0}; if it stops again, the System "
            "event log on {server} says why.",
        ),
        "app-pool:{0}:state": Fix(
            _DISABLE + "stops application pool {0} and turns its autoStart off "
            "(an application MSI installed since may have started it).",
            ready=_NO_START + "an application MSI installed after Enable may have "
            "created or started application pool {0}.",
            active=_START + "turns autoStart on and starts application pool {0}.",
        ),
        "app-pool:{0}:auto-start": Fix(
            _DISABLE + "turns autoStart off on application pool {0} (an "
            "application MSI installed since may have turned it on).",
            ready=_NO_START + "an application MSI installed after Enable may have "
            "created application pool {0} with autoStart on.",
            active=_START + "turns autoStart on for application pool {0}.",
        ),
        "msdtc:{0}": Fix(
            "Turn on MSDTC network access on {server}: Component Services, Local "
            "DTC properties, Security tab (Network DTC Access, Allow Inbound, Allow "
            "Outbound), which sets {0} under " + N["reg:msdtc-security"] + " to 1; "
            "no drgen script changes it. Then run {test} again."
        ),
        "sso:master-secret": Fix(
            "Run Enable-DrServer.ps1 -SecretBackupFile with the master secret "
            "backup taken in production on {server}, the master secret server: it "
            "restores the secret (the backup's password is asked for)."
        ),
        # --- both test scripts -----------------------------------------------------
        "run:completed": Fix(
            "The run stopped before its last check (observed says why): read the "
            "log of {test} in logs\\ beside it on {server}, fix the cause and run "
            "it again; the checks after the failure did not run."
        ),
        # --- Test-DrBundle.ps1 -----------------------------------------------------
        "sha256:{0}": Fix(
            "{0} on {server} is not the file this render wrote (or is missing): "
            + _BUNDLE_COPY
        ),
        "signature:{0}": Fix(
            "The Authenticode signature of {0} is not valid on {server} "
            "(HashMismatch: changed after signing; NotSigned: copied without its "
            "signature; UnknownError: the signing certificate is not trusted there, "
            "see Trusted Publishers): " + _BUNDLE_COPY
        ),
        "code:{0}": Fix(
            "The code of {0} is not the code this drgen release renders: the "
            "script was edited, or comes from another drgen version; " + _BUNDLE_COPY
        ),
        "unexpected:{0}": Fix(
            "{0} is in the site folder on {server} but not in the bundle: delete it "
            "(or move it out of the site folder) so that no stray copy is run by "
            "mistake, then run Test-DrBundle.ps1 again."
        ),
        "signature:Test-DrBundle.ps1": Fix(
            "Test-DrBundle.ps1 itself is not validly signed on {server}, so none of "
            "its checks can be trusted: " + _BUNDLE_COPY
        ),
    }
)

#: Why a result (or its absence) keeps the standby from being ready -> what to do.
REASON_FIXES: Final[Mapping[Reason, str]] = MappingProxyType(
    {
        Reason.FAILED: "Fix each failed check as its own line says, then run {test} "
        "on {server} again.",
        Reason.STALE: "Run {test} on {server} again: a result older than the age "
        "limit says nothing about the server today.",
        Reason.FOREIGN: "Copy the bundle of the current render to {server} (drgen "
        "render, drgen verify), then run {test} there again.",
        Reason.MISSING: "Run {test} on {server} and copy its result from logs\\ "
        "into the results folder.",
        Reason.SUPERSEDED: "A drill enabled {server} after this result: run "
        "Disable-DrServer.ps1, re-arm it as " + _RUNBOOK_REARM + " says, then "
        "run Test-DrServer.ps1.",
        Reason.SCRIPT_CHANGED: "Copy the bundle's Test-DrServer.ps1 back to {server} "
        "(Test-DrBundle.ps1 shows which files differ), then run {test} again.",
        Reason.FUTURE: "Set the clock of {server} right, move the result dated in "
        "the future out of the results folder, then run {test} again.",
        Reason.INCOMPLETE: "Run the current bundle's Test-DrBundle.ps1 on {server} "
        "to its end (its log in logs\\ says where it stopped).",
        Reason.BUNDLE_DIFFERS: "Copy the same Test-DrBundle.ps1 of the current "
        "render to every DR server of the site and run it on each.",
        Reason.IDENTITY: "This result was not written by the bundle's script as it "
        "is: run {test} on {server} again, and find out who edited the file.",
        Reason.AFTER_DRILL: "Re-arm {server} as " + _RUNBOOK_REARM + " says, then "
        "run Test-DrServer.ps1 (without -AfterDrill): -AfterDrill shows a fenced "
        "server, not a prepared standby.",
    }
)
# A computer that reported for the site but is not one of its DR servers.
UNKNOWN_SERVER_FIX = (
    "{server} is not a DR server of this site in the inventory: move its results "
    "out of the results folder, or add it to the inventory and render again."
)
# A drill's result that is stale or of another bundle: noted, nothing to redo.
EARLIER_DRILL_FIX = (
    "Nothing, for the standby: an earlier drill's result is history; the next "
    "drill's results replace it."
)
# A check id this drgen release does not write (a result of another release).
UNKNOWN_CHECK_FIX = (
    "No fix is known for this check id in this drgen release: read the check, "
    "its expected value and the log of {test} on {server}."
)


def _pattern(key: str) -> re.Pattern[str]:
    """``key`` as a regex: ``{0}``, ``{1}`` match one name each (the first is
    greedy, so a registry key path keeps its backslashes and the value is last)."""
    parts = re.split(r"(\{\d\})", key)
    return re.compile(
        "".join("(.+)" if re.fullmatch(r"\{\d\}", p) else re.escape(p) for p in parts)
    )


# Exact ids first, then patterns with the most literal text (the most specific).
_ORDER: Final = tuple(
    sorted(
        ((key, _pattern(key)) for key in CHECK_FIXES),
        key=lambda item: ("{" in item[0], -len(re.sub(r"\{\d\}", "", item[0]))),
    )
)


def run_text(kind: str) -> str:
    """The test that writes a result of ``kind``, as it is run."""
    if kind == "Bundle":
        return "Test-DrBundle.ps1"
    if kind == "Dormant":
        return "Test-DrServer.ps1"
    return f"Test-DrServer.ps1 -Expect {kind}"


def check_fix(check_id: str, kind: str, server: str) -> str:
    """How to fix the failed check ``check_id`` of a ``kind`` result on ``server``."""
    test = run_text(kind)
    for key, pattern in _ORDER:
        match = pattern.fullmatch(check_id)
        if match is not None:
            text = CHECK_FIXES[key].for_kind(kind)
            return text.format(*match.groups(), server=server, test=test)
    return UNKNOWN_CHECK_FIX.format(server=server, test=test)


def reason_fix(
    reason: Reason, kind: str, server: str, *, unknown: bool, history: bool = False
) -> str:
    """What to do about ``reason`` on ``server``'s ``kind`` result; ``unknown``:
    the server is not one of the site's, ``history``: an earlier drill's result."""
    if unknown:
        return UNKNOWN_SERVER_FIX.format(server=server)
    if history:
        return EARLIER_DRILL_FIX
    return REASON_FIXES[reason].format(server=server, test=run_text(kind))
