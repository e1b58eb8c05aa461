"""Stage 6: each artifact's text; a script's code once per kind, its data per bundle."""
