"""Beside the pipeline: drill results, the readiness verdict and its report.

And what a lab probe's result says of the catalogue (``labfacts``).
"""
