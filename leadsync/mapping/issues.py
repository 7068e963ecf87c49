"""Problems found in a mapping file, each pointing at file:line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MappingIssue:
    """One problem in a mapping file.

    Attributes:
        file: The mapping file.
        line: 1-based line of the offending key.
        path: Where in the file, e.g. ``fields.stage.value_map``.
        message: What is wrong and how to fix it.
    """

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"
