"""Stage 1-3: read an inventory (YAML with positions), pre-scan and validate it.

The validated value is ``model.Inventory``; the starter inventory ships here too.
"""
