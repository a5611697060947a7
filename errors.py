"""Foundation error class shared by every package (imports nothing of ours)."""

from __future__ import annotations


class CodesignError(Exception):
    """Bad input the CLI reports as one line.

    Every user-error class subclasses it, keeping its second base (``ValueError``,
    ``FileNotFoundError``, ...) so existing ``except`` clauses still catch it.
    """
