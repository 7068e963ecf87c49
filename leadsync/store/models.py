"""SQLAlchemy 2.x typed ORM models of every durable table.

Timestamps are stored as timezone-aware UTC. JSON columns hold canonical data (already free
of secrets). Changing a model needs a new Alembic revision in ``store/migrations/versions``;
``tests/store/test_migrations.py`` fails when the two drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine (SQLite hands back naive ones otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store UTC; reject naive datetimes, whose meaning is a guess."""
        return None if value is None else _utc(value)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """On SQLite, bind in one step, as the stored text SQLAlchemy's DATETIME writes.

        Bulk writes bind several timestamps a record; SQLAlchemy's default chains this
        type's check, the UTC conversion and DATETIME's Python formatting (about 2 us a value
        in an ad-hoc timing), where one check and ``isoformat`` store the same text in about
        half that.
        """
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is refused, its meaning being a guess."""
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; use an aware UTC datetime")
    return value.astimezone(UTC)


# Texts of recent timestamps: a bulk write binds the same few (its batch's clock, a
# record's time in several columns) thousands of times. Equal aware datetimes are one
# instant, so they share one UTC text; a naive one is never stored, so it still fails.
_STAMP_TEXTS: dict[datetime, str] = {}
_STAMP_TEXTS_MAX = 4096


def _sqlite_text(value: datetime | None) -> str | None:
    """``value`` as SQLite DATETIME stores it: naive UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    if value is None:
        return None
    text = _STAMP_TEXTS.get(value)
    if text is None:
        text = _utc(value).isoformat(" ", "microseconds")[:26]  # without its "+00:00"
        if len(_STAMP_TEXTS) >= _STAMP_TEXTS_MAX:
            _STAMP_TEXTS.clear()  # no LRU bookkeeping: a batch refills what it uses
        _STAMP_TEXTS[value] = text
    return text


Stamp = UtcDateTime()
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations get stable names."""

    metadata = MetaData(naming_convention=NAMING)


class GoldenLead(Base):
    """The canonical (golden) record of one person, as the master-of-record policy built it."""

    __tablename__ = "golden_leads"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    email_key: Mapped[str | None] = mapped_column(String(320), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    updated_at: Mapped[datetime] = mapped_column(Stamp)


class MatchRecord(Base):
    """The match index's comparison key of one golden lead."""

    __tablename__ = "match_records"
    golden_id: Mapped[int] = mapped_column(
        Id,
        ForeignKey("golden_leads.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    key: Mapped[str] = mapped_column(Text)  # a packed MatchKey


class MatchBlock(Base):
    """One candidate block and the golden leads in it, oldest first.

    ``block_hash`` is a stable 64-bit hash of the block name (on SQLite the rowid itself).
    ``members`` packs the golden ids as little-endian int64s in the order the in-memory index
    keeps, so ties between candidates break the same way; NULL marks a giant block, which is
    never looked up again. One row per block, not per member: a batch reads and rewrites a
    block whole, which is safe because writers hold the index lock (:class:`MatchState`).
    """

    __tablename__ = "match_blocks"
    block_hash: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    members: Mapped[bytes | None] = mapped_column(LargeBinary)


class MatchTerm(Base):
    """How many indexed golden leads carry one first name or surname (term frequency)."""

    __tablename__ = "match_terms"
    __table_args__ = {"sqlite_with_rowid": False}
    term: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)


class MatchState(Base):
    """The match index's one row: its size and what its keys were built with.

    Writers lock this row first, so two jobs never match against each other's unfinished
    batches (on SQLite the write lock of ``BEGIN IMMEDIATE`` does the same).
    """

    __tablename__ = "match_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    records: Mapped[int] = mapped_column(BigInteger)
    built_with: Mapped[str | None] = mapped_column(String(255))
    # A new random number at every write of the index (migration 0005's triggers give one to
    # writes that bypass it): rows a run keeps are current while the token they are as of is
    # still here (a counter could come back to the value a rolled-back write left in memory).
    write_token: Mapped[int] = mapped_column(BigInteger, server_default="0")


class Identity(Base):
    """A record in some system known to be a given golden lead."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("system", "object", "external_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    golden_id: Mapped[int] = mapped_column(
        ForeignKey("golden_leads.id", ondelete="CASCADE"), index=True
    )
    system: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(255))
    deleted: Mapped[bool] = mapped_column(default=False)
    seen_at: Mapped[datetime] = mapped_column(Stamp)
    # The record's canonical values as last read from or written to that system: plans diff
    # against it so an unchanged record costs no API call.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class FieldProvenance(Base):
    """Where the current value of one golden field came from."""

    __tablename__ = "field_provenance"
    golden_id: Mapped[int] = mapped_column(
        ForeignKey("golden_leads.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    system: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column(Stamp)


class SyncRun(Base):
    """One execution of a job."""

    __tablename__ = "sync_runs"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(32))  # running, succeeded, partial, failed, paused
    dry_run: Mapped[bool] = mapped_column(default=False)
    fencing: Mapped[int] = mapped_column(BigInteger, default=0)
    worker: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(Stamp)
    finished_at: Mapped[datetime | None] = mapped_column(Stamp)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class RecordOutcome(Base):
    """What happened to one record in one run."""

    __tablename__ = "record_outcomes"
    __table_args__ = (Index(None, "run_id", "status"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(255))  # system:object:id
    golden_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))  # create, update, skip, match...
    status: Mapped[str] = mapped_column(String(32))  # ok, failed, dead_lettered
    target_id: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(Stamp)


class Checkpoint(Base):
    """The incremental-read watermark of one source object for one job."""

    __tablename__ = "checkpoints"
    job: Mapped[str] = mapped_column(String(128), primary_key=True)
    connector: Mapped[str] = mapped_column(String(64), primary_key=True)
    object: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[datetime | None] = mapped_column(Stamp)
    # Ids already processed at exactly ``cursor``: an inclusive re-read skips them.
    seen_at_cursor: Mapped[list[str]] = mapped_column(JSON, default=list)
    fencing: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(Stamp)


class DeadLetter(Base):
    """A record that could not be synced, kept with the reason until replayed or discarded."""

    __tablename__ = "dead_letters"
    __table_args__ = (
        UniqueConstraint("job", "source"),
        Index(None, "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(255))  # system:object:id
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    stage: Mapped[str] = mapped_column(String(32))  # map, match, route, push
    error_code: Mapped[str | None] = mapped_column(String(128))
    error_message: Mapped[str] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(String(128))
    retryable: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending/parked/replayed/discarded
    first_failed_at: Mapped[datetime] = mapped_column(Stamp)
    last_failed_at: Mapped[datetime] = mapped_column(Stamp)
    next_attempt_at: Mapped[datetime | None] = mapped_column(Stamp)
    run_id: Mapped[int | None] = mapped_column(BigInteger)


class AuditEntry(Base):
    """An append-only trail of decisions and writes."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "golden_id"), Index(None, "run_id"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(Stamp)
    run_id: Mapped[int | None] = mapped_column(BigInteger)
    golden_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))  # write, field, match, route, gate
    system: Mapped[str | None] = mapped_column(String(64))
    record: Mapped[str | None] = mapped_column(String(255))
    field: Mapped[str | None] = mapped_column(String(128))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    rule: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str | None] = mapped_column(Text)


class RoutingCursor(Base):
    """The durable round-robin position of one team."""

    __tablename__ = "routing_cursors"
    team: Mapped[str] = mapped_column(String(128), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)


class RoutingAssignment(Base):
    """One owner assignment, counted for daily caps and fairness."""

    __tablename__ = "routing_assignments"
    __table_args__ = (Index(None, "owner", "day"), UniqueConstraint("lead_key"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    lead_key: Mapped[str] = mapped_column(String(255))
    team: Mapped[str | None] = mapped_column(String(128))
    owner: Mapped[str] = mapped_column(String(320))
    rule: Mapped[str] = mapped_column(String(128))
    day: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(Stamp)
    first_response_due: Mapped[datetime | None] = mapped_column(Stamp, index=True)
    responded_at: Mapped[datetime | None] = mapped_column(Stamp)
    escalated_at: Mapped[datetime | None] = mapped_column(Stamp)


class RoutingDayCount(Base):
    """Assignments per owner and day, kept with every assignment: what daily caps compare with.

    Counting ``routing_assignments`` instead read all of the day's rows in every batch.
    """

    __tablename__ = "routing_day_counts"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    owner: Mapped[str] = mapped_column(String(320), primary_key=True)
    assigned: Mapped[int] = mapped_column(BigInteger)


class InboxEvent(Base):
    """A received webhook, persisted before it is acknowledged."""

    __tablename__ = "webhook_inbox"
    __table_args__ = (UniqueConstraint("source", "event_id"), Index(None, "status", "id"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(Stamp)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/done/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(Stamp)
    error: Mapped[str | None] = mapped_column(Text)


class JobLease(Base):
    """Who runs a job now; ``fencing`` grows on every claim so stale holders are rejected."""

    __tablename__ = "job_leases"
    job: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime | None] = mapped_column(Stamp)
    fencing: Mapped[int] = mapped_column(BigInteger, default=0)
    paused_until: Mapped[datetime | None] = mapped_column(Stamp)


class CronTick(Base):
    """One scheduled fire of a job; the unique key makes each tick fire once."""

    __tablename__ = "cron_ticks"
    __table_args__ = (UniqueConstraint("job", "fire_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(128))
    fire_at: Mapped[datetime] = mapped_column(Stamp)
    worker: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(Stamp)


class ReviewItem(Base):
    """An ambiguous match waiting for a person; decided pairs are never proposed again."""

    __tablename__ = "review_queue"
    __table_args__ = (UniqueConstraint("kind", "left_key", "right_key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))  # match, gate
    left_key: Mapped[str] = mapped_column(String(255))
    right_key: Mapped[str] = mapped_column(String(255))
    score: Mapped[float | None] = mapped_column()
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open/accepted/rejected
    created_at: Mapped[datetime] = mapped_column(Stamp)
    decided_at: Mapped[datetime | None] = mapped_column(Stamp)


class WriteLedger(Base):
    """Intent recorded before a CRM write, so a crash between write and commit is repaired."""

    __tablename__ = "write_ledger"
    __table_args__ = (UniqueConstraint("target", "object", "ref"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(255))  # the idempotency key written to the CRM
    golden_id: Mapped[int | None] = mapped_column(BigInteger)
    target_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # intent, done, failed
    run_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(Stamp)
