"""Test oracle: parse and lint generated PowerShell with tree-sitter-pwsh.

The package is independent of the generator on purpose: it knows nothing about
templates or escaping and only looks at the bytes of a finished ``.ps1``. It answers
four questions for the test suite:

* does the script parse (:func:`~tests.support.pwsh.parse.syntax_problems`);
* which commands and method calls does it make, and is each one inside an
  ``if ($PSCmdlet.ShouldProcess(...)) { ... }`` block
  (:mod:`tests.support.pwsh.commands`);
* where are its string literals, and does a given value occur outside a
  single-quoted one (:mod:`tests.support.pwsh.strings`);
* does it break the house rules for Windows PowerShell 5.1 scripts
  (:func:`~tests.support.pwsh.lint.lint`, over the names in
  :mod:`tests.support.pwsh.vocabulary`).

One module per concern, each importing only those before it: ``index`` (the
pre-order node index, ``walk``/``nodes``/``node_text``), ``parse`` (the cached
parse, locations, syntax problems), ``commands`` and ``strings``, ``vocabulary``
(the lint's tables, data only), ``lint``. Tests import the public names from
:mod:`tests.support.pwsh_oracle`, which re-exports them.

Everything is computed from the tree-sitter-pwsh 0.38.1 syntax tree; each module
names the node types it relies on. Known limits (see also
/work/shared/docs/authenticode.md §5): a range such as ``1..3`` parses as a command
and is dropped; parameters are matched by full name except where noted;
splatted parameters are invisible; the typographic single quotes are not string
delimiters for the grammar; ``if ($ok)`` with ``$ok`` holding the result of
``ShouldProcess`` is not recognised as a guard.
"""
