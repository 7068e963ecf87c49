"""Round-robin state of one routing transaction: locked cursors, daily counts, availability."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from leadsync.connectors.base import Owner
from leadsync.store import routing_state
from leadsync.sync.routing.config import Member, Team

if TYPE_CHECKING:
    from leadsync.sync.routing.router import Router


class TeamState:
    """Cursor positions and daily counts of the teams one transaction assigns from."""

    def __init__(self, router: Router, session: Session, now: datetime, *, lock: bool) -> None:
        self.router, self.session, self.now, self.lock = router, session, now, lock
        self.positions: dict[str, int] = {}
        self.stored: dict[str, int] = {}  # the positions as read (or last saved)
        self.counts: dict[str, int] | None = None

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
        missing = [name for name in self.router.config.teams if name not in self.stored]
        for name, position in routing_state.lock_cursors(self.session, missing).items():
            self.stored[name] = self.positions[name] = position

    def count(self, email: str) -> None:
        """Count one more assignment for ``email`` today (daily caps)."""
        key = email.lower()
        if key in self.router.capped:
            counts = self._counts()
            counts[key] = counts.get(key, 0) + 1

    def save(self) -> None:
        """Write the advanced cursor positions back to their (locked) rows."""
        moved = {n: p for n, p in self.positions.items() if p != self.stored[n]}
        routing_state.save_positions(self.session, moved)
        self.stored.update(moved)

    def _position(self, name: str) -> int:
        if name not in self.positions:
            if self.lock:
                position = routing_state.lock_cursor(self.session, name)
            else:
                position = routing_state.cursor_position(self.session, name)
            self.stored[name] = self.positions[name] = position
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
            # Only reps with a daily cap are counted, once per transaction (kept per day and
            # owner beside the assignments, so reading them costs the same however busy the day).
            capped = self.router.capped
            day = _day(self.now.date())
            self.counts = routing_state.counts_on(self.session, capped, day) if capped else {}
        return self.counts


def _day(value: date) -> str:
    return value.isoformat()
