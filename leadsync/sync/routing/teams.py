"""Round-robin state of one routing transaction: locked cursors, daily counts, availability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from leadsync.connectors.base import Owner
from leadsync.store import routing_state
from leadsync.store.models import RoutingCursor
from leadsync.sync.routing.config import Member, Team

if TYPE_CHECKING:
    from leadsync.sync.routing.router import Router


@dataclass(frozen=True)
class CountSnapshot:
    """Daily counts as a committed routing transaction left them, and how to tell they still are.

    Every routing transaction locks every cursor and appends assignments, so while the cursor
    positions and the newest assignment id are unchanged, nobody has assigned since.
    """

    day: str
    last_id: int | None
    positions: tuple[tuple[str, int], ...]
    counts: dict[str, int]


class TeamState:
    """Cursor positions and daily counts of the teams one transaction assigns from."""

    def __init__(self, router: Router, session: Session, now: datetime, *, lock: bool) -> None:
        self.router, self.session, self.now, self.lock = router, session, now, lock
        self.positions: dict[str, int] = {}
        self.rows: dict[str, Any] = {}
        self.counts: dict[str, int] | None = None
        self.locked: tuple[tuple[str, int], ...] | None = None

    def next_in(self, name: str, team: Team) -> Owner | None:
        """The next eligible member of ``team`` (slots of ineligible members are skipped)."""
        position = self._position(name)
        slots, members = self.router.layout(name, team)
        for step in range(len(slots)):
            email = slots[(position + step) % len(slots)]
            owner = self.router.by_email.get(email)
            if owner is not None and owner.active and self._eligible(members[email]):
                self.positions[name] = position + step + 1
                return owner
        return None

    def lock_all(self) -> None:
        """Lock every team's cursor, in name order, so concurrent workers never deadlock."""
        missing = [name for name in self.router.config.teams if name not in self.rows]
        for name, row in routing_state.lock_cursors(self.session, missing).items():
            self.rows[name] = row
            self.positions[name] = row.position
        self.locked = tuple(sorted(self.positions.items()))

    def snapshot(self) -> CountSnapshot | None:
        """The counts to reuse next time (valid once this transaction commits)."""
        if self.counts is None or self.locked is None:
            return None
        last_id = routing_state.last_assignment_id(self.session)
        positions = tuple(sorted(self.positions.items()))
        return CountSnapshot(_day(self.now.date()), last_id, positions, dict(self.counts))

    def count(self, email: str) -> None:
        """Count one more assignment for ``email`` today (daily caps)."""
        key = email.lower()
        if key in self.router.capped:
            counts = self._counts()
            counts[key] = counts.get(key, 0) + 1

    def save(self) -> None:
        """Write the advanced cursor positions back to their (locked) rows."""
        for name, position in self.positions.items():
            self.rows[name].position = position

    def _position(self, name: str) -> int:
        if name not in self.positions:
            if self.lock:
                row = routing_state.lock_cursor(self.session, name)
            else:
                row = self.session.get(RoutingCursor, name) or RoutingCursor(team=name, position=0)
            self.rows[name] = row
            self.positions[name] = row.position
        return self.positions[name]

    def _eligible(self, member: Member) -> bool:
        today = self.now.date()
        if any(a.start <= today <= a.end for a in member.out_of_office):
            return False
        if member.daily_cap is None:
            return True
        return self._counts().get(member.email.lower(), 0) < member.daily_cap

    def _counts(self) -> dict[str, int]:
        if self.counts is None:
            # Only reps with a daily cap are counted: the count reads all of today's rows, so
            # the last committed counts are reused while provably current.
            capped, day = self.router.capped, _day(self.now.date())
            if not capped:
                self.counts = {}
            elif self._snapshot_holds(day):
                self.counts = dict(self.router.count_snapshot.counts)  # type: ignore[union-attr]
            else:
                self.counts = routing_state.counts_on(self.session, capped, day)
        return self.counts

    def _snapshot_holds(self, day: str) -> bool:
        snap = self.router.count_snapshot
        return (
            snap is not None
            and self.locked is not None
            and snap.day == day
            and snap.positions == self.locked
            and snap.last_id == routing_state.last_assignment_id(self.session)
        )


def _day(value: date) -> str:
    return value.isoformat()
