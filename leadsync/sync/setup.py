"""Build a run's context: target, match index (in the store), policy and router."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from leadsync.config import JobConfig
from leadsync.connectors.base import Source
from leadsync.mapping.model import Account
from leadsync.mapping.normalize import domain_from_website
from leadsync.store.leases import Lease
from leadsync.sync.context import RunContext, TargetInfo
from leadsync.sync.matching import AccountIndex, MatchSettings
from leadsync.sync.matching.catchup import open_index
from leadsync.sync.policy import ObjectPolicy
from leadsync.sync.wiring import Wiring


def build_context(
    wiring: Wiring,
    factory: sessionmaker[Session],
    job: JobConfig,
    *,
    clock: Callable[[], datetime],
    lease: Lease | None,
    run_id: int | None,
    dry_run: bool,
) -> RunContext:
    """Return everything the run of ``job`` needs."""
    target = target_info(wiring, job)
    project = wiring.project
    index = open_index(factory, MatchSettings.model_validate(project.matching))
    policy = object_policy(project.policy, job.object)
    router = build_router(project.routing, factory, target, clock) if project.routing else None
    return RunContext(job, factory, target, index, policy, router, clock, lease, run_id, dry_run)


def target_info(wiring: Wiring, job: JobConfig) -> TargetInfo:
    """Describe the job's destination: connector, mapping, key and owner fields, owners."""
    connector = wiring.destination(job.target)
    caps = connector.capabilities
    mapping = wiring.mapping(job.target, job.object)
    key_field = caps.upsert_keys[0] if caps.upsert_keys else None
    natural = key_field is not None and key_field in {w.target for w in mapping.writes}
    info = TargetInfo(
        job.target, job.object, connector, mapping, caps.owner_field, key_field, natural
    )
    info.canonical_of = {w.target: w.path for w in mapping.writes}
    contacts = caps.extra.get("contacts")
    if contacts and contacts.get("object") not in (None, job.object):
        info.contact_object = str(contacts["object"])
        info.contact_mapping = wiring.mapping(job.target, info.contact_object)
    return info


def load_owners(info: TargetInfo) -> None:
    """Fill the target's owners (one API call), by email and by id."""
    owners = info.connector.owners()
    info.owners = {o.email.lower(): o for o in owners if o.email}
    info.owners_by_id = {o.id: o for o in owners}


def object_policy(section: dict[str, Any], obj: str) -> ObjectPolicy:
    """Return the master-of-record policy for ``obj`` (the ``default`` entry, else built-in)."""
    objects = section.get("objects", section)
    for key in (obj, obj.lower(), "lead", "default"):
        if key in objects:
            return ObjectPolicy.model_validate(objects[key])
    return ObjectPolicy()


def build_router(
    section: dict[str, Any],
    factory: sessionmaker[Session],
    target: TargetInfo,
    clock: Callable[[], datetime],
) -> Any:
    """Return a router over the target's owners."""
    from leadsync.sync.routing import Router, RoutingConfig

    load_owners(target)
    load_accounts(target)
    config = RoutingConfig.model_validate(section)
    return Router(config, factory, list(target.owners_by_id.values()), clock)


def load_accounts(info: TargetInfo) -> None:
    """Index the target's companies (names, domains, owners) for lead-to-account matching."""
    spec = info.connector.capabilities.extra.get("accounts")
    if not spec or not isinstance(info.connector, Source):
        return
    index = AccountIndex()
    for record in info.connector.read(spec["object"]):
        if record.deleted:
            continue
        fields = record.fields
        website = fields.get(spec["website"])
        domain = domain_from_website(str(website)) if website else None
        name = fields.get(spec["name"])
        key = f"{info.name}:{spec['object']}:{record.id}"
        index.add(key, Account(name=name, domain=domain))
        owner = info.owners_by_id.get(str(fields.get(spec["owner"]) or ""))
        if owner is not None:
            info.account_owners[key] = owner.email
    info.accounts = index
