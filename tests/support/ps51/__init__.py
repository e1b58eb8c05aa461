"""Static Windows PowerShell 5.1 run-time rules over the tree-sitter-pwsh tree.

No Windows PowerShell runs where the tests run, so the traps that only show at run
time on 5.1 are looked for in the parse tree of the finished script. Each rule is a
function ``rule(script) -> list[Finding]``; a :class:`Finding` is ``(line, col,
rule, message)`` with 1-based line and character column. Each rule's docstring
names its SOURCE (a page of MicrosoftDocs/PowerShell-Docs under reference/5.1, a
file of the engine in PowerShell/PowerShell, or an issue there) and says exactly
what it accepts. :func:`check` runs every rule of :data:`RULES`.

Like :mod:`tests.support.pwsh`, this module knows nothing about templates or the
generator: it reads the bytes of a ``.ps1``. It does rely on two conventions of the
drgen scripts, both stated where used: ``Write-DrProblem`` records a problem
(:data:`PROBLEM_RECORDERS`), and a function that runs a native tool and returns an
object with an ``ExitCode`` property is a wrapper whose callers read that property.

Each script is parsed once (:func:`load` is cached) and every rule reads the same
tree and node index. The package: ``core`` (the parsed script, the tree and command
helpers), then one module per family of rules (``parameters``, ``guards``,
``native``, ``strict``, ``culture``, ``files``); this module lists them in
:data:`RULES`.

Traps looked at and NOT made a rule, and why:

* ``ConvertTo-Json`` fed a one-element collection through the pipeline writes a
  bare object, not an array (PowerShell/PowerShell#11857): whether the piped value
  is a collection is not in the tree; the writer/reader contract tests hold the
  shape of what the scripts write.
* An index past the end under ``Set-StrictMode -Version 3`` and later throws
  (reference/5.1/Microsoft.PowerShell.Core/Set-StrictMode.md, example 3): telling
  a safe ``$x[0]`` from an unsafe one needs value ranges, not syntax.
* ``.Length`` on a scalar throws under strict mode like ``.Count`` (engine
  Binders.cs), but a string's own ``Length`` is legitimate and the type is not in
  the tree: only ``.Count`` is checked (:func:`strict_count`).
* ``$PSCommandPath`` / ``$MyInvocation`` in a script's parameter default: probably
  empty like ``$PSScriptRoot`` but no source shows it; only ``$PSScriptRoot`` is
  checked (:func:`psscriptroot_param_default`).
* ``$a -in 'literal'``: equivalent to ``-eq``, not a bug; only ``-contains`` with a
  scalar literal on the left is (:func:`contains_operand_order`).
* ``-f`` with ``{0}`` of a DateTime or ``{0:N0}`` of a number is culture-sensitive
  too, but the argument's type is not in the tree and most such strings are
  console messages: only explicit custom date patterns are checked.
* .NET file methods given a path in a variable: whether the variable holds a rooted
  path is data flow across calls; only literal relative paths are checked
  (:func:`dotnet_relative_path`).
* ``Get-Content -Raw`` of an empty file returning ``$null`` in 5.1: not confirmed
  from a source here; the scripts cast it with ``[string]`` anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from tests.support.ps51.core import PROBLEM_RECORDERS, Finding, Rule, Script, load
from tests.support.ps51.culture import (
    contains_operand_order,
    culture_format,
    culture_parse,
    null_on_right,
)
from tests.support.ps51.files import (
    convertfrom_json_pipeline,
    convertto_json_depth,
    dotnet_relative_path,
    file_encoding,
)
from tests.support.ps51.guards import (
    psscriptroot_param_default,
    registry_64bit_guard,
    should_process_declined,
    stop_transcript_in_try,
)
from tests.support.ps51.native import (
    native_exit_code,
    native_stderr_stop,
    start_process_exit_code,
)
from tests.support.ps51.parameters import mandatory_collection, mandatory_string
from tests.support.ps51.strict import strict_count, strict_member_on_query

__all__ = [
    "PROBLEM_RECORDERS",
    "RULES",
    "Finding",
    "Rule",
    "Script",
    "check",
    "load",
]


RULES: Final[tuple[Rule, ...]] = (
    Rule("mandatory-collection", mandatory_collection),
    Rule("mandatory-string", mandatory_string),
    Rule("stop-transcript-try", stop_transcript_in_try),
    Rule("registry-64bit-guard", registry_64bit_guard),
    Rule("should-process-declined", should_process_declined),
    Rule("psscriptroot-param-default", psscriptroot_param_default),
    Rule("native-exit-code", native_exit_code),
    Rule("start-process-exit-code", start_process_exit_code),
    Rule("native-stderr-stop", native_stderr_stop),
    Rule("strict-count", strict_count),
    Rule("strict-member-on-query", strict_member_on_query),
    Rule("culture-format", culture_format),
    Rule("culture-parse", culture_parse),
    Rule("null-on-right", null_on_right),
    Rule("contains-operand-order", contains_operand_order),
    Rule("convertto-json-depth", convertto_json_depth),
    Rule("file-encoding", file_encoding),
    Rule("convertfrom-json-pipeline", convertfrom_json_pipeline),
    Rule("dotnet-relative-path", dotnet_relative_path),
)


def check(data: bytes, rules: Iterable[Rule] = RULES) -> list[Finding]:
    """Every finding of ``rules`` (default: all) on a script, in document order."""
    script = load(data)
    return sorted(finding for rule in rules for finding in rule.apply(script))
