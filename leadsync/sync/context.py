"""Everything one job run needs, built once per run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from leadsync.config import JobConfig
from leadsync.connectors.base import Destination, Owner
from leadsync.mapping import Mapping
from leadsync.store.leases import Lease
from leadsync.sync.matching import AccountIndex
from leadsync.sync.matching.stored import StoredMatchIndex
from leadsync.sync.plan import RunStats
from leadsync.sync.policy import ObjectPolicy

Clock = Callable[[], datetime]


@dataclass
class TargetInfo:
    """The job's destination and how records are keyed there."""

    name: str
    object: str
    connector: Destination
    mapping: Mapping
    owner_field: str | None
    key_field: str | None  # upsert key: a natural field (email) or an external-id field
    key_is_natural: bool
    owners: dict[str, Owner] = field(default_factory=dict)  # by lower-cased email
    owners_by_id: dict[str, Owner] = field(default_factory=dict)
    canonical_of: dict[str, str] = field(default_factory=dict)  # target field -> canonical path
    contact_object: str | None = None  # the CRM's object for known people (not created twice)
    contact_mapping: Mapping | None = None
    accounts: AccountIndex | None = None  # the target's companies, for account-based routing
    account_owners: dict[str, str] = field(default_factory=dict)  # account key -> owner email


@dataclass
class RunContext:
    """One run of one job."""

    job: JobConfig
    factory: sessionmaker[Session]
    target: TargetInfo
    index: StoredMatchIndex  # read and written a batch at a time, in the batch's transaction
    policy: ObjectPolicy
    router: Any | None  # leadsync.sync.routing.Router, when routing is configured
    clock: Clock
    lease: Lease | None
    run_id: int | None
    dry_run: bool = False
    stats: RunStats = field(default_factory=RunStats)
