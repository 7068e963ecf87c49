"""Check every mapping a project's jobs use: loadable, and (online) fit for the target's schema."""

from __future__ import annotations

from leadsync.errors import LeadsyncError
from leadsync.sync.wiring import Wiring


def check_mappings(wiring: Wiring, *, online: bool) -> list[str]:
    """Return one line per problem, each citing the mapping file and line.

    Args:
        wiring: The project's connectors and mappings.
        online: Also ``describe`` each job's target object and check the target mapping
            against it (unknown fields, read-only fields, picklist values, required fields).
    """
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for job in wiring.project.jobs:
        pairs = [(s.connector, s.object, s.mapping) for s in job.sources]
        pairs.append((job.target, job.object, None))
        for connector, obj, override in pairs:
            if (connector, obj) in seen:
                continue
            seen.add((connector, obj))
            try:
                wiring.mapping(connector, obj, override)
            except LeadsyncError as exc:
                problems.append(str(exc))
        if online:
            problems.extend(_check_target(wiring, job.target, job.object))
    return problems


def _check_target(wiring: Wiring, target: str, obj: str) -> list[str]:
    try:
        schema = wiring.source(target).describe(obj)
        mapping = wiring.mapping(target, obj)
    except LeadsyncError as exc:
        return [f"{target} {obj}: {exc}"]
    return [str(issue) for issue in mapping.validate(schema)]
