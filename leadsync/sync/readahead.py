"""Read, map and key a source in a process of its own, a batch ahead of the engine.

With ``read_ahead: process`` a job's source is read in a child process, which also maps each
record to a Lead, builds its match key and block hashes, and folds it as a new lead (what
ingest stores when it matches nothing): work that depends on the record alone. The engine's
process keeps what needs the store (matching, merging into existing leads, planning), so the
two run on two cores. Results arrive in the engine's order, exactly as the engine would have
made them, and one prepared batch waits at most (the pipe's send blocks until it is taken).

The child builds its connector and mapping again from the project, so the source must not
depend on objects handed to :class:`~leadsync.sync.wiring.Wiring` (see :func:`portable`).
It ends when its batches are taken, when the engine closes the pipe, or when the engine dies
(the pipe closes: its wait for the first request or its next send fails): nothing outlives a
killed worker by more than one batch's work.

The child runs with the run's garbage-collector thresholds (:mod:`leadsync.sync.gcpolicy`;
with CPython's defaults the collector took about a third of its CPU) and at a lower CPU
priority than the engine (:data:`READ_AHEAD_NICENESS`), so where the two, or the engine and
a CRM on the same machine, compete for a core the critical path gets it.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import operator
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

from leadsync import jsoncodec
from leadsync.config import Project
from leadsync.connectors.base import Record, Source
from leadsync.errors import FatalError
from leadsync.mapping import Mapping
from leadsync.mapping.mapping import MapResult
from leadsync.mapping.model import Lead
from leadsync.store.checkpoints import Watermark
from leadsync.store.golden import IdentityRef
from leadsync.sync.fold import Folded, fold
from leadsync.sync.gcpolicy import batch_friendly_gc
from leadsync.sync.matching.keys import MatchKey, build_key
from leadsync.sync.matching.stored import BlockHashes, block_hashes
from leadsync.sync.policy import ObjectPolicy
from leadsync.sync.wiring import Wiring

_JOIN_SECONDS = 10.0
# How much lower the child's CPU priority is than the engine's (see _yield_to_the_engine).
READ_AHEAD_NICENESS = 10
# A child is forked from a clean server process (never from the engine, whose threads and
# connections a fork would copy half-way); the server imports this module once, so children
# after the first start in milliseconds. Where there is no fork server (Windows), spawn.
_CONTEXT: Any = mp.get_context(
    "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
)
if _CONTEXT.get_start_method() == "forkserver":
    _CONTEXT.set_forkserver_preload([__name__])
_LAUNCH = threading.Lock()  # the environment the fork server starts with is process-wide
_fork_server_started = False

_RecordRow = tuple[str, str, Any, datetime, bool, str | None]
# A folded new lead as sent: its lead (whole, or the values that differ from the incoming
# lead's, with its set fields), changed, diffs, details, data as JSON, email key.
_Draft = tuple[Any, frozenset[str] | None, bool, list[Any], list[str], bytes | None, str | None]
_set_attribute = object.__setattr__
_Keyed = tuple[tuple[Any, ...], tuple[Any, ...]]
_KEY_FIELDS = tuple(f.name for f in fields(MatchKey))
_key_values = operator.attrgetter(*_KEY_FIELDS)
# The fields build_key interns (names and places repeat across records; emails do not).
_NOT_INTERNED = ("email", "phone", "free_mail", "role_email")
_INTERNED = frozenset(i for i, name in enumerate(_KEY_FIELDS) if name not in _NOT_INTERNED)


@dataclass(frozen=True)
class Prepared:
    """One batch as the read-ahead made it.

    Attributes:
        records: The source records, in read order.
        mapped: Each record's mapping result, by position (None for a deleted record).
        keys: Each mapped lead's match key and block hashes, by position (None when the
            record has no lead to match).
        drafts: Each of those leads folded as a new lead, by position: what ingest stores
            when the lead matches nothing (most do).
    """

    records: list[Record]
    mapped: list[MapResult | None]
    keys: list[tuple[MatchKey, BlockHashes] | None]
    drafts: list[Folded | None]


@dataclass(frozen=True)
class Spec:
    """What the child needs to read one source object.

    Attributes:
        project: The project file, loaded.
        base_dir: Where its relative paths start.
        environ: Where secrets are resolved (the engine's environment, taken at start).
        connector: The source connector's name.
        object: The object read.
        mapping: The job's mapping override, if any.
        start: The checkpoint: records it admits are read.
        batch_size: Records per batch.
        region: The match index's default phone region (keys depend on it).
        policy: The target object's survivorship policy (new leads are folded with it).
    """

    project: Project = field(repr=False)  # holds secret references
    base_dir: Path
    environ: dict[str, str] = field(repr=False)  # holds the secrets
    connector: str
    object: str
    mapping: str | None
    start: Watermark
    batch_size: int
    region: str
    policy: ObjectPolicy


def batches_after(
    source: Source, obj: str, start: Watermark, size: int
) -> Generator[list[Record], None, None]:
    """Read ``obj`` from ``source``: the records ``start`` admits, ``size`` at a time.

    Both read-aheads (this module's process, the engine's thread) read a source this way.
    """
    records = source.read(obj, since=start.cursor)
    fresh = (r for r in records if start.admits(r.id, r.updated_at))
    while chunk := list(itertools.islice(fresh, size)):
        yield chunk


def portable(wiring: Wiring, connector: str) -> bool:
    """True when a child process can build ``connector`` from the project alone.

    Dependencies handed to the wiring (sessions, test doubles) and connectors set with
    ``use()`` live in this process only.
    """
    return connector not in wiring.deps and not wiring.uses(connector)


class ReadAhead:
    """A child process reading one source object for the engine; iterate it for the batches.

    The child starts at once and gets ready (imports, connector, login) while the engine does
    other work; it opens the source's read only when the first batch is asked for (a read
    cursor left waiting could expire). :meth:`close` ends it whether or not it was iterated.

    Raises (while iterating):
        LeadsyncError: What the read raised in the child (the same class where it can be
            carried over, else a FatalError naming it), after the batches read before it.
    """

    def __init__(self, spec: Spec) -> None:
        self._spec = spec
        start_fork_server()
        self._pipe, theirs = _CONTEXT.Pipe()
        self._child = _CONTEXT.Process(
            target=_produce, args=(theirs, spec), name=f"read-ahead {spec.connector}", daemon=True
        )
        try:
            self._child.start()
        finally:
            theirs.close()  # ours alone now: the child's end closes with the child
        self._asked = False

    def __iter__(self) -> Iterator[Prepared]:
        return self

    def __next__(self) -> Prepared:
        if not self._asked:
            self._asked = True
            # A child that failed while getting ready has sent its error and gone: the error
            # is still there to read below.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._pipe.send("go")
        try:
            kind, body = self._pipe.recv()
        except EOFError:
            self._child.join(1.0)  # for its exit code
            raise FatalError(
                f"the read-ahead process of {self._spec.connector}:{self._spec.object} ended "
                f"unexpectedly (exit code {self._child.exitcode})"
            ) from None
        if kind == "done":
            raise StopIteration
        if kind == "error":
            error, trace = body
            raise error from _ChildError(trace)
        return _unpack(body)

    def ready(self, timeout: float = 0.0) -> bool:
        """True when what comes next (a batch, the end or an error) is in the pipe.

        Args:
            timeout: Seconds to wait for it (once a batch was asked for).
        """
        try:
            return self._asked and self._pipe.poll(timeout)
        except (OSError, EOFError):
            return True  # the child is gone: the next read says so at once

    def close(self) -> None:
        """End the child: it stops at its next send, or is killed after a grace period."""
        self._pipe.close()
        self._child.join(_JOIN_SECONDS)
        if self._child.is_alive():
            self._child.kill()
            self._child.join()


def start_fork_server() -> None:
    """Start the fork server (once per process) on the leadsync this process runs.

    CPython 3.11's fork server ignores the sys.path it is handed and imports from its working
    directory first: run from a directory holding another ``leadsync`` (a checkout of another
    version, say), every read-ahead child would run that one. It starts without the working
    directory on its path (PYTHONSAFEPATH); only where this leadsync lives in the script's or
    the working directory is that directory put on its PYTHONPATH (never a site directory,
    which would then come before the standard library).

    Starting returns at once; the server then imports leadsync, about a second, before its
    first child can fork. A run calls this first thing, so that import overlaps its set-up.
    """
    global _fork_server_started
    if _CONTEXT.get_start_method() != "forkserver" or _fork_server_started:
        return
    from multiprocessing import forkserver

    pinned = {"PYTHONSAFEPATH": "1"}
    package_root = Path(__file__).resolve().parents[2]
    if package_root in _not_inherited_path():
        pythonpath = os.environ.get("PYTHONPATH")
        pinned["PYTHONPATH"] = os.pathsep.join(p for p in (str(package_root), pythonpath) if p)
    with _LAUNCH, _environment(pinned):
        forkserver.ensure_running()
        _fork_server_started = True


def _not_inherited_path() -> set[Path]:
    """Where this process looks that a new interpreter with PYTHONSAFEPATH would not.

    The first entry of the path (the script's directory, or the working directory); the rest
    (PYTHONPATH, the standard library, site directories and what their .pth files add,
    editable installs included) a new interpreter finds on its own.
    """
    first = Path(sys.path[0] if sys.path else "")  # "" is the working directory
    return {first.resolve(), Path.cwd().resolve()}


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def read_ahead(spec: Spec) -> ReadAhead:
    """Start reading ``spec``'s source in a child process (see :class:`ReadAhead`)."""
    return ReadAhead(spec)


class _ChildError(Exception):
    """Where in the read-ahead process an error was raised (the cause of the error re-raised)."""

    def __init__(self, trace: str) -> None:
        super().__init__(trace)
        self.trace = trace

    def __str__(self) -> str:
        return f"\n--- in the read-ahead process ---\n{self.trace}"


# -- the child ----------------------------------------------------------------------------
def _produce(conn: Connection, spec: Spec) -> None:
    # Ctrl-C reaches the whole process group: the engine handles it and closes the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _yield_to_the_engine()
    wiring = Wiring(spec.project, spec.base_dir, environ=spec.environ)
    try:
        with batch_friendly_gc():
            _serve(conn, wiring, spec)
    finally:
        wiring.close()
        conn.close()


def _yield_to_the_engine() -> None:
    # The engine's process is the run's critical path and the CRM it waits on may share its
    # machine; the child is usually a batch ahead. Where they compete for a core, it goes to
    # them first. (Raising one's own niceness needs no privilege; Windows has no nice.)
    with contextlib.suppress(AttributeError, OSError):
        os.nice(READ_AHEAD_NICENESS)


def _serve(conn: Connection, wiring: Wiring, spec: Spec) -> None:
    try:
        batches = _batches(wiring, spec)
        conn.recv()  # "go": the engine wants the first batch
        for body in batches:
            conn.send(("batch", body))
        conn.send(("done", None))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the engine is gone or stopped reading
    except Exception as error:
        trace = "".join(traceback.format_exception(error))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.send(("error", (_portable(error, spec), trace)))


def _batches(wiring: Wiring, spec: Spec) -> Iterator[tuple[Any, ...]]:
    """Build the connector and mapping now; read when the first batch is asked for."""
    source = wiring.source(spec.connector)
    mapping = wiring.mapping(spec.connector, spec.object, spec.mapping)
    return _read(source, mapping, spec)


def _read(source: Source, mapping: Mapping, spec: Spec) -> Iterator[tuple[Any, ...]]:
    for chunk in batches_after(source, spec.object, spec.start, spec.batch_size):
        yield _pack(chunk, mapping, spec)


def _pack(records: Sequence[Record], mapping: Mapping, spec: Spec) -> tuple[Any, ...]:
    # Plain tuples: a frozen dataclass costs several times more to unpickle.
    rows: list[_RecordRow] = []
    mapped: list[tuple[Any, ...] | None] = []
    keys: list[_Keyed | None] = []
    drafts: list[_Draft | None] = []
    for r in records:
        rows.append((r.object, r.id, dict(r.fields), r.updated_at, r.deleted, r.merged_into))
        if r.deleted:
            mapped.append(None)
            keys.append(None)
            drafts.append(None)
            continue
        result = mapping.to_canonical(
            r.fields,
            record=str(IdentityRef(spec.connector, spec.object, r.id)),  # as ingest names it
            system=spec.connector,
            observed_at=r.updated_at,
        )
        mapped.append((result.lead, result.errors, result.action))
        lead = result.lead
        if lead is None or result.action in ("skip", "dead_letter"):
            keys.append(None)
            drafts.append(None)
            continue
        try:
            rec = build_key(lead, spec.region)
            h = block_hashes(rec)
            key = (_key_values(rec), (h.blocks, h.first, h.last, h.email, h.phone))
            folded = fold(
                None, lead, system=spec.connector, observed_at=r.updated_at, policy=spec.policy
            )
            draft = _pack_draft(lead, folded)
        except Exception:
            # Ahead of need (a known or matching lead never needs the fold): the engine makes
            # what is missing itself, if it needs it, and meets the error there, as a thread
            # read-ahead would.
            key, draft = None, None
        keys.append(key)
        drafts.append(draft)
    return rows, mapped, keys, drafts


def _pack_draft(incoming: Lead, draft: Folded) -> _Draft:
    """``draft`` for the pipe: its lead as what changed of ``incoming``, its data as JSON.

    A new lead is the incoming lead with new provenance, mostly, and sending it whole cost
    the two processes more than the rest of the batch's leads; its data is stored as JSON
    text, which the engine then need not decode nor encode again.
    """
    merged = draft.lead
    relative = _changes(incoming, merged)
    lead_part: Lead | dict[str, Any] = merged if relative is None else relative
    fields_set = None if relative is None else frozenset(merged.model_fields_set)
    data = None if draft.data is None else jsoncodec.dump_bytes(draft.data)
    return (lead_part, fields_set, draft.changed, draft.diffs, draft.details, data, draft.email_key)


def _changes(base: Lead, lead: Lead) -> dict[str, Any] | None:
    """The fields whose values ``lead`` does not share with ``base`` (None: not comparable).

    Both are plain leads (no extra or private attributes), so a lead is its field values and
    the set of fields it was given: what :func:`_rebuild` puts back together.
    """
    if not (_plain(base) and _plain(lead)) or base.__dict__.keys() != lead.__dict__.keys():
        return None
    theirs = base.__dict__
    return {name: value for name, value in lead.__dict__.items() if theirs[name] is not value}


def _plain(lead: Lead) -> bool:
    return type(lead) is Lead and not lead.__pydantic_extra__ and not lead.__pydantic_private__


def _rebuild(base: Lead, changes: dict[str, Any], fields_set: frozenset[str]) -> Lead:
    """The lead :func:`_changes` described: ``base``'s values with ``changes``."""
    lead = Lead.__new__(Lead)
    # The attributes pydantic's own unpickling sets (BaseModel.__setstate__).
    _set_attribute(lead, "__dict__", {**base.__dict__, **changes})
    _set_attribute(lead, "__pydantic_fields_set__", set(fields_set))
    _set_attribute(lead, "__pydantic_extra__", None)
    _set_attribute(lead, "__pydantic_private__", None)
    return lead


def _portable(error: Exception, spec: Spec) -> Exception:
    """``error`` if it survives a trip through pickle, else a FatalError that names it."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return FatalError(
            f"reading {spec.connector}:{spec.object} failed: {type(error).__name__}: {error}"
        )


# -- back in the engine -------------------------------------------------------------------
def _unpack(body: tuple[Any, ...]) -> Prepared:
    rows, mapped, keys, drafts = body
    results = [MapResult(*m) if m is not None else None for m in mapped]
    return Prepared(
        records=[Record(o, i, f, at, d, m) for o, i, f, at, d, m in rows],
        mapped=results,
        keys=[(_interned(k[0]), BlockHashes(*k[1])) if k is not None else None for k in keys],
        drafts=[
            _unpack_draft(d, cast(MapResult, r).lead) if d is not None else None
            for d, r in zip(drafts, results, strict=True)
        ],
    )


def _unpack_draft(draft: _Draft, incoming: Lead | None) -> Folded:
    lead_part, fields_set, changed, diffs, details, data, email_key = draft
    if fields_set is None:
        lead = cast(Lead, lead_part)
    else:
        lead = _rebuild(cast(Lead, incoming), cast(dict[str, Any], lead_part), fields_set)
    encoded = None if data is None else jsoncodec.Encoded(data)
    return Folded(lead, changed, diffs, details, encoded, email_key)


def _interned(values: tuple[Any, ...]) -> MatchKey:
    # build_key interns these, and comparisons count on it (identity first); strings that
    # crossed a pipe are copies until interned again.
    fields_: list[Any] = [
        sys.intern(v) if v is not None and i in _INTERNED else v for i, v in enumerate(values)
    ]
    return MatchKey(*fields_)
