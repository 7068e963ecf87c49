"""In-memory, thread-safe state of the Salesforce emulator: records, indexes, tokens, settings.

Nothing here knows HTTP; the route modules translate to and from the wire format.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from leadsync.sandbox.runtime import CallLog, FaultPlan
from leadsync.sandbox.salesforce.auth import TokenStore
from leadsync.sandbox.salesforce.ids import KEY_PREFIXES, IdFactory, MonotonicClock, to18
from leadsync.sandbox.salesforce.schema import OBJECTS, ObjectDef
from leadsync.sandbox.salesforce.table import EXTERNAL_ID_FIELDS, Record, RecordTable
from leadsync.sandbox.salesforce.validation import SaveError, check_required, clean

T = TypeVar("T")
X = TypeVar("X")
_PREFIX_TO_OBJECT = {v: k for k, v in KEY_PREFIXES.items()}
_REFERENCES = ("OwnerId", "AccountId")
_NO_ROWS: dict[str, Record] = {}


def _call(op: Callable[[], T]) -> T:
    return op()


def _rules(odef: ObjectDef) -> tuple[bool, tuple[str, ...], str | None]:
    """Per object: whether Name is First + Last, its reference fields, its external id."""
    references = tuple(name for name in _REFERENCES if name in odef.fields)
    return odef.name != "Account", references, EXTERNAL_ID_FIELDS.get(odef.name)


_RULES = {name: _rules(odef) for name, odef in OBJECTS.items()}
_OWNED = frozenset(name for name, odef in OBJECTS.items() if "OwnerId" in odef.fields)


class SalesforceSandbox:
    """State and settings of one emulated Salesforce org.

    Args:
        daily_limit: DailyApiRequests allocation; None means unlimited (reported as 15000).
        duplicate_rule: Reject Leads whose Email matches another Lead (DUPLICATES_DETECTED).
        username: Login name of the admin user (OAuth password/JWT grants).
        password: Password of the admin user for the password grant.
        now: Fixed start time for deterministic timestamps; None uses the wall clock.
    """

    def __init__(
        self,
        *,
        daily_limit: int | None = None,
        duplicate_rule: bool = False,
        username: str = "admin@leadsync.example",
        password: str = "sandbox",
        now: datetime | None = None,
    ) -> None:
        self.faults = FaultPlan()
        self.calls = CallLog()
        self.daily_limit = daily_limit
        self.duplicate_rule = duplicate_rule
        self.username = username
        self._password = password
        self.clock = MonotonicClock(now)
        self._lock = threading.RLock()
        self._ids = IdFactory()
        self.api_usage = 0
        self._row_locks: list[list[Any]] = []
        self.tokens = TokenStore()
        self._reset_records()

    def _reset_records(self) -> None:
        self._table = RecordTable()
        self._default_user: str | None = None
        admin = self._insert_system_user(self.username, "Sandbox", "Admin")
        self.admin_user_id: str = admin["Id"]
        self._default_user = self.admin_user_id
        self.session_id = self.issue_token(self.admin_user_id)[0]

    def reset(self) -> None:
        """Forget every record, token, fault, call count and row lock."""
        with self._lock:
            self.tokens.clear()
            self._row_locks.clear()
            self.faults.clear()
            self.calls.reset()
            self.api_usage = 0
            self._reset_records()

    def _insert_system_user(self, username: str, first: str, last: str) -> Record:
        data = {"Username": username, "Email": username, "FirstName": first, "LastName": last}
        return self.create("User", data, user_id=None)

    # -- auth ------------------------------------------------------------------------------
    def check_password(self, username: str, password: str) -> str | None:
        """Return the user id when the credentials are right, else None."""
        ok = username == self.username and secrets.compare_digest(password, self._password)
        return self.admin_user_id if ok else None

    def user_id_for_username(self, username: str) -> str | None:
        """Id of the active user named ``username``."""
        with self._lock:
            uid = self._table.external["User"].get(username)
            row = self._table.row("User", uid) if uid else None
            return uid if row and row["IsActive"] and not row["IsDeleted"] else None

    def issue_token(self, user_id: str) -> tuple[str, str]:
        """Issue an (access token, refresh token) pair for ``user_id``."""
        return self.tokens.issue(user_id)

    def refresh_token(self, refresh: str) -> str | None:
        """A new access token for a known refresh token, else None."""
        return self.tokens.refresh(refresh)

    def user_for_token(self, token: str) -> str | None:
        """The user a valid access token belongs to, else None."""
        return self.tokens.user_for(token)

    def expire_token(self, token: str | None = None) -> None:
        """Invalidate one access token, or every one when None (forces a re-auth)."""
        self.tokens.expire(token)

    def count_api_request(self) -> bool:
        """Count one API request; False when the daily allocation is exceeded."""
        with self._lock:
            if self.daily_limit is not None and self.api_usage >= self.daily_limit:
                return False
            self.api_usage += 1
            return True

    @property
    def limit_max(self) -> int:
        """The DailyApiRequests maximum reported to clients."""
        return self.daily_limit if self.daily_limit is not None else 15000

    # -- failure injection ---------------------------------------------------------------
    def lock_rows(self, predicate: Callable[[Mapping[str, Any]], bool], *, times: int = 1) -> None:
        """Fail the next ``times`` writes of records matching ``predicate`` (UNABLE_TO_LOCK_ROW)."""
        with self._lock:
            self._row_locks.append([predicate, times])

    def _check_injected(self, record: Record, *, validate: bool = True) -> None:
        if not self._row_locks and not validate:
            return
        for entry in self._row_locks:
            if entry[1] > 0 and entry[0](record):
                entry[1] -= 1
                msg = "unable to obtain exclusive access to this record or 1 records: "
                raise SaveError("UNABLE_TO_LOCK_ROW", msg + record["Id"])
        message = self.faults.record_rejection(record) if validate else None
        if message is not None:
            raise SaveError("FIELD_CUSTOM_VALIDATION_EXCEPTION", message)

    # -- reads -----------------------------------------------------------------------------
    @staticmethod
    def object_of(record_id: str) -> str | None:
        """The sObject name an id belongs to, by key prefix."""
        return _PREFIX_TO_OBJECT.get(record_id[:3])

    def get(self, obj: str, record_id: str, *, include_deleted: bool = False) -> Record | None:
        """A copy of one record, or None (deleted records only with ``include_deleted``)."""
        with self._lock:
            rec = self._table.row(obj, to18(record_id))
            if rec is None or (rec["IsDeleted"] and not include_deleted):
                return None
            return dict(rec)

    def find_external(self, obj: str, field: str, value: str) -> str | None:
        """Id of the live record whose external id ``field`` equals ``value``."""
        if EXTERNAL_ID_FIELDS.get(obj) != field:
            raise SaveError("INVALID_FIELD", f"Field {field} is not an external id on {obj}")
        with self._lock:
            return self._table.external[obj].get(value)

    def rows(self, obj: str, *, include_deleted: bool = False) -> list[Record]:
        """Every record of ``obj`` (live only unless ``include_deleted``); not copies."""
        with self._lock:
            values = list(self._table.rows[obj].values())
        return values if include_deleted else [r for r in values if not r["IsDeleted"]]

    def count(self, obj: str) -> int:
        """Number of live records of ``obj``."""
        return len(self.rows(obj))

    def batch(self, ops: list[Callable[[], T]], *, all_or_none: bool) -> list[T | SaveError]:
        """Run ``ops`` in order; with ``all_or_none`` undo every change if any op fails."""
        return self.batch_each(_call, ops, all_or_none=all_or_none)

    def batch_each(
        self, run: Callable[[X], T], items: Iterable[X], *, all_or_none: bool
    ) -> list[T | SaveError]:
        """:meth:`batch` of ``run(item)`` for each item (no closure per record)."""
        results: list[T | SaveError] = []
        append = results.append
        with self._lock, self._table.journaled(undoable=all_or_none) as journal:
            for item in items:
                try:
                    append(run(item))
                except SaveError as exc:
                    append(exc)
            if all_or_none and any(isinstance(r, SaveError) for r in results):
                self._table.rollback(journal)
        return results

    # -- writes ----------------------------------------------------------------------------
    def _finish(self, odef: ObjectDef, rec: Record, *, allow_duplicates: bool) -> None:
        # Runs for every record of every batch: constants per object come from _rules, and
        # fields are read by subscript (every row holds every field of its object).
        named, references, ext_field = _RULES[odef.name]
        if named:
            first, last = rec["FirstName"], rec["LastName"]
            rec["Name"] = f"{first} {last}" if first and last else (first or last)
        for name in odef.required:
            if rec[name] in (None, ""):
                check_required(odef, rec)  # raises, naming every missing field
        for ref in references:
            target = rec[ref]
            if target:
                rows = self._table.rows.get(_PREFIX_TO_OBJECT.get(target[:3], ""), _NO_ROWS)
                found = rows.get(target)
                if found is None or found["IsDeleted"]:
                    msg = f"{ref}: id value of incorrect type: {target}"
                    raise SaveError("INVALID_CROSS_REFERENCE_KEY", msg, [ref])
        if ext_field and rec[ext_field]:
            other = self._table.external[odef.name].get(rec[ext_field])
            if other is not None and other != rec["Id"]:
                msg = f"duplicate value found: {ext_field} duplicates value on record with id: "
                raise SaveError("DUPLICATE_VALUE", msg + other, [ext_field])
        if odef.name == "Lead" and self.duplicate_rule and not allow_duplicates and rec["Email"]:
            self._check_duplicate_email(rec)
        if self._row_locks or self.faults.rejecting:
            self._check_injected(rec)

    def _check_duplicate_email(self, rec: Record) -> None:
        if self._table.lead_emails.get(rec["Email"].lower(), {}).keys() - {rec["Id"]}:
            raise SaveError("DUPLICATES_DETECTED", "Use one of these records?")

    def create(
        self, obj: str, data: Mapping[str, Any], *, user_id: str | None = None,
        allow_duplicates: bool = False, skip_empty: bool = False,
    ) -> Record:  # fmt: skip
        """Insert a record and return a copy of it.

        Raises:
            SaveError: On any validation failure.
        """
        kw = {"allow_duplicates": allow_duplicates, "skip_empty": skip_empty}
        with self._lock:
            return dict(self._insert(obj, data, user_id=user_id, **kw))

    def create_each(
        self, records: Iterable[Mapping[str, Any]], type_of: Callable[[Mapping[str, Any]], str],
        *, user_id: str | None, allow_duplicates: bool, all_or_none: bool,
    ) -> list[str | SaveError]:  # fmt: skip
        """Insert ``records`` in order as one :meth:`batch`; the Id of each, or its error.

        ``type_of`` names a record's object (raising SaveError for a record to refuse); the
        records need no closure each and no lock of their own (sObject Collections create).
        """
        insert = self._insert

        def run(rec: Mapping[str, Any]) -> str:
            new_id: str = insert(
                type_of(rec), rec, user_id=user_id, allow_duplicates=allow_duplicates
            )["Id"]
            return new_id

        return self.batch_each(run, records, all_or_none=all_or_none)

    def _insert(
        self, obj: str, data: Mapping[str, Any], *, user_id: str | None,
        allow_duplicates: bool, skip_empty: bool = False,
    ) -> Record:  # fmt: skip
        """Validate and store a new record; return the stored row (caller holds the lock)."""
        odef = OBJECTS[obj]
        values = clean(odef, data, creating=True, skip_empty=skip_empty)
        now = self.clock.now()
        rec: Record = dict(odef.template)
        # The first user (the admin) is created by itself.
        new_id = self._ids.new(odef.key_prefix)
        uid = user_id or self._default_user or new_id
        rec["Id"], rec["IsDeleted"], rec["CreatedDate"] = new_id, False, now
        rec["LastModifiedDate"] = rec["SystemModstamp"] = now
        rec["CreatedById"] = rec["LastModifiedById"] = uid
        if obj in _OWNED:
            rec["OwnerId"] = uid
        rec.update(values)
        self._finish(odef, rec, allow_duplicates=allow_duplicates)
        self._table.add(obj, rec)  # the id is new: no previous row to replace
        return rec

    def update(
        self, obj: str, record_id: str, data: Mapping[str, Any], *, user_id: str | None = None,
        allow_duplicates: bool = False, skip_empty: bool = False,
    ) -> Record:  # fmt: skip
        """Change fields of a live record and return a copy of it.

        Raises:
            SaveError: ENTITY_IS_DELETED / NOT_FOUND or any validation failure.
        """
        odef = OBJECTS[obj]
        values = clean(odef, data, creating=False, skip_empty=skip_empty)
        with self._lock:
            current = self._table.row(obj, to18(record_id))
            if current is None:
                raise SaveError(
                    "NOT_FOUND", "Provided external ID field does not exist or is not accessible"
                )
            if current["IsDeleted"]:
                raise SaveError("ENTITY_IS_DELETED", "entity is deleted")
            rec = {**current, **values}
            now = self.clock.now()
            rec.update(LastModifiedDate=now, SystemModstamp=now)
            rec["LastModifiedById"] = user_id or self._default_user
            self._finish(odef, rec, allow_duplicates=allow_duplicates)
            self._table.put(obj, rec)
            return dict(rec)

    def upsert(
        self, obj: str, field: str, value: str, data: Mapping[str, Any], *,
        user_id: str | None = None, allow_duplicates: bool = False, skip_empty: bool = False,
    ) -> tuple[Record, bool]:  # fmt: skip
        """Update the record whose external id ``field`` is ``value``, or create it.

        Returns:
            The record and True when it was created.
        """
        kw: dict[str, Any] = {"user_id": user_id, "allow_duplicates": allow_duplicates}
        body = {k: v for k, v in data.items() if k.lower() != field.lower()}
        with self._lock:
            existing = self.find_external(obj, field, value)
            if existing is not None:
                return self.update(obj, existing, body, skip_empty=skip_empty, **kw), False
            return self.create(obj, {**body, field: value}, skip_empty=skip_empty, **kw), True

    def delete(self, obj: str, record_id: str, *, hard: bool = False) -> Record:
        """Soft-delete a live record (IsDeleted=true, visible to queryAll), or purge it.

        Raises:
            SaveError: ENTITY_IS_DELETED, or NOT_FOUND for unknown ids.
        """
        with self._lock:
            current = self._table.row(obj, to18(record_id))
            if current is None:
                raise SaveError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
            if current["IsDeleted"]:
                raise SaveError("ENTITY_IS_DELETED", "entity is deleted")
            # Deletes can hit a locked row but run no validation rules.
            self._check_injected(current, validate=False)
            now = self.clock.now()
            rec = {**current, "IsDeleted": True, "LastModifiedDate": now, "SystemModstamp": now}
            if hard:
                self._table.purge(obj, rec["Id"])
            else:
                self._table.put(obj, rec)
            return dict(rec)
