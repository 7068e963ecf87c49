"""Record storage of the Salesforce sandbox: rows by id, unique indexes and an undo journal.

Not locked by itself: :class:`~leadsync.sandbox.salesforce.models.SalesforceSandbox` holds its
lock around every call. Stored rows are replaced on write, never changed in place, so a row
handed out (e.g. to a query cursor) stays a consistent snapshot. Every row holds every field of
its object (rows start from ``ObjectDef.template``), so fields are read by subscript.
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
        # Lower-cased e-mail to the ids of live Leads with it. The inner dicts act as sets:
        # holding only strings, the garbage collector does not track them (one per Lead).
        self.lead_emails: dict[str, dict[str, None]] = {}
        self._journal: Journal | None = None

    def row(self, obj: str, record_id: str) -> Record | None:
        """The stored row (deleted or not), not a copy."""
        return self.rows.get(obj, {}).get(record_id)

    def _index(self, obj: str, rec: Record, add: bool) -> None:
        ext_field = EXTERNAL_ID_FIELDS.get(obj)
        value = rec[ext_field] if ext_field else None
        if value:
            if add:
                self.external[obj][value] = rec["Id"]
            elif self.external[obj].get(value) == rec["Id"]:
                del self.external[obj][value]
        email = rec["Email"] if obj == "Lead" else None
        if email:
            key = email.lower()
            ids = self.lead_emails.get(key)
            if ids is None:
                ids = self.lead_emails[key] = {}
            if add:
                ids[rec["Id"]] = None
            else:
                ids.pop(rec["Id"], None)

    def add(self, obj: str, rec: Record) -> None:
        """Store a new live row: :meth:`put` for an Id not stored before (the insert path)."""
        record_id = rec["Id"]
        if self._journal is not None:
            self._journal.append((obj, record_id, None))
        self.rows[obj][record_id] = rec
        # _index(obj, rec, add=True), spelled out: it runs for every record inserted.
        ext_field = EXTERNAL_ID_FIELDS.get(obj)
        if ext_field and rec[ext_field]:
            self.external[obj][rec[ext_field]] = record_id
        if obj == "Lead" and rec["Email"]:
            key = rec["Email"].lower()
            ids = self.lead_emails.get(key)
            if ids is None:
                self.lead_emails[key] = {record_id: None}
            else:
                ids[record_id] = None

    def put(self, obj: str, rec: Record) -> None:
        """Store ``rec`` (replacing the row with its Id); deleted rows leave the indexes."""
        record_id, rows = rec["Id"], self.rows[obj]
        prev = rows.get(record_id)
        if self._journal is not None:
            self._journal.append((obj, record_id, prev))
        if prev is not None and not prev["IsDeleted"]:
            self._index(obj, prev, add=False)
        rows[record_id] = rec
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
    def journaled(self, *, undoable: bool = True) -> Iterator[Journal]:
        """Record every ``put`` inside the block so that it can be rolled back.

        With ``undoable=False`` the caller promises never to roll this block back, and nothing
        is recorded unless an enclosing block records (allOrNone=false batches: no undo entry
        per record).
        """
        if not undoable and self._journal is None:
            yield []
            return
        outer, self._journal = self._journal, []
        try:
            yield self._journal
        finally:
            journal = self._journal
            self._journal = outer
            if outer is not None:
                outer.extend(journal)
