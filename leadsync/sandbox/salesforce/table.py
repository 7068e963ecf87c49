"""Record storage of the Salesforce sandbox: rows by id, unique indexes and an undo journal.

Not locked by itself: :class:`~leadsync.sandbox.salesforce.models.SalesforceSandbox` holds its
lock around every call. Stored rows are replaced on write, never changed in place, so a row
handed out (e.g. to a query cursor) stays a consistent snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from leadsync.sandbox.salesforce.schema import OBJECTS

Record = dict[str, Any]
Journal = list[tuple[str, str, Record | None]]
EXTERNAL_ID_FIELDS = {"Lead": "Leadsync_Id__c", "Contact": "Leadsync_Id__c", "User": "Username"}


class RecordTable:
    """Rows of every object, the external-id index and the Lead e-mail index."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Record]] = {name: {} for name in OBJECTS}
        self.external: dict[str, dict[str, str]] = {name: {} for name in OBJECTS}
        self.lead_emails: dict[str, set[str]] = {}
        self._journal: Journal | None = None

    def row(self, obj: str, record_id: str) -> Record | None:
        """The stored row (deleted or not), not a copy."""
        return self.rows.get(obj, {}).get(record_id)

    def _index(self, obj: str, rec: Record, add: bool) -> None:
        ext_field = EXTERNAL_ID_FIELDS.get(obj)
        if ext_field and rec.get(ext_field):
            if add:
                self.external[obj][rec[ext_field]] = rec["Id"]
            elif self.external[obj].get(rec[ext_field]) == rec["Id"]:
                del self.external[obj][rec[ext_field]]
        if obj == "Lead" and rec.get("Email"):
            ids = self.lead_emails.setdefault(rec["Email"].lower(), set())
            (ids.add if add else ids.discard)(rec["Id"])

    def put(self, obj: str, rec: Record) -> None:
        """Store ``rec`` (replacing the row with its Id); deleted rows leave the indexes."""
        prev = self.rows[obj].get(rec["Id"])
        if self._journal is not None:
            self._journal.append((obj, rec["Id"], prev))
        if prev is not None and not prev["IsDeleted"]:
            self._index(obj, prev, add=False)
        self.rows[obj][rec["Id"]] = rec
        if not rec["IsDeleted"]:
            self._index(obj, rec, add=True)

    def purge(self, obj: str, record_id: str) -> None:
        """Remove a row for good (hard delete); not allowed inside a journaled block.

        Raises:
            RuntimeError: If called while a journal is open.
        """
        if self._journal is not None:
            raise RuntimeError("hard delete cannot be rolled back")
        rec = self.rows[obj].pop(record_id)
        if not rec["IsDeleted"]:
            self._index(obj, rec, add=False)

    def rollback(self, journal: Journal) -> None:
        """Undo the writes recorded in ``journal``, newest first."""
        for obj, record_id, prev in reversed(journal):
            current = self.rows[obj].pop(record_id)
            if not current["IsDeleted"]:
                self._index(obj, current, add=False)
            if prev is not None:
                self.rows[obj][record_id] = prev
                if not prev["IsDeleted"]:
                    self._index(obj, prev, add=True)
        journal.clear()

    @contextmanager
    def journaled(self) -> Iterator[Journal]:
        """Record every ``put`` inside the block so that it can be rolled back."""
        outer, self._journal = self._journal, []
        try:
            yield self._journal
        finally:
            journal = self._journal
            self._journal = outer
            if outer is not None:
                outer.extend(journal)
