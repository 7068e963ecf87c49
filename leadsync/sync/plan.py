"""The value types of a sync plan: what will change where, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Action = Literal["create", "update", "skip", "review", "dead_letter"]


class FieldDiff(NamedTuple):
    """One target field that will change (a tuple: plans build one per field per record)."""

    field: str
    old: Any
    new: Any
    system: str | None = None
    rule: str | None = None


@dataclass
class Change:
    """What the engine will do (or did) for one golden lead in the target.

    Attributes:
        sources: The source records (``system:object:id``) folded into this change.
        golden_id: The golden lead's id (None in a dry run that would create one).
        action: create, update, skip, review or dead_letter.
        reason: Why, in words (e.g. ``matched g:42 by email (score 11.2)``).
        diffs: The target fields that change, with the deciding system and rule.
        fields: Vendor fields to send (all of them for a create, the changed ones for an update).
        target_id: The record's id in the target, when it exists there.
        owner_email: The owner routing chose, if any.
        route_rule: The routing rule that fired.
    """

    sources: list[str]
    golden_id: int | None
    action: Action
    reason: str
    diffs: list[FieldDiff] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    target_id: str | None = None
    owner_email: str | None = None
    route_rule: str | None = None
    missing: list[str] = field(default_factory=list)
    object: str | None = None  # the target object written, when not the job's (a contact)


@dataclass
class RunStats:
    """Counts a run reports; ``failed`` drives the exit code."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    matched: int = 0
    review: int = 0
    dead_lettered: int = 0
    failed: int = 0
    deleted: int = 0
    target_refreshed: int = 0
    api_calls: int = 0

    def count(self, change: Change, *, failed: bool = False) -> None:
        """Count one planned (or pushed) change; a failed push counts each of its sources."""
        if failed:
            self.failed += len(change.sources)
        elif change.action == "create":
            self.created += 1
        elif change.action == "update":
            self.updated += 1
        elif change.action == "skip":
            self.unchanged += 1
        elif change.action == "review":
            self.review += 1

    def add(self, other: RunStats) -> None:
        """Add ``other``'s counts to these."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        """Return the counts by name."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
