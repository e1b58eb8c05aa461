"""The tree-sitter-pwsh oracle's public names, for the ~50 test modules and helpers
that import them from here.

The oracle itself lives in :mod:`tests.support.pwsh`, one module per concern
(index, parse, commands, strings, vocabulary, lint); its docstring says what each
answers and where the oracle stops. This facade only re-exports, so an importer
need not know which module a name lives in.
"""

from __future__ import annotations

from tests.support.pwsh.commands import Command, commands, method_calls
from tests.support.pwsh.index import ancestors, node_text, nodes, walk
from tests.support.pwsh.lint import canonical_command_name, is_state_changing, lint
from tests.support.pwsh.parse import LANGUAGE, line_col, parse, syntax_problems
from tests.support.pwsh.strings import (
    occurrences_outside_string_literals,
    string_literal_ranges,
)
from tests.support.pwsh.vocabulary import (
    ALIAS_TARGETS,
    ALIASES,
    NATIVE_STATE_CHANGING,
    PS7_ONLY_COMMANDS,
    READ_ONLY_NATIVE_ARGUMENTS,
    STATE_CHANGING,
    STATE_CHANGING_METHODS,
)

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
