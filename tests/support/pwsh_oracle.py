"""Test oracle: parse and lint generated PowerShell with tree-sitter-pwsh.

This module is independent of the generator on purpose: it knows nothing about
templates or escaping and only looks at the bytes of a finished ``.ps1``. It answers
four questions for the test suite:

* does the script parse (:func:`syntax_problems`);
* which commands and method calls does it make, and is each one inside an
  ``if ($PSCmdlet.ShouldProcess(...)) { ... }`` block (:func:`commands`,
  :func:`method_calls`);
* where are its string literals, and does a given value occur outside a
  single-quoted one (:func:`string_literal_ranges`,
  :func:`occurrences_outside_string_literals`);
* does it break the house rules for Windows PowerShell 5.1 scripts (:func:`lint`).

Everything is computed from the tree-sitter-pwsh 0.38.1 syntax tree. Node type names
relied on: ``command`` (fields ``command_name`` and ``command_elements``),
``command_invocation_operator``, ``command_argument_sep``, ``command_parameter``,
``if_statement`` / ``elseif_clause`` (field ``condition``) with a direct
``statement_block`` child, ``else_clause``, ``invocation_expression`` (a method call,
instance or static) with ``member_name``, ``expression_with_unary_operator``,
``string_literal`` (all four kinds) and, for single quotes, its child
``verbatim_string_characters`` / ``verbatim_here_string_characters``,
``assignment_expression`` (field ``value``), ``comment``, ``ERROR``, and the
anonymous tokens ``??``, ``??=``, ``&&``, ``||`` and ``?`` (under
``ternary_expression``, or followed by ``.``/``[`` inside an ``ERROR``).

Known limits (see also /work/shared/docs/authenticode.md §5):

* The grammar parses a range such as ``1..3`` as a *command* named ``1..3``; such
  names are dropped from :func:`commands`.
* Parameters are matched by full name; abbreviations are recognised only where noted
  (``-AsPlainText``, ``-ClientOnly``, ``-Parallel``). Splatted parameters
  (``@args``) are invisible.
* The typographic single quotes U+2018..U+201B, which PowerShell treats as ``'``, are
  not string delimiters for the grammar.
* ``if ($ok)`` where ``$ok`` holds the result of ``ShouldProcess`` is not recognised
  as a guard: write the call in the condition itself.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import tree_sitter_pwsh
from tree_sitter import Language, Node, Parser, Tree

__all__ = [
    "ALIASES",
    "ALIAS_TARGETS",
    "LANGUAGE",
    "NATIVE_STATE_CHANGING",
    "PS7_ONLY_COMMANDS",
    "READ_ONLY_NATIVE_ARGUMENTS",
    "STATE_CHANGING",
    "STATE_CHANGING_METHODS",
    "Command",
    "ancestors",
    "canonical_command_name",
    "commands",
    "is_state_changing",
    "line_col",
    "lint",
    "method_calls",
    "node_text",
    "nodes",
    "occurrences_outside_string_literals",
    "parse",
    "string_literal_ranges",
    "syntax_problems",
    "walk",
]

LANGUAGE: Final = Language(tree_sitter_pwsh.language())

_BOM: Final = b"\xef\xbb\xbf"

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

# Parameters that appeared after Windows PowerShell 5.1, by lower-case command name.
# Matched on the full name only.
_PS7_ONLY_PARAMETERS: Final[Mapping[str, frozenset[str]]] = {
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

_STATE_CHANGING_LOWER: Final = frozenset(name.casefold() for name in STATE_CHANGING)
_PS7_ONLY_COMMANDS_LOWER: Final = frozenset(n.casefold() for n in PS7_ONLY_COMMANDS)

# Stems of NATIVE_STATE_CHANGING long enough to recognise in a variable name such as
# ``$cscriptPath`` (``sc`` and ``net`` would match far too much).
_NATIVE_VARIABLE_STEMS: Final = frozenset(
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

_VERBATIM_STRING_TYPES: Final = frozenset(
    {"verbatim_string_characters", "verbatim_here_string_characters"}
)

# PowerShell accepts the en dash, em dash and horizontal bar wherever it accepts "-".
_DASHES: Final = "-\u2013\u2014\u2015"

_SNIPPET_LENGTH: Final = 40

_UNGUARDED: Final = "is not inside if ($PSCmdlet.ShouldProcess(...))"


@dataclass(frozen=True)
class Command:
    """One command invocation found in a script.

    Attributes:
        name: The command name exactly as written, e.g. ``Set-Service``,
            ``sc.exe``, ``$cscript`` or ``'C:\\x\\y.exe'`` (the text after ``&``).
        line: 1-based line of the command (of the ``&``/``.`` when present).
        arguments: Raw text of each element after the name: parameters
            (``-Name``; ``-Verbose:$false`` is one element), arguments and
            redirections (``2>&1``).
        guarded: True when the command sits, at any depth, inside the block of an
            ``if``/``elseif`` whose condition calls ``$PSCmdlet.ShouldProcess(``
            without negating it. The ``else`` block is not guarded.
        invocation: ``'&'``, ``'.'`` or ``''``.
    """

    name: str
    line: int
    arguments: tuple[str, ...]
    guarded: bool
    invocation: str


# --------------------------------------------------------------------------- parsing


@lru_cache(maxsize=128)
def parse(data: bytes) -> Tree:
    """Parse a script's bytes with tree-sitter-pwsh (cached by content: the
    trees are never edited, and most tests read the same rendered scripts).

    The input may start with a UTF-8 BOM, use CRLF and end with an Authenticode
    signature block (which is just ``#`` comments). The BOM is replaced by three
    spaces before parsing, so byte offsets in the tree match ``data`` exactly.
    """
    if data.startswith(_BOM):
        data = b"   " + data[len(_BOM) :]
    return Parser(LANGUAGE).parse(data)


def _root(data: bytes) -> Node:
    """Return the root node of the cached parse of ``data``."""
    return parse(data).root_node


def _descend(node: Node) -> list[Node]:
    """``node`` and its descendants in document (pre-)order.

    A tree cursor visits every child, named or not, as ``node.children`` lists
    them, about five times faster than walking the ``children`` lists in Python.
    """
    found: list[Node] = []
    cursor = node.walk()
    while True:
        found.append(cursor.node)  # type: ignore[arg-type]
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return found


class _Index:
    """Every node of one tree in document (pre-)order, and where each type is.

    A node's subtree is the slice of :attr:`order` from its position, of length
    ``descendant_count`` (the node included): :func:`walk` and :func:`nodes` read
    slices instead of walking the tree again in Python, the oracle's cost.
    """

    __slots__ = ("by_type", "order", "root_id", "starts")

    def __init__(self, root: Node) -> None:
        self.root_id = root.id
        self.order = _descend(root)
        by_type: dict[str, list[int]] = {}
        for position, node in enumerate(self.order):
            by_type.setdefault(node.type, []).append(position)
        self.by_type = by_type
        # Start offsets in order (never decreasing in pre-order), made when a
        # subtree is first asked for.
        self.starts: list[int] | None = None

    def position(self, node: Node) -> int:
        """Where ``node`` is in :attr:`order`: among the nodes that start where it
        starts (its ancestors and first descendants), the one with its id."""
        if self.starts is None:
            self.starts = [each.start_byte for each in self.order]
        position = bisect_left(self.starts, node.start_byte)
        while self.order[position].id != node.id:
            position += 1
        return position


#: Indexed trees by the id of their root (a node's id is its place in its tree,
#: the same for every wrapper object the bindings hand out), least recently used
#: first. The indexed nodes keep their trees alive, so no id is reused while its
#: tree is listed here.
_MAX_INDEXED = 96
_INDEXED: OrderedDict[int, _Index] = OrderedDict()


def _index(root: Node) -> _Index:
    """The index of the tree whose root is ``root`` (built on first use)."""
    index = _INDEXED.get(root.id)
    if index is not None:
        _INDEXED.move_to_end(root.id)
        return index
    index = _Index(root)
    _INDEXED[index.root_id] = index
    while len(_INDEXED) > _MAX_INDEXED:
        _INDEXED.popitem(last=False)
    return index


def _locate(node: Node) -> tuple[_Index, int]:
    """The index of ``node``'s tree and ``node``'s position in it."""
    root = node
    while (parent := root.parent) is not None:
        root = parent
    index = _index(root)
    return index, 0 if root is node else index.position(node)


def _walk(node: Node) -> Iterator[Node]:
    """Yield ``node`` and its descendants in document (pre-)order."""
    index, position = _locate(node)
    return iter(index.order[position : position + node.descendant_count])


def _text(node: Node, data: bytes) -> str:
    """Return the source text of ``node``, taken from the original bytes."""
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


# Public node helpers for tests that inspect the tree themselves.
walk = _walk


def nodes(node: Node, kind: str) -> list[Node]:
    """Every node of type ``kind`` under ``node`` (itself included), in order."""
    index, position = _locate(node)
    positions = index.by_type.get(kind)
    if not positions:
        return []
    first = bisect_left(positions, position)
    last = bisect_left(positions, position + node.descendant_count, first)
    order = index.order
    return [order[i] for i in positions[first:last]]


def _of_types(data: bytes, *kinds: str) -> list[Node]:
    """Every node of the given types in the parse of ``data``, in document order."""
    if len(kinds) == 1:
        return nodes(_root(data), kinds[0])
    index, _ = _locate(_root(data))
    positions = sorted(p for kind in kinds for p in index.by_type.get(kind, ()))
    return [index.order[p] for p in positions]


def node_text(node: Node) -> str:
    """The source text of ``node`` (the tree keeps the parsed bytes)."""
    return (node.text or b"").decode("utf-8", "replace")


def ancestors(node: Node) -> Iterator[Node]:
    """Yield the parent of ``node``, its parent, and so on up to the root."""
    current = node.parent
    while current is not None:
        yield current
        current = current.parent


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    """Return the 1-based line and character column of a byte offset.

    Columns count characters, not bytes, and the BOM does not count.
    """
    line = data.count(b"\n", 0, offset) + 1
    line_start = data.rfind(b"\n", 0, offset) + 1
    if line_start == 0 and data.startswith(_BOM) and offset >= len(_BOM):
        line_start = len(_BOM)
    column = len(data[line_start:offset].decode("utf-8", "replace")) + 1
    return line, column


# Public: the location rule findings report.
line_col = _line_col


def _snippet(data: bytes, start: int, end: int) -> str:
    """Return a short one-line excerpt of ``data[start:end]`` (or what follows)."""
    text = data[start:end].decode("utf-8", "replace").strip()
    if not text:
        text = data[start : start + _SNIPPET_LENGTH * 4].decode("utf-8", "replace")
        text = text.strip()
    first_line = text.splitlines()[0] if text else ""
    return first_line[:_SNIPPET_LENGTH]


# ------------------------------------------------------------------- syntax problems


def syntax_problems(data: bytes) -> list[str]:
    """List every ERROR and MISSING node of the parse, in document order.

    Each entry reads ``"line:col: ERROR near '...'"`` or
    ``"line:col: MISSING <token> near '...'"`` with 1-based line and column.
    An empty list means tree-sitter-pwsh accepts the script (which is necessary, not
    sufficient, for PowerShell to accept it).
    """
    root = _root(data)
    problems: list[str] = []
    if not root.has_error:
        return problems
    for node in _walk(root):
        if not (node.is_error or node.is_missing):
            continue
        line, column = _line_col(data, node.start_byte)
        near = _snippet(data, node.start_byte, node.end_byte)
        if node.is_missing:
            message = f"{line}:{column}: MISSING {node.type} near '{near}'"
        else:
            message = f"{line}:{column}: ERROR near '{near}'"
        if message not in problems:
            problems.append(message)
    return problems


# ----------------------------------------------------------------- guards and calls


def _is_negated(node: Node, stop: Node) -> bool:
    """Tell whether ``node`` sits under an odd number of ``-not``/``!`` below stop."""
    negations = 0
    current = node.parent
    while current is not None and current != stop:
        if current.type == "expression_with_unary_operator" and current.children:
            operator = current.children[0]
            if operator.type.casefold() in {"-not", "!"}:
                negations += 1
        current = current.parent
    return negations % 2 == 1


def _method_name_node(node: Node) -> Node | None:
    """Return the ``member_name`` child of an ``invocation_expression``."""
    return next((c for c in node.children if c.type == "member_name"), None)


def _is_should_process_call(node: Node, data: bytes) -> bool:
    """Tell whether ``node`` is the call ``$PSCmdlet.ShouldProcess(...)``."""
    if node.type != "invocation_expression" or not node.named_children:
        return False
    target = node.named_children[0]
    name_node = _method_name_node(node)
    return (
        target.type == "variable"
        and _text(target, data).casefold() == "$pscmdlet"
        and name_node is not None
        and _text(name_node, data).casefold() == "shouldprocess"
    )


def _condition_calls_should_process(condition: Node, data: bytes) -> bool:
    """Tell whether an ``if`` condition calls ShouldProcess, not negated."""
    return any(
        _is_should_process_call(node, data) and not _is_negated(node, condition)
        for node in _walk(condition)
    )


def _is_guarded(node: Node, data: bytes) -> bool:
    """Tell whether ``node`` is inside a ShouldProcess ``if``/``elseif`` block."""
    child = node
    parent = node.parent
    while parent is not None:
        if child.type == "statement_block" and parent.type in {
            "if_statement",
            "elseif_clause",
        }:
            condition = parent.child_by_field_name("condition")
            if condition is not None and _condition_calls_should_process(
                condition, data
            ):
                return True
        child, parent = parent, parent.parent
    return False


def _is_range_quirk(name: str) -> bool:
    """Tell whether a command name is really a range such as ``1..3``.

    tree-sitter-pwsh parses ``1..3`` and ``0..($n - 1)`` as commands.
    """
    stripped = name.lstrip("-")
    digits = len(stripped) - len(stripped.lstrip("0123456789"))
    return digits > 0 and stripped[digits:].startswith("..")


def _arguments(elements: Node, data: bytes) -> tuple[str, ...]:
    """Return the raw text of each element of a ``command_elements`` node.

    The grammar splits ``-Verbose:$false`` into a parameter, a ``:`` separator and
    a value; PowerShell sees one element, so the three are joined again.
    """
    spans: list[tuple[int, int]] = []
    join_next = False
    for element in elements.named_children:
        if element.type == "comment":
            continue
        if element.type == "command_argument_sep":
            join_next = bool(spans) and _text(element, data) == ":"
            continue
        if join_next:
            spans[-1] = (spans[-1][0], element.end_byte)
        else:
            spans.append((element.start_byte, element.end_byte))
        join_next = False
    return tuple(data[start:end].decode("utf-8", "replace") for start, end in spans)


def _command_nodes(data: bytes) -> Iterator[tuple[Node, Command]]:
    """Yield each ``command`` node with its :class:`Command`, in document order."""
    for node in _of_types(data, "command"):
        name_node = node.child_by_field_name("command_name")
        if name_node is None:
            continue
        name = _text(name_node, data)
        if _is_range_quirk(name):
            continue
        invocation = ""
        for child in node.children:
            if child.type == "command_invocation_operator":
                invocation = _text(child, data)
        elements_node = node.child_by_field_name("command_elements")
        arguments: tuple[str, ...] = ()
        if elements_node is not None:
            arguments = _arguments(elements_node, data)
        line, _ = _line_col(data, node.start_byte)
        command = Command(
            name=name,
            line=line,
            arguments=arguments,
            guarded=_is_guarded(node, data),
            invocation=invocation,
        )
        yield node, command


def commands(data: bytes) -> list[Command]:
    """List every command invocation in document order.

    Includes pipeline stages, commands in script blocks and sub-expressions,
    ``& $exe ...``, ``& 'C:\\path\\x.exe' ...`` and dot-sourcing. Method calls such
    as ``$instance.Stop()`` are not commands; see :func:`method_calls`.
    """
    return list(_commands(data))


@lru_cache(maxsize=128)
def _commands(data: bytes) -> tuple[Command, ...]:
    """:func:`commands`, computed once per script (a Command is frozen)."""
    return tuple(command for _, command in _command_nodes(data))


def method_calls(data: bytes) -> list[tuple[str, int, bool]]:
    """List every method call as ``(method name, line, guarded)``.

    Covers instance calls (``$PSCmdlet.ShouldProcess(...)``, ``$svc.Start()``) and
    static calls (``[IO.File]::WriteAllText(...)``). The name is the method name as
    written, without its target. ``guarded`` is as for :class:`Command`; the
    ShouldProcess call in an ``if`` condition is itself not guarded by that ``if``.
    """
    calls: list[tuple[str, int, bool]] = []
    for node in _of_types(data, "invocation_expression"):
        name_node = _method_name_node(node)
        if name_node is None:
            continue
        line, _ = _line_col(data, name_node.start_byte)
        calls.append((_text(name_node, data), line, _is_guarded(node, data)))
    return calls


# ------------------------------------------------------------------ string literals


def string_literal_ranges(data: bytes) -> list[tuple[int, int]]:
    """Return ``(start, end)`` byte ranges of every string literal, sorted.

    Covers ``'...'``, ``"..."``, ``@'...'@`` and ``@"..."@``, delimiters included.
    A literal nested in an expandable string's ``$( )`` is listed separately.
    """
    return sorted(
        (node.start_byte, node.end_byte) for node in _of_types(data, "string_literal")
    )


def _verbatim_contents(data: bytes) -> list[tuple[int, int]]:
    """Return the byte ranges between the delimiters of single-quoted literals."""
    ranges: list[tuple[int, int]] = []
    for node in _of_types(data, *sorted(_VERBATIM_STRING_TYPES)):
        text = _text(node, data)
        if node.type == "verbatim_here_string_characters":
            opening, closing = 2, 2
        else:
            opening = len(text[:1].encode())
            closing = len(text[-1:].encode())
        ranges.append((node.start_byte + opening, node.end_byte - closing))
    return ranges


def occurrences_outside_string_literals(data: bytes, text: str) -> list[int]:
    """Return byte offsets where ``text`` occurs not fully inside a ``'...'`` literal.

    "Inside" means within the contents of a single verbatim string or verbatim
    here-string, between its delimiters. Occurrences in expandable strings, here
    strings with ``"``, comments, barewords and code are all reported. Search for the
    escaped form: a value with a quote appears in the script with that quote doubled.
    Overlapping occurrences are all reported.
    """
    needle = text.encode()
    if not needle:
        raise ValueError("text must not be empty")
    contents = _verbatim_contents(data)
    offsets: list[int] = []
    start = data.find(needle)
    while start != -1:
        end = start + len(needle)
        if not any(low <= start and end <= high for low, high in contents):
            offsets.append(start)
        start = data.find(needle, start + 1)
    return offsets


# ---------------------------------------------------------------------------- lint


def _plain_name(name: str) -> str:
    """Strip quotes and any directory from a command name; lower-case it."""
    unquoted = name.strip()
    if len(unquoted) >= 2 and unquoted[0] in "'\"" and unquoted[-1] == unquoted[0]:
        unquoted = unquoted[1:-1]
    return unquoted.replace("/", "\\").rsplit("\\", 1)[-1].casefold()


def _canonical_name(name: str) -> str:
    """Resolve an alias; return the lower-case command name."""
    plain = _plain_name(name)
    return ALIAS_TARGETS.get(plain, plain).casefold()


# Public: command names as PowerShell resolves them (quotes, folder and alias gone).
canonical_command_name = _canonical_name


def _parameters(command: Command) -> list[tuple[str, str]]:
    """Return ``(as written, normalised)`` for each parameter of ``command``.

    The normalised form is lower-case, without the dash and any ``:value``.
    """
    names = [
        argument.split(":", 1)[0]
        for argument in command.arguments
        if len(argument) > 1 and argument[0] in _DASHES and argument[1].isalpha()
    ]
    return [(name, name[1:].casefold()) for name in names]


def _has_parameter(command: Command, full_name: str, min_prefix: int) -> bool:
    """Tell whether ``command`` passes ``full_name`` or a prefix of >= min_prefix."""
    full = full_name.casefold()
    return any(
        full.startswith(name) and len(name) >= min_prefix
        for _, name in _parameters(command)
    )


def _variable_name(text: str) -> str:
    """Normalise ``$script:Foo`` / ``${Foo}`` to ``foo``."""
    name = text.strip().lstrip("$").strip("{}").casefold()
    for scope in ("script:", "global:", "local:", "private:"):
        name = name.removeprefix(scope)
    return name


def _tool_stem(name: str) -> str:
    """Return the stem of a lower-case tool name: ``cscript.exe`` -> ``cscript``."""
    return name.removesuffix(".exe")


def _native_tool_assignments(data: bytes) -> dict[str, str]:
    """Map variables assigned a path of a native state-changing tool to its stem.

    ``$cscript = Join-Path $env:WINDIR 'System32\\cscript.exe'`` maps ``cscript``
    to ``cscript``; so does ``$tool = Get-Tool -Name 'cscript.exe'``.
    """
    variables: dict[str, str] = {}
    for node in _of_types(data, "assignment_expression"):
        left = node.named_children[0] if node.named_children else None
        value = node.child_by_field_name("value")
        if left is None or value is None:
            continue
        for part in _walk(value):
            if part.type not in {"string_literal", "generic_token", "command_name"}:
                continue
            plain = _plain_name(_text(part, data))
            if plain in NATIVE_STATE_CHANGING:
                variables[_variable_name(_text(left, data))] = _tool_stem(plain)
    return variables


def _native_tool(command: Command, tool_variables: Mapping[str, str]) -> str | None:
    """Return the stem of the native state-changing tool ``command`` runs, if any."""
    plain = _plain_name(command.name)
    if plain in NATIVE_STATE_CHANGING:
        return _tool_stem(plain)
    if command.name.startswith("$"):
        variable = _variable_name(command.name)
        if variable in tool_variables:
            return tool_variables[variable]
        for stem in sorted(_NATIVE_VARIABLE_STEMS):
            if stem in variable:
                return _tool_stem(stem.removesuffix("exe"))
    return None


def _is_read_only_native(tool: str, command: Command) -> bool:
    """Tell whether a native tool call only reads (``sc.exe query``, ...)."""
    if not command.arguments:
        return False
    first = _plain_name(command.arguments[0]).lstrip("-/")
    return first in READ_ONLY_NATIVE_ARGUMENTS.get(tool, frozenset())


def is_state_changing(command: Command) -> bool:
    """Tell whether ``command`` is a cmdlet from :data:`STATE_CHANGING`.

    Aliases are resolved (``spsv`` is Stop-Service); ``New-CimInstance
    -ClientOnly`` only builds an object in memory and is not state changing. Native
    tools are checked by :func:`lint`, which also resolves ``& $variable``.
    """
    canonical = _canonical_name(command.name)
    if canonical not in _STATE_CHANGING_LOWER:
        return False
    return not (
        canonical == "new-ciminstance" and _has_parameter(command, "ClientOnly", 3)
    )


def _ps7_operator_findings(data: bytes) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, message)`` for PowerShell 7 operators in the tree."""
    for node in _of_types(data, "??", "??=", "&&", "||", "?"):
        if node.is_named or node.children:
            continue
        kind = node.type
        if kind == "??":
            yield node.start_byte, "PowerShell 7 null-coalescing operator '??'"
        elif kind == "??=":
            yield node.start_byte, "PowerShell 7 null-coalescing assignment '??='"
        elif kind in {"&&", "||"}:
            yield node.start_byte, f"PowerShell 7 pipeline chain operator '{kind}'"
        elif kind == "?":
            following = data[node.end_byte : node.end_byte + 1]
            parent = node.parent
            if following in {b".", b"["}:
                operator = "?" + following.decode()
                message = f"PowerShell 7 null-conditional operator '{operator}'"
                yield node.start_byte, message
            elif parent is not None and parent.type == "ternary_expression":
                yield node.start_byte, "PowerShell 7 ternary operator '? :'"


def _command_findings(data: bytes) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, message)`` for rule violations by commands."""
    tool_variables = _native_tool_assignments(data)
    for node, command in _command_nodes(data):
        offset = node.start_byte
        plain = _plain_name(command.name)
        canonical = _canonical_name(command.name)
        if plain in ALIASES:
            target = ALIAS_TARGETS[plain]
            yield offset, f"alias '{command.name}' used as a command (write {target})"
        if canonical == "invoke-expression":
            yield offset, "Invoke-Expression is not allowed"
        if canonical == "convertto-securestring" and _has_parameter(
            command, "AsPlainText", 1
        ):
            yield offset, "ConvertTo-SecureString -AsPlainText is not allowed"
        if canonical in _PS7_ONLY_COMMANDS_LOWER:
            yield offset, f"'{command.name}' does not exist in Windows PowerShell 5.1"
        ps7_parameters = _PS7_ONLY_PARAMETERS.get(canonical, frozenset())
        for written, parameter in _parameters(command):
            if parameter in ps7_parameters or (
                canonical == "foreach-object"
                and len(parameter) >= 3
                and "parallel".startswith(parameter)
            ):
                message = f"'{command.name} {written}' needs PowerShell 6 or later"
                yield offset, message
        if command.guarded:
            continue
        if is_state_changing(command):
            yield offset, f"state-changing command '{command.name}' {_UNGUARDED}"
        tool = _native_tool(command, tool_variables)
        if tool is not None and not _is_read_only_native(tool, command):
            yield offset, f"native tool '{command.name}' {_UNGUARDED}"


def _method_findings(data: bytes) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, message)`` for unguarded state-changing method calls."""
    for node in _of_types(data, "invocation_expression"):
        name_node = _method_name_node(node)
        if name_node is None:
            continue
        name = _text(name_node, data)
        if name.casefold() in STATE_CHANGING_METHODS and not _is_guarded(node, data):
            message = f"state-changing method call '.{name}(' {_UNGUARDED}"
            yield name_node.start_byte, message


def lint(data: bytes) -> list[str]:
    """Check a script against the house rules; return findings in document order.

    Each finding reads ``"line:col: message"``. The rules:

    * no alias used as a command (:data:`ALIASES`);
    * no ``Invoke-Expression``; no ``ConvertTo-SecureString -AsPlainText``;
    * no PowerShell 6+/7 syntax (``??``, ``??=``, ``?.``, ``?[``, ``a ? b : c``,
      ``&&``, ``||``), commands (:data:`PS7_ONLY_COMMANDS`) or parameters
      (``ForEach-Object -Parallel``, ``ConvertFrom-Json -AsHashtable``, ...);
    * every :data:`STATE_CHANGING` cmdlet, every :data:`NATIVE_STATE_CHANGING` tool
      (direct, ``& 'path\\tool.exe'``, or ``& $variable`` when the variable is
      assigned such a path or is named after the tool) unless its first argument
      is read-only (:data:`READ_ONLY_NATIVE_ARGUMENTS`), and every
      :data:`STATE_CHANGING_METHODS` call sits inside
      ``if ($PSCmdlet.ShouldProcess(...))``.

    Syntax errors are reported by :func:`syntax_problems`, not here; findings in
    a script with syntax errors may be incomplete.
    """
    findings = sorted(
        {
            *_ps7_operator_findings(data),
            *_command_findings(data),
            *_method_findings(data),
        }
    )
    result: list[str] = []
    for offset, message in findings:
        line, column = _line_col(data, offset)
        result.append(f"{line}:{column}: {message}")
    return result
