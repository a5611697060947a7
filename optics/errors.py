"""Error classes for bad optical input files (reported by the CLI as one line)."""

from __future__ import annotations

from codesign.errors import CodesignError


class OpticsInputError(CodesignError, ValueError):
    """Bad topology, equipment or scenario input; the message names file and field."""

    def __init__(self, source: str, field: str, problem: str):
        self.source = str(source)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.source}: field '{field}': {problem}")


class OpticsFileNotFound(CodesignError, FileNotFoundError):
    """A named input file does not exist."""
