"""Stage 8-9: a plan's files, hashed, listed, staged and swapped into OUT.

Also reading a bundle back: ``verify`` and ``review``.
"""
