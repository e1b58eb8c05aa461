"""Developer tools (not part of drgen): tools/regen.py is ./drgen.sh regen."""
