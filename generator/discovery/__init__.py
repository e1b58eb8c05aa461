"""Beside the pipeline: read a production group, import it, compare it (drift)."""
