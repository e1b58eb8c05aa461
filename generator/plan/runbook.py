"""Runbook.html's content, decided from the site plan: the steps, the tables, the map.

The printable runbook says the same as Runbook.md, in the form people tick off on
the night: numbered phases of numbered steps, each with the exact command, the
computers it runs on (one sign-off row each), and what success looks like. This
module decides all of it, including every coordinate of the SVG map of
production servers and the DR servers that take them over, so that
``templates/site/Runbook.html.jinja`` only prints. Everything is built from the
``SitePlan`` in inventory order, so two renders give the same bytes.

Step numbers follow Runbook.md: phase ``3`` step ``k`` is item ``k`` of its
"3. Failover" list (``tests/test_runbook_html.py`` holds the two together).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.catalogue import CATALOGUE as N
from generator.plan.outputs import BUNDLE_CHECK_NAME

if TYPE_CHECKING:
    from generator.plan.servers import ServerPlan
    from generator.plan.siteplan import SitePlan

# Where a command is typed; the scripts refuse to run from anywhere else.
SITE_FOLDER = "the site folder"
SERVER_FOLDER = "the DR server's own folder"


@dataclass(frozen=True, slots=True)
class Step:
    """One numbered step: what to do, the exact commands, where, and what success is.

    ``runs_on`` lists the computers (or SQL instances) it is done on, in order:
    the printed runbook gives each one a row to tick and sign. A step without
    ``commands`` is done by hand (a DBA's or an administrator's task).
    """

    number: str
    title: str
    commands: tuple[str, ...]
    folder: str
    runs_on: tuple[str, ...]
    success: str
    details: tuple[str, ...] = ()

    @property
    def by_hand(self) -> bool:
        """No drgen script does this step."""
        return not self.commands


@dataclass(frozen=True, slots=True)
class Phase:
    """A numbered phase of the runbook (bundle check, prepare, drill, ...)."""

    number: str
    title: str
    intro: str
    steps: tuple[Step, ...]

    @property
    def anchor(self) -> str:
        """The id of its section (for the table of contents)."""
        return f"phase-{self.number}"


@dataclass(frozen=True, slots=True)
class ServerRow:
    """A row of the DR server table: every cell already joined ('-' when empty)."""

    name: str
    roles: str
    host_instances: str
    app_pools: str
    mirrors: str


@dataclass(frozen=True, slots=True)
class MapText:
    """One line of text in the SVG map, at its baseline."""

    x: int
    y: int
    text: str
    css: str


@dataclass(frozen=True, slots=True)
class MapBox:
    """A server in the SVG map: its rectangle and its lines of text."""

    x: int
    y: int
    width: int
    height: int
    css: str
    texts: tuple[MapText, ...]


@dataclass(frozen=True, slots=True)
class ServerMap:
    """The SVG map of production servers and the DR servers that take them over."""

    width: int
    height: int
    title: str
    description: str
    headings: tuple[MapText, ...]
    boxes: tuple[MapBox, ...]
    # SVG path data ("M x y C ..."), one per production server a DR server mirrors.
    arrows: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SqlRow:
    """A production SQL instance and the DR instance its databases move to."""

    production: str
    dr: str


@dataclass(frozen=True, slots=True)
class RunbookDocument:
    """Everything Runbook.html shows beyond the site plan's own fields."""

    servers: tuple[ServerRow, ...]
    sql_instances: tuple[SqlRow, ...]
    server_map: ServerMap
    phases: tuple[Phase, ...]

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step of every phase, in order."""
        return tuple(step for phase in self.phases for step in phase.steps)

    @property
    def commands(self) -> tuple[str, ...]:
        """Every command the runbook asks for, in order (repeats kept)."""
        return tuple(c for step in self.steps for c in step.commands)


def _joined(values: tuple[str, ...]) -> str:
    return ", ".join(values) or "-"


def _list(values: tuple[str, ...]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(values) < 2:
        return "".join(values)
    return ", ".join(values[:-1]) + " and " + values[-1]


# --- the map ---------------------------------------------------------------
# Text is drawn in a monospace font, so a line's width follows from its length
# without measuring it: about 0.6 em per character.
_CHAR_EM = 0.6
_NAME_SIZE = 13
_LINE_SIZE = 11
_PAD = 8
_NAME_LINE = 18
_LINE = 15
_BOX_GAP = 14
_COLUMN_GAP = 120
_MARGIN = 12
_HEADING = 30
_MIN_WIDTH = 150


def _text_width(text: str, size: int) -> int:
    return math.ceil(len(text) * size * _CHAR_EM)


@dataclass(frozen=True, slots=True)
class _Card:
    """A box before it is placed: its name, its lines and its style."""

    name: str
    lines: tuple[str, ...]
    css: str

    @property
    def width(self) -> int:
        widest = max(
            [_text_width(self.name, _NAME_SIZE)]
            + [_text_width(line, _LINE_SIZE) for line in self.lines]
        )
        return widest + 2 * _PAD

    @property
    def height(self) -> int:
        return 2 * _PAD + _NAME_LINE + _LINE * len(self.lines)

    def place(self, x: int, y: int, width: int) -> MapBox:
        texts = [MapText(x + _PAD, y + _PAD + _NAME_SIZE, self.name, "name")]
        base = y + _PAD + _NAME_LINE
        texts += [
            MapText(x + _PAD, base + _LINE * i + _LINE_SIZE, line, "line")
            for i, line in enumerate(self.lines)
        ]
        return MapBox(x, y, width, self.height, self.css, tuple(texts))


def _dr_card(server: ServerPlan) -> _Card:
    lines = [f"roles: {_joined(server.roles)}"]
    lines += [
        f"{'host' if h.in_process else 'isolated host'}: {h.host}"
        for h in server.host_instances
    ]
    lines += [f"IIS app pool: {pool}" for pool in server.app_pools]
    return _Card(server.name, tuple(lines), "dr")


def _production_card(name: str, dr: ServerPlan | None) -> _Card:
    if dr is None:
        return _Card(name, ("no DR counterpart (not mirrored)",), "unmirrored")
    hosts = tuple(
        f"host: {h.host}"
        for h in dr.host_instances
        if name.upper() in (r.upper() for r in h.replaces)
    )
    return _Card(name, hosts, "production")


def _arrow(x1: int, y1: int, x2: int, y2: int) -> str:
    middle = (x1 + x2) // 2
    return f"M {x1} {y1} C {middle} {y1} {middle} {y2} {x2} {y2}"


def _map_description(site: SitePlan, unmirrored: tuple[str, ...]) -> str:
    parts = []
    for server in site.servers:
        roles = f" ({', '.join(server.roles)})" if server.roles else ""
        hosts = ", ".join(server.host_names) or "none"
        parts.append(
            f"DR server {server.name}{roles} takes over "
            f"{_list(server.mirrors) or 'no production server'}"
            f" and runs the host instances {hosts}."
        )
    parts += [f"Production server {name} has no DR counterpart." for name in unmirrored]
    return " ".join(parts)


def server_map(site: SitePlan) -> ServerMap:
    """Production servers on the left, each DR server on the right, level with the
    production servers it mirrors, one arrow from each to the server taking it over.

    Groups are laid top to bottom in the DR servers' inventory order, so arrows
    never cross; production servers no DR server mirrors come last, dashed.
    """
    production = {name.upper(): name for name in site.production_servers}
    order = {name.upper(): i for i, name in enumerate(site.production_servers)}
    groups: list[tuple[ServerPlan, list[_Card]]] = []
    mirrored: set[str] = set()
    for server in site.servers:
        names = sorted(
            (production.get(m.upper(), m) for m in server.mirrors),
            key=lambda m: order.get(m.upper(), len(order)),
        )
        mirrored.update(m.upper() for m in names)
        groups.append((server, [_production_card(m, server) for m in names]))
    unmirrored = tuple(n for n in site.production_servers if n.upper() not in mirrored)
    loose = [_production_card(name, None) for name in unmirrored]
    left_cards = [c for _, cards in groups for c in cards] + loose
    right_cards = [_dr_card(server) for server, _ in groups]
    left_width = max([_MIN_WIDTH] + [c.width for c in left_cards])
    right_width = max([_MIN_WIDTH] + [c.width for c in right_cards])
    left_x = _MARGIN
    right_x = left_x + left_width + _COLUMN_GAP
    boxes: list[MapBox] = []
    arrows: list[str] = []
    top = _MARGIN + _HEADING
    for (_server, cards), dr_card in zip(groups, right_cards, strict=True):
        dr_box = dr_card.place(right_x, top, right_width)
        y = top
        placed = []
        for card in cards:
            placed.append(card.place(left_x, y, left_width))
            y += card.height + _BOX_GAP
        for i, box in enumerate(placed):
            # Arrow ends spread along the DR box's left edge, in mirror order.
            end_y = dr_box.y + dr_box.height * (i + 1) // (len(placed) + 1)
            arrows.append(
                _arrow(box.x + box.width, box.y + box.height // 2, right_x, end_y)
            )
        boxes += [*placed, dr_box]
        top = max(y, dr_box.y + dr_box.height + _BOX_GAP)
    for card in loose:
        boxes.append(card.place(left_x, top, left_width))
        top += card.height + _BOX_GAP
    headings = (
        MapText(left_x, _MARGIN + _NAME_SIZE, "Production", "heading"),
        MapText(right_x, _MARGIN + _NAME_SIZE, f"DR site {site.site}", "heading"),
    )
    return ServerMap(
        width=right_x + right_width + _MARGIN,
        height=top - _BOX_GAP + _MARGIN,
        title=f"Production servers and the DR servers of site {site.site}",
        description=_map_description(site, unmirrored),
        headings=headings,
        boxes=tuple(boxes),
        arrows=tuple(arrows),
    )


# --- the phases ------------------------------------------------------------


def _bundle_check(site: SitePlan) -> Phase:
    return Phase(
        "0",
        "Bundle check (every time the bundle is copied)",
        "Copy the whole site folder to each DR server, then check it there before "
        "running anything else.",
        (
            Step(
                "0.1",
                "Check the bundle",
                (f".\\{BUNDLE_CHECK_NAME}",),
                SITE_FOLDER,
                site.server_names,
                "Exit code 0: the SHA-256 of every file and the signature of every "
                "script are as drgen rendered them. Continue only then.",
            ),
        ),
    )


def _prepare(site: SitePlan) -> Phase:
    servers = site.server_names
    return Phase(
        "1",
        "Prepare (once; the DR servers must reach the production SQL instances)",
        "On each DR server, in its own folder.",
        (
            Step(
                "1.1",
                "Join the DR server, dormant",
                (".\\Initialize-DrServer.ps1",),
                SERVER_FOLDER,
                servers,
                "Exit code 0: joined to the SSO system (not as master secret server) "
                "and the group, host instances installed disabled, IIS application "
                "pools of isolated hosts stopped with autoStart off, every BizTalk "
                "service Disabled.",
            ),
            Step(
                "1.2",
                "Check it is dormant",
                (".\\Test-DrServer.ps1",),
                SERVER_FOLDER,
                servers,
                "Exit code 0, state Dormant; MSDTC allows network access (Network "
                "DTC Access, inbound, outbound), which a failover needs.",
            ),
            Step(
                "1.3",
                "Settle the facts drgen could not confirm (lab probe)",
                (".\\Test-DrLabFacts.ps1",),
                SITE_FOLDER,
                (
                    f"one BizTalk Server {site.version} server where Enterprise SSO "
                    "runs (production or lab)",
                ),
                "Exit code 0 and a JSON result in logs\\; give it to "
                "drgen facts check, which says which facts held.",
                (
                    "It changes nothing. On a prepared DR server SSO is disabled and "
                    "its SSO checks are skipped.",
                ),
            ),
        ),
    )


def _drill(site: SitePlan) -> Phase:
    return Phase(
        "2",
        "DR drill (read-only)",
        "Some facts only a failover settles (drgen facts, entries with "
        '"settle"), above all that Enterprise SSO starts on the DR master secret '
        "server while the restored SSO database still names the production one. Run "
        "the failover below once in an isolated drill, with the DR SQL instances "
        "restored and production out of reach, before it is needed.",
        (
            Step(
                "2.1",
                "Check every DR server is still dormant",
                (".\\Test-DrServer.ps1",),
                SERVER_FOLDER,
                site.server_names,
                "Exit code 0, state Dormant.",
            ),
        ),
    )


def _bam_step(site: SitePlan) -> Step:
    if not site.has_bam:
        return Step("3.4", "BAM: nothing to do (no BAM in this group)", (), "", (), "")
    primary = site.dr_bam_primary_import
    primary_name = primary.name if primary is not None else ""
    restores = []
    if site.dr_bam_analysis is not None:
        restores.append(site.dr_bam_analysis)
    restores += site.dr_bam_sql_copies
    if not restores:
        return Step(
            "3.4",
            "BAM: nothing more to restore",
            (),
            "",
            (),
            "",
            (
                f"The BAM Primary Import database {primary_name} is restored with "
                "the group; this group has no other BAM database to restore.",
            ),
        )
    targets = tuple(dict.fromkeys(db.server for db in restores))
    return Step(
        "3.4",
        "DBA: restore the other BAM databases",
        (),
        "",
        targets,
        "Each restored from a backup older than the backup of the restored BAM "
        f"Primary Import database {primary_name}.",
        (
            "Restore "
            + "; ".join(f"{db.name} on {db.server}" for db in restores)
            + ' (Microsoft: "Restore your databases", "Before you begin").',
        ),
    )


def _failover(site: SitePlan) -> Phase:
    servers = site.server_names
    dr_sql = site.dr_sql_instances
    update_registry = N["file:UpdateRegistry.vbs"]
    winmgmt = N["svc:Winmgmt"]
    jobs_details = [
        "Restore To Mark re-created the source's SQL Agent jobs at DR; "
        "UpdateDatabase.vbs has pointed them at DR. The cleanup job of each "
        "MessageBox is started by its ManageRefCountLog job and must stay disabled "
        '(Microsoft: "Database Structure and Jobs").',
    ]
    if site.has_bam and site.dr_bam_primary_import is not None:
        bam = site.dr_bam_primary_import
        jobs_details.append(
            "BAM: in the BAM portal's BamManagementService and BamQueryService "
            f"Web.Config, set BamServer to {bam.server} and BamDatabase to "
            f"{bam.name}; in bm.exe.config, set DefaultServer and DefaultDatabase "
            'to the same (Microsoft: "How to Update the BAM Management Utility '
            'Configuration After a Backup and Restore").'
        )
    others = site.failover_after_master
    steps = (
        Step(
            "3.1",
            "Not in a drill: stop processing in production",
            (),
            "",
            (*site.production_servers, *site.production_sql_instances),
            "Nothing processes in production any more; what cannot be reached is "
            "skipped.",
            (
                "In the production group's Administration console, disable the "
                "receive locations. On each production BizTalk server, stop the host "
                "instances, the IIS application pools of isolated hosts, Enterprise "
                f"SSO ({N['svc:ENTSSO']}) and, where it runs, the Rule Engine Update "
                f"Service ({N['svc:RuleEngineUpdateService']}). On each production "
                "SQL instance, disable the BizTalk SQL Agent jobs.",
                'If those instances still work, a last run of "Backup BizTalk '
                'Server" after processing stopped, before you disable it, gives the '
                "DR site a newer mark to restore to (its backup history must reach "
                "the DR instances before step 3.2).",
                'Microsoft: "Shut down BizTalk Server" in "How to Start, Stop, '
                'Pause, Resume, or Restart BizTalk Server Services".',
            ),
        ),
        Step(
            "3.2",
            "DBA: restore the databases to the mark",
            (),
            "",
            dr_sql,
            "Restore To Mark succeeded on every DR SQL instance, all on the same "
            "backup set.",
            (
                'Disable the log-shipping jobs "BTS Log Shipping - Get Backup '
                'History" and "BTS Log Shipping - Restore Databases" (some Microsoft '
                'pages spell them without " - "), then start "BTS Log Shipping - '
                "Restore To Mark\" at step 1. It also re-creates the source's SQL "
                "Agent jobs at DR.",
            ),
        ),
        Step(
            "3.3",
            "DBA: logins",
            (),
            "",
            dr_sql,
            "The DR instances have the logins production has (the accounts and "
            "groups of the hosts, SSO and the BizTalk groups); no orphaned users.",
            (
                'Microsoft: "Resolving Login Issues After Restoring the Destination '
                'System".',
            ),
        ),
        _bam_step(site),
        Step(
            "3.5",
            "Point the restored databases at DR",
            (".\\Update-DrGroupDatabases.ps1",),
            SITE_FOLDER,
            (site.update_databases_server,),
            'Exit code 0: no "Error:" line from UpdateDatabase.vbs and no '
            "reference still naming production.",
            (
                'Add -UseMsOleDbSql if UpdateDatabase.vbs reports "Invalid '
                'connection string attribute".',
            ),
        ),
        Step(
            "3.6",
            "DBA: SQL Agent jobs at DR",
            (),
            "",
            dr_sql,
            "Every BizTalk SQL Agent job is enabled but "
            f'{_list(site.messagebox_cleanup_jobs)}; "Backup BizTalk Server" '
            "writes to a new destination.",
            tuple(jobs_details),
        ),
        Step(
            "3.7",
            "Enable the master secret server",
            (".\\Enable-DrServer.ps1 -NoStart -SecretBackupFile <secret backup>",),
            SERVER_FOLDER,
            (site.master_secret_server,),
            "Exit code 0: this server is the SSO master secret server.",
            (
                f"It runs {update_registry} (while a registry value still names "
                "production) and then restarts Windows Management Instrumentation "
                f"({winmgmt}). ssoconfig asks for the backup password.",
            ),
        ),
        Step(
            "3.8",
            "Enable the other DR servers",
            (".\\Enable-DrServer.ps1 -NoStart",) if others else (),
            SERVER_FOLDER if others else "",
            others,
            "Exit code 0 on each." if others else "",
            (
                (
                    f"On each it runs {update_registry} and restarts {winmgmt} too, "
                    "and refuses to start Enterprise SSO until the DR SSO database "
                    f"names {site.master_secret_server} as master secret server.",
                )
                if others
                else ("There is no other DR server.",)
            ),
        ),
        Step(
            "3.9",
            "Check every DR server is ready",
            (".\\Test-DrServer.ps1 -Expect Ready",),
            SERVER_FOLDER,
            servers,
            "Exit code 0, state Ready: enabled, nothing processing yet.",
        ),
        Step(
            "3.10",
            "Applications",
            (),
            "",
            servers,
            "The application MSIs are installed on every DR server and the DR "
            "bindings imported (on one server).",
            ('Microsoft: "How to Restore Applications and Enable Processing".',),
        ),
        Step(
            "3.11",
            "Start processing",
            (".\\Enable-DrServer.ps1", ".\\Test-DrServer.ps1 -Expect Active"),
            SERVER_FOLDER,
            servers,
            "Exit code 0 from both, state Active: host instances and application "
            "pools running.",
        ),
        Step(
            "3.12",
            "By hand: receive locations, console, new DR system",
            (),
            "",
            ("the DR group (Administration console)",),
            "Receive locations and send ports enabled; the Administration console "
            'connected with "Connect to Existing Group" (DR SQL instance, '
            "management database).",
            ("Then set up a new DR system.",),
        ),
    )
    return Phase(
        "3",
        "Failover",
        "In this order. A step with a command runs a drgen script; the others are "
        "done by hand.",
        steps,
    )


def _stand_down(site: SitePlan) -> Phase:
    servers = site.server_names
    return Phase(
        "4",
        "Stand down (after a drill, or to fence the DR site before failback)",
        "On each DR server, in its own folder.",
        (
            Step(
                "4.1",
                "Back to dormant",
                (".\\Disable-DrServer.ps1",),
                SERVER_FOLDER,
                servers,
                "Exit code 0.",
            ),
            Step(
                "4.2",
                "Check it is dormant",
                (".\\Test-DrServer.ps1 -AfterDrill",),
                SERVER_FOLDER,
                servers,
                "Exit code 0, state Dormant, with the registry naming the DR SQL "
                "instances, as a drill or failover leaves it.",
            ),
        ),
    )


def sql_rows(site: SitePlan) -> tuple[SqlRow, ...]:
    """Each production SQL instance of a moved database and its DR instance,
    sorted by production instance (case ignored), as UpdateInfo.xml moves them."""
    pairs = {
        (m.old_server.upper(), m.new_server.upper()): SqlRow(m.old_server, m.new_server)
        for m in site.update_info.all_moves
    }
    return tuple(pairs[key] for key in sorted(pairs))


def runbook_document(site: SitePlan) -> RunbookDocument:
    """Everything Runbook.html prints, decided once."""
    rows = tuple(
        ServerRow(
            s.name,
            _joined(s.roles),
            _joined(s.host_names),
            _joined(s.app_pools),
            _joined(s.mirrors),
        )
        for s in site.servers
    )
    phases = (
        _bundle_check(site),
        _prepare(site),
        _drill(site),
        _failover(site),
        _stand_down(site),
    )
    return RunbookDocument(rows, sql_rows(site), server_map(site), phases)
